"""Benchmark: drawing a large raster on the map, county_gis vs the obvious warp, in one run.

A dense ``--size`` × ``--size`` float32 GeoTIFF (tiled, deflate; default 9,000², 324 MB of
pixels) is drawn as a 512 × 512 overlay by two contenders, each in a fresh process with the
same GDAL block cache (``GDAL_CACHEMAX=64`` MB, so the cache does not hide the difference):

* ``county_gis``: :func:`county_gis.render.raster_to_png_overlay` — the band averaged down
  while it is read, in strips of 4 M source pixels, then warped;
* ``warped vrt``: the obvious way (and county_gis's before issue 14): a ``WarpedVRT`` to
  Web Mercator at the output size with average resampling, read at once.

Prints the wall time and the peak resident memory (``ru_maxrss``, above what the imports
take) of each process, and whether county_gis is no slower and no larger than the warp (the
goal; its real gain is the header budget and the overviews, which the warp does not use).

Run: ``python bench/raster_display.py [--size 9000]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import Affine
from rasterio.windows import Window

CONTENDERS = {
    "county_gis": """
        from county_gis.render import raster_to_png_overlay
        png, _, _ = raster_to_png_overlay(PATH)
    """,
    "warped vrt": """
        import rasterio
        from rasterio.enums import Resampling
        from rasterio.vrt import WarpedVRT
        from rasterio.warp import calculate_default_transform
        with rasterio.open(PATH) as src:
            transform, w, h = calculate_default_transform(src.crs, "EPSG:3857", 512, 512,
                                                          *src.bounds)
            with WarpedVRT(src, crs="EPSG:3857", transform=transform, width=w, height=h,
                           resampling=Resampling.average) as vrt:
                data = vrt.read(1, masked=True)
    """,
}

RUNNER = """
import resource, time, warnings
warnings.simplefilter("ignore")
import county_gis.render  # the same imports in both processes
PATH = {path!r}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
{body}
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base)
"""


def write_raster(path: Path, size: int) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="float32", crs="EPSG:4490", nodata=float("nan"),
                       transform=Affine(1e-4, 0, 121.0, 0, -1e-4, 42.6), tiled=True,
                       blockxsize=512, blockysize=512, compress="deflate") as dst:
        rows = 1024
        rng = np.random.default_rng(0)
        for top in range(0, size, rows):
            height = min(rows, size - top)
            dst.write(rng.random((height, size), dtype="float32"), 1,
                      window=Window(0, top, size, height))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=9000)
    args = parser.parse_args()
    env = {**os.environ, "GDAL_CACHEMAX": "64",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                         os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.tif"
        write_raster(path, args.size)
        print(f"{args.size:,} × {args.size:,} float32 raster "
              f"({path.stat().st_size / 1e6:.0f} MB on disk) -> 512 × 512 overlay")
        results = {}
        for name, body in CONTENDERS.items():
            code = RUNNER.format(path=str(path), body=textwrap.dedent(body))
            out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            results[name] = (float(out[0]), float(out[1]))
            print(f"{name:>12}: {results[name][0]:6.2f} s, peak RSS above the imports "
                  f"{results[name][1]:5.0f} MB")
        ours, theirs = results["county_gis"][1], results["warped vrt"][1]
        fast = results["county_gis"][0] <= results["warped vrt"][0]
        print(f"goal: county_gis no slower and no larger than the warp: "
              f"{results['county_gis'][0]:.1f} vs {results['warped vrt'][0]:.1f} s, {ours:.0f} vs "
              f"{theirs:.0f} MB — {'met' if fast and ours <= theirs else 'NOT MET'}")


if __name__ == "__main__":
    main()
