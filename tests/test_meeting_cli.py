"""``county-gis print`` and ``county-gis report --docx``: thin wrappers, refusals before work."""

from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner

import county_gis.project as project_module
from county_gis.cli import main
from county_gis.render._demo import demo_project


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.setattr(project_module, "load_project", lambda path: demo_project())
    return CliRunner()


def test_print_writes_a_pdf_and_names_scale_and_crs(runner, tmp_path):
    out = tmp_path / "m.pdf"
    result = runner.invoke(main, ["print", "--out", str(out), "--date", "2026-12-07"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"printed: {out} (1 page, 1:")
    assert "CGCS2000 / 3-degree Gauss-Kruger CM 123E" in result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_print_atlas_and_refusals(runner, tmp_path):
    out = tmp_path / "atlas.pdf"
    result = runner.invoke(main, ["print", "--atlas", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "(3 pages," in result.output  # the county and its two townships
    again = runner.invoke(main, ["print", "--atlas", "--out", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output
    public = runner.invoke(main, ["print", "--public", "--out", str(tmp_path / "p.pdf")])
    assert public.exit_code == 1
    assert "《地图审核管理规定》" in public.output and "--review-number" in public.output


def test_report_writes_docx_and_xlsx(runner, tmp_path):
    docx, xlsx = tmp_path / "通报.docx", tmp_path / "进度.xlsx"
    result = runner.invoke(main, ["report", "--docx", str(docx), "--xlsx", str(xlsx),
                                  "--as-of", "2026-11-30", "--no-map"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"wrote {xlsx}", f"wrote {docx}"]
    with zipfile.ZipFile(docx) as z:
        assert "数据截至2026年11月30日" in z.read("word/document.xml").decode("utf-8")
    nothing = runner.invoke(main, ["report"])
    assert nothing.exit_code == 2 and "pass --docx FILE.docx" in nothing.output
    bad = runner.invoke(main, ["report", "--docx", str(tmp_path / "x.docx"), "--as-of", "昨天"])
    assert bad.exit_code == 1 and "as_of was '昨天'" in bad.output
