"""Saving a map: render, check that it is self-contained, write atomically.

Examples
--------
>>> from county_gis.render._save import external_urls
>>> external_urls('<img src="https://example.com/a.png"><script src="//cdn.x.org/l.js"></script>')
['https://example.com/a.png', '//cdn.x.org/l.js']
>>> external_urls('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
[]
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import folium

from .._atomic import atomic_path
from ..errors import ConfigError, ExternalURLError
from ._assets import ASSETS
from ._elements import DATA_PREFIX, ProjectLayers, set_offline_mode

__all__ = ["SavedMap", "external_urls", "save_map"]

logger = logging.getLogger(__name__)

#: XML namespace names look like URLs but are never fetched.
_NAMESPACES = ("http://www.w3.org/",)
_ABSOLUTE = re.compile(r"""\bhttps?://[^\s"'<>()\\`]+""", re.IGNORECASE)
_RELATIVE = re.compile(
    r"""(?:["'(=]|@import\s)\s*(//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/:?#][^\s"'<>()\\`]*)?)"""
)
_DATA_BLOCK = re.compile(
    rf'<script type="application/json" id="{DATA_PREFIX}[^"]*">.*?</script>', re.DOTALL
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
#: the page title is text (RCDATA: no element, nothing loaded); a URL in a project name is text
_TITLE = re.compile(r"<title>[^<]*</title>")


@dataclass(frozen=True)
class SavedMap:
    """What :func:`save_map` wrote.

    Attributes
    ----------
    path : Path
        The HTML file.
    size : int
        Its size in bytes.
    offline : bool
        Whether every script, style sheet and font is inlined.
    online_tiles : tuple of str
        Tile URL templates of an online basemap (the one external resource an
        offline page may load; the map shows no tiles without a network).
    """

    path: Path
    size: int
    offline: bool
    online_tiles: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        mode = "self-contained" if self.offline else "links CDN assets"
        text = f"{self.path} ({self.size / 1e6:.2f} MB, {mode})"
        if self.online_tiles:
            text += "; basemap tiles load from " + ", ".join(
                sorted({re.sub(r"^(https?://[^/]+).*$", r"\1", u) for u in self.online_tiles})
            )
        return text


def external_urls(page: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """External URLs (``http://``, ``https://``, ``//host``) in ``page``, in order.

    ``\\uXXXX`` escapes are decoded first, so a URL hidden in a JavaScript string is
    found too. XML namespace names (``http://www.w3.org/...``) and URLs starting with
    one of ``allowed`` are left out.
    """
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), page).replace("\\/", "/")
    found: list[tuple[int, str]] = []
    for match in _ABSOLUTE.finditer(text):
        found.append((match.start(), match.group(0)))
    for match in _RELATIVE.finditer(text):
        found.append((match.start(1), match.group(1)))
    out = []
    for _, url in sorted(found):
        if url.startswith(_NAMESPACES) or any(url.startswith(a) for a in allowed):
            continue
        out.append(url)
    return out


def _local_tiles(m: folium.Map) -> str | None:
    """The tile folder of a ``local`` basemap (relative to the page), or None."""
    for child in m._children.values():
        if isinstance(child, ProjectLayers) and child.data:
            spec = child.data.get("basemap") or {}
            if spec.get("name") == "local" and spec.get("layers"):
                return str(spec["layers"][0]["url"]).split("{", 1)[0].rstrip("/") or "."
    return None


def _check_local_tiles(m: folium.Map, path: Path) -> None:
    """A local tile folder must be a folder next to the page (else the map shows nothing)."""
    folder = _local_tiles(m)
    if folder is not None and not (path.parent / folder).is_dir():
        raise ConfigError(
            f"local tiles {folder!r}: {path.parent / folder} is not a folder; the tiles must lie "
            f"in {folder}/{{z}}/{{x}}/{{y}}.png next to {path.name} (--local-tiles names that "
            "folder relative to the HTML file)"
        )


def _basemap_tiles(m: folium.Map) -> tuple[str, ...]:
    for child in m._children.values():
        if isinstance(child, ProjectLayers) and child.data:
            spec = child.data.get("basemap") or {}
            if spec.get("online"):
                return tuple(layer["url"] for layer in spec.get("layers", ()))
    return ()


def save_map(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    offline: bool = True,
    overwrite: bool = False,
) -> SavedMap:
    """Write ``m`` to an HTML file that opens anywhere.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`~county_gis.render.make_map` (any folium map works if it loads
        nothing from outside).
    path : path-like
        The HTML file; written atomically, its folder created.
    offline : bool, default True
        Inline every script, style sheet, image and font; then refuse the page if any
        external URL remains (tiles of an online basemap excepted and reported in
        :attr:`SavedMap.online_tiles`). ``False`` links the same asset versions from
        jsDelivr instead (smaller file, needs the internet).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    SavedMap

    Raises
    ------
    ExternalURLError
        If ``offline`` and the page still refers to an external URL (listed).
    AssetError
        If an npm asset is not installed (run ``npm ci``).
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> import folium, tempfile, pathlib
    >>> plain = folium.Map()  # folium's defaults load Leaflet, jQuery ... from CDNs
    >>> save_map(plain, pathlib.Path(tempfile.mkdtemp()) / "plain.html")
    Traceback (most recent call last):
    ...
    county_gis.errors.ExternalURLError: the map is not self-contained: ...
    """
    _check_local_tiles(m, Path(path))
    figure = m.get_root()
    set_offline_mode(figure, offline)
    page = figure.render()
    tiles = _basemap_tiles(m)
    if offline:
        links = tuple(link for asset in ASSETS.values() for link in asset.links)
        scanned = _TITLE.sub("", _DATA_BLOCK.sub("", page))  # text, never loaded
        bad = external_urls(scanned, allowed=links)
        if bad:
            listed = ", ".join(dict.fromkeys(bad))
            raise ExternalURLError(
                f"the map is not self-contained: {len(bad)} external URL(s) remain: {listed}. "
                "Build it with county_gis.make_map (which inlines Leaflet and its plugins "
                "from node_modules) and add no element that loads from the internet, or save "
                "with offline=False"
            )
        if tiles:
            logger.warning("the basemap loads tiles from the internet: %s", ", ".join(tiles))
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(page, encoding="utf-8")
    target = Path(path)
    saved = SavedMap(target, target.stat().st_size, offline, tiles)
    logger.info("saved %s", saved)
    return saved
