"""``county-gis zonal`` and ``county-gis greening`` (CliRunner)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import Affine
from shapely.geometry import box

from county_gis.cli import main

X0, Y0, RES = 400_000.0, 4_660_000.0, 100.0  # zone 41, near the county seat
GK41 = "EPSG:4550"


def write_tif(path, array):
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0],
                       count=1, dtype="float32", crs=GK41, nodata=float("nan"),
                       transform=Affine(RES, 0, X0, 0, -RES, Y0)) as dst:
        dst.write(array.astype("float32"), 1)
    return path


@pytest.fixture
def data(tmp_path):
    cols = np.tile(np.arange(6.0), (4, 1))
    before = np.full((4, 6), 0.2)
    after = before.copy()
    after[:, :3] = 0.45  # the west half greens
    plots = gpd.GeoDataFrame(
        {"项目名称": ["复绿一号", "复绿二号", "=cmd()"], "状态": ["完工", "完工", "在建"],
         "kind": ["mine_restoration"] * 3},
        geometry=[box(X0 + 50, Y0 - 100, X0 + 250, Y0), box(X0 + 400, Y0 - 200, X0 + 500, Y0 - 100),
                  box(X0, Y0 - 400, X0 + 100, Y0 - 300)],
        crs=GK41,
    )
    layer = tmp_path / "plots.gpkg"
    plots.to_file(layer, layer="mines")
    return {
        "layer": layer,
        "values": write_tif(tmp_path / "cols.tif", cols),
        "before": write_tif(tmp_path / "before.tif", before),
        "after": write_tif(tmp_path / "after.tif", after),
        "tmp": tmp_path,
    }


def test_zonal_prints_and_writes_csv(data):
    out = data["tmp"] / "zonal.csv"
    result = CliRunner().invoke(main, ["zonal", str(data["layer"]), str(data["values"]),
                                       "--stats", "mean,count", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "复绿一号" in result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    # plot 1 covers columns 0.5..2.5 -> mean 1, count 2; plot 2 one pixel of column 4
    # (the loader brings the layer to lon/lat and zonal_stats back: ~1e-9 m of round trip)
    np.testing.assert_allclose(table["mean"], [1.0, 4.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["count"], [2.0, 1.0, 1.0], atol=1e-9)
    assert table["name"].tolist()[2] == "'=cmd()"  # never a formula in a spreadsheet
    again = CliRunner().invoke(main, ["zonal", str(data["layer"]), str(data["values"]),
                                      "--out", str(out)])
    assert again.exit_code == 1
    assert "exists; pass overwrite=True (CLI: --overwrite)" in again.output


def test_zonal_refuses_unknown_stat(data):
    result = CliRunner().invoke(main, ["zonal", str(data["layer"]), str(data["values"]),
                                       "--stats", "mean,median"])
    assert result.exit_code == 2
    assert "stat was 'median' but is expected to be one of mean" in result.output


def test_greening_with_explicit_rasters(data):
    out = data["tmp"] / "greening.csv"
    result = CliRunner().invoke(main, ["greening", str(data["layer"]), "--before",
                                       str(data["before"]), "--after", str(data["after"]),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    row = table.set_index("target").loc["mine_restoration"]
    # two completed plots: 20,000 m² = 30 亩 greened (+0.25), 10,000 m² = 15 亩 unchanged;
    # the plot under construction (在建) is not checked
    assert row["features"] == 2
    assert row["greened_mu"] == pytest.approx(30.0, rel=1e-3)
    assert row["unchanged_mu"] == pytest.approx(15.0, rel=1e-3)
    assert row["green_share"] == pytest.approx(2 / 3, abs=1e-6)


def test_greening_bad_threshold(data):
    result = CliRunner().invoke(main, ["greening", str(data["layer"]), "--before",
                                       str(data["before"]), "--after", str(data["after"]),
                                       "--threshold", "-1"])
    assert result.exit_code == 2
    assert "threshold was -1.0 but is expected to be an NDVI change between 0 and 2" in (
        result.output)


def test_greening_finds_the_rasters_next_to_the_layer_file(data):
    rasters = data["tmp"] / "rasters"
    rasters.mkdir()
    (rasters / "ndvi_2022.tif").write_bytes(data["before"].read_bytes())
    (rasters / "ndvi_2023.tif").write_bytes(data["after"].read_bytes())
    result = CliRunner().invoke(main, ["greening", str(data["layer"])])
    assert result.exit_code == 0, result.output
    assert "66.7%" in result.output  # 30 of 45 亩 green
    (rasters / "ndvi_2023.tif").unlink()
    result = CliRunner().invoke(main, ["greening", str(data["layer"])])
    assert result.exit_code == 1
    assert "no NDVI raster ndvi_after or ndvi_2023 declared in the project's [rasters] or found in" in (
        result.output)
