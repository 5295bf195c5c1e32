"""The JavaScript and CSS a map needs: where they live and how they are inlined.

Third-party files come from the npm packages pinned by ``package.json`` and
``package-lock.json`` at the root of the source tree; they are never committed. An
installed wheel carries them in ``county_gis/render/vendor/<npm package>/`` (with each
package's ``package.json`` and licence files), copied there by the build (``setup.py``);
a development checkout reads ``node_modules/``, installed by ``npm ci`` (``bash dev.sh``
runs it). ``COUNTY_GIS_NODE_MODULES`` names another ``node_modules`` folder and then wins.
Our own small scripts (``templates/county_map.js``, ``.css``) ship with the package.

Offline, every file is inlined: scripts in ``<script>``, style sheets in ``<style>``
with each ``url(...)`` (images, fonts) turned into a ``data:`` URI and comments dropped.
Online, the same versions are linked from jsDelivr.

Examples
--------
>>> from county_gis.render._assets import ASSETS
>>> ASSETS["leaflet.js"].package, ASSETS["leaflet.js"].path
('leaflet', 'dist/leaflet.js')
"""

from __future__ import annotations

import base64
import enum
import json
import logging
import mimetypes
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import AssetError
from ._escape import script_text

__all__ = [
    "ASSETS", "Asset", "AssetType", "asset_text", "asset_url", "node_modules_dir", "vendor_dir",
]

logger = logging.getLogger(__name__)

#: The package that holds our own scripts.
OWN = "county_gis"


class AssetType(enum.Enum):
    """A script or a style sheet."""

    JS = "js"
    CSS = "css"


@dataclass(frozen=True)
class Asset:
    """One file a map needs.

    Parameters
    ----------
    package : str
        The npm package, or ``"county_gis"`` for our own files.
    path : str
        Path inside the package (for ours: inside ``render/templates``).
    type : AssetType
        Script or style sheet.
    links : tuple of str
        URLs the file mentions that the browser never loads (XML namespaces,
        attribution hyperlinks, licence banners). The offline check accepts them.
    """

    package: str
    path: str
    type: AssetType
    links: tuple[str, ...] = ()


ASSETS: dict[str, Asset] = {
    "leaflet.css": Asset("leaflet", "dist/leaflet.css", AssetType.CSS),
    "leaflet.js": Asset(
        "leaflet", "dist/leaflet.js", AssetType.JS,
        links=("http://www.w3.org/2000/svg", "https://leafletjs.com"),
    ),
    "fullscreen.css": Asset(
        "leaflet.fullscreen", "dist/Control.FullScreen.css", AssetType.CSS,
        links=("http://www.w3.org/2000/svg",),
    ),
    "fullscreen.js": Asset(
        "leaflet.fullscreen", "dist/Control.FullScreen.umd.js", AssetType.JS,
        links=("https://github.com/brunob/leaflet.fullscreen",),
    ),
    "geodesic.js": Asset(
        "geographiclib-geodesic", "geographiclib-geodesic.min.js", AssetType.JS
    ),
    "county_map.css": Asset(OWN, "county_map.css", AssetType.CSS),
    "county_map.js": Asset(
        OWN, "county_map.js", AssetType.JS, links=("http://www.w3.org/2000/svg",)
    ),
}


def node_modules_dir() -> Path:
    """The ``node_modules`` folder: ``COUNTY_GIS_NODE_MODULES`` or the source tree's.

    Examples
    --------
    >>> node_modules_dir().name
    'node_modules'
    """
    override = os.environ.get("COUNTY_GIS_NODE_MODULES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "node_modules"


def vendor_dir() -> Path:
    """The map assets inside the installed package (``county_gis/render/vendor``).

    The wheel's build copies them there; in a development checkout the folder does not
    exist and :func:`node_modules_dir` is read instead.

    Examples
    --------
    >>> vendor_dir().parts[-2:]
    ('render', 'vendor')
    """
    return Path(__file__).resolve().parent / "vendor"


def _install_hint() -> str:
    root = node_modules_dir().parent
    return (
        f"run `npm ci` in {root} (or `bash dev.sh test`); it installs the packages pinned "
        "by package-lock.json. An installed wheel carries them in "
        f"{vendor_dir()}: reinstall county_gis from a wheel built with them"
    )


def _package_dir(package: str) -> Path:
    if not os.environ.get("COUNTY_GIS_NODE_MODULES"):
        installed = vendor_dir() / package
        if (installed / "package.json").is_file():
            return installed
    folder = node_modules_dir() / package
    if not (folder / "package.json").is_file():
        raise AssetError(
            f"the npm package {package!r} needed for maps is not installed in "
            f"{node_modules_dir()}; {_install_hint()}"
        )
    return folder


@cache
def package_version(package: str) -> str:
    """Installed version of an npm package (or of county_gis for our own files)."""
    if package == OWN:
        from .. import __version__

        return __version__
    meta = json.loads((_package_dir(package) / "package.json").read_text(encoding="utf-8"))
    return str(meta["version"])


def _read_bytes(asset: Asset, path: str) -> bytes:
    if asset.package == OWN:
        return resources.files("county_gis").joinpath("render/templates", path).read_bytes()
    file = _package_dir(asset.package) / path
    if not file.is_file():
        raise AssetError(
            f"{file} is missing from the npm package {asset.package!r}; {_install_hint()}"
        )
    return file.read_bytes()


_URL_RE = re.compile(r"""url\(\s*(?:'([^']*)'|"([^"]*)"|([^'")\s]+))\s*\)""")


def _inline_url(asset: Asset, match: re.Match[str]) -> str:
    ref = next(g for g in match.groups() if g is not None)
    if ref.startswith(("data:", "#")) or re.match(r"^(https?:)?//", ref):
        return match.group(0)  # inline already, a fragment, or external (reported later)
    base = Path(asset.path).parent
    rel = os.path.normpath(base / ref.split("?")[0].split("#")[0])
    mime = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    payload = base64.b64encode(_read_bytes(asset, rel)).decode("ascii")
    return f'url("data:{mime};base64,{payload}")'


@cache
def asset_text(name: str) -> str:
    """The content of asset ``name``, ready to inline (CSS ``url()``s as ``data:`` URIs).

    Raises
    ------
    AssetError
        If the npm package or the file is not installed; the message says to run ``npm ci``.

    Examples
    --------
    >>> "data:image/png;base64," in asset_text("leaflet.css")
    True
    """
    try:
        asset = ASSETS[name]
    except KeyError:
        raise AssetError(f"unknown map asset {name!r}; known: {', '.join(ASSETS)}") from None
    text = _read_bytes(asset, asset.path).decode("utf-8")
    if asset.type is AssetType.CSS:
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)  # comments cite bug trackers
        text = _URL_RE.sub(lambda m: _inline_url(asset, m), text)
    logger.debug("inlined %s (%d characters)", name, len(text))
    return script_text(text)


def asset_url(name: str) -> str | None:
    """A CDN URL (jsDelivr) of the installed version, or None for our own files.

    Examples
    --------
    >>> asset_url("leaflet.js")
    'https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js'
    """
    asset = ASSETS[name]
    if asset.package == OWN:
        return None
    return (
        f"https://cdn.jsdelivr.net/npm/{asset.package}@{package_version(asset.package)}/"
        f"{asset.path}"
    )
