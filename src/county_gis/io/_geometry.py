"""Geometry checks on load: parse WKB per feature, drop Z/M, list null / empty, check validity
and geometry types against the layer kind, repair only when asked, with the area before and after.

Everything is vectorised with shapely 2; only the features that fail a check are visited one by
one to name them in the report. Large layers are parsed in chunks, and the validity of each chunk
is checked in a worker thread (GEOS releases the GIL) while the next chunk is parsed: see
:class:`GeometryFacts`.
"""

from __future__ import annotations

import enum
import logging
import struct
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._validity import is_valid as fast_is_valid
from ..errors import GeometryError, LayerReadError, Place
from ..measure import geodesic_area
from ..vocabulary import LayerKind
from ._report import LoadReport, Severity

__all__ = [
    "GeometryFacts",
    "Repair",
    "WkbParser",
    "check_geometry_types",
    "check_validity",
    "drop_z",
    "measure_closed_rings",
    "split_by_geometry",
]

log = logging.getLogger(__name__)

#: At most this many places are named in one error message (the report has them all).
MAX_PLACES_IN_MESSAGE = 10
#: Features parsed per chunk when :class:`GeometryFacts` are gathered (small enough to stay in
#: the CPU cache); layers with fewer than two chunks are parsed and checked in one go.
PARSE_CHUNK = 4096

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


class GeometryFacts:
    """Per-feature facts of one geometry array, computed chunk by chunk while it is parsed.

    :meth:`WkbParser.feed_all` hands each parsed chunk to :meth:`add`, which computes the cheap
    facts (:data:`CHUNK_FACTS`: null, empty, type, coordinate dimension, bounds) at once, while the
    chunk is still in the CPU cache, and queues its validity check to a worker thread. GEOS
    releases the GIL while it checks validity, so the worker checks chunks while the next ones
    are parsed; when validity is asked for, the calling thread checks the chunks the worker has
    not started yet itself, from the last one backwards, while the worker goes on from the
    front.

    The facts belong to the very array object :meth:`bind` names: every later step that changes
    geometries (Z dropped, reprojection, repairs) returns a new array, for which :meth:`of`
    computes the fact afresh. Either way ``of(func, geoms)`` returns exactly ``func(geoms)``.

    The worker calls ``shapely.lib.is_valid``: ``shapely.is_valid`` silences GEOS notices with
    ``warnings.catch_warnings()``, which swaps process-wide state and is not thread-safe. The
    worker is used with GEOS >= 3.10 only (its validity check emits no notices); a chunk whose
    check in the worker fails anyway is checked again in the calling thread.

    Examples
    --------
    >>> geoms = np.array([shapely.box(0, 0, 1, 1), shapely.from_wkt("POLYGON ((0 0, 1 1, "
    ...                   "1 0, 0 1, 0 0))")], dtype=object)
    >>> facts = GeometryFacts()
    >>> facts.add(geoms[:1])
    >>> facts.add(geoms[1:])
    >>> facts.bind(geoms)
    >>> facts.of(shapely.is_valid, geoms).tolist()
    [True, False]
    >>> facts.of(shapely.is_valid, geoms.copy()).tolist()  # another array: checked afresh
    [True, False]
    """

    #: Facts computed for each chunk as it is parsed (validity apart).
    CHUNK_FACTS = (shapely.is_missing, shapely.is_empty, shapely.get_type_id,
                   shapely.get_coordinate_dimension, shapely.bounds)
    #: Validity is checked in a worker only with a GEOS whose check emits no notices.
    THREADED = shapely.geos_version >= (3, 10, 0)

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._chunks: list[np.ndarray] = []
        self._facts: dict[Any, list[np.ndarray]] = {func: [] for func in self.CHUNK_FACTS}
        self._valid: list[Future[np.ndarray]] = []  # one per chunk, when THREADED
        self._geoms: np.ndarray | None = None

    def add(self, chunk: np.ndarray) -> None:
        """Compute the facts of ``chunk``, the next part of the array; queue its validity."""
        self._chunks.append(chunk)
        for func, parts in self._facts.items():
            parts.append(func(chunk))
        if self.THREADED:  # from here on, only the worker reads the chunk until it is checked
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1,
                                                    thread_name_prefix="county_gis-validity")
            self._valid.append(self._executor.submit(fast_is_valid, chunk))

    def holds(self, geoms: np.ndarray) -> bool:
        """Whether the facts are those of ``geoms`` (the very array bound)."""
        return geoms is self._geoms and bool(self._chunks)

    def bind(self, geoms: np.ndarray) -> None:
        """Name the array the added chunks make up, in order; no more chunks follow."""
        if sum(map(len, self._chunks)) == len(geoms):
            self._geoms = geoms
        if self._executor is not None:
            self._executor.shutdown(wait=False)  # the worker ends once its queue is empty

    def reset(self) -> None:
        """Forget every chunk (the reader starts the layer again)."""
        self.cancel()
        self.__init__()  # type: ignore[misc]

    def cancel(self) -> None:
        """Drop the validity checks the worker has not started (no longer wanted)."""
        for future in self._valid:
            future.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    def of(self, func: Any, geoms: np.ndarray) -> np.ndarray:
        """``func(geoms)``, from the chunks when ``geoms`` is the bound array.

        ``func`` is ``shapely.is_valid`` or one of :data:`CHUNK_FACTS`.
        """
        if not self.holds(geoms):
            return func(geoms)
        if func is shapely.is_valid and self._valid:
            return self._validity()
        if func in self._facts:
            return np.concatenate(self._facts[func])
        return func(geoms)

    def _validity(self) -> np.ndarray:
        """The worker's results; the chunks it has not started are checked here meanwhile."""
        chunks = self._chunks
        valid: dict[int, np.ndarray] = {}
        for k in reversed(range(len(chunks))):  # from the back; the worker goes from the front
            if self._valid[k].cancel():
                valid[k] = fast_is_valid(chunks[k])
        for k, future in enumerate(self._valid):
            if k not in valid:
                try:
                    valid[k] = future.result()
                except Exception:  # e.g. a GEOS notice made an error by a warnings filter
                    valid[k] = shapely.is_valid(chunks[k])
        return np.concatenate([valid[k] for k in range(len(chunks))])


class WkbParser:
    """Builds shapely geometries from WKB chunk by chunk, as a reader delivers it.

    A feature GEOS cannot build is named, not fatal: unclosed rings are closed when ``repair``
    includes ``close_rings`` (reported), any other failure is collected and raised by
    :meth:`finish` as one :class:`GeometryError` naming every such feature. With ``facts``,
    each chunk is handed to :class:`GeometryFacts` as soon as it is parsed (its validity checked
    in the worker while the reader fetches and this parser parses the next chunks); a layer of
    a single chunk is not (it is checked in one go later). The notes are held back until
    :meth:`finish`, so the report reads the same whether the parser was fed while reading or
    after.

    Examples
    --------
    >>> from county_gis.io._report import LoadReport
    >>> report = LoadReport(source="plots.gpkg", layer="plots")
    >>> parser = WkbParser(report, repair=Repair.CLOSE_RINGS)
    >>> parser.feed(np.array([shapely.box(0, 0, 1, 1).wkb], dtype=object), np.array([1]))
    >>> parser.finish().tolist()
    [<POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))>]
    """

    def __init__(
        self, report: LoadReport, *, repair: Repair, facts: GeometryFacts | None = None
    ) -> None:
        self._report = report
        self._held = LoadReport(source=report.source, layer=report.layer, strict=report.strict)
        self._repair = repair
        self._facts = facts
        self._parts: list[np.ndarray] = []
        self._pending: np.ndarray | None = None  # the first chunk, added to facts once a
        self._refused: list[tuple[int, str]] = []  # second one shows the layer is large

    def reset(self) -> None:
        """Forget every chunk fed (the reader starts the layer again)."""
        self._held = LoadReport(source=self._report.source, layer=self._report.layer,
                                strict=self._report.strict)
        self._parts, self._pending, self._refused = [], None, []
        if self._facts is not None:
            self._facts.reset()

    @property
    def fed(self) -> bool:
        """Whether any chunk was fed."""
        return bool(self._parts)

    def feed(self, wkb: np.ndarray, fids: np.ndarray) -> None:
        """Parse the next features (WKB bytes or None, with their feature ids)."""
        part = _parse_chunk(wkb, fids, self._held, self._repair, self._refused)
        self._parts.append(part)
        if self._facts is None:
            return
        if len(self._parts) == 1:
            self._pending = part
            return
        if self._pending is not None:
            self._facts.add(self._pending)
            self._pending = None
        self._facts.add(part)

    def feed_all(self, wkb: np.ndarray, fids: np.ndarray) -> None:
        """Parse a whole layer: in chunks of :data:`PARSE_CHUNK` when ``facts`` are gathered."""
        step = PARSE_CHUNK if self._facts is not None else max(len(wkb), 1)
        for start in range(0, max(len(wkb), 1), step):
            self.feed(wkb[start:start + step], fids[start:start + step])

    def finish(self) -> np.ndarray:
        """The geometries of every chunk fed, in order; the held notes go to the report.

        Raises
        ------
        GeometryError
            Naming every feature that cannot be built.
        """
        geoms = (np.concatenate(self._parts) if len(self._parts) > 1
                 else self._parts[0] if self._parts else np.empty(0, dtype=object))
        if self._facts is not None and self._pending is None and self._parts:
            self._facts.bind(geoms)
        self._report.notes.extend(self._held.notes)
        if self._refused:
            reasons = sorted({r for _, r in self._refused})
            report = self._report
            raise GeometryError(
                f"{len(self._refused)} feature(s) cannot be built ({'; '.join(reasons)}): "
                f"{_places(report, [f for f, _ in self._refused])}. Fix them in the source, "
                "or pass repair='close_rings' to close unclosed rings",
                Place(report.source, report.layer),
            )
        return geoms


#: ISO WKB type codes of arcs and curved surfaces, which shapely cannot build (2D codes;
#: + 1000 for Z, + 2000 for M, + 3000 for ZM)
_NONLINEAR_CODES = {8: "CircularString", 9: "CompoundCurve", 10: "CurvePolygon",
                    11: "MultiCurve", 12: "MultiSurface", 13: "Curve", 14: "Surface"}


def nonlinear_kind(wkb: Any) -> str | None:
    """The curved geometry type a WKB holds (``CurvePolygon``, ``CompoundCurve Z`` ...), or None.

    Examples
    --------
    >>> nonlinear_kind(bytes.fromhex("010a000000") + bytes(4))
    'CurvePolygon'
    >>> nonlinear_kind(shapely.box(0, 0, 1, 1).wkb) is None
    True
    """
    if not isinstance(wkb, bytes | bytearray | memoryview) or len(wkb) < 5:
        return None
    code = int.from_bytes(bytes(wkb[1:5]), "little" if wkb[0] == 1 else "big")
    flags = code & 0xE0000000  # EWKB: Z 0x80000000, M 0x40000000
    code &= 0x0FFFFFFF
    name = _NONLINEAR_CODES.get(code % 1000)
    if name is None:
        return None
    dims = code // 1000 or (1 if flags & 0x80000000 else 0) + (2 if flags & 0x40000000 else 0)
    return name + {0: "", 1: " Z", 2: " M", 3: " ZM"}.get(dims, "")


def surfaces_as_polygons(wkb: Any) -> bytes | None:
    """ISO WKB with each PolyhedralSurface / TIN made a MultiPolygon and each Triangle a
    Polygon (the same body, another type code), or None when it holds none (or is not ISO WKB).

    Examples
    --------
    >>> tin = bytes.fromhex("0110000000" "01000000") + shapely.Polygon(
    ...     [(0, 0), (1, 0), (0, 1)]).wkb.replace(b"\x03", b"\x11", 1)
    >>> shapely.from_wkb(surfaces_as_polygons(tin)).wkt
    'MULTIPOLYGON (((0 0, 1 0, 0 1, 0 0)))'
    """
    if not isinstance(wkb, bytes | bytearray) or len(wkb) < 5:
        return None
    data = bytearray(wkb)
    changed = False

    def walk(pos: int) -> int:
        nonlocal changed
        end = "<" if data[pos] == 1 else ">"
        (code,) = struct.unpack_from(end + "I", data, pos + 1)
        if code > 3999:
            raise ValueError("not ISO WKB")
        kind, zm = code % 1000, code // 1000
        width = 8 * (2 + (zm in (1, 3)) + (zm in (2, 3)))
        if kind in (15, 16, 17):
            struct.pack_into(end + "I", data, pos + 1, zm * 1000 + (3 if kind == 17 else 6))
            changed = True
        pos += 5
        if kind == 1:
            return pos + width
        (count,) = struct.unpack_from(end + "I", data, pos)
        pos += 4
        if kind == 2:
            return pos + count * width
        if kind in (3, 17):
            for _ in range(count):
                (points,) = struct.unpack_from(end + "I", data, pos)
                pos += 4 + points * width
            return pos
        if kind in (4, 5, 6, 7, 15, 16):
            for _ in range(count):
                pos = walk(pos)
            return pos
        raise ValueError(f"WKB type {code}")

    try:
        walk(0)
    except (ValueError, struct.error):
        return None
    return bytes(data) if changed else None


class NonlinearGeometryError(LayerReadError):
    """Features hold arcs (circular strings, curve polygons ...), which shapely cannot build.

    ``kinds`` maps each such feature id to its type. The pyogrio engine catches it and reads
    the layer again through GDAL's non-Arrow interface, which linearises the arcs.
    """

    def __init__(self, message: str, kinds: dict[int, str]) -> None:
        super().__init__(message)
        self.kinds = kinds


def _parse_chunk(
    wkb: np.ndarray, fids: np.ndarray, report: LoadReport, repair: Repair,
    refused: list[tuple[int, str]],
) -> np.ndarray:
    """Parse one chunk of WKB; close the rings ``repair`` allows, add the rest to ``refused``.

    Raises
    ------
    NonlinearGeometryError
        If features hold arcs (shapely cannot build them).
    """
    try:
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    except NotImplementedError:  # shapely: "Nonlinear geometry types are not supported"
        kinds = {int(f): k for w, f in zip(wkb, fids, strict=True)
                 if (k := nonlinear_kind(w)) is not None}
        if not kinds:
            raise
        raise NonlinearGeometryError(
            f"{_places(report, list(kinds))} hold arcs ({', '.join(sorted(set(kinds.values())))})"
            ", which shapely cannot build; convert them to straight segments (ogr2ogr "
            "-nlt CONVERT_TO_LINEAR) or read the file with engine='pyogrio'", kinds) from None
    missing = np.flatnonzero(shapely.is_missing(geoms))
    failed = missing[~pd.isna(wkb[missing])]  # null in the source is no failure
    for i in failed:
        patched = surfaces_as_polygons(wkb[i])
        if patched is not None:  # TIN / polyhedral surface (a FileGDB multipatch)
            geoms[i] = shapely.from_wkb(patched, on_invalid="ignore")
            if geoms[i] is not None:
                report.add("geometry.surfaces_as_polygons",
                           "a TIN or polyhedral surface (a 3D multipatch), which shapely cannot "
                           "build: its triangles / faces read as the polygons of a "
                           "MultiPolygon (their footprint, once Z is dropped)",
                           severity=Severity.WARNING, fid=int(fids[i]))
                continue
        try:
            shapely.from_wkb(wkb[i])
        except shapely.errors.GEOSException as exc:
            reason = str(exc).split(": ", 1)[-1]  # GEOS's words, for the report only
        else:  # pragma: no cover - ignore and raise disagree
            reason = "unreadable geometry"
        # "fix" closes unclosed rings and fixes nothing else: a geometry it builds failed only
        # for its unclosed rings
        closed = shapely.from_wkb(wkb[i], on_invalid="fix")
        if closed is not None and repair & Repair.CLOSE_RINGS:
            geoms[i] = closed
            report.add("geometry.ring_closed",
                       f"{reason}; ring closed (repair='close_rings'). Area before: none (the "
                       "unclosed ring cannot be built; geopandas.read_file fails the whole "
                       "layer on it); after: as measured", severity=Severity.REPAIR,
                       fid=int(fids[i]))
        else:
            refused.append((int(fids[i]), reason))
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


def drop_z(
    geoms: np.ndarray, report: LoadReport, *, facts: GeometryFacts | None = None
) -> np.ndarray:
    """Drop Z (and M) coordinates, with one note saying how many features had them."""
    facts = facts or GeometryFacts()
    mask = facts.of(shapely.get_coordinate_dimension, geoms) > 2  # Z, M or both (-1 for null)
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


def check_geometry_types(
    geoms: np.ndarray,
    fids: np.ndarray,
    report: LoadReport,
    *,
    kind: LayerKind | None,
    facts: GeometryFacts | None = None,
) -> np.ndarray:
    """Report null and empty geometries and the geometry types; check the types fit ``kind``.

    Returns the mask of the features with a geometry (neither null nor empty).

    Raises
    ------
    GeometryError
        If features have a geometry type the kind does not allow (a polygon outline in a road
        layer is never measured as road length): every such feature is named.
    """
    facts = facts or GeometryFacts()
    missing = facts.of(shapely.is_missing, geoms)
    for i in np.flatnonzero(missing):
        report.add("geometry.null", "null geometry (no shape): not measured",
                   severity=Severity.PROBLEM, fid=int(fids[i]))
    empty = ~missing & facts.of(shapely.is_empty, geoms)
    for i in np.flatnonzero(empty):
        report.add("geometry.empty", "empty geometry: not measured",
                   severity=Severity.PROBLEM, fid=int(fids[i]))
    present = ~missing & ~empty
    type_ids = facts.of(shapely.get_type_id, geoms)
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
    return present


def check_validity(
    geoms: np.ndarray,
    fids: np.ndarray,
    report: LoadReport,
    *,
    present: np.ndarray,
    repair: Repair,
    facts: GeometryFacts | None = None,
) -> np.ndarray:
    """Check the validity of every ``present`` feature; report each invalid one with the reason.

    Invalid features are rebuilt when ``repair`` includes ``make_valid`` (reported with the area
    before and after), else kept as they are. ``facts`` may hold the validity already, checked
    while the layer was parsed (see :class:`GeometryFacts`); the reason is looked up for the
    invalid features only. Returns the (possibly repaired) geometries.
    """
    facts = facts or GeometryFacts()
    valid = facts.of(shapely.is_valid, geoms)
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
    return geodesic_area(list(geoms), crs="EPSG:4490", unit="m2", invalid="as_is").to_numpy()


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
