"""Issue 12: a planner's own folder becomes a project with the CLI only (init → progress → xlsx
→ map), and the figures equal an independent pyproj.Geod / shapely computation."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from openpyxl import load_workbook
from pyproj import Geod, Transformer

from county_gis.cli import main
from county_gis.project import load_project
from own_data_fixtures import MINES, PLOTS, PV, ROADS, build_messy_folder, plot_polygon

GRS80 = Geod(ellps="GRS80")
MU_PER_M2 = 15 / 10_000


@pytest.fixture(scope="module")
def boundary():
    return load_project().boundary


@pytest.fixture
def folder(tmp_path, boundary):
    return build_messy_folder(tmp_path / "我的数据", boundary)


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result


def _area_mu(geom) -> float:
    return abs(GRS80.geometry_area_perimeter(geom)[0]) * MU_PER_M2


def _plots_as_read() -> dict[str, float]:
    """Each plot's area (亩) as the file holds it: lon/lat → GK zone 41 (the .shp) → lon/lat,
    the bow-tie rebuilt with make_valid, measured with pyproj.Geod on GRS80."""
    there = Transformer.from_crs("EPSG:4490", "EPSG:4529", always_xy=True)
    back = Transformer.from_crs("EPSG:4529", "EPSG:4490", always_xy=True)

    def through(xy):
        return np.column_stack(back.transform(*there.transform(xy[:, 0], xy[:, 1])))

    out = {}
    for pid, _, _, lon, lat, size, _, _ in PLOTS:
        geom = shapely.transform(plot_polygon(lon, lat, size, bowtie=pid == "X5"), through)
        out[pid] = _area_mu(shapely.make_valid(geom))
    return out


def _expected() -> dict[str, dict[str, float]]:
    plots = _plots_as_read()
    status_of = {"已验收": "completed", "施工中": "under_construction", "前期": "planned"}
    forest = dict.fromkeys(("planned", "under_construction", "completed"), 0.0)
    for pid, _, status, *_ in PLOTS:
        forest[status_of[status]] += plots[pid]
    roads = dict.fromkeys(("planned", "under_construction", "completed"), 0.0)
    folder_status = {"已完工": "completed", "正在施工": "under_construction",
                     "2023年计划": "planned"}
    for folder, _, _, coords in ROADS:
        lons, lats = zip(*coords, strict=True)
        roads[folder_status[folder]] += GRS80.line_length(lons, lats) / 1000
    mines = dict.fromkeys(("planned", "under_construction", "completed"), 0.0)
    mine_status = {"已验收": "completed", "治理中": "under_construction", "未开工": "planned"}
    for _, status, lon, lat, size in MINES:
        mines[mine_status[status]] += _area_mu(plot_polygon(lon, lat, size))
    pv = dict.fromkeys(("planned", "under_construction", "completed"), 0.0)
    pv_status = {"已并网": "completed", "在建": "under_construction", "前期": "planned"}
    for *_, kw, status in PV:
        pv[pv_status[status]] += kw
    return {"afforestation": forest, "rural_roads": roads, "mine_regreening": mines,
            "pv_capacity": pv}


def _sheet_rows(path: Path) -> dict[str, dict[str, object]]:
    sheet = load_workbook(path)["目标进度"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    return {r[header.index("目标编号")]: dict(zip(header, r, strict=True)) for r in rows[1:]}


def test_folder_to_progress_xlsx_and_map_with_the_cli_only(folder, tmp_path):
    # init: every layer found, decided, and the messes said in the project.toml it writes
    result = run("init", str(folder))
    assert result.exit_code == 0, result.output
    text = (folder / "project.toml").read_text(encoding="utf-8")
    for seen in ("encoding GB18030", "EPSG:4529", "eastings", "zone prefix 41",
                 'repair = "make_valid"', 'geometry = "lines"', "{'point': 4} set aside",
                 "header_row = 2", 'folder_as = "status"', '"人工造林" = "造林"',
                 '"封山育林" = "造林"', '"森林抚育" = "抚育"', '"已并网" = "completed"',
                 '"正在施工" = "under_construction"', '"2023年计划" = "planned"',
                 "not mapped): 树种, 村, 备注", 'path = "基础数据/县界.geojson"'):
        assert seen in text, seen
    assert "wrote" in result.output and "pv_station" in result.output
    # init never overwrites without --overwrite
    again = run("init", str(folder))
    assert again.exit_code == 1 and "--overwrite" in again.output
    assert len(again.output.strip().splitlines()) == 1

    # progress with the xlsx report, then the map: no edit, no Python
    out = tmp_path / "进度.xlsx"
    result = run("progress", str(folder), "--out", str(out), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = _sheet_rows(out)
    for target, amounts in _expected().items():
        for status, header in (("planned", "计划"), ("under_construction", "在建"),
                               ("completed", "已完工")):
            got = float(rows[target][header] or 0.0)
            assert got == pytest.approx(amounts[status], rel=1e-9, abs=1e-9), (target, status)
    assert rows["pv_capacity"]["已完工"] == 260_000  # not 0 kW: 已并网 is completed
    # the messes are visible in what progress printed
    output = " ".join(result.output.split())
    for seen in ("encoding GB18030 detected", "inferred EPSG:4529", "rebuilt with make_valid",
                 "4 feature(s) set aside as not lines (4 Point)",
                 "row 5 of the data is a 合计 row",
                 "column names from row 2 (header_row); the row(s) above skipped (a title: "
                 "'阜蒙县2023年光伏项目统计表')",
                 "not mapped to a canonical column (kept as they are): 树种, 村, 备注",
                 "status taken from the KML folder name for 4 feature(s)",
                 "造林/造林小班.shp:造林小班#4 (X5): stated 220.0 亩"):
        assert seen in output, seen

    html = tmp_path / "map.html"
    result = run("map", str(folder), "--out", str(html))
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "油松" in page and "新民村" in page  # the bureau's own columns are in the popups
    assert "填报 220.00 亩, 实测" in page  # the stated-vs-measured gap of X5


def test_progress_equals_the_independent_figures_in_the_library_too(folder):
    run("init", str(folder))
    project = load_project(folder)
    from county_gis import progress

    table = progress(project).set_index("target_id")
    for target, amounts in _expected().items():
        for status, value in amounts.items():
            got = float(table.loc[target, status])
            assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (target, status)
    assert math.isclose(_expected()["pv_capacity"]["completed"], 260_000)


def test_a_single_layer_file_and_a_folder_without_project_toml_do_the_obvious_thing(folder):
    result = run("progress", str(folder / "矿山" / "矿山治理.gpkg"))
    assert result.exit_code == 0, result.output
    assert "has no project.toml" in result.output and "county-gis init" in result.output
    assert "年内完成矿山复绿1615亩" in result.output
    assert "农村公路" not in result.output.split("目标任务完成进度")[1].split("载入")[0]
    result = run("progress", str(folder))
    assert result.exit_code == 0, result.output
    assert "新增装机容量60万千瓦" in result.output and "run `county-gis init" in result.output


def test_targets_without_a_layer_show_no_data_not_zero(folder, tmp_path):
    run("init", str(folder))
    toml = folder / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'include = "present"', 'include = ["afforestation", "school_buildings"]'),
        encoding="utf-8")
    out = tmp_path / "r.xlsx"
    result = run("progress", str(folder), "--out", str(out), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    school = next(line for line in result.output.splitlines() if "校舍" in line)
    assert "无数据" in school and "0.0 %" not in school
    rows = _sheet_rows(out)
    assert rows["school_buildings"]["完成率(%)"] == "无数据"
    assert rows["school_buildings"]["备注"].startswith("无数据 no data")
    html = tmp_path / "m.html"
    assert run("map", str(folder), "--out", str(html)).exit_code == 0
    panel = re.search(r'"rows":\s*(\[.*?\])\s*[,}]', html.read_text(encoding="utf-8"))
    assert panel is not None
    titles = re.findall(r'"title":\s*"([^"]+)"', panel.group(1))
    assert titles[-1].startswith("维修改造城乡校舍")  # listed after the targets with data
    assert '"noData":true' in panel.group(1).replace(" ", "")


def test_unlinked_features_say_why_grouped_with_the_fix(folder):
    run("init", str(folder))
    toml = folder / "project.toml"
    text = toml.read_text(encoding="utf-8")
    cut = text.index('[layers."造林小班".values.work_type]')
    toml.write_text(text[:cut] + text[cut:].split("\n\n", 1)[1], encoding="utf-8")
    result = run("progress", str(folder), env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    output = result.output
    assert ("5 个要素未关联 features linked to no target: 造林方式 (work_type)='人工造林' 不在 "
            "afforestation 的筛选 not in the filter work_type ∈ {造林, 抚育, 草原补播} 中 (3); "
            "造林方式 (work_type)='封山育林'") in output
    assert 'values = { work_type = { "人工造林" = "造林" } } or target = "afforestation"' in output
    assert "造林/造林小班.shp:造林小班#0" in output and "(None None)" not in output
    assert "目标 afforestation 的筛选值 work_type=['造林', '抚育', '草原补播'] 没有任何要素" in output


def _one_line_error(result, *patterns: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("错误 error: ")
    for pattern in patterns:
        assert re.search(pattern, lines[0]), (pattern, lines[0])


_BAD_TOML = {
    "unquoted Chinese key": ('[layers.造林]\npath = "a.shp"\n', r"line 1: \[layers\.造林\] — a "
                             r"key with Chinese characters must be quoted: \[layers\.\"造林\"\]"),
    "Windows path": ('name = "x"\n[boundary]\npath = "基础数据\\县界.geojson"\n',
                     r"line 3: .* write paths with / \(基础数据/县界\.geojson\)"),
    "unquoted value": ("name = 阜新\n", r"a text value must be quoted"),
    "unquoted key in a table": ('fields = { 治理状态 = "status" }\n',
                                r"a key with Chinese characters or brackets must be quoted"),
}


@pytest.mark.parametrize("case", sorted(_BAD_TOML))
def test_bad_toml_is_one_line_with_the_line_and_the_fix(tmp_path, case):
    text, pattern = _BAD_TOML[case]
    (tmp_path / "project.toml").write_text(text, encoding="utf-8")
    _one_line_error(run("progress", str(tmp_path)), r"项目配置错误 \(ConfigError\)", pattern)


def test_gbk_project_toml_is_refused_with_the_advice_and_a_bom_is_accepted(folder):
    run("init", str(folder))
    toml = folder / "project.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_bytes(text.encode("gb18030"))
    _one_line_error(run("progress", str(folder)), r"not UTF-8 text at line \d+ \(it reads as GBK",
                    r"save it as UTF-8")
    toml.write_bytes(text.encode("utf-8-sig"))
    assert run("progress", str(folder)).exit_code == 0


def test_windows_paths_in_single_quotes_are_read(folder):
    run("init", str(folder))
    toml = folder / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'path = "基础数据/县界.geojson"', "path = '基础数据\\县界.geojson'"), encoding="utf-8")
    assert "\\县界" in toml.read_text(encoding="utf-8")
    assert run("progress", str(folder)).exit_code == 0


def _edited(folder: Path, old: str, new: str) -> None:
    toml = folder / "project.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text, old
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("command", "edit", "patterns"), [
    (["progress", "{folder}/不存在"], None, [r"不存在 does not exist; give a project.toml"]),
    (["map", "{folder}/不存在.shp"], None, [r"does not exist"]),
    (["progress", "{folder}/fake/project.toml"], "shp-as-toml",
     [r"project.toml: not UTF-8 text|is not valid TOML"]),
    (["progress", "{folder}"], ('kind = "mine_restoration"', 'kind = "rocket"'),
     [r"\[layers\.矿山治理\] kind was 'rocket' but is expected to be one of road_rebuild"]),
    (["progress", "{folder}"], ('\ngeometry = "lines"', "\n"),
     [r"几何图形错误 \(GeometryError\)", r"4 feature\(s\) are 4 Point",
      r'\[layers\.农村公路\]: geometry = "lines" \| "polygons" \| "points" sets features of '
      r"other types aside"]),
    (["progress", "{folder}"], ('\nrepair = "make_valid"', '\nrepair = "none"'),
     [r"几何图形错误 \(GeometryError\)", r"\[layers\.造林小班\] has 1 invalid polygon\(s\) and "
      r'says repair = "none": 造林/造林小班\.shp:造林小班#4']),
    (["progress", "{folder}"], ('"已验收" = "completed"', '"已验收" = "done-ish"'),
     [r"status_values: 已验收: status was 'done-ish' but is expected to be one of"]),
    (["progress", "{folder}"], ('kind = "pv_station"', 'kind = "pv_station"\nbogus = 1'),
     [r"\[layers\.光伏项目表\] unknown key\(s\) bogus; allowed: "]),
    (["progress", "{folder}", "--out", "{folder}/x.docx"], None, [r"docx"]),
    (["measure", "{folder}/矿山/矿山治理.gpkg", "--layer", "nope"], None,
     [r"no layer 'nope'; the layers are '矿山治理' \(--layer NAME\)"]),
    (["map", "{folder}", "--out", "{folder}/project.toml"], None, [r"--overwrite"]),
])
def test_bad_input_matrix_is_one_line_exit_1_no_traceback(folder, command, edit, patterns):
    run("init", str(folder))
    if edit == "shp-as-toml":
        (folder / "fake").mkdir()
        shutil.copy(folder / "造林" / "造林小班.shp", folder / "fake" / "project.toml")
    elif edit is not None:
        _edited(folder, *edit)
    args = [a.replace("{folder}", str(folder)) for a in command]
    _one_line_error(run(*args), *patterns)


def test_debug_shows_the_traceback(folder):
    run("init", str(folder))
    _edited(folder, 'kind = "mine_restoration"', 'kind = "rocket"')
    result = CliRunner().invoke(main, ["--debug", "progress", str(folder)])
    assert result.exit_code == 1
    assert "Traceback" in result.output and "错误 error: 项目配置错误" in result.output


def test_a_status_no_mapping_names_is_counted_as_unknown_with_the_fix(folder):
    mines = gpd.read_file(folder / "矿山" / "矿山治理.gpkg")
    mines.loc[2, "治理状态"] = "待定"
    mines.to_file(folder / "矿山" / "矿山治理.gpkg", layer="矿山治理")
    result = run("init", str(folder))
    assert "status value '待定' (1 features) names no status: add it to status_values" in \
        " ".join(result.output.split())
    result = run("progress", str(folder), env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "1 个要素状态不明, 未计入" in output
    assert 'map it in project.toml: status_values = { "待定" = "completed" }' in output


@pytest.mark.slow
def test_own_data_notebook_runs(folder, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "03-own-data.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    monkeypatch.setenv("COUNTY_GIS_OWN_DATA", str(folder))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) for o in outputs)
    assert "to decide: nothing" in text
    assert "rebuilt with make_valid" in text and "row 5 of the data is a 合计 row" in text
    assert ("1 unlinked: 造林方式 (work_type)='封山育林' 不在 afforestation 的筛选 not in the "
            "filter work_type ∈ {造林, 抚育, 草原补播} 中") in text
    completed = sum(_plots_as_read()[p[0]] for p in PLOTS if p[2] == "已验收")
    assert f"afforestation    completed {completed:>12,.2f} 亩" in text
    assert "pv_capacity      completed   260,000.00 千瓦" in text
    assert "unlinked features: 0" in text and "地图.html" in text
