"""A file's format is decided by its suffix and checked against its first bytes.

GDAL opens a file by what it holds, not by its name: a ``.geojson`` (or ``.gpkg``, ``.tif``
...) holding GDAL VRT XML makes GDAL read the files and URLs the XML names. So the suffix
decides which source reads a file (:func:`~._sources.source_for`), and :func:`check_content`
then checks the first bytes against that source and refuses a mismatch, naming both — before
any reader sees the file. Text sources are read whole (CSV, KML, GeoJSON, DXF): they are
refused above :data:`MAX_TEXT_BYTES`, with the limit in the message, before a byte is read.
A GeoJSON ``"crs"`` of type ``link`` is refused (GDAL would fetch it). What the first bytes
hold is told by :func:`county_gis._magic.sniff` (shared with the raster reader; its examples
are there).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .._magic import HEAD_BYTES as _HEAD
from .._magic import sniff
from ..errors import LayerReadError

if TYPE_CHECKING:
    from ._sources import Source

__all__ = ["MAX_TEXT_BYTES", "TEXT_SOURCES", "check_content", "check_geojson_crs", "sniff"]

#: Largest text source read (CSV, KML, GeoJSON, DXF are read whole): 256 MiB.
MAX_TEXT_BYTES = 256 * 1024 * 1024

#: Sources whose files are text read whole into memory.
TEXT_SOURCES = ("geojson", "kml", "csv", "dxf")

#: What each source's first bytes must show: a description of the content it expects.
_EXPECTED = {
    "shapefile": "a shapefile .shp",
    "geopackage": "an SQLite database (GeoPackage)",
    "flatgeobuf": "a FlatGeobuf file",
    "geoparquet": "a Parquet file",
    "xlsx": "a ZIP archive (XLSX, KMZ or zipped files)",
    "geojson": "JSON text",
    "kml": "KML (XML)",
    "dxf": "a DXF drawing",
    "csv": "text",
}

#: Rasters: suffix -> the content it must hold (others: anything but a VRT or XML).
RASTER_CONTENT = {".tif": "a TIFF image", ".tiff": "a TIFF image", ".gtiff": "a TIFF image"}


def _matches(source_key: str, found: str) -> bool:
    expected = _EXPECTED.get(source_key)
    if expected is None:
        return True
    if source_key == "xlsx" and found == "an empty ZIP archive":
        return True
    if source_key == "csv":  # read by county_gis, never by GDAL: any text is fine
        return found in ("text", "JSON text", "UTF-16 text", "XML", "a DXF drawing", "KML (XML)")
    if source_key == "dxf":
        return found in ("a DXF drawing", "a binary DXF drawing", "text")
    return found == expected


def check_content(path: Path, source: Source, *, where: str | None = None) -> None:
    """Refuse ``path`` when its first bytes are not what its suffix says, or it is too large.

    Raises
    ------
    LayerReadError
        Naming the suffix's format and what the bytes show, or the size and the limit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from county_gis.io._sources import source_for
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "roads.geojson"
    >>> _ = bad.write_text('<OGRVRTDataSource><OGRVRTLayer name="r"/></OGRVRTDataSource>')
    >>> check_content(bad, source_for(bad), where="roads.geojson")
    Traceback (most recent call last):
    ...
    county_gis.errors.LayerReadError: roads.geojson: the suffix .geojson says GeoJSON (JSON \
text) but the file holds a GDAL VRT (XML that makes GDAL read other files and URLs); refused. \
Save it in the format its suffix names (or give it the suffix of what it is)
    """
    where = where or str(path)
    if path.is_dir():
        if source.key == "filegdb":  # a FileGDB is a folder; its source checks it opens
            return
        raise LayerReadError(f"{where}: a folder, not a {source.name} file; pass the file")
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(_HEAD)
    except OSError as exc:
        raise LayerReadError(f"{where}: cannot be read: {exc.strerror or exc}") from exc
    if not head:
        raise LayerReadError(f"{where}: the file is empty (0 bytes); copy it again")
    if source.key in TEXT_SOURCES and size > MAX_TEXT_BYTES:
        raise LayerReadError(
            f"{where}: {size / 2**20:,.0f} MiB of {source.name} text; text sources are read "
            f"whole and limited to {MAX_TEXT_BYTES / 2**20:,.0f} MiB. Convert it to a "
            "GeoPackage (e.g. ogr2ogr -f GPKG out.gpkg in" + path.suffix.lower() + ") or "
            "split it")
    found = sniff(head)
    if not _matches(source.key, found) or (found.startswith("a GDAL VRT")):
        if source.key == "xlsx" and found.startswith("an old Office file"):
            raise LayerReadError(f"{where}: an Excel 97-2003 workbook (.xls) named .xlsx; open "
                                 "it in Excel or WPS and save it as .xlsx (Excel Workbook)")
        expected = _EXPECTED.get(source.key, source.name)
        raise LayerReadError(
            f"{where}: the suffix {path.suffix.lower()} says {source.name} ({expected}) but the "
            f"file holds {found}; refused. Save it in the format its suffix names (or give it "
            "the suffix of what it is)")
    if source.key == "geojson":
        _scan_crs_link(path, where)


def _scan_crs_link(path: Path, where: str) -> None:
    """:func:`check_geojson_crs` over the file in 8 MiB chunks (overlapping by 4 KiB)."""
    overlap = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            check_geojson_crs(overlap + chunk, where)
            overlap = chunk[-4096:]


_CRS_LINK = re.compile(rb'"crs"\s*:\s*\{[^{}]*"type"\s*:\s*"link"', re.IGNORECASE)
_CRS_LINK_AFTER = re.compile(rb'"crs"\s*:\s*\{\s*"properties"\s*:\s*\{[^{}]*\}\s*,\s*'
                             rb'"type"\s*:\s*"link"', re.IGNORECASE)


def check_geojson_crs(data: bytes, where: str) -> None:
    """Refuse a GeoJSON whose ``"crs"`` is a link (GDAL would fetch the URL while reading).

    Raises
    ------
    LayerReadError
        Naming the link and the fix.

    Examples
    --------
    >>> check_geojson_crs(b'{"crs": {"type": "link", "properties": {"href": "http://x/y"}}}',
    ...                   "a.geojson")
    Traceback (most recent call last):
    ...
    county_gis.errors.LayerReadError: a.geojson: the GeoJSON "crs" is a link ("type": "link"); \
county_gis does not follow links in files. Replace it by a named CRS, e.g. "crs": {"type": \
"name", "properties": {"name": "EPSG:4490"}}, or remove it and pass crs=... (CLI: --crs)
    """
    if _CRS_LINK.search(data) or _CRS_LINK_AFTER.search(data):
        raise LayerReadError(
            f'{where}: the GeoJSON "crs" is a link ("type": "link"); county_gis does not '
            'follow links in files. Replace it by a named CRS, e.g. "crs": {"type": "name", '
            '"properties": {"name": "EPSG:4490"}}, or remove it and pass crs=... (CLI: --crs)')
