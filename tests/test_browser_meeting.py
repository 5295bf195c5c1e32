"""The HTML map in a meeting room and on a phone: nothing overlaps, panels fold, it prints.

The bundled project's overview (with its progress panel and rasters) is opened at the three
screens of issue 15 — an office laptop (1366 × 768), a projector (1024 × 640) and a phone
(390 × 844) — and with print media; the bounding boxes of the title, legend, layer list,
progress panel, search and controls are measured in the page.
"""

from __future__ import annotations

import itertools

import pytest

import county_gis
from county_gis.render import render_overview
from county_gis.render._style import MIN_DELTA_E, MIN_DELTA_E_CVD, palette_delta_e
from render_fixtures import ARTIFACTS, browser_page

pytestmark = pytest.mark.browser

#: What must never overlap (selector of the element measured).
PARTS = {
    "title": ".cg-title",
    "legend": ".cg-legend",
    "layers": ".leaflet-control-layers",
    "progress": ".cg-progress",
    "search": ".cg-search",
    "zoom": ".leaflet-control-zoom",
    "fullscreen": ".leaflet-control-zoom-fullscreen",
    "measure": ".cg-measure",
    "scale": ".leaflet-control-scale",
}
SCREENS = [(1366, 768), (1024, 640), (390, 844)]


@pytest.fixture(scope="module")
def overview(tmp_path_factory):
    project = county_gis.load_project()
    details = county_gis.progress_details(project)
    return render_overview(project, tmp_path_factory.mktemp("meeting"), progress=details).path


def _boxes(page, parts):
    out = {}
    for name, selector in parts.items():
        node = page.locator(selector)
        assert node.count() >= 1, name
        box = node.first.bounding_box()
        if box is not None and box["width"] > 0 and box["height"] > 0:
            out[name] = box
    return out


def _overlap(a, b) -> float:
    dx = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    dy = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(dx, 0) * max(dy, 0)


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_nothing_overlaps_and_everything_is_on_screen(overview, width, height):
    with browser_page(overview, width=width, height=height) as page:
        assert page.console_errors == []
        boxes = _boxes(page, PARTS)
        assert set(boxes) == set(PARTS)
        for name, box in boxes.items():  # inside the window
            assert box["x"] >= 0 and box["y"] >= 0, name
            assert box["x"] + box["width"] <= width + 0.5, name
            assert box["y"] + box["height"] <= height + 0.5, name
        for (a, ba), (b, bb) in itertools.combinations(boxes.items(), 2):
            assert _overlap(ba, bb) == 0, (a, ba, b, bb)
        covered = sum(b["width"] * b["height"] for n, b in boxes.items() if n != "title")
        share = covered / (width * (height - boxes["title"]["height"]))
        small = width < 640
        # panels start folded on a phone: they leave most of the map free
        assert share < (0.2 if small else 0.4), share
        assert page.locator(".cg-legend.cg-collapsed").count() == (1 if small else 0)
        assert page.locator(".cg-progress.cg-collapsed").count() == (1 if small else 0)
        assert page.locator(".leaflet-control-layers-expanded").count() == (0 if small else 1)
        # the title is on the page, fully, in one or two lines
        title = page.locator(".cg-title-text")
        assert title.inner_text() == "阜新蒙古族自治县2023年重点工程 (示例数据) · 项目地图"
        assert boxes["title"]["height"] <= 64
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"meeting_{width}x{height}.png"))


def test_folded_panels_open_on_a_phone(overview):
    with browser_page(overview, width=390, height=844) as page:
        page.locator(".cg-legend .cg-toggle").click()
        assert page.locator(".cg-legend.cg-collapsed").count() == 0
        legend = page.locator(".cg-legend").bounding_box()
        assert legend["y"] >= page.locator(".cg-title").bounding_box()["height"]
        assert "农村公路新改建、维修改造" in page.locator(".cg-legend").inner_text()


def test_language_scale_labels_and_rasters(overview):
    with browser_page(overview, width=1366, height=768) as page:
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        scale = page.locator(".leaflet-control-scale-line").inner_text()
        assert scale.endswith((" 公里", " 米")) and "km" not in scale
        layers = page.locator(".leaflet-control-layers-overlays").inner_text()
        assert "植被指数 NDVI（后期，2023年）" in layers and "数字高程模型 DEM" in layers
        # township names at the county view, none on top of another
        page.evaluate("void CountyGis.map.setZoom(9.5, {animate: false})")
        page.wait_for_timeout(100)
        rects = page.evaluate(
            "[...document.querySelectorAll('.cg-town-label-icon')]"
            ".filter(n => n.style.visibility !== 'hidden')"
            ".map(n => {const r = n.firstChild.getBoundingClientRect();"
            " return [n.firstChild.textContent, r.left, r.top, r.right, r.bottom];})")
        assert len(rects) >= 20
        for (_, *a), (_, *b) in itertools.combinations(rects, 2):
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        # points stay small at the county view and grow when zoomed in
        radius = "CountyGis.layers.find(e => e.data.name === '入河排污口').features[0].options.radius"
        assert page.evaluate(radius) == 3.5
        page.evaluate("void CountyGis.map.setZoom(12, {animate: false})")
        assert page.evaluate(radius) == 6


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_print_media_keeps_title_map_legend_and_panel(overview, width, height):
    with browser_page(overview, width=width, height=height) as page:
        page.emulate_media(media="print")
        for hidden in ("zoom", "layers", "search", "measure", "fullscreen"):
            assert not page.locator(PARTS[hidden]).first.is_visible(), hidden
        shown = _boxes(page, {k: PARTS[k] for k in ("title", "legend", "progress", "scale")})
        assert set(shown) == {"title", "legend", "progress", "scale"}
        for (a, ba), (b, bb) in itertools.combinations(shown.items(), 2):
            assert _overlap(ba, bb) == 0, (a, ba, b, bb)
        for name, box in shown.items():
            assert box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5, name
        # folded panels print unfolded: the legend lists the kinds
        assert page.locator(".cg-legend .cg-panel-body").is_visible()
        assert page.locator(".leaflet-overlay-pane canvas").first.is_visible()
        if width == 1366:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "meeting_print.png"))


def test_kind_colours_are_apart_by_the_stated_delta_e():
    measured = palette_delta_e()
    assert measured["normal"] >= MIN_DELTA_E - 0.05
    assert min(measured["deuteranopia"], measured["protanopia"]) >= MIN_DELTA_E_CVD - 0.05
