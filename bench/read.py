"""Benchmark: read_layer (all checks on) vs a raw pyogrio Arrow read of a 100,000-plot GeoPackage.

Run: ``python bench/read.py [--features 100000] [--repeat 5] [--rounds 1]``. The GeoPackage is
built in a temporary folder (not committed): plots of ~0.5-2 亩, 8-vertex rings, inside the
county, with the Chinese fields a forestry bureau layer has (项目编号, 项目名称, 状态, 乡镇,
面积(亩)). Goal (issue 3): ``read_layer`` takes <= 1.3x the raw read.

"All checks on" is asserted, not assumed: four faults are planted at the end of the layer (a
bow-tie plot, a plot outside the county, a duplicated project id, an unknown status), and the
run fails unless ``read_layer`` reports exactly those, by feature id; its report must also
show that the text was validated as UTF-8 and the CRS read and checked. Both reads run in the
same process on the same (cached) file, alternating, and each time is the best of
``--repeat``; ``--rounds`` repeats the whole comparison (the machine is shared, so one ratio
can be noise: the spread is printed).

``read_layer`` checks validity in a worker thread while it parses (GEOS releases the GIL while
it checks), so its wall time needs a second core that is free: CPU time (both threads) is
printed next to the wall time, with the CPU count and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from county_gis import read_layer


def build(path: Path, n: int, seed: int = 20240) -> dict[str, list[int]]:
    """Write ``n`` octagonal plots inside the county to ``path``, four of them faulty.

    Returns the fids (GeoPackage fids start at 1) of the faults by the report code that must
    name them.
    """
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
    ids = [f"ZL-{i:06d}" for i in range(n)]
    status = statuses[rng.integers(0, 4, n)].astype(object)
    # the planted faults, near the end of the layer (so the last chunk is checked too)
    bow, outside, duplicate, unknown = n - 1, n - 2, n - 3, n - 4
    x, y = lon[bow], lat[bow]
    polygons[bow] = shapely.Polygon([(x, y), (x + 4e-4, y + 3e-4), (x + 4e-4, y), (x, y + 3e-4)])
    polygons[outside] = shapely.transform(polygons[outside], lambda c: c + np.array([0.0, 1.0]))
    ids[duplicate] = ids[0]
    status[unknown] = "暂停"
    gdf = gpd.GeoDataFrame(
        {
            "项目编号": ids,
            "项目名称": [f"{towns[i % 6]}造林地块{i}" for i in range(n)],
            "状态": status,
            "乡镇": towns[rng.integers(0, 6, n)],
            "面积(亩)": np.round(rng.uniform(0.5, 2.0, n), 2),
        },
        geometry=polygons,
        crs=4490,
    )
    pyogrio.write_dataframe(gdf, path, layer="造林")
    return {"geometry.invalid": [bow + 1], "crs.outside_county": [outside + 1],
            "value.duplicate_id": [1, duplicate + 1], "value.unknown_status": [unknown + 1]}


def best(func, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (all threads) of ``repeat`` calls, in seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="county_gis_bench_") as tmp:
        path = Path(tmp) / "plots.gpkg"
        faults = build(path, args.features)
        size = path.stat().st_size / 1e6

        def raw() -> None:
            pyogrio.read_dataframe(path, use_arrow=True)

        def checked() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                gdf = read_layer(path, kind="afforestation")
            report = gdf.attrs["load_report"]
            assert len(gdf) == args.features
            found: dict[str, list[int]] = {}
            for note in report.problems:
                found.setdefault(note.code, []).append(note.fid)
            assert found == faults, found
            assert report.encoding_evidence == ("GPKG text is UTF-8 by specification; every "
                                                "text cell is valid UTF-8")
            assert report.crs_decision == "EPSG:4490 (China Geodetic Coordinate System 2000)"

        raw()  # warm the file cache and imports
        checked()
        ratios = []
        for _ in range(args.rounds):
            t_raw, c_raw = best(raw, args.repeat)
            t_checked, c_checked = best(checked, args.repeat)
            ratios.append(t_checked / t_raw)
    print(f"features: {args.features:,}  file: {size:.1f} MB  (best of {args.repeat})")
    print(f"pyogrio.read_dataframe(use_arrow=True): {t_raw:.3f} s  (CPU {c_raw:.3f} s)")
    print(f"county_gis.read_layer (all checks on):   {t_checked:.3f} s  (CPU {c_checked:.3f} s, "
          "both threads)")
    print("checks verified: bow-tie, outside county, duplicate id, unknown status found at "
          "their fids; text validated as UTF-8; CRS read and checked")
    print(f"ratio: {t_checked / t_raw:.2f}x  (goal <= 1.3x)   CPU ratio: "
          f"{c_checked / c_raw:.2f}x")
    if args.rounds > 1:
        print(f"ratio over {args.rounds} rounds: min {min(ratios):.2f}x, median "
              f"{statistics.median(ratios):.2f}x, max {max(ratios):.2f}x")
    print(f"cpus: {os.cpu_count()}  load average (1 min): {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
