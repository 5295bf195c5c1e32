"""The 进度通报 (.docx): 公文 layout checked in the OOXML, every percentage equal to its xlsx cell."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

import county_gis
from county_gis.errors import ConfigError, OutputExistsError
from county_gis.project import Project
from county_gis.render._demo import demo_project
from county_gis.report import write_report
from county_gis.tongbao import FONTS, write_tongbao

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
TWIPS_PER_MM = 1440 / 25.4


def _q(name: str) -> str:
    return f"{{{W}}}{name}"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The bundled project's 通报 and xlsx, written from ONE ProgressDetails."""
    folder = tmp_path_factory.mktemp("tongbao")
    project = county_gis.load_project()
    details = county_gis.progress_details(project, by="township")
    docx = write_tongbao(project, details, folder / "通报.docx", date="2026-12-07",
                         as_of="2026-11-30", issuer="阜新蒙古族自治县重点工程推进办公室")
    xlsx = write_report(details, folder / "进度.xlsx")
    return docx, xlsx


def _xml(docx: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(docx) as z:
        return etree.fromstring(z.read(part))


def _text(element: etree._Element) -> str:
    return "".join(element.itertext())


def _paragraphs(docx: Path) -> list[str]:
    body = _xml(docx, "word/document.xml")
    return [_text(p) for p in body.iter(_q("p"))]


def test_page_margins_and_grid_are_gb_t_9704(outputs):
    docx, _ = outputs
    sect = _xml(docx, "word/document.xml").find(".//w:body/w:sectPr", NS)
    size = sect.find("w:pgSz", NS)
    assert (int(size.get(_q("w"))), int(size.get(_q("h")))) == (11906, 16838)  # A4
    margins = {k: int(sect.find("w:pgMar", NS).get(_q(k))) / TWIPS_PER_MM
               for k in ("top", "bottom", "left", "right")}
    assert margins["top"] == pytest.approx(37, abs=1)   # 天头 37 mm ± 1
    assert margins["left"] == pytest.approx(28, abs=1)  # 订口 28 mm ± 1
    assert 210 - margins["left"] - margins["right"] == pytest.approx(156, abs=0.5)  # 版心
    assert 297 - margins["top"] - margins["bottom"] == pytest.approx(225, abs=0.5)
    grid = sect.find("w:docGrid", NS)
    assert grid.get(_q("type")) == "linesAndChars"
    body_twips = 16838 - sum(int(sect.find("w:pgMar", NS).get(_q(k))) for k in ("top", "bottom"))
    assert int(body_twips // int(grid.get(_q("linePitch")))) == 22   # 22 lines
    char_pt = 16 + int(grid.get(_q("charSpace"))) / 4096               # 3号 + the grid's pitch
    width_pt = (11906 - sum(int(sect.find("w:pgMar", NS).get(_q(k))) for k in ("left", "right"))) / 20
    assert int(width_pt // char_pt) == 28                               # 28 characters


def test_east_asian_fonts_and_language_tags(outputs):
    docx, _ = outputs
    styles = _xml(docx, "word/styles.xml")
    normal = styles.find(".//w:style[@w:styleId='Normal']", NS)
    assert normal.find(".//w:rFonts", NS).get(_q("eastAsia")) == "仿宋_GB2312"
    assert normal.find(".//w:lang", NS).get(_q("eastAsia")) == "zh-CN"
    body = _xml(docx, "word/document.xml")
    runs = [r for r in body.iter(_q("r")) if _text(r).strip()]
    assert runs
    used = set()
    for run in runs:
        fonts = run.find("w:rPr/w:rFonts", NS)
        assert fonts is not None, _text(run)
        used.add(fonts.get(_q("eastAsia")))
        assert run.find("w:rPr/w:lang", NS).get(_q("eastAsia")) == "zh-CN"
    assert used <= set(FONTS.values())
    assert {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"} <= used
    settings = _xml(docx, "word/settings.xml")
    assert settings.find("w:themeFontLang", NS).get(_q("eastAsia")) == "zh-CN"
    assert settings.find("w:evenAndOddHeaders", NS) is not None


def test_page_numbers_are_dashed_fields(outputs):
    docx, _ = outputs
    with zipfile.ZipFile(docx) as z:
        footers = [n for n in z.namelist() if re.match(r"word/footer\d+\.xml", n)]
        assert len(footers) == 2  # odd (right) and even (left)
        for name in footers:
            xml = etree.fromstring(z.read(name))
            assert "PAGE" in "".join(t.text for t in xml.iter(_q("instrText")))
            text = _text(xml)
            assert text.startswith("— ") and text.endswith(" —")
            assert xml.find(".//w:rFonts", NS).get(_q("eastAsia")) == "宋体"


def test_heading_hierarchy_and_parts(outputs):
    docx, _ = outputs
    paras = [p for p in _paragraphs(docx) if p.strip()]
    assert paras[0].startswith("关于") and paras[0].endswith("的通报")
    heads = [p for p in paras if re.match(r"^[一二三四五六七八九十]、", p)]
    assert heads == ["一、总体情况", "二、分乡镇情况", "三、进展滞后的目标任务", "四、数据质量问题",
                     "五、项目分布图"]
    assert any(re.match(r"^（一）", p) for p in paras)
    assert any(re.match(r"^1\. ", p) for p in paras)
    assert any(re.match(r"^（1）", p) for p in paras)  # the fourth level: 一、（一）1.（1）
    assert "阜新蒙古族自治县重点工程推进办公室" in paras
    assert "2026年12月7日" in paras  # 成文日期
    assert any("数据截至2026年11月30日" in p for p in paras)
    assert "附件" in paras and "分乡镇目标任务完成情况明细表" in paras
    with zipfile.ZipFile(docx) as z:  # the A4 map is embedded
        assert any(n.startswith("word/media/") and n.endswith(".png") for n in z.namelist())
    text = "\n".join(paras)
    assert "4对图斑相互重叠" in text  # the bundled project's 4 overlapping pairs
    assert "1个项目填报值与按图形实测值不一致" in text


def _xlsx_rates(xlsx: Path) -> dict[str, float]:
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    sheet = book["目标进度"]
    header = [c.value for c in sheet[1]]
    title, rate = header.index("目标"), header.index("完成率(%)")
    return {row[title]: row[rate] for row in sheet.iter_rows(min_row=2, values_only=True)
            if row[rate] is not None}


def test_every_percentage_equals_its_xlsx_cell(outputs):
    docx, xlsx = outputs
    rates = _xlsx_rates(xlsx)
    body = _xml(docx, "word/document.xml")
    overview = body.findall(".//w:tbl", NS)[0]
    rows = overview.findall("w:tr", NS)
    assert [_text(c) for c in rows[0].findall("w:tc", NS)][-1] == "完成率"
    checked = 0
    for row in rows[1:]:
        cells = [_text(c) for c in row.findall("w:tc", NS)]
        title, shown = cells[1], cells[-1]
        assert shown == f"{rates[title]:.1f}%", title  # the xlsx shows 0.0
        checked += 1
    assert checked == len(rates) == 14
    # every other percentage of the document is one of those cells (or the stated threshold)
    text = "\n".join(_paragraphs(docx))
    allowed = {f"{v:.1f}%" for v in rates.values()} | {"90%"}
    found = re.findall(r"\d+(?:\.\d+)?%", text)
    assert found and set(found) <= allowed
    # the lagging targets quote their own row's rate
    for title, rate in rates.items():
        for match in re.finditer(rf"（[一二三四五六七八九十]+）{re.escape(title)}\n目标.*?完成率"
                                 r"(\d+\.\d%)", text):
            assert match.group(1) == f"{rate:.1f}%"


def test_a_user_template_replaces_the_house_style(tmp_path):
    import docx as python_docx

    template = tmp_path / "模板.docx"
    doc = python_docx.Document()
    doc.add_paragraph("{{ title }}｜截至{{ as_of }}")
    doc.add_paragraph("{% for t in targets %}{{ t.title }}={{ t.rate }}；{% endfor %}")
    doc.save(template)
    p = demo_project()
    odd = Project.from_layers(dict(p.layers), targets=p.targets, boundary=p.boundary,
                              townships=p.townships, name="示例{{ 7*7 }}<b>县")
    details = county_gis.progress_details(odd, by="township")
    out = write_tongbao(odd, details, tmp_path / "t.docx", template=template, with_map=False,
                        as_of="2026-11-30", date="2026-12-07")
    paras = _paragraphs(out)
    assert paras[0] == "关于示例{{ 7*7 }}<b>县目标任务完成进度的通报｜截至2026年11月30日"
    rows = details.table.dropna(subset=["completed"])
    assert paras[1] == "".join(f"{r.title}={r.pct_completed:.1f}%；"
                               for r in rows.itertuples())


def test_refusals(tmp_path):
    p = demo_project()
    details = county_gis.progress_details(p)
    with pytest.raises(ConfigError, match=r"suffix '.doc'; allowed: .docx"):
        write_tongbao(p, details, tmp_path / "a.doc")
    with pytest.raises(ConfigError, match=r"as_of was '30/11/2026'; expected YYYY-MM-DD.*--as-of"):
        write_tongbao(p, details, tmp_path / "a.docx", as_of="30/11/2026")
    with pytest.raises(ConfigError, match=r"template nope.docx does not exist"):
        write_tongbao(p, details, tmp_path / "a.docx", template="nope.docx")
    out = write_tongbao(p, details, tmp_path / "a.docx", with_map=False)
    with pytest.raises(OutputExistsError):
        write_tongbao(p, details, out, with_map=False)


def test_lamps_and_this_months_additions_from_the_history(tmp_path):
    """With the project's history the 通报 has 序时进度与红黄绿灯, the trend's own numbers."""
    from county_gis.analysis import trend
    from county_gis.units import format_amount

    project = county_gis.load_project()
    details = county_gis.progress_details(project, by="township")
    history = trend(project)
    docx = write_tongbao(project, details, tmp_path / "通报.docx", date="2026-12-07",
                         as_of="2023-12-31", with_map=False, trend=history)
    paragraphs = _paragraphs(docx)
    heading = next(i for i, p in enumerate(paragraphs) if p.endswith("序时进度与红黄绿灯"))
    assert paragraphs[heading].startswith(("二、", "一、"))
    last = history.table[history.table["date"] == history.table["date"].max()]
    forest = last[last["target_id"] == "afforestation"].iloc[0]
    rows = [_text(r) for r in _xml(docx, "word/document.xml").iter(_q("tr"))]
    [row] = [r for r in rows if r.startswith(f"{forest['title']}（{forest['unit']}）")]
    assert format_amount(forest["gap"], 2, sign=True) in row
    assert format_amount(forest["added"], 2) in row and str(forest["lamp_label"]) in row
    plain = write_tongbao(project, details, tmp_path / "无历史.docx", date="2026-12-07",
                          as_of="2023-12-31", with_map=False)
    assert not any(p.endswith("序时进度与红黄绿灯") for p in _paragraphs(plain))
