"""What a file holds, from its first bytes (for checking it against its suffix).

Used by :mod:`county_gis.io` (layers) and :mod:`county_gis.raster` (rasters): GDAL opens a
file by its content, so county_gis checks the content against the suffix before GDAL sees it.

Examples
--------
>>> sniff(b'<OGRVRTDataSource><OGRVRTLayer name="a">')
'a GDAL VRT (XML that makes GDAL read other files and URLs)'
>>> sniff(b"II*\\x00\\x08\\x00\\x00\\x00")
'a TIFF image'
>>> sniff(b'{"type": "FeatureCollection"}')
'JSON text'
"""

from __future__ import annotations

import re

__all__ = ["HEAD_BYTES", "sniff"]

#: Bytes read from the start of a file to tell what it holds.
HEAD_BYTES = 64 * 1024
_HEAD = HEAD_BYTES
_VRT = re.compile(rb"<\s*(VRTDataset|OGRVRTDataSource)\b", re.IGNORECASE)
_BINARY: tuple[tuple[bytes, str], ...] = (
    (b"SQLite format 3\x00", "an SQLite database (GeoPackage)"),
    (b"PK\x03\x04", "a ZIP archive (XLSX, KMZ or zipped files)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (Excel 97-2003 .xls, .doc)"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"II+\x00", "a BigTIFF image"),
    (b"MM\x00+", "a BigTIFF image"),
    (b"PAR1", "a Parquet file"),
    (b"fgb\x03", "a FlatGeobuf file"),
    (b"\x00\x00\x27\x0a", "a shapefile .shp"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"AutoCAD Binary DXF", "a binary DXF drawing"),
    (b"AC10", "an AutoCAD DWG drawing"),
)


def sniff(head: bytes) -> str:
    """What the first bytes of a file show, in words (for messages)."""
    if _VRT.search(head):
        return "a GDAL VRT (XML that makes GDAL read other files and URLs)"
    for magic, name in _BINARY:
        if head.startswith(magic):
            return name
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text"
    if text.startswith(b"<"):
        if re.search(rb"<\s*(\w+:)?kml\b", head[:_HEAD]):
            return "KML (XML)"
        return "XML"
    if text.startswith((b"{", b"[")):
        return "JSON text"
    if re.match(rb"(\d+)[ \t]*\r?\n", text) and b"SECTION" in head[:_HEAD]:
        return "a DXF drawing"
    if b"\x00" in head[:4096]:
        return "binary data"
    return "text"
