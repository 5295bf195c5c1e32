"""NDVI change per plot and the greening summary (county_gis.raster.change)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine
from shapely.geometry import box

from county_gis import progress
from county_gis.analysis import greening_summary
from county_gis.errors import ConfigError, CountyGisError, CountyGisWarning
from county_gis.project import Project
from county_gis.raster import Verdict, vegetation_change
from county_gis.raster.change import ThresholdError
from county_gis.targets import Measure, Target
from county_gis.vocabulary import LayerKind

X0, Y0, RES = 500_000.0, 4_650_000.0, 100.0
GK41 = "EPSG:4550"  # at the central meridian a 100 m square is 10,000 m² = 15 亩 to 1e-4


def write_tif(path, array, *, crs=GK41):
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0],
                       count=1, dtype="float32", crs=crs, nodata=float("nan"),
                       transform=Affine(RES, 0, X0, 0, -RES, Y0)) as dst:
        dst.write(array.astype("float32"), 1)
    return path


def cell(col, row, ncols=1, nrows=1):
    return box(X0 + RES * col, Y0 - RES * (row + nrows), X0 + RES * (col + ncols),
               Y0 - RES * row)


@pytest.fixture
def rasters(tmp_path):
    before = np.full((4, 8), 0.20)
    after = np.full((4, 8), 0.20)
    after[0, 0:2] = 0.50    # plot A (2 pixels): greened by 0.30
    after[1, 0:2] = 0.22    # plot B: +0.02, unchanged
    after[2, 0:2] = 0.05    # plot C: -0.15, degraded
    after[3, 0] = 0.60      # plot D, half on a +0.40 pixel, half on a NaN pixel
    after[3, 1] = np.nan
    return write_tif(tmp_path / "before.tif", before), write_tif(tmp_path / "after.tif", after)


@pytest.fixture
def plots():
    return gpd.GeoDataFrame(
        {
            "name": ["A", "B", "C", "D", "E"],
            "kind": ["矿山复绿", "mine_restoration", "造林", "afforestation", "afforestation"],
            "status": ["完工", "completed", "竣工", "completed", "在建"],
            "target": ["mine_1615", "mine_1615", "", None, None],
        },
        geometry=[cell(0, 0, 2), cell(0, 1, 2), cell(0, 2, 2),
                  box(X0 + 50, Y0 - 400, X0 + 150, Y0 - 300), cell(5, 0)],
        crs=GK41,
    )


def test_vegetation_change_by_hand(rasters, plots):
    before, after = rasters
    table = vegetation_change(plots, before, after)
    np.testing.assert_allclose(table["ndvi_change"].iloc[:4], [0.30, 0.02, -0.15, 0.40],
                               atol=1e-6)
    assert table["verdict"].tolist() == ["greened", "unchanged", "degraded", "greened",
                                         "unchanged"]
    assert table["verdict_label"].iloc[2] == "退化"
    np.testing.assert_allclose(table["area_mu"], [30, 30, 30, 15, 15], rtol=1e-3)
    # plot D: the NaN pixel covers half of it
    assert table["coverage_fraction"].iloc[3] == pytest.approx(0.5)


def test_threshold_changes_the_verdict_and_is_validated(rasters, plots):
    before, after = rasters
    table = vegetation_change(plots, before, after, threshold=0.01)
    assert table["verdict"].iloc[1] == Verdict.GREENED.value
    for bad in (0, -0.1, float("nan"), "0.05", 3):
        with pytest.raises(ValueError, match=r"threshold was .* but is expected to be an NDVI "
                                             r"change between 0 and 2"):
            vegetation_change(plots, before, after, threshold=bad)


def test_outside_rasters_is_no_data(tmp_path, rasters):
    before, after = rasters
    far = gpd.GeoSeries([cell(50, 50)], crs=GK41)
    with pytest.warns(CountyGisWarning, match="lie wholly outside the raster"):
        table = vegetation_change(far, before, after)
    assert table["verdict"].tolist() == ["no_data"]


def bare(*frames):
    """Plots as a project without targets (a layer file given to load_project)."""
    return Project.from_layers({f"layer{i}": f for i, f in enumerate(frames)}, targets=[])


def test_greening_summary_per_kind_of_bare_plots(rasters, plots):
    before, after = rasters
    summary = greening_summary(bare(plots), before, after)
    # no targets registry: one row per kind; E is under construction: left out; the bare
    # frame's `target` column names no registry, so it is not used
    assert list(summary.index) == ["mine_restoration", "afforestation"]
    mine = summary.loc["mine_restoration"]
    assert (mine["title"], mine["kind"], mine["features"]) == ("矿山复绿", "mine_restoration", 2)
    assert mine["checked_mu"] == pytest.approx(60, rel=1e-3)
    assert mine["greened_mu"] == pytest.approx(30, rel=1e-3)
    assert mine["unchanged_mu"] == pytest.approx(30, rel=1e-3)
    assert mine["green_share"] == pytest.approx(0.5, abs=1e-6)
    forest = summary.loc["afforestation"]
    assert (forest["greened_mu"], forest["degraded_mu"]) == pytest.approx((15, 30), rel=1e-3)
    assert forest["checked_mu"] == pytest.approx(45, rel=1e-3)


def test_greening_summary_needs_canonical_columns(rasters, plots):
    before, after = rasters
    with pytest.raises(ValueError, match=r"the project features lack kind or status values; "
                                         r"load them with county_gis.read_layer\(..., kind=...\)"):
        greening_summary(bare(plots.drop(columns="status")), before, after)
    summary = greening_summary(bare(plots.iloc[:2], plots.iloc[2:]), before,
                               after, kinds=["mine_restoration"])
    assert list(summary.index) == ["mine_restoration"]


def test_greening_summary_links_like_progress(rasters, plots):
    """A project with targets: plots link through the same code as progress()."""
    before, after = rasters
    mine = Target("mine_1615", "年内完成矿山复绿1615亩", "七", Measure.AREA, "亩", 1615.0, 2023,
                  kinds=(LayerKind.MINE_RESTORATION,))
    forest = Target("forest", "造林", "七", Measure.AREA, "公顷", 10.0, 2023,
                    kinds=(LayerKind.AFFORESTATION,), filter={"work_type": ("造林",)})
    layer = plots.to_crs("EPSG:4490").assign(
        kind=["mine_restoration", "mine_restoration", "afforestation", "afforestation",
              "afforestation"],
        status=["completed", "completed", "completed", "completed", "under_construction"],
        work_type=[None, None, "造林", "抚育", "造林"])
    project = Project.from_layers({"plots": layer}, targets=[mine, forest],
                                  rasters={"ndvi_before": before, "ndvi_after": after},
                                  root=before.parent)
    summary = greening_summary(project)
    # C links to forest through its work type; D (抚育) matches no filter: not checked
    assert list(summary.index) == ["mine_1615", "forest"]
    assert summary.loc["forest", "features"] == 1
    assert summary.loc["forest", "degraded_mu"] == pytest.approx(30, rel=1e-3)
    table = progress(project, greening=True).set_index("target_id")
    assert table.loc["mine_1615", "completed"] == summary.loc["mine_1615", "checked_mu"]
    assert table.loc["mine_1615", "greened"] == pytest.approx(
        summary.loc["mine_1615", "greened_mu"], rel=1e-12)
    # progress gives the forest target in its own unit: 30 亩 = 2 公顷, none of it green
    assert table.loc["forest", "completed"] == pytest.approx(2.0, rel=1e-3)
    assert table.loc["forest", "greened"] == 0 and table.loc["forest", "green_share"] == 0


def test_greening_summary_of_a_project_object(rasters, plots, tmp_path):
    # layers, rasters and root but no targets: per kind, the rasters found through .rasters
    before, after = rasters
    project = Project.from_layers({"mine_restoration": plots.iloc[:2],
                                   "afforestation": plots.iloc[2:]}, targets=[],
                                  rasters={"ndvi_before": before.name, "ndvi_after": after.name},
                                  root=before.parent)
    summary = greening_summary(project)
    assert summary.loc["mine_restoration", "greened_mu"] == pytest.approx(30, rel=1e-3)
    elsewhere = Project.from_layers(project.layers, targets=[], root=tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match=r"no NDVI raster ndvi_before or ndvi_2022 declared in "
                                          r"the project's \[rasters\] or found in "
                                          r".*elsewhere/rasters; declare it in project.toml or "
                                          r"pass before= and after="):
        greening_summary(elsewhere)


def test_a_bad_threshold_is_its_own_error_class(rasters, plots):
    before, after = rasters
    with pytest.raises(ThresholdError, match=r"^threshold was 2.5 but is expected to be an NDVI "
                                             r"change between 0 and 2 \(exclusive\), e.g. 0.05$"):
        greening_summary(bare(plots), before, after, threshold=2.5)
    assert issubclass(ThresholdError, ValueError) and issubclass(ThresholdError, CountyGisError)
