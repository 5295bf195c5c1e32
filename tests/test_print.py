"""Printed maps and the atlas: fonts embedded, no glyph boxes, a true scale bar, a clean surround.

Most tests print the tiny demo project (two townships, a few plots); the 37-page atlas and the
page checks run on the bundled project (36 township polygons).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import box

import county_gis
from county_gis.crs import GRS80_A, GRS80_F
from county_gis.errors import ConfigError, DataError, OutputExistsError
from county_gis.project import Project
from county_gis.render import print_atlas, print_map
from county_gis.render._demo import demo_project
from county_gis.render._print import FONT_FAMILIES
from county_gis.render._surround import nice_scale, scale_text

PDFFONTS = shutil.which("pdffonts")
PDFINFO = shutil.which("pdfinfo")
GEOD = Geod(a=GRS80_A, f=GRS80_F)


@pytest.fixture(scope="module")
def bundled():
    project = county_gis.load_project()
    return project, county_gis.progress_details(project, by="township")


@pytest.fixture(scope="module")
def bundled_page(bundled, tmp_path_factory):
    project, details = bundled
    out = tmp_path_factory.mktemp("print") / "county.pdf"
    return print_map(project, out, progress=details, date="2026-12-07")


def _fonts(pdf: Path) -> list[list[str]]:
    if PDFFONTS is None:
        pytest.fail("pdffonts (Debian poppler-utils, installed by bash dev.sh test) is missing")
    text = subprocess.run([PDFFONTS, str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return [line.split() for line in text.splitlines()[2:] if line.strip()]


def _pages(pdf: Path) -> int:
    if PDFINFO is None:
        pytest.fail("pdfinfo (Debian poppler-utils) is missing")
    text = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in text.splitlines() if line.startswith("Pages:")))


def test_every_font_is_the_cjk_font_and_embedded(bundled_page):
    rows = _fonts(bundled_page.path)
    assert rows, "no font in the PDF"
    wanted = {f.replace(" ", "") for f in FONT_FAMILIES}
    for row in rows:
        name = row[0].split("+", 1)[-1]
        assert any(name.lower().startswith(w.lower()) for w in wanted), row
        emb = row[-5]  # columns: name, type..., encoding, emb, sub, uni, object, ID
        assert emb == "yes", row


def test_a_character_the_font_lacks_is_an_error(tmp_path):
    p = demo_project()
    towns = p.townships.copy()
    towns.loc[towns.index[0], "name"] = "𠀀🚧镇"  # CJK extension B and an emoji
    odd = Project.from_layers(dict(p.layers), targets=p.targets, boundary=p.boundary,
                              townships=towns, name="示例")
    out = tmp_path / "odd.pdf"
    with pytest.raises(DataError, match=r"glyph missing: the font .* has no .*U\+1F6A7"):
        print_map(odd, out)
    assert not out.exists()  # nothing half-written


def test_surround_boxes_overlap_neither_the_frame_nor_each_other(bundled, tmp_path):
    project, details = bundled
    for orientation, progress in itertools.product(("landscape", "portrait"), (None, details)):
        printed = print_map(project, tmp_path / f"{orientation}{progress is None}.pdf",
                            orientation=orientation, progress=progress)
        boxes = printed.boxes
        expected = {"frame", "title", "mark", "north", "scale", "legend", "info"}
        assert expected | ({"table"} if progress is not None else set()) == set(boxes)
        page = (297, 210) if orientation == "landscape" else (210, 297)
        for name, (x0, y0, x1, y1) in boxes.items():
            assert 0 <= x0 < x1 <= page[0] and 0 <= y0 < y1 <= page[1], (orientation, name)
        for (a, ba), (b, bb) in itertools.combinations(boxes.items(), 2):
            apart = ba[2] <= bb[0] or bb[2] <= ba[0] or ba[3] <= bb[1] or bb[3] <= ba[1]
            assert apart, (orientation, progress is not None, a, ba, b, bb)


def test_scale_bar_agrees_with_the_geodesic_distance(bundled_page):
    printed = bundled_page
    x0, y0, x1, y1 = printed.boxes["frame"]
    vx0, vy0, vx1, vy1 = printed.frame_crs_bounds
    # the frame's scale as drawn: metres of grid per metre of paper, both ways
    assert (vx1 - vx0) / ((x1 - x0) / 1000) == pytest.approx(printed.scale, rel=1e-3)
    assert (vy1 - vy0) / ((y1 - y0) / 1000) == pytest.approx(printed.scale, rel=1e-3)
    assert printed.scale == 800_000
    # the bar: its paper length at that scale, laid east-west through the frame's centre
    ground = printed.scale_bar_mm / 1000 * printed.scale
    cx, cy = (vx0 + vx1) / 2, (vy0 + vy1) / 2
    back = Transformer.from_crs(printed.crs_name, "EPSG:4490", always_xy=True)
    (lon0, lon1), (lat0, lat1) = back.transform([cx - ground / 2, cx + ground / 2], [cy, cy])
    distance = GEOD.inv(lon0, lat0, lon1, lat1)[2]
    assert printed.scale_bar_m == 20_000
    assert distance == pytest.approx(printed.scale_bar_m, rel=0.005)


def test_the_crs_is_the_gk_zone_of_the_centre_and_is_named(bundled_page):
    assert bundled_page.crs_name == "CGCS2000 / 3-degree Gauss-Kruger CM 123E"  # zone 41


def test_township_labels_are_placed(bundled_page):
    assert len(bundled_page.labels_placed) + len(bundled_page.labels_dropped) == 36
    assert len(bundled_page.labels_placed) >= 30


def test_atlas_has_a_page_per_township_and_the_county(bundled, tmp_path):
    project, details = bundled
    out = tmp_path / "atlas.pdf"
    atlas = print_atlas(project, out, progress=details, date="2026-12-07")
    assert atlas.pages == 37 == _pages(out)
    assert atlas.page_titles[0].endswith("项目分布图")
    assert atlas.page_titles[1:] == [f"{n}项目分布图" for n in project.townships["name"]]
    assert out.stat().st_size < 20 * 1024 * 1024
    assert all(row[-5] == "yes" for row in _fonts(out))


def test_atlas_needs_progress_by_township(tmp_path):
    p = demo_project()
    with pytest.raises(ConfigError, match=r"progress_details\(project, by='township'\)"):
        print_atlas(p, tmp_path / "a.pdf", progress=county_gis.progress_details(p))


def test_public_map_needs_a_review_number(tmp_path):
    with pytest.raises(ConfigError, match=r"审图号.*《地图审核管理规定》.*--review-number"):
        print_map(demo_project(), tmp_path / "p.pdf", public=True)
    printed = print_map(demo_project(), tmp_path / "p.pdf", public=True,
                        review_number="GS(2026)1234号")
    assert printed.path.is_file()


def test_png_is_300_dpi_a4(tmp_path):
    from PIL import Image

    out = print_map(demo_project(), tmp_path / "m.png").path
    with Image.open(out) as image:
        assert image.size == (3507, 2480)  # 297 × 210 mm at 300 dpi (3507.9 px, floored)
        assert [round(v) for v in image.info["dpi"]] == [300, 300]


def test_a3_portrait(tmp_path):
    printed = print_map(demo_project(), tmp_path / "a3.pdf", paper="a3", orientation="竖版")
    assert printed.boxes["frame"][3] < 420 and printed.boxes["mark"][2] <= 297


def test_refuses_to_overwrite_and_unknown_options(tmp_path):
    out = tmp_path / "m.pdf"
    print_map(demo_project(), out)
    with pytest.raises(OutputExistsError):
        print_map(demo_project(), out)
    with pytest.raises(ConfigError, match=r"suffix '.svg'; allowed: .pdf, .png"):
        print_map(demo_project(), tmp_path / "m.svg")
    with pytest.raises(ConfigError, match="paper was 'a5'"):
        print_map(demo_project(), tmp_path / "n.pdf", paper="a5")


def test_nice_scales():
    assert [nice_scale(x) for x in (9_999, 10_001, 151_000, 737_000)] == [
        10_000, 15_000, 200_000, 800_000]
    assert scale_text(800_000) == "1:80万"


def test_demo_township_page_is_framed_on_the_township(tmp_path):
    p = demo_project()
    details = county_gis.progress_details(p, by="township")
    atlas = print_atlas(p, tmp_path / "a.pdf", progress=details)
    assert atlas.pages == 1 + len(p.townships)
    frame = gpd.GeoSeries([box(*atlas.frame_crs_bounds)], crs=atlas.crs_name).to_crs(4490)
    assert frame.iloc[0].contains(p.boundary.geometry.iloc[0])
