"""The wheel (issue 19): built from this checkout, installed with no npm and no network, it maps.

The module fixture builds the sdist and, from it, the wheel (``python -m build
--no-isolation``: no download), installs the wheel into a fresh virtual environment
(``--system-site-packages`` for the heavy dependencies; ``--no-deps --no-index``), and runs
``county-gis overview`` there on the bundled project, in an empty folder with no
``node_modules``, with ``PYTHONPATH`` and the ``COUNTY_GIS_*`` variables removed, inside a
network namespace without a network (``unshare -rn``) and with a socket guard in the
environment's ``sitecustomize``. A wheel that cannot be built fails the tests; nothing skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from county_gis.render._assets import ASSETS
from county_gis.render._save import external_urls

#: The links inside the inlined third-party files that the browser never loads.
LINKS = tuple(link for asset in ASSETS.values() for link in asset.links)
NPM = sorted({a.package for a in ASSETS.values() if a.package != "county_gis"})

#: Loaded at start-up by the environment's Python: any non-loopback connection fails.
GUARD = '''
import socket
_connect = socket.socket.connect
def _guarded(self, address, *args):
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1"):
        raise OSError(f"network blocked by tests/test_wheel.py: {address}")
    return _connect(self, address, *args)
socket.socket.connect = _guarded
'''


#: What the installed package reads: itself, the bundled project and Leaflet.
WHERE = """import county_gis
from county_gis._paths import bundled_layers_dir
from county_gis.render._assets import _package_dir
print(county_gis.__file__, bundled_layers_dir(), _package_dir("leaflet"), sep="\\n")
"""


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, check=False)


def _offline_prefix() -> list[str]:
    """``unshare -rn`` (a network namespace with no network) when this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and _run([unshare, "-rn", "true"], cwd=ROOT).returncode == 0:
        return [unshare, "-rn"]
    return []  # the socket guard alone


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    built = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist),
                  str(ROOT)], cwd=ROOT)
    assert built.returncode == 0, (
        "the sdist / wheel could not be built (`pip install build wheel`, `npm ci`, "
        f"`python scripts/build_project.py`):\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}")
    wheels = sorted(dist.glob("county_gis-*.whl"))
    sdists = sorted(dist.glob("county_gis-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in dist.iterdir())

    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONPATH" and not k.startswith("COUNTY_GIS_")}
    env["PIP_NO_INDEX"] = "1"
    pip = _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index",
                "--disable-pip-version-check", str(wheels[0])], cwd=base, env=env)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=base, env=env).stdout.strip())
    (site / "sitecustomize.py").write_text(GUARD, encoding="utf-8")

    work = base / "work"  # an empty folder: no node_modules, no layers/
    work.mkdir()
    offline = _offline_prefix()
    where = _run([*offline, str(python), "-c", WHERE], cwd=work, env=env)
    script = venv / ("Scripts/county-gis.exe" if os.name == "nt" else "bin/county-gis")
    overview = _run([*offline, str(script), "overview"], cwd=work, env=env)
    return {"wheel": wheels[0], "sdist": sdists[0], "site": site, "work": work,
            "where": where, "overview": overview, "offline": offline}


def test_the_installed_package_is_the_one_that_runs(installed):
    assert installed["where"].returncode == 0, installed["where"].stderr
    path, layers, leaflet = map(Path, installed["where"].stdout.splitlines())
    package = installed["site"] / "county_gis"
    assert path == package / "__init__.py"  # not the checkout's editable install
    assert layers == package / "data" / "layers"
    assert leaflet == package / "render" / "vendor" / "leaflet"
    # nothing of a checkout is near it: no node_modules two or three levels up, no layers/
    assert not any((p / "node_modules").exists() for p in path.parents)
    assert not (installed["work"] / "node_modules").exists()


def test_overview_runs_from_the_wheel_offline_and_writes_a_self_contained_map(installed):
    run = installed["overview"]
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "县域面积 6,215.0 平方公里 (geodesic, CGCS2000)" in run.stdout
    assert "年内完成矿山复绿1615亩" in run.stdout
    assert "1,342.2" in run.stdout  # the NDVI check ran on the packaged rasters
    overview = installed["work"] / "maps" / "overview.html"
    assert run.stdout.rstrip().splitlines()[-1].startswith("map: maps/overview.html (")
    assert run.stdout.rstrip().endswith("self-contained)")
    page = overview.read_text(encoding="utf-8")
    assert external_urls(page, allowed=LINKS) == []
    for name in ("leaflet.js", "leaflet.css", "fullscreen.js", "geodesic.js"):
        assert f'data-asset="{name}"' in page
    assert "cdn.jsdelivr" not in page and "data:image/png;base64," in page


def test_the_wheel_and_the_sdist_carry_the_assets_the_licences_and_the_project(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for package in NPM:  # package.json (its version) and a licence file for each
        assert f"county_gis/render/vendor/{package}/package.json" in names
        assert any(n.startswith(f"county_gis/render/vendor/{package}/LICENSE") for n in names)
    for asset in ASSETS.values():
        if asset.package != "county_gis":
            assert f"county_gis/render/vendor/{asset.package}/{asset.path}" in names
    assert "county_gis/render/vendor/leaflet/dist/images/layers.png" in names  # a CSS url()
    for name in ("project.toml", "README.md", "fumeng.gpkg", ".build-stamp.json",
                 "rasters/ndvi_2022.tif", "rasters/ndvi_2023.tif", "rasters/dem.tif"):
        assert f"county_gis/data/layers/{name}" in names
    assert not any("node_modules" in n or n.endswith(".map") for n in names)
    with tarfile.open(installed["sdist"]) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    assert "setup.py" in members
    assert "src/county_gis/render/vendor/leaflet/dist/leaflet.js" in members
    assert "src/county_gis/data/layers/fumeng.gpkg" in members
    # the checkout itself is untouched: nothing was copied into src/
    assert not (ROOT / "src" / "county_gis" / "render" / "vendor").exists()
    assert not (ROOT / "src" / "county_gis" / "data" / "layers").exists()


def test_the_network_was_really_off(installed):
    python = installed["site"].parents[2] / "bin" / "python"
    probe = _run([*installed["offline"], str(python), "-c",
                  "import socket; socket.create_connection(('198.51.100.1', 443), timeout=2)"],
                 cwd=installed["work"])
    assert probe.returncode != 0
    assert ("network blocked by tests/test_wheel.py" in probe.stderr
            or "Network is unreachable" in probe.stderr), probe.stderr[-500:]


@pytest.mark.browser
def test_the_wheel_map_opens_in_a_browser_with_the_network_blocked(installed):
    from render_fixtures import ARTIFACTS, browser_page

    overview = installed["work"] / "maps" / "overview.html"
    assert overview.is_file(), installed["overview"].stderr[-2000:]
    with browser_page(overview) as page:
        assert page.locator(".cg-legend").is_visible()
        assert "农村公路" in page.locator(".cg-progress").inner_text()
        assert page.evaluate("typeof L.Control.FullScreen") == "function"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "wheel_overview.png"))
        assert page.blocked == []
        assert page.console_errors == []
