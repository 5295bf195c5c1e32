"""``county-gis --version`` and ``county-gis measure``: table, totals, CSV, refusals."""

from __future__ import annotations

import csv

import geopandas as gpd
import pytest
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import LineString, box

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
