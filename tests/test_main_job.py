"""The main job (``bash dev.sh main``) and ``county-gis overview``, which it runs."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from conftest import LAYERS
from county_gis.cli import main, main_job
from project_fixtures import write_tiny_project
from render_fixtures import page_data


def test_main_job_prints_progress_and_writes_the_offline_overview(tmp_path, monkeypatch, capsys):
    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    monkeypatch.setenv("COUNTY_GIS_LAYERS", str(layers))
    assert main_job.run([]) == 0
    out = capsys.readouterr().out
    overview = tmp_path / "maps" / "overview.html"
    assert "目标任务完成进度" in out
    assert "县域面积 6,215.0 平方公里 (geodesic, CGCS2000)" in out  # the published 6,215 km²
    assert "新改建、维修改造农村公路" in out and "年内完成矿山复绿1615亩" in out
    assert "1,342.2" in out  # the NDVI check: greened 亩 of the mine regreening
    assert out.rstrip().splitlines()[-1].startswith(f"map: {overview} (")
    assert "self-contained" in out.rstrip().splitlines()[-1]
    page = overview.read_text(encoding="utf-8")
    assert 'data-asset="leaflet.js"' in page and "cdn.jsdelivr" not in page
    # the project's three rasters are in the page, switched off until ticked
    rasters = page_data(page)["layers"]["rasters"]
    assert [(r["name"], r["show"]) for r in rasters] == [  # by their Chinese names (issue 15)
        ("植被指数 NDVI（前期，2022年）", False),
        ("植被指数 NDVI（后期，2023年）", False),
        ("数字高程模型 DEM", False)]
    # a second run regenerates the map (the main job passes --overwrite)
    assert main_job.run([]) == 0
    assert overview.is_file()


def test_overview_refuses_to_overwrite_without_the_flag(tmp_path):
    project = write_tiny_project(tmp_path)
    runner = CliRunner()
    args = ["overview", str(project), "--out-dir", str(tmp_path / "maps"), "--no-rasters"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert f"map: {tmp_path / 'maps' / 'overview.html'} (" in first.output
    again = runner.invoke(main, args)
    assert again.exit_code == 1
    assert "overview.html exists; pass overwrite=True (CLI: --overwrite) to replace it" in \
        again.output
    assert runner.invoke(main, [*args, "--overwrite"]).exit_code == 0
