"""The trend in the progress panel (lamps, sparklines) in headless Chromium, offline."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from county_gis import progress_details
from county_gis.analysis import trend
from county_gis.history import snapshot
from county_gis.project import Project
from county_gis.render import make_map, save_map
from county_gis.targets import Measure, Target
from county_gis.vocabulary import LayerKind
from render_fixtures import ARTIFACTS, browser_page

pytestmark = pytest.mark.browser

PV = Target("pv", "新增装机1000千瓦", "七", Measure.SUM, "千瓦", 1000.0, 2023,
            kinds=(LayerKind.PV_STATION,), field="capacity_kw")
SCHOOLS = Target("schools", "校舍<b>3座</b>{% raw %}", "八", Measure.COUNT, "座", 3.0, 2023,
                 kinds=(LayerKind.SCHOOL,))


def _project(month: int) -> Project:
    """PV: 740 kW done by August, 972 by October; schools: none started before November."""
    done = {8: ["A"], 10: ["A", "B"]}.get(month, [])
    pv = gpd.GeoDataFrame({"project_id": ["A", "B"], "kind": "pv_station",
                           "status": ["completed" if i in done else "planned" for i in "AB"],
                           "capacity_kw": [740.0, 232.0]},
                          geometry=[Point(121.6, 42.0), Point(121.62, 42.0)], crs="EPSG:4490")
    schools = gpd.GeoDataFrame({"project_id": ["S1"], "kind": "school", "status": ["planned"]},
                               geometry=[Point(121.64, 42.02)], crs="EPSG:4490")
    return Project.from_layers({"pv": pv, "schools": schools}, targets=[PV, SCHOOLS])


@pytest.fixture(scope="module")
def trend_map(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trend")
    store = folder / "history.gpkg"
    for month, day in ((6, "2023-06-30"), (8, "2023-08-31"), (10, "2023-10-31")):
        snapshot(_project(month), day, store=store)
    project = _project(10)
    t = trend(project, store=store)
    path = folder / "trend.html"
    save_map(make_map(project, progress=progress_details(project), trend=t), path)
    return path


def test_the_trend_panel_renders_offline(trend_map):
    with browser_page(trend_map) as page:
        assert page.blocked == [] and page.console_errors == []
        items = page.locator(".cg-progress-item")
        assert items.count() == 2
        lamps = page.locator(".cg-lamp")
        assert [lamps.nth(i).get_attribute("title") for i in range(2)] == ["绿灯", "红灯"]
        colours = page.evaluate("[...document.querySelectorAll('.cg-lamp')].map("
                                "e => getComputedStyle(e).backgroundColor)")
        assert colours == ["rgb(26, 150, 65)", "rgb(215, 25, 28)"]
        sparks = page.locator("svg.cg-spark")
        assert sparks.count() == 2
        # three snapshots: three points on each line, the done line ends higher than it starts
        points = page.evaluate("[...document.querySelectorAll('svg.cg-spark')].map(s => "
                               "[...s.querySelectorAll('polyline')].map(p => "
                               "p.getAttribute('points').split(' ').length))")
        assert points == [[3, 3], [3, 3]]
        ys = page.evaluate("document.querySelector('.cg-spark-done').getAttribute('points')"
                           ".split(' ').map(p => parseFloat(p.split(',')[1]))")
        assert ys[0] > ys[1] > ys[2]  # 0 % → 74 % → 97.2 % (SVG y grows downwards)
        text = items.nth(0).locator(".cg-trend-text").inner_text()
        assert text == "序时进度 83.33% · 超序时 13.87 个百分点 · 本期新增 232 千瓦"
        assert page.locator(".cg-trend-head").inner_text() == "截至 2023-10-31"
        # a title with markup and template syntax stays text
        assert items.nth(1).locator(".cg-progress-name").inner_text() == "校舍<b>3座</b>{% raw %}"
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(".cg-progress").screenshot(path=str(ARTIFACTS / "trend_panel.png"))
