"""Geometry checks on load: unclosed rings, bow-ties, null / empty, mixed types, Z."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from county_gis import GeometryError, geodesic_area, geodesic_length, read_layer
from county_gis.io import Severity, split_by_geometry
from io_corpus import (
    E40,
    LAT,
    LON,
    N40,
    bow_tie,
    esri_prj,
    gpkg_without_index,
    ring_area_m2,
    roads_gdf,
    set_gpkg_geometry,
    shapefile,
    square,
    write,
)

ENGINES = ["pyogrio", "fiona"]


def _unclosed_geojson(path):
    ring = [[LON, LAT], [LON + 0.01, LAT], [LON + 0.01, LAT + 0.01], [LON, LAT + 0.01]]
    closed = [*ring, ring[0]]
    features = [
        {"type": "Feature", "properties": {"名称": "好"},
         "geometry": {"type": "Polygon", "coordinates": [closed]}},
        {"type": "Feature", "properties": {"名称": "未闭合"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("engine", ENGINES)
def test_unclosed_ring_closed_and_reported(tmp_path, engine):
    path = _unclosed_geojson(tmp_path / "plots.geojson")
    gdf = read_layer(path, engine=engine)
    report = gdf.attrs["load_report"]
    [note] = report.select("geometry.ring_closed")
    assert note.severity is Severity.REPAIR
    assert note.fid == 1
    assert "do not form a closed linestring" in note.message
    area = geodesic_area(gdf, unit="m2")
    assert area.iloc[1] == pytest.approx(area.iloc[0], rel=1e-12)
    assert (note.before, note.after, note.unit) == (None, pytest.approx(area.iloc[1]), "m2")
    # 0.01 x 0.01 degree at 42.105 N on GRS80: 1,110.75 m of meridian x 827.1 m of parallel
    assert note.after == pytest.approx(1110.75 * 827.1, rel=2e-4)


@pytest.mark.parametrize("engine", ENGINES)
def test_unclosed_ring_without_repair_names_the_feature(tmp_path, engine):
    path = _unclosed_geojson(tmp_path / "plots.geojson")
    with pytest.raises(GeometryError, match=r"plots\.geojson:plots: 1 feature\(s\) cannot be "
                       r"built \(.*closed linestring\): .*plots\.geojson:plots#1\. .*"
                       r"repair='close_rings'"):
        read_layer(path, engine=engine, repair="none")


def _bow_tie_layer(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["方块", "蝴蝶结"]},
                           geometry=[square(E40, N40, 200), bow_tie(E40 + 1000, N40, 200)])
    return shapefile(tmp_path, gdf, prj=esri_prj(4549))


def test_bow_tie_reported_not_repaired_by_default(tmp_path):
    gdf = read_layer(_bow_tie_layer(tmp_path))
    [note] = gdf.attrs["load_report"].select("geometry.invalid")
    assert note.fid == 1
    assert note.message.startswith("invalid geometry: Self-intersection[")
    # the invalid ring's signed parts cancel: 0.00995 m², not 20,000 m² (pyproj agrees);
    # measured as is only when asked for (by default it is NaN, see test_measure.py)
    area = geodesic_area(gdf, unit="m2", invalid="as_is").iloc[1]
    assert area == pytest.approx(0.00995, abs=1e-5)
    assert area == pytest.approx(ring_area_m2(gdf.geometry.iloc[1].exterior.coords), abs=1e-4)


def test_bow_tie_make_valid_with_area_before_after(tmp_path):
    gdf = read_layer(_bow_tie_layer(tmp_path), repair="all")
    [note] = gdf.attrs["load_report"].repairs
    assert note.code == "geometry.repaired" and note.fid == 1 and note.unit == "m2"
    assert note.before == pytest.approx(0.00995, abs=1e-5)
    # two triangles of 200 m x 100 m / 2 = 10,000 m² each in the zone plane ...
    planar = geodesic_area(gdf, unit="m2", method="gk")
    assert planar.iloc[1] == pytest.approx(20_000.0, abs=1e-3)
    assert planar.iloc[0] == pytest.approx(40_000.0, abs=1e-3)
    # ... and geodesically smaller by the zone scale factor squared at 100 km from the CM
    assert note.after == pytest.approx(20_000.0 / 1.000246, rel=2e-5)
    assert gdf.geometry.iloc[1].geom_type == "MultiPolygon"


def test_null_and_empty_listed(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a", "b", "c"]},
                           geometry=[Point(LON, LAT), None, Polygon()], crs=4490)
    path = write(gdf, tmp_path / "p.gpkg")
    out = read_layer(path)
    report = out.attrs["load_report"]
    assert [(n.code, n.fid) for n in report.problems] == [("geometry.null", 2),
                                                          ("geometry.empty", 3)]
    assert len(out) == 3


def test_polygon_in_road_layer_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"项目名称": ["路", "地块"]},
                           geometry=[LineString([(LON, LAT), (LON + 0.01, LAT)]),
                                     square(LON, LAT, 0.01)], crs=4490)
    path = write(gdf, tmp_path / "roads.gpkg")
    with pytest.raises(GeometryError, match=r"layer kind road_rebuild takes line geometries but "
                       r"1 feature\(s\) are 1 Polygon: .*roads\.gpkg:roads#2"):
        read_layer(path, kind="road")
    out = read_layer(path)  # without a kind: kept, reported as mixed, and split on demand
    [note] = out.attrs["load_report"].select("geometry.mixed_types")
    assert "1 LineString, 1 Polygon" in note.message
    parts = split_by_geometry(out)
    assert {k: v["name"].tolist() for k, v in parts.items()} == {"line": ["路"],
                                                                 "polygon": ["地块"]}
    # 0.01 degree of longitude at 42.1 N on GRS80: N cos(phi) x 0.01 x pi / 180 = 827.21 m
    assert geodesic_length(parts["line"], unit="m").iloc[0] == pytest.approx(827.21, abs=0.01)


def test_z_dropped_with_note(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"]},
                           geometry=[LineString([(LON, LAT, 300.0), (LON + 0.01, LAT, 350.0)])],
                           crs=4490)
    out = read_layer(write(gdf, tmp_path / "z.gpkg"))
    assert not out.geometry.has_z.any()
    [note] = out.attrs["load_report"].select("geometry.z_dropped")
    assert note.message.startswith("1 feature(s) have Z coordinates")


def test_road_lengths_in_the_plane(tmp_path):
    path = shapefile(tmp_path, roads_gdf(), prj=esri_prj(4549), encoding="GBK")
    gdf = read_layer(path, kind="road_rebuild")
    planar = geodesic_length(gdf, unit="km", method="gk")
    assert planar.tolist() == pytest.approx([1.0, 2.0], abs=1e-9)
    assert gdf["stated_length_km"].tolist() == [1.0, 2.0]
    assert gdf["kind"].tolist() == ["road_rebuild", "road_rebuild"]


@pytest.mark.parametrize("engine", ENGINES)
def test_unclosed_ring_in_shapefile(tmp_path, engine):
    from io_corpus import gk_plots, unclose_last_ring

    path = shapefile(tmp_path, gk_plots(40), prj=esri_prj(4549))
    unclose_last_ring(path)
    with pytest.raises(GeometryError, match=r"plots\.shp:plots#1\. Fix them in the source"):
        read_layer(path, engine=engine, repair="none")
    gdf = read_layer(path, engine=engine)
    [note] = gdf.attrs["load_report"].repairs
    assert (note.code, note.fid) == ("geometry.ring_closed", 1)
    # the last corner moved 5 m east; closing the ring adds the triangle (previous corner
    # 1,000 m away vertically, moved corner, start): 1,000² + 5 x 1,000 / 2 = 1,002,500 m²
    area = geodesic_area(gdf, unit="m2", method="gk").iloc[1]
    assert area == pytest.approx(1_002_500.0, abs=1e-3)


def _many_plots(tmp_path, n, *, bad=(), extra=None, crs=4490):
    """A GeoPackage of ``n`` small squares in ``crs`` (4490 or 4549, Gauss-Krüger zone 40);
    bow ties at ``bad``; a null geometry at 7, an empty one at 8."""
    x0, y0, dx, dy, side = ((LON, LAT, 1e-3, 1e-4, 5e-4) if crs == 4490
                            else (E40, N40, 100.0, 10.0, 50.0))
    places = [(x0 + (i % 100) * dx, y0 + (i // 100) * dy) for i in range(n)]
    geoms = [square(x, y, side) for x, y in places]
    for i in bad:
        geoms[i] = bow_tie(*places[i], side)
    geoms[7] = None
    geoms[8] = Polygon()
    columns = {"项目编号": [f"ZL-{i:06d}" for i in range(n)], **(extra or {})}
    gdf = gpd.GeoDataFrame(columns, geometry=geoms, crs=crs)
    return write(gdf, tmp_path / "plots.gpkg")


@pytest.mark.parametrize(("repair", "crs"), [("close_rings", 4490), ("all", 4490),
                                             ("close_rings", 4549)])
def test_chunked_checks_report_as_one_pass(tmp_path, monkeypatch, repair, crs):
    """Parsed in chunks with validity checked in a worker: the same layer and report, note for
    note, as parsing and checking the whole layer in one go (reprojected layers are checked
    again after the transformation)."""
    from county_gis.io import _geometry

    n = 3 * _geometry.PARSE_CHUNK + 17
    bad = (0, _geometry.PARSE_CHUNK - 1, _geometry.PARSE_CHUNK, 2 * _geometry.PARSE_CHUNK + 5,
           n - 1)
    path = _many_plots(tmp_path, n, bad=bad, crs=crs)
    chunked = read_layer(path, kind="afforestation", repair=repair)
    monkeypatch.setattr(_geometry.GeometryFacts, "THREADED", False)
    unthreaded = read_layer(path, kind="afforestation", repair=repair)
    monkeypatch.setattr(_geometry, "PARSE_CHUNK", 10 * n)
    whole = read_layer(path, kind="afforestation", repair=repair)
    notes = chunked.attrs["load_report"].notes
    assert notes == whole.attrs["load_report"].notes == unthreaded.attrs["load_report"].notes
    code = "geometry.repaired" if repair == "all" else "geometry.invalid"
    assert [note.fid for note in notes if note.code == code] == [b + 1 for b in bad]
    assert all("Self-intersection" in note.message for note in notes if note.code == code)
    assert chunked.geometry.geom_equals_exact(whole.geometry, 0).sum() == n - 1  # null != null
    assert chunked.geometry.isna().tolist() == whole.geometry.isna().tolist()


def test_geometry_notes_come_before_attribute_notes(tmp_path):
    path = _many_plots(tmp_path, 20, bad=(3,), extra={"面积": [1.0] * 20})
    report = read_layer(path, kind="afforestation").attrs["load_report"]
    codes = [note.code for note in report.notes]
    assert codes.index("geometry.invalid") < codes.index("field.unit_assumed")


def test_geometry_error_wins_over_a_refused_attribute_assumption(tmp_path):
    """The attributes are canonicalised while validity is being checked; an error they raise
    still comes after the geometry checks, as when they were canonicalised after them."""
    path = _many_plots(tmp_path, 20, extra={"面积": [1.0] * 20})
    with pytest.raises(ValueError, match="strict=True refuses assumptions"):
        read_layer(path, kind="afforestation", strict=True)
    with pytest.raises(GeometryError, match="layer kind road_rebuild takes line geometries"):
        read_layer(path, kind="road_rebuild", strict=True)


def test_bow_tie_plot_of_21600_square_metres(tmp_path):
    # a plot digitised with two corners swapped: 0.002 x 0.00235 degrees, two triangles
    x, y, a, b = LON, LAT, 0.002, 0.00235
    ring = [(x, y), (x + a, y + b), (x + a, y), (x, y + b), (x, y)]
    gdf = gpd.GeoDataFrame({"项目编号": ["ZL-9"]}, geometry=[Polygon(ring)], crs=4490)
    path = write(gdf, tmp_path / "plots.gpkg")
    kept = read_layer(path, kind="afforestation")
    # the rings as they are cancel (0.0); measurement refuses them unless asked
    assert geodesic_area(kept, unit="m2", invalid="as_is").iloc[0] == 0.0
    out = read_layer(path, kind="afforestation", repair="make_valid")
    centre = (x + a / 2, y + b / 2)
    right = ring_area_m2([centre, (x + a, y + b), (x + a, y), centre])
    left = ring_area_m2([(x, y + b), (x, y), centre, (x, y + b)])
    [note] = out.attrs["load_report"].repairs
    assert (note.before, note.unit) == (0.0, "m2")
    assert note.after == pytest.approx(abs(right) + abs(left), rel=1e-9)
    assert note.after == pytest.approx(21_591.98, abs=0.01)
    table = out.attrs["load_report"].to_frame()
    row = table[table["code"] == "geometry.repaired"].iloc[0]
    assert (row["fid"], row["before"], round(row["after"], 2)) == (1, 0.0, 21_591.98)
    assert geodesic_area(out, unit="亩").iloc[0] == pytest.approx(note.after * 15 / 10_000)


def test_m_values_dropped_with_a_note(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a", "b"]},
                           geometry=[LineString([(LON, LAT), (LON + 0.01, LAT)])] * 2, crs=4490)
    path = gpkg_without_index(gdf, tmp_path / "m.gpkg", "m")
    measured = shapely.from_wkt(f"LINESTRING M ({LON} {LAT} 0, {LON + 0.01} {LAT} 827.2)")
    set_gpkg_geometry(path, "m", 2, shapely.to_wkb(measured, flavor="iso"))
    out = read_layer(path)
    assert not shapely.has_m(out.geometry.to_numpy()).any()
    [note] = out.attrs["load_report"].select("geometry.z_dropped")
    assert note.message == "1 feature(s) have M coordinates; dropped (measurement is horizontal)"
    assert out.geometry.iloc[1].equals(LineString([(LON, LAT), (LON + 0.01, LAT)]))
    # fiona hands over GeoJSON-like geometries, which have no M: the same geometry comes out,
    # but fiona has dropped the M values before county_gis can see (and note) them
    other = read_layer(path, engine="fiona")
    assert other.geometry.geom_equals_exact(out.geometry, tolerance=0).all()
    assert other.attrs["load_report"].select("geometry.z_dropped") == []
