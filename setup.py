"""Build hooks: the map assets and the bundled project go inside the wheel and the sdist.

Everything else about the build is in ``pyproject.toml``; setuptools runs this file for its two
command classes:

- ``build_py`` (wheel) copies into the built package, never into the source tree:
  ``county_gis/render/vendor/<npm package>/...`` — each file of the ``ASSETS`` table of
  ``src/county_gis/render/_assets.py`` that comes from an npm package, the images and fonts its
  style sheets ``url()``, the package's ``package.json`` (its version) and its licence files,
  taken from ``node_modules/`` (``npm ci``, pinned by ``package-lock.json``; never committed);
  and ``county_gis/data/layers/`` — the bundled project (``project.toml``, ``README.md``,
  ``fumeng.gpkg``, ``history.gpkg``, ``rasters/*.tif``, ``.build-stamp.json``), first built or
  checked with ``scripts/build_project.py`` when the build's Python can run it (``--no-isolation``).
- ``sdist`` puts the same files at the same places under ``src/``, so a wheel built from the
  sdist needs neither npm nor the build scripts (its ``package-data`` globs pick them up).

``COUNTY_GIS_NODE_MODULES`` points at another ``node_modules`` folder. An editable install
(``pip install -e .``, ``bash dev.sh``) copies nothing: a checkout reads ``node_modules/`` and
``layers/`` in place.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "src" / "county_gis"
#: Inside the package: the npm files (``<npm package>/<path>``) and the bundled project.
VENDOR = "render/vendor"
BUNDLED = "data/layers"
LICENCE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE)([.-].*)?$", re.IGNORECASE)
URL = re.compile(r"""url\(\s*(?:'([^']*)'|"([^"]*)"|([^'")\s]+))\s*\)""")


class BuildError(RuntimeError):
    """A file the wheel must carry is missing; the message says how to get it."""


def node_modules() -> Path:
    override = os.environ.get("COUNTY_GIS_NODE_MODULES")
    return Path(override) if override else ROOT / "node_modules"


def asset_table() -> list[tuple[str, str]]:
    """(npm package, path) of every third-party entry of ``ASSETS`` in ``render/_assets.py``.

    Read from the source (``ast``): the build cannot import county_gis (its dependencies need
    not be installed where the wheel is built).
    """
    tree = ast.parse((PACKAGE / "render" / "_assets.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "Asset" and len(node.args) >= 2
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                        for a in node.args[:2])):
            package, path = node.args[0].value, node.args[1].value  # type: ignore[attr-defined]
            if package != "county_gis":
                found.append((package, path))
    if not found:
        raise BuildError("found no npm asset in the ASSETS table of render/_assets.py")
    return found


def vendor_files() -> dict[str, Path]:
    """``<npm package>/<path>`` -> file in ``node_modules``: what the maps inline, with the
    ``url()`` targets of the style sheets, each package's ``package.json`` and licences."""
    modules = node_modules()
    hint = (f"run `npm ci` in {ROOT} (it installs the versions pinned by package-lock.json), "
            "or set COUNTY_GIS_NODE_MODULES to a node_modules folder that has them")
    files: dict[str, Path] = {}
    for package, path in asset_table():
        folder = modules / package
        if not (folder / "package.json").is_file():
            raise BuildError(f"the npm package {package!r} is not installed in {modules}; {hint}")
        wanted = [path, "package.json"]
        wanted += sorted(p.name for p in folder.iterdir() if p.is_file() and LICENCE.match(p.name))
        if not any(LICENCE.match(Path(w).name) for w in wanted):
            raise BuildError(f"the npm package {package!r} in {modules} has no licence file")
        if path.endswith(".css") and (folder / path).is_file():
            css = re.sub(r"/\*.*?\*/", "", (folder / path).read_text(encoding="utf-8"),
                         flags=re.DOTALL)
            for match in URL.finditer(css):
                ref = next(g for g in match.groups() if g is not None)
                if ref.startswith(("data:", "#")) or re.match(r"^(https?:)?//", ref):
                    continue
                ref = ref.split("?")[0].split("#")[0]
                wanted.append(os.path.normpath(os.path.join(os.path.dirname(path), ref)))
        for rel in wanted:
            source = folder / rel
            if not source.is_file():
                raise BuildError(f"{source} is missing from the npm package {package!r}; {hint}")
            files[f"{package}/{Path(rel).as_posix()}"] = source
    return files


def bundled_project() -> dict[str, Path]:
    """``<path>`` -> file of the bundled project in ``layers/``, built or checked first."""
    layers = ROOT / "layers"
    script = ROOT / "scripts" / "build_project.py"
    if importlib.util.find_spec("geopandas") is not None and script.is_file():
        # builds when missing or stale (the stamp: package versions and file hashes), else no-op
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
        subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, check=True)
    else:
        print(f"note: cannot run {script.name} with {sys.executable} (geopandas is not "
              "installed there; build with --no-isolation to check the bundled project is "
              "up to date)", file=sys.stderr)
    files = {name: layers / name for name in
             ("project.toml", "README.md", "fumeng.gpkg", "history.gpkg", "zones.gpkg",
              ".build-stamp.json")}
    files.update({f"rasters/{p.name}": p for p in sorted((layers / "rasters").glob("*.tif"))})
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing or len(files) < 7:
        raise BuildError(f"the bundled project is not built ({', '.join(missing) or 'rasters'} "
                         f"missing); run `python scripts/build_project.py` in {ROOT} first")
    return files


def bundled_files() -> dict[str, Path]:
    """Path inside the package -> source file, for what is not in ``src/`` already (an
    unpacked sdist carries both sets there)."""
    files: dict[str, Path] = {}
    if not (PACKAGE / VENDOR).is_dir():
        files.update({f"{VENDOR}/{k}": v for k, v in vendor_files().items()})
    if not (PACKAGE / BUNDLED / "project.toml").is_file():
        files.update({f"{BUNDLED}/{k}": v for k, v in bundled_project().items()})
    return files


def _copy(files: dict[str, Path], package_dir: Path) -> None:
    for rel, source in files.items():
        target = package_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


class BuildPy(build_py):
    """``build_py`` that also copies the map assets and the bundled project into the wheel."""

    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):
            _copy(bundled_files(), Path(self.build_lib) / "county_gis")


class Sdist(sdist):
    """``sdist`` that also carries the map assets and the bundled project under ``src/``."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        _copy(bundled_files(), Path(base_dir) / "src" / "county_gis")


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
