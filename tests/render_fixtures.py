"""Shared fixtures and helpers of the map tests (render and browser).

The project here is synthetic: a 0.2° × 0.1° "county" near the county seat with two
townships and a few features of three kinds, plus hostile attribute values (HTML,
event handlers, quotes, Jinja statements / expressions / comments) in every place a
value reaches the page.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import Affine
from shapely.geometry import LineString, Point, box

from county_gis.analysis import ProgressDetails
from county_gis.project import Project

#: Values that would run script or Jinja if they were not escaped.
HOSTILE = {
    "script": "<script>window.__pwned = 'script'</script>",
    "onerror": '<img src=x onerror="window.__pwned=\'img\'">',
    "quotes": "\"'`; window.__pwned='quote'; //",
    "jinja_statement": "{% for i in range(3) %}循环{% endfor %}",
    "jinja_expression": "{{ 7 * 7 }}",
    "jinja_comment": "{# hidden #}shown",
    "mixed": "</script><b>粗体</b>{{ config }}{% raw %}",
}
HOSTILE_NAME = HOSTILE["onerror"] + HOSTILE["jinja_statement"] + HOSTILE["jinja_expression"]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def make_project(*, hostile: bool = True) -> Project:
    """A small project in memory (no targets)."""
    crs = "EPSG:4490"
    boundary = gpd.GeoDataFrame({"name": ["测试县"]}, geometry=[box(121.6, 42.0, 121.8, 42.1)],
                                crs=crs)
    townships = gpd.GeoDataFrame(
        {"code": ["210921100", "210921101"],
         "name": ["西乡" + (HOSTILE["script"] if hostile else ""), "东镇"],
         "kind": ["乡", "镇"], "approximate": [False, True]},
        geometry=[box(121.6, 42.0, 121.7, 42.1), box(121.7, 42.0, 121.8, 42.1)], crs=crs)
    names = ["一号造林地块", "二号抚育地块", "三号补播地块"]
    if hostile:
        names[0] = HOSTILE_NAME
    plots = gpd.GeoDataFrame(
        {"project_id": ["A1", "A2", "A3"], "name": names, "kind": "afforestation",
         "status": ["completed", "under_construction", "planned"],
         "township": [HOSTILE["quotes"] if hostile else "西乡", "西乡", "东镇"],
         "year": [2025, 2025, 2026],
         "work_type": [HOSTILE["jinja_comment"] if hostile else "造林", "抚育", "草原补播"]},
        # 0.01° × 0.01° squares: A1 and A3 1,379.84 亩, A2 1,379.20 亩 (pyproj.Geod, GRS80)
        geometry=[box(121.62, 42.02, 121.63, 42.03), box(121.65, 42.05, 121.66, 42.06),
                  box(121.72, 42.02, 121.73, 42.03)], crs=crs)
    roads = gpd.GeoDataFrame(
        {"project_id": ["R1", "R2"],
         "name": ["西乡公路改建" + (HOSTILE["mixed"] if hostile else ""), "东镇村路"],
         "kind": "road_rebuild", "status": ["completed", "planned"],
         "township": ["西乡", "东镇"], "year": 2025, "work_type": ["改建", "新建"]},
        geometry=[LineString([(121.61, 42.01), (121.69, 42.01)]),
                  LineString([(121.71, 42.08), (121.79, 42.08)])], crs=crs)
    schools = gpd.GeoDataFrame(
        {"project_id": ["S1"], "name": ["东镇中心小学"], "kind": "school",
         "status": ["under_construction"], "township": ["东镇"], "year": 2025},
        geometry=[Point(121.75, 42.05)], crs=crs)
    return Project.from_layers(
        {"afforestation": plots, "road_rebuild": roads, "school": schools}, targets=[],
        name="测试", root=Path("."), boundary=boundary, townships=townships,
    )


def write_raster(path, value=0.5, *, width=30, height=25, west=121.63, north=42.095,
                 res=(0.002, 0.001), description="NDVI 2023 (test)", nodata_corner=False):
    """A constant raster (EPSG:4490) over an empty corner of the test county."""
    data = np.full((height, width), value, dtype="float32")
    if nodata_corner:
        data[:5, :5] = np.nan
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="float32", crs="EPSG:4490", nodata=float("nan"),
                       transform=Affine(res[0], 0, west, 0, -res[1], north)) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, description)
    return path


def page_data(page: str) -> dict[str, Any]:
    """The data of a saved page's ProjectLayers and Legend elements (what the browser parses)."""
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', page, re.S)
    parsed = [json.loads(b) for b in blocks]
    layers = next(p for p in parsed if isinstance(p, dict) and "rasters" in p and "layers" in p)
    legend = next(p for p in parsed if isinstance(p, dict) and "kindsTitle" in p)
    return {"layers": layers, "legend": legend}


def as_details(table: pd.DataFrame) -> ProgressDetails:
    """A progress table as the results object maps take (no links, overlaps or gaps)."""
    return ProgressDetails(table=table, by_township=None, overlaps=pd.DataFrame(),
                           stated=pd.DataFrame(), links=pd.DataFrame())


def make_progress(*, hostile: bool = True) -> pd.DataFrame:
    """A table shaped like county_gis.analysis.progress.progress() returns."""
    return pd.DataFrame({
        "target_id": ["afforestation", "roads"],
        "title": ["完成造林、抚育、草原补播" + (HOSTILE["jinja_expression"] if hostile else ""),
                  "新改建农村公路"],
        "unit": ["亩", "km"],
        "target_value": [106_000.0, 200.0],
        "planned": [1380.27, 6.6], "under_construction": [1380.27, 0.0],
        "completed": [1380.27, 6.6], "pct_completed": [1.3, 3.3], "n_features": [3, 2],
        "notes": [HOSTILE["onerror"] if hostile else None, None],
    })


@pytest.fixture
def project() -> Project:
    return make_project()


@pytest.fixture
def progress_table() -> pd.DataFrame:
    return make_progress()


@contextmanager
def browser_page(html: Path, *, width: int = 1280, height: int = 860) -> Iterator[Any]:
    """Open ``html`` in the system Chromium with every non-file request aborted.

    Yields a playwright page with ``page.blocked`` (URLs that tried to leave the file)
    and ``page.console_errors``.
    """
    from playwright import sync_api

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:  # a missing browser fails the test: it must never pass unseen
        pytest.fail("no system chromium: `bash dev.sh test` installs it (apt-get install "
                    "chromium fonts-wqy-microhei); or deselect these tests with -m 'not browser'")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.blocked = []
            page.console_errors = []

            def route(r: Any) -> None:
                if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                    r.continue_()
                else:
                    page.blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(
                msg.text))
            page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
            page.goto(html.resolve().as_uri())
            page.wait_for_function("window.CountyGis && window.CountyGis.control")
            yield page
        finally:
            browser.close()
