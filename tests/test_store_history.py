"""The history in PostGIS: push_history / pull_history against the real test server.

The server is tests/postgis_fixtures.py's throw-away cluster: these tests fail, never skip,
when it cannot start.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from county_gis import ConfigError, CRSError, DataError, Project, load_project, progress_details
from county_gis.analysis import trend
from county_gis.cli import main
from county_gis.history import as_of, changes, list_snapshots, snapshot
from county_gis.store import pull_history, push_history
from postgis_fixtures import kill_9_at_commit, rows

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "layers" / "history.gpkg"
TABLES = {"snapshots": "id", "layer_schemas": "snapshot, layer", "geometries": "fid",
          "versions": "id"}


_rows = rows


def _gpkg(path: Path, table: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY {TABLES[table]}").fetchall()


def _counts(url: str, schema: str) -> dict[str, int]:
    return {t: _rows(url, f'SELECT count(*) FROM "{schema}".history_{t}')[0][0] for t in TABLES}


@pytest.fixture(scope="module")
def pushed(postgis_url, tmp_path_factory):
    """The bundled project's synthetic history pushed into schema 阜新_历史 and pulled back."""
    project = load_project()
    done = push_history(project, postgis_url, schema="阜新_历史")
    copy = pull_history(postgis_url, schema="阜新_历史",
                        out=tmp_path_factory.mktemp("pull") / "副本.gpkg")
    return project, done, copy


def test_push_history_writes_keyed_typed_indexed_tables(pushed, postgis_url):
    url = postgis_url
    _, done, _ = pushed
    table = done.table().set_index("table")
    assert table.loc["阜新_历史.history_snapshots", "inserted"] == len(_gpkg(BUNDLED, "snapshots"))
    assert table.loc["阜新_历史.history_versions", "inserted"] == len(_gpkg(BUNDLED, "versions"))
    assert table.loc["阜新_历史.history_geometries", "inserted"] == len(
        _gpkg(BUNDLED, "geometries"))
    assert (table["closed"] == 0).all() and (table["unchanged"] == 0).all()
    kinds = _rows(url, "SELECT type, srid FROM geometry_columns WHERE f_table_schema = '阜新_历史'"
                       " AND f_table_name = 'history_geometries'")
    assert kinds == [("GEOMETRY", 4490)]
    gist = _rows(url, "SELECT count(*) FROM pg_indexes WHERE schemaname = '阜新_历史' AND "
                      "tablename = 'history_geometries' AND indexdef LIKE '%USING gist (geom)%'")
    assert gist == [(1,)]
    keys = dict(_rows(url, "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM "
                           "pg_constraint WHERE contype = 'p' AND connamespace = "
                           "'阜新_历史'::regnamespace"))
    assert keys['"阜新_历史".history_versions'] == "PRIMARY KEY (id)"
    assert keys['"阜新_历史".history_geometries'] == "PRIMARY KEY (geom_hash)"
    types = dict(_rows(url, "SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = '阜新_历史' AND table_name = 'history_versions'"))
    assert types["valid_from"] == types["valid_to"] == "date"
    # Chinese text round-trips: labels, names in the attributes
    labels = [r[0] for r in _rows(url, 'SELECT label FROM "阜新_历史".history_snapshots ORDER BY id')]
    assert labels[0] == "2023年1月 (合成示例)"
    # the view: every version with its geometry, open versions = the features of December
    open_now = _rows(url, 'SELECT count(*), count(geom) FROM "阜新_历史".history_features '
                          "WHERE valid_to IS NULL")[0]
    assert open_now[0] == list_snapshots(load_project())[-1].n_features


def test_pull_history_gives_the_geopackage_back_row_for_row(pushed):
    _, _, copy = pushed
    for table in TABLES:
        assert _gpkg(copy, table) == _gpkg(BUNDLED, table), table


def test_history_functions_give_identical_results_from_the_postgis_copy(pushed):
    project, _, copy = pushed
    for day in ("2023-03-31", "2023-06-15", "2023-10-31", "latest"):
        ours, theirs = as_of(project, day), as_of(project, day, store=copy)
        assert list(ours.layers) == list(theirs.layers)
        for key in ours.layers:
            pd.testing.assert_frame_equal(theirs.layers[key], ours.layers[key], check_exact=True)
        pd.testing.assert_frame_equal(progress_details(theirs).table,
                                      progress_details(ours).table, check_exact=True)
    pd.testing.assert_frame_equal(changes(None, since="2023-05-31", until="2023-09-30",
                                          store=copy),
                                  changes(project, since="2023-05-31", until="2023-09-30"),
                                  check_exact=True)
    moved = dataclasses.replace(project, sections={
        **project.sections, "history": {**project.sections["history"], "store": str(copy)}})
    pd.testing.assert_frame_equal(trend(moved).table, trend(project).table, check_exact=True)


def test_pushing_again_changes_nothing_and_a_new_snapshot_adds_exactly_its_rows(
        postgis_url, tmp_path):
    store = tmp_path / "history.gpkg"
    shutil.copyfile(BUNDLED, store)
    first = push_history(None, postgis_url, schema="again", store=store)
    assert first.changed == sum(len(_gpkg(BUNDLED, t)) for t in TABLES)
    assert push_history(None, postgis_url, schema="again", store=store).changed == 0
    # January 2024: one plot completed, one school gone
    project = load_project()
    layers = dict(project.layers)
    plots = layers["afforestation"].copy()
    row = plots.index[plots["status"] != "completed"][0]
    plots.loc[row, "status"] = "completed"
    layers["afforestation"] = plots
    layers["school"] = layers["school"].iloc[1:]
    snap = snapshot(dataclasses.replace(project, layers=layers), "2024-01-31", store=store,
                    label="2024年1月")
    assert snap.n_versions == 1
    before = _counts(postgis_url, "again")
    done = push_history(None, postgis_url, schema="again", store=store)
    table = done.table().set_index("table")[["inserted", "closed"]]
    assert table.to_dict("index") == {
        "again.history_snapshots": {"inserted": 1, "closed": 0},
        "again.history_geometries": {"inserted": 0, "closed": 0},
        "again.history_layer_schemas": {"inserted": len(layers), "closed": 0},
        "again.history_versions": {"inserted": 1, "closed": 2}}
    after = _counts(postgis_url, "again")
    assert after["versions"] == before["versions"] + 1
    assert _rows(postgis_url, "SELECT count(*) FROM again.history_versions WHERE valid_to = "
                              "'2024-01-31'") == [(2,)]
    copy = pull_history(postgis_url, schema="again", out=tmp_path / "copy.gpkg")
    for table_name in TABLES:
        assert _gpkg(copy, table_name) == _gpkg(store, table_name)
    assert push_history(None, postgis_url, schema="again", store=store).changed == 0


def _tiny_history(folder: Path) -> Path:
    store = folder / "other.gpkg"
    plots = gpd.GeoDataFrame({"project_id": ["A1"], "kind": ["afforestation"],
                              "status": ["planned"]},
                             geometry=[box(121.6, 42.0, 121.61, 42.01)], crs="EPSG:4490")
    snapshot(Project.from_layers({"plots": plots}, targets=[]), "2023-01-31", store=store)
    return store


def test_another_history_in_the_schema_is_refused_and_nothing_is_written(postgis_url,
                                                                         tmp_path):
    push_history(None, postgis_url, schema="mixed", store=_tiny_history(tmp_path))
    before = _counts(postgis_url, "mixed")
    with pytest.raises(ConfigError, match=r"schema mixed holds another history than .*history"
                       r"\.gpkg \(history_snapshots 1 differs; .*\); nothing was written\. Push "
                       r"to another --schema"):
        push_history(None, postgis_url, schema="mixed", store=BUNDLED)
    assert _counts(postgis_url, "mixed") == before
    with psycopg.connect(postgis_url) as conn:
        conn.execute("CREATE SCHEMA srid; CREATE TABLE srid.history_geometries "
                     "(geom_hash text PRIMARY KEY, fid integer NOT NULL UNIQUE, "
                     "geom geometry(Geometry, 4326))")
        conn.execute("CREATE SCHEMA foreign_t; CREATE TABLE foreign_t.history_snapshots "
                     "(id integer, what text)")
    with pytest.raises(CRSError, match=r"srid\.history_geometries: the table is "
                       r"geometry\(geometry,4326\) but county_gis keeps the history in "
                       r"EPSG:4490 \(CGCS2000\); push to another --schema"):
        push_history(None, postgis_url, schema="srid", store=BUNDLED)
    with pytest.raises(ConfigError, match=r"foreign_t\.history_snapshots exists but is not a "
                       r"county_gis history table \(columns id integer, what text; expected"):
        push_history(None, postgis_url, schema="foreign_t", store=BUNDLED)
    assert _rows(postgis_url, "SELECT count(*) FROM information_schema.tables WHERE "
                              "table_schema = 'srid'") == [(1,)]  # nothing created


def test_pull_refuses_a_schema_without_history_and_a_tampered_geometry(postgis_url, tmp_path):
    with pytest.raises(ConfigError, match=r"schema nohistory holds no history "
                       r"\(history_snapshots missing\); push one with county-gis store "
                       r"push-history PROJECT URL --schema nohistory"):
        pull_history(postgis_url, schema="nohistory", out=tmp_path / "x.gpkg")
    push_history(None, postgis_url, schema="tampered", store=_tiny_history(tmp_path))
    with psycopg.connect(postgis_url) as conn:
        conn.execute("UPDATE tampered.history_geometries SET geom = "
                     "ST_Translate(geom, 0.001, 0)")
    with pytest.raises(DataError, match=r"tampered\.history_geometries#1: the geometry does not "
                       r"match its hash [0-9a-f]{40}"):
        pull_history(postgis_url, schema="tampered", out=tmp_path / "y.gpkg")
    assert not (tmp_path / "y.gpkg").exists()


def test_cli_push_history_and_pull_history(postgis_url, tmp_path):
    runner = CliRunner()
    first = runner.invoke(main, ["store", "push-history", str(ROOT / "layers"), postgis_url,
                                 "--schema", "cli_history"])
    assert first.exit_code == 0, first.output
    assert "history_versions" in first.output
    again = runner.invoke(main, ["store", "push-history", str(ROOT / "layers"), postgis_url,
                                 "--schema", "cli_history"])
    assert again.exit_code == 0 and "0 rows changed" in again.output, again.output
    out = tmp_path / "历史.gpkg"
    pulled = runner.invoke(main, ["store", "pull-history", postgis_url, str(out),
                                  "--schema", "cli_history"])
    assert pulled.exit_code == 0, pulled.output
    assert _gpkg(out, "versions") == _gpkg(BUNDLED, "versions")
    refused = runner.invoke(main, ["store", "pull-history", postgis_url, str(out),
                                   "--schema", "cli_history"])
    assert refused.exit_code == 1 and "--overwrite" in refused.output


_KILLED_PUSH = """
from county_gis.store import push_history

push_history(None, sys.argv[1], schema="killed_history", store=sys.argv[3])
"""


def test_kill_9_during_a_history_push_leaves_the_tables_as_they_were(postgis_url, tmp_path):
    store = tmp_path / "history.gpkg"
    shutil.copyfile(BUNDLED, store)
    push_history(None, postgis_url, schema="killed_history", store=store)
    project = load_project()
    layers = dict(project.layers)
    layers["school"] = layers["school"].iloc[2:]  # two versions to close, one snapshot to add
    snapshot(dataclasses.replace(project, layers=layers), "2024-01-31", store=store)
    before = _counts(postgis_url, "killed_history")
    kill_9_at_commit(postgis_url, "county_gis.history.postgis", _KILLED_PUSH,
                     tmp_path / "ready", str(store))
    assert _counts(postgis_url, "killed_history") == before
    assert _rows(postgis_url, "SELECT count(*) FROM killed_history.history_versions WHERE "
                              "valid_to = '2024-01-31'") == [(0,)]
    done = push_history(None, postgis_url, schema="killed_history", store=store)
    assert done.table()["closed"].sum() == 2 and done.table()["inserted"].iloc[0] == 1
