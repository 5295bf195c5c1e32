"""Benchmark: geodesic area and length, county_gis vs the obvious alternatives, in one run.

Same synthetic data for every contender (fixed seed, inside the real county boundary):
100,000 plots of ~120 vertices and 10,000 roads of ~500 vertices (override with
``--plots`` / ``--roads`` for a quick run). Contenders:

* ``county_gis``: :func:`county_gis.geodesic_area` / :func:`county_gis.geodesic_length`;
* ``geod loop``: ``pyproj.Geod.geometry_area_perimeter`` / ``geometry_length`` per feature
  (GeographicLib: the reference for the errors);
* ``albers``: ``GeoSeries.to_crs(local Albers equal-area).area`` / ``.length``.

Prints times, speed ratios, the worst relative error against GeographicLib, and the
peak memory of the county_gis call (tracemalloc) against the size of the coordinate array.
Goals (issue 2): ≥ 25× the Geod loop, faster than Albers, ≤ 1e-7 error, memory ≤ 3×.

Run: ``python bench/measure.py [--plots 100000] [--roads 10000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

import county_gis

ROOT = Path(__file__).resolve().parents[1]
ALBERS = "+proj=aea +lat_0=42.15 +lon_0=121.7 +lat_1=41.85 +lat_2=42.45 +ellps=GRS80 +units=m"
GEOD = Geod(ellps="GRS80")
M_PER_DEG_LAT = 111_070.0
M_PER_DEG_LON = 82_800.0


def _centres(county: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = county.bounds
    out: list[np.ndarray] = []
    shapely.prepare(county)
    while sum(len(o) for o in out) < n:
        pts = np.column_stack([rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)])
        out.append(pts[shapely.contains_xy(county, pts[:, 0], pts[:, 1])])
    return np.concatenate(out)[:n]


def make_plots(county: shapely.Geometry, n: int, rng: np.random.Generator) -> gpd.GeoSeries:
    """Star-shaped plots of 0.1–500 ha with ~120 vertices (100–140)."""
    centres = _centres(county, n, rng)
    area_m2 = np.exp(rng.uniform(np.log(1e3), np.log(5e6), n))
    radius = np.sqrt(area_m2 / np.pi) / 0.875  # the jitter below shrinks the mean r² by ~0.77
    nv = rng.integers(100, 141, n)
    owner = np.repeat(np.arange(n), nv)
    k = np.arange(nv.sum()) - np.repeat(np.cumsum(nv) - nv, nv)  # vertex number in its plot
    angles = 2 * np.pi * (k + rng.uniform(0.0, 0.8, nv.sum())) / nv[owner]
    r = radius[owner] * rng.uniform(0.75, 1.0, nv.sum())
    x = centres[owner, 0] + r * np.cos(angles) / M_PER_DEG_LON
    y = centres[owner, 1] + r * np.sin(angles) / M_PER_DEG_LAT
    coords = np.column_stack([x, y])
    ring_offsets = np.concatenate([[0], np.cumsum(nv)])
    closed = np.insert(coords, ring_offsets[1:], coords[ring_offsets[:-1]], axis=0)
    closed_offsets = ring_offsets + np.arange(n + 1)
    polys = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON, closed, (closed_offsets, np.arange(n + 1))
    )
    return gpd.GeoSeries(polys, crs="EPSG:4490")


def make_roads(county: shapely.Geometry, n: int, rng: np.random.Generator) -> gpd.GeoSeries:
    """Random-walk roads of ~500 vertices (400–600), steps of 1–60 m."""
    starts = _centres(county, n, rng)
    nv = rng.integers(400, 601, n)
    total = nv.sum()
    owner = np.repeat(np.arange(n), nv)
    heading = rng.uniform(0, 2 * np.pi, n)[owner] + np.cumsum(rng.normal(0, 0.15, total))
    step = rng.uniform(1, 60, total)
    first = np.cumsum(nv) - nv
    step[first] = 0.0
    dx = np.cos(heading) * step / M_PER_DEG_LON
    dy = np.sin(heading) * step / M_PER_DEG_LAT
    cx = np.cumsum(dx)
    cy = np.cumsum(dy)
    x = starts[owner, 0] + cx - np.repeat(cx[first], nv)
    y = starts[owner, 1] + cy - np.repeat(cy[first], nv)
    lines = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING,
        np.column_stack([x, y]),
        (np.concatenate([[0], np.cumsum(nv)]),),
    )
    return gpd.GeoSeries(lines, crs="EPSG:4490")


def laea_area(geom: shapely.Geometry) -> float:
    """Area in a Lambert azimuthal equal-area projection centred on the plot (exact for plots)."""
    centre = geom.centroid
    crs = f"+proj=laea +lat_0={centre.y} +lon_0={centre.x} +ellps=GRS80"
    return float(gpd.GeoSeries([geom], crs="EPSG:4490").to_crs(crs).area.iloc[0])


def best_of(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    best = np.inf
    result = np.empty(0)
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = np.asarray(fn(), dtype=float)
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_memory(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def run(kind: str, data: gpd.GeoSeries, repeat: int) -> None:
    geoms = list(data.values)
    if kind == "area":
        ours = lambda: county_gis.geodesic_area(data).to_numpy()  # noqa: E731
        loop = lambda: [abs(GEOD.geometry_area_perimeter(g)[0]) for g in geoms]  # noqa: E731
        albers = lambda: data.to_crs(ALBERS).area.to_numpy()  # noqa: E731
    else:
        ours = lambda: county_gis.geodesic_length(data).to_numpy()  # noqa: E731
        loop = lambda: [GEOD.geometry_length(g) for g in geoms]  # noqa: E731
        albers = lambda: data.to_crs(ALBERS).length.to_numpy()  # noqa: E731
    n_coords = int(shapely.get_num_coordinates(data.values).sum())
    t_ours, v_ours = best_of(ours, repeat)
    t_loop, v_ref = best_of(loop, 1)
    t_alb, v_alb = best_of(albers, repeat)
    err_ours = np.max(np.abs(v_ours - v_ref) / v_ref)
    err_alb = np.max(np.abs(v_alb - v_ref) / v_ref)
    coord_bytes = n_coords * 2 * 8
    peak = peak_memory(ours)
    if kind == "area":  # an independent reference, free of GeographicLib's own round-off
        sample = np.arange(0, len(data), max(1, len(data) // 500))
        laea = np.array([laea_area(g) for g in data.values[sample]])
        rel = np.abs(v_ours[sample] - laea) / laea
        rel_geod = np.abs(v_ref[sample] - laea) / laea
        small = v_ref < 2e4
        print(
            f"  vs per-plot Lambert azimuthal equal-area ({len(sample)} plots): county_gis "
            f"{rel.max():.2e}, geod {rel_geod.max():.2e}\n"
            f"  plots under 2 ha: {small.sum():,}; worst vs geod there "
            f"{(np.abs(v_ours - v_ref) / v_ref)[small].max():.2e}; elsewhere "
            f"{(np.abs(v_ours - v_ref) / v_ref)[~small].max():.2e}"
        )
    print(f"\n{kind}: {len(data):,} features, {n_coords:,} vertices")
    print(f"  {'contender':<12}{'time s':>10}{'max rel err':>14}")
    print(f"  {'county_gis':<12}{t_ours:>10.3f}{err_ours:>14.2e}")
    print(f"  {'geod loop':<12}{t_loop:>10.3f}{0.0:>14.2e}  (reference)")
    print(f"  {'albers':<12}{t_alb:>10.3f}{err_alb:>14.2e}")
    ok_loop = t_loop / t_ours >= 25
    ok_alb = t_ours < t_alb
    ok_err = err_ours <= 1e-7
    ok_mem = peak <= 3 * coord_bytes
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(f"  speed-up vs geod loop: {t_loop / t_ours:6.1f}x  (goal >= 25x: {verdict(ok_loop)})")
    print(f"  speed-up vs albers:    {t_alb / t_ours:6.2f}x  (goal > 1x: {verdict(ok_alb)})")
    print(f"  max rel error vs geod: {err_ours:.2e}  (goal <= 1e-7: {verdict(ok_err)})")
    print(
        f"  peak memory (tracemalloc): {peak / 2**20:.1f} MiB = {peak / coord_bytes:.2f}x the "
        f"coordinate array ({coord_bytes / 2**20:.1f} MiB)  (goal <= 3x: {verdict(ok_mem)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plots", type=int, default=100_000)
    parser.add_argument("--roads", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20230101)
    args = parser.parse_args()
    county = gpd.read_file(ROOT / "layers" / "fumeng.gpkg", layer="county_boundary").geometry[0]
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    plots = make_plots(county, args.plots, rng)
    roads = make_roads(county, args.roads, rng)
    print(f"synthetic data built in {time.perf_counter() - t0:.1f} s (seed {args.seed})")
    run("area", plots, args.repeat)
    run("length", roads, args.repeat)


if __name__ == "__main__":
    main()
