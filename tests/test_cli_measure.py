"""``county-gis --version`` and ``county-gis measure``: table, totals, CSV, refusals."""

from __future__ import annotations

import csv
import re

import geopandas as gpd
import pytest
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import LineString, Polygon, box

import county_gis
from county_gis.cli import main

GEOD = Geod(ellps="GRS80")


@pytest.fixture()
def plots_gpkg(tmp_path):
    """Two plots near 佛寺镇 and a 2 km road, with Chinese names, in a GeoPackage."""
    path = tmp_path / "plots.gpkg"
    layer = gpd.GeoDataFrame(
        {"项目名称": ["佛寺造林一号", "=HYPERLINK(\"x\")", "佛寺通村路"]},
        geometry=[
            box(121.60, 42.10, 121.61, 42.11),
            box(121.62, 42.10, 121.63, 42.105),
            LineString([(121.60, 42.12), (121.6242, 42.12)]),
        ],
        crs="EPSG:4490",
    )
    layer.to_file(path, layer="plots", driver="GPKG")
    return path, layer


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"county-gis, version {county_gis.__version__}"


def test_measure_prints_a_table_with_totals(plots_gpkg):
    path, layer = plots_gpkg
    result = CliRunner().invoke(main, ["measure", str(path), "--unit", "亩"])
    assert result.exit_code == 0, result.output
    expected_mu = sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in layer.geometry[:2]) / (1e4 / 15)
    assert f"{expected_mu:,.3f}" in result.output  # the area total, in 亩
    assert "佛寺造林一号" in result.output
    road_km = GEOD.geometry_length(layer.geometry[2]) / 1000
    assert f"{road_km:,.3f}" in result.output
    assert 1.99 < road_km < 2.01


def test_measure_writes_csv_atomically_and_refuses_to_overwrite(plots_gpkg, tmp_path):
    path, layer = plots_gpkg
    out = tmp_path / "out" / "measure.csv"
    runner = CliRunner()
    first = runner.invoke(main, ["measure", str(path), "--unit", "公顷", "--out", str(out)])
    assert first.exit_code == 0, first.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["佛寺造林一号", "'=HYPERLINK(\"x\")", "佛寺通村路"]
    area_ha = abs(GEOD.geometry_area_perimeter(layer.geometry[0])[0]) / 1e4
    assert float(rows[0]["area_ha"]) == pytest.approx(area_ha, rel=1e-9)
    assert rows[2]["area_ha"] == ""  # a road has no area
    before = out.read_bytes()
    second = runner.invoke(main, ["measure", str(path), "--out", str(out)])
    assert second.exit_code == 1
    assert "exists; pass overwrite=True (CLI: --overwrite) to replace it" in second.output
    assert out.read_bytes() == before
    third = runner.invoke(main, ["measure", str(path), "--unit", "亩", "--out", str(out), "--overwrite"])
    assert third.exit_code == 0, third.output
    assert "area_mu" in out.read_text(encoding="utf-8-sig")
    assert sorted(p.name for p in out.parent.iterdir()) == ["measure.csv"]  # no temporary left


def test_measure_gauss_kruger_method(plots_gpkg):
    path, _ = plots_gpkg
    result = CliRunner().invoke(main, ["measure", str(path), "--method", "gk", "--unit", "m2"])
    assert result.exit_code == 0, result.output
    assert "— gk" in result.output


def test_unknown_unit_is_one_clear_error(plots_gpkg):
    path, _ = plots_gpkg
    result = CliRunner().invoke(main, ["measure", str(path), "--unit", "acre"])
    assert result.exit_code == 2
    assert "unknown unit 'acre'; valid area units: m2 (平方米), mu (亩)" in result.output


@pytest.fixture()
def bow_tie_gpkg(tmp_path):
    """A good plot and a bow-tie plot (A -> B -> C -> D crosses itself at X) near 佛寺镇."""
    a, b, c, d, x = (121.60, 42.10), (121.61, 42.11), (121.61, 42.10), (121.60, 42.11), (121.605, 42.105)
    path = tmp_path / "bow.gpkg"
    gpd.GeoDataFrame({"项目名称": ["好地块", "蝴蝶地块"]},
                     geometry=[box(121.62, 42.10, 121.63, 42.11), Polygon([a, b, c, d])],
                     crs="EPSG:4490").to_file(path, layer="plots", driver="GPKG")
    triangles = [Polygon([a, x, d]), Polygon([x, b, c])]
    return path, sum(abs(GEOD.geometry_area_perimeter(t)[0]) for t in triangles) / (1e4 / 15)


def test_invalid_polygon_is_named_on_stderr_and_noted_in_the_csv(bow_tie_gpkg, tmp_path):
    path, _ = bow_tie_gpkg
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(main, ["measure", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (f"invalid: 1 invalid polygon ({path}#2) not measured (self-intersecting or "
            "overlapping; see the note column); pass --repair to measure their repair"
            ) in result.stderr
    assert "(CLI: --repair)" in result.stderr  # the warning says the fix in CLI words too
    assert "left out" not in result.stderr  # the invalid plot is not "empty, null or points"
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[1]["area_mu"] == "" and rows[1]["perimeter_km"] == ""
    assert rows[1]["note"] == "invalid polygon (Self-intersection[121.605 42.105]): not measured"
    assert rows[0]["note"] == "" and float(rows[0]["area_mu"]) > 1000
    assert "备注 note" in result.stdout


def test_repair_measures_the_bow_tie_as_its_two_triangles(bow_tie_gpkg, tmp_path):
    path, triangles_mu = bow_tie_gpkg
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(main, ["measure", str(path), "--repair", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (f"repaired: 1 invalid polygon ({path}#2) measured as repaired by make_valid"
            in result.stderr)
    assert "warning" not in result.stderr  # asked for: nothing left out
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert float(rows[1]["area_mu"]) == pytest.approx(triangles_mu, rel=1e-9)
    assert triangles_mu == pytest.approx(689.06, abs=0.01)
    assert rows[1]["note"].endswith("): measured as repaired (make_valid)")


@pytest.fixture()
def two_layers(tmp_path):
    """A GeoPackage with a plot layer and a road layer."""
    path = tmp_path / "two.gpkg"
    gpd.GeoDataFrame({"name": ["甲"]}, geometry=[box(121.60, 42.10, 121.61, 42.11)],
                     crs="EPSG:4490").to_file(path, layer="plots", driver="GPKG")
    gpd.GeoDataFrame({"name": ["乙路"]}, geometry=[LineString([(121.6, 41.9), (121.6, 42.4)])],
                     crs="EPSG:4490").to_file(path, layer="roads", driver="GPKG")
    return path


def test_layer_option_picks_the_layer(two_layers):
    result = CliRunner().invoke(main, ["measure", str(two_layers), "--layer", "roads",
                                       "--unit", "公里"])
    assert result.exit_code == 0, result.output
    assert ":roads — geodesic" in result.stdout
    # half a degree of latitude centred on 42.15°N: (111,132.954 - 559.822 cos 2φ
    # + 1.175 cos 4φ) / 2 m = 55.538 公里
    assert "55.538" in result.stdout
    assert "乙路" in result.stdout and "甲" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], r"has 2 layers \('plots', 'roads'\); choose one with --layer, e\.g\. --layer plots"),
        (["--layer", "nope"], r"two\.gpkg:nope: no layer 'nope'; the layers are 'plots', "
                              r"'roads' \(--layer NAME\)"),
    ],
)
def test_library_errors_are_one_line_on_stderr(two_layers, args, message):
    result = CliRunner().invoke(main, ["measure", str(two_layers), *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误 error: 图层无法读取 (LayerReadError): ")
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in result.output
