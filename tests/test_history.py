# ruff: noqa: F811  (pytest fixtures imported from project_fixtures)
"""county_gis.history: snapshots, as-of, changes, 序时进度, lamps, bureau updates, trend, CLI."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from county_gis import load_project, progress, progress_details
from county_gis.analysis import trend
from county_gis.cli import main
from county_gis.errors import ConfigError
from county_gis.history import (
    Lamp,
    LampInput,
    LampRules,
    apply_update,
    as_of,
    changes,
    expected_pct,
    gap_points,
    light,
    list_snapshots,
    snapshot,
    state_at,
)
from county_gis.project import Project
from county_gis.report import write_report
from county_gis.targets import Measure, Target, load_targets
from county_gis.vocabulary import LayerKind
from project_fixtures import bundled_project, write_tiny_project  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:4490"
#: a 0.01° × 0.01° plot at 42 °N: 1,380.27 亩 (see county_gis.__init__)
PLOT_MU = 1380.27
PV = Target("pv", "新增装机1000千瓦", "七", Measure.SUM, "千瓦", 1000.0, 2023,
            kinds=(LayerKind.PV_STATION,), field="capacity_kw")
ROADS = Target("roads", "修路", "六", Measure.LENGTH, "公里", 20.0, 2023,
               kinds=(LayerKind.ROAD_REBUILD,))


def _pv_project(statuses: dict[str, str], capacity: dict[str, float]) -> Project:
    ids = list(statuses)
    stations = gpd.GeoDataFrame(
        {"project_id": ids, "kind": "pv_station", "status": [statuses[i] for i in ids],
         "capacity_kw": [capacity[i] for i in ids]},
        geometry=[Point(121.6 + 0.01 * n, 42.0) for n in range(len(ids))], crs=CRS)
    return Project.from_layers({"pv": stations}, targets=[PV])


# ---- 序时进度: the published arithmetic ---------------------------------------------------------

def test_the_published_arithmetic_of_schedule_points():
    # 74 % done after 8 months: 8/12 = 66.67 % expected, +7.33 points ahead
    assert expected_pct(PV, "2023-08-31") == pytest.approx(100 * 8 / 12)
    assert round(gap_points(74.0, PV, "2023-08-31"), 2) == 7.33
    # 97.2 % after 10 months: 83.33 % expected, +13.87 points
    assert round(gap_points(97.2, PV, "2023-10-31"), 2) == 13.87


def test_the_arithmetic_through_the_history(tmp_path):
    # 740 of 1000 kW completed at the end of August, 972 at the end of October
    store = tmp_path / "h.gpkg"
    snapshot(_pv_project({"A": "completed", "B": "planned"}, {"A": 740.0, "B": 232.0}),
             "2023-08-31", store=store)
    snapshot(_pv_project({"A": "completed", "B": "completed"}, {"A": 740.0, "B": 232.0}),
             "2023-10-31", store=store)
    project = _pv_project({"A": "planned", "B": "planned"}, {"A": 0.0, "B": 0.0})
    t = trend(project, store=store)
    rows = t.series("pv")
    assert rows["pct_completed"].tolist() == pytest.approx([74.0, 97.2])
    assert rows["expected_pct"].round(2).tolist() == [66.67, 83.33]
    assert rows["gap"].round(2).tolist() == [7.33, 13.87]
    assert rows["added"].tolist() == pytest.approx([740.0, 232.0])  # 本期新增
    assert rows["lamp"].tolist() == ["green", "green"]
    assert progress(as_of(project, "2023-09-15", store=store)).loc[0, "completed"] == 740.0


def test_schedule_curve_and_milestones_from_the_targets_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("""
[[targets]]
id = "trees"
title = "造林"
section = "七"
measure = "area"
unit = "亩"
value = 100
year = 2023
kinds = ["afforestation"]
schedule = [0, 0, 10, 30, 45, 50, 52, 55, 65, 85, 95, 100]

[[targets]]
id = "mines"
title = "复绿"
section = "七"
measure = "area"
unit = "亩"
value = 10
year = 2023
kinds = ["mine_restoration"]
milestones = { "2023-06-30" = 40, "2023-12-31" = 100 }
""", encoding="utf-8")
    trees, mines = load_targets(path)
    assert expected_pct(trees, "2023-04-30") == 30.0
    assert expected_pct(trees, "2023-10-31") == 85.0
    assert expected_pct(mines, "2023-06-30") == 40.0
    assert expected_pct(mines, "2023-12-31") == 100.0
    # half-way between the milestones in days: 40 + 60 * 92/184
    assert expected_pct(mines, "2023-09-30") == pytest.approx(40 + 60 * 92 / 184)
    bad = path.read_text(encoding="utf-8").replace("schedule = [0, 0, 10", "schedule = [0, 20, 10")
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"#1 \(trees\): schedule was \[0, 20, 10.*never "
                                          r"decreasing"):
        load_targets(path)


def test_the_bundled_targets_keep_linear_schedules_but_the_illustrative_curve():
    targets = {t.id: t for t in load_targets()}
    assert targets["afforestation"].schedule[9] == 85.0
    assert targets["rural_roads"].schedule == () and targets["rural_roads"].milestones == ()


# ---- lamps ----------------------------------------------------------------------------------

def _lamps(gaps, rules, started=None, first_month=1):
    started = started or [True] * len(gaps)
    steps = [LampInput(first_month + i, g, s) for i, (g, s) in enumerate(
        zip(gaps, started, strict=True))]
    return [lamp.value for lamp in light(steps, rules)]


def test_points_preset_is_stateless():
    rules = LampRules.parse({"preset": "points"})
    gaps = [-5.0, -10.0, -30.0, -30.5, -12.0, -9.9, 4.0]
    assert _lamps(gaps, rules) == ["green", "yellow", "yellow", "red", "yellow", "green",
                                   "green"]
    # each lamp depends on its own month only: the reversed series gives reversed lamps
    assert _lamps(gaps[::-1], rules) == _lamps(gaps, rules)[::-1]


def test_three_months_without_starting_is_red():
    rules = LampRules.parse({"preset": "points"})
    assert _lamps([0.0, 0.0, 0.0, 0.0], rules, started=[False, False, False, True]) == [
        "green", "green", "red", "green"]
    off = LampRules.parse({"preset": "points", "not_started_months": False})
    assert _lamps([0.0, 0.0, 0.0], off, started=[False] * 3) == ["green"] * 3


def test_catch_up_preset_depends_on_history():
    rules = LampRules.parse({"preset": "catch_up"})
    # red stays red while 10–30 points behind (points would say yellow) ...
    assert _lamps([-35.0, -20.0, -12.0], rules) == ["red", "red", "red"]
    # ... turns yellow on catching up, and green a month later if still on schedule
    assert _lamps([-35.0, -5.0, -2.0], rules) == ["red", "yellow", "green"]
    assert _lamps([-35.0, -5.0, -40.0], rules) == ["red", "yellow", "red"]
    # the same inputs after a yellow month give green at once: the previous lamp matters
    assert _lamps([-15.0, -5.0], rules) == ["yellow", "green"]
    assert _lamps([-35.0, -5.0], LampRules.parse({"preset": "points"})) == ["red", "green"]


def test_lamp_rules_are_configurable_and_checked():
    rules = LampRules.parse({"preset": "points", "yellow_behind": 5, "red_behind": 15})
    assert _lamps([-4.0, -5.0, -15.0, -15.1], rules) == ["green", "yellow", "yellow", "red"]
    with pytest.raises(ConfigError, match=r"\[history.lamps\] unknown key\(s\) amber; allowed: "
                                          r"preset, not_started_months, red_behind"):
        LampRules.parse({"amber": 3})
    with pytest.raises(ConfigError, match=r"red_behind \(5.0\) must not be less than "
                                          r"yellow_behind \(10.0\)"):
        LampRules.parse({"red_behind": 5})
    assert Lamp.parse("红灯") is Lamp.RED and Lamp.RED.label == "红灯"


# ---- the store ------------------------------------------------------------------------------

def _plots(rows) -> Project:
    plots = gpd.GeoDataFrame(
        {"project_id": [r[0] for r in rows], "kind": "afforestation",
         "status": [r[1] for r in rows], "name": [f"地块{r[0]}" for r in rows]},
        geometry=[box(121.6 + 0.1 * n, 42.0, 121.6 + 0.1 * n + r[2], 42.01)
                  for n, r in enumerate(rows)], crs=CRS)
    return Project.from_layers({"plots": plots}, targets=[])


def test_unchanged_features_cost_nothing(tmp_path):
    store = tmp_path / "h.gpkg"
    state = _plots([("A", "planned", 0.01), ("B", "planned", 0.01)])
    assert snapshot(state, "2023-01-31", store=store).n_versions == 2
    size = store.stat().st_size
    second = snapshot(state, "2023-02-28", store=store)
    assert (second.n_versions, second.n_features) == (0, 2)
    with sqlite3.connect(store) as con:
        assert con.execute("SELECT count(*) FROM versions").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM geometries").fetchone()[0] == 2
    assert store.stat().st_size == size
    # a status change adds one version and no geometry
    snapshot(_plots([("A", "completed", 0.01), ("B", "planned", 0.01)]), "2023-03-31",
             store=store)
    with sqlite3.connect(store) as con:
        assert con.execute("SELECT count(*) FROM versions").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM geometries").fetchone()[0] == 2
        closed = con.execute("SELECT key, valid_from, valid_to FROM versions WHERE valid_to "
                             "IS NOT NULL").fetchall()
    assert closed == [("plots/A", "2023-01-31", "2023-03-31")]


def test_the_store_is_a_geopackage_and_append_only(tmp_path):
    store = tmp_path / "h.gpkg"
    snapshot(_plots([("A", "planned", 0.01)]), "2023-05-31", store=store)
    geoms = pyogrio.read_dataframe(store, layer="geometries")
    assert geoms.crs.to_epsg() == 4490 and len(geoms) == 1
    assert geoms.geometry.iloc[0].equals(box(121.6, 42.0, 121.61, 42.01))
    with pytest.raises(ConfigError, match=r"a snapshot at 2023-04-30 cannot be added to .*h.gpkg: "
                                          r"the last snapshot is at 2023-05-31 and the history "
                                          r"is append-only; use a later date \(--date"):
        snapshot(_plots([("A", "completed", 0.01)]), "2023-04-30", store=store)
    with pytest.raises(ConfigError, match="the last snapshot is at 2023-05-31"):
        snapshot(_plots([("A", "completed", 0.01)]), "2023-05-31", store=store)
    # the same state at the same date: nothing to add, nothing written
    again = snapshot(_plots([("A", "planned", 0.01)]), "2023-05-31", store=store)
    assert again.id == 1 and len(list_snapshots(store=store)) == 1
    with pytest.raises(ConfigError, match=r"as_of was 2023-01-01 but the history in .* starts "
                                          r"at 2023-05-31"):
        state_at(None, "2023-01-01", store=store)
    with pytest.raises(ConfigError, match=r"as_of was '31/10/2023' but must be a date like "
                                          r"2023-10-31"):
        state_at(None, "31/10/2023", store=store)


def test_a_project_without_a_store_is_told_how_to_make_one(tiny_project_dir):
    project = load_project(tiny_project_dir)
    with pytest.raises(ConfigError, match=r"no history store at .*history.gpkg; record one first "
                                          r"with county-gis snapshot PROJECT --date"):
        progress(project, as_of="2023-10-31")


def test_changes_with_their_mu_deltas(tmp_path):
    store = tmp_path / "h.gpkg"
    snapshot(_plots([("A", "planned", 0.01), ("B", "planned", 0.01), ("D", "planned", 0.01)]),
             "2023-09-30", store=store)
    snapshot(_plots([("A", "completed", 0.01), ("B", "planned", 0.02), ("C", "planned", 0.01)]),
             "2023-10-31", store=store)
    table = changes(None, since="2023-09-30", store=store).set_index("project_id")
    assert table["change"].to_dict() == {"A": "restatused", "B": "reshaped", "C": "added",
                                         "D": "removed"}
    assert table.loc["A", "delta_mu"] == 0.0
    assert table.loc["B", "area_mu_before"] == pytest.approx(PLOT_MU, abs=0.01)
    # twice as wide: twice the area (to 1e-6 on the ellipsoid)
    assert table.loc["B", "delta_mu"] == pytest.approx(PLOT_MU, rel=1e-4)
    assert table.loc["C", "delta_mu"] == pytest.approx(PLOT_MU, abs=0.01)
    assert table.loc["D", "delta_mu"] == pytest.approx(-PLOT_MU, abs=0.01)
    assert table.loc["D", "status_after"] is None
    # default: the last snapshot against the one before
    assert len(changes(None, store=store)) == 4


# ---- as-of: the acceptance on the bundled project -------------------------------------------

def _build_history():
    spec = importlib.util.spec_from_file_location("build_history",
                                                  ROOT / "scripts" / "build_history.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NUMBERS = ["planned", "under_construction", "completed", "pct_completed", "outside",
           "n_features"]


def test_as_of_every_month_equals_a_recomputation_from_that_months_snapshot(bundled_project):
    months = _build_history().month_states(bundled_project)
    snaps = list_snapshots(bundled_project)
    assert [s.date for s in snaps] == [day for day, _ in months]
    assert all(s.synthetic and "合成" in s.label for s in snaps)
    for day, state in months:
        alone = progress_details(state).table
        recorded = progress_details(bundled_project, as_of=day).table
        pd.testing.assert_frame_equal(recorded[NUMBERS], alone[NUMBERS], rtol=1e-9, atol=1e-9)
        assert recorded["notes"].fillna("").tolist() == alone["notes"].fillna("").tolist()
        assert recorded["target_id"].tolist() == alone["target_id"].tolist()
    # December is the project as loaded
    pd.testing.assert_frame_equal(progress(bundled_project, as_of="latest")[NUMBERS],
                                  progress(bundled_project)[NUMBERS], rtol=1e-9, atol=1e-9)


def test_the_bundled_trend_shows_lamps(bundled_project):
    t = trend(bundled_project)
    assert len(t.dates) == 12 and t.synthetic
    last = t.latest().set_index("target_id")
    assert set(last["lamp"]) == {"green", "yellow", "red"}
    assert last.loc["pv_capacity", "pct_completed"] == pytest.approx(680000 / 6000)
    # the gap is % done minus 序时进度, and 本期新增 adds up to the year's completed amount
    assert (t.table["gap"] == t.table["pct_completed"] - t.table["expected_pct"]).all()
    roads = t.series("rural_roads")
    assert roads["added"].sum() == pytest.approx(roads["completed"].iloc[-1])


# ---- updates from a bureau's sheet ----------------------------------------------------------

@pytest.fixture
def tiny_project_dir(tmp_path) -> Path:
    return write_tiny_project(tmp_path).parent


def _sheet(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "10月进度.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    return path


def test_update_reports_unknown_duplicate_and_regression_and_changes_nothing_else(
        tiny_project_dir, tmp_path):
    project = load_project(tiny_project_dir)
    snapshot(project, "2023-09-30")
    before = state_at(project, None)
    sheet = _sheet(tmp_path, [
        {"项目编号": "P3", "状态": "完工", "面积(亩)": 2760.5, "X": 1},       # applied
        {"项目编号": "ZZ-9", "状态": "完工", "面积(亩)": None, "X": 2},       # unknown id
        {"项目编号": "S2", "状态": "完工", "面积(亩)": None, "X": 3},         # duplicate id
        {"项目编号": "S2", "状态": "在建", "面积(亩)": None, "X": 4},
        {"项目编号": "R1", "状态": "在建", "面积(亩)": None, "X": 5},         # 完工 → 在建
    ])
    result = apply_update(project, sheet, date="2023-10-31")
    assert result.problems[["row", "project_id", "problem"]].values.tolist() == [
        [3, "ZZ-9", "unknown_id"], [4, "S2", "duplicate_id"], [6, "R1", "status_regression"]]
    assert result.problems.loc[2, "detail"] == (
        "10月进度.xlsx#6: (状态) 完工 → 在建 (completed → under_construction) goes back; "
        "correct the sheet, or change the layer itself if the work was undone")
    assert result.applied[["project_id", "column", "before", "after"]].values.tolist() == [
        ["P3", "status", "under_construction", "completed"],
        ["P3", "stated_area_mu", None, 2760.5]]
    assert result.ignored_columns == ["X"]
    after = state_at(project, None)
    for layer, frame in before.items():  # nothing else changed, geometry never
        other = after[layer]
        assert other.geometry.equals(frame.geometry)
        keep = frame["project_id"] != "P3"
        pd.testing.assert_frame_equal(other[keep], frame[keep])
    plots = after["plots"].set_index("project_id")
    assert plots.loc["P3", "status"] == "completed"
    assert [s.source for s in list_snapshots(project)] == ["snapshot", "update:10月进度.xlsx"]
    # re-applying the same sheet changes nothing: no value, no version, no snapshot
    with sqlite3.connect(tiny_project_dir / "history.gpkg") as con:
        versions = con.execute("SELECT count(*) FROM versions").fetchone()[0]
    again = apply_update(project, sheet, date="2023-10-31")
    assert len(again.applied) == 0 and again.snapshot is None
    assert again.problems["problem"].tolist() == ["unknown_id", "duplicate_id",
                                                  "status_regression"]
    with sqlite3.connect(tiny_project_dir / "history.gpkg") as con:
        assert con.execute("SELECT count(*) FROM versions").fetchone()[0] == versions
    assert len(list_snapshots(project)) == 2
    # progress as of the update counts P3 as completed; as of September not
    sept = progress(project, as_of="2023-09-30").set_index("target_id")
    octo = progress(project, as_of="2023-10-31").set_index("target_id")
    assert octo.loc["afforestation", "completed"] > sept.loc["afforestation", "completed"]


def test_update_needs_its_key_column(tiny_project_dir, tmp_path):
    project = load_project(tiny_project_dir)
    sheet = _sheet(tmp_path, [{"编码": "P3", "状态": "完工"}])
    with pytest.raises(ConfigError, match=r"the update sheet has no key column '项目编号'; its "
                                          r"columns are 编码, 状态; name the key with --key"):
        apply_update(project, sheet, date="2023-10-31")
    result = apply_update(project, sheet, date="2023-10-31", key="编码", write=False)
    assert result.applied["after"].tolist() == ["completed"] and result.snapshot is None


# ---- CLI ------------------------------------------------------------------------------------

def test_cli_snapshot_update_and_progress_as_of(tiny_project_dir, tmp_path):
    runner = CliRunner()
    project = str(tiny_project_dir)
    out = runner.invoke(main, ["snapshot", project, "--date", "2023-09-30"])
    assert out.exit_code == 0, out.output
    assert "snapshot 1 at 2023-09-30" in out.output and "10 new version(s)" in out.output
    sheet = _sheet(tmp_path, [{"项目编号": "P3", "状态": "完工"},
                              {"项目编号": "NOPE", "状态": "完工"}])
    out = runner.invoke(main, ["update", project, "--from", str(sheet), "--date", "2023-10-31"])
    assert out.exit_code == 2, out.output
    assert "problem [unknown_id 编号不存在] 10月进度.xlsx#3: 项目编号 'NOPE' matches no feature" \
        in out.output
    assert "1 value(s) changed, 1 problem(s) held back" in out.output
    out = runner.invoke(main, ["update", project, "--from", str(sheet), "--date", "2023-10-31"])
    assert "nothing changed (1 problem(s)); no snapshot written" in out.output
    report = tmp_path / "p.xlsx"
    out = runner.invoke(main, ["progress", project, "--as-of", "2023-10-31", "--out",
                               str(report), "--charts", str(tmp_path / "charts")])
    assert out.exit_code == 0, out.output
    assert "截至 2023-10-31" in out.output and "序时进度与红黄绿灯" in out.output
    from openpyxl import load_workbook

    book = load_workbook(report)
    assert book.sheetnames[:3] == ["目标进度", "灯号", "趋势"]
    header = [c.value for c in book["灯号"][1]]
    assert header[:3] == ["日期", "目标编号", "目标"] and "灯号" in header
    assert sorted(p.name for p in (tmp_path / "charts").iterdir())[0] == "trend_afforestation.png"
    out = runner.invoke(main, ["snapshot", project, "--date", "2023-08-31"])
    assert out.exit_code == 1 and "append-only" in out.output


def test_report_trend_views_in_markdown(tmp_path):
    store = tmp_path / "h.gpkg"
    snapshot(_pv_project({"A": "completed"}, {"A": 740.0}), "2023-08-31", store=store)
    project = _pv_project({"A": "planned"}, {"A": 0.0})
    t = trend(project, store=store)
    out = write_report(progress_details(project), tmp_path / "r.md", trend=t)
    text = out.read_text(encoding="utf-8")
    # text cells are Markdown-escaped (a date's "-" included): they render as written
    assert "## 灯号" in text and "| 2023\\-08\\-31 | pv | 新增装机1000千瓦 | 千瓦 | 1,000.00 | 740.00 | " \
        "74.0 | 66.67 | +7.33 | 740.00 | 绿灯 |" in text


def test_as_of_keeps_everything_but_the_layers(tmp_path):
    store = tmp_path / "h.gpkg"
    snapshot(_plots([("A", "planned", 0.01)]), dt.date(2023, 3, 31), store=store)
    project = _plots([("A", "completed", 0.02), ("B", "planned", 0.01)])
    past = as_of(project, "2023-04-01", store=store)
    assert past.targets == project.targets and past.name == project.name
    plots = past.layers["plots"]
    assert plots["status"].tolist() == ["planned"] and plots.crs.to_epsg() == 4490
    assert list(plots.columns[:4]) == list(project.layers["plots"].columns[:4])
    assert np.isclose(plots.geometry.iloc[0].area, 1e-4)
