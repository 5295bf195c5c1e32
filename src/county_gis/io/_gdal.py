"""The GDAL vector sources: Shapefile, GeoPackage, GeoJSON, FlatGeobuf, GPX, GML, TopoJSON,
FileGDB.

Read through one of the two engines (:mod:`._engines`) into a :class:`~._engines.RawLayer`;
the WKB is parsed while GDAL streams the layer. What differs per format is only what has to
happen before GDAL sees the file: a shapefile's parts are checked (and repaired in a copy), a
GeoJSON that is not UTF-8 is transcoded to a UTF-8 copy; GeoPackage and FlatGeobuf text is
UTF-8 by specification (cells that are not are recovered by :func:`~._engines.recover_text`).

GPX, GML, TopoJSON and FileGDB (``.gdb`` folders, also zipped) are chosen by their suffix like
every source, and their content is checked: GDAL must open the file with that format's own
driver (a ``.gpx`` that holds GeoJSON is refused, not read as whatever GDAL recognises). A GML
is read from a temporary copy: GDAL's GML driver writes a ``.gfs`` schema file beside the file
it reads, and inputs are never modified.
"""

from __future__ import annotations

import functools
import re
import shutil
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import EncodingError, LayerReadError, Place
from ._engines import RawLayer, read_raw
from ._report import LoadReport, Severity

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["checked_layers", "gdal_layers", "gml_layers", "read_checked", "read_geojson",
           "read_shapefile", "read_utf8", "shapefile_layers", "single_layer"]

_SHAPE_TYPES = {0: "None", 1: "Point", 3: "LineString", 5: "Polygon", 8: "MultiPoint",
                11: "Point Z", 13: "LineString Z", 15: "Polygon Z", 18: "MultiPoint Z",
                21: "Point M", 23: "LineString M", 25: "Polygon M", 28: "MultiPoint M",
                31: "MultiPatch"}


def gdal_layers(path: Path) -> dict[str, str]:
    """The layers GDAL lists: name -> geometry type."""
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise LayerReadError(f"{path}: cannot list layers: {exc}") from exc
    return {str(name): str(kind) for name, kind in layers}


def shapefile_layers(path: Path) -> dict[str, str]:
    """One layer, typed by the ``.shp`` header (GDAL would fail on a missing ``.shx`` here)."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100:
        raise LayerReadError(f"{path}: not a shapefile (bad header)")
    return {path.stem: _SHAPE_TYPES.get(int.from_bytes(header[32:36], "little"), "Unknown")}


def single_layer(path: Path, request: ReadRequest) -> str | None:
    """The layer to read: ``request.layer``, or the only one; several without a choice refused.

    Raises
    ------
    LayerReadError
        If the source has several layers and none was chosen.
    """
    if request.layer is not None:
        return request.layer
    layers = request.source.list_layers(path)
    if len(layers) > 1:
        names = ", ".join(repr(name) for name in layers)
        raise LayerReadError(
            f"{request.path} has {len(layers)} layers ({names}); pass layer=... or "
            "read them all with read_layers()"
        )
    layer = next(iter(layers)) if layers else None
    request.report.layer = layer
    return layer


def read_shapefile(path: Path, request: ReadRequest) -> RawLayer:
    """A shapefile: parts checked, DBF encoding from the bytes, cells GDAL misreads fixed."""
    from ._shapefile import check_shapefile

    layer = single_layer(path, request)
    check = check_shapefile(path, encoding=request.encoding, report=request.report)
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        source = check.working_copy(path, Path(tmp)) if check.needs_copy else path
        raw = read_raw(source, layer=layer, encoding=check.encoding, engine=request.engine,
                       driver=request.source.name, parser=request.parser)
    raw.cell_fixes.update(check.fixes)
    return raw


def read_geojson(path: Path, request: ReadRequest) -> RawLayer:
    """A GeoJSON: read from a UTF-8 copy when its bytes are not UTF-8 (GBK exports)."""
    from ._text import geojson_as_utf8

    layer = single_layer(path, request)
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        utf8 = geojson_as_utf8(path, Path(tmp), encoding=request.encoding,
                               report=request.report)
        return read_raw(utf8, layer=layer if utf8 == path else None, encoding=None,
                        engine=request.engine, driver=request.source.name,
                        parser=request.parser)


def read_utf8(path: Path, request: ReadRequest) -> RawLayer:
    """A format whose text is UTF-8 by specification (GeoPackage, FlatGeobuf)."""
    layer = single_layer(path, request)
    report, name = request.report, request.source.name
    if request.encoding is not None:
        report.add("encoding.ignored", f"encoding={request.encoding!r} ignored: {name} text is "
                   "UTF-8 by specification", severity=Severity.INFO)
    raw = read_raw(path, layer=layer, encoding=None, engine=request.engine, driver=name,
                   parser=request.parser)
    if name == "FlatGeobuf":
        raw.attributes = _signed_bytes(raw.attributes, fgb_byte_columns(path))
    report.encoding = "UTF-8"
    report.encoding_evidence = f"{name} text is UTF-8 by specification; " + (
        f"{len(raw.cell_fixes)} cell(s) are not (listed)" if raw.cell_fixes
        else "every text cell is valid UTF-8")
    return raw


def fgb_byte_columns(path: Path) -> list[str]:
    """The FlatGeobuf columns of type ``Byte`` (signed 8 bits), from the file's header.

    GDAL's Arrow stream reads them as unsigned (-1 comes back as 255) while its feature
    interface reads them signed; the header says which columns are. Returns ``[]`` when the
    header cannot be read (GDAL then reports the file).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            size = struct.unpack_from("<I", head, 8)[0] if head[:3] == b"fgb" else 0
            buf = handle.read(min(size, 1 << 24))
        u32 = functools.partial(struct.unpack_from, "<I", buf)

        def field(table: int, index: int) -> int:  # position of a table's field, 0: absent
            vtable = table - struct.unpack_from("<i", buf, table)[0]
            vsize = struct.unpack_from("<H", buf, vtable)[0]
            if 4 + 2 * index >= vsize:
                return 0
            offset = struct.unpack_from("<H", buf, vtable + 4 + 2 * index)[0]
            return table + offset if offset else 0

        header = u32(0)[0]
        at = field(header, 7)  # Header.columns: [Column]
        if not at:
            return []
        vector = at + u32(at)[0]
        names = []
        for j in range(u32(vector)[0]):
            element = vector + 4 + 4 * j
            column = element + u32(element)[0]
            kind_at = field(column, 1)  # Column.type, ubyte, default 0 = Byte
            if (buf[kind_at] if kind_at else 0) == 0:
                name_at = field(column, 0)
                text = name_at + u32(name_at)[0]
                names.append(buf[text + 4:text + 4 + u32(text)[0]].decode("utf-8"))
        return names
    except (struct.error, IndexError, UnicodeDecodeError, OSError):
        return []


def _signed_bytes(attributes: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Values of signed 8-bit columns read as unsigned (128..255) back to -128..-1."""
    for name in columns:
        if name in attributes.columns and pd.api.types.is_integer_dtype(attributes[name]):
            values = attributes[name]
            attributes[name] = values.where(values < 128, values - 256)
    return attributes


def _driver_of(path: Path) -> str | None:
    """The GDAL driver that opens ``path`` (None when none does)."""
    import warnings

    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyogrio's notes on field types: not the question
            return str(pyogrio.read_info(path)["driver"])
    except Exception:  # no driver opens it: the caller says so
        return None


def _check_content(path: Path, driver: str) -> None:
    """Refuse a file whose content is not the format its suffix names.

    Raises
    ------
    LayerReadError
        Naming the driver GDAL would have used instead, or saying that none opens it.
    """
    found = _driver_of(path)
    if found == driver:
        return
    kind = "folder" if path.is_dir() else "file"
    if found is None:
        raise LayerReadError(f"{path}: the {kind} is named {path.suffix!r} but GDAL's {driver} "
                             f"driver cannot open it (damaged, empty or another format)")
    raise LayerReadError(f"{path}: the {kind} is named {path.suffix!r} but its content is "
                         f"{found}, not {driver}; give it the suffix of what it holds")


def _xml_encoding(path: Path) -> str:
    """The encoding an XML file declares (``<?xml ... encoding="GB2312"?>``), else UTF-8."""
    with open(path, "rb") as handle:
        head = handle.read(200)
    match = re.match(rb'\s*(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding=["\']([A-Za-z0-9._-]+)', head)
    return match.group(1).decode("ascii") if match else "UTF-8"


def checked_layers(path: Path, driver: str) -> dict[str, str]:
    """The layers of a file that must be of GDAL format ``driver`` (content checked); an XML
    format (GPX, GML) in an encoding GDAL cannot read is listed from a UTF-8 copy."""
    if driver not in ("GPX", "GML"):
        _check_content(path, driver)
        return gdal_layers(path)
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        readable = _xml_copy(path, Path(tmp), None) if driver == "GML" else \
            _xml_as_utf8(path, Path(tmp), None)
        _check_content(readable, driver)
        return gdal_layers(readable)


def read_checked(path: Path, request: ReadRequest) -> RawLayer:
    """GPX, GML, TopoJSON, FileGDB: content checked, then read as GDAL decodes the text.

    GPX and GML are XML, decoded by GDAL as their declaration says (from a UTF-8 copy when
    it names an encoding GDAL's parser cannot read, such as GB2312); a GML is always read
    from a temporary copy (GDAL writes a ``.gfs`` beside it). TopoJSON is JSON (UTF-8) and
    FileGDB stores text as UTF-16: GDAL hands on UTF-8 in every case, so ``encoding=`` is
    ignored (said so). GPX times are UTC timestamps (see :func:`_gpx_times`).
    """
    name, report = request.source.name, request.report
    if request.encoding is not None:
        report.add("encoding.ignored", f"encoding={request.encoding!r} ignored: GDAL decodes "
                   f"{name} text itself", severity=Severity.INFO)
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        if name == "GML":
            readable = _xml_copy(path, Path(tmp), report)
        elif name == "GPX":
            readable = _xml_as_utf8(path, Path(tmp), report)
        else:
            readable = path
        _check_content(readable, name)
        layer = single_layer(readable, request)
        raw = read_raw(readable, layer=layer, encoding=None, engine=request.engine,
                       driver=name, parser=request.parser, times_as_text=name == "GPX")
    if name == "GPX":
        raw.attributes = _gpx_times(raw.attributes, report)
    elif name != "GML":
        report.encoding = "UTF-8"
        report.encoding_evidence = (f"{name} text is Unicode by specification (GDAL gives "
                                    "UTF-8); " + (f"{len(raw.cell_fixes)} cell(s) are not "
                                                  "valid UTF-8 (listed)" if raw.cell_fixes
                                                  else "every text cell is valid UTF-8"))
    return raw


#: XML encodings GDAL's XML parser (expat) reads itself
_EXPAT_ENCODINGS = ("utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin-1", "latin1",
                    "us-ascii", "ascii")


def _xml_as_utf8(path: Path, folder: Path, report: LoadReport | None) -> Path:
    """``path``, or a UTF-8 copy of it in ``folder`` when its declared encoding is one GDAL's
    XML parser cannot read (GB2312, GBK, GB18030, as Chinese GPS software writes); the
    decision goes to the report."""
    declared = _xml_encoding(path)
    kind = path.suffix.lstrip(".").upper()
    if report is not None:
        report.encoding = declared
        report.encoding_evidence = (f"{kind} is XML: decoded by GDAL as its declaration says "
                                    f"({declared}; UTF-8 when it says none)")
    if declared.lower() in _EXPAT_ENCODINGS:
        return path
    codec = "gb18030" if declared.lower().replace("-", "") in ("gb2312", "gbk", "gb18030") \
        else declared
    try:
        text = path.read_bytes().decode(codec)
    except (LookupError, UnicodeDecodeError) as exc:
        raise EncodingError(f"the XML declares encoding={declared!r}, but the bytes do not "
                            f"decode so ({exc}); re-save it as UTF-8",
                            Place(str(path) if report is None else report.source,
                                  None if report is None else report.layer)) from None
    text = re.sub(r'^(\ufeff?\s*<\?xml[^>]*encoding=["\'])[^"\']+', r"\g<1>UTF-8", text, count=1)
    copy = folder / path.name
    copy.write_text(text, encoding="utf-8")
    if report is not None:
        report.encoding_evidence = (
            f"{kind} is XML declaring {declared}, which GDAL's XML parser does not read: "
            f"decoded here as {codec.upper()} (GBK and GB2312 as their superset GB18030) into a "
            "UTF-8 temporary copy")
    return copy


def _gpx_times(attributes: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """GPX ``time`` values as UTC timestamps (GPX 1.1: times are UTC): an offset written in a
    value is applied; a value without one is taken as UTC, as the format says (noted)."""
    zoned = re.compile(r"(Z|[+-]\d\d(:?\d\d)?)$")
    for column in [c for c in attributes.columns if str(c) == "time"]:
        values = attributes[column]
        texts = [v for v in values.tolist() if isinstance(v, str) and v]
        if not texts:
            continue
        bare = sum(zoned.search(t.strip()) is None for t in texts)
        try:
            parsed = pd.to_datetime(values, utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            report.add("gpx.time_unreadable", f"'time' values are not all ISO 8601 times "
                       f"({exc}): kept as text", severity=Severity.PROBLEM, field=str(column))
            continue
        attributes[column] = parsed
        if bare:
            report.add("gpx.time", f"{bare} of {len(texts)} 'time' value(s) state no time "
                       "zone: taken as UTC, as GPX 1.1 specifies (timezone-aware, UTC)",
                       severity=Severity.ASSUMPTION, field=str(column))
        else:
            report.add("gpx.time", "'time': every value states its offset: converted to UTC "
                       "(timezone-aware)", severity=Severity.INFO, field=str(column))
    return attributes


def _xml_copy(path: Path, folder: Path, report: LoadReport | None) -> Path:
    """A GML and its schema files (same stem: ``.xsd``, ``.gfs``) copied into ``folder``,
    the GML in UTF-8 when its declared encoding needs it (GDAL's GML driver writes a ``.gfs``
    beside the file it reads: never beside the user's)."""
    for part in path.parent.glob(f"{path.stem}.*"):
        if part.is_file() and part.stem == path.stem and part != path:
            shutil.copy2(part, folder / part.name)
    with tempfile.TemporaryDirectory(prefix="county_gis_", dir=folder) as inner:
        readable = _xml_as_utf8(path, Path(inner), report)
        return Path(shutil.copy2(readable, folder / path.name))


def gml_layers(path: Path) -> dict[str, str]:
    """The layers of a GML (listed from a temporary copy: GDAL writes a ``.gfs`` beside it)."""
    return checked_layers(path, "GML")
