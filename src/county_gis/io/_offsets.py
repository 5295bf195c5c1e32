"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) offsets, and their inverses to WGS 84 / CGCS2000.

The forward GCJ-02 formula is the public one; the inverse is iterative (fixed point), run until
the forward image matches the input to 1e-10 degrees (about 0.01 mm), vectorised over arrays.
WGS 84 and CGCS2000 agree to well under a metre, so the result is taken as CGCS2000.

Examples
--------
>>> lon, lat = gcj02_to_wgs84(121.6700, 42.0640)
>>> glon, glat = wgs84_to_gcj02(lon, lat)
>>> bool(abs(glon - 121.6700) < 1e-9 and abs(glat - 42.0640) < 1e-9)
True
>>> round(float(121.6700 - lon) * 1e4, 1), round(float(42.0640 - lat) * 1e4, 1)  # 1e-4 degree
(54.0, 21.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._choice import Choice

__all__ = ["OffsetDatum", "bd09_to_gcj02", "bd09_to_wgs84", "gcj02_to_bd09", "gcj02_to_wgs84",
           "wgs84_to_gcj02"]

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


class OffsetDatum(Choice):
    """Offset coordinate systems of web maps: ``gcj02`` (Amap / 高德), ``bd09`` (Baidu).

    Examples
    --------
    >>> OffsetDatum.parse("高德"), OffsetDatum.parse("BD-09")
    (<OffsetDatum.GCJ02: 'gcj02'>, <OffsetDatum.BD09: 'bd09'>)
    """

    GCJ02 = "gcj02"
    BD09 = "bd09"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"amap": "gcj02", "高德": "gcj02", "火星": "gcj02", "tencent": "gcj02",
                "baidu": "bd09", "百度": "bd09", "bd09ll": "bd09"}

    @classmethod
    def _what(cls) -> str:
        return "source_crs"

    @classmethod
    def _hint(cls) -> str:
        return " (gcj02: Amap / 高德, bd09: Baidu / 百度); for any other CRS pass crs="

    def to_wgs84(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """Convert longitudes / latitudes in this system to WGS 84 (= CGCS2000 at map scale)."""
        if self is OffsetDatum.GCJ02:
            return gcj02_to_wgs84(lon, lat)
        return bd09_to_wgs84(lon, lat)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """The public GCJ-02 forward formula (valid inside China): WGS 84 -> GCJ-02 (Amap).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.6, 42.1)
    >>> round(float(lon), 6), round(float(lat), 6)
    (121.605319, 42.102013)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: Any, lat: Any, *, tolerance: float = 1e-10, max_iterations: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Iterative inverse of :func:`wgs84_to_gcj02` (fixed point, vectorised): GCJ-02 -> WGS 84.

    Iterates until the forward image matches the input to ``tolerance`` degrees.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84([121.605319, 121.715501], [42.102013, 42.122169])
    >>> [round(float(v), 6) for v in lon], [round(float(v), 6) for v in lat]
    ([121.6, 121.71], [42.1, 42.12])
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - flon, glat - flat
        wlon = wlon + dlon
        wlat = wlat + dlat
        if np.all(np.abs(np.nan_to_num(dlon)) < tolerance) and np.all(
            np.abs(np.nan_to_num(dlat)) < tolerance
        ):
            break
    return wlon, wlat


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """The public BD-09 forward formula from GCJ-02."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: Any, lat: Any, *, tolerance: float = 1e-10, max_iterations: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Iterative inverse of :func:`gcj02_to_bd09`."""
    blon = np.asarray(lon, dtype=float)
    blat = np.asarray(lat, dtype=float)
    glon, glat = blon - 0.0065, blat - 0.006
    for _ in range(max_iterations):
        flon, flat = gcj02_to_bd09(glon, glat)
        dlon, dlat = blon - flon, blat - flat
        glon, glat = glon + dlon, glat + dlat
        if np.all(np.abs(np.nan_to_num(dlon)) < tolerance) and np.all(
            np.abs(np.nan_to_num(dlat)) < tolerance
        ):
            break
    return glon, glat


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) to WGS 84: both iterative inverses in turn.

    Examples
    --------
    >>> blon, blat = gcj02_to_bd09(*wgs84_to_gcj02(121.6, 42.1))
    >>> lon, lat = bd09_to_wgs84(blon, blat)
    >>> bool(abs(lon - 121.6) < 1e-9 and abs(lat - 42.1) < 1e-9)
    True
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
