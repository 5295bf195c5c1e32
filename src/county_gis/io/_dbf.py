"""The ``.dbf`` of a shapefile, read as bytes: its text encoding and the cells GDAL would misread.

* **Encoding.** Decided from the bytes (and the ``.cpg`` when there is one): UTF-8 when every
  non-ASCII cell is valid UTF-8, else GB18030 (the superset of GBK and GB2312, which also holds
  the Mongolian script). A ``.cpg`` that contradicts the bytes is reported; when no encoding
  decodes every cell, the one that decodes most of them is used and the rest are listed.
* **Cells.** GDAL drops undecodable bytes silently, reads a numeric ``12,5`` as 12 and an
  overflow ``*****`` as null, and skips records marked deleted. Each such cell becomes a
  :class:`~county_gis.io._engines.CellFix` (what the bytes say, with a note) keyed by feature id
  (the record number) and field; deleted records are listed.

Only the cells that need a look are visited one by one: the checks are vectorised over the
record matrix.

Examples
--------
>>> import tempfile, pathlib, warnings
>>> import geopandas as gpd, pyogrio
>>> from shapely.geometry import Point
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> gdf = gpd.GeoDataFrame({"名称": ["大板镇"]}, geometry=[Point(121.6, 42.1)], crs=4490)
>>> pyogrio.write_dataframe(gdf, folder / "a.shp", encoding="GBK")
>>> (folder / "a.cpg").unlink()
>>> from county_gis.io._report import LoadReport
>>> report = LoadReport(source="a.shp")
>>> decide_encoding(read_dbf_info(folder / "a.dbf"), declared=None, cpg=None, report=report)
('GB18030', [])
>>> report.encoding_evidence
'no .cpg; every non-ASCII cell decodes as GB18030 (the superset of GBK / GB2312)'
"""

from __future__ import annotations

import codecs
import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EncodingError, LayerReadError
from ._engines import CellFix
from ._report import LoadReport, Severity

__all__ = ["DbfInfo", "cell_fixes", "codec_name", "decide_encoding", "decode_name",
           "read_dbf_info"]

#: .cpg spellings -> Python codec names
_CPG = {
    "utf8": "utf-8", "utf-8": "utf-8", "65001": "utf-8",
    "gbk": "gbk", "cp936": "gbk", "936": "gbk", "ansi936": "gbk", "gb2312": "gbk",
    "gb18030": "gb18030", "54936": "gb18030",
    "1252": "cp1252", "cp1252": "cp1252", "ansi1252": "cp1252",
    "iso88591": "latin-1", "88591": "latin-1", "latin1": "latin-1",
}
#: DBF language driver ids that name the Chinese code page
_LDID_GBK = {0x4D, 0x7A}
#: DBF language driver ids -> the code page they name (the ones seen in the field)
_LDID = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x57: "cp1252", 0x58: "cp1252",
         0x59: "cp1252", 0x64: "cp852", 0x65: "cp866", 0x66: "cp865", 0x67: "cp861",
         0x6A: "cp737", 0x6B: "cp857", 0xC8: "cp1250", 0xC9: "cp1251", 0xCA: "cp1254",
         0xCB: "cp1253", 0xCC: "cp1257", 0x4D: "gbk", 0x7A: "gbk"}
#: bytes a well-formed numeric (N / F) cell may hold
_NUMERIC_BYTES = np.frombuffer(b" \x000123456789.+-eE", dtype=np.uint8)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


@dataclass
class DbfField:
    """One DBF field descriptor."""

    name: bytes
    type: str
    offset: int
    length: int


@dataclass
class DbfInfo:
    """The parts of a DBF the checks need."""

    record_count: int
    header_length: int
    record_length: int
    ldid: int
    fields: list[DbfField]
    records: np.ndarray  # (n, record_length) uint8


@dataclass(frozen=True)
class _Cell:
    """A text cell a codec does not decode cleanly."""

    row: int
    field: DbfField
    raw: bytes
    cut: int | None  # where a character cut in half at the field width begins (else None)


def read_dbf_info(path: Path) -> DbfInfo:
    """Parse a DBF header and map its records as a byte matrix.

    Raises
    ------
    LayerReadError
        If the header is broken or the file is shorter than its header says.
    """
    data = path.read_bytes()
    if len(data) < 32:
        raise LayerReadError(f"{path}: not a DBF file (only {len(data)} bytes)")
    count, header_length, record_length = struct.unpack("<IHH", data[4:12])
    fields = []
    pos, offset = 32, 1
    while pos + 32 <= header_length and data[pos] != 0x0D:
        raw = data[pos:pos + 32]
        fields.append(DbfField(raw[:11].split(b"\x00", 1)[0], chr(raw[11]), offset, raw[16]))
        offset += raw[16]
        pos += 32
    available = (len(data) - header_length) // record_length if record_length else 0
    if available < count:
        raise LayerReadError(
            f"{path}: the header announces {count} records but the file holds only "
            f"{available}; the .dbf is truncated"
        )
    block = np.frombuffer(data, dtype=np.uint8, count=count * record_length,
                          offset=header_length).reshape(count, record_length)
    return DbfInfo(count, header_length, record_length, data[29], fields, block)


def decode_name(raw: bytes, codec: str) -> tuple[str, bool]:
    """Decode a DBF field name; a multi-byte character cut at the end is dropped (``True``).

    Examples
    --------
    >>> decode_name("项目名称".encode()[:10], "utf-8")
    ('项目名', True)
    """
    try:
        return raw.decode(codec), False
    except UnicodeDecodeError as exc:
        if _cut_at_end(exc, len(raw)):
            try:
                return raw[:exc.start].decode(codec), True
            except UnicodeDecodeError:
                pass
    return raw.decode(codec, errors="replace"), False


def _cut_at_end(exc: UnicodeDecodeError, length: int) -> bool:
    """Whether the only failure is a multi-byte character cut at the end."""
    return exc.end == length and exc.start >= length - 3


def _text_cells(info: DbfInfo) -> list[tuple[DbfField, np.ndarray]]:
    return [(f, info.records[:, f.offset:f.offset + f.length]) for f in info.fields
            if f.type in "CM" and f.length]


def _non_ascii_rows(cells: np.ndarray) -> np.ndarray:
    return np.flatnonzero((cells >= 0x80).any(axis=1))


def _undecoded(info: DbfInfo, codec: str, *, first: bool = False) -> list[_Cell]:
    """Text cells ``codec`` does not decode, in record order; with ``first``, stop at the first
    one that is not merely cut at the field width."""
    found = []
    for f, cells in _text_cells(info):
        rows = _non_ascii_rows(cells)
        if len(rows) == 0:
            continue
        block = [cells[row].tobytes().rstrip(b" \x00") for row in rows]
        try:  # one decode for the whole column; cell by cell only when it fails
            b"\n".join(block).decode(codec)
            continue
        except UnicodeDecodeError:
            pass
        for row, raw in zip(rows.tolist(), block, strict=True):
            try:
                raw.decode(codec)
            except UnicodeDecodeError as exc:
                cut: int | None = None
                if len(raw) == f.length and _cut_at_end(exc, len(raw)):
                    try:
                        raw[:exc.start].decode(codec)
                        cut = exc.start
                    except UnicodeDecodeError:
                        pass
                found.append(_Cell(row, f, raw, cut))
                if first and cut is None:
                    return found
    return sorted(found, key=lambda c: c.row)


def _names_decode(info: DbfInfo, codec: str) -> bool:
    for f in info.fields:
        try:
            f.name.decode(codec)
        except UnicodeDecodeError as exc:
            if not _cut_at_end(exc, len(f.name)):  # a name cut at 10 bytes is no evidence
                return False
    return True


def _non_ascii(info: DbfInfo) -> int:
    """How many field names and text cells hold non-ASCII bytes."""
    names = sum(any(b >= 0x80 for b in f.name) for f in info.fields)
    return names + sum(len(_non_ascii_rows(cells)) for _, cells in _text_cells(info))


def codec_name(name: str) -> str:
    """Python's name of the codec ``name`` (``GB18030`` -> ``gb18030``), or ``name``."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _family(codec: str) -> str:
    """``GB18030`` for the Chinese code pages (read as their superset), else ``UTF-8`` etc."""
    return "GB18030" if codec in ("gbk", "gb18030", "gb2312") else codec.upper()


def decide_encoding(
    info: DbfInfo, *, declared: str | None, cpg: str | None, report: LoadReport
) -> tuple[str, list[_Cell]]:
    """Decide the DBF text encoding, report it with its evidence; list the cells it misreads.

    Returns the encoding to give the engine (``UTF-8``, ``GB18030``, or as declared) and the
    text cells that encoding does not decode (see :func:`cell_fixes`).

    Raises
    ------
    EncodingError
        Under ``strict``, when the encoding is an assumption (no ``.cpg``, or one the bytes
        contradict).
    """
    non_ascii = _non_ascii(info)
    if declared is not None:
        codec = codec_name(declared)
        if non_ascii and codec != "utf-8" and _clean(info, "utf-8"):
            # valid multi-byte UTF-8 is almost never GBK text by chance: say so, keep the choice
            report.add("encoding.declared_contradicted",
                       f"encoding={declared!r} was declared, but every non-ASCII cell is valid "
                       "UTF-8 (GBK / GB18030 text almost never is): the text may be mojibake; "
                       "check it, or drop encoding= to let the bytes decide",
                       severity=Severity.PROBLEM)
        report.encoding, report.encoding_evidence = declared, f"declared encoding={declared!r}"
        return declared, _undecoded(info, codec) if non_ascii else []
    cpg_codec = _cpg_codec(cpg, report)
    if not non_ascii:
        name = _family(cpg_codec) if cpg_codec else "UTF-8"
        report.encoding = name
        report.encoding_evidence = (f".cpg says {cpg!r}; all text is ASCII" if cpg_codec
                                    else "all text is ASCII")
        return name, []
    named = cpg_codec or _LDID.get(info.ldid)
    if named is not None and _family(named) not in ("UTF-8", "GB18030") \
            and not _clean(info, "utf-8"):
        # a code page other than UTF-8 / Chinese named by the .cpg or the language driver:
        # honoured (a single-byte code page decodes almost any bytes, so GB18030 decoding
        # "cleanly" as well is no evidence against it: Latin-1 'México' is GBK 'M閤ico')
        return _named_code_page(named, info, cpg, cpg_codec, report)
    for candidate in ("UTF-8", "GB18030"):
        if _clean(info, candidate):  # the cells left are cut at the field width, if any
            if candidate == "GB18030" and cpg_codec is None and info.ldid not in _LDID_GBK:
                latin = _latin_evidence(info)  # None: it holds common GB2312 characters
                if latin is not None:
                    return _named_code_page("cp1252", info, None, None, report, why=latin)
            return _settle(candidate, _undecoded(info, candidate), info, cpg, cpg_codec, report)
    # no encoding decodes every cell: UTF-8 if most non-ASCII cells are valid UTF-8 (GBK text
    # almost never is by chance), else GB18030; the cells it cannot decode are listed
    bad_utf8 = [c for c in _undecoded(info, "utf-8") if c.cut is None]
    name = "UTF-8" if 2 * len(bad_utf8) < non_ascii else "GB18030"
    cells = _undecoded(info, name)
    return _settle(name, cells, info, cpg, cpg_codec, report,
                   why=f"no encoding decodes every cell; {non_ascii - len(bad_utf8)} of "
                       f"{non_ascii} non-ASCII names and cells are valid UTF-8, so {name}, "
                       f"which leaves {sum(c.cut is None for c in cells)} cell(s) undecodable "
                       "(listed)")


def _named_code_page(
    codec: str, info: DbfInfo, cpg: str | None, cpg_codec: str | None, report: LoadReport, *,
    why: str | None = None,
) -> tuple[str, list[_Cell]]:
    """Use the code page ``codec`` (named by the .cpg, the DBF language driver, or ``why``)."""
    name = codec_name(codec)
    cells = _undecoded(info, name)
    bad = sum(c.cut is None for c in cells)
    left = f"; {bad} cell(s) hold bytes it does not define (listed)" if bad else ""
    if why is not None:
        evidence = f"no .cpg; {why}"
        report.add("encoding.detected", f"encoding {name.upper()} assumed: {evidence}{left}",
                   severity=Severity.ASSUMPTION, error=EncodingError)
    elif cpg_codec is not None:
        evidence = f".cpg says {cpg!r}: code page {name.upper()}; the bytes are not UTF-8{left}"
    else:
        evidence = (f"no .cpg; the DBF language driver byte 0x{info.ldid:02X} names code page "
                    f"{name.upper()}; the bytes are not UTF-8{left}")
    report.encoding, report.encoding_evidence = name.upper(), evidence
    return name, cells


def _latin_evidence(info: DbfInfo) -> str | None:
    """Why bytes that decode as GB18030 are rather Western text, or None when they look Chinese.

    Chinese text from GBK tools is nearly all GB2312 characters (both bytes 0xA1 or above).
    Latin-1 / 1252 text decodes as GBK only by pairing an accented letter with the ASCII letter
    after it (``M\\xe9xico`` -> ``M閤ico``): a GBK extension character with an ASCII trail
    byte. All of them so, none GB2312: Western text.
    """
    ascii_trail = 0
    for _, cells in _text_cells(info):
        for row in _non_ascii_rows(cells):
            text = cells[row].tobytes().rstrip(b" \x00").decode("gb18030", errors="ignore")
            for char in text:
                if ord(char) < 0x80:
                    continue
                raw = char.encode("gb18030")
                if len(raw) == 2 and raw[0] >= 0xA1 and raw[1] >= 0xA1:
                    return None  # a common Chinese character: the first one settles it
                if len(raw) == 2 and raw[1] < 0x80:
                    ascii_trail += 1
    if not ascii_trail:
        return None
    return (f"the non-ASCII bytes would decode as GB18030 only as {ascii_trail} rare GBK "
            "extension character(s) with an ASCII trail byte and no common (GB2312) Chinese "
            "character, as Western text in a Latin code page does ('M\\xe9xico' -> 'M閤ico'); "
            "so Windows-1252 (declare encoding= if it is another code page)")


def _clean(info: DbfInfo, codec: str) -> bool:
    """Whether ``codec`` decodes every name and cell (characters cut at the width apart)."""
    return _names_decode(info, codec) and all(c.cut is not None for c in _undecoded(
        info, codec, first=True))


def _cpg_codec(cpg: str | None, report: LoadReport) -> str | None:
    """The codec a ``.cpg`` names (``ISO-8859-1``, ``1252``, ``UTF-8``, ``GBK`` ...), or None.

    Examples
    --------
    >>> [_cpg_codec(c, LoadReport(source="a.shp")) for c in ("ISO-8859-1", "1250", "ANSI 1252")]
    ['latin-1', 'cp1250', 'cp1252']
    """
    if cpg is None:
        return None
    key = cpg.lower().replace(" ", "").replace("_", "").replace("-", "")
    codec = _CPG.get(key)
    if codec is None:
        for candidate in (key, key.removeprefix("ansi"), f"cp{key.removeprefix('ansi')}"):
            try:
                codec = codecs.lookup(candidate).name
                break
            except LookupError:
                continue
    if codec is None:
        report.add("encoding.cpg_unknown", f".cpg says {cpg!r}, which is not a known "
                   "code page; deciding from the bytes", severity=Severity.PROBLEM)
    return codec


def _settle(
    name: str, cells: list[_Cell], info: DbfInfo, cpg: str | None, cpg_codec: str | None,
    report: LoadReport, *, why: str | None = None,
) -> tuple[str, list[_Cell]]:
    """Record the decision for ``name``: agreed by the .cpg, contradicting it, or detected."""
    decodes = why or f"every non-ASCII cell decodes as {name}"
    if cpg_codec is not None and _family(cpg_codec) == name:
        report.encoding = name
        report.encoding_evidence = f".cpg says {cpg!r} and {decodes}" + (
            " (GB18030, the superset of GBK, used)" if cpg_codec == "gbk" else "")
        return name, cells
    if cpg_codec is not None:
        report.add("encoding.cpg_contradicted",
                   f".cpg says {cpg!r} but the bytes are not {cpg_codec.upper()}: {decodes}; "
                   f"{name} used (declare encoding= to override)",
                   severity=Severity.ASSUMPTION, error=EncodingError)
        report.encoding = name
        report.encoding_evidence = f"bytes decode as {name}; .cpg {cpg!r} contradicted"
        return name, cells
    evidence = (f"no .cpg; {decodes}"
                + (" (the superset of GBK / GB2312)" if name == "GB18030" and why is None
                   else "")
                + (f"; language driver byte 0x{info.ldid:02X} agrees"
                   if (info.ldid in _LDID_GBK) and name == "GB18030" else ""))
    report.add("encoding.detected", f"encoding {name} detected: {evidence}",
               severity=Severity.ASSUMPTION, error=EncodingError)
    report.encoding, report.encoding_evidence = name, evidence
    return name, cells


def cell_fixes(
    info: DbfInfo, codec: str, undecoded: list[_Cell]
) -> tuple[dict[tuple[int, str], CellFix], list[int]]:
    """The cells GDAL would misread, by (record, field), and the records marked deleted.

    ``undecoded`` are the text cells ``codec`` does not decode (from :func:`decide_encoding`):
    kept with U+FFFD for the undecodable bytes, or, when only the last character was cut at
    the field width, without it. Numeric cells: ``*****`` overflow (empty), decimal comma
    (read with '.', an assumption), other text (empty).
    """
    fixes: dict[tuple[int, str], CellFix] = {}
    for cell in undecoded:
        name = decode_name(cell.field.name, codec)[0]
        if cell.cut is not None:
            text = cell.raw[:cell.cut].decode(codec)
            fixes[(cell.row, name)] = CellFix(
                text, "value.truncated", Severity.PROBLEM,
                f"the text fills the field width ({cell.field.length} bytes) and ends in part "
                f"of a character (bytes {cell.raw[cell.cut:].hex(' ')}): read as {text!r}; the "
                "rest of the value is lost in the source")
        else:
            text = cell.raw.decode(codec, errors="replace")
            fixes[(cell.row, name)] = CellFix(
                text, "encoding.undecodable", Severity.PROBLEM,
                f"bytes {cell.raw.hex(' ')} cannot be decoded as {codec.upper()}; kept with "
                f"U+FFFD for the undecodable bytes: {text!r}", EncodingError)
    for f in info.fields:
        if f.type in "NF" and f.length:
            _numeric_fixes(info, f, codec, fixes)
    deleted = np.flatnonzero(info.records[:, 0] == 0x2A).tolist() if info.record_count else []
    return dict(sorted(fixes.items())), deleted


def _numeric_fixes(
    info: DbfInfo, f: DbfField, codec: str, fixes: dict[tuple[int, str], CellFix]
) -> None:
    cells = info.records[:, f.offset:f.offset + f.length]
    odd = np.flatnonzero(~np.isin(cells, _NUMERIC_BYTES).all(axis=1))
    name = decode_name(f.name, codec)[0]
    for row in odd.tolist():
        text = cells[row].tobytes().decode(codec, errors="replace").strip(" \x00")
        if set(text) == {"*"}:
            fixes[(row, name)] = CellFix(
                None, "value.overflow", Severity.PROBLEM,
                f"numeric overflow {text!r}: the value did not fit the field width "
                f"({f.length} characters); left empty")
        elif _DECIMAL_COMMA.match(text):
            value = float(text.replace(",", "."))
            fixes[(row, name)] = CellFix(
                value, "value.decimal_comma", Severity.ASSUMPTION,
                f"decimal comma in the numeric cell {text!r} read as {value!r} (GDAL would "
                f"read {text.split(',')[0]})")
        else:
            from ._attributes import _SEVERITY, parse_number

            parsed = parse_number(text)
            if parsed.code in (None, "value.unreadable"):
                fixes[(row, name)] = CellFix(
                    None, "value.unreadable", Severity.PROBLEM,
                    f"the numeric cell holds {text!r}, not a number; left empty (GDAL would "
                    "read whatever digits it starts with)")
            else:
                read = None if math.isnan(parsed.value) else parsed.value
                fixes[(row, name)] = CellFix(
                    read, parsed.code, _SEVERITY[parsed.code],
                    f"the numeric cell holds {text!r}: {parsed.detail}" + (
                        "" if read is None else f" = {read!r}") + " (GDAL would read "
                    "whatever digits it starts with)")
