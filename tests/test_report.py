# ruff: noqa: F811  (pytest fixtures imported from project_fixtures)
"""Progress reports (xlsx / csv / md) and the ``county-gis progress`` command."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from county_gis import ConfigError, OutputExistsError, progress_details
from county_gis.cli import main
from county_gis.report import write_report
from project_fixtures import (  # noqa: F401  (fixtures)
    tiny_green_project,
    tiny_green_project_file,
    tiny_project,
    tiny_project_file,
)


@pytest.fixture(scope="module")
def details(tiny_project):
    return progress_details(tiny_project, by="township")


def cells(sheet) -> list[list[object]]:
    return [[c.value for c in r] for r in sheet.iter_rows()]


def test_xlsx_has_a_sheet_per_view_with_chinese_headers(details, tmp_path):
    out = write_report(details, tmp_path / "进度.xlsx")
    book = load_workbook(out)
    assert book.sheetnames == ["目标进度", "分乡镇", "无多边形乡镇", "重叠与重复", "填报与实测",
                               "关联问题"]
    main_sheet = book["目标进度"]
    assert cells(main_sheet)[0] == ["目标编号", "目标", "报告部分", "计量方式", "单位", "目标值",
                                    "计划", "在建", "已完工", "完成率(%)", "县界外(未计入)", "要素数",
                                    "备注"]
    rows = {r[0]: r for r in cells(main_sheet)[1:]}
    schools = rows["schools"]
    assert schools[3] == "合计" and schools[5] == 3000 and schools[8] == 1200
    assert schools[9] == pytest.approx(40.0)
    assert main_sheet.freeze_panes == "A2"
    # number formats: amounts with thousands separators, % with one decimal
    header = cells(main_sheet)[0]
    row = next(main_sheet.iter_rows(min_row=2, max_row=2))
    assert row[header.index("已完工")].number_format == "#,##0.00"
    assert row[header.index("完成率(%)")].number_format == "0.0"
    towns = cells(book["分乡镇"])
    assert towns[0][2:5] == ["乡镇", "乡镇代码", "范围为近似"]
    assert {r[2] for r in towns[1:]} == {"西乡", "东镇"}
    assert cells(book["无多边形乡镇"]) == [["乡镇代码", "乡镇"], ["003", "北村"]]
    assert cells(book["关联问题"])[1][2] == "R4"
    assert book["填报与实测"]["A1"].value == "目标编号"


def test_xlsx_never_holds_a_formula_from_data(tiny_project, tmp_path):
    details = progress_details(tiny_project)
    details.table.loc[0, "title"] = '=HYPERLINK("http://example.invalid","点我")'
    details.table.loc[1, "notes"] = "@SUM(A1:A9)"
    details.table.loc[2, "notes"] = "-1+2"
    details.table.loc[3, "notes"] = "\t=1"
    out = write_report(details, tmp_path / "safe.xlsx")
    book = load_workbook(out)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    values = [c.value for c in book["目标进度"]["B"]] + [c.value for c in book["目标进度"]["M"]]
    assert "'=HYPERLINK(\"http://example.invalid\",\"点我\")" in values
    assert {"'@SUM(A1:A9)", "'-1+2", "'\t=1"} <= set(values)


def test_csv_is_utf8_with_bom_and_safe(details, tiny_project, tmp_path):
    out = write_report(details, tmp_path / "towns.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["目标编号", "目标", "乡镇"]  # the township view when computed
    county = progress_details(tiny_project)
    county.table.loc[0, "title"] = "+1"
    rows = list(csv.reader(write_report(county, tmp_path / "county.csv")
                           .read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][0] == "目标编号" and rows[1][1] == "'+1"


def test_markdown_has_every_view(details, tmp_path):
    text = write_report(details, tmp_path / "progress.md", title="示例县").read_text(
        encoding="utf-8")
    assert text.startswith("# 示例县\n")
    for heading in ("## 目标进度", "## 分乡镇", "## 重叠与重复", "## 填报与实测", "## 关联问题"):
        assert heading in text
    assert "| schools | 维修改造校舍3000平方米 | 八 | 合计 | 平方米 | 3,000.00 | 0.00 | 800.00 | " \
           "1,200.00 | 40.0 | 0.00 | 2 |" in text


def test_never_overwrites_without_the_flag(details, tmp_path):
    out = tmp_path / "p.md"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"p.md exists; pass overwrite=True"):
        write_report(details, out)
    assert out.read_text(encoding="utf-8") == "keep me"
    write_report(details, out, overwrite=True)
    assert out.read_text(encoding="utf-8").startswith("# 目标任务完成进度")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.md"]  # no temporary left


def test_unknown_suffix_is_refused(details, tmp_path):
    with pytest.raises(ConfigError, match=r"has suffix '.pdf'; allowed: .xlsx, .csv, .md"):
        write_report(details, tmp_path / "p.pdf")


def test_a_plain_progress_table_can_be_written(tiny_project, tmp_path):
    from county_gis import progress

    out = write_report(progress(tiny_project), tmp_path / "t.xlsx")
    assert load_workbook(out).sheetnames == ["目标进度"]


# --- CLI -------------------------------------------------------------------------------------

def test_cli_prints_the_table_and_writes_the_report(tiny_project_file, tmp_path):
    out = tmp_path / "r.xlsx"
    runner = CliRunner()
    result = runner.invoke(main, ["progress", str(tiny_project_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "新改建农村公路20公里" in result.output and "41.3 %" in result.output
    assert "tiny.gpkg:roads#4" in result.output and "个要素未关联 features linked to no target" in result.output
    assert "stated 2,750.0 亩" in result.output
    assert f"wrote {out}" in result.output
    assert load_workbook(out).sheetnames[0] == "目标进度"
    again = runner.invoke(main, ["progress", str(tiny_project_file), "--out", str(out)])
    assert again.exit_code == 1
    assert "exists; pass overwrite=True (CLI: --overwrite) to replace it" in again.output
    forced = runner.invoke(main, ["progress", str(tiny_project_file), "--out", str(out),
                                  "--overwrite", "--by", "township"])
    assert forced.exit_code == 0, forced.output
    assert "分乡镇" in forced.output and "东镇" in forced.output
    assert "分乡镇" in load_workbook(out).sheetnames


def test_cli_refuses_a_bad_suffix_before_working(tiny_project_file, tmp_path):
    result = CliRunner().invoke(main, ["progress", str(tiny_project_file), "--out",
                                       str(tmp_path / "r.docx")])
    assert result.exit_code == 1
    assert "has suffix '.docx'; allowed: .xlsx, .csv, .md" in result.output


def test_print_progress_is_reusable(tiny_project):
    from rich.console import Console

    from county_gis.cli.progress import print_progress

    console = Console(record=True, width=200)
    details = print_progress(tiny_project, console=console)
    text = console.export_text()
    assert "示例县 — 目标任务完成进度" in text and "维修改造校舍3000平方米" in text
    assert isinstance(details.table, pd.DataFrame) and len(details.table) == 5


HOSTILE = ["=HYPERLINK(\"http://example.invalid\")", "+1+1", "-2+3", "@SUM(A1:A9)",
           "\t=1", "\r=1"]


@pytest.fixture(scope="module")
def hostile_details():
    """A project whose every text holds something a spreadsheet would run as a formula."""
    import geopandas as gpd
    from shapely.geometry import LineString, box

    from county_gis.project import Project
    from county_gis.targets import Measure, Target
    from county_gis.vocabulary import LayerKind

    towns = gpd.GeoDataFrame({"code": ["=1", HOSTILE[1]], "name": [HOSTILE[2], HOSTILE[5]],
                              "approximate": [True, True]},
                             geometry=[box(121.6, 42.2, 121.7, 42.3), None], crs="EPSG:4490")
    roads = gpd.GeoDataFrame(
        {"project_id": HOSTILE[:3], "name": HOSTILE[3:], "kind": ["road_rebuild"] * 3,
         "status": ["completed", "planned", "completed"], "target": [None, None, "@nope"],
         "stated_length_km": [-5.0, None, None]},
        geometry=[LineString([(121.61, 42.25), (121.69, 42.25)])] * 3, crs="EPSG:4490")
    target = Target("-id", HOSTILE[0], "=六", Measure.LENGTH, "公里", 10.0, 2023,
                    kinds=(LayerKind.ROAD_REBUILD,), note=HOSTILE[4])
    project = Project.from_layers({"=layer": roads}, targets=[target], townships=towns)
    return progress_details(project, by="township")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").removesuffix("%"))  # -5.0, -1,234.50, -175.7%
    except ValueError:
        return False
    return True


def test_no_report_format_lets_data_start_a_formula(hostile_details, tmp_path):
    starts = ("=", "+", "-", "@", "\t", "\r")
    book = load_workbook(write_report(hostile_details, tmp_path / "h.xlsx"))
    # the three hostile roads are one road collected three times: listed, counted once
    assert book.sheetnames == ["目标进度", "分乡镇", "无多边形乡镇", "重叠与重复", "填报与实测",
                               "关联问题"]
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(starts), (sheet.title, cell.coordinate)
                    texts.append(cell.value)
    for value in HOSTILE:  # every hostile value arrived, quoted (a CR may be read back as LF)
        assert any(t.startswith(("'" + value, "'" + value.replace("\r", "\n")))
                   for t in texts), value
    # numbers stay numbers: the stated length (−5 公里) is a cell of type n
    stated = cells(book["填报与实测"])
    assert stated[1][stated[0].index("填报值")] == -5.0
    # csv (the township view) and markdown: every text field is quoted the same way
    raw = write_report(hostile_details, tmp_path / "h.csv").read_text(encoding="utf-8-sig")
    fields = [f for r in csv.reader(raw.splitlines()) for f in r]
    assert "'-2+3" in fields
    assert not [f for f in fields if f.startswith(starts) and not _is_number(f)]
    text = write_report(hostile_details, tmp_path / "h.md").read_text(encoding="utf-8")
    md_cells = [c.strip(" ") for line in text.splitlines()
                if line.startswith("|") and not line.startswith("|---")
                for c in line.strip("|").split("|")]
    assert "'@SUM\\(A1\\:A9\\)" in md_cells  # Markdown punctuation escaped (renders as text)
    assert not [c for c in md_cells if c.startswith(starts) and not _is_number(c)]


def test_greening_columns_and_sheet(tiny_green_project, tmp_path):
    details = progress_details(tiny_green_project, greening=True)
    book = load_workbook(write_report(details, tmp_path / "g.xlsx"))
    assert "遥感核查" in book.sheetnames
    sheet = book["目标进度"]
    header = cells(sheet)[0]
    assert header[9:12] == ["完成率(%)", "遥感变绿", "变绿比例"]
    line = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "afforestation")
    expected = details.table.set_index("target_id").loc["afforestation"]
    assert line[10].value == pytest.approx(expected["greened"])  # 亩, ≈ 5,503
    assert line[11].value == pytest.approx(expected["green_share"])  # ≈ 4/7
    assert (line[10].number_format, line[11].number_format) == ("#,##0.00", "0.0%")
    plots = cells(book["遥感核查"])
    assert plots[0][:4] == ["目标编号", "图层", "位置", "项目编号"]
    assert [r[3] for r in plots[1:]] == ["P1", "P2"]
    assert [r[plots[0].index("核查结论")] for r in plots[1:]] == ["变绿", "无明显变化"]


def test_cli_progress_greening(tiny_green_project_file, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["progress", str(tiny_green_project_file), "--greening"])
    assert result.exit_code == 0, result.output
    assert "遥感变绿" in result.output and "57.1 %" in result.output  # ≈ 4/7 of P1 ∪ P2
    assert ("NDVI 未变绿 not green [afforestation]: tiny.gpkg:plots#2 (P2): NDVI +0.000, "
            "无明显变化") in result.output
    greening = runner.invoke(main, ["greening", str(tiny_green_project_file)])
    assert greening.exit_code == 0, greening.output
    assert "afforestation" in greening.output and "57.1%" in greening.output  # the same share
    for command in (["progress", "--greening"], ["greening"]):
        bad = runner.invoke(main, [*command, str(tiny_green_project_file), "--threshold", "-1"])
        assert bad.exit_code == 2, bad.output  # a usage error, before any work
        assert "Invalid value for '--threshold': threshold was -1.0 but is expected to be an " \
               "NDVI change between 0 and 2 (exclusive), e.g. 0.05" in bad.output
