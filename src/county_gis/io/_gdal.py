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

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LayerReadError
from ._engines import RawLayer, read_raw
from ._report import Severity

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["checked_layers", "gdal_layers", "gml_layers", "read_checked", "read_geojson",
           "read_gml", "read_shapefile", "read_utf8", "shapefile_layers", "single_layer"]

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
    report.encoding = "UTF-8"
    report.encoding_evidence = f"{name} text is UTF-8 by specification; " + (
        f"{len(raw.cell_fixes)} cell(s) are not (listed)" if raw.cell_fixes
        else "every text cell is valid UTF-8")
    return raw


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
    """The layers of a file that must be of GDAL format ``driver`` (content checked)."""
    _check_content(path, driver)
    return gdal_layers(path)


def read_checked(path: Path, request: ReadRequest) -> RawLayer:
    """GPX, TopoJSON, FileGDB: content checked, then read as GDAL decodes the text.

    GPX is XML (decoded by GDAL as its declaration says), TopoJSON is JSON (UTF-8) and
    FileGDB stores text as UTF-16: GDAL hands on UTF-8 in every case, so ``encoding=`` is
    ignored (said so).
    """
    name = request.source.name
    _check_content(path, name)
    layer = single_layer(path, request)
    report = request.report
    if request.encoding is not None:
        report.add("encoding.ignored", f"encoding={request.encoding!r} ignored: GDAL decodes "
                   f"{name} text itself", severity=Severity.INFO)
    raw = read_raw(path, layer=layer, encoding=None, engine=request.engine, driver=name,
                   parser=request.parser)
    if name == "GPX":
        declared = _xml_encoding(path)
        report.encoding = declared
        report.encoding_evidence = (f"GPX is XML: decoded by GDAL as its declaration says "
                                    f"({declared}; UTF-8 when it says none)")
    else:
        report.encoding = "UTF-8"
        report.encoding_evidence = (f"{name} text is Unicode by specification (GDAL gives "
                                    "UTF-8); " + (f"{len(raw.cell_fixes)} cell(s) are not "
                                                  "valid UTF-8 (listed)" if raw.cell_fixes
                                                  else "every text cell is valid UTF-8"))
    return raw


def _gml_copy(path: Path, folder: Path) -> Path:
    """The GML and its schema files (same stem: ``.xsd``, ``.gfs``) copied into ``folder``."""
    for part in path.parent.glob(f"{path.stem}.*"):
        if part.is_file() and part.stem == path.stem:
            shutil.copy2(part, folder / part.name)
    return folder / path.name


def gml_layers(path: Path) -> dict[str, str]:
    """The layers of a GML (read in a temporary copy: GDAL writes a ``.gfs`` beside it)."""
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        return checked_layers(_gml_copy(path, Path(tmp)), "GML")


def read_gml(path: Path, request: ReadRequest) -> RawLayer:
    """A GML layer, read from a temporary copy (GDAL's GML driver writes a ``.gfs`` schema
    file beside what it reads); the text decoded by GDAL as the XML declaration says."""
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        copy = _gml_copy(path, Path(tmp))
        _check_content(copy, "GML")
        layer = single_layer(copy, request)
        raw = read_raw(copy, layer=layer, encoding=None, engine=request.engine,
                       driver=request.source.name, parser=request.parser)
    declared = _xml_encoding(path)
    request.report.encoding = declared
    request.report.encoding_evidence = (f"GML is XML: decoded by GDAL as its declaration says "
                                        f"({declared}; UTF-8 when it says none)")
    if request.encoding is not None:
        request.report.add("encoding.ignored", f"encoding={request.encoding!r} ignored: GDAL "
                           "decodes GML text as its XML declaration says", severity=Severity.INFO)
    return raw
