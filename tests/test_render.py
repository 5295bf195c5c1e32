"""county_gis.render without a browser: page content, escaping, assets, basemaps, encoding."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, box

from county_gis.crs import wgs84_to_gcj02
from county_gis.errors import AssetError, ConfigError, ExternalURLError, OutputExistsError
from county_gis.render import (
    Basemap,
    Language,
    _assets,
    external_urls,
    make_map,
    render_overview,
    save_map,
)
from county_gis.render._escape import script_json
from county_gis.render._layers import decode_coords, encode_geometries, prepare_layer
from render_fixtures import HOSTILE, HOSTILE_NAME, as_details, make_progress, make_project

GRS80 = Geod(ellps="GRS80")


def _blocks(page: str) -> dict[str, object]:
    """The JSON data blocks of a page, parsed (what the browser's JSON.parse sees)."""
    found = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.S)
    return {key: json.loads(text) for key, text in found}


@pytest.fixture
def saved(tmp_path):
    m = make_map(make_project(), progress=as_details(make_progress()))
    result = save_map(m, tmp_path / "map.html")
    return result, result.path.read_text(encoding="utf-8")


def test_saved_page_is_self_contained(saved):
    result, page = saved
    assert result.offline and result.online_tiles == ()
    assert result.size == result.path.stat().st_size
    assert external_urls(page, allowed=("https://leafletjs.com", "https://github.com/brunob/"))\
        == []
    assert "<script src=" not in page and "<link rel=\"stylesheet\"" not in page
    # Leaflet, the fullscreen plugin, GeographicLib and our runtime are inlined
    for marker in ('data-asset="leaflet.js"', 'data-asset="fullscreen.js"',
                   'data-asset="geodesic.js"', 'data-asset="county_map.js"'):
        assert marker in page
    assert "url(images/" not in page  # Leaflet's CSS images became data: URIs


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_hostile_values_are_inert_text(saved, key):
    _, page = saved
    assert HOSTILE[key] not in page  # never verbatim: every < > & ' { } % # is escaped


def test_jinja_in_values_is_never_executed(saved):
    _, page = saved
    assert "循环循环" not in page  # the {% for %} loop did not run
    # each construct is still there, as escaped text
    assert "\\u007b\\u0025 for i in range(3) \\u0025\\u007d循环" in page
    assert "\\u007b\\u007b 7 * 7 \\u007d\\u007d" in page
    assert "\\u007b\\u0023 hidden \\u0023\\u007dshown" in page


def test_values_round_trip_exactly(saved):
    _, page = saved
    blocks = _blocks(page)
    layers = next(b for b in blocks.values() if isinstance(b, dict) and "layers" in b)
    plots = next(layer for layer in layers["layers"] if layer["name"] == "造林、抚育、草原补播")
    assert HOSTILE_NAME in plots["columns"]["name"]
    assert HOSTILE["quotes"] in plots["columns"]["township"]
    assert HOSTILE["jinja_comment"] in plots["columns"]["work_type"]
    assert layers["townships"]["columns"]["name"][0] == "西乡" + HOSTILE["script"]
    progress = next(b for b in blocks.values() if isinstance(b, dict) and "rows" in b)
    assert progress["rows"][0]["title"].endswith(HOSTILE["jinja_expression"])
    assert progress["rows"][0]["notes"] == HOSTILE["onerror"]
    assert progress["rows"][1]["unit"] == "公里"  # "km" shown with its Chinese label


def test_measured_area_and_length_are_embedded(saved):
    _, page = saved
    layers = next(b for b in _blocks(page).values() if isinstance(b, dict) and "layers" in b)
    plots, roads, schools = layers["layers"]
    # 0.01° × 0.01° at 42.02-42.03 °N on GRS80: 919,894 m² = 1,379.84 亩
    expected = abs(GRS80.geometry_area_perimeter(box(121.62, 42.02, 121.63, 42.03))[0]) * 15e-4
    assert round(expected, 2) == 1379.84
    assert plots["columns"]["area_mu"][plots["columns"]["project_id"].index("A1")] == 1379.84
    # 0.08° of longitude along 42.01 °N: 6.627 km (82.84 km per degree there)
    length = GRS80.line_length([121.61, 121.69], [42.01, 42.01]) / 1000
    r1 = roads["columns"]["project_id"].index("R1")
    assert roads["columns"]["length_km"][r1] == pytest.approx(length, abs=5e-4)
    assert round(length, 3) == 6.627
    assert ["area_mu", "测算面积(亩)"] in plots["fields"]
    assert "area_mu" not in schools["columns"] and "length_km" not in schools["columns"]


def test_only_shown_columns_are_embedded(tmp_path):
    project = make_project(hostile=False)
    project.layers["afforestation"]["secret_note"] = "不应出现在页面"
    fields = {"name": "项目名称", "status": "状态"}
    page = save_map(make_map(project, show_progress=False, fields=fields),
                    tmp_path / "m.html").path.read_text(encoding="utf-8")
    assert "不应出现在页面" not in page  # script_json keeps Chinese as is
    assert "secret_note" not in page


def test_popups_show_every_source_attribute_by_default(tmp_path):
    project = make_project(hostile=False)
    project.layers["afforestation"]["树种"] = "油松"
    page = save_map(make_map(project, show_progress=False), tmp_path / "m.html").path.read_text(
        encoding="utf-8")
    layers = next(b for b in _blocks(page).values() if isinstance(b, dict) and "layers" in b)
    plots = next(d for d in layers["layers"] if d["name"] == "造林、抚育、草原补播")
    keys = [k for k, _ in plots["fields"]]
    assert keys.index("name") < keys.index("area_mu") < keys.index("树种")
    assert ["树种", "树种"] in plots["fields"] and set(plots["columns"]["树种"]) == {"油松"}


def test_refuses_to_overwrite(tmp_path):
    m = make_map(make_project(), show_progress=False)
    save_map(m, tmp_path / "m.html")
    with pytest.raises(OutputExistsError, match=r"m\.html exists; pass overwrite=True"):
        save_map(m, tmp_path / "m.html")
    assert save_map(m, tmp_path / "m.html", overwrite=True).path.exists()


def test_plain_folium_map_is_refused_offline(tmp_path):
    with pytest.raises(ExternalURLError, match=r"not self-contained: .*cdn\.jsdelivr\.net"):
        save_map(folium.Map(), tmp_path / "plain.html")
    assert not (tmp_path / "plain.html").exists()


def test_folium_globals_are_untouched(tmp_path):
    before_js, before_css = list(folium.Map.default_js), list(folium.Map.default_css)
    make_map(make_project(), show_progress=False)
    assert folium.Map.default_js == before_js and folium.Map.default_css == before_css
    assert any("jquery" in url for _, url in folium.Map.default_js)
    plain = folium.Map().get_root().render()
    assert "leaflet.js" in plain and "https://" in plain  # other maps keep folium's CDN links


def test_online_mode_links_pinned_cdn_versions(tmp_path):
    result = save_map(make_map(make_project(), show_progress=False), tmp_path / "m.html",
                      offline=False)
    page = result.path.read_text(encoding="utf-8")
    assert not result.offline
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js">' in page
    assert result.size < 150_000


def test_missing_npm_package_names_it_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTY_GIS_NODE_MODULES", str(tmp_path / "node_modules"))
    _assets.asset_text.cache_clear()
    _assets.package_version.cache_clear()
    try:
        m = make_map(make_project(), show_progress=False)
        with pytest.raises(AssetError, match=r"npm package 'leaflet' .* run `npm ci`"):
            save_map(m, tmp_path / "m.html")
    finally:
        _assets.asset_text.cache_clear()
        _assets.package_version.cache_clear()
    assert not (tmp_path / "m.html").exists()


def test_external_urls_finds_every_form():
    page = (
        '<link href="//cdn.example.org/a.css"><script src="http://x.org/a.js"></script>'
        '<style>@import "//fonts.example.com/f.css"; .a{background:url(https://i.cn/a.png)}'
        '</style><script>var u = "https:\\u002f\\u002fevil.cn/x.js";</script>'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg><script>// just a comment</script>'
    )
    assert external_urls(page) == [
        "//cdn.example.org/a.css", "http://x.org/a.js", "//fonts.example.com/f.css",
        "https://i.cn/a.png", "https://evil.cn/x.js",
    ]


def test_script_json_escapes_everything_a_parser_could_read():
    text = script_json({"v": "</script><!--{% x %}{{ y }}{# z #}&'\u2028"})
    assert not set(text) & set("<>&'%#\u2028")
    assert "{{" not in text and "{%" not in text and "{#" not in text
    assert json.loads(text) == {"v": "</script><!--{% x %}{{ y }}{# z #}&'\u2028"}


# ---- basemaps ---------------------------------------------------------------------------


def test_basemap_names_are_checked():
    assert Basemap.parse("高德") is Basemap.AMAP
    with pytest.raises(ConfigError, match=r"basemap was 'google' but is expected to be one of "
                                          r"none \(无底图\), tianditu_vec \(天地图\)"):
        make_map(make_project(), basemap="google", show_progress=False)


def test_tianditu_needs_a_key(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(ConfigError, match="天地图 tiles need a key: pass tianditu_key="):
        make_map(make_project(), basemap="天地图", show_progress=False)


def test_tianditu_tiles_are_reported_not_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    result = save_map(make_map(make_project(), basemap="tianditu_img", show_progress=False),
                      tmp_path / "m.html")
    assert len(result.online_tiles) == 2
    assert all("tianditu.gov.cn" in u and "tk=0123456789abcdef" in u for u in result.online_tiles)
    assert {u.split("LAYER=")[1][:3] for u in result.online_tiles} == {"img", "cia"}
    assert "basemap tiles load from https://t{s}.tianditu.gov.cn" in str(result)


def test_local_tiles_are_relative(tmp_path):
    (tmp_path / "tiles").mkdir()  # the folder must exist next to the page (see test_hostile)
    m = make_map(make_project(), basemap="local", local_tiles="tiles", show_progress=False)
    page = save_map(m, tmp_path / "m.html").path.read_text(encoding="utf-8")
    assert "tiles/\\u007bz\\u007d/\\u007bx\\u007d/\\u007by\\u007d.png" in page
    with pytest.raises(ConfigError, match="must be a folder relative to the HTML file"):
        make_map(make_project(), basemap="local", local_tiles="/srv/tiles", show_progress=False)
    with pytest.raises(ConfigError, match="must be a folder relative"):
        make_map(make_project(), basemap="local", local_tiles="https://x.cn/t",
                 show_progress=False)


def test_amap_shifts_every_overlay_to_gcj02(tmp_path):
    m = make_map(make_project(), basemap="amap", show_progress=False)
    page = save_map(m, tmp_path / "m.html").path.read_text(encoding="utf-8")
    layers = next(b for b in _blocks(page).values() if isinstance(b, dict) and "layers" in b)
    first = decode_coords(layers["boundary"]["groups"][0]["coords"])[:2].tolist()
    glon, glat = wgs84_to_gcj02(121.8, 42.0)  # box() starts at (maxx, miny)
    assert first == [round(float(glon) * 1e6), round(float(glat) * 1e6)]
    # the shift is about 0.5 km at Fuxin
    shift_m = GRS80.line_length([121.8, float(glon)], [42.0, float(glat)])
    assert 400 < shift_m < 700
    assert "GCJ-02" in layers["basemap"]["layers"][0]["attribution"]
    plots = layers["layers"][0]
    # measured on the true geometry, not on the shifted one drawn
    assert plots["columns"]["area_mu"][plots["columns"]["project_id"].index("A1")] == 1379.84


def test_language_is_checked():
    assert Language.parse("English") is Language.EN
    with pytest.raises(ConfigError, match=r"language was 'fr' but is expected to be one of zh"):
        make_map(make_project(), language="fr", show_progress=False)


# ---- layer encoding ---------------------------------------------------------------------


def _decode(group):
    deltas = decode_coords(group["coords"]).reshape(-1, 2)
    return np.cumsum(deltas, axis=0) / group["scale"]


def test_geometry_is_trimmed_to_a_tenth_of_a_metre():
    rng = np.random.default_rng(7)
    pts = np.column_stack([121.5 + rng.random(50), 42.0 + rng.random(50)])
    enc = encode_geometries(shapely.points(pts), simplify_m=0)
    decoded = _decode(enc)
    assert np.abs(decoded - pts).max() <= 0.5e-6 + 1e-12  # 1e-6° ≈ 0.11 m of latitude


def test_simplification_keeps_the_shape_within_tolerance():
    circle = Point(121.7, 42.05).buffer(0.002, quad_segs=30)  # 121 vertices, r ≈ 170 m
    enc = encode_geometries(np.array([circle]), simplify_m=0.5)
    decoded = _decode(enc)
    assert len(decoded) < 70  # from 121
    hausdorff_deg = shapely.hausdorff_distance(circle.exterior, shapely.linestrings(decoded))
    assert hausdorff_deg * 111_320 < 0.6


def test_buckets_cover_every_feature_once():
    rng = np.random.default_rng(3)
    xy = np.column_stack([121.1 + rng.random(500) * 1.2, 41.8 + rng.random(500) * 0.7])
    gdf = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(500)], "status": "计划"},
                           geometry=shapely.buffer(shapely.points(xy), 0.001), crs="EPSG:4490")
    data = prepare_layer(gdf, name="plots", bucket_deg=0.1)
    b = data["buckets"]
    assert b["start"][0] == 0 and b["end"][-1] == 500 and sum(b["n"]) == 500
    assert all(e == s for e, s in zip(b["end"][:-1], b["start"][1:], strict=True))
    assert set(data["status"]) == {"planned"}
    assert 20 < len(b["n"]) <= 12 * 7 + 12  # at most one bucket per 0.1° cell touched


def test_progress_table_needs_its_columns():
    table = make_progress().drop(columns=["target_value"])
    with pytest.raises(ConfigError, match=r"the progress table lacks the column\(s\) target_value"):
        make_map(make_project(), progress=as_details(table))


def test_kinds_are_checked():
    with pytest.raises(ConfigError, match=r"kinds: kind was 'mines_x' but is expected to be one of"):
        make_map(make_project(), kinds=["mines_x"], show_progress=False)
    m = make_map(make_project(), kinds=["造林"], show_progress=False)
    layers = next(c for c in m._children.values() if type(c).__name__ == "ProjectLayers")
    assert [layer["name"] for layer in layers.data["layers"]] == ["造林、抚育、草原补播"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_survives_script_json(text):
    encoded = script_json({"value": text, "list": [text]})
    assert json.loads(encoded) == {"value": text, "list": [text]}
    assert not set(encoded) & set("<>&'%#\u2028\u2029")
    assert not any(marker in encoded for marker in ("{{", "{%", "{#"))


def test_rendering_twice_and_in_a_notebook_is_stable():
    m = make_map(make_project(), progress=as_details(make_progress()))
    first = m.get_root().render()
    assert m.get_root().render() == first
    frame = m._repr_html_()  # the notebook view: the same page in an iframe's srcdoc
    assert "data-asset=&quot;leaflet.js&quot;" in frame
    assert HOSTILE["jinja_statement"] not in frame and "循环循环" not in frame


def test_progress_share_is_recomputed_from_the_values_shown(tmp_path):
    table = make_progress().assign(pct_completed=[0.013, 0.033])  # a fraction, not percent
    page = save_map(make_map(make_project(), progress=as_details(table)), tmp_path / "m.html")\
        .path.read_text(encoding="utf-8")
    progress = next(b for b in _blocks(page).values() if isinstance(b, dict) and "rows" in b)
    assert [round(r["pct"], 4) for r in progress["rows"]] == [1.3021, 3.3]  # 1380.27 / 106000


def test_coarse_copy_only_for_big_layers_and_not_for_points():
    def groups(**kwargs):
        m = make_map(make_project(), show_progress=False, **kwargs)
        data = next(c for c in m._children.values() if type(c).__name__ == "ProjectLayers").data
        return {layer["name"]: [("coarse" in g, g["dim"]) for g in layer["groups"]]
                for layer in data["layers"]}

    assert all(not c for gs in groups().values() for c, _ in gs)  # 3 features <= 2000
    with_lod = groups(lod_above=0)
    assert with_lod == {"造林、抚育、草原补播": [(True, 2)], "农村公路新改建、维修改造": [(True, 1)],
                        "校舍维修改造": [(False, 0)]}
    assert all(not c for gs in groups(lod_above=0, lazy_above=1).values() for c, _ in gs)


def test_indicators_without_data_get_no_bar(tmp_path):
    table = pd.concat([make_progress(), pd.DataFrame({
        "target_id": ["good_air_days"], "title": ["空气质量优良天数"], "unit": ["天"],
        "target_value": [300.0], "planned": [np.nan], "under_construction": [np.nan],
        "completed": [np.nan], "pct_completed": [np.nan], "n_features": [0], "notes": [None]})])
    page = save_map(make_map(make_project(), progress=as_details(table)), tmp_path / "m.html")\
        .path.read_text(encoding="utf-8")
    progress = next(b for b in _blocks(page).values() if isinstance(b, dict) and "rows" in b)
    assert [r["title"][:4] for r in progress["rows"]] == ["完成造林", "新改建农"]


def test_page_title_is_escaped(saved, tmp_path):
    _, page = saved
    assert "<title>测试 · 项目地图</title>" in page
    project = make_project()
    project.name = HOSTILE["mixed"]
    page = save_map(make_map(project, show_progress=False), tmp_path / "t.html").path.read_text(
        encoding="utf-8")
    assert ("<title>&lt;/script&gt;&lt;b&gt;粗体&lt;/b&gt;&#123;&#123; config &#125;&#125;"
            "&#123;&#37; raw &#37;&#125; · 项目地图</title>") in page


def test_render_overview_writes_maps_overview(tmp_path):
    saved = render_overview(make_project(), tmp_path / "maps", progress=as_details(make_progress()))
    assert saved.path == tmp_path / "maps" / "overview.html" and saved.offline
    page = saved.path.read_text(encoding="utf-8")
    assert "CountyGis.progress(" in page and "CountyGis.legend(" in page
    with pytest.raises(OutputExistsError):
        render_overview(make_project(), tmp_path / "maps", progress=as_details(make_progress()))
    assert render_overview(make_project(), tmp_path / "maps", progress=as_details(make_progress()),
                           overwrite=True).path == saved.path


def test_progress_panel_shows_how_much_is_green_from_above(tmp_path):
    table = make_progress(hostile=False).assign(greened=[1000.0, float("nan")],
                                                green_share=[1000.0 / 1380.27, float("nan")])
    page = save_map(make_map(make_project(hostile=False), progress=as_details(table)),
                    tmp_path / "m.html").path.read_text(encoding="utf-8")
    [panel] = [b for b in _blocks(page).values() if isinstance(b, dict) and "greenText" in b]
    assert panel["greenText"] == "其中遥感核查变绿"
    plots, roads = panel["rows"]
    assert plots["greened"] == 1000.0 and plots["greenShare"] == pytest.approx(0.72449, abs=1e-5)
    assert roads["greened"] is None and roads["greenShare"] is None


def test_popups_name_the_target_each_feature_counts_toward(tmp_path):
    from county_gis import load_project, progress_details
    from project_fixtures import write_tiny_project
    from render_fixtures import page_data

    project = load_project(write_tiny_project(tmp_path))
    page = save_map(make_map(project, progress=progress_details(project)), tmp_path / "m.html")\
        .path.read_text(encoding="utf-8")
    [roads] = [layer for layer in page_data(page)["layers"]["layers"]
               if "R1" in layer["columns"].get("project_id", [])]
    assert ["target", "对应目标"] in roads["fields"]
    # linked as progress() links them: by kind and 道路类别 filter; 林道 matches no target
    assert dict(zip(roads["columns"]["project_id"], roads["columns"]["target"], strict=True)) == {
        "R1": "新改建农村公路20公里", "R2": "新改建农村公路20公里", "R3": "村内道路5公里",
        "R4": "未关联目标"}


def test_maps_take_progress_and_never_link_again(tmp_path, monkeypatch):
    """The flow runs one way: progress is computed once, the map only draws it."""
    import sys

    from county_gis import load_project, progress_details

    linking = sys.modules["county_gis.analysis.linking"]
    progress_module = sys.modules["county_gis.analysis.progress"]
    from project_fixtures import write_tiny_project

    calls = []
    original = linking.link_features

    def counting(project):
        calls.append(project.name)
        return original(project)

    monkeypatch.setattr(linking, "link_features", counting)
    monkeypatch.setattr(progress_module, "link_features", counting)
    project = load_project(write_tiny_project(tmp_path))
    details = progress_details(project)
    assert len(calls) == 1
    m = make_map(project, progress=details)
    render_overview(project, tmp_path / "maps", progress=details)
    make_map(project)  # no progress: no panel, and still no linking
    assert len(calls) == 1
    names = [type(c).__name__ for c in m._children.values()]
    assert "ProgressPanel" in names
    assert "ProgressPanel" not in [type(c).__name__ for c in make_map(project)._children.values()]
