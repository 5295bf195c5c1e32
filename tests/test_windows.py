"""Windows correctness (issue 19): Chinese names, backslash paths, encodings, file names, console.

A project folder made on a bureau PC — Chinese folder and file names with spaces, a
project.toml saved by Notepad (UTF-8 with a byte-order mark, CRLF line ends) whose paths use
backslashes — loads here; outputs land in Chinese-named folders; no text file is opened with
the locale's encoding (checked statically and with ``-X warn_default_encoding``); map file
names made from data are legal on Windows; a console that cannot show Chinese (cp437) gets
``?`` instead of a ``UnicodeEncodeError``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest
from click.testing import CliRunner

from conftest import ROOT
from county_gis._portable import WINDOWS_RESERVED, portable_path, safe_file_name
from county_gis.cli import main
from county_gis.errors import ConfigError
from county_gis.project import load_project, read_project_toml
from project_fixtures import write_tiny_project

SRC = ROOT / "src" / "county_gis"
NAME = '阜新: 重点/工程? "2023"'


@pytest.fixture
def windows_project(tmp_path) -> Path:
    """The tiny project as a Windows user leaves it: ``阜新 项目\\project.toml`` naming
    ``数据\\阜新 图层.gpkg`` and ``数据\\目标.toml`` in single-quoted TOML strings, saved by
    Notepad (BOM, CRLF)."""
    folder = tmp_path / "阜新 项目"
    folder.mkdir()
    project = write_tiny_project(folder)
    (folder / "数据").mkdir()
    (folder / "tiny.gpkg").rename(folder / "数据" / "阜新 图层.gpkg")
    (folder / "targets.toml").rename(folder / "数据" / "目标.toml")
    text = project.read_text(encoding="utf-8")
    text = (text.replace('path = "tiny.gpkg"', "path = '数据\\阜新 图层.gpkg'")
                .replace('targets = "targets.toml"', "targets = '数据\\目标.toml'")
                .replace('name = "示例县"', f"name = '{NAME}'"))
    assert text.count("数据\\") == 6
    project.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    return project


def test_a_project_saved_on_windows_loads_with_its_backslash_paths(windows_project):
    project = load_project(windows_project.parent)  # the folder, as `county-gis overview 阜新 项目`
    assert project.name == NAME
    assert sorted(project.layers) == ["plots", "roads", "schools"]
    assert len(project.layers["roads"]) == 4
    assert project.root == windows_project.parent
    # the targets file behind '数据\目标.toml'
    assert [t.id for t in project.targets] == [
        "rural_roads", "village_roads", "afforestation", "schools", "good_air_days"]


def test_portable_path_turns_backslashes_into_slashes_off_windows():
    assert portable_path("数据\\阜新 图层.gpkg") == (
        "数据\\阜新 图层.gpkg" if os.sep == "\\" else "数据/阜新 图层.gpkg")
    assert portable_path("rasters/ndvi.tif") == "rasters/ndvi.tif"
    # what a Windows machine makes of the same text: the same two parts
    assert PureWindowsPath("数据\\阜新 图层.gpkg").parts == ("数据", "阜新 图层.gpkg")


def test_a_project_toml_saved_as_gbk_is_refused_with_the_fix(tmp_path):
    file = tmp_path / "project.toml"
    file.write_bytes("name = '阜新'\n".encode("gbk"))
    with pytest.raises(ConfigError, match=r"project\.toml: not UTF-8 text at line 1 \(it reads as "
                       r"GBK / GB18030: saved by Notepad as \"ANSI\"\?\); save it as UTF-8 "
                       r"\(Notepad: 另存为 → 编码 UTF-8\)"):
        load_project(file)


def test_a_windows_path_in_double_quotes_gets_the_fix(tmp_path):
    file = tmp_path / "project.toml"
    file.write_text('name = "x"\n[boundary]\npath = "D:\\数据\\县界.shp"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"is not valid TOML \(Unescaped '\\' in a string .*— "
                       r"line 3: path = \"D:\\数据\\县界.shp\" — write paths with / "
                       r"\(基础数据/县界.geojson\) or in single quotes"):
        read_project_toml(file)
    file.write_text('name = "x"\n[boundary\n', encoding="utf-8")  # no backslash: no path hint
    with pytest.raises(ConfigError, match=r"not valid TOML .* — check the line against "
                                          r"docs/project.md$"):
        read_project_toml(file)


@pytest.mark.parametrize(("text", "expected"), [
    (NAME, "阜新_重点_工程_2023"),
    ("阜新蒙古族自治县2023年重点工程 (示例数据)", "阜新蒙古族自治县2023年重点工程_(示例数据)"),
    ("CON", "CON_"), ("nul.txt", "nul_.txt"), ("com1", "com1_"), ("LPT9.html", "LPT9_.html"),
    ("  .隐藏. ", "隐藏"), ("a\tb\r\nc", "a_b_c"), ("...", "map"), ("", "map"),
    ("道" * 100, "道" * 60),  # 180 bytes of UTF-8, cut on a character boundary
])
def test_safe_file_name_is_legal_on_windows(text, expected):
    name = safe_file_name(text)
    assert name == expected
    windows = PureWindowsPath(f"{name}.html")
    assert windows.name == f"{name}.html" and len(windows.parts) == 1
    assert not windows.is_reserved()
    assert name.split(".")[0].upper() not in WINDOWS_RESERVED
    assert not name.endswith((".", " ")) and len(name.encode("utf-8")) <= 180


def test_map_names_its_file_after_the_project_legally_on_windows(windows_project, tmp_path,
                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["map", str(windows_project)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "maps" / "阜新_重点_工程_2023.html"
    assert written.is_file()
    assert result.output.startswith(f"map: {Path('maps') / written.name} (")


def _text_open_problems(path: Path) -> list[str]:
    """Calls in ``path`` that open a text file without naming its encoding."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        keywords = {k.arg for k in node.keywords}
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if name == "open" and isinstance(func, ast.Name):  # the builtin
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            binary = isinstance(mode, ast.Constant) and "b" in str(mode.value)
            if not binary and "encoding" not in keywords:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} open()")
        elif name in ("read_text", "write_text", "to_csv", "fdopen", "NamedTemporaryFile",
                      "TextIOWrapper") and "encoding" not in keywords:
            if name == "NamedTemporaryFile" and "mode" not in keywords:
                continue  # binary by default
            problems.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}()")
    return problems


def test_every_text_file_is_opened_with_an_explicit_encoding():
    problems = [p for path in sorted(SRC.rglob("*.py")) for p in _text_open_problems(path)]
    assert problems == []


def test_the_scan_finds_an_open_without_encoding(tmp_path):
    sample = ROOT / "tests" / "artifacts" / "encoding_scan_sample.py"
    sample.parent.mkdir(exist_ok=True)
    sample.write_text("open('a')\nopen('a', 'rb')\nPath('a').read_text()\n"
                      "df.to_csv('x.csv', encoding='utf-8-sig')\n", encoding="utf-8")
    try:
        assert _text_open_problems(sample) == [
            "tests/artifacts/encoding_scan_sample.py:1 open()",
            "tests/artifacts/encoding_scan_sample.py:3 read_text()"]
    finally:
        sample.unlink()


#: Runs the CLI with every default-encoding open() in county_gis an error (PEP 597).
STRICT_CLI = """
import sys, warnings
warnings.filterwarnings("ignore", category=EncodingWarning)  # other packages' opens
warnings.filterwarnings("error", category=EncodingWarning, module=r"county_gis")
from county_gis.cli import main
main(sys.argv[1:], prog_name="county-gis")
"""


def _cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    return subprocess.run([sys.executable, "-X", "warn_default_encoding", "-c", STRICT_CLI,
                           *args], cwd=cwd, env=environ, capture_output=True, timeout=300,
                          check=False)


def test_outputs_in_chinese_folders_with_no_locale_encoding_and_a_cp437_console(
        windows_project, tmp_path):
    """overview and progress write into folders with Chinese names and spaces; any open()
    without an encoding in county_gis would fail the run; the console is cp437 (an English
    Windows), which has no Chinese: ``?`` appears, nothing crashes."""
    out = tmp_path / "输出 地图"
    run = _cli(["overview", str(windows_project), "--out-dir", str(out)], tmp_path,
               PYTHONIOENCODING="cp437")
    assert run.returncode == 0, run.stderr.decode("cp437", errors="replace")[-2000:]
    stdout = run.stdout.decode("cp437")
    # 县域面积 183.3 平方公里: the 0.2° × 0.1° box at 42.25 °N (16.5 km × 11.1 km), no Chinese
    assert stdout.startswith("???? 183.3 ???? (geodesic, CGCS2000)\n")
    assert stdout.rstrip().splitlines()[-1] == (
        f"map: {out / 'overview.html'} ({(out / 'overview.html').stat().st_size / 1e6:.2f} MB, "
        "self-contained)").encode("cp437", errors="replace").decode("cp437")
    for suffix in (".csv", ".xlsx"):
        table = out / f"进度 表{suffix}"
        run = _cli(["progress", str(windows_project), "--out", str(table)], tmp_path,
                   PYTHONIOENCODING="cp437")
        assert run.returncode == 0, run.stderr.decode("cp437", errors="replace")[-2000:]
        assert table.is_file()
    csv = (out / "进度 表.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel on Windows reads it so
    assert "农村公路" in csv.decode("utf-8-sig")


def test_help_on_a_cp437_console_shows_question_marks_instead_of_crashing(tmp_path):
    run = _cli(["--help"], tmp_path, PYTHONIOENCODING="cp437")
    assert run.returncode == 0, run.stderr
    assert b"the project layers of ????????." in run.stdout
    run = _cli(["--help"], tmp_path, PYTHONIOENCODING="utf-8")
    assert "the project layers of 阜新蒙古族自治县." in run.stdout.decode("utf-8")


def test_python_dash_m_county_gis_runs_the_command(tmp_path):
    run = subprocess.run([sys.executable, "-m", "county_gis", "--version"], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                         capture_output=True, text=True, encoding="utf-8", check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("county-gis, version ")
