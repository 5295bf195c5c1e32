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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS
from pyproj.enums import WktVersion
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

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


# --- DXF (R12 and later, ASCII) written by hand: a DXF is a text of (group code, value) lines ---

def _pairs(*items: tuple[int, object]) -> str:
    return "".join(f"{code}\n{value}\n" for code, value in items)


def dxf_polyline(layer: str, points: list[tuple[float, ...]], *, closed: bool = True) -> str:
    """An R12 POLYLINE (VERTEX ... SEQEND); points with a third value make it a 3D polyline."""
    is3d = any(len(p) > 2 for p in points)
    flag = (1 if closed else 0) | (8 if is3d else 0)
    text = _pairs((0, "POLYLINE"), (8, layer), (66, 1), (10, 0.0), (20, 0.0), (30, 0.0),
                  (70, flag))
    for p in points:
        text += _pairs((0, "VERTEX"), (8, layer), (10, p[0]), (20, p[1]),
                       (30, p[2] if len(p) > 2 else 0.0), (70, 32 if is3d else 0))
    return text + _pairs((0, "SEQEND"), (8, layer))


def dxf_lwpolyline(layer: str, points: list[tuple[float, float]], *, closed: bool = True) -> str:
    """An LWPOLYLINE (R14 and later), closed by its flag (70 = 1) as CAD writes it."""
    text = _pairs((0, "LWPOLYLINE"), (8, layer), (90, len(points)), (70, 1 if closed else 0))
    return text + "".join(_pairs((10, x), (20, y)) for x, y in points)


def dxf_text(layer: str, x: float, y: float, text: str) -> str:
    """A TEXT entity (a label) at (x, y)."""
    return _pairs((0, "TEXT"), (8, layer), (10, x), (20, y), (30, 0.0), (40, 2.5), (1, text))


def dxf_document(*entities: str, version: str = "AC1009", codepage: str | None = "ANSI_936",
                 encoding: str = "gbk") -> bytes:
    """A minimal ASCII DXF: a HEADER ($ACADVER, $DWGCODEPAGE) and the ENTITIES, in
    ``encoding`` (GBK with ANSI_936, as CASS and AutoCAD before 2007 write Chinese)."""
    header = [(9, "$ACADVER"), (1, version)]
    if codepage is not None:
        header += [(9, "$DWGCODEPAGE"), (3, codepage)]
    text = _pairs((0, "SECTION"), (2, "HEADER"), *header, (0, "ENDSEC"))
    text += _pairs((0, "SECTION"), (2, "ENTITIES")) + "".join(entities)
    text += _pairs((0, "ENDSEC"), (0, "EOF"))
    return text.encode(encoding)


def kml_document(gdf: gpd.GeoDataFrame, folder: str = "地块", name_field: str = "项目名称") -> str:
    """A KML of ``gdf`` (lon/lat polygons or points): ``name_field`` as each placemark's name,
    the other fields as ExtendedData."""
    marks = []
    for _, row in gdf.iterrows():
        geom = row.geometry
        if geom.geom_type == "Point":
            shape = f"<Point><coordinates>{geom.x},{geom.y}</coordinates></Point>"
        else:
            ring = " ".join(f"{x},{y}" for x, y in geom.exterior.coords)
            shape = ("<Polygon><outerBoundaryIs><LinearRing><coordinates>" + ring +
                     "</coordinates></LinearRing></outerBoundaryIs></Polygon>")
        fields = row.drop("geometry")
        name = fields.pop(name_field) if name_field in fields else None
        data = "".join(f'<Data name="{k}"><value>{v}</value></Data>' for k, v in fields.items())
        marks.append(f"<Placemark><name>{name or ''}</name><ExtendedData>{data}</ExtendedData>"
                     f"{shape}</Placemark>")
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document><Folder><name>{folder}</name>{''.join(marks)}</Folder></Document></kml>")


# --- the canonical layer in every registered format (tests/test_io_registry.py) ---

@dataclass(frozen=True)
class Built:
    """A canonical layer written in one format: where, what must come back, how to read it.

    ``geometry``: the lon/lat geometries expected; ``name_field``: the column that holds
    the plot names after reading (``name`` where the source has attributes);
    ``attributes``: whether every field of the canonical layer is kept; ``read``: the
    ``read_layer`` keywords the source needs.
    """

    path: Path
    geometry: list[object]
    name_field: str = "name"
    attributes: bool = True
    read: dict[str, object] = field(default_factory=dict)


def _points_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    corners = [Point(g.bounds[0], g.bounds[1]) for g in gdf.geometry]
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    frame["经度"] = [p.x for p in corners]
    frame["纬度"] = [p.y for p in corners]
    return frame


def _build_csv(folder: Path, gdf: gpd.GeoDataFrame) -> Built:
    path = folder / "plots.csv"
    _points_table(gdf).to_csv(path, index=False, encoding="utf-8")
    return Built(path, [Point(g.bounds[0], g.bounds[1]) for g in gdf.geometry])


def _build_xlsx(folder: Path, gdf: gpd.GeoDataFrame) -> Built:
    path = folder / "plots.xlsx"
    _points_table(gdf).to_excel(path, index=False, sheet_name="造林")
    return Built(path, [Point(g.bounds[0], g.bounds[1]) for g in gdf.geometry])


def _build_dxf(folder: Path, gdf: gpd.GeoDataFrame) -> Built:
    """The plots as closed polylines in zone 41 (EPSG:4550, as a CAD drawing holds them), each
    labelled with its name; the vertices, transformed back, are the expected geometry."""
    from pyproj import Transformer

    to_gk = Transformer.from_crs(4490, 4550, always_xy=True)
    to_ll = Transformer.from_crs(4550, 4490, always_xy=True)
    entities, expected = [], []
    for name, geom in zip(gdf["项目名称"], gdf.geometry, strict=True):
        xs, ys = to_gk.transform(*np.asarray(geom.exterior.coords).T)
        entities.append(dxf_polyline("造林地块", list(zip(xs[:-1], ys[:-1], strict=True))))
        entities.append(dxf_text("注记", float(xs[:-1].mean()), float(ys[:-1].mean()), name))
        expected.append(Polygon(np.column_stack(to_ll.transform(xs, ys))))
    path = folder / "plots.dxf"
    path.write_bytes(dxf_document(*entities))
    return Built(path, expected, name_field="Text", attributes=False,
                 read={"layer": "造林地块", "options": {"closed_as_polygons": True}})


def jzd_text(parcels: list[tuple[str, str, list[tuple[float, float]]]], *, zone: int = 41,
             datum: str = "2000国家大地坐标系") -> str:
    """A 界址点 TXT of ``(地块编号, 地块名称, [(X northing, Y easting with prefix) ...])``,
    each ring closed by repeating its first point, as 勘测定界 software writes it."""
    lines = ["[属性描述]", "格式版本号=1.01版本", "数据产生单位=阜蒙县测绘队",
             f"坐标系={datum}", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米",
             f"带号={zone}", "精度=0.001", "[地块坐标]"]
    for ident, name, ring in parcels:
        closed = [*ring, ring[0]]
        lines.append(f"{len(closed)},,{ident},{name},面,,造林,,@")
        lines += [f"J{i % len(ring) + 1},1,{x:.3f},{y:.3f}" for i, (x, y) in enumerate(closed)]
    return "\r\n".join(lines) + "\r\n"


def _build_jzd(folder: Path, gdf: gpd.GeoDataFrame) -> Built:
    """The plots as 地块 of a GBK 界址点 TXT in zone 41 with the prefix (EPSG:4529); the
    coordinates as written (mm), transformed back, are the expected geometry."""
    from pyproj import Transformer

    to_gk = Transformer.from_crs(4490, 4529, always_xy=True)
    to_ll = Transformer.from_crs(4529, 4490, always_xy=True)
    parcels, expected = [], []
    for ident, name, geom in zip(gdf["项目编号"], gdf["项目名称"], gdf.geometry, strict=True):
        east, north = to_gk.transform(*np.asarray(geom.exterior.coords[:-1]).T)
        east, north = np.round(east, 3), np.round(north, 3)
        parcels.append((ident, name, list(zip(north, east, strict=True))))
        lon, lat = to_ll.transform(np.append(east, east[0]), np.append(north, north[0]))
        expected.append(Polygon(np.column_stack([lon, lat])))
    path = folder / "plots.txt"
    path.write_bytes(jzd_text(parcels).encode("gbk"))
    return Built(path, expected, attributes=False)


def gpx_document(points: list[tuple[str, float, float]], *,
                 tracks: list[tuple[str, list[tuple[float, float, str]]]] = (),
                 encoding: str = "UTF-8") -> bytes:
    """A GPX 1.1 of waypoints ``(name, lon, lat)`` and tracks ``(name, [(lon, lat, time)])``,
    as a GPS app (两步路, 奥维) exports them."""
    wpts = "".join(f'<wpt lat="{lat}" lon="{lon}"><name>{name}</name></wpt>'
                   for name, lon, lat in points)
    trks = "".join(
        f"<trk><name>{name}</name><trkseg>" + "".join(
            f'<trkpt lat="{lat}" lon="{lon}"><time>{t}</time></trkpt>' for lon, lat, t in pts)
        + "</trkseg></trk>" for name, pts in tracks)
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n<gpx version="1.1" '
            'creator="county_gis tests" xmlns="http://www.topografix.com/GPX/1/1">'
            f"{wpts}{trks}</gpx>").encode(encoding)


def topojson_document(gdf: gpd.GeoDataFrame, name: str = "plots") -> str:
    """A TopoJSON (no transform: absolute coordinates) of ``gdf``'s polygons, one arc per
    exterior ring, the first field as each geometry's ``id`` (GDAL reads it as the field
    ``id``), the fields as properties."""
    import json

    arcs, geometries = [], []
    for k, (_, row) in enumerate(gdf.iterrows()):
        arcs.append([list(c) for c in row.geometry.exterior.coords])
        geometries.append({"type": "Polygon", "arcs": [[k]], "id": row.iloc[0],
                           "properties": {c: row[c] for c in gdf.columns if c != "geometry"}})
    return json.dumps({"type": "Topology", "objects": {name: {
        "type": "GeometryCollection", "geometries": geometries}}, "arcs": arcs},
        ensure_ascii=False)


def _build_gpx(folder: Path, gdf: gpd.GeoDataFrame) -> Built:
    """GPX holds no polygons: the plots' south-west corners as waypoints named for them."""
    corners = [Point(g.bounds[0], g.bounds[1]) for g in gdf.geometry]
    path = folder / "plots.gpx"
    path.write_bytes(gpx_document([(n, p.x, p.y) for n, p in
                                   zip(gdf["项目名称"], corners, strict=True)]))
    return Built(path, corners, attributes=False, read={"layer": "waypoints"})


def _build_topojson(folder: Path, gdf: gpd.GeoDataFrame) -> Built:
    path = folder / "plots.topojson"
    path.write_text(topojson_document(gdf), encoding="utf-8")
    return Built(path, list(gdf.geometry))


def _build_vector(suffix: str) -> Callable[[Path, gpd.GeoDataFrame], Built]:
    def build(folder: Path, gdf: gpd.GeoDataFrame) -> Built:
        if suffix == ".shp":  # GBK: 项目名称 is 8 bytes (12 in UTF-8, cut at 10)
            path = shapefile(folder, gdf, encoding="GBK", cpg="GBK")
        elif suffix == ".fgb":  # without the spatial index, which reorders the features
            path = write(gdf, folder / "plots.fgb", layer_options={"SPATIAL_INDEX": "NO"})
        elif suffix == ".gdb":  # a FileGDB folder (GDAL >= 3.6 writes them); its polygon
            path = write(gdf, folder / "plots.gdb", driver="OpenFileGDB")  # type is multi
            return Built(path, [MultiPolygon([g]) for g in gdf.geometry])
        elif suffix == ".parquet":
            path = folder / "plots.parquet"
            gdf.to_parquet(path)
        elif suffix == ".gml":  # GDAL writes its .xsd beside it
            path = write(gdf, folder / "plots.gml", driver="GML")
        elif suffix == ".gdb":  # a FileGDB folder (field names laundered: 面积_亩_), whose
            path = write(gdf, folder / "plots.gdb", driver="OpenFileGDB", layer="plots")
            return Built(path, [MultiPolygon([g]) for g in gdf.geometry])  # polygons are multi
        elif suffix == ".kml":
            path = folder / "plots.kml"
            path.write_text(kml_document(gdf), encoding="utf-8")
        else:
            path = write(gdf, folder / f"plots{suffix}")
        return Built(path, list(gdf.geometry))
    return build


#: One builder per registry key: a source added to the registry needs one here
#: (``tests/test_io_registry.py`` fails until it has it).
BUILDERS: dict[str, Callable[[Path, gpd.GeoDataFrame], Built]] = {
    "shapefile": _build_vector(".shp"),
    "geopackage": _build_vector(".gpkg"),
    "geojson": _build_vector(".geojson"),
    "flatgeobuf": _build_vector(".fgb"),
    "filegdb": _build_vector(".gdb"),
    "kml": _build_vector(".kml"),
    "csv": _build_csv,
    "xlsx": _build_xlsx,
    "geoparquet": _build_vector(".parquet"),
    "dxf": _build_dxf,
    "jzd": _build_jzd,
    "gpx": _build_gpx,
    "gml": _build_vector(".gml"),
    "topojson": _build_topojson,
}
#: Registered sources that cannot be built in a test folder, and why.
NOT_BUILT = {"postgis": "server-backed: tests/test_store.py reads it from the throw-away "
                        "PostGIS server of tests/postgis_fixtures.py"}


__all__ = [
    "BUILDERS", "E40", "E41", "LAT", "LON", "N40", "N41", "NOT_BUILT",
    "Built", "Point", "bow_tie", "drop_last_dbf_record", "dxf_document", "dxf_lwpolyline",
    "dxf_polyline", "dxf_text", "esri_prj", "gk_plots", "gpkg_without_index", "gpx_document",
    "jzd_text", "kml_document",
    "lying_zip", "noted", "overflow_numeric", "patch_bytes", "plots_gdf", "ring_area_m2", "roads_gdf",
    "set_gpkg_bytes", "set_gpkg_geometry", "shapefile", "square", "topojson_document",
    "unclose_last_ring", "write",
    "zip_files", "zip_shapefile",
]
