"""The source registry (issue 11): every registered format reads the same canonical layer.

The parameters are the registry itself (``ALL_SOURCES``, as pyogrio's ``conftest.py`` takes
``ALL_EXTS``): a source added to ``county_gis.io.SOURCES`` joins these tests, and fails them
until ``tests/io_corpus.py`` has a builder for it.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from county_gis import (
    ConfigError,
    LayerReadError,
    geodesic_area,
    list_layers,
    read_layer,
    read_layers,
)
from county_gis.io import SOURCES, Format, Source, _sources, source_for
from county_gis.io._engines import RawLayer
from io_corpus import BUILDERS, NOT_BUILT, Built, plots_gdf, write

ALL_SOURCES = [s.key for s in SOURCES]
BUILT = [k for k in ALL_SOURCES if k not in NOT_BUILT]
ENGINES = ["pyogrio", "fiona"]
NAMES = ["扎兰营子造林", "大板镇抚育", "福兴地补播"]
GRS80 = Geod(ellps="GRS80")


def _geodesic_m2(geom: object) -> float:
    return abs(GRS80.geometry_area_perimeter(geom)[0])


def check_canonical(gdf, built: Built, source: Source) -> None:
    """What every source must give for the canonical layer (plots_gdf)."""
    report = gdf.attrs["load_report"]
    assert gdf.crs.to_epsg() == 4490
    assert len(gdf) == report.feature_count == 3
    assert report.driver == source.name
    assert report.encoding is not None and report.encoding_evidence
    assert report.crs_decision and report.crs_evidence
    assert {"kind", "status", "source_fid"} <= set(gdf.columns)
    assert gdf[built.name_field].tolist() == NAMES
    expected = np.array(built.geometry, dtype=object)
    got = gdf.geometry.to_numpy()
    assert shapely.equals_exact(shapely.normalize(got), shapely.normalize(expected),
                                tolerance=1e-9).all(), (got, expected)
    if expected[0].geom_type == "Polygon":
        # 0.01 deg x 0.01 deg at 42.1 N: about 1,113 m x 826 m = 919,000 m2 (1,379 亩);
        # measured by county_gis and, independently, by pyproj on the expected geometry
        areas = geodesic_area(gdf, unit="m2").to_numpy()
        assert areas == pytest.approx([_geodesic_m2(g) for g in expected], rel=1e-9)
        assert areas == pytest.approx([919_300.0] * 3, rel=1e-3)
    if built.attributes:
        assert gdf["project_id"].tolist() == ["ZL-01", "ZL-02", "ZL-03"]
        assert gdf["status"].tolist() == ["completed", "under_construction", "planned"]
        assert gdf["stated_area_mu"].tolist() == [15.0, 30.5, 7.25]


def test_every_source_is_tested_or_says_why_not():
    assert set(BUILDERS) | set(NOT_BUILT) == set(ALL_SOURCES)
    assert not set(BUILDERS) & set(NOT_BUILT)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("key", BUILT)
def test_canonical_layer_in_every_format(tmp_path, key, engine):
    source = next(s for s in SOURCES if s.key == key)
    built = BUILDERS[key](tmp_path, plots_gdf())
    assert source_for(built.path) is source
    assert list_layers(built.path)
    gdf = read_layer(built.path, engine=engine, **built.read)
    check_canonical(gdf, built, source)


@pytest.mark.parametrize("key", BUILT)
def test_unknown_source_option_refused_with_the_allowed_list(tmp_path, key):
    source = next(s for s in SOURCES if s.key == key)
    built = BUILDERS[key](tmp_path, plots_gdf())
    allowed = ", ".join(f"{k} \\({t.__name__}\\)" for k, t in source.options.items()) or "none"
    with pytest.raises(ConfigError, match=f"option 'simplify' is not one of the {source.name} "
                       f"source's options: {allowed}; drop it"):
        read_layer(built.path, options={"simplify": True})


def test_format_enum_is_derived_from_the_registry():
    assert [f.value for f in Format] == [s.name for s in SOURCES]
    assert Format.SHAPEFILE.value == "ESRI Shapefile" and Format.DXF.value == "DXF"


def test_suffix_lookup_ignores_case_and_lists_what_is_supported():
    assert source_for("宗地.DXF").key == "dxf"
    assert source_for(Path("a/b.GeoJSON")).key == "geojson"
    with pytest.raises(LayerReadError, match=r"plots\.dwg: unknown format '\.dwg'; supported: "
                       r"\.csv, \.dxf, \.fgb, \.gdb, \.geojson, \.geoparquet, \.gml, \.gpkg, "
                       r"\.gpx, \.json, \.kml, \.kmz, \.parquet, \.shp, \.topojson, \.txt, "
                       r"\.xlsx, \.zip, postgres://, postgresql://"):
        source_for("plots.dwg")
    with pytest.raises(LayerReadError, match=r"unknown URL scheme 'https://'"):
        read_layer("https://example.org/plots.geojson")


def test_postgis_url_is_the_postgis_source_and_needs_table_or_query():
    url = "postgresql://gis:secret@localhost:5432/county"
    assert source_for(url).key == source_for("postgres://gis@h/db").key == "postgis"
    with pytest.raises(ConfigError) as info:
        read_layer(url)
    assert str(info.value) == ("postgresql://gis@localhost:5432/county: a PostGIS source needs "
                               "table = \"schema.name\" or query = \"SELECT ...\" (one of them; "
                               "neither given)")
    with pytest.raises(ConfigError, match=r"option 'layer_name' is not one of the PostGIS "
                       r"source's options: table \(str\), query \(str\)"):
        read_layer(url, options={"layer_name": "x"})


# --- a demo source: one function pair + one registry line, and the same suite reads it ---

def _demo_layers(path: Path) -> dict[str, str]:
    return {path.stem: "Point"}


def _demo_read(path: Path, request: _sources.ReadRequest) -> RawLayer:
    """``name;lon;lat`` per line, UTF-8."""
    rows = [line.split(";") for line in path.read_text(encoding="utf-8").splitlines() if line]
    request.report.encoding, request.report.encoding_evidence = "UTF-8", "demo: UTF-8"
    wkb = np.array([shapely.Point(float(x), float(y)).wkb for _, x, y in rows], dtype=object)
    return RawLayer(attributes=pd.DataFrame({"名称": [r[0] for r in rows]}), wkb=wkb,
                    fids=np.arange(len(rows), dtype=np.int64), crs_wkt="EPSG:4490",
                    driver="Demo", geometry_type="Point")


def test_a_new_source_is_one_function_pair_and_one_registry_line(tmp_path, monkeypatch):
    demo = Source("demo", "Demo", (".pts",), _demo_layers, _demo_read, "points, UTF-8 text")
    monkeypatch.setattr(_sources, "SOURCES", (*SOURCES, demo))
    gdf = plots_gdf()
    corners = [shapely.Point(g.bounds[0], g.bounds[1]) for g in gdf.geometry]
    path = tmp_path / "plots.pts"
    path.write_text("".join(f"{n};{p.x};{p.y}\n" for n, p in zip(NAMES, corners, strict=True)),
                    encoding="utf-8")
    assert list_layers(path) == {"plots": "Point"}
    check_canonical(read_layer(path), Built(path, corners, attributes=False), demo)


# --- reading from memory: bytes and binary file objects ---

@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb"])
def test_bytes_and_file_objects_read_like_the_file(tmp_path, suffix):
    path = write(plots_gdf(), tmp_path / f"plots{suffix}")
    from_file = read_layer(path)
    data = path.read_bytes()
    for given in (data, io.BytesIO(data), memoryview(data)):
        gdf = read_layer(given)
        pd.testing.assert_frame_equal(gdf, from_file)
        report = gdf.attrs["load_report"]
        assert report.source == f"<{len(data)} bytes>" or report.source == "<file object>"
        [note] = report.select("source.memory")
        assert f"recognised as {report.driver} by their first bytes" in note.message
    with open(path, "rb") as handle:
        assert read_layer(handle).attrs["load_report"].source == str(path)


def test_read_layers_from_a_file_object_reads_every_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    write(plots_gdf(), path, layer="甲")
    write(plots_gdf(), path, layer="乙")
    with open(path, "rb") as handle:
        layers = read_layers(handle)
    assert {k: len(v) for k, v in layers.items()} == {"甲": 3, "乙": 3}


def test_unknown_bytes_and_text_mode_refused(tmp_path):
    with pytest.raises(LayerReadError, match=r"<7 bytes>: the bytes start b'PK\\x03\\x04abc', "
                       r"which is none of the formats read from memory \(GPKG, GeoJSON, "
                       r"FlatGeobuf, GeoParquet\); save them to a file with its suffix"):
        read_layer(b"PK\x03\x04abc")
    path = tmp_path / "p.geojson"
    path.write_text("{}", encoding="utf-8")
    with open(path, encoding="utf-8") as handle, pytest.raises(
            LayerReadError, match=r"the file object gave str, not bytes; open the file in "
                                  r"binary mode \('rb'\)"):
        read_layer(handle)
