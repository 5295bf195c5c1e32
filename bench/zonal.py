"""Benchmark: county_gis.raster.zonal_stats vs rasterstats.zonal_stats (all_touched=False).

Run from the repository root (needs the ``bench`` extra: ``pip install -e .[bench]``)::

    python bench/zonal.py                      # 10,000 plots on a 5,000 x 5,000 raster
    python bench/zonal.py --plots 2000 --size 2000

Both tools get the same GeoTIFF (float32, 30 m pixels in CGCS2000 Gauss-Krüger zone 41,
256 x 256 tiles, deflate) and the same plots (irregular polygons of 0.5-300 亩, log-uniform,
so many are smaller than one 30 m pixel = 1.35 亩), in one process, one after the other.
Reported: wall time of each, the ratio, and the number of plots each leaves without a value
(NaN / None mean). Data is synthetic and built in a temporary folder (deterministic seed).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.transform import Affine

from county_gis.raster import zonal_stats

X0, Y0, RES, CRS = 400_000.0, 4_720_000.0, 30.0, "EPSG:4550"
MU = 10_000.0 / 15.0


def build_raster(path: Path, size: int, seed: int) -> None:
    """A smooth NDVI-like field plus noise, written strip by strip."""
    rng = np.random.default_rng(seed)
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32",
        "crs": CRS, "transform": Affine(RES, 0, X0, 0, -RES, Y0), "nodata": -9999.0,
        "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
    }
    cols = np.arange(size)
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, size, 512):
            rows = np.arange(top, min(top + 512, size))[:, None]
            field = 0.35 + 0.2 * np.sin(cols / 300.0) * np.cos(rows / 420.0)
            field = field + rng.normal(0, 0.03, field.shape)
            window = rasterio.windows.Window(0, top, size, len(rows))
            dst.write(field.astype("float32"), 1, window=window)


def build_plots(n: int, size: int, seed: int) -> gpd.GeoDataFrame:
    """Irregular star-shaped polygons of 0.5-300 亩 (12-40 vertices) inside the raster."""
    rng = np.random.default_rng(seed + 1)
    area = np.exp(rng.uniform(np.log(0.5 * MU), np.log(300 * MU), n))
    radius = np.sqrt(area / np.pi)
    margin = 1_000.0
    cx = rng.uniform(X0 + margin, X0 + size * RES - margin, n)
    cy = rng.uniform(Y0 - size * RES + margin, Y0 - margin, n)
    geoms = []
    for i in range(n):
        k = int(rng.integers(12, 41))
        angle = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = radius[i] * rng.uniform(0.7, 1.3, k)
        geoms.append(shapely.Polygon(np.column_stack([cx[i] + r * np.cos(angle),
                                                      cy[i] + r * np.sin(angle)])))
    return gpd.GeoDataFrame({"plot": np.arange(n)}, geometry=geoms, crs=CRS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=5_000, help="raster width = height, pixels")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    try:
        import rasterstats
    except ImportError:
        print("rasterstats is missing: pip install -e .[bench]", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ndvi.tif"
        t = time.perf_counter()
        build_raster(path, args.size, args.seed)
        plots = build_plots(args.plots, args.size, args.seed)
        print(f"built {args.size} x {args.size} raster and {args.plots} plots "
              f"in {time.perf_counter() - t:.1f} s "
              f"(plots < 1 pixel: {(plots.area < RES * RES).sum()})")

        t = time.perf_counter()
        ours = zonal_stats(plots, path, stats=["mean", "count"])
        t_ours = time.perf_counter() - t

        t = time.perf_counter()
        theirs = rasterstats.zonal_stats(plots, str(path), stats=["mean", "count"],
                                         all_touched=False)
        t_theirs = time.perf_counter() - t

    ours_missing = int(ours["mean"].isna().sum())
    theirs_mean = np.array([np.nan if s["mean"] is None else s["mean"] for s in theirs])
    theirs_missing = int(np.isnan(theirs_mean).sum())
    both = ~np.isnan(theirs_mean) & ~ours["mean"].isna().to_numpy()
    diff = np.abs(theirs_mean[both] - ours["mean"].to_numpy()[both])
    result = {
        "plots": args.plots, "raster": f"{args.size}x{args.size}",
        "county_gis_s": round(t_ours, 2), "rasterstats_s": round(t_theirs, 2),
        "time_ratio_county_gis_over_rasterstats": round(t_ours / t_theirs, 3),
        "plots_without_value_county_gis": ours_missing,
        "plots_without_value_rasterstats": theirs_missing,
        "median_abs_mean_difference": float(np.median(diff)) if diff.size else None,
        "rasterstats_version": rasterstats.__version__,
    }
    for key, value in result.items():
        print(f"{key:42s} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
