# ruff: noqa: F811  (pytest fixtures imported from project_fixtures)
"""Progress against targets: geodesic amounts, overlaps, townships, links, the bundled project.

Every expected amount is computed independently here with ``pyproj.Geod`` (GRS80), not with
county_gis.measure.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, box

from county_gis import progress, progress_details
from county_gis.analysis.townships import OUTSIDE
from county_gis.project import Project
from county_gis.targets import Measure, Target
from county_gis.vocabulary import LayerKind
from project_fixtures import (  # noqa: F401  (fixtures)
    PLOTS,
    ROADS,
    bundled_project,
    tiny_green_project,
    tiny_green_project_file,
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
        "under_construction", "completed", "pct_completed", "outside", "n_features", "notes",
        "has_data"]


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
    details = progress_details(tiny_project, by="township")
    towns = details.by_township
    sums = towns.groupby("target_id")[["planned", "under_construction", "completed"]].sum()
    assert sorted(sums.index) == ["afforestation", "rural_roads", "schools", "village_roads"]
    for target_id, amounts in sums.iterrows():
        for status in ("planned", "under_construction", "completed"):
            assert amounts[status] == pytest.approx(county.loc[target_id, status], rel=1e-12,
                                                    abs=1e-12)
    assert "good_air_days" not in set(towns["target_id"])  # indicators have no townships
    # 北村 has no polygon: no row of its own, nothing lost, and it is listed as such
    assert set(towns["township"]) == {"西乡", "东镇"}
    assert details.townships_without_polygon["township"].tolist() == ["北村"]
    assert list(towns.columns[:5]) == ["target_id", "title", "township", "township_code",
                                       "approximate"]
    assert not towns["approximate"].any()


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
    project = Project.from_layers({"plots": plots}, targets=[target])
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
    # the reason names the column, the value, the target and its allowed values; the fix
    # is a values mapping or target =
    assert problems.iloc[0]["reason"] == (
        "道路类别='林道' 不在 rural_roads 的筛选 not in the filter 道路类别 ∈ {农村公路} 中; "
        "道路类别='林道' 不在 village_roads 的筛选 not in the filter 道路类别 ∈ {村内道路} 中")
    assert problems.iloc[0]["fix"] == (
        'values = { 道路类别 = { "林道" = "农村公路" } } or target = "rural_roads" | '
        'values = { 道路类别 = { "林道" = "村内道路" } } or target = "village_roads"')
    assert problems.iloc[0]["problem"].startswith("未关联 links to no target: 道路类别='林道'")


def test_indicator_target_has_no_amounts(tiny_project):
    air = row(progress(tiny_project), "good_air_days")
    assert math.isnan(air["completed"]) and math.isnan(air["pct_completed"])
    assert air["n_features"] == 0
    assert air["notes"].startswith("指标, 无图层数据")


def _roads_project(roads: gpd.GeoDataFrame, targets: list[Target]) -> Project:
    towns = gpd.GeoDataFrame({"code": ["1"], "name": ["西乡"]},
                             geometry=[box(121.6, 42.2, 121.7, 42.3)], crs="EPSG:4490")
    return Project.from_layers({"roads": roads}, targets=targets, townships=towns)


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
    """Per status: completed = |∪C|, under construction = |∪(C+U)| − |∪C|, planned the rest."""
    table = progress(bundled_project).set_index("target_id")
    for target_id, layer in (("afforestation", "afforestation"),
                             ("mine_regreening", "mine_restoration"),
                             ("soil_erosion_control", "soil_conservation")):
        plots = bundled_raw[layer]
        status = plots["状态"].map(STATUS).to_numpy()
        geoms = plots.geometry.values
        done = mu(shapely.union_all(geoms[status == "completed"]))
        started = mu(shapely.union_all(geoms[status != "planned"]))
        everything = mu(shapely.union_all(geoms))
        # county_gis.measure and GeographicLib agree to a few 1e-9 on every plot of these
        # layers (ZL-033, 271,667 m² of 7 edges up to 1.1 km, was 1.2e-7 before the bend
        # correction of county_gis._geodesic)
        assert table.loc[target_id, "completed"] == pytest.approx(done, rel=1e-9)
        slack = 2e-9 * everything
        assert table.loc[target_id, "under_construction"] == pytest.approx(started - done,
                                                                            abs=slack)
        assert table.loc[target_id, "planned"] == pytest.approx(everything - started,
                                                                abs=slack)
        naive = sum(mu(g) for g in geoms)
        if target_id != "soil_erosion_control":
            assert naive - everything > 20  # the overlapping plots were counted once
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
    details = progress_details(bundled_project, by="township")
    towns = details.by_township
    assert OUTSIDE not in set(towns["township"])  # the cells cover the county
    sums = towns.groupby("target_id")[["planned", "under_construction", "completed"]].sum()
    mapped = county[county["n_features"] > 0].index
    assert sorted(sums.index) == sorted(mapped)
    for target_id, amounts in sums.iterrows():
        for key, value in amounts.items():
            assert value == pytest.approx(county.loc[target_id, key], rel=1e-12, abs=1e-9)
    # all 36 (synthetic) township extents have a polygon: none is listed without one
    without = details.townships_without_polygon
    assert without is None or len(without) == 0
    assert set(towns["township"]) <= set(bundled_project.townships["name"])
    assert towns["approximate"].all()


def _town_cells() -> gpd.GeoDataFrame:
    from county_gis._paths import bundled_layers_dir

    cells = gpd.read_file(bundled_layers_dir() / "fumeng.gpkg", layer="townships")
    return cells[cells.geometry.notna()].reset_index(drop=True)


def _lines_km(geom: shapely.Geometry) -> float:
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("LineString",
                                                                    "MultiLineString")]
    return sum(km(g) for g in parts)


def _polys_mu(geom: shapely.Geometry) -> float:
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    return sum(mu(g) for g in parts)


def test_bundled_township_amounts_match_an_independent_intersection(bundled_project,
                                                                     bundled_raw):
    """Each township row against shapely intersections measured with pyproj.Geod.

    Lines agree to 1e-6. Plots cut at a township boundary get new vertices on the lon/lat
    chord of the edges they cross, so the pieces measured geodesically fall short of the
    whole by ~1.2e-6 (0.11 亩 of 90,350); progress shares the county amount out in proportion
    to the pieces, hence the 5e-6 for areas.
    """
    towns = progress(bundled_project, by="township")
    cells = _town_cells()
    roads = bundled_raw["road_rebuild"]
    road_status = roads["状态"].map(STATUS).to_numpy()
    plots = bundled_raw["afforestation"]
    plot_status = plots["状态"].map(STATUS).to_numpy()
    done_union = shapely.union_all(plots.geometry.values[plot_status == "completed"])
    outfalls = bundled_raw["outfall"]
    for cell in cells.itertuples():
        rows = towns[towns["township"] == cell.township_name].set_index("target_id")
        for target_id, road_class in (("rural_roads", "农村公路"),
                                      ("village_roads", "一事一议村内道路")):
            for key in ("planned", "under_construction", "completed"):
                chosen = roads[(roads["道路类别"] == road_class).to_numpy() &
                               (road_status == key)]
                expected = sum(_lines_km(g.intersection(cell.geometry)) for g in chosen.geometry)
                got = rows.loc[target_id, key] if target_id in rows.index else 0.0
                assert got == pytest.approx(expected, rel=1e-6, abs=1e-6), (
                    cell.township_name, target_id, key)
        expected = _polys_mu(done_union.intersection(cell.geometry))
        got = rows.loc["afforestation", "completed"] if "afforestation" in rows.index else 0.0
        assert got == pytest.approx(expected, rel=5e-6, abs=1e-6), cell.township_name
        inside = outfalls[outfalls.within(cell.geometry)]
        got = rows.loc["river_outfalls", "n_features"] if "river_outfalls" in rows.index else 0
        assert got == len(inside), cell.township_name


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


def test_a_feature_of_another_year_does_not_link_through_its_kind():
    roads = gpd.GeoDataFrame({"project_id": ["R1", "R2", "R3"], "kind": ["road_rebuild"] * 3,
                              "status": ["completed"] * 3, "year": [2023, 2022, None],
                              "target": [None, None, None]},
                             geometry=[ROADS["R1"], ROADS["R2"], ROADS["R3"]], crs="EPSG:4490")
    target = Target("a", "公路", "六", Measure.LENGTH, "公里", 10.0, 2023,
                    kinds=(LayerKind.ROAD_REBUILD,))
    details = progress_details(_roads_project(roads, [target]))
    # R1 (2023) and R3 (no year) count; R2 (2022) does not, and is reported
    assert row(details.table, "a")["completed"] == pytest.approx(km(ROADS["R1"]) + km(ROADS["R3"]),
                                                                 rel=1e-9)
    assert details.link_problems["project_id"].tolist() == ["R2"]
    assert details.link_problems.loc[0, "problem"] == (
        "links to no target: its year 2022 is not the year of the targets its kind matches "
        "(2023)")
    # an explicit target field links whatever the year
    roads.loc[1, "target"] = "a"
    assert row(progress(_roads_project(roads, [target])), "a")["n_features"] == 3


# --- the NDVI greening check (tiny rasters, project_fixtures.write_tiny_ndvi) ------------------

def test_progress_shows_how_much_of_the_completed_area_is_green(tiny_green_project):
    table = progress(tiny_green_project, greening=True)
    assert list(table.columns[9:12]) == ["pct_completed", "greened", "green_share"]
    plots = row(table, "afforestation")
    union = mu(PLOTS["P1"].union(PLOTS["P2"]))
    assert plots["completed"] == pytest.approx(union, rel=1e-6)  # ≈ 7 pixels of 0.01°
    # P1 greened (+0.3); P2 unchanged; their shared pixel goes to the greened verdict.
    # P1 = 0.02° × 0.02° at 42.22 °N: 1.651 km × 2.221 km = 3.668 km² ≈ 5,502 亩. Cutting P2
    # where P1 overlaps it moves ~1e-5 of the area (new vertices on lon/lat chords, not
    # geodesics), and the verdict areas are scaled to add up to the union: rel=2e-5
    assert plots["greened"] == pytest.approx(mu(PLOTS["P1"]), rel=2e-5)
    assert plots["greened"] == pytest.approx(5502, abs=2)
    assert plots["green_share"] == pytest.approx(mu(PLOTS["P1"]) / union, rel=2e-5)
    assert plots["green_share"] == pytest.approx(4 / 7, abs=2e-3)
    assert "NDVI 核查: 完工地块 2 块, 变绿 1 块, 无明显变化 1 块" in plots["notes"]
    # roads and schools are not checked; the default table has no greening columns
    assert math.isnan(row(table, "rural_roads")["greened"])
    assert "greened" not in progress(tiny_green_project).columns


def test_greening_per_township_adds_up(tiny_green_project):
    towns = progress(tiny_green_project, by="township", greening=True)
    plots = towns[towns["target_id"] == "afforestation"].set_index("township")
    assert plots.loc["西乡", "greened"] == pytest.approx(mu(PLOTS["P1"]), rel=2e-5)
    assert plots.loc["东镇", "greened"] == 0 and math.isnan(plots.loc["东镇", "green_share"])
    county = row(progress(tiny_green_project, greening=True), "afforestation")
    assert plots["greened"].sum() == pytest.approx(county["greened"], rel=1e-12)


def test_greening_summary_and_progress_agree(tiny_green_project):
    from county_gis import greening_summary

    summary = greening_summary(tiny_green_project)
    table = row(progress(tiny_green_project, greening=True), "afforestation")
    got = summary.loc["afforestation"]
    assert list(summary.index) == ["afforestation"]  # the registry's id, not the kind
    assert got["features"] == 2
    assert got["checked_mu"] == table["completed"]  # the same union, the same measure
    assert got["greened_mu"] == pytest.approx(table["greened"], rel=1e-12)
    assert got["greened_mu"] + got["unchanged_mu"] == pytest.approx(got["checked_mu"],
                                                                     rel=1e-12)
    assert got["degraded_mu"] == got["no_data_mu"] == 0
    assert got["unchanged_mu"] == pytest.approx(mu(PLOTS["P2"].difference(PLOTS["P1"])),
                                                rel=2e-5)
    plots = progress_details(tiny_green_project, greening=True).greening
    assert plots["project_id"].tolist() == ["P1", "P2"]
    np.testing.assert_allclose(plots["ndvi_change"], [0.3, 0.0], atol=1e-6)
    assert plots["place"].tolist() == ["tiny.gpkg:plots#1", "tiny.gpkg:plots#2"]


def test_greening_threshold_and_missing_rasters(tiny_green_project, tiny_project):
    from county_gis.errors import ConfigError, ThresholdError

    strict = row(progress(tiny_green_project, greening=True, threshold=0.35), "afforestation")
    assert strict["greened"] == 0 and strict["green_share"] == 0  # +0.3 is not enough
    with pytest.raises(ThresholdError, match=r"threshold was 0 but is expected to be an NDVI "
                                             r"change between 0 and 2 \(exclusive\), e.g. 0.05"):
        progress(tiny_green_project, greening=True, threshold=0)
    assert issubclass(ThresholdError, ValueError)
    with pytest.raises(ConfigError, match=r"no NDVI raster ndvi_before or ndvi_2022 declared in "
                                          r"the project's \[rasters\] or found in .*rasters; "
                                          r"declare it in project.toml or pass before= and after="):
        progress(tiny_project, greening=True)


def test_bundled_greening_per_township_adds_up(bundled_project):
    county = progress(bundled_project, greening=True).set_index("target_id")
    towns = progress(bundled_project, by="township", greening=True)
    for target_id in ("afforestation", "mine_regreening"):
        rows = towns[towns["target_id"] == target_id]
        assert rows["greened"].sum() == pytest.approx(county.loc[target_id, "greened"],
                                                      rel=1e-12)
        assert (rows["green_share"].dropna() <= 1).all()
        assert (rows["greened"] <= rows["completed"] * (1 + 1e-5)).all()


def test_bundled_greening_follows_the_plots(bundled_project, bundled_raw):
    from county_gis import greening_summary, vegetation_change

    table = progress(bundled_project, greening=True).set_index("target_id")
    summary = greening_summary(bundled_project)
    assert list(summary.index) == ["afforestation", "mine_regreening"]
    for target_id, layer in (("afforestation", "afforestation"),
                             ("mine_regreening", "mine_restoration")):
        assert summary.loc[target_id, "checked_mu"] == table.loc[target_id, "completed"]
        assert summary.loc[target_id, "greened_mu"] == pytest.approx(
            table.loc[target_id, "greened"], rel=1e-12)
        # independently: the union of the completed plots whose NDVI rose, with pyproj
        plots = bundled_raw[layer]
        done = plots[plots["状态"].map(STATUS) == "completed"]
        verdict = vegetation_change(done, bundled_project.rasters["ndvi_before"],
                                    bundled_project.rasters["ndvi_after"])["verdict"]
        greened = mu(shapely.union_all(done.geometry.values[(verdict == "greened").to_numpy()]))
        assert table.loc[target_id, "greened"] == pytest.approx(greened, rel=1e-6)
        # most completed plots green up, some do not (scripts/build_rasters.py)
        assert 0.7 < table.loc[target_id, "green_share"] < 0.95
        assert 0 < (verdict != "greened").sum() < 0.25 * len(done)


def test_layers_readme_states_the_numbers_progress_measures(bundled_project):
    """layers/README.md quotes the scenario as measured: keep it true when the layers change."""
    from county_gis._paths import bundled_layers_dir

    readme = (bundled_layers_dir() / "README.md").read_text(encoding="utf-8")
    table = progress(bundled_project, greening=True).set_index("target_id")
    for target_id, measured in table.dropna(subset=["pct_completed"]).iterrows():
        if measured["measure"] in ("length", "area"):
            assert f"{measured['completed']:,.1f} " in readme, target_id
        assert f"{measured['pct_completed']:.1f} %" in readme or \
            measured["pct_completed"] in (0, 100), target_id
    for target_id in ("afforestation", "mine_regreening"):
        green = table.loc[target_id]
        assert f"{green['greened']:,.1f} 亩 ({100 * green['green_share']:.1f} %)" in readme
