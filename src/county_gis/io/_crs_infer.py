"""Decide the CRS of a layer, bring it to CGCS2000 lon/lat, and check it lands in the county.

The decision comes from, in order: ``crs=`` declared by the caller, the CRS of the file (an ESRI
``.prj`` included, identified to an EPSG code and datum), or an inference from the coordinates
themselves when the evidence is strong (degrees inside the county; Gauss-Krüger eastings with or
without the zone prefix; survey tables with X = northing). Each step is reported. Evidence that
conflicts raises :class:`~county_gis.errors.CRSError` saying what was found and what to declare.

The county's location is evidence only for *inferring* a missing CRS: a layer whose declared or
file CRS puts it outside the county (a neighbouring county's layer) is read as the CRS says, with
a ``crs.outside_county`` warning giving its distance to the county (and an
:class:`OutsideCountyWarning`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import CRS, Transformer

from ..crs import CGCS2000, OffsetDatum, gk_zone_crs, needs_transform, require_crs
from ..errors import CountyGisWarning, CRSError, Place
from ._report import LoadReport, Severity

if TYPE_CHECKING:
    from ._geometry import GeometryFacts

__all__ = [
    "COUNTY_BBOX",
    "COUNTY_MARGIN_DEG",
    "CRSDecision",
    "LegacyDatumWarning",
    "OutsideAreaOfUseWarning",
    "OutsideCountyWarning",
    "county_distance_km",
    "decide_crs",
    "to_cgcs2000",
]

log = logging.getLogger(__name__)

#: Bounding box of 阜新蒙古族自治县 (lon_min, lat_min, lon_max, lat_max), CGCS2000 degrees.
COUNTY_BBOX = (121.02, 41.76, 122.43, 42.57)
#: Margin around :data:`COUNTY_BBOX` within which coordinates count as "inside the county"
#: (about 17-22 km: room for GCJ-02 offsets and for layers that run a little past the border).
COUNTY_MARGIN_DEG = 0.2
#: Northing range (m) of the county in any 3-degree Gauss-Krüger zone 40 / 41 (with margin).
_NORTHING_RANGE = (4.58e6, 4.75e6)
#: Easting range (m, without zone prefix) of a Gauss-Krüger zone near the county.
_EASTING_RANGE = (1.5e5, 8.5e5)
_LEGACY_DATUMS = ("Xian 1980", "Beijing 1954", "Xian_1980", "Beijing_1954")


class _EvidenceError(Exception):
    """The coordinates contradict a CRS (raised inside this module; the public functions turn
    it into a :class:`~county_gis.errors.CRSError` that names the layer)."""


@contextlib.contextmanager
def _placed(report: LoadReport) -> Iterator[None]:
    """Raise the conflicts found inside the block as CRSError naming ``file:layer``."""
    try:
        yield
    except _EvidenceError as exc:
        raise CRSError(f"{Place(report.source, report.layer)}: {exc}") from None


class LegacyDatumWarning(CountyGisWarning):
    """Coordinates on Xian 1980 or Beijing 1954: PROJ has no accurate transformation here."""


class OutsideCountyWarning(CountyGisWarning):
    """A layer with a declared (or file) CRS lies wholly outside the county; it is read."""


class OutsideAreaOfUseWarning(CountyGisWarning):
    """A layer with a declared (or file) CRS lies outside that CRS's area of use; it is read."""


@dataclass(frozen=True)
class CRSDecision:
    """The CRS the coordinates were taken to be in, how it was decided, and whether to swap axes."""

    crs: CRS
    how: str  # "declared" | "file" | "inferred"
    evidence: str
    swap_xy: bool = False
    raw_box: tuple[float, float, float, float] | None = None

    @property
    def label(self) -> str:
        """``EPSG:nnnn (name)`` or the CRS name."""
        epsg = self.crs.to_epsg(min_confidence=70)
        return f"EPSG:{epsg} ({self.crs.name})" if epsg else self.crs.name


def _bounds(
    geoms: np.ndarray, b: np.ndarray | None = None
) -> tuple[float, float, float, float] | None:
    if b is None:
        b = shapely.bounds(geoms)
    if len(b) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices (no geometry)
        box = (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))
    if not all(math.isfinite(v) for v in box):
        return None
    return tuple(float(v) for v in box)  # type: ignore[return-value]


def _in_county(box: tuple[float, float, float, float], margin: float = COUNTY_MARGIN_DEG) -> bool:
    x0, y0, x1, y1 = COUNTY_BBOX
    return (x0 - margin <= box[0] and box[2] <= x1 + margin
            and y0 - margin <= box[1] and box[3] <= y1 + margin)


def _fmt_box(box: tuple[float, float, float, float]) -> str:
    if max(abs(v) for v in box) > 1000:
        return f"x {box[0]:.0f}..{box[2]:.0f}, y {box[1]:.0f}..{box[3]:.0f}"
    return f"x {box[0]:.5f}..{box[2]:.5f}, y {box[1]:.5f}..{box[3]:.5f}"


#: Coordinates this far (degrees) past +-180 / +-90 are a rounding error, still degrees
#: (x = 180.00000000000006 is 180 written through a float conversion).
DEGREES_TOLERANCE = 1e-9


def _degrees_like(box: tuple[float, float, float, float]) -> bool:
    t = DEGREES_TOLERANCE
    return box[0] >= -180 - t and box[2] <= 180 + t and box[1] >= -90 - t and box[3] <= 90 + t


def _gk_guess(xmin: float, xmax: float, ymin: float, ymax: float) -> tuple[CRS, str] | None:
    """A Gauss-Krüger CRS from eastings (x) and northings (y) in metres, or None."""
    if not (_NORTHING_RANGE[0] <= ymin and ymax <= _NORTHING_RANGE[1]):
        return None
    if xmin >= 2.5e7 and xmax < 4.6e7:
        zones = {int(xmin // 1e6), int(xmax // 1e6)}
        if len(zones) > 1:
            raise _EvidenceError(
                f"eastings {xmin:.0f}..{xmax:.0f} carry different zone prefixes "
                f"{sorted(zones)}: split the layer by zone and declare each one's CRS "
                "(crs='EPSG:4528' for zone 40, 'EPSG:4529' for zone 41)"
            )
        zone = zones.pop()
        rest = (xmin - zone * 1e6, xmax - zone * 1e6)
        if not (_EASTING_RANGE[0] <= rest[0] and rest[1] <= _EASTING_RANGE[1]):
            return None
        return gk_zone_crs(zone, prefixed=True), (
            f"eastings {xmin:.0f}..{xmax:.0f} carry the zone prefix {zone} and northings "
            f"{ymin:.0f}..{ymax:.0f} fit the county: CGCS2000 3-degree Gauss-Kruger zone {zone}"
        )
    if _EASTING_RANGE[0] <= xmin and xmax <= _EASTING_RANGE[1]:
        # the county spans ~584-700 km in zone 40 (CM 120E) and ~336-453 km in zone 41 (CM 123E)
        if xmin >= 5e5:
            zone = 40
        elif xmax <= 5e5:
            zone = 41
        else:
            raise _EvidenceError(
                f"eastings {xmin:.0f}..{xmax:.0f} (no zone prefix) straddle 500 km, so they "
                "fit neither zone 40 (county at 584-700 km) nor zone 41 (336-453 km) alone; "
                "declare the CRS (crs='EPSG:4549' for zone 40, 'EPSG:4550' for zone 41)"
            )
        side = "east" if zone == 40 else "west"
        return gk_zone_crs(zone), (
            f"eastings {xmin:.0f}..{xmax:.0f} (no zone prefix) lie {side} of the central "
            f"meridian where the county lies in zone {zone}, northings {ymin:.0f}..{ymax:.0f}: "
            f"CGCS2000 3-degree Gauss-Kruger zone {zone} (datum assumed CGCS2000)"
        )
    return None


def infer_crs(box: tuple[float, float, float, float]) -> CRSDecision:
    """Infer a CRS from the coordinate bounds only; raise _EvidenceError when evidence is weak."""
    xmin, ymin, xmax, ymax = box
    if _in_county((ymin, xmin, ymax, xmax)):
        raise _EvidenceError(
            f"coordinates look like latitude/longitude swapped ({_fmt_box(box)}: x holds "
            "latitudes, y longitudes); put longitude in x (for CSV/XLSX name the columns "
            "lon/lat or 经度/纬度)"
        )
    if _degrees_like(box):
        if _in_county(box):
            return CRSDecision(CGCS2000, "inferred",
                               f"coordinates are degrees inside the county ({_fmt_box(box)}): "
                               "CGCS2000 lon/lat (EPSG:4490)")
        raise _EvidenceError(
            f"the layer has no CRS and its degrees ({_fmt_box(box)}) are outside the county "
            f"({COUNTY_BBOX[0]}-{COUNTY_BBOX[2]}E, {COUNTY_BBOX[1]}-{COUNTY_BBOX[3]}N); "
            "declare the CRS with crs=..."
        )
    guess = _gk_guess(xmin, xmax, ymin, ymax)
    if guess is not None:
        return CRSDecision(guess[0], "inferred", guess[1])
    swapped = _gk_guess(ymin, ymax, xmin, xmax)
    if swapped is not None:
        return CRSDecision(swapped[0], "inferred",
                           f"X holds northings {xmin:.0f}..{xmax:.0f} and Y eastings (survey "
                           f"convention X = northing), axes swapped; {swapped[1]}", swap_xy=True)
    raise _EvidenceError(
        f"the layer has no CRS and its coordinates ({_fmt_box(box)}) are neither degrees in the "
        "county nor Gauss-Krueger zone 40/41 metres; declare the CRS with crs=... "
        "(e.g. 'EPSG:4490' lon/lat, 'EPSG:4549' / 'EPSG:4550' zone 40 / 41)"
    )


def _tm_params(crs: CRS) -> tuple[float, float] | None:
    """(central meridian, false easting) of a transverse Mercator CRS, else None."""
    op = crs.coordinate_operation
    if op is None or "Transverse Mercator" not in op.method_name:
        return None
    params = {p.name: p.value for p in op.params}
    cm = params.get("Longitude of natural origin")
    false_easting = params.get("False easting")
    if not isinstance(cm, int | float) or not isinstance(false_easting, int | float):
        return None
    return float(cm), float(false_easting)


def _identify(crs: CRS) -> tuple[CRS, str]:
    epsg = crs.to_epsg(min_confidence=70)
    datum = crs.datum.name if crs.datum is not None else "unknown datum"
    if epsg is not None:
        return CRS.from_epsg(epsg), f"EPSG:{epsg} ({crs.name}; datum {datum})"
    return crs, f"{crs.name} (no EPSG code identified; datum {datum})"


def _check_against(crs: CRS, box: tuple[float, float, float, float], source: str) -> None:
    """Raise when the coordinates contradict ``crs`` (units, zone prefix, zone)."""
    xmin, ymin, xmax, ymax = box
    if crs.is_geographic and _in_county((ymin, xmin, ymax, xmax)):
        raise _EvidenceError(
            f"{source} says {crs.name} (longitude, latitude) but the coordinates look like "
            f"latitude/longitude swapped ({_fmt_box(box)}: x holds latitudes); put longitude "
            "in x (for CSV/XLSX name the columns lon/lat or 经度/纬度)"
        )
    if crs.is_geographic and not _degrees_like(box):
        guess = _safe_guess(box)
        hint = f"; they look like {guess.crs.name}: declare crs='EPSG:{guess.crs.to_epsg()}'" \
            if guess else ""
        raise _EvidenceError(
            f"{source} says {crs.name} (degrees) but the coordinates are {_fmt_box(box)}{hint}"
        )
    tm = _tm_params(crs)
    if tm is None:
        return
    cm, false_easting = tm
    crs_zone = round(cm / 3)
    prefixed_crs = false_easting > 1e6
    data_prefixed = xmin > 1e7
    guess = _safe_guess(box)
    if data_prefixed != prefixed_crs:
        data_zone = int(xmin // 1e6) if data_prefixed else None
        if data_prefixed:
            found = f"eastings {xmin:.0f}..{xmax:.0f} carry the zone prefix {data_zone}"
        else:
            found = f"eastings {xmin:.0f}..{xmax:.0f} have no zone prefix"
        expect = "with" if prefixed_crs else "without"
        zone_note = ""
        if data_prefixed and data_zone != crs_zone:
            zone_note = f", and the prefix says zone {data_zone} while {source} says zone " \
                f"{crs_zone}"
        fix = f"declare crs='EPSG:{guess.crs.to_epsg()}'" if guess else "declare the CRS"
        raise _EvidenceError(
            f"{found} but {source} is {crs.name} (central meridian {cm:g}E), whose eastings "
            f"are {expect} the zone prefix{zone_note}; {fix}"
        )
    if data_prefixed and int(xmin // 1e6) != crs_zone:
        fix = f"declare crs='EPSG:{guess.crs.to_epsg()}'" if guess else "declare the CRS"
        raise _EvidenceError(
            f"eastings {xmin:.0f}..{xmax:.0f} carry the zone prefix {int(xmin // 1e6)} but "
            f"{source} is {crs.name} (zone {crs_zone}); {fix}"
        )


def _survey_axes(
    decision: CRSDecision, box: tuple[float, float, float, float], report: LoadReport
) -> CRSDecision:
    """A table's X holds northings (界址点坐标表: X = northing, Y = easting with the zone
    prefix) under a declared Gauss-Krüger CRS whose first axis is northing: swap, say so."""
    crs = decision.crs
    if crs.is_geographic or not crs.axis_info or crs.axis_info[0].direction.lower() != "north":
        return decision
    xmin, ymin, xmax, ymax = box
    try:
        as_is = _gk_guess(xmin, xmax, ymin, ymax)
        swapped = _gk_guess(ymin, ymax, xmin, xmax)
    except _EvidenceError:
        return decision
    if as_is is not None or swapped is None:
        return decision
    message = (f"X holds northings {xmin:.0f}..{xmax:.0f} and Y eastings {ymin:.0f}..{ymax:.0f} "
               f"(the survey convention, and the axis order of {decision.label}: northing "
               "first); the points are built as (Y, X)")
    report.add("table.survey_axes", message, severity=Severity.INFO)
    return replace(decision, swap_xy=True, evidence=f"{decision.evidence}; {message}")


def _safe_guess(box: tuple[float, float, float, float]) -> CRSDecision | None:
    try:
        return infer_crs(box)
    except _EvidenceError:
        return None


def decide_crs(
    geoms: np.ndarray, file_crs_wkt: str | None, declared: object, report: LoadReport, *,
    facts: GeometryFacts | None = None,
) -> CRSDecision:
    """Decide the CRS of ``geoms`` and record the decision and its evidence in ``report``.

    ``facts`` may hold the bounds of ``geoms`` already (see
    :class:`~county_gis.io._geometry.GeometryFacts`).

    Raises
    ------
    CRSError
        If the declared or file CRS contradicts the coordinates, or a missing CRS cannot be
        inferred from strong evidence.
    """
    with _placed(report):
        return _decide_crs(geoms, file_crs_wkt, declared, report, facts=facts)


def _decide_crs(
    geoms: np.ndarray, file_crs_wkt: str | None, declared: object, report: LoadReport, *,
    facts: GeometryFacts | None,
) -> CRSDecision:
    box = _bounds(geoms, facts.of(shapely.bounds, geoms) if facts is not None else None)
    file_crs = CRS.from_user_input(file_crs_wkt) if file_crs_wkt else None
    if declared is not None:
        try:
            crs = require_crs(declared, what="crs=")
        except CRSError as exc:
            raise _EvidenceError(str(exc)) from exc
        crs, text = _identify(crs)
        evidence = f"declared crs={declared!r}: {text}"
        if file_crs is not None and not file_crs.equals(crs, ignore_axis_order=True):
            _, file_text = _identify(file_crs)
            evidence += f"; overrides the file's CRS {file_text}"
            report.add("crs.override", f"declared CRS {text} overrides the file's {file_text}",
                       severity=Severity.INFO)
        decision = CRSDecision(crs, "declared", evidence)
        source = f"the declared crs={declared!r}"
    elif file_crs is not None:
        crs, text = _identify(file_crs)
        decision = CRSDecision(crs, "file", f"read from the file: {text}")
        source = "the file's CRS"
    else:
        if box is None:
            decision = CRSDecision(CGCS2000, "inferred", "no geometry and no CRS: EPSG:4490")
            report.crs_decision, report.crs_evidence = decision.label, decision.evidence
            return decision
        decision = infer_crs(box)
        report.add("crs.inferred", f"the layer has no CRS; inferred {decision.label} from "
                   f"the coordinates: {decision.evidence}", severity=Severity.ASSUMPTION,
                   error=CRSError)
        source = "the inferred CRS"
        if decision.swap_xy:
            report.add("table.survey_axes", f"X holds northings {box[0]:.0f}..{box[2]:.0f} "
                       f"and Y eastings {box[1]:.0f}..{box[3]:.0f} (the survey convention "
                       "X = northing, from their magnitudes); the points are built as (Y, X)",
                       severity=Severity.INFO)
    if box is not None and decision.how != "inferred" and report.driver in ("CSV", "XLSX"):
        decision = _survey_axes(decision, box, report)
    if box is not None and not decision.swap_xy:
        _check_against(decision.crs, box, source)
    datum = decision.crs.datum.name if decision.crs.datum is not None else ""
    if any(name in datum for name in _LEGACY_DATUMS):
        message = (f"datum {datum}: PROJ has no accurate {datum} -> CGCS2000 transformation "
                   "for this area (only a ballpark one, errors of tens of metres); measures "
                   "are fine, positions against CGCS2000 layers are not. Ask for CGCS2000 data "
                   "or a local transformation")
        report.add("crs.legacy_datum", message, severity=Severity.PROBLEM)
        warnings.warn(f"{report.source}: {message}", LegacyDatumWarning, stacklevel=5)
    report.crs_decision, report.crs_evidence = decision.label, decision.evidence
    return replace(decision, raw_box=box)


def to_cgcs2000(
    geoms: np.ndarray,
    decision: CRSDecision,
    report: LoadReport,
    *,
    offset: OffsetDatum | None = None,
    fids: np.ndarray | None = None,
) -> np.ndarray:
    """Transform ``geoms`` to CGCS2000 lon/lat and check they land in the county.

    A layer with a declared or file CRS that lies outside the county is kept, with a warning
    (note ``crs.outside_county`` of severity ``warning`` and :class:`OutsideCountyWarning`).

    Raises
    ------
    CRSError
        If a layer whose CRS was inferred lies outside the county (with the likely cause), the
        coordinates lie outside the CRS's area of use, or an offset datum is asked for
        projected coordinates.
    """
    with _placed(report):
        return _to_cgcs2000(geoms, decision, report, offset=offset, fids=fids)


def _to_cgcs2000(
    geoms: np.ndarray, decision: CRSDecision, report: LoadReport, *,
    offset: OffsetDatum | None, fids: np.ndarray | None,
) -> np.ndarray:
    raw_box = decision.raw_box
    moved = False
    if decision.swap_xy:
        geoms = shapely.transform(geoms, lambda xy: xy[:, ::-1])
        raw_box = _bounds(geoms)
    crs = decision.crs
    raw_geoms = geoms
    if needs_transform(crs):
        moved = True
        transformer = Transformer.from_crs(crs, CGCS2000, always_xy=True)

        def project(xy: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        geoms = shapely.transform(geoms, project)
    if offset is not None:
        if not crs.is_geographic:
            raise _EvidenceError(
                f"source_crs={offset.value!r} applies to longitude/latitude picked on a web map, "
                f"but the layer is in {crs.name}; drop source_crs or fix crs="
            )

        def unshift(xy: np.ndarray) -> np.ndarray:
            x, y = offset.to_wgs84(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        geoms = shapely.transform(geoms, unshift)
        moved = True
        report.add("crs.offset_removed",
                   f"coordinates converted from {offset.value.upper()} (web-map offset) to "
                   "WGS 84 = CGCS2000 by the iterative inverse of the public formula",
                   severity=Severity.INFO)
        report.crs_evidence = f"{report.crs_evidence}; source_crs={offset.value}"
    bounds = shapely.bounds(geoms) if moved or raw_box is None else None
    box = _bounds(geoms, bounds) if bounds is not None else raw_box
    if box is not None:
        _check_area_of_use(crs, box, decision, raw_box, report, geoms, raw_geoms)
    if box is None or _in_county(box):
        return geoms
    if bounds is None:
        bounds = shapely.bounds(geoms)
    outside = _outside_mask(bounds)
    present = np.isfinite(bounds[:, 0])
    if outside[present].all():
        if decision.how == "inferred":  # the county's location was the evidence: it fails
            raise _EvidenceError(
                f"after transforming from {decision.label} the layer lies at "
                f"{_fmt_box(box)}, outside the county ({COUNTY_BBOX[0]}-{COUNTY_BBOX[2]}E, "
                f"{COUNTY_BBOX[1]}-{COUNTY_BBOX[3]}N); the CRS is wrong"
                f"{_fix_hint(raw_box, crs)}"
            )
        # a declared or file CRS is taken as stated: a layer of a neighbouring county (or of
        # anywhere) is read, and said to lie outside, how far, and what would put it inside
        km = county_distance_km(box)
        message = (f"the layer lies outside the county: after transforming from "
                   f"{decision.label} ({decision.how}) it lies at {_fmt_box(box)}, {km:,.1f} km "
                   f"from the county's bounding box ({COUNTY_BBOX[0]}-{COUNTY_BBOX[2]}E, "
                   f"{COUNTY_BBOX[1]}-{COUNTY_BBOX[3]}N); read as the CRS says"
                   f"{_outside_hint(raw_box, crs)}")
        report.add("crs.outside_county", message, severity=Severity.WARNING)
        warnings.warn(f"{Place(report.source, report.layer)}: {message}", OutsideCountyWarning,
                      stacklevel=5)
        return geoms
    for i in np.flatnonzero(outside & present):
        report.add("crs.outside_county", "feature lies outside the county bounding box "
                   f"(+{COUNTY_MARGIN_DEG} degrees margin)", severity=Severity.PROBLEM,
                   fid=int(fids[i]) if fids is not None else int(i))
    return geoms


def county_distance_km(box: tuple[float, float, float, float]) -> float:
    """Geodesic distance (km, GRS80) from a lon/lat box to the county's bounding box.

    0 when they touch; measured between the nearest corners / edges of the two boxes (longitude
    differences taken the short way round the globe).

    Examples
    --------
    >>> county_distance_km((122.43, 42.0, 122.43, 42.0))
    0.0
    >>> round(county_distance_km((121.5, 43.57, 121.5, 43.57)), 1)  # 1 degree north
    111.1
    """
    from pyproj import Geod

    x0, y0, x1, y1 = COUNTY_BBOX

    def nearest(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
        if hi < a:
            return hi, a
        if lo > b:
            return lo, b
        return max(lo, a), max(lo, a)

    lon_here, lon_there = nearest(box[0], box[2], x0, x1)
    # the short way round: a box near 180 W is far east of the county, not 300 degrees west
    if abs(lon_here - lon_there) > 180:
        lon_here += 360 if lon_here < lon_there else -360
    lat_here, lat_there = nearest(box[1], box[3], y0, y1)
    _, _, metres = Geod(ellps="GRS80").inv(lon_here, lat_here, lon_there, lat_there)
    return float(metres) / 1000


def _outside_hint(raw_box: tuple[float, float, float, float] | None, crs: CRS) -> str:
    """What would put an outside layer inside the county, when the raw coordinates tell."""
    guess = _safe_guess(raw_box) if raw_box is not None else None
    if guess is None or guess.crs.equals(crs):
        return ""
    if guess.swap_xy:
        return ("; if it belongs to the county, the coordinates look like a survey table with "
                f"X = northing, Y = easting ({guess.evidence}): swap the columns")
    return (f"; if it belongs to the county, the raw coordinates look like {guess.label} "
            f"({guess.evidence}): declare crs='EPSG:{guess.crs.to_epsg()}'")


#: How far (degrees) outside a CRS's declared area of use coordinates may lie: surveyors use a
#: 3-degree Gauss-Krüger zone up to about half a zone past its edge (the county itself spans
#: 121.02-122.43 E across the 121.5 E border of zones 40 and 41).
AREA_OF_USE_MARGIN_DEG = 1.5


def _fix_hint(raw_box: tuple[float, float, float, float] | None, crs: CRS) -> str:
    """What to declare instead of ``crs``, from the raw coordinates when they tell."""
    guess = _safe_guess(raw_box) if raw_box is not None else None
    if guess is not None and guess.swap_xy:
        return ("; the coordinates look like a survey table with X = northing, "
                f"Y = easting ({guess.evidence}): swap the columns, or leave crs= out to "
                "let county_gis infer it")
    if guess is not None and not guess.crs.equals(crs):
        return (f"; the raw coordinates look like {guess.label} "
                f"({guess.evidence}): declare crs='EPSG:{guess.crs.to_epsg()}'")
    return (": declare the right one with crs= (zone 40 = EPSG:4549, zone 41 = EPSG:4550, "
            "with zone prefix EPSG:4528 / 4529, lon/lat EPSG:4490)")


def _check_area_of_use(
    crs: CRS, box: tuple[float, float, float, float], decision: CRSDecision,
    raw_box: tuple[float, float, float, float] | None, report: LoadReport,
    geoms: np.ndarray, raw_geoms: np.ndarray,
) -> None:
    """Check CGCS2000 coordinates against the source CRS's area of use (+ a margin).

    Outside it, a declared or file CRS is taken as stated, like a layer outside the county:
    read, with a ``crs.outside_area_of_use`` warning (and :class:`OutsideAreaOfUseWarning`)
    saying how far. Refused only when the coordinates cannot be a place in that CRS at all
    (:func:`_impossible`), or when the CRS was inferred (the county's location was the
    evidence, and it fails).
    """
    area = crs.area_of_use
    if area is None:
        return
    m = AREA_OF_USE_MARGIN_DEG
    west, south, east, north = area.bounds
    if south - m <= box[1] and box[3] <= north + m and _within_lon(box[0], box[2], west, east, m):
        return
    where = (f"the coordinates, read as {decision.label}, lie at {_fmt_box(box)} (CGCS2000 "
             f"lon/lat), outside that CRS's area of use ({west:g}-{east:g}E, "
             f"{south:g}-{north:g}N, +{m:g} degrees)")
    impossible = _impossible(crs, geoms, raw_geoms)
    if decision.how == "inferred" or impossible is not None:
        raise _EvidenceError(f"{where}{'; ' + impossible if impossible else ''}; the CRS is "
                             f"wrong{_fix_hint(raw_box, crs)}")
    km = _area_distance_km(box, area.bounds)
    message = (f"{where}, about {km:,.0f} km from it; read as the {decision.how} CRS says "
               "(check the CRS if the layer should lie elsewhere)")
    report.add("crs.outside_area_of_use", message, severity=Severity.WARNING)
    warnings.warn(f"{Place(report.source, report.layer)}: {message}", OutsideAreaOfUseWarning,
                  stacklevel=6)


def _impossible(crs: CRS, geoms: np.ndarray, raw_geoms: np.ndarray) -> str | None:
    """Why the raw coordinates cannot be a place in ``crs``, or None when they can.

    * a coordinate did not transform (PROJ gives infinity or NaN);
    * a transverse Mercator grid (Gauss-Krüger, UTM, British National Grid ...) holds a
      coordinate whose place is more than 90 degrees of longitude from the central meridian:
      its northing runs past the pole onto the far side of the globe, where no survey grid is
      used (GDAL's ``poly.shp``, UTM metres labelled British National Grid, lands at 87 N,
      163 E);
    * the coordinates do not come back through the CRS (beyond the projection's domain).
    """
    lonlat = shapely.get_coordinates(geoms)
    if not len(lonlat):
        return None
    if not np.isfinite(lonlat).all():
        return "some coordinates do not transform (outside the projection's domain)"
    tm = _tm_params(crs) if crs.is_projected else None
    if tm is not None:
        off = np.abs((lonlat[:, 0] - tm[0] + 180.0) % 360.0 - 180.0)
        if off.max() > 90.0:
            return (f"in that transverse Mercator grid they lie up to {off.max():.1f} degrees "
                    f"of longitude from its central meridian ({tm[0]:g}E): past the pole, on "
                    "the far side of the globe, where no survey grid is used")
    if crs.is_projected:
        raw = shapely.get_coordinates(raw_geoms)
        step = max(1, len(raw) // 10_000)
        back = Transformer.from_crs(CGCS2000, crs, always_xy=True)
        x, y = back.transform(lonlat[::step, 0], lonlat[::step, 1])
        miss = np.hypot(np.asarray(x) - raw[::step, 0], np.asarray(y) - raw[::step, 1])
        if not np.isfinite(miss).all() or miss.max() > 1.0:
            return "they do not come back through the CRS (outside the projection's domain)"
    return None


def _area_distance_km(box: tuple[float, float, float, float],
                      area: tuple[float, float, float, float]) -> float:
    """Geodesic distance (km) from a lon/lat box to an area of use (west, south, east, north);
    0 when they overlap. Longitudes are compared the short way round."""
    from pyproj import Geod

    def gap(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
        if hi < a:
            return hi, a
        if lo > b:
            return lo, b
        return lo, lo

    west, south, east, north = area
    if west > east:  # crossing 180 degrees: compare on west .. east + 360
        east += 360.0
    lo, hi = box[0], box[2]
    if hi < west:
        lo, hi = lo + 360.0, hi + 360.0
    x0, x1 = gap(lo, hi, west, east)
    if abs(x0 - x1) > 180:
        x0 += 360 if x0 < x1 else -360
    y0, y1 = gap(box[1], box[3], south, north)
    _, _, metres = Geod(ellps="GRS80").inv(x0, y0, x1, y1)
    return float(metres) / 1000


def _within_lon(lo: float, hi: float, west: float, east: float, margin: float) -> bool:
    """Whether longitudes ``lo``..``hi`` lie in ``west``..``east`` (+ margin), where an area
    that crosses 180 degrees has ``west`` > ``east`` (NAD83: 167.65 E .. -40.73 E).

    Examples
    --------
    >>> _within_lon(-120.0, -80.0, 167.65, -40.73, 1.5)
    True
    >>> _within_lon(121.0, 122.0, 167.65, -40.73, 1.5)
    False
    """
    if west <= east:
        return west - margin <= lo and hi <= east + margin

    def shifted(x: float) -> float:  # onto the continuous span west .. east + 360
        return x if x >= west - margin else x + 360

    return all(west - margin <= shifted(x) <= east + 360 + margin for x in (lo, hi))


def _outside_mask(b: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = COUNTY_BBOX
    m = COUNTY_MARGIN_DEG
    with np.errstate(invalid="ignore"):
        return (b[:, 0] < x0 - m) | (b[:, 2] > x1 + m) | (b[:, 1] < y0 - m) | (b[:, 3] > y1 + m)
