"""A corpus of messy inputs for the county_gis.io tests, built with the real libraries.

Every builder writes one case into a folder (``tmp_path``) and returns its path. All features
lie inside 阜新蒙古族自治县. Gauss-Krüger coordinates are chosen so that areas and lengths can
be checked by hand in the zone's plane: a 1,000 m x 1,000 m square is 1,000,000 m² = 1,500 亩.
"""

from __future__ import annotations

import re
import sqlite3
import struct
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from pyproj import CRS
from pyproj.enums import WktVersion
from shapely.geometry import LineString, Point, Polygon, box

#: A point near the county seat area (lon, lat), CGCS2000.
LON, LAT = 121.60, 42.10
#: Zone 40 (CM 120E) plane coordinates inside the county (lon ~121.21, lat ~41.98).
E40, N40 = 600_000.0, 4_650_000.0
#: Zone 41 (CM 123E) plane coordinates inside the county (lon ~122.0).
E41, N41 = 420_000.0, 4_660_000.0


def square(x: float, y: float, side: float = 1000.0) -> Polygon:
    """An axis-aligned square with its lower left corner at (x, y)."""
    return box(x, y, x + side, y + side)


def bow_tie(x: float, y: float, side: float = 200.0) -> Polygon:
    """A self-intersecting 'bow-tie' plot: two triangles of side*side/4 each (planar).

    Its signed ring area is 0; made valid it is two triangles, total side²/2 (20,000 m² for
    side 200 m).
    """
    return Polygon([(x, y), (x + side, y + side), (x + side, y), (x, y + side)])


def write(gdf: gpd.GeoDataFrame, path: Path, **kwargs: object) -> Path:
    """Write with pyogrio, silencing its warnings (no CRS on purpose; names cut to 10 bytes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "crs not provided", GDAL laundering names
        pyogrio.write_dataframe(gdf, path, **kwargs)
    return path


def esri_prj(epsg: int) -> str:
    """The ESRI-flavoured WKT1 a ``.prj`` written by ArcGIS holds for ``epsg``."""
    return CRS.from_epsg(epsg).to_wkt(WktVersion.WKT1_ESRI)


def shapefile(
    folder: Path,
    gdf: gpd.GeoDataFrame,
    *,
    name: str = "plots",
    encoding: str = "UTF-8",
    cpg: str | None = "keep",
    prj: str | None = "keep",
) -> Path:
    """Write a shapefile; ``cpg`` / ``prj``: "keep" as written, None to delete, or new text."""
    path = folder / f"{name}.shp"
    write(gdf, path, encoding=encoding)
    for suffix, content in ((".cpg", cpg), (".prj", prj)):
        side = path.with_suffix(suffix)
        if content is None:
            side.unlink(missing_ok=True)
        elif content != "keep":
            side.write_text(content, encoding="ascii")
    return path


def patch_bytes(path: Path, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` (same length) in a file, once."""
    assert len(old) == len(new), "patches keep the record layout"
    data = path.read_bytes()
    assert data.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_bytes(data.replace(old, new))


def overflow_numeric(path: Path, value_text: str) -> None:
    """Fill the DBF numeric cell that holds ``value_text`` with asterisks (width overflow)."""
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    match = re.search(rb" *" + re.escape(value_text.encode()) + rb"0*", data)
    assert match is not None
    cell = match.group(0)
    dbf.write_bytes(data.replace(cell, b"*" * len(cell), 1))


def drop_last_dbf_record(path: Path) -> None:
    """Make the .dbf one record shorter than the .shp (header count and data)."""
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    count, header_length, record_length = struct.unpack("<IHH", data[4:12])
    data[4:8] = struct.pack("<I", count - 1)
    end = header_length + (count - 1) * record_length
    dbf.write_bytes(bytes(data[:end]) + b"\x1a")


def unclose_last_ring(shp: Path, shift: float = 5.0) -> None:
    """Move the closing point of the last record's ring (the file's last 16 bytes) by ``shift``
    in x, so that the ring is no longer closed, as some CAD exports write them."""
    data = bytearray(shp.read_bytes())
    x, y = struct.unpack("<dd", data[-16:])
    data[-16:] = struct.pack("<dd", x + shift, y)
    shp.write_bytes(bytes(data))


def zip_files(archive: Path, files: dict[str, bytes]) -> Path:
    """A zip archive holding ``files`` (member name -> bytes), deflated."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return archive


def zip_shapefile(archive: Path, shp: Path) -> Path:
    """Zip every part of the shapefile ``shp``."""
    parts = {p.name: p.read_bytes() for p in shp.parent.glob(f"{shp.stem}.*")}
    return zip_files(archive, parts)


def plots_gdf(crs: object = 4490) -> gpd.GeoDataFrame:
    """Three afforestation plots with Chinese fields, in lon/lat."""
    return gpd.GeoDataFrame(
        {
            "项目编号": ["ZL-01", "ZL-02", "ZL-03"],
            "项目名称": ["扎兰营子造林", "大板镇抚育", "福兴地补播"],
            "状态": ["完工", "在建", "计划"],
            "乡镇": ["扎兰营子镇", "大板镇", "福兴地镇"],
            "面积(亩)": [15.0, 30.5, 7.25],
        },
        geometry=[box(LON, LAT, LON + 0.01, LAT + 0.01),
                  box(LON + 0.02, LAT, LON + 0.03, LAT + 0.01),
                  box(LON + 0.04, LAT, LON + 0.05, LAT + 0.01)],
        crs=crs,
    )


def gk_plots(zone: int = 40, *, prefixed: bool = False) -> gpd.GeoDataFrame:
    """Two 1 km squares in Gauss-Krüger plane coordinates, without a CRS."""
    e, n = (E40, N40) if zone == 40 else (E41, N41)
    if prefixed:
        e += zone * 1_000_000
    return gpd.GeoDataFrame(
        {"名称": ["一号地块", "二号地块"]},
        geometry=[square(e, n), square(e + 2000, n)],
    )


def roads_gdf() -> gpd.GeoDataFrame:
    """Two road lines in zone 40, 1,000 m and 2,000 m long in the plane."""
    return gpd.GeoDataFrame(
        {"项目名称": ["甲路", "乙路"], "长度(公里)": ["1.0", "2公里"]},
        geometry=[LineString([(E40, N40), (E40 + 1000, N40)]),
                  LineString([(E40, N40 + 5000), (E40, N40 + 7000)])],
    )


def gpkg_without_index(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """A GeoPackage layer without an R-tree (whose triggers need SpatiaLite functions), so that
    plain ``sqlite3`` can edit it to build a broken case."""
    return write(gdf, path, layer=layer, layer_options={"SPATIAL_INDEX": "NO"})


def set_gpkg_bytes(path: Path, layer: str, fid: int, column: str, raw: bytes) -> None:
    """Store ``raw`` as the TEXT of one cell, as an old tool writing GBK into a GeoPackage does."""
    with sqlite3.connect(path) as connection:
        connection.execute(f'UPDATE "{layer}" SET "{column}" = CAST(? AS TEXT) WHERE fid = ?',
                           (raw, fid))
    connection.close()


def set_gpkg_geometry(path: Path, layer: str, fid: int, wkb: bytes, srs_id: int = 4490) -> None:
    """Store ISO ``wkb`` as the geometry of one feature (a GeoPackage blob without envelope):
    for geometries pyogrio cannot write itself, such as measured (M) lines."""
    blob = b"GP\x00\x01" + struct.pack("<i", srs_id) + wkb
    with sqlite3.connect(path) as connection:
        connection.execute(f'UPDATE "{layer}" SET geom = ? WHERE fid = ?', (blob, fid))
    connection.close()


def lying_zip(archive: Path, name: str, data: bytes, declared: int) -> Path:
    """A zip whose member ``name`` declares ``declared`` bytes but inflates to ``data``."""
    zip_files(archive, {name: data})
    raw = archive.read_bytes()
    real = struct.pack("<I", len(data))
    assert raw.count(real) == 2, "the size stands in the local header and the directory"
    archive.write_bytes(raw.replace(real, struct.pack("<I", declared)))
    return archive


def noted(report: object, code: str) -> list[tuple[object, ...]]:
    """(code, fid, field, severity) of the notes of ``report`` whose code starts with ``code``."""
    return [(n.code, n.fid, n.field, n.severity) for n in report.select(code)]  # type: ignore


def ring_area_m2(coords: list[tuple[float, float]]) -> float:
    """Signed geodesic area (GRS80, m²) of one lon/lat ring as pyproj computes it: an
    independent check of county_gis's own measurement."""
    from pyproj import Geod

    lons, lats = np.array(coords).T
    area, _ = Geod(ellps="GRS80").polygon_area_perimeter(lons, lats)
    return float(area)


__all__ = [
    "E40", "E41", "LAT", "LON", "N40", "N41",
    "Point", "bow_tie", "drop_last_dbf_record", "esri_prj", "gk_plots", "gpkg_without_index",
    "lying_zip", "noted", "overflow_numeric", "patch_bytes", "plots_gdf", "ring_area_m2", "roads_gdf",
    "set_gpkg_bytes", "set_gpkg_geometry", "shapefile", "square", "unclose_last_ring", "write",
    "zip_files", "zip_shapefile",
]
