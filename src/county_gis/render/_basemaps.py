"""Basemaps: none (offline default), 天地图, OSM, imagery, a local tile folder, 高德.

A basemap is a list of tile layers plus a background colour. Only :attr:`Basemap.NONE`
and :attr:`Basemap.LOCAL` work without a network; the online ones are the one kind of
external URL a self-contained page may keep (:func:`~county_gis.render.save_map` reports
them). 高德 (Amap) tiles are drawn in GCJ-02, so a map on them shifts every overlay from
CGCS2000 to GCJ-02 with the public forward formula and says so in the attribution.

Examples
--------
>>> from county_gis.render._basemaps import Basemap, basemap_spec
>>> Basemap.parse("天地图影像")
<Basemap.TIANDITU_IMAGERY: 'tianditu_img'>
>>> spec = basemap_spec(Basemap.LOCAL, local_tiles="tiles")
>>> spec["layers"][0]["url"]
'tiles/{z}/{x}/{y}.png'
"""

from __future__ import annotations

import os
import re
from typing import Any

from .._choice import Choice
from ..errors import ConfigError

__all__ = ["NEUTRAL_BACKGROUND", "Basemap", "basemap_spec"]

#: Background of a map without tiles: a light, neutral paper colour.
NEUTRAL_BACKGROUND = "#f2f1ec"

_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILECOL={x}&TILEROW={y}&TILEMATRIX={z}&tk={key}"
)
_TIANDITU_ATTR = "天地图 © 国家地理信息公共服务平台 (GS(2024)0568号)"


class Basemap(Choice):
    """The background of a map.

    Attributes
    ----------
    NONE
        No tiles: county, townships and a neutral background; works offline (default).
    TIANDITU_VECTOR, TIANDITU_IMAGERY
        天地图 vector or imagery, each with its annotation layer; needs a key
        (``tianditu_key=`` or the ``TIANDITU_KEY`` environment variable).
    OSM
        OpenStreetMap standard tiles.
    IMAGERY
        Esri World Imagery.
    LOCAL
        A tile folder next to the HTML file, ``{z}/{x}/{y}.png`` (relative URLs).
    AMAP
        高德 roads; every overlay is shifted to GCJ-02.
    """

    NONE = "none"
    TIANDITU_VECTOR = "tianditu_vec"
    TIANDITU_IMAGERY = "tianditu_img"
    OSM = "osm"
    IMAGERY = "imagery"
    LOCAL = "local"
    AMAP = "amap"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {alias: m.value for m, names in _ALIASES.items() for alias in names}

    @classmethod
    def _allowed(cls) -> str:
        return ", ".join(f"{m.value} ({_ALIASES[m][0]})" for m in cls)

    @classmethod
    def _default(cls) -> Basemap:
        return cls.NONE

    @classmethod
    def _error(cls) -> type[Exception]:
        return ConfigError

    @property
    def online(self) -> bool:
        """True if the tiles come from the internet."""
        return self not in (Basemap.NONE, Basemap.LOCAL)


_ALIASES: dict[Basemap, tuple[str, ...]] = {
    Basemap.NONE: ("无底图", "无", "blank", "offline"),
    Basemap.TIANDITU_VECTOR: ("天地图", "天地图矢量", "tianditu", "tianditu_vector"),
    Basemap.TIANDITU_IMAGERY: ("天地图影像", "tianditu_imagery", "tianditu_satellite"),
    Basemap.OSM: ("OpenStreetMap", "openstreetmap"),
    Basemap.IMAGERY: ("影像", "esri", "satellite", "world_imagery"),
    Basemap.LOCAL: ("本地瓦片", "tiles", "local_tiles"),
    Basemap.AMAP: ("高德", "gaode", "autonavi"),
}


def _tianditu_key(key: str | None) -> str:
    key = (key or os.environ.get("TIANDITU_KEY") or "").strip()  # a pasted key's newline
    if not key:
        raise ConfigError(
            "天地图 tiles need a key: pass tianditu_key=... (CLI: --tianditu-key) or set the "
            "TIANDITU_KEY environment variable; get one at console.tianditu.gov.cn"
        )
    if not re.fullmatch(r"[0-9A-Za-z]{8,64}", key):
        raise ConfigError(f"天地图 key {key!r} is not a key: expected 8-64 letters and digits")
    return key


def _local_template(local_tiles: str | os.PathLike[str] | None) -> str:
    if local_tiles is None:
        raise ConfigError(
            "basemap 'local' needs local_tiles=: the tile folder relative to the HTML file, "
            "e.g. local_tiles='tiles' for tiles/{z}/{x}/{y}.png next to the map"
        )
    given = os.fspath(local_tiles)
    # white space and control characters around or inside a name hide a URL from a naive
    # check (" https://..." fetched 35 tiles): they are stripped first, then refused inside
    text = given.strip(" \t\r\n\x0b\x0c\u3000\ufeff").replace("\\", "/").rstrip("/")
    parts = text.split("/")
    if (not text or re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|/)", text)
            or re.search(r"[\x00-\x20\x7f:?#%\u3000]", text.replace("{z}", "").replace(
                "{x}", "").replace("{y}", "")) or ".." in parts or "." in parts[:1]):
        raise ConfigError(
            f"local_tiles was {given!r} but must be a folder relative to the HTML file "
            "(no scheme or URL, no leading '/', no '..', no spaces, ':', '?', '#' or '%'), "
            "e.g. 'tiles'"
        )
    if "{z}" in text:
        return text
    return f"{text}/{{z}}/{{x}}/{{y}}.png"


def basemap_spec(
    basemap: Basemap | str | None,
    *,
    tianditu_key: str | None = None,
    local_tiles: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Describe the tile layers of ``basemap`` for the map script.

    Returns
    -------
    dict
        ``name``, ``label``, ``layers`` (each ``url``, ``subdomains``, ``attribution``,
        ``maxZoom``), ``background``, ``online`` and ``gcj02`` (overlays shifted).

    Raises
    ------
    ConfigError
        Unknown basemap, 天地图 without a key, or a local folder that is not relative.

    Examples
    --------
    >>> basemap_spec("none")["layers"]
    []
    >>> basemap_spec("高德")["gcj02"]
    True
    """
    which = Basemap.parse(basemap)
    layers: list[dict[str, Any]] = []
    label = _ALIASES[which][0]
    if which is Basemap.TIANDITU_VECTOR or which is Basemap.TIANDITU_IMAGERY:
        key = _tianditu_key(tianditu_key)
        base, note = ("vec", "cva") if which is Basemap.TIANDITU_VECTOR else ("img", "cia")
        for name in (base, note):
            layers.append({
                "url": _TIANDITU.format(layer=name, key=key, s="{s}", x="{x}", y="{y}", z="{z}"),
                "subdomains": "01234567",
                "attribution": _TIANDITU_ATTR,
                "maxZoom": 18,
            })
    elif which is Basemap.OSM:
        layers.append({
            "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "attribution": "© OpenStreetMap contributors (ODbL)",
            "maxZoom": 19,
        })
    elif which is Basemap.IMAGERY:
        layers.append({
            "url": "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/"
                   "MapServer/tile/{z}/{y}/{x}",
            "attribution": "Imagery © Esri, Maxar, Earthstar Geographics",
            "maxZoom": 18,
        })
    elif which is Basemap.LOCAL:
        layers.append({
            "url": _local_template(local_tiles),
            "attribution": "本地瓦片 (local tiles)",
            "maxZoom": 20,
        })
    elif which is Basemap.AMAP:
        layers.append({
            "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                   "&style=8&x={x}&y={y}&z={z}",
            "subdomains": "1234",
            "attribution": "© 高德地图 AutoNavi — 叠加图层已由 CGCS2000 转换为 GCJ-02 "
                           "(公开正向公式) / overlays shifted to GCJ-02 to line up",
            "maxZoom": 18,
        })
    for layer in layers:
        layer.setdefault("subdomains", "abc")
    return {
        "name": which.value,
        "label": label,
        "layers": layers,
        "background": NEUTRAL_BACKGROUND,
        "online": which.online,
        "gcj02": which is Basemap.AMAP,
    }
