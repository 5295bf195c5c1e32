# ruff: noqa: F811  (pytest fixtures imported from project_fixtures)
"""Progress against targets: geodesic amounts, overlaps, townships, links, the bundled project.

Every expected amount is computed independently here with ``pyproj.Geod`` (GRS80), not with
county_gis.measure.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, box

from county_gis import progress, progress_details
from county_gis.analysis.townships import OUTSIDE
from county_gis.kinds import LayerKind
from county_gis.targets import Measure, Target
from project_fixtures import (  # noqa: F401  (fixtures)
    PLOTS,
    ROADS,
    bundled_project,
    tiny_project,
    tiny_project_file,
)

GEOD = Geod(ellps="GRS80")
MU = 10_000 / 15


def km(line: LineString) -> float:
    return GEOD.geometry_length(line) / 1000


def mu(polygon: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(polygon)[0]) / MU


def row(table: pd.DataFrame, target_id: str) -> pd.Series:
    return table.set_index("target_id").loc[target_id]


# --- the tiny project ------------------------------------------------------------------------

def test_road_lengths_are_geodesic_per_status(tiny_project):
    table = progress(tiny_project)
    roads = row(table, "rural_roads")
    # R1: 0.1° of longitude at 42.25 °N ≈ 111.32 km × cos(42.25°) × 0.1 ≈ 8.25 km
    assert roads["completed"] == pytest.approx(km(ROADS["R1"]), rel=1e-9)
    assert roads["completed"] == pytest.approx(8.2526, abs=1e-4)
    # R2: 0.08° of meridian near 42.25 °N ≈ 8.89 km
    assert roads["planned"] == pytest.approx(km(ROADS["R2"]), rel=1e-9)
    assert roads["planned"] == pytest.approx(8.8862, abs=1e-3)
    assert roads["under_construction"] == 0
    assert roads["n_features"] == 2
    assert roads["pct_completed"] == pytest.approx(100 * km(ROADS["R1"]) / 20)
    assert roads["unit"] == "公里" and roads["target_value"] == 20
    village = row(table, "village_roads")
    assert village["completed"] == pytest.approx(km(ROADS["R3"]), rel=1e-9)
    assert list(table.columns) == [
        "target_id", "title", "section", "measure", "unit", "target_value", "planned",
        "under_construction", "completed", "pct_completed", "n_features", "notes"]


def test_road_crossing_township_boundary_is_split(tiny_project):
    towns = progress(tiny_project, by="township")
    roads = towns[towns["target_id"] == "rural_roads"].set_index("township")
    assert sorted(roads.index) == ["东镇", "西乡"]
    # R1 is cut at 121.7 °E: half in each township; R2 lies in 西乡
    assert roads.loc["东镇", "completed"] == pytest.approx(km(ROADS["R1"]) / 2, rel=1e-9)
    assert roads.loc["西乡", "completed"] == pytest.approx(km(ROADS["R1"]) / 2, rel=1e-9)
    assert roads.loc["西乡", "planned"] == pytest.approx(km(ROADS["R2"]), rel=1e-9)
    assert roads.loc["东镇", "planned"] == 0
    assert roads.loc["西乡", "n_features"] == 2 and roads.loc["东镇", "n_features"] == 1


def test_township_rows_add_up_to_the_county_row(tiny_project):
    county = progress(tiny_project).set_index("target_id")
    towns = progress(tiny_project, by="township")
    sums = towns.groupby("target_id")[["planned", "under_construction", "completed"]].sum()
    for target_id, amounts in sums.iterrows():
        for status in ("planned", "under_construction", "completed"):
            assert amounts[status] == pytest.approx(county.loc[target_id, status], rel=1e-12,
                                                    abs=1e-12)
    assert "good_air_days" not in set(towns["target_id"])  # indicators have no townships


def test_overlapping_plots_count_once(tiny_project):
    details = progress_details(tiny_project)
    plots = row(details.table, "afforestation")
    shared = PLOTS["P1"].intersection(PLOTS["P2"])  # a 0.01° × 0.01° square
    union = mu(PLOTS["P1"]) + mu(PLOTS["P2"]) - mu(shared)
    assert plots["completed"] == pytest.approx(union, rel=1e-6)
    assert plots["completed"] < mu(PLOTS["P1"]) + mu(PLOTS["P2"]) - 300  # not double counted
    assert plots["under_construction"] == pytest.approx(mu(PLOTS["P3"]), rel=1e-6)
    assert plots["planned"] == pytest.approx(mu(PLOTS["P4"]), rel=1e-6)
    pairs = details.overlaps
    assert len(pairs) == 1
    pair = pairs.iloc[0]
    assert {pair["project_id_a"], pair["project_id_b"]} == {"P1", "P2"}
    assert pair["overlap"] == pytest.approx(mu(shared), rel=1e-6)
    # 0.01° × 0.01° at 42.225 °N: 0.824 km × 1.111 km = 0.916 km² ≈ 1,374 亩
    assert pair["overlap"] == pytest.approx(1374, abs=3)
    assert "1 对地块重叠" in plots["notes"] and "只计一次" in plots["notes"]


def test_overlap_between_statuses_counts_under_the_most_advanced():
    a = box(121.60, 42.20, 121.62, 42.22)
    b = box(121.61, 42.20, 121.63, 42.22)  # overlaps a by half
    plots = gpd.GeoDataFrame({"project_id": ["A", "B"], "kind": ["afforestation"] * 2,
                              "status": ["planned", "completed"]}, geometry=[a, b],
                             crs="EPSG:4490")
    target = Target("p", "造林", "七", Measure.AREA, "亩", 100.0, 2023,
                    kinds=(LayerKind.AFFORESTATION,))
    project = SimpleNamespace(layers={"plots": plots}, targets=[target], reports={},
                              townships=gpd.GeoDataFrame({"name": []}, geometry=[],
                                                         crs="EPSG:4490"))
    got = progress(project).iloc[0]
    assert got["completed"] == pytest.approx(mu(b), rel=1e-6)
    assert got["planned"] == pytest.approx(mu(a.difference(b)), rel=1e-6)
    assert got["planned"] + got["completed"] == pytest.approx(mu(a.union(b)), rel=1e-6)


def test_plot_crossing_township_boundary_is_intersected(tiny_project):
    towns = progress(tiny_project, by="township")
    plots = towns[towns["target_id"] == "afforestation"].set_index("township")
    half = mu(box(121.69, 42.26, 121.70, 42.28))
    assert plots.loc["西乡", "under_construction"] == pytest.approx(half, rel=1e-6)
    assert plots.loc["东镇", "under_construction"] == pytest.approx(half, rel=1e-6)
    assert plots.loc["东镇", "planned"] == pytest.approx(mu(PLOTS["P4"]), rel=1e-6)


def test_stated_area_that_disagrees_with_geometry_is_listed(tiny_project):
    details = progress_details(tiny_project)
    stated = details.stated
    assert stated["project_id"].tolist() == ["P4"]
    listed = stated.iloc[0]
    assert listed["stated"] == 2750.0
    assert listed["measured"] == pytest.approx(mu(PLOTS["P4"]), rel=1e-6)  # 1,374.9 亩
    assert listed["relative"] == pytest.approx(2750.0 / mu(PLOTS["P4"]) - 1, rel=1e-6)
    assert listed["place"] == "tiny.gpkg:plots#4"
    assert "1 个要素填报面积与图形相差超过 5%" in row(details.table, "afforestation")["notes"]
    # a looser tolerance lets it pass
    assert progress_details(tiny_project, tolerance=1.5).stated.empty


def test_sum_target_adds_the_field_per_status_and_township(tiny_project):
    schools = row(progress(tiny_project), "schools")
    assert (schools["completed"], schools["under_construction"], schools["planned"]) == (
        1200.0, 800.0, 0.0)
    assert schools["pct_completed"] == pytest.approx(40.0)
    towns = progress(tiny_project, by="township")
    by_town = towns[towns["target_id"] == "schools"].set_index("township")
    assert by_town.loc["东镇", "completed"] == 1200.0
    assert by_town.loc["西乡", "under_construction"] == 800.0


def test_feature_linked_to_no_target_is_reported(tiny_project):
    problems = progress_details(tiny_project).link_problems
    assert problems["project_id"].tolist() == ["R4"]
    assert problems.iloc[0]["place"] == "tiny.gpkg:roads#4"
    assert problems.iloc[0]["problem"] == "links to no target (kind and filters match none)"


def test_indicator_target_has_no_amounts(tiny_project):
    air = row(progress(tiny_project), "good_air_days")
    assert math.isnan(air["completed"]) and math.isnan(air["pct_completed"])
    assert air["n_features"] == 0
    assert air["notes"].startswith("指标, 无图层数据")


def _roads_project(roads: gpd.GeoDataFrame, targets: list[Target]) -> SimpleNamespace:
    towns = gpd.GeoDataFrame({"code": ["1"], "name": ["西乡"]},
                             geometry=[box(121.6, 42.2, 121.7, 42.3)], crs="EPSG:4490")
    return SimpleNamespace(layers={"roads": roads}, targets=targets, reports={},
                           townships=towns)


def test_feature_linked_to_two_targets_of_the_same_quantity_counts_once():
    roads = gpd.GeoDataFrame({"project_id": ["R1"], "kind": ["road_rebuild"],
                              "status": ["completed"], "work_type": ["新建"]},
                             geometry=[ROADS["R2"]], crs="EPSG:4490")
    kinds = (LayerKind.ROAD_REBUILD,)
    targets = [Target("a", "公路", "六", Measure.LENGTH, "公里", 10.0, 2023, kinds=kinds),
               Target("b", "新建公路", "六", Measure.LENGTH, "公里", 5.0, 2023, kinds=kinds,
                      filter={"work_type": ("新建",)})]
    details = progress_details(_roads_project(roads, targets))
    assert row(details.table, "a")["completed"] == pytest.approx(km(ROADS["R2"]), rel=1e-9)
    assert row(details.table, "b")["completed"] == 0
    problem = details.link_problems.iloc[0]["problem"]
    assert problem == ("links to targets a and b, which measure the same quantity; counted "
                       "once, toward a")


def test_feature_may_count_toward_targets_of_different_quantities():
    pipe = gpd.GeoDataFrame({"project_id": ["G1"], "kind": ["water_supply"],
                             "status": ["under_construction"], "户": [52], "人": [65000]},
                            geometry=[ROADS["R2"]], crs="EPSG:4490")
    kinds = (LayerKind.WATER_SUPPLY,)
    targets = [Target("e", "企业", "六", Measure.SUM, "户", 52.0, 2023, kinds=kinds, field="户"),
               Target("r", "居民", "六", Measure.SUM, "人", 65000.0, 2023, kinds=kinds,
                      field="人")]
    details = progress_details(_roads_project(pipe, targets))
    assert details.link_problems.empty
    assert row(details.table, "e")["under_construction"] == 52
    assert row(details.table, "r")["under_construction"] == 65000


def test_explicit_target_field_wins_and_unknown_targets_are_reported():
    roads = gpd.GeoDataFrame({"project_id": ["R1", "R2"], "kind": ["road_rebuild"] * 2,
                              "status": ["completed"] * 2, "target": ["新建公路", "bridges"],
                              "work_type": ["改建", "新建"]},
                             geometry=[ROADS["R2"], ROADS["R2"]], crs="EPSG:4490")
    targets = [Target("b", "新建公路", "六", Measure.LENGTH, "公里", 5.0, 2023,
                      kinds=(LayerKind.ROAD_REBUILD,), filter={"work_type": ("新建",)})]
    details = progress_details(_roads_project(roads, targets))
    # R1 names the target by its title (its work type would not match the filter)
    assert row(details.table, "b")["n_features"] == 1
    assert details.links.loc[0, "how"] == "explicit"
    assert details.link_problems["problem"].tolist() == [
        "names target 'bridges', which is not in the registry"]


def test_amounts_outside_every_township_get_their_own_row():
    road = LineString([(121.65, 42.25), (121.75, 42.25)])  # the township ends at 121.7 °E
    roads = gpd.GeoDataFrame({"project_id": ["R1"], "kind": ["road_rebuild"],
                              "status": ["completed"]}, geometry=[road], crs="EPSG:4490")
    target = Target("a", "公路", "六", Measure.LENGTH, "公里", 10.0, 2023,
                    kinds=(LayerKind.ROAD_REBUILD,))
    towns = progress(_roads_project(roads, [target]), by="township").set_index("township")
    assert towns.loc["西乡", "completed"] == pytest.approx(km(road) / 2, rel=1e-9)
    assert towns.loc[OUTSIDE, "completed"] == pytest.approx(km(road) / 2, rel=1e-9)
    assert towns["completed"].sum() == pytest.approx(km(road), rel=1e-12)


def test_by_must_be_county_or_township(tiny_project):
    with pytest.raises(ValueError, match=r"by was 'village' but is expected to be one of None, "
                                         r"'county', 'township' \(乡镇\)"):
        progress(tiny_project, by="village")


# --- the bundled county project --------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled_raw() -> dict[str, gpd.GeoDataFrame]:
    """The bundled layers read straight from the GeoPackage (not through county_gis)."""
    from county_gis._paths import bundled_layers_dir

    path = bundled_layers_dir() / "fumeng.gpkg"
    names = ["road_rebuild", "afforestation", "mine_restoration", "pv_station", "school",
             "outfall", "soil_conservation"]
    return {name: gpd.read_file(path, layer=name) for name in names}


STATUS = {"完工": "completed", "已完成": "completed", "竣工": "completed", "在建": "under_construction",
          "施工中": "under_construction", "计划": "planned", "拟建": "planned"}


def test_bundled_road_lengths_match_pyproj(bundled_project, bundled_raw):
    table = progress(bundled_project).set_index("target_id")
    roads = bundled_raw["road_rebuild"]
    status = roads["状态"].map(STATUS)
    lengths = np.array([km(g) for g in roads.geometry])
    for target_id, road_class in (("rural_roads", "农村公路"), ("village_roads", "一事一议村内道路")):
        mask = (roads["道路类别"] == road_class).to_numpy()
        for key in ("planned", "under_construction", "completed"):
            expected = lengths[mask & (status == key).to_numpy()].sum()
            assert table.loc[target_id, key] == pytest.approx(expected, rel=1e-9)
    # the scenario: rural roads short of 200 km, village roads past 180 km
    assert 70 < table.loc["rural_roads", "pct_completed"] < 90
    assert 100 <= table.loc["village_roads", "pct_completed"] < 105


def test_bundled_areas_match_pyproj_union(bundled_project, bundled_raw):
    table = progress(bundled_project).set_index("target_id")
    for target_id, layer in (("afforestation", "afforestation"),
                             ("mine_regreening", "mine_restoration"),
                             ("soil_erosion_control", "soil_conservation")):
        plots = bundled_raw[layer]
        union = shapely.union_all(plots.geometry.values)
        total = sum(table.loc[target_id, k] for k in ("planned", "under_construction",
                                                      "completed"))
        assert total == pytest.approx(mu(union), rel=1e-6)
        naive = sum(mu(g) for g in plots.geometry)
        if target_id != "soil_erosion_control":
            assert naive - total > 20  # the overlapping plots were counted once
    assert table.loc["afforestation", "pct_completed"] < 100
    assert 100 <= table.loc["mine_regreening", "pct_completed"] < 105


def test_bundled_sums_and_counts_match_the_fields(bundled_project, bundled_raw):
    table = progress(bundled_project).set_index("target_id")
    pv = bundled_raw["pv_station"]
    done = pv["状态"].map(STATUS) == "completed"
    assert table.loc["pv_capacity", "completed"] == pv.loc[done, "装机容量(千瓦)"].sum()
    assert table.loc["pv_capacity", "pct_completed"] > 110  # the one target overshot
    schools = bundled_raw["school"]
    done = schools["状态"].map(STATUS) == "completed"
    assert table.loc["school_buildings", "completed"] == schools.loc[done, "建筑面积(平方米)"].sum()
    assert table.loc["river_outfalls", "n_features"] == 72
    assert table.loc["streets", "n_features"] == 7
    assert table.loc["key_wastewater_plants", "completed"] == 3
    assert table.loc["township_wastewater_plants", "completed"] == 9


def test_bundled_checks_find_what_was_planted(bundled_project):
    details = progress_details(bundled_project)
    assert len(details.overlaps) == 4
    assert set(details.overlaps["target_id"]) == {"afforestation", "mine_regreening"}
    assert details.stated["project_id"].tolist() == ["KS-010"]
    assert details.link_problems["project_id"].tolist() == ["SH-001"]


def test_bundled_township_rows_add_up(bundled_project):
    county = progress(bundled_project).set_index("target_id")
    towns = progress(bundled_project, by="township")
    assert OUTSIDE not in set(towns["township"])  # the cells cover the county
    sums = towns.groupby("target_id")[["planned", "under_construction", "completed"]].sum()
    for target_id, amounts in sums.iterrows():
        for key, value in amounts.items():
            assert value == pytest.approx(county.loc[target_id, key], rel=1e-9, abs=1e-9)
    assert set(towns["township"]) <= set(bundled_project.townships["name"])


def test_stated_length_and_unknown_status_are_noted():
    roads = gpd.GeoDataFrame({"project_id": ["R1", "R2"], "kind": ["road_rebuild"] * 2,
                              "status": ["completed", None],
                              "stated_length_km": [12.0, km(ROADS["R2"])]},
                             geometry=[ROADS["R1"], ROADS["R2"]], crs="EPSG:4490")
    target = Target("a", "公路", "六", Measure.LENGTH, "公里", 10.0, 2023,
                    kinds=(LayerKind.ROAD_REBUILD,))
    details = progress_details(_roads_project(roads, [target]))
    got = details.table.iloc[0]
    assert got["completed"] == pytest.approx(km(ROADS["R1"]), rel=1e-9)  # R2: no status
    assert got["planned"] == 0 and got["n_features"] == 2
    assert "1 个要素状态不明, 未计入 (status unknown)" in got["notes"]
    assert "1 个要素填报长度与图形相差超过 5%" in got["notes"]
    listed = details.stated.iloc[0]
    assert listed["project_id"] == "R1" and listed["unit"] == "公里"
    assert listed["relative"] == pytest.approx(12.0 / km(ROADS["R1"]) - 1, rel=1e-9)  # +45 %


def test_polygon_in_a_length_target_is_not_measured():
    roads = gpd.GeoDataFrame({"project_id": ["R1", "X"], "kind": ["road_rebuild"] * 2,
                              "status": ["completed"] * 2},
                             geometry=[ROADS["R1"], PLOTS["P1"]], crs="EPSG:4490")
    target = Target("a", "公路", "六", Measure.LENGTH, "公里", 10.0, 2023,
                    kinds=(LayerKind.ROAD_REBUILD,))
    got = progress(_roads_project(roads, [target])).iloc[0]
    assert got["completed"] == pytest.approx(km(ROADS["R1"]), rel=1e-9)  # not the outline
    assert "1 个要素不是线或为空, 未计量" in got["notes"]
