"""Benchmark: county_gis.compliance vs the skilled geopandas route (overlay + equal-area .area).

Run from the repository root::

    python bench/compliance.py                         # 10,000 plots, 100,000 zone polygons
    python bench/compliance.py --plots 2000 --zones 20000

The zones are a 永久基本农田 layer of 100,000 图斑 tiling part of the county (a jittered grid,
shared vertices, ~4.6 ha and 17 vertices each, with DLBM / TBMJ / KCXS); the plots are
10,000 irregular 12-gons of 1-25 ha (log-uniform) scattered over the same area (deterministic
seed). Both tools run in one process, one after the other:

- **county_gis**: ``compliance(project, zones=[...])`` — geodesic area inside per plot × 图斑,
  KCXS-net, 平差 to TBMJ, the rule and status of every plot × zone type, slivers;
- **geopandas**: ``gpd.overlay(plots, zones, how="intersection", keep_geom_type=True)``, then
  ``.to_crs()`` to an Albers equal-area projection centred on the county and ``.area``, summed
  per plot — the route a skilled user takes, computing less (no 平差, no rules).

Reported: wall time of each, the ratio, and the largest relative difference of the per-plot
areas (geodesic vs Albers; they differ only by the straight-edge convention, ~1e-6).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from county_gis import Project, compliance
from county_gis.analysis import ZoneLayer

X0, Y0 = 121.30, 41.95  # south-west corner of the tiled area (inside the county)
DX, DY = 0.0025, 0.002  # grid cell, degrees (~207 m x 222 m)
ALBERS = "+proj=aea +lat_1=41.5 +lat_2=42.6 +lat_0=42 +lon_0=121.7 +ellps=GRS80 +units=m"


def build_zones(n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` 图斑 tiling a rectangle: a grid with jittered, shared vertices, 4 per side."""
    rng = np.random.default_rng(seed)
    cols = round(np.sqrt(n * 1.6))
    rows = int(np.ceil(n / cols))
    k = 4  # points per cell side (shared between neighbours)
    gx, gy = cols * k + 1, rows * k + 1
    xs = X0 + np.arange(gx) * DX / k
    ys = Y0 + np.arange(gy) * DY / k
    px, py = np.meshgrid(xs, ys)
    px = px + rng.uniform(-0.2, 0.2, px.shape) * DX / k
    py = py + rng.uniform(-0.2, 0.2, py.shape) * DY / k
    ring_i = np.concatenate([np.zeros(k), np.arange(k), np.full(k, k), np.arange(k, 0, -1)])
    ring_j = np.concatenate([np.arange(k), np.full(k, k), np.arange(k, 0, -1), np.zeros(k)])
    polys = []
    for r in range(rows):
        for c in range(cols):
            if len(polys) == n:
                break
            ii = (r * k + ring_i).astype(int)
            jj = (c * k + ring_j).astype(int)
            polys.append(np.column_stack([px[ii, jj], py[ii, jj]]))
    geoms = shapely.polygons(np.stack(polys))
    area = shapely.area(geoms) * 111_320 * np.cos(np.radians(42.1)) * 111_070
    return gpd.GeoDataFrame({"JBNTTBBH": [f"JB{i:06d}" for i in range(n)],
                             "DLBM": rng.choice(["0101", "0102", "0103"], n),
                             "TBMJ": np.round(area * rng.uniform(0.997, 1.003, n), 2),
                             "KCXS": np.round(rng.uniform(0.05, 0.15, n), 4)},
                            geometry=geoms, crs="EPSG:4490"), (X0 + cols * DX, Y0 + rows * DY)


def build_plots(n: int, extent: tuple[float, float], seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed + 1)
    ha = np.exp(rng.uniform(np.log(1.0), np.log(25.0), n))
    radius = np.sqrt(ha * 10_000 / np.pi)
    cx = rng.uniform(X0 + 0.01, extent[0] - 0.01, n)
    cy = rng.uniform(Y0 + 0.01, extent[1] - 0.01, n)
    angles = np.sort(rng.uniform(0, 2 * np.pi, (n, 12)), axis=1)
    r = radius[:, None] * rng.uniform(0.8, 1.2, (n, 12))
    x = cx[:, None] + r * np.cos(angles) / (111_320 * np.cos(np.radians(42.1)))
    y = cy[:, None] + r * np.sin(angles) / 111_070
    geoms = shapely.make_valid(shapely.polygons(np.stack([x, y], axis=-1)))
    return gpd.GeoDataFrame({"project_id": [f"ZL-{i:05d}" for i in range(n)],
                             "kind": "afforestation", "status": "planned"},
                            geometry=geoms, crs="EPSG:4490")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=10_000)
    parser.add_argument("--zones", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    zones, extent = build_zones(args.zones, args.seed)
    plots = build_plots(args.plots, extent, args.seed)
    n_vertices = int(shapely.get_num_coordinates(zones.geometry.values).sum())
    print(f"built {len(zones):,} 图斑 ({n_vertices:,} vertices) and {len(plots):,} plots in "
          f"{time.perf_counter() - t:.1f} s")

    project = Project.from_layers({"afforestation": plots}, targets=[])
    layer = ZoneLayer.from_frame(zones, type="永久基本农田", version="bench",
                                 effective="2026-01-01", dataset="bench:YJJBNTBHTB")
    t = time.perf_counter()
    result = compliance(project, zones=[layer])
    t_ours = time.perf_counter() - t
    ours = result.table[result.table["zone_type"] == "永久基本农田"].set_index(
        "project_id")["area_m2"]

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pieces = gpd.overlay(plots, zones, how="intersection", keep_geom_type=True)
    theirs = pieces.to_crs(ALBERS).area.groupby(pieces["project_id"]).sum()
    t_theirs = time.perf_counter() - t

    theirs = theirs.reindex(ours.index).fillna(0.0)
    # the slivers county_gis drops (listed in result.slivers), added back for the comparison
    dropped = result.slivers.assign(project_id=result.slivers["place"].str.rsplit(
        "#", n=1).str[1].astype(int).map(dict(enumerate(plots["project_id"])))).groupby(
        "project_id")["area_m2"].sum()
    whole = ours + dropped.reindex(ours.index).fillna(0.0)
    both = (whole > 0) | (theirs > 0)
    rel = ((whole[both] - theirs[both]).abs() / theirs[both]).max()
    pingcha = result.pieces.groupby("zone_fid").apply(
        lambda g: abs(g["adjusted_m2"].sum() - g["tbmj"].iloc[0]), include_groups=False).max()
    numbers = {
        "plots": len(plots), "zones": len(zones), "pieces": int(result.table["n_pieces"].sum()),
        "county_gis_s": round(t_ours, 2), "geopandas_s": round(t_theirs, 2),
        "ratio": round(t_theirs / t_ours, 2), "max_rel_area_difference": float(rel),
        "pingcha_max_error_m2": float(pingcha), "conflicts": len(result.conflicts()),
        "slivers": len(result.slivers),
        "geopandas_pieces": len(pieces),
    }
    print(f"county_gis.compliance (geodesic, KCXS, 平差, rules): {t_ours:.2f} s, "
          f"{numbers['pieces']:,} pieces, {numbers['conflicts']:,} conflicts")
    print(f"geopandas overlay + to_crs(Albers).area:            {t_theirs:.2f} s, "
          f"{len(pieces):,} pieces")
    print(f"ratio: {t_theirs / t_ours:.2f}x faster (goal > 1x; county_gis < 60 s: "
          f"{'met' if t_ours < 60 else 'NOT met'})")
    print(f"slivers dropped by county_gis (listed): {len(result.slivers):,}; per-plot area with "
          f"them, geodesic vs Albers: max relative difference {rel:.2e}; "
          f"平差 max |Σ pieces − TBMJ| = {pingcha:.3f} m²")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
