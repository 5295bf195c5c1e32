"""Maps in a real browser: Debian's Chromium through playwright, network blocked."""

from __future__ import annotations

import pytest
from pyproj import Geod

from county_gis.render import RasterLayer, make_map, save_map
from render_fixtures import (
    ARTIFACTS,
    HOSTILE,
    HOSTILE_NAME,
    as_details,
    browser_page,
    make_progress,
    make_project,
    write_raster,
)

pytestmark = pytest.mark.browser

PLOTS = "造林、抚育、草原补播"
ROADS = "农村公路新改建、维修改造"
SCHOOLS = "校舍维修改造"


@pytest.fixture(scope="module")
def map_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("maps") / "overview.html"
    save_map(make_map(make_project(), progress=as_details(make_progress())), path)
    return path


def _click_lonlat(page, lon: float, lat: float) -> None:
    x, y = page.evaluate(
        "([lat, lon]) => { const p = CountyGis.map.latLngToContainerPoint([lat, lon]);"
        " const r = CountyGis.map.getContainer().getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; }", [lat, lon])
    page.mouse.click(x, y)


def _hover(page, lon: float, lat: float) -> None:
    """Move the mouse onto a place; Leaflet's canvas drops hover events within 32 ms."""
    x, y = page.evaluate(
        "([lat, lon]) => { const p = CountyGis.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }", [lat, lon])
    page.mouse.move(x, y, steps=5)
    page.wait_for_timeout(80)
    page.mouse.move(x + 1, y)


def test_map_loads_offline_and_draws_every_feature(map_file):
    with browser_page(map_file) as page:
        assert page.evaluate("CountyGis.count()") == {PLOTS: 3, ROADS: 2, SCHOOLS: 1}
        assert page.evaluate("typeof L.Control.FullScreen") == "function"
        assert page.evaluate("CountyGis.layers.every(e => Object.values(e.features).every("
                             "f => (f.options.renderer || f.getLayers()[0].options.renderer)"
                             " instanceof L.Canvas))")
        assert page.locator(".leaflet-control-zoom-fullscreen").count() == 1
        assert page.locator(".leaflet-control-scale-line").inner_text().endswith(("公里", "米"))
        legend = page.locator(".cg-legend")
        assert legend.is_visible()
        assert {PLOTS, ROADS, SCHOOLS, "计划", "在建", "完工"} <= set(
            legend.inner_text().split("\n"))
        panel = page.locator(".cg-progress")
        assert panel.is_visible()
        assert "已完工 6.6 / 200 公里 (3.3%)" in panel.inner_text()
        assert panel.locator(".cg-bar").count() == 2
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_overview.png"))
        assert page.blocked == []
        assert page.console_errors == []
        assert page.evaluate("window.__pwned") is None


def test_click_opens_a_popup_with_the_escaped_value(map_file):
    with browser_page(map_file) as page:
        _click_lonlat(page, 121.625, 42.025)  # plot A1, whose name is hostile
        popup = page.locator(".leaflet-popup-content .cg-popup")
        popup.wait_for()
        assert popup.locator(".cg-popup-table td").first.inner_text() == HOSTILE_NAME
        assert popup.locator("img, script, b").count() == 0
        text = popup.inner_text()
        assert HOSTILE["quotes"] in text and HOSTILE["jinja_comment"] in text
        assert "1,379.84" in text  # measured area in 亩
        page.screenshot(path=str(ARTIFACTS / "map_popup.png"))
        # progress notes and township names (tooltips) are text as well
        assert page.locator(".cg-progress-note").inner_text() == HOSTILE["onerror"]
        assert page.locator(".cg-progress-name").first.inner_text() == (
            "完成造林、抚育、草原补播" + HOSTILE["jinja_expression"])
        assert page.evaluate("window.__pwned") is None
        assert page.console_errors == [] and page.blocked == []


def test_toggling_a_layer_removes_its_features(map_file):
    with browser_page(map_file) as page:
        row = page.locator(".leaflet-control-layers-overlays label", has_text=PLOTS)
        row.locator("input").uncheck()
        assert page.evaluate("CountyGis.count()")[PLOTS] == 0
        assert page.evaluate("CountyGis.count()")[ROADS] == 2
        row.locator("input").check()
        assert page.evaluate("CountyGis.count()")[PLOTS] == 3


def test_search_finds_a_project_by_name(map_file):
    with browser_page(map_file) as page:
        page.locator(".cg-search-input").fill("onerror")
        hit = page.locator(".cg-search-hit")
        assert hit.count() == 1
        assert hit.inner_text() == HOSTILE_NAME + " (A1) · " + PLOTS  # name (项目编号)
        page.locator(".cg-search-input").fill("a1")  # by 项目编号 / 小班号 too
        assert hit.count() == 1 and hit.inner_text() == HOSTILE_NAME + " (A1) · " + PLOTS
        hit.click()
        page.locator(".leaflet-popup-content .cg-popup").wait_for()
        assert page.evaluate("CountyGis.map.getZoom()") >= 13
        page.locator(".cg-search-input").fill("不存在的项目")
        assert page.locator(".cg-search-none").inner_text() == "无匹配项目"


def test_measure_tool_reports_mu_and_km_geodesically(map_file):
    with browser_page(map_file) as page:
        page.locator(".cg-measure button[data-mode=area]").click()
        corners = [(121.64, 42.03), (121.68, 42.03), (121.68, 42.06), (121.64, 42.06)]
        for lon, lat in corners:
            _click_lonlat(page, lon, lat)
        clicked = page.evaluate("CountyGis.measureResult()")
        assert clicked["points"] == 4
        # the clicked positions are the pixel centres; measure what the browser measured
        lats_lons = page.evaluate(
            "() => { const out = []; CountyGis.map.eachLayer(l => { if (l instanceof"
            " L.CircleMarker && l.options.radius === 3) out.push([l.getLatLng().lat,"
            " l.getLatLng().lng]); }); return out; }")
        geod = Geod(ellps="GRS80")
        area, perimeter = geod.polygon_area_perimeter([p[1] for p in lats_lons],
                                                      [p[0] for p in lats_lons])
        assert clicked["mu"] == pytest.approx(abs(area) * 15 / 10_000, rel=1e-9)
        assert clicked["km"] == pytest.approx(perimeter / 1000, rel=1e-9)
        # 0.04° × 0.03° at 42 °N: 3.31 km × 3.33 km ≈ 11.0 km² ≈ 16,560 亩 (pixel snapping aside)
        assert 16_000 < clicked["mu"] < 17_100
        output = page.locator(".cg-measure-output").inner_text()
        assert output.startswith("面积 ") and " 亩 · 周长 " in output and output.endswith(" 公里")
        assert page.console_errors == []


def test_large_layer_is_aggregated_until_zoomed_in(tmp_path):
    path = tmp_path / "lazy.html"
    save_map(make_map(make_project(hostile=False), show_progress=False, lazy_above=2,
                      detail_zoom=15), path)
    with browser_page(path) as page:
        counts = page.evaluate("CountyGis.count()")
        # only the plots (3 > lazy_above) wait for a zoom; roads (2) and the school are drawn
        assert counts == {PLOTS: 0, ROADS: 2, SCHOOLS: 1}
        assert page.evaluate("CountyGis.layers[0].aggregate.getLayers().length") >= 1
        assert page.evaluate("CountyGis.map.hasLayer(CountyGis.layers[0].aggregate)")
        assert page.locator(".cg-legend-note").inner_text() == "圆点：网格内项目数，放大到 15 级显示图斑"
        assert page.evaluate("CountyGis.map.getZoom()") < 15
        page.evaluate("CountyGis.map.setView([42.025, 121.625], 15, {animate: false})")
        page.wait_for_function(f"CountyGis.count()['{PLOTS}'] > 0")
        assert 1 <= page.evaluate("CountyGis.count()")[PLOTS] <= 3
        assert not page.evaluate("CountyGis.map.hasLayer(CountyGis.layers[0].aggregate)")
        assert page.console_errors == [] and page.blocked == []


def test_hostile_values_stay_text_in_tooltips_layer_names_and_legend(tmp_path):
    project = make_project()
    odd_key = HOSTILE["onerror"] + HOSTILE["jinja_statement"]
    project.layers[odd_key] = project.layers.pop("school").assign(kind=None)
    path = tmp_path / "odd.html"
    save_map(make_map(project, progress=as_details(make_progress())), path)
    with browser_page(path) as page:
        # layer control and legend show the unknown layer's key as text
        labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert any(text.strip() == odd_key + " (1)" for text in labels)
        assert odd_key in page.locator(".cg-legend").inner_text().split("\n")
        # tooltips: a plot (hostile name) and a township (hostile name)
        _hover(page, 121.625, 42.025)
        page.wait_for_function("document.querySelector('.cg-tooltip-box') &&"
                               " document.querySelector('.cg-tooltip-box').innerText"
                               ".endsWith('完工')")
        assert page.locator(".cg-tooltip-box").inner_text() == HOSTILE_NAME + " · 完工"
        _hover(page, 121.68, 42.07)
        page.wait_for_function("document.querySelector('.cg-tooltip-box') &&"
                               " document.querySelector('.cg-tooltip-box').innerText"
                               ".startsWith('西乡')")
        assert page.locator(".cg-tooltip-box").inner_text() == "西乡" + HOSTILE["script"]
        assert page.locator(".leaflet-container img:not(.leaflet-tile), .leaflet-container"
                            " script").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert page.console_errors == [] and page.blocked == []


def test_level_of_detail_switches_at_the_detail_zoom(tmp_path):
    from shapely.geometry import Point

    project = make_project(hostile=False)
    plots = project.layers["afforestation"]
    # a round plot, r ≈ 170 m, 121 vertices: 7 m (coarse) and 0.5 m (fine) keep different counts
    plots.loc[plots.index[0], "geometry"] = Point(121.625, 42.025).buffer(0.002, quad_segs=30)
    path = tmp_path / "lod.html"
    save_map(make_map(project, show_progress=False, lod_above=0, detail_zoom=13), path)
    ring = ("CountyGis.layers[0].features[CountyGis.layers[0].data.columns.project_id"
            ".indexOf('A1')].getLatLngs()[0][0].length")
    with browser_page(path) as page:
        page.evaluate("CountyGis.map.setZoom(11, {animate: false}); 0")
        coarse = page.evaluate(ring)
        page.evaluate("CountyGis.map.setView([42.025, 121.625], 16, {animate: false}); 0")
        fine = page.evaluate(ring)
        # from the detail zoom on, only the buckets in view are drawn (A2 is 4 km away, A3 8 km)
        assert page.evaluate("CountyGis.count()")[PLOTS] == 1
        page.evaluate("CountyGis.map.setZoom(12, {animate: false}); 0")
        assert page.evaluate(ring) == coarse
        assert page.evaluate("CountyGis.count()")[PLOTS] == 3
        assert 8 <= coarse < 25 < 40 < fine <= 121
        assert page.console_errors == []


def test_aggregate_tooltips_are_text(tmp_path):
    project = make_project()
    odd_key = HOSTILE["onerror"] + HOSTILE["jinja_expression"]
    project.layers[odd_key] = project.layers.pop("school").assign(kind=None)
    path = tmp_path / "agg.html"
    save_map(make_map(project, show_progress=False, lazy_above=0, detail_zoom=15), path)
    with browser_page(path) as page:
        assert page.evaluate("CountyGis.count()")[odd_key] == 0
        _hover(page, 121.75, 42.05)  # the school: its bucket's circle sits on it
        page.wait_for_function("document.querySelector('.cg-tooltip-box') &&"
                               " document.querySelector('.cg-tooltip-box').innerText"
                               ".includes('放大查看详情')")
        assert page.locator(".cg-tooltip-box").inner_text() == odd_key + " · 1 个 (放大查看详情)"
        assert page.evaluate("window.__pwned") is None
        assert page.console_errors == [] and page.blocked == []


def _pixel(page, lon: float, lat: float) -> tuple[int, ...]:
    """The colour the page shows at a place (a 1 × 1 screenshot, decoded here)."""
    import struct
    import zlib

    x, y = page.evaluate(
        "([lat, lon]) => { const p = CountyGis.map.latLngToContainerPoint([lat, lon]);"
        " return [Math.round(p.x), Math.round(p.y)]; }", [lat, lon])
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    chunks, at = {}, 8
    while at < len(png):
        (size,) = struct.unpack(">I", png[at:at + 4])
        kind = png[at + 4:at + 8]
        chunks[kind] = chunks.get(kind, b"") + png[at + 8:at + 8 + size]
        at += 12 + size
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (width, height, depth) == (1, 1, 8)
    row = zlib.decompress(chunks[b"IDAT"])  # one pixel: every PNG filter leaves it as it is
    return tuple(row[1:4]) if colour_type in (2, 6) else (row[1],) * 3


def test_raster_overlay_is_drawn_in_place_keyed_and_toggled(tmp_path):
    name = "NDVI 2023 " + HOSTILE["onerror"]
    raster = write_raster(tmp_path / "ndvi.tif", description=name)  # 0.5 over 121.63-121.69 °E, 42.07-42.095 °N
    path = tmp_path / "raster.html"
    save_map(make_map(make_project(hostile=False), show_progress=False,
                      rasters=[RasterLayer(raster, opacity=1.0)]), path)
    with browser_page(path) as page:
        image = page.locator(".leaflet-image-layer")
        assert image.count() == 1
        assert image.get_attribute("src").startswith("data:image/png;base64,")
        page.wait_for_function("document.querySelector('.leaflet-image-layer').complete")
        # inside the raster: NDVI 0.5 is #66bd63; outside it: the neutral background
        inside = _pixel(page, 121.66, 42.0825)
        assert all(abs(a - b) <= 3 for a, b in zip(inside, (0x66, 0xBD, 0x63), strict=True))
        assert _pixel(page, 121.675, 42.055) != inside
        legend = page.locator(".cg-legend-raster")
        assert legend.is_visible()
        assert legend.locator(".cg-legend-heading").inner_text() == name
        assert legend.locator(".cg-colourbar-ticks").inner_text().split("\n") == [
            "-0.2", "0.35", "0.9"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_raster.png"))
        label = page.locator(".leaflet-control-layers-overlays label", has_text=name)
        label.locator("input").click()
        assert page.locator(".leaflet-image-layer").count() == 0
        assert not legend.is_visible()
        label.locator("input").click()
        assert page.locator(".leaflet-image-layer").count() == 1 and legend.is_visible()
        assert page.evaluate("window.__pwned") is None
        assert page.console_errors == [] and page.blocked == []
