"""``county-gis inspect``: tables for people, JSON for scripts."""

from __future__ import annotations

import json

from click.testing import CliRunner

from county_gis.cli import main
from io_corpus import gk_plots, plots_gdf, shapefile, write


def test_inspect_json(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    result = CliRunner().invoke(main, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [layer] = data["layers"]
    assert (layer["layer"], layer["feature_count"], layer["encoding"]) == ("plots", 3, "GB18030")
    assert layer["crs_decision"] == "EPSG:4490 (China Geodetic Coordinate System 2000)"
    assert [n["code"] for n in layer["notes"]] == ["encoding.detected"]


def test_inspect_table_lists_every_layer_and_errors(tmp_path):
    path = tmp_path / "project.gpkg"
    write(plots_gdf(), path, layer="造林")
    write(gk_plots(40).set_crs(4550), path, layer="错区")  # zone-40 plots declared zone 41
    result = CliRunner().invoke(main, ["inspect", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "造林" in result.output and "错区" in result.output
    assert "CRSError: " in result.output
    assert "EPSG:4490" in result.output


def test_inspect_missing_file():
    result = CliRunner().invoke(main, ["inspect", "nope.gpkg"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_inspect_strict_shows_the_refused_assumption(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    result = CliRunner().invoke(main, ["inspect", str(path), "--json", "--strict"])
    assert result.exit_code == 0, result.output
    [layer] = json.loads(result.output)["layers"]
    assert layer["error"].startswith("EncodingError: ")
    assert "encoding GB18030 detected" in layer["error"]
