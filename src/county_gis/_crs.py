"""CRS plumbing shared by measurement and loading: CGCS2000, Gauss-Krüger zones, transforms."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from .errors import CRSError

__all__ = [
    "CGCS2000",
    "GRS80_A",
    "GRS80_F",
    "gk_zone_crs",
    "gk_zone_of_longitude",
    "needs_transform",
    "require_crs",
    "to_lonlat",
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
    """Whether coordinates in ``crs`` must be transformed to be CGCS2000 longitude/latitude."""
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
