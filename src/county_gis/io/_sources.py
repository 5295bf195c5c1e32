"""The input source registry: every source is one module and one line of :data:`SOURCES`.

A source turns a file (or a URL) into a :class:`~._engines.RawLayer` — the *raw level*:
geometries as WKB, the attribute table, the declared CRS, the driver name, and the encoding
decision and per-source notes in the load report — and stops there.
:func:`~county_gis.io.read_layer` finds the source with :func:`source_for` and runs the shared
checks (geometry, CRS, attributes, load report) on what it returns, the same for every source,
the way ``geopandas.io.file`` keeps its ``_EXTENSION_TO_DRIVER`` table and pyogrio separates
``raw.py`` from ``geopandas.py``.

Adding a source
---------------
Write a module ``_<name>.py`` with two functions,

* ``<name>_layers(path: Path) -> dict[str, str]``: layer name -> geometry type, and
* ``read_<name>(path: Path, request: ReadRequest) -> RawLayer``: one layer (``request.layer``,
  or every feature when the source reads all at once), noting in ``request.report`` the
  encoding decision (``report.encoding`` / ``report.encoding_evidence``) and anything the
  source had to assume,

and add one :class:`Source` line to :data:`SOURCES`. The parametrised format tests
(``tests/test_io_registry.py``) then require a builder for it in ``tests/io_corpus.py``.

Examples
--------
>>> source_for("道路.SHP").name, source_for("宗地.dxf").name
('ESRI Shapefile', 'DXF')
>>> [s.key for s in SOURCES]
['shapefile', 'geopackage', 'geojson', 'flatgeobuf', 'kml', 'csv', 'xlsx', 'geoparquet', \
'dxf', 'jzd', 'gpx', 'gml', 'topojson', 'filegdb', 'postgis']
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, LayerReadError
from . import _dxf, _gdal, _jzd, _kml, _parquet, _postgis, _tables
from ._engines import Engine, RawLayer
from ._geometry import WkbParser
from ._report import LoadReport

__all__ = ["ARCHIVES", "SOURCES", "Format", "ReadRequest", "Source", "source_for",
           "source_for_bytes"]

#: Archives opened before the source is looked up (``.kmz`` holds a KML).
ARCHIVES = (".zip", ".kmz")


@dataclass
class ReadRequest:
    """What :func:`~county_gis.io.read_layer` asks of a source.

    ``path`` is the source as the user named it (for messages; the reader gets the opened,
    read-safe path as its first argument). ``parser`` takes the WKB while it is read, for
    sources that stream; a source that does not feed it returns the WKB in its
    :class:`~._engines.RawLayer` instead. ``options`` are the source options of
    ``read_layer(options=...)``, already checked against :attr:`Source.options`.
    """

    source: Source
    path: str
    layer: str | None
    encoding: str | None
    engine: Engine
    report: LoadReport
    parser: WkbParser
    options: Mapping[str, Any] = field(default_factory=dict)


#: ``(opened path) -> {layer name: geometry type}`` (the URL text for URL sources)
Lister = Callable[[Any], dict[str, str]]
#: ``(opened path, request) -> RawLayer`` (the URL text for URL sources)
Reader = Callable[[Any, ReadRequest], RawLayer]


@dataclass(frozen=True)
class Source:
    """One input source: how it is recognised, its two functions, and what it returns.

    Attributes
    ----------
    key : str
        Short name (``"dxf"``); the :class:`Format` member is its upper case.
    name : str
        The driver name the load report shows (GDAL's where GDAL reads it).
    suffixes : tuple of str
        File suffixes, lower case with the dot.
    list_layers, read_raw : callable
        See the module docstring.
    returns : str
        What the raw level holds for this source (documentation, shown by ``sources_table``).
    schemes : tuple of str
        URL schemes (``postgresql``) for sources that are not files.
    magic : tuple of bytes
        First bytes that identify the format in memory: sources with magic are read from
        ``bytes`` or a binary file object too.
    options : Mapping of str to type
        Source options ``read_layer(options=...)`` accepts for this source, with their type.
    sniff : tuple of bytes
        Text that, found in the first 4 KiB of a file, chooses this source over the others
        sharing its suffix (a 界址点 TXT is a ``.txt`` like a coordinate table).
    """

    key: str
    name: str
    suffixes: tuple[str, ...]
    list_layers: Lister
    read_raw: Reader
    returns: str
    schemes: tuple[str, ...] = ()
    magic: tuple[bytes, ...] = ()
    options: Mapping[str, type] = field(default_factory=dict)
    sniff: tuple[bytes, ...] = ()

    def check_options(self, options: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
        """``options`` checked against :attr:`options` (names and types).

        Raises
        ------
        ConfigError
            Naming the option, its value and what this source accepts.
        """
        checked: dict[str, Any] = {}
        allowed = ", ".join(f"{k} ({t.__name__})" for k, t in self.options.items()) or "none"
        for key, value in (options or {}).items():
            kind = self.options.get(key)
            if kind is None:
                raise ConfigError(f"{where}: option {key!r} is not one of the {self.name} "
                                  f"source's options: {allowed}; drop it")
            if not isinstance(value, kind):
                raise ConfigError(f"{where}: option {key}={value!r} must be a "
                                  f"{kind.__name__} for {self.name} sources")
            checked[key] = value
        return checked


def _read_kml(path: Path, request: ReadRequest) -> RawLayer:
    request.report.engine = "county_gis"  # parsed here, whatever the engine
    return _kml.read_kml(path, layer=request.layer, report=request.report,
                         encoding=request.encoding)


def _read_parquet(path: Path, request: ReadRequest) -> RawLayer:
    request.report.engine = "pyarrow"  # GDAL here has no Parquet driver
    return _parquet.read_geoparquet(path, report=request.report)


def _parquet_layers(path: Path) -> dict[str, str]:
    return {path.stem: "Unknown"}


def _gpx_layers(path: Path) -> dict[str, str]:
    return _gdal.checked_layers(path, "GPX")


def _topojson_layers(path: Path) -> dict[str, str]:
    return _gdal.checked_layers(path, "TopoJSON")


def _filegdb_layers(path: Path) -> dict[str, str]:
    return _gdal.checked_layers(path, "OpenFileGDB")


_WKB = "WKB + attribute table + CRS (GDAL, streamed)"

#: The registry: one line per source (suffixes / schemes -> reader -> what it returns).
SOURCES: tuple[Source, ...] = (
    Source("shapefile", "ESRI Shapefile", (".shp",), _gdal.shapefile_layers,
           _gdal.read_shapefile, _WKB + "; DBF bytes decoded by county_gis"),
    Source("geopackage", "GPKG", (".gpkg",), _gdal.gdal_layers, _gdal.read_utf8, _WKB,
           magic=(b"SQLite format 3\x00",)),
    Source("geojson", "GeoJSON", (".geojson", ".json"), _gdal.gdal_layers, _gdal.read_geojson,
           _WKB + "; non-UTF-8 text transcoded", magic=(b"{",)),
    Source("flatgeobuf", "FlatGeobuf", (".fgb",), _gdal.gdal_layers, _gdal.read_utf8, _WKB,
           magic=(b"fgb\x03",)),
    Source("kml", "KML", (".kml",), _kml.kml_layers, _read_kml,
           "WKB + placemark fields + folder path; CRS84 (parsed by county_gis)"),
    Source("csv", "CSV", (".csv", ".txt"), _tables.csv_layers, _tables.read_csv,
           "points from coordinate columns + the other columns; no CRS"),
    Source("xlsx", "XLSX", (".xlsx",), _tables.xlsx_layers, _tables.read_xlsx,
           "points from coordinate columns, one sheet + the other columns; no CRS",
           options=_tables.OPTIONS),
    Source("geoparquet", "GeoParquet", (".parquet", ".geoparquet"), _parquet_layers,
           _read_parquet, "WKB + attribute table + CRS from the 'geo' metadata (pyarrow)",
           magic=(b"PAR1",)),
    Source("dxf", "DXF", (".dxf",), _dxf.dxf_layers, _dxf.read_dxf,
           "WKB + CAD layer, text, handle; no CRS (GDAL); closed polylines as labelled "
           "polygons on request", options=_dxf.OPTIONS),
    Source("jzd", "界址点TXT", (".txt",), _jzd.jzd_layers, _jzd.read_jzd,
           "WKB of each 地块 + its header fields + CRS from [属性描述] (parsed by county_gis)",
           sniff=_jzd.SNIFF),
    Source("gpx", "GPX", (".gpx",), _gpx_layers, _gdal.read_checked,
           _WKB + "; waypoints, routes, tracks, route_points, track_points; EPSG:4326"),
    Source("gml", "GML", (".gml",), _gdal.gml_layers, _gdal.read_checked,
           _WKB + "; read from a temporary copy (GDAL writes a .gfs beside a GML)"),
    Source("topojson", "TopoJSON", (".topojson",), _topojson_layers, _gdal.read_checked,
           _WKB + "; arcs assembled by GDAL"),
    Source("filegdb", "OpenFileGDB", (".gdb",), _filegdb_layers, _gdal.read_checked,
           _WKB + "; a .gdb folder (or a zip holding one)"),
    Source("postgis", "PostGIS", (), _postgis.postgis_layers, _postgis.read_postgis,
           "WKB (ST_AsBinary) + attribute table + CRS of the SRID, one table or query "
           "(psycopg)", schemes=("postgresql", "postgres"), options=_postgis.OPTIONS),
)

#: Source formats, derived from :data:`SOURCES` (for ``inspect`` output and type hints).
Format = enum.Enum("Format", [(s.key.upper(), s.name) for s in SOURCES])  # type: ignore[misc]
Format.__doc__ = "Source formats read by :func:`county_gis.read_layer` (one per registry line)."


def _supported() -> str:
    names = sorted({x for s in SOURCES for x in s.suffixes} | set(ARCHIVES))
    schemes = sorted(f"{x}://" for s in SOURCES for x in s.schemes)
    return ", ".join(names + schemes)


def scheme_of(text: str | os.PathLike[str]) -> str | None:
    """The URL scheme of ``text`` (``postgresql``), or None for a plain path (``C:\\x``)."""
    text = os.fspath(text)
    head, sep, _ = text.partition("://")
    return head.lower() if sep and len(head) > 1 and head.isascii() else None


def source_for(path: str | os.PathLike[str]) -> Source:
    """The source that reads ``path``: by URL scheme, else by suffix (case-insensitive).

    Raises
    ------
    LayerReadError
        If no source reads it; the message lists what is supported.

    Examples
    --------
    >>> source_for("postgresql://gis@localhost/county").key
    'postgis'
    >>> source_for("plots.dwg")
    Traceback (most recent call last):
    ...
    county_gis.errors.LayerReadError: plots.dwg: unknown format '.dwg'; supported: .csv, ...
    """
    scheme = scheme_of(path)
    for source in SOURCES:
        if scheme is not None and scheme in source.schemes:
            return source
    if scheme is None:
        suffix = Path(path).suffix.lower()
        found = [source for source in SOURCES if suffix in source.suffixes]
        if len(found) > 1 and Path(path).is_file():  # several read it: the content decides
            with open(path, "rb") as handle:
                head = handle.read(4096)
            found = [s for s in found if any(m in head for m in s.sniff)] or [
                s for s in found if not s.sniff]
        if found:
            return found[0]
        what = f"unknown format {Path(path).suffix!r}"
    else:
        what = f"unknown URL scheme {scheme + '://'!r}"
    raise LayerReadError(f"{os.fspath(path)}: {what}; supported: {_supported()}")


def source_for_bytes(head: bytes, where: str) -> Source:
    """The source whose magic bytes start ``head`` (after a BOM and white space).

    Raises
    ------
    LayerReadError
        If no source that can be read from memory recognises the bytes.

    Examples
    --------
    >>> source_for_bytes(b'  {"type": "FeatureCollection"', "<bytes>").name
    'GeoJSON'
    """
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    for source in SOURCES:
        if any(stripped.startswith(m) for m in source.magic):
            return source
    names = ", ".join(s.name for s in SOURCES if s.magic)
    raise LayerReadError(f"{where}: the bytes start {head[:16]!r}, which is none of the formats "
                         f"read from memory ({names}); save them to a file with its suffix "
                         "and pass the path")
