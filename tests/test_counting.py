"""The counting rules (county_gis.analysis.counting): inside the boundary, each place once.

Every expected figure is computed independently: shapely for the clipping and the unions,
pyproj.Geod (GeographicLib) for the lengths and areas.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box

from county_gis import progress, progress_details
from county_gis.analysis import clusters, priority_pieces, repeated_points
from county_gis.errors import GeometryError
from county_gis.project import Project, load_project
from county_gis.targets import Measure, Target
from county_gis.vocabulary import LayerKind
from project_fixtures import (  # noqa: F401  (fixtures)
    bundled_project,
)

GEOD = Geod(ellps="GRS80")
CRS = "EPSG:4490"
#: a county that ends at 121.70 °E
COUNTY = box(121.50, 41.90, 121.70, 42.20)


def km(geom) -> float:
    return GEOD.geometry_length(geom) / 1000.0


def mu(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / (10_000 / 15)


def roads_target(value: float = 100.0) -> Target:
    return Target("roads", "修路", "六", Measure.LENGTH, "公里", value, 2023,
                  kinds=(LayerKind.ROAD_REBUILD,))


def plots_target() -> Target:
    return Target("forest", "造林", "七", Measure.AREA, "亩", 10_000.0, 2023,
                  kinds=(LayerKind.AFFORESTATION,))


def project_of(layer: str, frame: gpd.GeoDataFrame, target: Target, **kwargs) -> Project:
    boundary = gpd.GeoDataFrame({"name": ["测试县"]}, geometry=[COUNTY], crs=CRS)
    return Project.from_layers({layer: frame}, targets=[target], boundary=boundary, **kwargs)


def roads(geoms, status, ids=None) -> gpd.GeoDataFrame:
    ids = ids or [f"R{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"project_id": ids, "kind": "road_rebuild", "status": status},
                            geometry=list(geoms), crs=CRS)


def test_a_road_counts_only_its_part_inside_the_county():
    # 0.25° of longitude along 42.05 °N, of which 0.10° lie inside the county
    road = LineString([(121.60, 42.05), (121.85, 42.05)])
    project = project_of("roads", roads([road], ["completed"]), roads_target())
    details = progress_details(project)
    row = details.table.iloc[0]
    inside = km(shapely.intersection(road, COUNTY))
    outside = km(shapely.difference(road, COUNTY))
    assert inside == pytest.approx(8.28, abs=0.01) and outside == pytest.approx(12.42, abs=0.01)
    assert row["completed"] == pytest.approx(inside, rel=1e-9)
    assert row["outside"] == pytest.approx(outside, rel=1e-9)
    assert row["pct_completed"] == pytest.approx(inside, rel=1e-9)  # of 100 公里
    [gone] = details.outside.to_dict("records")
    assert gone["project_id"] == "R0" and gone["place"] == "<memory>:roads#0"
    # the cut adds a vertex on the lon/lat chord at 121.70 °E, a little off the geodesic of
    # the 0.25° edge: the two parts measure 2.6e-7 more than the whole
    assert gone["measured"] == pytest.approx(km(road), rel=1e-9)
    assert inside + outside == pytest.approx(km(road), rel=3e-7)
    assert gone["outside"] == pytest.approx(outside, rel=1e-9) and gone["unit"] == "公里"
    assert "县界外 12.42 公里 未计入" in row["notes"]


def test_a_road_submitted_twice_counts_once():
    road = LineString([(121.55, 42.00), (121.60, 42.03), (121.65, 42.03)])
    project = project_of("roads", roads([road, road], ["completed", "completed"]),
                         roads_target())
    details = progress_details(project)
    assert details.table.iloc[0]["completed"] == pytest.approx(km(road), rel=1e-9)
    [pair] = details.overlaps.to_dict("records")
    assert (pair["project_id_a"], pair["project_id_b"]) == ("R0", "R1")
    assert pair["overlap"] == pytest.approx(km(road), rel=1e-9) and pair["unit"] == "公里"
    assert "1 对道路重叠或重复" in details.table.iloc[0]["notes"]


def test_a_shared_stretch_counts_under_the_furthest_status():
    done = LineString([(121.55, 42.0), (121.60, 42.0)])
    planned = LineString([(121.58, 42.0), (121.65, 42.0)])  # shares 121.58–121.60 with done
    crossing = LineString([(121.62, 41.95), (121.62, 42.05)])  # crosses, shares nothing
    project = project_of("roads", roads([done, planned, crossing],
                                        ["completed", "planned", "under_construction"]),
                         roads_target())
    row = progress(project).iloc[0]
    assert row["completed"] == pytest.approx(km(done), rel=1e-9)
    assert row["planned"] == pytest.approx(km(shapely.difference(planned, done)), rel=1e-9)
    assert row["under_construction"] == pytest.approx(km(crossing), rel=1e-9)
    details = progress_details(project)
    assert len(details.overlaps) == 1  # the crossing is not an overlap


def test_plots_are_clipped_at_the_boundary_and_outside_plots_listed():
    across = box(121.68, 42.00, 121.72, 42.02)  # half outside
    beyond = box(121.80, 42.00, 121.82, 42.02)  # wholly outside
    inside = box(121.55, 42.00, 121.57, 42.02)
    plots = gpd.GeoDataFrame({"project_id": ["A", "B", "C"], "kind": "afforestation",
                              "status": "completed"}, geometry=[across, beyond, inside], crs=CRS)
    details = progress_details(project_of("plots", plots, plots_target()))
    row = details.table.iloc[0]
    expected = mu(shapely.intersection(across, COUNTY)) + mu(inside)
    assert row["completed"] == pytest.approx(expected, rel=1e-9)
    assert row["outside"] == pytest.approx(mu(shapely.difference(across, COUNTY)) + mu(beyond),
                                           rel=1e-9)
    assert details.outside["project_id"].tolist() == ["A", "B"]
    assert details.outside.loc[1, "outside"] == pytest.approx(mu(beyond), rel=1e-9)


def test_a_project_without_boundary_counts_everything():
    beyond = box(121.80, 42.00, 121.82, 42.02)
    plots = gpd.GeoDataFrame({"project_id": ["B"], "kind": "afforestation",
                              "status": "completed"}, geometry=[beyond], crs=CRS)
    project = Project.from_layers({"plots": plots}, targets=[plots_target()])
    row = progress(project).iloc[0]
    assert row["completed"] == pytest.approx(mu(beyond), rel=1e-9) and row["outside"] == 0


def test_repeated_points_count_once_and_points_outside_not_at_all():
    target = Target("schools", "校舍", "八", Measure.COUNT, "所", 10.0, 2023,
                    kinds=(LayerKind.SCHOOL,))
    schools = gpd.GeoDataFrame(
        {"project_id": ["S1", "S2", "S1", "S4", "S5"], "kind": "school",
         "status": "completed"},
        geometry=[Point(121.55, 42.0), Point(121.60, 42.0),
                  Point(121.65, 42.1),  # same id as S1: the same school collected again
                  Point(121.600001, 42.0),  # 0.08 m from S2: the same place
                  Point(121.90, 42.0)],  # outside the county
        crs=CRS)
    details = progress_details(project_of("schools", schools, target))
    row = details.table.iloc[0]
    assert row["completed"] == 2 and row["outside"] == 1
    assert details.repeats[["project_id_a", "project_id_b"]].values.tolist() == [
        ["S1", "S1"], ["S2", "S4"]]
    assert details.outside["project_id"].tolist() == ["S5"]


def test_a_bow_tie_plot_is_repaired_by_default_and_refused_when_repair_is_none(tmp_path):
    # a bow-tie: two triangles (base 0.01° of latitude, height 0.005° of longitude) meeting at
    # (121.605, 42.005); each is ½ × 1,110.7 m × 413.6 m = 229,700 m² = 344.6 亩 by hand
    bow = Polygon([(121.60, 42.00), (121.61, 42.01), (121.61, 42.00), (121.60, 42.01)])
    triangles = shapely.make_valid(bow)
    plots = gpd.GeoDataFrame({"项目编号": ["BT"], "状态": ["完工"]}, geometry=[bow], crs=CRS)
    plots.to_file(tmp_path / "plots.gpkg", layer="plots")
    gpd.GeoDataFrame({"name": ["测试县"]}, geometry=[COUNTY], crs=CRS).to_file(
        tmp_path / "plots.gpkg", layer="county")
    toml = ('name = "测试"\ntargets = "targets.toml"\n'
            '[boundary]\npath = "plots.gpkg"\nlayer = "county"\n'
            '[layers.plots]\npath = "plots.gpkg"\nlayer = "plots"\nkind = "afforestation"\n')
    (tmp_path / "targets.toml").write_text(
        '[[targets]]\nid = "forest"\ntitle = "造林"\nsection = "七"\nmeasure = "area"\n'
        'unit = "亩"\nvalue = 10000\nyear = 2023\nkinds = ["afforestation"]\n',
        encoding="utf-8")
    (tmp_path / "project.toml").write_text(toml, encoding="utf-8")
    project = load_project(tmp_path)
    repairs = project.reports["plots"].select("geometry.repaired")
    assert len(repairs) == 1 and repairs[0].fid == 1  # GeoPackage fids start at 1
    row = progress(project).iloc[0]
    assert row["completed"] == pytest.approx(mu(triangles), rel=1e-9)
    assert mu(triangles) == pytest.approx(2 * 344.6, rel=0.01)
    (tmp_path / "project.toml").write_text(toml + 'repair = "none"\n', encoding="utf-8")
    with pytest.raises(GeometryError, match=r"\[layers.plots\] has 1 invalid polygon\(s\) and "
                                            r"says repair = \"none\": plots.gpkg:plots#1: "
                                            r"invalid geometry: Self-intersection"):
        load_project(tmp_path)


def test_clusters_and_pieces_agree_with_a_global_union():
    rng = np.random.default_rng(7)
    corners = rng.uniform(0, 100, size=(300, 2))
    geoms = np.array([box(x, y, x + rng.uniform(1, 8), y + rng.uniform(1, 8))
                      for x, y in corners], dtype=object)
    status = rng.choice(["completed", "under_construction", "planned"], size=len(geoms))
    labels = clusters(geoms)
    # members of one cluster are connected; different clusters do not touch
    for label in np.unique(labels)[:20]:
        members = geoms[labels == label]
        assert shapely.union_all(members).geom_type in ("Polygon", "MultiPolygon")
        others = geoms[labels != label]
        assert not shapely.intersects(shapely.union_all(members), others).any()
    pieces, keys = priority_pieces(geoms, status,
                                   ["completed", "under_construction", "planned"])
    done = shapely.union_all(geoms[status == "completed"])
    started = shapely.union_all(geoms[status != "planned"])
    total = shapely.union_all(geoms)
    assert sum(p.area for p in pieces[keys == "completed"]) == pytest.approx(done.area, rel=1e-12)
    assert sum(p.area for p in pieces[keys != "planned"]) == pytest.approx(started.area,
                                                                            rel=1e-12)
    assert sum(p.area for p in pieces) == pytest.approx(total.area, rel=1e-12)


def test_repeated_points_by_id_and_by_place():
    points = np.array([Point(121.6, 42.0), Point(121.7, 42.0), Point(121.6, 42.0), None],
                      dtype=object)
    assert repeated_points(points, np.array([None, None, None, None])).tolist() == [-1, -1, 0,
                                                                                   -1]
    assert repeated_points(points, np.array(["a", "a", "b", "a"])).tolist() == [-1, 0, 0, 0]


def test_bundled_progress_equals_an_independent_computation(bundled_project):  # noqa: F811
    """Clip to the boundary, union per status (furthest first), pyproj.Geod: to 1e-9."""
    details = progress_details(bundled_project)
    table = details.table.set_index("target_id")
    boundary = bundled_project.boundary_geometry()
    links = details.links
    from county_gis.analysis import linked_features

    checked = []
    for target in bundled_project.targets:
        if target.measure not in (Measure.LENGTH, Measure.AREA) or target.unit not in ("亩",
                                                                                      "公里"):
            continue
        feats = linked_features(bundled_project, links, target)
        line = target.measure is Measure.LENGTH
        geoms = feats.geometry.values
        keep = np.isin(shapely.get_type_id(geoms), (1, 5) if line else (3, 6))
        geoms = shapely.intersection(geoms[keep], boundary)
        status = feats["status"].to_numpy()[keep]
        measure = km if line else mu
        done = shapely.union_all(geoms[status == "completed"])
        started = shapely.union_all(geoms[np.isin(status, ["completed", "under_construction"])])
        everything = shapely.union_all(geoms[np.isin(status, ["completed", "under_construction",
                                                              "planned"])])
        row = table.loc[target.id]
        slack = 2e-9 * measure(everything)
        assert row["completed"] == pytest.approx(measure(done), rel=1e-9), target.id
        assert row["under_construction"] == pytest.approx(measure(started) - measure(done),
                                                          abs=slack), target.id
        assert row["planned"] == pytest.approx(measure(everything) - measure(started),
                                               abs=slack), target.id
        checked.append(target.id)
    # the two road targets and the three plot targets, each with something completed
    assert sorted(checked) == ["afforestation", "mine_regreening", "rural_roads",
                               "soil_erosion_control", "village_roads"]
    assert (table.loc[checked, "completed"] > 0).all()


def test_inspect_lists_what_lies_outside_the_project_boundary(tmp_path):
    import json

    from click.testing import CliRunner

    from county_gis.cli import main

    across = box(121.68, 42.00, 121.72, 42.02)  # half outside the county
    plots = gpd.GeoDataFrame({"项目编号": ["A", "B"], "状态": ["完工", "完工"]},
                             geometry=[across, box(121.55, 42.0, 121.57, 42.02)], crs=CRS)
    plots.to_file(tmp_path / "plots.gpkg", layer="plots")
    gpd.GeoDataFrame({"name": ["测试县"]}, geometry=[COUNTY], crs=CRS).to_file(
        tmp_path / "county.gpkg", layer="county")
    (tmp_path / "project.toml").write_text(
        'name = "测试"\n[boundary]\npath = "county.gpkg"\nlayer = "county"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "plots.gpkg"), "--json"])
    assert result.exit_code == 0, result.output
    [layer] = json.loads(result.output)["layers"]
    [note] = [n for n in layer["notes"] if n["code"] == "project.outside_boundary"]
    share = mu(shapely.difference(across, COUNTY)) / mu(across)
    assert note["fid"] == 1 and note["severity"] == "problem"
    assert note["message"].startswith(f"{share:.1%} of it (")
    assert share == pytest.approx(0.5, abs=0.01)


def test_an_in_memory_project_refuses_invalid_polygons_unless_asked_to_repair():
    bow = Polygon([(121.60, 42.00), (121.61, 42.01), (121.61, 42.00), (121.60, 42.01)])
    plots = gpd.GeoDataFrame({"project_id": ["OK", "BT"], "kind": "afforestation",
                              "status": "completed"},
                             geometry=[box(121.55, 42.0, 121.56, 42.01), bow], crs=CRS)
    with pytest.raises(GeometryError, match=r"layers\['plots'\] has 1 invalid polygon\(s\): "
                                            r"<memory>:plots#1: Self-intersection\[121.605 "
                                            r"42.005\]; fix them, or pass repair=True"):
        Project.from_layers({"plots": plots}, targets=[plots_target()])
    project = Project.from_layers({"plots": plots}, targets=[plots_target()], repair=True)
    row = progress(project).iloc[0]
    assert row["completed"] == pytest.approx(mu(plots.geometry[0]) + mu(shapely.make_valid(bow)),
                                             rel=1e-9)


def test_sharing_pairs_is_the_de9im_interior_test_on_touching_nested_and_multi_polygons():
    """Boxes on a unit grid touch along edges and at corners, nest, repeat and overlap; two
    multipolygons join them. The fast polygon route (intersects and not touches) must find
    exactly the pairs DE-9IM ``2********`` finds, and lines keep the ``1********`` test."""
    import itertools

    from county_gis.analysis.counting import sharing_pairs

    rng = np.random.default_rng(20)
    x0, y0 = rng.integers(0, 6, (2, 60))
    w, h = rng.integers(1, 4, (2, 60))
    polys = [box(a, b, a + c, b + d) for a, b, c, d in zip(x0, y0, w, h, strict=True)]
    polys += [shapely.MultiPolygon([box(0, 0, 1, 1), box(4, 4, 5, 5)]),
              shapely.MultiPolygon([box(1, 1, 2, 2), box(6, 6, 7, 7)])]
    geoms = np.array(polys, dtype=object)
    expected = {(i, j) for i, j in itertools.combinations(range(len(geoms)), 2)
                if shapely.relate_pattern(geoms[i], geoms[j], "2********")}
    left, right = sharing_pairs(geoms)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == expected
    assert 50 < len(expected) < len(geoms) * (len(geoms) - 1) // 2  # both kinds occur
    touching = {(i, j) for i, j in itertools.combinations(range(len(geoms)), 2)
                if shapely.touches(geoms[i], geoms[j])}
    assert touching and not touching & expected
    lines = np.array([LineString([(0, 0), (2, 0)]), LineString([(1, 0), (3, 0)]),
                      LineString([(1, -1), (1, 1)]), LineString([(3, 0), (4, 0)])], dtype=object)
    assert [p.tolist() for p in sharing_pairs(lines)] == [[0], [1]]  # overlap, not crossing
