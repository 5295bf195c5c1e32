"""Coordinate reference systems of the county: CGCS2000, Gauss-Krüger zones, web-map offsets.

Everything county_gis knows about CRSs lives here:

* :data:`CGCS2000` (EPSG:4490), the toolkit's internal CRS, and its GRS80 ellipsoid
  (:data:`GRS80_A`, :data:`GRS80_F`); :func:`require_crs` refuses a missing CRS,
  :func:`needs_transform` / :func:`to_lonlat` bring coordinates to CGCS2000 lon/lat.
* the CGCS2000 3-degree Gauss-Krüger zones (:func:`gk_zone_of_longitude`, :func:`gk_zone_crs`):
  the county straddles 121.5 °E, the border of zones 40 and 41.
* GCJ-02 (Amap, Tencent) and BD-09 (Baidu) offsets (:class:`OffsetDatum`) and their inverses to
  WGS 84 / CGCS2000. The forward GCJ-02 formula is the public one; the inverse is iterative
  (fixed point), run until the forward image matches the input to 1e-10 degrees (about
  0.01 mm), vectorised over arrays. WGS 84 and CGCS2000 agree to well under a metre, so the
  result is taken as CGCS2000.

Examples
--------
>>> CGCS2000.to_epsg(), gk_zone_crs(int(gk_zone_of_longitude(121.67))).to_epsg()
(4490, 4550)
>>> lon, lat = gcj02_to_wgs84(121.6700, 42.0640)
>>> glon, glat = wgs84_to_gcj02(lon, lat)
>>> bool(abs(glon - 121.6700) < 1e-9 and abs(glat - 42.0640) < 1e-9)
True
>>> round(float(121.6700 - lon) * 1e4, 1), round(float(42.0640 - lat) * 1e4, 1)  # 1e-4 degree
(54.0, 21.0)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from ._choice import Choice
from .errors import CRSError

__all__ = [
    "CGCS2000",
    "GRS80_A",
    "GRS80_F",
    "OffsetDatum",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "gk_zone_crs",
    "gk_zone_of_longitude",
    "needs_transform",
    "require_crs",
    "to_lonlat",
    "wgs84_to_gcj02",
]

#: CGCS2000 geographic 2D, the toolkit's internal CRS.
CGCS2000 = CRS.from_epsg(4490)
#: GRS80 semi-major axis (m) and flattening: the CGCS2000 ellipsoid.
GRS80_A = 6378137.0
GRS80_F = 1.0 / 298.257222101


def require_crs(crs: Any, *, what: str = "the geometries") -> CRS:
    """Return ``crs`` as a :class:`pyproj.CRS`; a missing CRS is an error, never a default.

    Raises
    ------
    CRSError
        If ``crs`` is None or cannot be understood by PROJ.

    Examples
    --------
    >>> require_crs("EPSG:4550").name
    'CGCS2000 / 3-degree Gauss-Kruger CM 123E'
    >>> require_crs(None)
    Traceback (most recent call last):
    ...
    county_gis.errors.CRSError: the geometries have no CRS; declare it ...
    """
    if crs is None:
        raise CRSError(
            f"{what} have no CRS; declare it (e.g. crs='EPSG:4490' for CGCS2000 lon/lat, "
            "'EPSG:4549' for CGCS2000 3-degree Gauss-Kruger zone 40): county_gis never assumes one"
        )
    try:
        return CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises its own CRSError with PROJ's text
        raise CRSError(f"cannot understand the CRS {crs!r}: {exc}") from exc


@lru_cache(maxsize=64)
def _transformer(src_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src_wkt), CGCS2000, always_xy=True)


def needs_transform(crs: CRS) -> bool:
    """Whether coordinates in ``crs`` must be transformed to be CGCS2000 longitude/latitude.

    Examples
    --------
    >>> needs_transform(CRS.from_epsg(4326)), needs_transform(CRS.from_epsg(4550))
    (False, True)
    """
    if crs.is_geographic and not crs.is_projected:
        # WGS 84 and CGCS2000 (GRS80) realise the same frame to well under a metre, and their
        # ellipsoids differ by 1e-9 in area: their coordinates are taken as they are.
        ell = crs.ellipsoid
        same_ellipsoid = (
            ell is not None
            and ell.semi_major_metre == GRS80_A
            and abs(ell.inverse_flattening - 1.0 / GRS80_F) < 1e-5
        )
        unit = crs.axis_info[0].unit_name if crs.axis_info else "degree"
        return not same_ellipsoid or unit != "degree"
    return True


def to_lonlat(coords: np.ndarray, crs: CRS) -> np.ndarray:
    """Return an ``(n, 2)`` array of CGCS2000 longitude/latitude (degrees) for ``coords``.

    Coordinates already in a WGS 84 / CGCS2000 geographic CRS are returned as they are
    (x = longitude whatever the CRS's declared axis order, as shapely stores them).

    Examples
    --------
    >>> to_lonlat(np.array([[500000.0, 4650000.0]]), CRS.from_epsg(4550)).round(6)
    array([[123.      ,  41.985263]])
    """
    if not needs_transform(crs):
        return coords
    lon, lat = _transformer(crs.to_wkt()).transform(coords[:, 0], coords[:, 1])
    out = np.column_stack([lon, lat])
    if not np.all(np.isfinite(out)):
        raise CRSError(
            f"transforming from {crs.name} to CGCS2000 gave non-finite coordinates; "
            "are the coordinates really in that CRS?"
        )
    return out


def gk_zone_of_longitude(lon: Any) -> Any:
    """CGCS2000 3-degree Gauss-Krüger zone number(s) for longitude(s) in degrees.

    Zone n has central meridian 3n °E and spans 3n ± 1.5 °E: Fuxin county straddles the
    121.5 °E border of zones 40 and 41.

    Examples
    --------
    >>> int(gk_zone_of_longitude(121.49)), int(gk_zone_of_longitude(121.51))
    (40, 41)
    """
    return np.floor((np.asarray(lon, dtype=float) + 1.5) / 3.0).astype(int)


def gk_zone_crs(zone: int, *, prefixed: bool = False) -> CRS:
    """The CGCS2000 3-degree Gauss-Krüger CRS of ``zone`` (25–45, China's extent).

    ``prefixed=True`` gives the variant whose eastings carry the zone number in front
    (EPSG:4513–4533), otherwise the one with a plain 500 km false easting (EPSG:4534–4554).

    Examples
    --------
    >>> [gk_zone_crs(z).to_epsg() for z in (40, 41)], gk_zone_crs(40, prefixed=True).to_epsg()
    ([4549, 4550], 4528)
    """
    if not 25 <= zone <= 45:
        raise CRSError(f"CGCS2000 3-degree Gauss-Kruger zone {zone} is outside China (25-45)")
    return CRS.from_epsg((4513 if prefixed else 4534) + zone - 25)


# --- web-map offsets: GCJ-02 (Amap / 高德) and BD-09 (Baidu / 百度) ---
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
    """The public BD-09 forward formula from GCJ-02.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(121.67, 42.064)
    >>> round(float(lon), 6), round(float(lat), 6)
    (121.676387, 42.070315)
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: Any, lat: Any, *, tolerance: float = 1e-10, max_iterations: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Iterative inverse of :func:`gcj02_to_bd09`.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(121.67, 42.064))
    >>> bool(abs(lon - 121.67) < 1e-9 and abs(lat - 42.064) < 1e-9)
    True
    """
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
