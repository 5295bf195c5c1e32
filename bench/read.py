"""Benchmark: read_layer (all checks on) vs a raw pyogrio Arrow read of a 100,000-plot GeoPackage.

Run: ``python bench/read.py [--features 100000] [--repeat 3]``. The GeoPackage is built in a
temporary folder (not committed): plots of ~0.5-2 亩, 8-vertex rings, inside the county, with
the Chinese fields a forestry bureau layer has (项目编号, 项目名称, 状态, 乡镇, 面积(亩)).
Prints the best of ``--repeat`` runs of each and the ratio (goal: <= 1.3). read_layer checks
validity in a worker thread while it parses, so the ratio needs a second core that is free: the
CPU count and the load average are printed with it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from county_gis import read_layer


def build(path: Path, n: int, seed: int = 20240) -> None:
    """Write ``n`` octagonal plots inside the county to ``path``."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(121.1, 122.3, n)
    lat = rng.uniform(41.85, 42.45, n)
    radius = rng.uniform(0.0002, 0.0004, n)
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    xs = lon[:, None] + radius[:, None] * np.cos(angles)[None, :]
    ys = lat[:, None] + radius[:, None] * np.sin(angles)[None, :] * 0.75
    rings = np.stack([xs, ys], axis=-1)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    polygons = shapely.polygons(rings)
    towns = np.array(["扎兰营子镇", "大板镇", "福兴地镇", "泡子镇", "旧庙镇", "阜新镇"])
    statuses = np.array(["完工", "在建", "计划", "竣工"])
    gdf = gpd.GeoDataFrame(
        {
            "项目编号": [f"ZL-{i:06d}" for i in range(n)],
            "项目名称": [f"{towns[i % 6]}造林地块{i}" for i in range(n)],
            "状态": statuses[rng.integers(0, 4, n)],
            "乡镇": towns[rng.integers(0, 6, n)],
            "面积(亩)": np.round(rng.uniform(0.5, 2.0, n), 2),
        },
        geometry=polygons,
        crs=4490,
    )
    pyogrio.write_dataframe(gdf, path, layer="造林")


def best(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="county_gis_bench_") as tmp:
        path = Path(tmp) / "plots.gpkg"
        build(path, args.features)
        size = path.stat().st_size / 1e6

        def raw() -> None:
            pyogrio.read_dataframe(path, use_arrow=True)

        def checked() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                gdf = read_layer(path, kind="afforestation")
            assert len(gdf) == args.features
            assert not gdf.attrs["load_report"].problems

        raw()  # warm the file cache and imports
        checked()
        t_raw = best(raw, args.repeat)
        t_checked = best(checked, args.repeat)
    print(f"features: {args.features:,}  file: {size:.1f} MB  (best of {args.repeat})")
    print(f"pyogrio.read_dataframe(use_arrow=True): {t_raw:.3f} s")
    print(f"county_gis.read_layer (all checks on):   {t_checked:.3f} s")
    print(f"ratio: {t_checked / t_raw:.2f}x  (goal <= 1.3x)")
    print(f"cpus: {os.cpu_count()}  load average (1 min): {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
