"""The two read engines, pyogrio (Arrow) and fiona, behind one small interface.

Both return a :class:`RawLayer`: attributes as a DataFrame, geometries as WKB (parsed later by
:mod:`._geometry`, so that an unclosed ring names its feature instead of killing the layer), the
source feature ids, the CRS WKT and the GDAL driver. GDAL's own warnings are captured and handed
back as text so they end up in the load report instead of escaping as ``RuntimeWarning``.
"""

from __future__ import annotations

import logging
import os
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .._choice import Choice
from ..errors import CountyGisError, DataError, LayerReadError
from ._geometry import NonlinearGeometryError
from ._report import Severity

__all__ = ["CellFix", "Engine", "RawLayer", "linearised_note", "nonlinear_features",
           "read_raw"]

log = logging.getLogger(__name__)


class Engine(Choice):
    """The library that reads vector files: ``pyogrio`` (default, Arrow) or ``fiona``.

    Examples
    --------
    >>> Engine.parse("Fiona")
    <Engine.FIONA: 'fiona'>
    >>> Engine.parse("gdal")
    Traceback (most recent call last):
    ...
    ValueError: engine was 'gdal' but is expected to be one of pyogrio, fiona
    """

    PYOGRIO = "pyogrio"
    FIONA = "fiona"


@dataclass(frozen=True)
class CellFix:
    """A cell the reader found wrong in the raw bytes, the value to use instead, and the note.

    ``value`` replaces what the engine read (``None`` for empty): GDAL reads a DBF numeric
    ``12,5`` as 12, an overflow ``*****`` as null, and drops undecodable bytes silently; the
    fix keeps what the bytes say (``12.5``, empty, U+FFFD for each undecodable byte).
    """

    value: Any
    code: str
    severity: Severity
    message: str
    error: type[DataError] = DataError


@dataclass
class RawLayer:
    """A layer as read from disk, before any check."""

    attributes: pd.DataFrame
    wkb: np.ndarray  # object array of bytes or None
    fids: np.ndarray  # int64
    crs_wkt: str | None
    driver: str
    geometry_type: str | None
    gdal_messages: list[str] = field(default_factory=list)
    parsed: np.ndarray | None = None  # shapely geometries when the engine already built them
    #: (fid, source field) -> the fix of a cell found wrong in the raw bytes
    cell_fixes: dict[tuple[int, str], CellFix] = field(default_factory=dict)
    #: notes of the reader: (code, message, severity, fid or None), added to the load report
    notes: list[tuple[str, str, Severity, int | None]] = field(default_factory=list)


def linearised_note(kinds: dict[int, str]) -> list[tuple[str, str, Severity, int | None]]:
    """The notes of features whose arcs GDAL approximated by straight segments."""
    return [("geometry.linearised",
             f"{kind} (arcs): GDAL approximated each arc by straight segments (its default "
             "step, 4 degrees of arc per segment); length and area are those of the segments, "
             "slightly short of the true arcs", Severity.WARNING, fid)
            for fid, kind in kinds.items()]


class ChunkSink(Protocol):
    """Takes the features' WKB as the reader fetches them (a :class:`~._geometry.WkbParser`)."""

    def feed(self, wkb: np.ndarray, fids: np.ndarray) -> None:
        """Take the next features: WKB bytes (or None) and their feature ids."""

    def reset(self) -> None:
        """Forget the features taken (the layer is read again)."""


def read_raw(
    path: str | os.PathLike[str],
    *,
    layer: str | None,
    encoding: str | None,
    engine: Engine,
    driver: str,
    parser: ChunkSink | None = None,
    times_as_text: bool = False,
) -> RawLayer:
    """Read one layer of ``path`` (a file of GDAL driver ``driver``) with ``engine``.

    With ``times_as_text``, date-time fields come as ISO text with their offsets, on both
    engines (pyogrio then reads through its non-Arrow interface; fiona gives text anyway),
    for the source to decide their time zone.

    With ``parser`` and the pyogrio engine, the layer is streamed in Arrow batches of
    :data:`~._geometry.PARSE_CHUNK` features and each batch's WKB is handed to ``parser`` as
    it arrives (GDAL fetches the next batch meanwhile); the returned layer then holds no WKB.
    Text that is not valid UTF-8 in a format whose text is UTF-8 by specification
    (``encoding=None``) is recovered cell by cell: see :func:`recover_text`.

    Raises
    ------
    LayerReadError
        If GDAL cannot open or read the layer.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if engine is Engine.PYOGRIO and times_as_text:
                raw = _read_pyogrio_rows(path, layer, encoding, driver, times_as_text=True)
            elif engine is Engine.PYOGRIO:
                try:
                    raw = _read_pyogrio(path, layer, encoding, driver, parser)
                except NonlinearGeometryError:
                    # arcs, which shapely cannot build: the layer again, GDAL linearising them
                    if parser is not None:
                        parser.reset()
                    raw = _read_pyogrio_linearised(path, layer, encoding, driver)
            else:
                raw = _read_fiona(path, layer, encoding)
    except CountyGisError:
        raise
    except Exception as exc:  # pyogrio / fiona errors carry GDAL's text
        raise LayerReadError(
            f"{path}:{layer}: {engine.value} cannot read the layer: {exc}"
        ) from exc
    raw.gdal_messages.extend(str(item.message) for item in caught)
    return raw


def _read_pyogrio_rows(
    path: str | os.PathLike[str], layer: str | None, encoding: str | None, driver: str, *,
    times_as_text: bool = False,
) -> RawLayer:
    """A layer through pyogrio's non-Arrow interface, where GDAL linearises arcs; with
    ``times_as_text`` date-times come as the ISO text GDAL holds, offsets included (GDAL's
    Arrow stream drops them)."""
    from pyogrio.raw import read

    meta, fids, wkb, values = read(path, layer=layer, encoding=encoding, return_fids=True,
                                   datetime_as_string=times_as_text)
    names = [str(n) for n in meta["fields"]]
    attributes = pd.DataFrame({n: v for n, v in zip(names, values, strict=True)},
                              columns=names)
    fids = np.asarray(fids if fids is not None else np.arange(len(wkb)), dtype=np.int64)
    return RawLayer(
        attributes=attributes,
        wkb=np.asarray(wkb, dtype=object) if wkb is not None else np.full(len(fids), None),
        fids=fids,
        crs_wkt=_wkt(meta.get("crs")),
        driver=driver,
        geometry_type=meta.get("geometry_type"),
    )


def _read_pyogrio_linearised(
    path: str | os.PathLike[str], layer: str | None, encoding: str | None, driver: str,
) -> RawLayer:
    """A layer with arcs, GDAL linearising them (non-Arrow); the features that held arcs are
    found in GDAL's Arrow stream and noted."""
    raw = _read_pyogrio_rows(path, layer, encoding, driver)
    raw.notes.extend(linearised_note(nonlinear_features(path, layer)))
    return raw


def nonlinear_features(path: str | os.PathLike[str], layer: str | None) -> dict[int, str]:
    """Feature id -> curved type of the features of a layer that hold arcs (GDAL's Arrow
    stream gives them as ISO WKB, without linearising)."""
    from pyogrio.raw import open_arrow

    from ._geometry import nonlinear_kind

    found: dict[int, str] = {}
    with open_arrow(path, layer=layer, columns=[], return_fids=True, use_pyarrow=True) as (
            meta, reader):
        geometry_name = meta.get("geometry_name") or "wkb_geometry"
        fid_name = meta.get("fid_column") or "OGC_FID"
        count = 0
        for batch in reader:
            names = batch.schema.names
            if geometry_name not in names:
                break
            wkb = batch.column(names.index(geometry_name)).to_pylist()
            fids = (batch.column(names.index(fid_name)).to_pylist() if fid_name in names
                    else range(count, count + batch.num_rows))
            found.update((int(f), k) for w, f in zip(wkb, fids, strict=True)
                         if (k := nonlinear_kind(w)) is not None)
            count += batch.num_rows
    return found


def _read_pyogrio(
    path: str | os.PathLike[str], layer: str | None, encoding: str | None, driver: str,
    parser: ChunkSink | None,
) -> RawLayer:
    import pyarrow as pa
    from pyogrio.raw import open_arrow

    from . import _geometry

    batches = []
    wkb_parts: list[np.ndarray] = []
    fid_parts: list[np.ndarray] = []
    with open_arrow(path, layer=layer, encoding=encoding, return_fids=True, use_pyarrow=True,
                    batch_size=_geometry.PARSE_CHUNK) as (meta, reader):
        geometry_name = meta.get("geometry_name") or "wkb_geometry"
        fid_name = meta.get("fid_column") or "OGC_FID"
        schema = reader.schema
        # by position: a GeoJSON property "id" also becomes the FID column "id" (named twice)
        fid_at = schema.names.index(fid_name) if fid_name in schema.names else None
        keep = [i for i, name in enumerate(schema.names) if name != geometry_name and i != fid_at]
        count = 0
        for batch in reader:
            n = batch.num_rows
            if fid_at is not None:
                fids = batch.column(fid_at).to_numpy(zero_copy_only=False).astype(np.int64)
            else:
                fids = np.arange(count, count + n, dtype=np.int64)
            if geometry_name in batch.schema.names:
                wkb = batch.column(geometry_name).to_numpy(zero_copy_only=False)
            else:
                wkb = np.full(n, None, dtype=object)
            if parser is not None:
                parser.feed(np.asarray(wkb, dtype=object), fids)
            else:
                wkb_parts.append(np.asarray(wkb, dtype=object))
            fid_parts.append(fids)
            batches.append(batch.select(keep))
            count += n
    table = pa.Table.from_batches(batches, schema=pa.schema([schema.field(i) for i in keep]))
    fids = np.concatenate(fid_parts) if fid_parts else np.empty(0, dtype=np.int64)
    table, fixes = recover_text(table, fids, driver=driver)
    return RawLayer(
        attributes=table.to_pandas(),
        wkb=np.concatenate(wkb_parts) if wkb_parts else np.empty(0, dtype=object),
        fids=fids,
        crs_wkt=_wkt(meta.get("crs")),
        driver=driver,
        geometry_type=meta.get("geometry_type"),
        cell_fixes=fixes,
    )


def recover_text(table: Any, fids: np.ndarray, *, driver: str) -> tuple[Any, dict]:
    """Find text cells that are not valid UTF-8 in an Arrow table; decode them as the bytes say.

    GeoPackage, GeoJSON and FlatGeobuf text is UTF-8 by specification, but older Chinese tools
    write GBK bytes into it. GDAL hands the bytes on unchanged: Arrow holds an invalid string
    that fails later, and fiona drops the cell (``None``) with only a log line. Each such cell is
    decoded as GB18030 when its bytes decode so (an assumption, reported), else with U+FFFD
    for the undecodable bytes (a problem, reported); never dropped.

    Returns the table with the cells decoded, and the :class:`CellFix` of each, by (fid, field).
    The check is one vectorised UTF-8 validation per text column.

    Examples
    --------
    >>> import pyarrow as pa
    >>> bad = pa.array(["好".encode(), "大板镇".encode("gbk"), None], pa.binary())
    >>> table = pa.table({"名称": bad.view(pa.string())})  # as GDAL hands them on
    >>> fixed, fixes = recover_text(table, np.array([1, 2, 3]), driver="GPKG")
    >>> fixed.column("名称").to_pylist()
    ['好', '大板镇', None]
    >>> fixes[(2, "名称")].code
    'encoding.not_utf8'
    """
    import pyarrow as pa

    fixes: dict[tuple[int, str], CellFix] = {}
    for index, name in enumerate(table.column_names):
        column = table.column(index)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            pass
        else:
            continue
        values = column.cast(pa.large_binary()).to_pylist()
        for row, data in enumerate(values):
            if data is None:
                continue
            try:
                values[row] = data.decode("utf-8")
            except UnicodeDecodeError:
                values[row], fix = _decode_cell(data, driver)
                fixes[(int(fids[row]), str(name))] = fix
        table = table.set_column(index, name, pa.array(values, type=pa.string()))
    return table, fixes


def _decode_cell(data: bytes, driver: str) -> tuple[str, CellFix]:
    """Decode bytes that are not UTF-8: as GB18030 if they decode so, else with U+FFFD."""
    from ..errors import EncodingError

    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
        return text, CellFix(
            text, "encoding.undecodable", Severity.PROBLEM,
            f"bytes {data.hex(' ')} are neither UTF-8 (as {driver} text must be) nor GB18030; "
            f"kept with U+FFFD for the undecodable bytes: {text!r}", EncodingError)
    return text, CellFix(
        text, "encoding.not_utf8", Severity.ASSUMPTION,
        f"text is not UTF-8 as {driver} requires; its bytes {data.hex(' ')} decode as GB18030 "
        f"(GBK written by an older tool): {text!r} used", EncodingError)


def _wkt(crs: Any) -> str | None:
    if crs is None or crs == "":
        return None
    from pyproj import CRS

    return CRS.from_user_input(crs).to_wkt()


class _CountWarnings(logging.Handler):
    """Counts the warnings fiona logs (it logs a cell it cannot decode, then drops it)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


#: Formats whose layers can hold arcs (checked for them when fiona reads, as it linearises
#: them without a word)
_ARCS_POSSIBLE = (".gpkg", ".gml", ".gdb")


def _read_fiona(path: str | os.PathLike[str], layer: str | None, encoding: str | None) -> RawLayer:
    import fiona

    kwargs: dict[str, Any] = {"encoding": encoding} if encoding else {}
    records: list[dict[str, Any]] = []
    fids: list[int] = []
    geoms: list[Any] = []
    counter = _CountWarnings()
    fiona_log = logging.getLogger("fiona.ogrext")
    level = fiona_log.level
    fiona_log.addHandler(counter)
    if fiona_log.getEffectiveLevel() > logging.WARNING:
        fiona_log.setLevel(logging.WARNING)
    try:
        with fiona.open(path, layer=layer, **kwargs) as src:
            driver = src.driver
            crs_wkt = src.crs_wkt or None
            geometry_type = src.schema.get("geometry")
            columns = list(src.schema["properties"])
            for row, feature in enumerate(src):
                try:
                    fids.append(int(feature.id))
                except (TypeError, ValueError):  # GeoJSON ids may be text: the row number then
                    fids.append(row)
                records.append(dict(feature.properties))
                geoms.append(feature.geometry)
    finally:
        fiona_log.removeHandler(counter)
        fiona_log.setLevel(level)
    attributes = pd.DataFrame.from_records(records, columns=columns)
    fixes: dict[tuple[int, str], CellFix] = {}
    if counter.count and encoding is None:
        attributes, fixes = _fiona_text_again(path, layer, np.asarray(fids), attributes, driver)
    wkb = np.empty(len(geoms), dtype=object)
    for i, geometry in enumerate(geoms):
        wkb[i] = None if geometry is None else _geojson_to_wkb(geometry)
    notes: list[tuple[str, str, Severity, int | None]] = []
    if os.path.splitext(os.fspath(path))[1].lower() in _ARCS_POSSIBLE:  # fiona linearises
        notes = linearised_note(nonlinear_features(path, layer))      # silently: say where
    return RawLayer(
        attributes=attributes,
        wkb=wkb,
        fids=np.asarray(fids, dtype=np.int64),
        crs_wkt=crs_wkt,
        driver=driver,
        geometry_type=None if geometry_type in (None, "None") else str(geometry_type),
        cell_fixes=fixes,
        notes=notes,
    )


def _fiona_text_again(
    path: str | os.PathLike[str], layer: str | None, fids: np.ndarray,
    attributes: pd.DataFrame, driver: str,
) -> tuple[pd.DataFrame, dict[tuple[int, str], CellFix]]:
    """Cells fiona could not decode (and dropped): their bytes, read again through GDAL's Arrow
    interface without the geometries, recovered by :func:`recover_text`."""
    import pyogrio

    meta, table = pyogrio.read_arrow(path, layer=layer, read_geometry=False, return_fids=True,
                                     columns=list(attributes.columns))
    fid_name = meta.get("fid_column") or "OGC_FID"
    if fid_name in table.column_names:
        again = table.column(fid_name).to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        again = np.arange(table.num_rows, dtype=np.int64)
    if not np.array_equal(again, fids):  # pragma: no cover - same driver, same order
        raise LayerReadError(f"{path}:{layer}: cannot re-read the text fiona failed to decode")
    table = table.select(list(attributes.columns))
    table, fixes = recover_text(table, fids, driver=driver)
    fixed = attributes.copy()
    for _, name in fixes:
        fixed[name] = table.column(name).to_pylist()
    return fixed, fixes


def _geojson_to_wkb(geometry: Any) -> bytes:
    """ISO WKB of a fiona geometry, keeping unclosed rings unclosed (so they are caught later)."""
    kind = geometry["type"] if isinstance(geometry, dict) else geometry.type
    if kind == "GeometryCollection":
        parts = geometry["geometries"] if isinstance(geometry, dict) else geometry.geometries
        body = b"".join(_geojson_to_wkb(g) for g in parts)
        return struct.pack("<BII", 1, 7, len(parts)) + body
    coords = geometry["coordinates"] if isinstance(geometry, dict) else geometry.coordinates
    return _encode(kind, coords)


_WKB_CODES = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPoint": 4,
              "MultiLineString": 5, "MultiPolygon": 6}


def _dims(kind: str, coords: Any) -> int:
    probe = coords
    for _ in range({"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2,
                    "MultiLineString": 2, "MultiPolygon": 3}[kind]):
        if not probe:
            return 2
        probe = probe[0]
    return 3 if len(probe) >= 3 else 2


def _encode(kind: str, coords: Any) -> bytes:
    dims = _dims(kind, coords)
    code = _WKB_CODES[kind] + (1000 if dims == 3 else 0)
    fmt = "<" + "d" * dims

    def points(seq: Any) -> bytes:
        return struct.pack("<I", len(seq)) + b"".join(struct.pack(fmt, *p[:dims]) for p in seq)

    head = struct.pack("<BI", 1, code)
    if kind == "Point":
        if not coords:
            return head + struct.pack(fmt, *([float("nan")] * dims))
        return head + struct.pack(fmt, *coords[:dims])
    if kind == "LineString":
        return head + points(coords)
    if kind == "Polygon":
        return head + struct.pack("<I", len(coords)) + b"".join(points(r) for r in coords)
    part = {"MultiPoint": "Point", "MultiLineString": "LineString",
            "MultiPolygon": "Polygon"}[kind]
    return head + struct.pack("<I", len(coords)) + b"".join(_encode(part, c) for c in coords)
