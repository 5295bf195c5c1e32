"""The PostGIS store and source against a real server (tests/postgis_fixtures.py).

These tests FAIL when the server cannot start (they never skip): ``bash dev.sh test``
installs PostgreSQL and PostGIS from Debian packages.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, box

from county_gis import (
    ConfigError,
    CRSError,
    GeometryError,
    LayerReadError,
    Project,
    geodesic_area,
    geodesic_length,
    load_project,
    read_layer,
    read_layers,
    write_layer,
)
from county_gis.cli import main
from county_gis.errors import LayerWriteError
from county_gis.store import engine, push
from postgis_fixtures import kill_9_at_commit, rows

ROOT = Path(__file__).resolve().parents[1]
GPKG = ROOT / "layers" / "fumeng.gpkg"


_rows = rows


def _digest(url: str, table: str) -> tuple:
    """Row count and an md5 over every row (geometry as EWKB) — 'the table as it was'."""
    return _rows(url, f"SELECT count(*), md5(coalesce(string_agg(t::text || "
                      f"encode(ST_AsEWKB(t.geom), 'hex'), ',' ORDER BY feature_id), '')) "
                      f"FROM {table} t")[0]


def _plots(n: int = 3, *, names: list[str] | None = None) -> gpd.GeoDataFrame:
    geoms = [box(121.60 + 0.01 * i, 42.0, 121.605 + 0.01 * i, 42.005) for i in range(n)]
    return gpd.GeoDataFrame(
        {"project_id": [f"ZL-{i}" for i in range(n)], "kind": ["afforestation"] * n,
         "status": ["completed"] * n, "name": names or [f"造林地块{i}" for i in range(n)],
         "stated_area_mu": [1.5 * i for i in range(n)], "source_fid": list(range(1, n + 1))},
        geometry=geoms, crs="EPSG:4490")


@pytest.fixture(scope="module")
def bundled(postgis_url: str) -> tuple[str, Project, object]:
    """The bundled project pushed once into schema fumeng_2023."""
    project = load_project()
    result = push(project, postgis_url, schema="fumeng_2023")
    return postgis_url, project, result


def test_push_writes_typed_indexed_keyed_tables_with_lineage(bundled):
    url, project, result = bundled
    table = result.table().set_index("layer")
    assert table.loc["road_rebuild", "inserted"] == len(project.layers["road_rebuild"]) == 144
    assert table["created"].all() and (table["updated"] == 0).all()
    assert result.changed == sum(len(f) for f in project.layers.values())
    kinds = dict(_rows(url, "SELECT f_table_name, type || ', ' || srid FROM geometry_columns "
                            "WHERE f_table_schema = 'fumeng_2023'"))
    assert kinds["road_rebuild"] == "MULTILINESTRING, 4490"
    assert kinds["afforestation"] == "MULTIPOLYGON, 4490"
    assert kinds["school"] == "MULTIPOINT, 4490"
    gist = _rows(url, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'fumeng_2023' AND "
                      "tablename = 'road_rebuild' AND indexdef LIKE '%USING gist (geom)%'")
    assert len(gist) == 1
    key = _rows(url, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' "
                     "AND conrelid = 'fumeng_2023.road_rebuild'::regclass")
    assert key == [("PRIMARY KEY (feature_id)",)]
    first = _rows(url, "SELECT feature_id, source_file, source_layer, source_fid, "
                       "loaded_at IS NOT NULL FROM fumeng_2023.road_rebuild ORDER BY source_fid "
                       "LIMIT 1")[0]
    fid = int(project.layers["road_rebuild"]["source_fid"].min())
    assert first == (f"fumeng.gpkg:road_rebuild#{fid}", "fumeng.gpkg", "road_rebuild", fid, True)


def test_repeated_push_changes_zero_rows_and_keeps_load_times(bundled):
    url, _, _ = bundled
    before = _rows(url, "SELECT max(loaded_at), count(*) FROM fumeng_2023.afforestation")
    again = push(load_project(), url, schema="fumeng_2023")
    assert again.changed == 0
    assert {t.unchanged for t in again.tables if t.layer == "afforestation"} == {113}
    assert _rows(url, "SELECT max(loaded_at), count(*) FROM fumeng_2023.afforestation") == before


def test_one_changed_feature_updates_one_row(postgis_url):
    plots = _plots()
    push(Project.from_layers({"plots": plots}, targets=[]), postgis_url, schema="upsert")
    changed = plots.copy()
    changed.loc[1, "status"] = "planned"
    result = push(Project.from_layers({"plots": changed}, targets=[]), postgis_url,
                  schema="upsert")
    assert (result.tables[0].inserted, result.tables[0].updated,
            result.tables[0].unchanged) == (0, 1, 2)
    assert _rows(postgis_url, "SELECT status FROM upsert.plots ORDER BY source_fid") == [
        ("completed",), ("planned",), ("completed",)]
    fewer = push(Project.from_layers({"plots": changed.iloc[:2]}, targets=[]), postgis_url,
                 schema="upsert")
    assert fewer.tables[0].absent == 1 and fewer.changed == 0


def test_geodesic_areas_and_lengths_equal_st_area_of_geography(bundled):
    url, _, _ = bundled
    for table, measure, ours in (("afforestation", "ST_Area", geodesic_area),
                                 ("road_rebuild", "ST_Length", geodesic_length)):
        layer = read_layer(url, options={"table": f"fumeng_2023.{table}"})
        server = dict(_rows(url, f"SELECT source_fid, {measure}(geom::geography) "
                                 f"FROM fumeng_2023.{table}"))
        expected = np.array([server[int(f)] for f in layer["source_fid"]])
        measured = ours(layer, unit="平方米" if measure == "ST_Area" else "米").to_numpy()
        assert len(measured) > 100
        np.testing.assert_allclose(measured, expected, rtol=1e-9, atol=0)
        planar = dict(_rows(url, f"SELECT source_fid, ST_Area(geom) FROM fumeng_2023.{table}"))
        if measure == "ST_Area":  # square degrees: the number the store never reports as area
            assert max(planar.values()) < 1e-3 < expected.min()


def test_engine_serves_geopandas_read_postgis(bundled):
    url, project, _ = bundled
    frame = gpd.read_postgis("SELECT source_fid, geom FROM fumeng_2023.afforestation "
                             "ORDER BY source_fid", engine(url), geom_col="geom")
    assert frame.crs.to_epsg() == 4490 and len(frame) == 113
    ours = project.layers["afforestation"].sort_values("source_fid")
    assert shapely.get_coordinates(frame.geometry.values).tolist() == \
        shapely.get_coordinates(ours.geometry.values).tolist()


def test_round_trip_gpkg_postgis_gpkg_is_identical(bundled, tmp_path):
    url, _, _ = bundled
    for layer in ("afforestation", "road_rebuild", "school"):
        original = read_layer(GPKG, layer=layer, kind=layer)
        stored = read_layer(url, options={"table": f"fumeng_2023.{layer}"})
        assert stored.attrs["load_report"].driver == "PostGIS"
        out = tmp_path / f"{layer}.gpkg"
        write_layer(stored.drop(columns=["source_fid"]), out, layer=layer)
        back = read_layer(out, layer=layer, kind=layer)
        assert len(back) == len(original)
        assert back["source_fid"].tolist() == list(range(1, len(original) + 1))
        own = [c for c in original.columns if c not in ("geometry", "source_fid")]
        pd.testing.assert_frame_equal(back[own].reset_index(drop=True),
                                      original[own].reset_index(drop=True), check_dtype=False)
        # the store holds Multi types: each feature comes back as its one-part Multi...,
        # coordinates bit for bit
        assert set(back.geom_type) == {"Multi" + t for t in set(original.geom_type)}
        parts = shapely.get_parts(back.geometry.values)
        assert len(parts) == len(original)
        assert shapely.to_wkb(parts).tolist() == shapely.to_wkb(original.geometry.values).tolist()


def test_chinese_names_and_columns_round_trip(postgis_url):
    names = ["阜新蒙古族自治县造林", "大巴镇 ‘旱改水’ <b>&", "𠀀扩展B区"]
    plots = _plots(names=names).assign(**{"乡镇名称(全称)": ["大巴镇", "王府镇", "蜘蛛山镇"]})
    push(Project.from_layers({"造林地块": plots}, targets=[]), postgis_url, schema="中文")
    back = read_layer(postgis_url, options={"table": "中文.造林地块"})
    assert back["name"].tolist() == names
    assert back["乡镇名称(全称)"].tolist() == ["大巴镇", "王府镇", "蜘蛛山镇"]


def test_crs_and_geometry_type_mismatches_are_refused_and_nothing_is_written(postgis_url):
    with psycopg.connect(postgis_url) as conn:
        conn.execute("CREATE SCHEMA mismatch; CREATE TABLE mismatch.roads "
                     "(feature_id text PRIMARY KEY, geom geometry(MultiLineString, 4326)); "
                     "CREATE TABLE mismatch.plots (feature_id text PRIMARY KEY, "
                     "geom geometry(MultiPoint, 4490))")
    roads = gpd.GeoDataFrame({"kind": ["road_rebuild"], "status": ["planned"]},
                             geometry=[LineString([(121.6, 42.0), (121.7, 42.0)])],
                             crs="EPSG:4490")
    early = _plots()
    with pytest.raises(CRSError, match=r"mismatch\.roads: the table is "
                       r"geometry\(MULTILINESTRING, 4326\) but county_gis stores EPSG:4490 "
                       r"\(CGCS2000\); push to another --schema"):
        push(Project.from_layers({"early": early, "roads": roads}, targets=[]), postgis_url,
             schema="mismatch")
    # one transaction: the layer pushed before the refusal is not there either
    assert _rows(postgis_url, "SELECT to_regclass('mismatch.early')") == [(None,)]
    with pytest.raises(GeometryError, match=r"mismatch\.plots: the table holds MULTIPOINT but "
                       r"layer 'plots' is MULTIPOLYGON"):
        push(Project.from_layers({"plots": early}, targets=[]), postgis_url, schema="mismatch")
    with psycopg.connect(postgis_url) as conn:  # somebody else's table with a geom column
        conn.execute("CREATE TABLE mismatch.foreign (id int, geom geometry(MultiPolygon, 4490))")
    with pytest.raises(LayerWriteError, match=r"schema mismatch: PostgreSQL refused the push "
                       r"\(column \"feature_id\" .*\); nothing was written"):
        push(Project.from_layers({"foreign": early}, targets=[]), postgis_url, schema="mismatch")
    mixed = pd.concat([early, roads.assign(source_fid=[9])], ignore_index=True)
    with pytest.raises(GeometryError, match=r"<memory>:mixed: the layer mixes MULTILINESTRING, "
                       r"MULTIPOLYGON; a store table holds one geometry type"):
        push(Project.from_layers({"mixed": gpd.GeoDataFrame(mixed, crs="EPSG:4490")},
                                 targets=[]), postgis_url, schema="mismatch")


_KILLED_PUSH = """
import county_gis.store as store
from county_gis import load_project

project = load_project()
frame = project.layers["afforestation"]
frame["status"] = "planned"
frame["source_fid"] = frame["source_fid"] + 10_000  # new keys: inserts as well
project.layers["afforestation"] = frame
store.push(project, sys.argv[1], schema="killed")
"""


def test_kill_9_during_a_push_leaves_the_tables_as_they_were(postgis_url, tmp_path):
    push(load_project(), postgis_url, schema="killed")
    before = _digest(postgis_url, "killed.afforestation")

    def inside() -> None:  # the push is inside its transaction, rows written, not committed
        assert _rows(postgis_url, "SELECT count(*) FROM pg_stat_activity WHERE state = "
                                  "'idle in transaction'") == [(1,)]

    kill_9_at_commit(postgis_url, "county_gis.store", _KILLED_PUSH, tmp_path / "ready",
                     while_open=inside)
    assert _digest(postgis_url, "killed.afforestation") == before
    assert before[0] == 113


def test_project_toml_layer_from_postgis_converges_on_the_same_checks(bundled, tmp_path):
    url, project, _ = bundled
    (tmp_path / "project.toml").write_text(textwrap.dedent(f"""
        name = "store"
        targets = "bundled"
        [boundary]
        path = "{GPKG.as_posix()}"
        layer = "county_boundary"
        [layers.roads]
        path = "{url}"
        table = "fumeng_2023.road_rebuild"
        kind = "road_rebuild"
        [layers.done]
        path = "{url}"
        query = "SELECT * FROM fumeng_2023.afforestation WHERE status = 'completed'"
        kind = "afforestation"
    """), encoding="utf-8")
    loaded = load_project(tmp_path)
    assert len(loaded.layers["roads"]) == 144
    assert loaded.layers["roads"]["status"].tolist() == \
        project.layers["road_rebuild"]["status"].tolist()
    report = loaded.reports["roads"]
    assert (report.driver, report.layer, report.crs_decision) == (
        "PostGIS", "fumeng_2023.road_rebuild",
        "EPSG:4490 (China Geodetic Coordinate System 2000)")
    assert any(n.code == "postgis.lineage" for n in report.notes)
    expected = int((project.layers["afforestation"]["status"] == "completed").sum())
    assert len(loaded.layers["done"]) == expected > 0
    with pytest.raises(GeometryError, match=r"fumeng_2023\.road_rebuild"):  # kind is checked
        read_layer(url, options={"table": "fumeng_2023.road_rebuild"}, kind="afforestation")


def test_read_layers_reads_every_geometry_table(bundled):
    url, project, _ = bundled
    layers = read_layers(url)
    assert "fumeng_2023.road_rebuild" in layers
    assert len(layers["fumeng_2023.school"]) == len(project.layers["school"]) == 22
    assert len(read_layer(url, layer="fumeng_2023.afforestation")) == 113


def test_source_errors_name_the_table_and_say_the_fix(postgis_url):
    url = postgis_url.replace("postgres@", "postgres:secret@")
    with pytest.raises(LayerReadError, match=r'relation "nowhere.nothing" does not exist') as info:
        read_layer(url, options={"table": "nowhere.nothing"})
    assert "secret" not in str(info.value)
    with pytest.raises(LayerReadError, match=r"query: 0 geometry columns \(\) in the result "
                       r"\(x\); select exactly one"):
        read_layer(url, options={"query": "SELECT 1 AS x"})
    with pytest.raises(ConfigError, match=r"cannot connect to PostgreSQL"):
        read_layer("postgresql://postgres@127.0.0.1:1/none", options={"table": "a.b"})


def test_cli_store_push_prints_the_table_and_is_idempotent(postgis_url):
    runner = CliRunner()
    first = runner.invoke(main, ["store", "push", str(ROOT / "layers"), postgis_url,
                                 "--schema", "cli_push"])
    assert first.exit_code == 0, first.output
    assert "road_rebuild" in first.output and "144" in first.output
    again = runner.invoke(main, ["store", "push", str(ROOT / "layers"), postgis_url,
                                 "--schema", "cli_push"])
    assert again.exit_code == 0, again.output
    assert "0 rows changed" in again.output
    marked = CliRunner().invoke(main, ["store", "push", str(ROOT / "layers"), postgis_url,
                                       "--schema", "[red]x[/red]", "--layer", "school"])
    assert marked.exit_code == 0, marked.output
    assert "[red]x[/red].school" in marked.output  # rich markup in names stays text
    bad = runner.invoke(main, ["store", "push", str(ROOT / "layers"), postgis_url,
                               "--schema", "x" * 70])
    assert bad.exit_code == 1 and "--schema 'xxxx" in bad.output
