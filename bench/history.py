"""Benchmark: the history store against the obvious alternative (a full copy per month), one run.

Two workloads, twelve month-end snapshots of 2023 each:

* ``bundled``: the bundled project's twelve synthetic months (``scripts/build_history.py``);
* ``plots``: ``--plots`` (default 100,000) synthetic afforestation plots of ~20 vertices inside
  the county's bounding box, fixed seed; each month about 8 % change status, 1 % are
  re-surveyed (a new geometry) and 1 % are added.

Contenders:

* ``history``: :func:`county_gis.history.snapshot` into one GeoPackage (only what changed is
  written; unchanged features cost nothing);
* ``full copy``: every month's layers written whole to a GeoPackage of their own
  (``pyogrio``, what a bureau does today: ``10月.gpkg``, ``11月.gpkg`` ...).

Prints the size on disk and the time to write all twelve months, the time to read one month
back (``county_gis.history.state_at`` against reading that month's copy), and the ratios.
Goal: the store at most a third of the copies' size for the 100,000 plots.

Run: ``python bench/history.py [--plots 100000]`` (about a minute on an idle core).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from county_gis.history import snapshot, state_at
from county_gis.project import Project, load_project

ROOT = Path(__file__).resolve().parents[1]


def _month_states_bundled() -> list[tuple[object, Project]]:
    spec = importlib.util.spec_from_file_location("build_history",
                                                  ROOT / "scripts" / "build_history.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.month_states(load_project()))


def _month_states_plots(n: int, seed: int = 2023) -> list[tuple[object, Project]]:
    rng = np.random.default_rng(seed)
    total = int(n * 1.12)  # room for the plots added during the year
    cx = rng.uniform(121.0, 122.4, total)
    cy = rng.uniform(41.6, 42.6, total)
    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    radius = rng.uniform(0.0005, 0.003, total)

    def ring(i: int, scale: float = 1.0) -> shapely.Polygon:
        r = radius[i] * scale * (1 + 0.15 * np.sin(3 * angles + i))
        return shapely.Polygon(np.column_stack([cx[i] + r * np.cos(angles),
                                                cy[i] + r * np.sin(angles)]))

    geoms = np.array([ring(i) for i in range(total)], dtype=object)
    status = np.zeros(total, dtype=int)  # 0 planned, 1 under construction, 2 completed
    alive = np.zeros(total, dtype=bool)
    alive[:n] = True
    names = np.array([f"地块{i:06d}" for i in range(total)], dtype=object)
    ids = np.array([f"ZL-{i:06d}" for i in range(total)], dtype=object)
    labels = np.array(["planned", "under_construction", "completed"], dtype=object)
    base = Project.from_layers({}, targets=[])
    out = []
    for month in range(1, 13):
        if month > 1:
            live = np.flatnonzero(alive)
            move = rng.choice(live, int(0.08 * len(live)), replace=False)
            status[move] = np.minimum(status[move] + 1, 2)
            for i in rng.choice(live, int(0.01 * len(live)), replace=False):
                geoms[i] = ring(int(i), 1.05)
            dead = np.flatnonzero(~alive)
            alive[dead[: int(0.01 * n)]] = True
        keep = np.flatnonzero(alive)
        frame = gpd.GeoDataFrame(
            {"project_id": ids[keep], "name": names[keep], "kind": "afforestation",
             "status": labels[status[keep]], "township": "阜新镇", "year": 2023,
             "work_type": "造林"}, geometry=list(geoms[keep]), crs="EPSG:4490")
        end = dt.date(2023 + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        out.append((end, dataclasses.replace(base, layers={"plots": frame})))
    return out


def _size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def run(name: str, months: list[tuple[object, Project]], folder: Path) -> dict[str, float]:
    store = folder / f"{name}_history.gpkg"
    started = time.perf_counter()
    for day, state in months:
        snapshot(state, day, store=store)  # type: ignore[arg-type]
    t_store = time.perf_counter() - started
    copies = []
    started = time.perf_counter()
    for day, state in months:
        path = folder / f"{name}_{day}.gpkg"
        for layer, frame in state.layers.items():
            if len(frame):
                pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
        copies.append(path)
    t_copy = time.perf_counter() - started
    mid = months[9][0]  # October
    started = time.perf_counter()
    state = state_at(None, mid, store=store)  # type: ignore[arg-type]
    t_read = time.perf_counter() - started
    started = time.perf_counter()
    for layer in pyogrio.list_layers(copies[9])[:, 0]:
        pyogrio.read_dataframe(copies[9], layer=layer)
    t_read_copy = time.perf_counter() - started
    n = sum(len(f) for f in state.values())
    s_store, s_copy = store.stat().st_size, _size(copies)
    print(f"\n== {name}: 12 month-end snapshots, {n:,} features in October ==")
    print(f"{'':22}{'size MB':>10}{'write s':>10}{'read Oct s':>12}")
    print(f"{'history store':22}{s_store / 1e6:>10.2f}{t_store:>10.2f}{t_read:>12.2f}")
    print(f"{'full copy per month':22}{s_copy / 1e6:>10.2f}{t_copy:>10.2f}{t_read_copy:>12.2f}")
    print(f"store / copies: size {s_store / s_copy:.2f}×, write {t_store / t_copy:.2f}×, "
          f"read {t_read / t_read_copy:.2f}×")
    return {"size_ratio": s_store / s_copy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run("bundled", _month_states_bundled(), folder)
        result = run(f"plots{args.plots}", _month_states_plots(args.plots), folder)
    ok = result["size_ratio"] <= 1 / 3
    print(f"\ngoal: store ≤ 1/3 of the copies for the plots — {'met' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
