"""Loading what GDAL reads (issue 13, the external-fixtures scan): every case built here.

The scan (``scripts/scan_fixtures.py``) ran county_gis over other projects' test files; each
kind of refusal it found that GDAL reads correctly has a test here, on small files written in
the test (never copies of those fixtures): GPX, GML, TopoJSON and FileGDB sources, a shapefile
without its ``.dbf`` (tests/test_io_safety.py), arcs in a GeoPackage, a TIN, a zip of two
shapefiles, a zipped FileGDB, and a declared CRS outside its area of use
(tests/test_io_crs.py).
"""

from __future__ import annotations

import json
import math
import os
import struct
import zipfile
from pathlib import Path

import pytest
import shapely
from pyproj import Geod

from county_gis import (
    LayerReadError,
    geodesic_area,
    geodesic_length,
    list_layers,
    read_layer,
    read_layers,
)
from io_corpus import (
    E40,
    LAT,
    LON,
    N40,
    gpx_document,
    plots_gdf,
    set_gpkg_geometry,
    shapefile,
    topojson_document,
    write,
    zip_files,
    zip_shapefile,
)

ENGINES = ["pyogrio", "fiona"]
GRS80 = Geod(ellps="GRS80")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- GPX: waypoints, tracks, times, encodings ---

TRACK = [(LON, LAT, "2024-05-01T08:00:00+08:00"), (LON, LAT + 0.01, "2024-05-01T00:10:00Z"),
         (LON + 0.01, LAT + 0.01, "2024-05-01T00:20:00Z")]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("encoding", ["UTF-8", "GB2312"])
def test_gpx_track_and_waypoints(tmp_path, engine, encoding):
    path = tmp_path / "巡护.gpx"
    path.write_bytes(gpx_document([("大板镇林场", LON, LAT)], tracks=[("甲路", TRACK)],
                                  encoding=encoding))
    before = _snapshot(tmp_path)
    assert list_layers(path) == {"waypoints": "Point", "routes": "LineString",
                                 "tracks": "MultiLineString", "route_points": "Point",
                                 "track_points": "Point"}
    waypoints = read_layer(path, layer="waypoints", engine=engine)
    assert waypoints["name"].tolist() == ["大板镇林场"]
    report = waypoints.attrs["load_report"]
    assert report.driver == "GPX" and report.encoding == encoding
    if encoding == "GB2312":  # GDAL's XML parser cannot: decoded here into a UTF-8 copy
        assert report.encoding_evidence.startswith("GPX is XML declaring GB2312, which GDAL's "
                                                   "XML parser does not read: decoded here as "
                                                   "GB18030")
    tracks = read_layer(path, layer="tracks", engine=engine, kind="road_rebuild")
    # 0.01 degree north then 0.01 degree east at 42.1 N: GRS80 geodesics, about 1,111 m + 826 m
    expected = (GRS80.inv(LON, LAT, LON, LAT + 0.01)[2]
                + GRS80.inv(LON, LAT + 0.01, LON + 0.01, LAT + 0.01)[2])
    assert geodesic_length(tracks, unit="m").iloc[0] == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(1111.0 + 826.0, abs=2.0)
    # GPX times are UTC: the +08:00 offset applied (08:00+08:00 is 00:00 UTC), not dropped
    points = read_layer(path, layer="track_points", engine=engine)
    assert [t.isoformat() for t in points["time"]] == [
        "2024-05-01T00:00:00+00:00", "2024-05-01T00:10:00+00:00", "2024-05-01T00:20:00+00:00"]
    [note] = points.attrs["load_report"].select("gpx.time")
    assert note.message == "'time': every value states its offset: converted to UTC " \
                           "(timezone-aware)"
    assert _snapshot(tmp_path) == before


def test_gpx_times_without_zone_are_utc_as_the_format_says(tmp_path):
    path = tmp_path / "t.gpx"
    path.write_bytes(gpx_document([], tracks=[("甲路", [(LON, LAT, "2024-05-01T08:00:00"),
                                                     (LON, LAT + 0.01, "2024-05-01T08:10:00Z")])]))
    points = read_layer(path, layer="track_points")
    assert [t.isoformat() for t in points["time"]] == ["2024-05-01T08:00:00+00:00",
                                                        "2024-05-01T08:10:00+00:00"]
    [note] = points.attrs["load_report"].select("gpx.time")
    assert note.severity.value == "assumption"
    assert note.message.startswith("1 of 2 'time' value(s) state no time zone: taken as UTC")


def test_gpx_needs_a_layer(tmp_path):
    path = tmp_path / "t.gpx"
    path.write_bytes(gpx_document([("a", LON, LAT)]))
    with pytest.raises(LayerReadError, match=r"t\.gpx has 5 layers \('waypoints', 'routes', "
                       r"'tracks', 'route_points', 'track_points'\); pass layer=\.\.\."):
        read_layer(path)


@pytest.mark.parametrize("suffix, driver", [(".gpx", "GPX"), (".gml", "GML"),
                                            (".topojson", "TopoJSON")])
def test_content_must_match_the_suffix(tmp_path, suffix, driver):
    geojson = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"名称": "a"},
        "geometry": {"type": "Point", "coordinates": [LON, LAT]}}]})
    path = tmp_path / f"plots{suffix}"
    path.write_text(geojson, encoding="utf-8")
    with pytest.raises(LayerReadError, match=rf"plots\{suffix}: the file is named '\{suffix}' "
                       rf"but its content is GeoJSON, not {driver}; give it the suffix of "
                       "what it holds"):
        read_layer(path)
    path.write_bytes(b"\x00\x01 not a data file")
    with pytest.raises(LayerReadError, match=rf"named '\{suffix}' but GDAL's {driver} driver "
                       r"cannot open it \(damaged, empty or another format\)"):
        list_layers(path)


# --- GML: read from a temporary copy, the folder untouched ---

@pytest.mark.parametrize("engine", ENGINES)
def test_gml_without_schema_leaves_the_folder_as_it_was(tmp_path, engine):
    # GDAL's GML driver writes a .gfs schema beside a GML that has none: never beside ours
    path = write(plots_gdf(), tmp_path / "plots.gml", driver="GML")
    path.with_suffix(".xsd").unlink()
    before = _snapshot(tmp_path)
    gdf = read_layer(path, engine=engine, kind="afforestation")
    assert gdf["name"].tolist() == ["扎兰营子造林", "大板镇抚育", "福兴地补播"]
    assert gdf["stated_area_mu"].tolist() == [15.0, 30.5, 7.25]
    assert list_layers(path) == {"plots": "Polygon"}
    assert _snapshot(tmp_path) == before  # no plots.gfs
    report = gdf.attrs["load_report"]
    assert report.encoding == "utf-8" and report.crs_decision.startswith("EPSG:4490")


# --- TopoJSON ---

def test_topojson_shared_arcs_rebuild_the_polygons(tmp_path):
    path = tmp_path / "plots.topojson"
    path.write_text(topojson_document(plots_gdf()), encoding="utf-8")
    gdf = read_layer(path, kind="afforestation")
    assert gdf["project_id"].tolist() == ["ZL-01", "ZL-02", "ZL-03"]
    # 0.01 x 0.01 degree at 42.1 N: about 1,113 m x 826 m = 919,300 m² each
    assert geodesic_area(gdf, unit="m2").tolist() == pytest.approx([919_300.0] * 3, rel=1e-3)
    assert gdf.attrs["load_report"].crs_decision.startswith("EPSG:4490")  # no CRS: inferred


# --- FileGDB: a .gdb folder, and zipped ---

@pytest.mark.parametrize("engine", ENGINES)
def test_filegdb_folder_and_zipped(tmp_path, engine):
    gdb = write(plots_gdf(), tmp_path / "造林.gdb", driver="OpenFileGDB", layer="造林")
    write(plots_gdf().iloc[:1], gdb, driver="OpenFileGDB", layer="抚育", append=False)
    assert list_layers(gdb) == {"造林": "MultiPolygon", "抚育": "MultiPolygon"}
    archive = zip_files(tmp_path / "造林.gdb.zip", {
        f"造林.gdb/{p.name}": p.read_bytes() for p in gdb.iterdir()})
    assert list_layers(archive) == {"造林": "MultiPolygon", "抚育": "MultiPolygon"}
    for source in (gdb, archive):
        layers = read_layers(source, engine=engine)
        assert {k: len(v) for k, v in layers.items()} == {"造林": 3, "抚育": 1}
        assert layers["造林"]["stated_area_mu"].tolist() == [15.0, 30.5, 7.25]
        assert layers["造林"].attrs["load_report"].driver == "OpenFileGDB"


def test_a_folder_named_gdb_that_is_none_is_refused(tmp_path):
    folder = tmp_path / "plots.gdb"
    folder.mkdir()
    (folder / "readme.txt").write_text("not a geodatabase", encoding="utf-8")
    with pytest.raises(LayerReadError, match=r"plots\.gdb: the folder is named '\.gdb' but "
                       r"GDAL's OpenFileGDB driver cannot open it"):
        read_layer(folder)


# --- arcs (curve polygons) and TINs ---

def _circle_wkb(x: float, y: float, r: float) -> bytes:
    """ISO WKB of a CurvePolygon: one full circle of radius ``r`` as a CircularString (start,
    opposite point, start)."""
    ring = struct.pack("<BII", 1, 8, 3) + struct.pack("<6d", x - r, y, x + r, y, x - r, y)
    return struct.pack("<BII", 1, 10, 1) + ring


@pytest.mark.parametrize("engine", ENGINES)
def test_curve_polygon_read_as_segments_and_noted(tmp_path, engine):
    # a round plot of radius 100 m in zone 40 (EPSG:4549). GDAL approximates the arc by 90
    # segments of 4 degrees: the 90-gon's area is 45 r² sin 4° = 31,390.4 m² (planar), 0.08 %
    # short of the circle's 31,415.9 m². The geodesic area differs from the planar one by the
    # zone's scale factor at 100 km from its central meridian (1.000123², -0.025 %)
    import geopandas as gpd

    path = tmp_path / "round.gpkg"
    frame = gpd.GeoDataFrame({"名称": ["圆地", "方地"]}, crs="EPSG:4549", geometry=[
        shapely.Point(E40, N40).buffer(100.0),
        shapely.box(E40 + 500, N40, E40 + 600, N40 + 100)])
    # a layer of any geometry type (GEOMETRY), its first plot then made a true circle
    write(frame, path, layer="round", geometry_type="Unknown",
          layer_options={"SPATIAL_INDEX": "NO"})
    set_gpkg_geometry(path, "round", 1, _circle_wkb(E40, N40, 100.0), srs_id=4549)
    gdf = read_layer(path, engine=engine, kind="afforestation")
    planar = 45 * 100.0**2 * math.sin(math.radians(4))
    assert planar == pytest.approx(31_390.4, abs=0.1)
    area = geodesic_area(gdf, unit="m2").to_numpy()
    assert area[0] == pytest.approx(planar / 1.000123**2, rel=2e-5)
    assert area[1] == pytest.approx(10_000.0 / 1.000123**2, rel=2e-5)
    notes = gdf.attrs["load_report"].select("geometry.linearised")
    assert [(n.fid, n.severity.value) for n in notes] == [(1, "warning")]
    assert notes[0].message.startswith("CurvePolygon (arcs): GDAL approximated each arc by "
                                       "straight segments")


def test_tin_read_as_its_triangles(tmp_path):
    # a FileGDB multipatch comes as a TIN; shapely cannot build one: its triangles as polygons
    from county_gis.io._geometry import surfaces_as_polygons

    triangle = [(LON, LAT), (LON + 0.01, LAT), (LON, LAT + 0.01), (LON, LAT)]
    tri = struct.pack("<BII", 1, 17, 1) + struct.pack("<I", 4) + b"".join(
        struct.pack("<2d", *p) for p in triangle)
    tin = struct.pack("<BII", 1, 16, 2) + tri + tri
    assert shapely.from_wkb(surfaces_as_polygons(tin)).equals(
        shapely.MultiPolygon([shapely.Polygon(triangle)] * 2))
    assert surfaces_as_polygons(shapely.Point(1, 2).wkb) is None


# --- a zip holding two shapefiles: two layers ---

@pytest.mark.parametrize("engine", ENGINES)
def test_zip_of_two_shapefiles_gives_two_layers(tmp_path, engine):
    plots = plots_gdf()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = shapefile(tmp_path / "a", plots, name="造林", encoding="GBK", cpg="GBK")
    second = shapefile(tmp_path / "b", plots.iloc[1:], name="抚育", encoding="GBK", cpg="GBK")
    parts = {p.name: p.read_bytes() for shp in (first, second)
             for p in shp.parent.glob(f"{shp.stem}.*")}
    archive = zip_files(tmp_path / "两个.zip", parts)
    before = _snapshot(tmp_path)
    assert list_layers(archive) == {"抚育": "Polygon", "造林": "Polygon"}
    layers = read_layers(archive, engine=engine)
    assert {k: v["name"].tolist() for k, v in layers.items()} == {
        "抚育": ["大板镇抚育", "福兴地补播"], "造林": ["扎兰营子造林", "大板镇抚育", "福兴地补播"]}
    [note] = layers["抚育"].attrs["load_report"].select("source.archive")
    assert note.message.startswith("read 抚育.shp from the archive (")
    with pytest.raises(LayerReadError, match=r"两个\.zip holds 2 data files \(抚育\.shp, "
                       r"造林\.shp\) with the layers '抚育', '造林'; pass layer=\.\.\. or read "
                       r"them all with read_layers\(\)"):
        read_layer(archive)
    with pytest.raises(LayerReadError, match=r"两个\.zip: no layer '道路' in its data files "
                       r"\(抚育\.shp, 造林\.shp\); its layers: '抚育', '造林'"):
        read_layer(archive, layer="道路")
    assert _snapshot(tmp_path) == before


def test_zip_of_one_shapefile_needs_no_layer(tmp_path):
    shp = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="GBK")
    archive = zip_shapefile(tmp_path / "plots.zip", shp)
    assert len(read_layer(archive)) == 3
    assert not os.path.exists(tmp_path / "plots.gfs")


def test_zip_members_with_the_same_layer_refused(tmp_path):
    shp = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="GBK")
    parts = {f"{d}/{p.name}": p.read_bytes() for d in ("2023", "2024")
             for p in shp.parent.glob(f"{shp.stem}.*")}
    archive = zip_files(tmp_path / "years.zip", parts)
    with pytest.raises(LayerReadError, match=r"years\.zip: plots\.shp and plots\.shp both hold "
                       r"a layer 'plots'; extract the archive and read them one by one"):
        read_layers(archive)
    assert zipfile.is_zipfile(archive)


# --- FlatGeobuf signed bytes: GDAL's Arrow stream reads them unsigned ---

@pytest.mark.parametrize("engine", ENGINES)
def test_flatgeobuf_byte_column_keeps_its_sign(tmp_path, engine):
    # GDAL never writes a Byte (int8) column: write a Bool column holding True, then make it a
    # Byte column holding 0xFF (-1) in the bytes: Column.type 2 -> 0, the value 0x01 -> 0xFF
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"flag": [True]}, geometry=[shapely.Point(LON, LAT)], crs=4490)
    path = write(frame, tmp_path / "byte.fgb", layer_options={"SPATIAL_INDEX": "NO"})
    data = bytearray(path.read_bytes())
    name = data.index(b"flag") - 4  # the string's length prefix
    [table] = [t for t in range(name - 64, name - 8) if data[t + 7] == 2
               and data[t + 8:t + 12] == struct.pack("<I", name - (t + 8))]
    data[table + 7] = 0  # ColumnType Byte
    value = data.index(struct.pack("<I", 3) + b"\x00\x00\x01")  # properties: column 0, 0x01
    data[value + 6] = 0xFF
    path.write_bytes(bytes(data))
    import pyogrio

    assert pyogrio.read_arrow(path)[1].column("flag").to_pylist() == [255]  # GDAL's Arrow
    assert pyogrio.read_dataframe(path)["flag"].tolist() == [-1]  # GDAL's feature interface
    assert read_layer(path, engine=engine)["flag"].tolist() == [-1]


def test_cli_inspects_and_measures_a_filegdb_folder(tmp_path):
    from click.testing import CliRunner

    from county_gis.cli import main

    gdb = write(plots_gdf(), tmp_path / "造林.gdb", driver="OpenFileGDB", layer="造林")
    result = CliRunner().invoke(main, ["inspect", str(gdb), "--json"])
    assert result.exit_code == 0, result.output
    [layer] = json.loads(result.output)["layers"]
    assert (layer["layer"], layer["driver"], layer["feature_count"]) == ("造林", "OpenFileGDB", 3)
    result = CliRunner().invoke(main, ["measure", str(gdb), "--unit", "亩"])
    assert result.exit_code == 0, result.output
    # each 0.01 x 0.01 degree plot at 42.1 N: 918,753 m² = 1,378.130 亩 (tests/test_io_registry.py
    # checks the same plots against pyproj)
    assert "扎兰营子造林" in result.output and "1,378.130" in result.output
    assert "4,134.389" in result.output
