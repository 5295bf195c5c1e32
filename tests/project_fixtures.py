"""A tiny project with hand-checkable amounts, written to a temporary folder.

Two townships side by side, 西乡 (121.6–121.7 °E) and 东镇 (121.7–121.8 °E), 42.2–42.3 °N, and a
third, 北村, listed with no polygon (a township known by name only: listed, not drawn).
Roads (农村公路 / 村内道路 / 林道), plots (造林) and schools, with Chinese field names as
bureaus write them:

- R1: 农村公路, completed, 121.65 → 121.75 °E along 42.25 °N — crosses the township boundary at
  121.7 °E, half in each township;
- R2: 农村公路, planned, along the 121.62 °E meridian from 42.21 to 42.29 °N (in 西乡);
- R3: 村内道路, completed, along 121.78 °E from 42.21 to 42.24 °N (in 东镇);
- R4: 林道 — a road class no target asks for: links to no target;
- P1, P2: 0.02° × 0.02° plots, completed, overlapping in a 0.01° × 0.01° square (counted once);
- P3: under construction, 121.69–121.71 °E: half in each township;
- P4: planned, states 面积(亩) twice its geometry;
- S1 (东镇, 1,200 m², completed) and S2 (西乡, 800 m², under construction).

NDVI rasters (``write_tiny_ndvi``, 0.01° pixels aligned with the plots): 0.2 everywhere before;
after, the three pixels of P1 that P2 does not cover are 0.6, so P1's mean NDVI rises by
3 × 0.4 / 4 = 0.3 (greened) and P2's does not change (unchanged). Where they overlap the
greened verdict wins: greened = area(P1), completed = area(P1 ∪ P2) ≈ 7 pixels, share ≈ 4/7.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine
from shapely.geometry import LineString, Point, box

CRS = "EPSG:4490"

ROADS = {
    "R1": LineString([(121.65, 42.25), (121.75, 42.25)]),
    "R2": LineString([(121.62, 42.21), (121.62, 42.29)]),
    "R3": LineString([(121.78, 42.21), (121.78, 42.24)]),
    "R4": LineString([(121.66, 42.28), (121.68, 42.28)]),
}
PLOTS = {
    "P1": box(121.61, 42.21, 121.63, 42.23),
    "P2": box(121.62, 42.22, 121.64, 42.24),
    "P3": box(121.69, 42.26, 121.71, 42.28),
    "P4": box(121.75, 42.25, 121.76, 42.26),
}
SCHOOLS = {"S1": Point(121.75, 42.22), "S2": Point(121.65, 42.27)}

TARGETS_TOML = """
[[targets]]
id = "rural_roads"
title = "新改建农村公路20公里"
section = "六"
measure = "length"
unit = "公里"
value = 20
year = 2023
kinds = ["road_rebuild"]
filter = { "道路类别" = ["农村公路"] }

[[targets]]
id = "village_roads"
title = "村内道路5公里"
section = "六"
measure = "length"
unit = "公里"
value = 5
year = 2023
kinds = ["road_rebuild"]
filter = { "道路类别" = ["村内道路"] }

[[targets]]
id = "afforestation"
title = "造林2000亩"
section = "七"
measure = "area"
unit = "亩"
value = 2000
year = 2023
kinds = ["afforestation"]

[[targets]]
id = "schools"
title = "维修改造校舍3000平方米"
section = "八"
measure = "sum"
unit = "平方米"
value = 3000
year = 2023
kinds = ["school"]
field = "floor_area_m2"

[[targets]]
id = "good_air_days"
title = "优良天数314天"
section = "七"
measure = "count"
unit = "天"
value = 314
year = 2023
"""

PROJECT_TOML = """
name = "示例县"
targets = "targets.toml"

[boundary]
path = "tiny.gpkg"
layer = "county"

[townships]
path = "tiny.gpkg"
layer = "towns"
code = "township_code"
name = "township_name"
approximate = false

[layers.roads]
path = "tiny.gpkg"
layer = "roads"
kind = "road_rebuild"

[layers.plots]
path = "tiny.gpkg"
layer = "plots"
kind = "afforestation"

[layers.schools]
path = "tiny.gpkg"
layer = "schools"
kind = "school"
"""


def write_tiny_project(folder: Path) -> Path:
    """Write the tiny project into ``folder``; return its project.toml."""
    gpkg = folder / "tiny.gpkg"
    gpd.GeoDataFrame({"name": ["示例县"]}, geometry=[box(121.6, 42.2, 121.8, 42.3)],
                     crs=CRS).to_file(gpkg, layer="county")
    gpd.GeoDataFrame({"township_code": ["001", "002", "003"],
                      "township_name": ["西乡", "东镇", "北村"]},
                     geometry=[box(121.6, 42.2, 121.7, 42.3), box(121.7, 42.2, 121.8, 42.3),
                               None], crs=CRS).to_file(gpkg, layer="towns")
    gpd.GeoDataFrame(
        {"项目编号": list(ROADS), "项目名称": ["一号路", "二号路", "三号村路", "林区便道"],
         "道路类别": ["农村公路", "农村公路", "村内道路", "林道"],
         "建设性质": ["改建", "新建", "新建", "维修改造"],
         "状态": ["完工", "计划", "竣工", "在建"], "乡镇": ["西乡", "西乡", "东镇", "西乡"]},
        geometry=list(ROADS.values()), crs=CRS).to_file(gpkg, layer="roads")
    gpd.GeoDataFrame(
        {"项目编号": list(PLOTS), "项目名称": ["甲地块", "乙地块", "丙地块", "丁地块"],
         "建设性质": ["造林", "造林", "抚育", "草原补播"],
         "状态": ["完工", "已完成", "在建", "计划"],
         "面积(亩)": [None, None, None, 2750.0]},
        geometry=list(PLOTS.values()), crs=CRS).to_file(gpkg, layer="plots")
    gpd.GeoDataFrame(
        {"项目编号": list(SCHOOLS), "项目名称": ["东镇中心小学", "西乡初级中学"],
         "建筑面积(平方米)": [1200.0, 800.0], "状态": ["完工", "在建"]},
        geometry=list(SCHOOLS.values()), crs=CRS).to_file(gpkg, layer="schools")
    (folder / "targets.toml").write_text(TARGETS_TOML, encoding="utf-8")
    project = folder / "project.toml"
    project.write_text(PROJECT_TOML, encoding="utf-8")
    return project


#: The NDVI grid: 0.01° pixels from 121.6 °E, 42.3 °N (20 × 10), EPSG:4490.
NDVI_TRANSFORM = Affine(0.01, 0, 121.6, 0, -0.01, 42.3)


def write_tiny_ndvi(folder: Path) -> tuple[Path, Path]:
    """NDVI before / after of the tiny project (see the module docstring); return the paths."""
    before = np.full((10, 20), 0.2, dtype="float32")
    after = before.copy()
    # P1 = 121.61–121.63 °E, 42.21–42.23 °N: columns 1–2, rows 7–8; P2 covers (col 2, row 7)
    after[8, 1] = after[8, 2] = after[7, 1] = 0.6
    paths = []
    for name, data in (("ndvi_before.tif", before), ("ndvi_after.tif", after)):
        path = folder / name
        with rasterio.open(path, "w", driver="GTiff", width=20, height=10, count=1,
                           dtype="float32", crs=CRS, transform=NDVI_TRANSFORM,
                           nodata=float("nan")) as dst:
            dst.write(data, 1)
        paths.append(path)
    return paths[0], paths[1]


def write_tiny_green_project(folder: Path) -> Path:
    """The tiny project with its NDVI rasters declared in ``[rasters]``; return project.toml."""
    project = write_tiny_project(folder)
    write_tiny_ndvi(folder)
    text = project.read_text(encoding="utf-8")
    project.write_text(text + '\n[rasters]\nndvi_before = "ndvi_before.tif"\n'
                       'ndvi_after = "ndvi_after.tif"\n', encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def tiny_green_project_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """project.toml of the tiny project with NDVI rasters."""
    return write_tiny_green_project(tmp_path_factory.mktemp("tiny_green"))


@pytest.fixture(scope="module")
def tiny_green_project(tiny_green_project_file: Path):  # type: ignore[no-untyped-def]
    """The tiny project with NDVI rasters, loaded."""
    from county_gis import load_project

    return load_project(tiny_green_project_file)


@pytest.fixture(scope="module")
def tiny_project_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """project.toml of the tiny project (written once per test module)."""
    return write_tiny_project(tmp_path_factory.mktemp("tiny_project"))


@pytest.fixture(scope="module")
def tiny_project(tiny_project_file: Path):  # type: ignore[no-untyped-def]
    """The tiny project, loaded."""
    from county_gis import load_project

    return load_project(tiny_project_file)


@pytest.fixture(scope="module")
def bundled_project():  # type: ignore[no-untyped-def]
    """The bundled county project (layers/project.toml), loaded once per module."""
    from county_gis import load_project

    return load_project()
