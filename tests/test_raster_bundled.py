"""The bundled synthetic rasters (scripts/build_rasters.py) and the greening check on them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from county_gis._paths import bundled_layers_dir
from county_gis.analysis import greening_summary
from county_gis.project import Project
from county_gis.raster import vegetation_change, zonal_stats

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("build_rasters",
                                                  ROOT / "scripts" / "build_rasters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_script()
GPKG = bundled_layers_dir() / "fumeng.gpkg"


@pytest.fixture(scope="module")
def plots():
    """40 mine plots (30-200 亩) and 60 afforestation plots (150-2,000 亩) in the county."""
    county = gpd.read_file(GPKG, layer="county_boundary").to_crs("EPSG:4550")
    shape = shapely.union_all(county.geometry.values)
    rng = np.random.default_rng(7)
    rows = []
    minx, miny, maxx, maxy = shape.bounds
    while len(rows) < 100:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        mine = len(rows) < 40
        mu = rng.uniform(30, 200) if mine else rng.uniform(150, 2000)
        side = np.sqrt(mu * 10_000 / 15)
        plot = shapely.affinity.rotate(shapely.box(x, y, x + side, y + side * 0.7 + 1), 25)
        if shape.contains(plot):
            status = ["completed", "completed", "completed", "under_construction",
                      "planned"][len(rows) % 5]
            rows.append({"project_id": f"P{len(rows):03d}", "status": status,
                         "kind": "mine_restoration" if mine else "afforestation",
                         "geometry": plot})
    return gpd.GeoDataFrame(rows, crs="EPSG:4550").to_crs("EPSG:4490")


@pytest.fixture(scope="module")
def built(tmp_path_factory, plots):
    folder = tmp_path_factory.mktemp("rasters")
    return build.build_rasters(folder, gpkg=GPKG, plots=plots)


def test_build_is_deterministic_small_and_labelled(tmp_path, built, plots):
    again = build.build_rasters(tmp_path, gpkg=GPKG, plots=plots)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in built]
    assert sum(p.stat().st_size for p in built) < 600_000
    with rasterio.open(built[0]) as src:
        assert src.crs.to_epsg() == 4490
        assert src.res == pytest.approx((0.0025, 0.002))
        assert "SYNTHETIC" in src.tags()["NOTE"]


def test_nodata_outside_the_county(built):
    county = gpd.read_file(GPKG, layer="county_boundary")
    stats = zonal_stats(county, built[2], stats=["count", "mean", "min", "max"])
    # the county is covered: every 0.0025° x 0.002° pixel with its centre inside has a value
    assert stats["coverage_fraction"].iloc[0] == pytest.approx(1.0, abs=0.01)
    assert 150 < stats["min"].iloc[0] < stats["mean"].iloc[0] < stats["max"].iloc[0] < 900


def test_plots_green_up_the_way_the_story_says(built, plots):
    table = vegetation_change(plots, built[0], built[1])
    table["story"] = [story for _, _, story in build.plot_stories(plots)]
    # the mix is exact: 24 completed mine plots, 5 (20 %) stay bare; 36 afforestation, 4 + 2
    assert (table["story"] == "still bare").sum() == 5
    assert ((table["story"] == "no change").sum(), (table["story"] == "degraded").sum()) == (4, 2)
    greened = table[table["story"] == "greened"]
    # a plot that greened in the "truth" is measured as greened (mixed edge pixels included)
    assert (greened["verdict"] == "greened").mean() >= 0.95
    assert (table.loc[table["story"] == "planned", "verdict"] == "unchanged").all()
    bare = table[table["story"].isin(["still bare", "no change"])]
    assert (bare["verdict"] != "greened").all()
    assert (table.loc[table["story"] == "degraded", "verdict"] == "degraded").all()


def test_greening_summary_on_the_built_rasters(built, plots):
    summary = greening_summary(Project.from_layers({"plots": plots}, targets=[]), built[0],
                               built[1])
    assert set(summary.index) == {"mine_restoration", "afforestation"}
    assert (summary["features"] == [24, 36]).all() or (summary["features"] == [36, 24]).all()
    share = summary["green_share"]
    assert ((share > 0.6) & (share < 1.0)).all()  # most, not all, green


def test_built_rasters_match_a_fresh_build(tmp_path):
    """layers/rasters/ (built) is the output of scripts/build_rasters.py on layers/fumeng.gpkg."""
    built = bundled_layers_dir() / "rasters"
    fresh = build.build_rasters(tmp_path, gpkg=GPKG)
    for path in fresh:
        assert (built / path.name).read_bytes() == path.read_bytes(), (
            f"layers/rasters/{path.name} is stale: run python scripts/build_project.py --force")
