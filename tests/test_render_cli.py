"""``county-gis map``: thin wrapper around make_map / save_map."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import county_gis.project as project_module
from county_gis.cli import main
from render_fixtures import make_project, page_data, write_raster


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.setattr(project_module, "load_project", lambda path: make_project(hostile=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return CliRunner()


def test_map_writes_a_self_contained_page(runner, tmp_path):
    out = tmp_path / "m.html"
    result = runner.invoke(main, ["map", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"map: {out} (") and "self-contained" in result.output
    assert 'data-asset="leaflet.js"' in out.read_text(encoding="utf-8")


def test_map_refuses_to_overwrite(runner, tmp_path):
    out = tmp_path / "m.html"
    assert runner.invoke(main, ["map", "--out", str(out)]).exit_code == 0
    result = runner.invoke(main, ["map", "--out", str(out)])
    assert result.exit_code == 1
    assert "m.html exists; pass overwrite=True (CLI: --overwrite)" in result.output
    assert runner.invoke(main, ["map", "--out", str(out), "--overwrite"]).exit_code == 0


def test_map_reports_online_tiles(runner, tmp_path):
    out = tmp_path / "m.html"
    result = runner.invoke(main, ["map", "--out", str(out), "--basemap", "osm"])
    assert result.exit_code == 0, result.output
    assert "basemap tiles load from https://tile.openstreetmap.org" in result.output


def test_tianditu_without_key_is_one_clear_line(runner, tmp_path):
    result = runner.invoke(main, ["map", "--out", str(tmp_path / "m.html"),
                                  "--basemap", "tianditu_vec"])
    assert result.exit_code == 1
    assert "天地图 tiles need a key: pass tianditu_key=... (CLI: --tianditu-key)" in result.output
    assert not (tmp_path / "m.html").exists()


def test_default_output_is_named_for_the_project(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["map"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "maps" / "测试.html").is_file()


def test_map_adds_raster_overlays_by_path_and_refuses_unknown_names(runner, tmp_path):
    raster = write_raster(tmp_path / "ndvi.tif")
    out = tmp_path / "m.html"
    result = runner.invoke(main, ["map", "--out", str(out), "--raster", str(raster)])
    assert result.exit_code == 0, result.output
    [overlay] = page_data(out.read_text(encoding="utf-8"))["layers"]["rasters"]
    assert overlay["name"] == "NDVI 2023 (test)"
    bad = runner.invoke(main, ["map", "--out", str(tmp_path / "n.html"), "--raster", "ndvi"])
    assert bad.exit_code == 1
    assert "raster 'ndvi' is neither a file nor one of the project's rasters (none)" in bad.output
