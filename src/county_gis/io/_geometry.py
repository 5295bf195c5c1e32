"""Geometry checks on load: parse WKB per feature, drop Z/M, list null / empty, check validity
and geometry types against the layer kind, repair only when asked, with the area before and after.

Everything is vectorised with shapely 2; only the features that fail a check are visited one by
one to name them in the report.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..errors import GeometryError, Place
from ..kinds import LayerKind
from ..measure import geodesic_area
from ._report import LoadReport, Severity

__all__ = [
    "Repair",
    "check_geometries",
    "drop_z",
    "measure_closed_rings",
    "parse_wkb",
    "split_by_geometry",
]

log = logging.getLogger(__name__)

#: At most this many places are named in one error message (the report has them all).
MAX_PLACES_IN_MESSAGE = 10

_LINE_IDS = {1, 2, 5}
_POLYGON_IDS = {3, 6}
_POINT_IDS = {0, 4}
_FAMILIES = {
    "line": _LINE_IDS,
    "polygon": _POLYGON_IDS,
    "point": _POINT_IDS,
    "line_or_polygon": _LINE_IDS | _POLYGON_IDS,
    "point_or_polygon": _POINT_IDS | _POLYGON_IDS,
    "any": _LINE_IDS | _POLYGON_IDS | _POINT_IDS,
}


class Repair(enum.Flag):
    """Which repairs :func:`county_gis.read_layer` may make; each is reported per feature.

    ``close_rings``: close a polygon ring whose last point differs from its first (the default:
    without it the feature cannot be built at all). ``make_valid``: rebuild invalid polygons
    (self-intersections, bow-ties) with ``shapely.make_valid(method="structure")``.
    ``none`` repairs nothing; ``all`` does both.

    Examples
    --------
    >>> Repair.parse("make_valid") | Repair.parse("close_rings") == Repair.ALL
    True
    >>> Repair.parse(["close_rings"])
    <Repair.CLOSE_RINGS: 1>
    """

    NONE = 0
    CLOSE_RINGS = enum.auto()
    MAKE_VALID = enum.auto()
    ALL = CLOSE_RINGS | MAKE_VALID

    @classmethod
    def parse(cls, value: Repair | str | Iterable[str] | None) -> Repair:
        """Return the repairs named by ``value`` (a Repair, a name, or a list of names)."""
        if value is None:
            return cls.NONE
        if isinstance(value, cls):
            return value
        names = [value] if isinstance(value, str) else list(value)
        result = cls.NONE
        for name in names:
            key = str(name).strip().upper()
            if key not in cls.__members__:
                allowed = ", ".join(m.lower() for m in cls.__members__)
                raise ValueError(
                    f"repair was {name!r} but is expected to be one of {allowed}"
                )
            result |= cls[key]
        return result


def _places(report: LoadReport, fids: Iterable[int]) -> str:
    fids = list(fids)
    shown = ", ".join(str(Place(report.source, report.layer, int(f))) for f in
                      fids[:MAX_PLACES_IN_MESSAGE])
    more = len(fids) - MAX_PLACES_IN_MESSAGE
    return shown + (f" and {more} more" if more > 0 else "")


def parse_wkb(
    wkb: np.ndarray, fids: np.ndarray, report: LoadReport, *, repair: Repair
) -> np.ndarray:
    """Build shapely geometries from WKB; a feature GEOS cannot build is named, not fatal.

    Unclosed rings are closed when ``repair`` includes ``close_rings`` (reported), otherwise a
    :class:`GeometryError` names every such feature.
    """
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    failed = np.flatnonzero(shapely.is_missing(geoms) & ~pd.isna(wkb))
    refused = []
    for i in failed:
        try:
            shapely.from_wkb(wkb[i])
        except shapely.errors.GEOSException as exc:
            reason = str(exc).split(": ", 1)[-1]
        else:  # pragma: no cover - ignore and raise disagree
            reason = "unreadable geometry"
        fixed = shapely.from_wkb(wkb[i], on_invalid="fix")
        if repair & Repair.CLOSE_RINGS and fixed is not None and "closed" in reason:
            geoms[i] = fixed
            report.add("geometry.ring_closed", f"{reason}; ring closed (repair='close_rings')",
                       severity=Severity.REPAIR, fid=int(fids[i]))
        else:
            refused.append((int(fids[i]), reason))
    if refused:
        reasons = sorted({r for _, r in refused})
        raise GeometryError(
            f"{len(refused)} feature(s) cannot be built ({'; '.join(reasons)}): "
            f"{_places(report, [f for f, _ in refused])}. Fix them in the source, or pass "
            "repair='close_rings' to close unclosed rings",
            Place(report.source, report.layer),
        )
    return geoms


def measure_closed_rings(geoms: np.ndarray, fids: np.ndarray, report: LoadReport) -> None:
    """Fill in the area (m², geodesic) after each ring closure, once geoms are CGCS2000.

    Before the closure the polygon had no area (GEOS could not build it), so ``before`` stays
    empty.
    """
    if not any(n.code == "geometry.ring_closed" for n in report.notes):
        return
    positions = {int(f): i for i, f in enumerate(fids)}
    for k, note in enumerate(report.notes):
        if note.code == "geometry.ring_closed" and note.after is None and note.fid is not None:
            geometry = geoms[positions[note.fid]]
            if shapely.get_type_id(geometry) in _POLYGON_IDS:
                area = float(_area_m2(np.array([geometry], dtype=object))[0])
                report.notes[k] = replace(note, after=area, unit="m2")


def drop_z(geoms: np.ndarray, report: LoadReport) -> np.ndarray:
    """Drop Z (and M) coordinates, with one note saying how many features had them."""
    mask = shapely.get_coordinate_dimension(geoms) > 2  # Z, M or both (-1 for null)
    if mask.any():
        has_z = np.zeros(len(geoms), dtype=bool)
        has_m = np.zeros(len(geoms), dtype=bool)
        has_z[mask] = shapely.has_z(geoms[mask])
        has_m[mask] = shapely.has_m(geoms[mask])
        what = "Z" if not has_m.any() else ("M" if not has_z.any() else "Z and/or M")
        report.add("geometry.z_dropped",
                   f"{int(mask.sum())} feature(s) have {what} coordinates; dropped "
                   "(measurement is horizontal)", severity=Severity.INFO)
        geoms = geoms.copy()
        geoms[mask] = shapely.force_2d(geoms[mask])
    return geoms


def check_geometries(
    geoms: np.ndarray,
    fids: np.ndarray,
    report: LoadReport,
    *,
    kind: LayerKind | None,
    repair: Repair,
) -> np.ndarray:
    """Check CGCS2000 lon/lat geometries: null / empty, type vs ``kind``, validity; repair.

    Returns the (possibly repaired) geometries.

    Raises
    ------
    GeometryError
        If features have a geometry type the kind does not allow (a polygon outline in a road
        layer is never measured as road length): every such feature is named.
    """
    missing = shapely.is_missing(geoms)
    for i in np.flatnonzero(missing):
        report.add("geometry.null", "null geometry (no shape): not measured",
                   severity=Severity.PROBLEM, fid=int(fids[i]))
    empty = ~missing & shapely.is_empty(geoms)
    for i in np.flatnonzero(empty):
        report.add("geometry.empty", "empty geometry: not measured",
                   severity=Severity.PROBLEM, fid=int(fids[i]))
    present = ~missing & ~empty
    type_ids = shapely.get_type_id(geoms)
    found_ids, found_counts = np.unique(type_ids[present], return_counts=True)
    counts = dict(zip(found_ids.tolist(), found_counts.tolist(), strict=True))
    names = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
             5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
    report.geometry_types = [names[t] for t in sorted(counts)]
    if kind is not None:
        allowed = _FAMILIES[kind.geometry]
        wrong = present & ~np.isin(type_ids, list(allowed))
        if wrong.any():
            found = Counter(names[t] for t in type_ids[wrong].tolist())
            raise GeometryError(
                f"layer kind {kind.value} takes {kind.geometry.replace('_', ' ')} geometries "
                f"but {int(wrong.sum())} feature(s) are "
                f"{', '.join(f'{n} {k}' for k, n in sorted(found.items()))}: "
                f"{_places(report, fids[wrong])}. Read it without kind= and split it with "
                "county_gis.io.split_by_geometry(), or pass the kind that matches",
                Place(report.source, report.layer),
            )
    else:
        families = {("point" if t in _POINT_IDS else "line" if t in _LINE_IDS
                     else "polygon" if t in _POLYGON_IDS else "collection")
                    for t in counts}
        if len(families) > 1:
            report.add("geometry.mixed_types",
                       "mixed geometry types "
                       f"({', '.join(f'{n} {names[t]}' for t, n in sorted(counts.items()))}); "
                       "pass kind= to check them or split them by type",
                       severity=Severity.PROBLEM)
    valid = shapely.is_valid(geoms)
    invalid = np.flatnonzero(present & ~valid)
    if len(invalid) == 0:
        return geoms
    reasons = shapely.is_valid_reason(geoms[invalid])
    if not repair & Repair.MAKE_VALID:
        for i, reason in zip(invalid, reasons, strict=True):
            report.add("geometry.invalid",
                       f"invalid geometry: {reason}; kept as is (measures may be wrong; "
                       "pass repair='make_valid' to rebuild it)",
                       severity=Severity.PROBLEM, fid=int(fids[i]))
        return geoms
    geoms = geoms.copy()
    before_geoms = geoms[invalid]
    after_geoms = shapely.make_valid(before_geoms, method="structure", keep_collapsed=False)
    polygonal = np.isin(shapely.get_type_id(before_geoms), list(_POLYGON_IDS))
    before = np.full(len(invalid), np.nan)
    after = np.full(len(invalid), np.nan)
    if polygonal.any():
        before[polygonal] = _area_m2(before_geoms[polygonal])
        after[polygonal] = _area_m2(after_geoms[polygonal])
    for j, i in enumerate(invalid):
        geoms[i] = after_geoms[j]
        report.add("geometry.repaired",
                   f"invalid geometry: {reasons[j]}; rebuilt with make_valid as "
                   f"{after_geoms[j].geom_type}",
                   severity=Severity.REPAIR, fid=int(fids[i]),
                   before=None if np.isnan(before[j]) else float(before[j]),
                   after=None if np.isnan(after[j]) else float(after[j]), unit="m2")
    return geoms


def _area_m2(geoms: np.ndarray) -> np.ndarray:
    """Geodesic area in m² of CGCS2000 lon/lat polygons (invalid ones as their rings say)."""
    return geodesic_area(list(geoms), crs="EPSG:4490", unit="m2").to_numpy()


def split_by_geometry(gdf: Any) -> dict[str, Any]:
    """Split a layer of mixed geometry types into ``point``, ``line`` and ``polygon`` parts.

    A polygon outline in a road layer must never count as road length: split such a layer and
    give each part the kind it holds. Null, empty and collection geometries go to ``other``.
    Each part keeps the layer's ``attrs`` (its load report).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point, box
    >>> mixed = gpd.GeoDataFrame(geometry=[Point(121.6, 42.1), box(121.6, 42.1, 121.7, 42.2),
    ...                                    LineString([(121.6, 42.1), (121.7, 42.1)])], crs=4490)
    >>> {name: len(part) for name, part in split_by_geometry(mixed).items()}
    {'point': 1, 'line': 1, 'polygon': 1}
    """
    ids = shapely.get_type_id(gdf.geometry.to_numpy())
    empty = shapely.is_empty(gdf.geometry.to_numpy())
    families = {"point": _POINT_IDS, "line": _LINE_IDS, "polygon": _POLYGON_IDS}
    parts: dict[str, Any] = {}
    used = np.zeros(len(gdf), dtype=bool)
    for name, family in families.items():
        mask = np.isin(ids, list(family)) & ~empty
        used |= mask
        if mask.any():
            parts[name] = gdf[mask]
    if (~used).any():
        parts["other"] = gdf[~used]
    return parts
