"""三区三线 in the meeting outputs: the 通报's section 三区三线核查 and the printed map's layers.

The numbers in the .docx are compared with the ComplianceResult they come from, and with
hand-checkable values: the bundled project's planted conflicts (its zones are synthetic,
合成数据，非法定成果) and a tiny in-memory project whose overlaps are measured here with
pyproj.Geod.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import box

import county_gis
from county_gis.analysis.compliance import CheckStatus, Override, ZoneLayer, ZoneType
from county_gis.crs import GRS80_A, GRS80_F
from county_gis.project import Project
from county_gis.render import print_map
from county_gis.render._demo import demo_project
from county_gis.tongbao import write_tongbao
from county_gis.units import format_amount

GEOD = Geod(a=GRS80_A, f=GRS80_F)
SYNTHETIC = "合成数据，非法定成果"
HOSTILE = "{% raw %}<script>alert(1)</script>{% endraw %}"
SUMMARY_HEADER = ["控制线", "冲突", "需论证", "无冲突", "未核查", "压占面积（亩）", "压占面积（公顷）",
                  "压占长度（公里）"]
CONFLICT_HEADER = ["序号", "项目", "乡镇", "控制线", "管控要求", "依据", "面积（亩）", "面积（公顷）",
                   "长度（公里）"]


def _docx(path: Path):
    import docx

    return docx.Document(str(path))


def _table(document, header: list[str]) -> list[list[str]]:
    for table in document.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if rows and rows[0] == header:
            return rows[1:]
    raise AssertionError(f"no table with the header {header}")


def _paragraphs(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.text.strip()]


def _section(document) -> list[str]:
    paras = _paragraphs(document)
    start = next(i for i, p in enumerate(paras) if p.endswith("、三区三线核查"))
    end = next((i for i, p in enumerate(paras[start + 1:], start + 1)
                if p[:2] in {f"{n}、" for n in "一二三四五六七八九十"}), len(paras))
    return paras[start:end]


# --- the bundled project --------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    project = county_gis.load_project()
    result = county_gis.compliance(project)
    details = county_gis.progress_details(project, by="township")
    out = write_tongbao(project, details, tmp_path_factory.mktemp("cmeet") / "通报.docx",
                        date="2026-12-07", as_of="2026-11-30", with_map=False,
                        compliance=result)
    return result, _docx(out)


def test_bundled_summary_equals_the_result_and_the_hand_numbers(bundled):
    result, document = bundled
    rows = _table(document, SUMMARY_HEADER)
    assert [r[0] for r in rows] == ["生态保护红线", "永久基本农田", "城镇开发边界"]
    table = result.table
    for row in rows:
        part = table[table["zone_type"] == row[0]]
        hit = part[part["status"] == "冲突"]
        assert row[1:5] == [str(int(((part["status"] == "冲突") & (part["verdict"] != "需论证"))
                                     .sum())),
                            str(int(((part["status"] == "冲突") & (part["verdict"] == "需论证"))
                                    .sum())),
                            str(int((part["status"] == "无冲突").sum())),
                            str(int((part["status"] == "未核查").sum()))]
        assert row[5] == format_amount(hit["area_m2"].sum() / (10_000 / 15), 2)
        assert row[6] == format_amount(hit["area_m2"].sum() / 10_000, 4)
        assert row[7] == format_amount(hit["length_m"].sum() / 1000, 3)
    # by hand (layers/README.md): road NL-005 through the red line (需论证, line only);
    # ZL-003 and SB-029 on farmland (禁止), village road YS-010 across it (需论证);
    # YS-065 and the mine site KS-001 in the urban boundary (需论证); 456 features
    assert rows[0] == ["生态保护红线", "0", "1", "455", "0", "0.00", "0.0000", "1.981"]
    assert rows[1] == ["永久基本农田", "2", "1", "453", "0", "1,041.98", "69.4652", "0.641"]
    assert rows[2] == ["城镇开发边界", "0", "2", "454", "0", "28.59", "1.9057", "0.272"]


def test_bundled_conflicts_list_the_planted_ones(bundled):
    result, document = bundled
    rows = _table(document, CONFLICT_HEADER)
    by_id = {r[1].split()[0]: r for r in rows}
    assert sorted(by_id) == ["KS-001", "NL-005", "SB-029", "YS-010", "YS-065", "ZL-003"]
    assert len(rows) == len(result.conflicts()) == 6
    road = by_id["NL-005"]
    assert road[3:5] == ["生态保护红线", "需论证"] and road[5].startswith("自然资发〔2022〕142号")
    assert road[6:] == ["—", "—", "1.981"]
    plot = by_id["ZL-003"]
    assert plot[2:5] == ["老河土镇", "永久基本农田", "禁止"]
    assert "国办发〔2020〕44号" in plot[5]
    assert plot[6:] == ["792.79", "52.8526", "—"]
    mine = by_id["KS-001"]
    assert mine[3:5] == ["城镇开发边界", "需论证"] and mine[6:8] == ["28.59", "1.9057"]
    # the plot drawn edge to edge with a farmland 图斑 and the allowed restoration in the red
    # line are not conflicts
    assert "ZL-020" not in by_id and "ZL-010" not in by_id
    section = "\n".join(_section(document))
    assert "另有10项压占属规则允许" in section


def test_bundled_section_names_the_synthetic_datasets(bundled):
    _, document = bundled
    section = _section(document)
    assert section[0] == "五、三区三线核查"
    assert f"数据说明：所用三区三线数据为“{SYNTHETIC}”，核查结果不作为用地审批依据。" in section
    rows = _table(document, ["控制线", "核查数据", "版本", "生效日期", "图斑数", "说明"])
    assert rows == [
        ["生态保护红线", "zones.gpkg:STBHHX", "示例 2023 (合成)", "2023-01-01", "3", SYNTHETIC],
        ["永久基本农田", "zones.gpkg:YJJBNTBHTB", "示例 2023 (合成)", "2023-01-01", "3",
         SYNTHETIC],
        ["城镇开发边界", "zones.gpkg:CZKFBJ", "示例 2023 (合成)", "2023-01-01", "2", SYNTHETIC]]


# --- a tiny project, measured by hand -------------------------------------------------------

def _area(minx, miny, maxx, maxy) -> float:
    lons, lats = [minx, maxx, maxx, minx], [miny, miny, maxy, maxy]
    return abs(GEOD.polygon_area_perimeter(lons, lats)[0])


def _tiny(name: str = "一号造林地块", project_id: str = "A1") -> Project:
    p = demo_project()
    plots = p.layers["afforestation"].copy()
    plots.loc[0, "name"], plots.loc[0, "project_id"] = name, project_id
    return Project.from_layers({"afforestation": plots, "road_rebuild": p.layers["road_rebuild"],
                                "school": p.layers["school"]}, targets=[], name="示例",
                               boundary=p.boundary, townships=p.townships)


def _zones(*, farmland: bool = True) -> list[ZoneLayer]:
    red = gpd.GeoDataFrame({"HXBH": ["H1"]}, geometry=[box(121.64, 42.00, 121.66, 42.02)],
                           crs="EPSG:4490")
    out = [ZoneLayer.from_frame(red, type="生态保护红线", version="V1", effective="2023-06-30",
                                dataset="红线.gpkg", label=SYNTHETIC)]
    if farmland:
        farm = gpd.GeoDataFrame({"JBNTTBBH": ["J1"]},
                                geometry=[box(121.625, 42.02, 121.635, 42.03)], crs="EPSG:4490")
        out.append(ZoneLayer.from_frame(farm, type="永久基本农田", version="V2",
                                        effective="2023-06-30", dataset="农田.gpkg",
                                        label=SYNTHETIC))
    return out


def _write(project, result, folder: Path, name: str = "t.docx"):
    details = county_gis.progress_details(project, by="township")
    return _docx(write_tongbao(project, details, folder / name, date="2026-12-07",
                               as_of="2026-11-30", with_map=False, compliance=result))


def test_tiny_numbers_equal_an_independent_geod_computation(tmp_path):
    project = _tiny()
    result = county_gis.compliance(project, zones=_zones())
    document = _write(project, result, tmp_path)
    plot_m2 = _area(121.625, 42.02, 121.63, 42.03)  # the half of A1 on the farmland
    _, _, road_m = GEOD.inv(121.64, 42.01, 121.66, 42.01)  # R1 inside the red line
    rows = _table(document, SUMMARY_HEADER)
    assert rows[0] == ["生态保护红线", "0", "1", "5", "0", "0.00", "0.0000",
                       format_amount(road_m / 1000, 3)]
    assert rows[1] == ["永久基本农田", "1", "0", "5", "0", format_amount(plot_m2 / (10_000 / 15), 2),
                       format_amount(plot_m2 / 10_000, 4), "0.000"]
    assert rows[2] == ["城镇开发边界", "0", "0", "0", "6", "—", "—", "—"]
    # by hand: 0.005° × 0.01° at 42.025°N ≈ 413.6 m × 1,110.5 m ≈ 459,200 m² ≈ 688.7 亩
    # (spherical); 0.02° of longitude at 42.01°N ≈ 1.65 km
    assert rows[1][5] == "689.92" and rows[0][7] == "1.657"
    conflicts = _table(document, CONFLICT_HEADER)
    assert [r[1:5] for r in conflicts] == [["R1 西乡公路改建", "西乡", "生态保护红线", "需论证"],
                                           ["A1 一号造林地块", "西乡", "永久基本农田", "禁止"]]
    section = _section(document)
    assert "项目中无城镇开发边界数据，各要素与城镇开发边界的关系未核查（不等于无冲突）。" in section


def test_without_farmland_zones_it_says_unchecked_never_no_conflict(tmp_path):
    project = _tiny()
    result = county_gis.compliance(project, zones=_zones(farmland=False))
    document = _write(project, result, tmp_path)
    rows = {r[0]: r for r in _table(document, SUMMARY_HEADER)}
    assert rows["永久基本农田"] == ["永久基本农田", "0", "0", "0", "6", "—", "—", "—"]
    data = {r[0]: r for r in _table(document, ["控制线", "核查数据", "版本", "生效日期", "图斑数",
                                               "说明"])}
    assert data["永久基本农田"] == ["永久基本农田", "无数据", "—", "—", "0", "未核查"]
    section = _section(document)
    assert "项目中无永久基本农田数据，各要素与永久基本农田的关系未核查（不等于无冲突）。" in section
    conflicts = _table(document, CONFLICT_HEADER)
    assert all(r[3] != "永久基本农田" for r in conflicts)


def test_no_zones_at_all_is_said_plainly(tmp_path):
    project = _tiny()
    result = county_gis.compliance(project, zones=[])
    document = _write(project, result, tmp_path)
    section = _section(document)
    assert section[1].startswith("项目中无三区三线数据") and "6个项目要素均未核查" in section[1]
    assert "未核查不等于无冲突" in section[1]
    rows = _table(document, SUMMARY_HEADER)
    assert [r[1:5] for r in rows] == [["0", "0", "0", "6"]] * 3
    assert not any(p.startswith("（三）冲突清单") for p in section)  # nothing was checked
    assert not any(SYNTHETIC in p for p in section)


def test_a_waived_conflict_is_shown_waived_with_its_reason(tmp_path):
    project = _tiny()
    waive = Override(zone=ZoneType.FARMLAND, status=CheckStatus.CLEAR, reason="图斑已依法调出",
                     basis="辽自然资函〔2023〕1号", project_id="A1")
    result = county_gis.compliance(project, zones=_zones(), overrides=[waive])
    document = _write(project, result, tmp_path)
    rows = _table(document, SUMMARY_HEADER)
    assert rows[1][1:5] == ["0", "0", "6", "0"]  # counted as 无冲突 ...
    conflicts = {r[1]: r for r in _table(document, CONFLICT_HEADER)}
    row = conflicts["A1 一号造林地块"]  # ... and listed, waived, with the original result
    assert row[4] == "已核销（原冲突·禁止）"
    assert row[5].endswith("；复核说明：图斑已依法调出；复核依据：辽自然资函〔2023〕1号")
    assert "1项经复核核销，计入无冲突，原结果见冲突清单" in "\n".join(_section(document))


def test_hostile_names_stay_text(tmp_path):
    project = _tiny(name=HOSTILE, project_id="=HYPERLINK(\"x\")")
    result = county_gis.compliance(project, zones=_zones())
    document = _write(project, result, tmp_path)
    conflicts = _table(document, CONFLICT_HEADER)
    assert conflicts[1][1] == f"'=HYPERLINK(\"x\") {HOSTILE}"  # the one cell guard
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml and "<script>" not in xml


# --- the printed map ------------------------------------------------------------------------

def _red_pixels(png: Path, bbox_mm: tuple[float, float, float, float], page_h_mm: float,
                dpi: int) -> int:
    from PIL import Image

    image = np.asarray(Image.open(png).convert("RGB")).astype(int)
    k = dpi / 25.4
    x0, y0, x1, y1 = bbox_mm
    rows = slice(int((page_h_mm - y1) * k), int((page_h_mm - y0) * k) + 1)
    cols = slice(int(x0 * k), int(x1 * k) + 1)
    part = image[rows, cols]
    red = (np.abs(part - np.array([0xe4, 0x1a, 0x1c])) <= 40).all(axis=2)
    return int(red.sum())


def _bbox_mm(printed, geometry, crs) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = gpd.GeoSeries([geometry], crs="EPSG:4490").to_crs(crs).total_bounds
    vx0, vy0, vx1, vy1 = printed.frame_crs_bounds
    fx0, fy0, fx1, fy1 = printed.boxes["frame"]
    sx, sy = (fx1 - fx0) / (vx1 - vx0), (fy1 - fy0) / (vy1 - vy0)
    return (fx0 + (minx - vx0) * sx, fy0 + (miny - vy0) * sy, fx0 + (maxx - vx0) * sx,
            fy0 + (maxy - vy0) * sy)


def test_printed_map_draws_the_conflicts_red_in_their_bbox(tmp_path):
    from county_gis.render._print import projected_crs

    project = _tiny()
    result = county_gis.compliance(project, zones=_zones())
    crs = projected_crs(project.boundary.to_crs("EPSG:4490").total_bounds)
    conflict = box(121.625, 42.02, 121.63, 42.03)  # the part of A1 on the farmland
    counts = {}
    for with_zones in (False, True):
        out = tmp_path / f"m{int(with_zones)}.png"
        printed = print_map(project, out, dpi=120, date="2026-12-07",
                            compliance=result if with_zones else None)
        counts[with_zones] = _red_pixels(out, _bbox_mm(printed, conflict, crs), 210.0, 120)
    assert counts[False] == 0  # no project colour is the conflicts' red
    assert counts[True] > 100


def test_printed_map_has_the_legend_entries_and_the_synthetic_label(tmp_path):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext (Debian poppler-utils, installed by bash dev.sh test) is missing")
    project = _tiny()
    out = print_map(project, tmp_path / "m.pdf", date="2026-12-07",
                    compliance=county_gis.compliance(project, zones=_zones())).path
    text = subprocess.run([pdftotext, str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = [line.strip() for line in text.splitlines()]
    for entry in ("生态保护红线", "永久基本农田", "三区三线冲突（压占部分）",
                  f"注：三区三线数据：{SYNTHETIC}。"):
        assert entry in lines
    assert "城镇开发边界" not in lines  # no data of it: no legend entry
    plain = print_map(project, tmp_path / "p.pdf", date="2026-12-07").path
    text = subprocess.run([pdftotext, str(plain), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "三区三线" not in text and SYNTHETIC not in text


def test_cli_report_and_print_pass_the_check(tmp_path):
    from click.testing import CliRunner

    from county_gis.cli import main

    runner = CliRunner()
    docx = tmp_path / "通报.docx"
    result = runner.invoke(main, ["report", "--docx", str(docx), "--no-map",
                                  "--date", "2026-12-07", "--as-of", "2026-11-30"])
    assert result.exit_code == 0, result.output
    rows = _table(_docx(docx), CONFLICT_HEADER)
    assert sorted(r[1].split()[0] for r in rows) == ["KS-001", "NL-005", "SB-029", "YS-010",
                                                     "YS-065", "ZL-003"]
    skipped = tmp_path / "无.docx"
    result = runner.invoke(main, ["report", "--docx", str(skipped), "--no-map",
                                  "--no-compliance"])
    assert result.exit_code == 0, result.output
    assert not any(p.endswith("、三区三线核查") for p in _paragraphs(_docx(skipped)))
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext (Debian poppler-utils) is missing")
    pdf = tmp_path / "图.pdf"
    result = runner.invoke(main, ["print", "--out", str(pdf), "--no-table"])
    assert result.exit_code == 0, result.output
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "三区三线冲突（压占部分）" in text and f"三区三线数据：{SYNTHETIC}" in text
