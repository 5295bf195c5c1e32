"""Build twelve SYNTHETIC monthly snapshots of 2023 for the bundled project (history.gpkg).

Run: ``python scripts/build_history.py`` after ``scripts/build_layers.py``, or
``python scripts/build_project.py`` (which runs it and stamps this script's hash). Reads the
bundled project (``layers/project.toml`` over the built ``fumeng.gpkg``) as its state at the
end of 2023 and walks each feature back through the year with a fixed seed:

- most features are in the plan from January; about one in seven is added later
  (February–September: "本月新增" projects);
- a completed feature starts (在建) in some month and completes in a later one, an
  under-construction one starts in some month, a planned one stays planned;
- about one line or polygon in ten was drawn smaller (90 % scale) until it was re-surveyed
  in some month (a reshaped geometry);
- the power line and the water-supply project start late (June, August): the lamps show
  red before that.

Every snapshot is labelled synthetic (``synthetic = 1``, label ``2023年N月 (合成示例)``): the
monthly figures are invented to show the trend and the lamps, not facts about the county.
The December snapshot equals the project as loaded. Deterministic: the same bytes each run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from county_gis.history import snapshot  # noqa: E402
from county_gis.project import Project, load_project  # noqa: E402

YEAR = 2023
SEED = 1017
OUT_NAME = "history.gpkg"
#: Layers whose work starts late in the year (first month under construction).
LATE_START = {"power_line": 6, "water_supply": 8}


def month_ends(year: int = YEAR) -> list[dt.date]:
    """The last day of each month of ``year``."""
    return [dt.date(year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
            for m in range(1, 13)]


@dataclasses.dataclass
class _Plan:
    appear: np.ndarray     # first month present (1-12)
    start: np.ndarray      # first month under construction (13: never)
    complete: np.ndarray   # first month completed (13: never)
    reshape: np.ndarray    # month the final geometry arrives (1: always final)


def _plan(layer: str, frame: pd.DataFrame, rng: np.random.Generator) -> _Plan:
    n = len(frame)
    status = frame["status"].astype(object).to_numpy()
    appear = np.where(rng.random(n) < 0.15, rng.integers(2, 10, n), 1)
    start = np.full(n, 13)
    complete = np.full(n, 13)
    for i in range(n):
        first = max(int(appear[i]), LATE_START.get(layer, 2))
        if status[i] == "completed":
            done = int(rng.choice(np.arange(max(first + 1, 3), 13),
                                  p=_weights(max(first + 1, 3))))
            complete[i] = done
            start[i] = int(rng.integers(first, done)) if done > first else first
        elif status[i] == "under_construction":
            start[i] = int(rng.integers(first, 13)) if layer not in LATE_START else first
    geoms = np.asarray(frame.geometry.values)
    shaped = shapely.get_dimensions(geoms) >= 1
    reshape = np.where(shaped & (rng.random(n) < 0.1), rng.integers(2, 13, n), 1)
    reshape = np.maximum(reshape, 1)
    return _Plan(appear, start, complete, reshape)


def _weights(first: int) -> np.ndarray:
    """Completion months ``first``..12, weighted towards the building season (May–Nov)."""
    months = np.arange(first, 13)
    w = np.where((months >= 5) & (months <= 11), 2.0, 1.0)
    return w / w.sum()


def month_states(project: Project, seed: int = SEED) -> list[tuple[dt.date, Project]]:
    """The project at each month end of 2023 (December is ``project`` itself)."""
    rng = np.random.default_rng(seed)
    plans = {layer: _plan(layer, frame, rng) for layer, frame in project.layers.items()}
    out = []
    for month, day in enumerate(month_ends(), start=1):
        layers = {}
        for layer, frame in project.layers.items():
            plan = plans[layer]
            keep = plan.appear <= month
            state = frame.loc[keep].copy()
            status = np.where(plan.complete <= month, "completed",
                              np.where(plan.start <= month, "under_construction", "planned"))
            final = frame["status"].astype(object).to_numpy()
            status = np.where(pd.isna(final), None, status).astype(object)
            if len(frame):
                state["status"] = status[keep]
                smaller = (plan.reshape > month)[keep]
                if smaller.any():
                    geoms = np.asarray(state.geometry.values)
                    centre = shapely.centroid(geoms[smaller])
                    geoms[smaller] = [shapely.affinity.scale(g, 0.9, 0.9, origin=c)
                                      for g, c in zip(geoms[smaller], centre, strict=True)]
                    state = state.set_geometry(geoms, crs=frame.crs)
            if month == 12:
                state = frame
            state.attrs["layer"] = layer
            layers[layer] = state
        out.append((day, dataclasses.replace(project, layers=layers)))
    return out


def _load(out_dir: Path) -> Project:
    """The bundled project over ``out_dir``'s fumeng.gpkg (layers/project.toml's tables)."""
    toml = out_dir / "project.toml"
    if toml.is_file():
        return load_project(toml)
    copy = out_dir / ".build_history.project.toml"
    shutil.copyfile(ROOT / "layers" / "project.toml", copy)
    try:
        return load_project(copy)
    finally:
        copy.unlink()


def build_history(out_dir: Path = ROOT / "layers") -> Path:
    """Write ``out_dir/history.gpkg`` (replacing it) from the built ``fumeng.gpkg``."""
    project = _load(out_dir)
    out = out_dir / OUT_NAME
    tmp = out.with_name("." + out.stem + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for month, (day, state) in enumerate(month_states(project), start=1):
        snapshot(state, day, store=tmp, label=f"{YEAR}年{month}月 (合成示例)",
                 source="synthetic", synthetic=True)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "layers",
                        help="folder holding fumeng.gpkg (default: layers/)")
    args = parser.parse_args(argv)
    out = build_history(args.out_dir)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB, 12 synthetic monthly snapshots)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
