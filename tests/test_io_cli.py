"""``county-gis inspect``: tables for people, JSON for scripts."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
from click.testing import CliRunner
from shapely.geometry import Point

from county_gis.cli import main
from io_corpus import LAT, LON, gk_plots, plots_gdf, shapefile, write


def test_inspect_json(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    result = CliRunner().invoke(main, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [layer] = data["layers"]
    assert (layer["layer"], layer["feature_count"], layer["geometry_types"]) == (
        "plots", 3, ["Polygon"])
    assert (layer["encoding"], layer["encoding_evidence"]) == (
        "GB18030", "no .cpg; every non-ASCII cell decodes as GB18030 (the superset of GBK / "
        "GB2312)")
    assert layer["crs_decision"] == "EPSG:4490 (China Geodetic Coordinate System 2000)"
    assert layer["crs_evidence"] == ("read from the file: EPSG:4490 (China Geodetic Coordinate "
                                     "System 2000; datum China 2000)")
    assert [(n["code"], n["severity"]) for n in layer["notes"]] == [
        ("encoding.detected", "assumption")]
    assert (layer["error"], layer["skipped"]) == (None, None)


def test_inspect_json_lists_problems_per_feature(tmp_path):
    gdf = gpd.GeoDataFrame({"项目编号": ["A", "A", "B"]},
                           geometry=[Point(LON, LAT), None, Point(LON, LAT)], crs=4490)
    path = write(gdf, tmp_path / "p.gpkg")
    pyogrio.write_dataframe(pd.DataFrame({"代码": [1]}), path, layer="字典")  # no geometry
    result = CliRunner().invoke(main, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    points, table = json.loads(result.output)["layers"]
    assert [(n["code"], n["fid"], n["field"]) for n in points["notes"]] == [
        ("geometry.null", 2, None), ("value.duplicate_id", 1, "项目编号"),
        ("value.duplicate_id", 2, "项目编号")]
    assert (table["layer"], table["skipped"]) == (
        "字典", "attribute table without a geometry column; not a layer")


def test_inspect_table_lists_every_layer_and_errors(tmp_path):
    path = tmp_path / "project.gpkg"
    write(plots_gdf(), path, layer="造林")
    # zone-40 eastings with the zone prefix, declared zone 40 without it: refused
    write(gk_plots(40, prefixed=True).set_crs(4549), path, layer="错区")
    result = CliRunner().invoke(main, ["inspect", str(path)], terminal_width=250)
    assert result.exit_code == 1, result.output
    assert result.output.rstrip().endswith("1 of 2 layer(s) could not be read: 错区")
    layers = _overview(result.output)
    assert list(layers) == ["造林", "错区"]
    assert layers["造林"][:3] == ["Polygon", "3", "EPSG:4490 (China Geodetic Coordinate System "
                                                 "2000) read from the file: EPSG:4490 (China "
                                                 "Geodetic Coordinate System 2000; datum China "
                                                 "2000)"]
    assert layers["造林"][4] == "none"
    assert layers["错区"] == ["Polygon", "—", "not read (see below)", "—", "error"]
    error = result.output[result.output.index("错区: error"):].replace("\n", "").replace("│", "")
    assert "CRSError: " in error
    expected = "project.gpkg:错区: eastings 40600000..40603000 carry the zone prefix 40"
    assert "".join(expected.split()) in "".join(error.split())  # the message, wrapped


def _overview(output):
    """The first table of ``inspect``: layer -> its other cells, wrapped lines joined."""
    layers: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("└"):
            break
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells[0]:
            current = cells[0]
            layers[current] = cells[1:]
        else:
            layers[current] = [" ".join(filter(None, (a, b)))
                               for a, b in zip(layers[current], cells[1:], strict=True)]
    return layers


def test_inspect_missing_file():
    result = CliRunner().invoke(main, ["inspect", "nope.gpkg"])
    assert result.exit_code == 1
    assert "nope.gpkg: no such file" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_inspect_strict_shows_the_refused_assumption(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    result = CliRunner().invoke(main, ["inspect", str(path), "--json", "--strict"])
    assert result.exit_code == 1, result.output
    assert result.stderr == "1 of 1 layer(s) could not be read: plots\n"
    [layer] = json.loads(result.stdout)["layers"]
    assert layer["error"].startswith("EncodingError: ")
    assert "encoding GB18030 detected" in layer["error"]
