"""Shapefile checks done on the raw bytes before GDAL reads them.

* The record counts of ``.shp`` (walked through ``.shx``), ``.shx`` and ``.dbf`` must agree:
  GDAL silently returns the shorter count otherwise.
* The text encoding of the ``.dbf`` is decided from its bytes (and the ``.cpg`` / language
  driver byte when present): UTF-8 when every non-ASCII cell is valid UTF-8, else GB18030 (the
  superset of GBK and GB2312). A ``.cpg`` that contradicts the bytes is reported; undecodable
  cells are reported by feature and field. The decision is then given to the read engine.
* Numeric cells filled with ``*`` (overflow of the field width) are reported per cell.
"""

from __future__ import annotations

import codecs
import logging
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EncodingError, LayerReadError, Place
from ._report import LoadReport, Severity

__all__ = ["DbfInfo", "ShapefileCheck", "check_shapefile", "decide_encoding", "read_dbf_info"]

log = logging.getLogger(__name__)

#: .cpg spellings -> Python codec names
_CPG = {
    "utf8": "utf-8", "utf-8": "utf-8", "65001": "utf-8",
    "gbk": "gbk", "cp936": "gbk", "936": "gbk", "ansi936": "gbk", "gb2312": "gbk",
    "gb18030": "gb18030", "54936": "gb18030",
    "1252": "cp1252", "cp1252": "cp1252", "ansi1252": "cp1252",
    "iso88591": "latin-1", "88591": "latin-1", "latin1": "latin-1",
}
#: DBF language driver ids -> codec (only the ones that matter here)
_LDID = {0x4D: "gbk", 0x7A: "gbk", 0x57: "cp1252", 0x03: "cp1252", 0x00: None}


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
    ldid = data[29]
    fields = []
    pos, offset = 32, 1
    while pos + 32 <= header_length and data[pos] != 0x0D:
        raw = data[pos:pos + 32]
        name = raw[:11].split(b"\x00", 1)[0]
        fields.append(DbfField(name, chr(raw[11]), offset, raw[16]))
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
    return DbfInfo(count, header_length, record_length, ldid, fields, block)


def _sibling(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    lower = suffix.lower()
    for candidate in shp.parent.glob(f"{shp.stem}.*"):
        if candidate.suffix.lower() == lower:
            return candidate
    return None


def _shp_records(shp: Path) -> tuple[bytes, list[tuple[int, int]]]:
    """The .shp header and each record's (offset, content length) in bytes."""
    data = shp.read_bytes()
    if len(data) < 100 or struct.unpack(">i", data[:4])[0] != 9994:
        raise LayerReadError(f"{shp}: not a shapefile (bad header)")
    pos = 100
    size = len(data)
    records: list[tuple[int, int]] = []
    unpack = struct.Struct(">i").unpack_from
    while pos + 8 <= size:
        length = unpack(data, pos + 4)[0] * 2
        if length < 0 or pos + 8 + length > size:
            raise LayerReadError(f"{shp}: record {len(records)} runs past the end of the "
                                 "file; the .shp is truncated")
        records.append((pos, length))
        pos += 8 + length
    return data[:100], records


def _shx_bytes(header: bytes, records: list[tuple[int, int]]) -> bytes:
    """A .shx index rebuilt from the .shp records."""
    head = bytearray(header)
    head[24:28] = struct.pack(">i", (100 + 8 * len(records)) // 2)
    body = b"".join(struct.pack(">ii", offset // 2, length // 2) for offset, length in records)
    return bytes(head) + body


@dataclass
class ShapefileCheck:
    """What :func:`check_shapefile` found: the encoding to use, overflowing cells, and the
    fixes a working copy needs (a rebuilt .shx, field names cut mid-character)."""

    encoding: str
    overflows: dict[tuple[int, str], str]
    shx: bytes | None = None
    names: dict[int, bytes] | None = None

    @property
    def needs_copy(self) -> bool:
        """Whether GDAL must read a patched copy instead of the original files."""
        return self.shx is not None or bool(self.names)

    def working_copy(self, shp: Path, folder: Path) -> Path:
        """Copy the shapefile's parts into ``folder`` and apply the fixes there."""
        target = folder / shp.name
        for part in shp.parent.glob(f"{shp.stem}.*"):
            if part.stem == shp.stem:
                shutil.copy2(part, folder / part.name)
        if self.shx is not None:
            target.with_suffix(".shx").write_bytes(self.shx)
        if self.names:
            dbf = _sibling(target, ".dbf")
            assert dbf is not None
            data = bytearray(dbf.read_bytes())
            for index, name in self.names.items():
                start = 32 + 32 * index
                data[start:start + 11] = name.ljust(11, b"\x00")
            dbf.write_bytes(bytes(data))
        return target


def check_shapefile(
    shp: Path, *, encoding: str | None, report: LoadReport
) -> ShapefileCheck:
    """Check record counts, decide the DBF encoding, find overflowing cells and broken names.

    Raises
    ------
    LayerReadError
        If ``.shp``, ``.shx`` and ``.dbf`` disagree on the number of records, or the ``.dbf``
        is missing.
    """
    shx = _sibling(shp, ".shx")
    dbf = _sibling(shp, ".dbf")
    if dbf is None:
        raise LayerReadError(f"{shp}: the .dbf is missing, so the attributes are lost; "
                             "copy the whole shapefile (.shp, .shx, .dbf, .prj, .cpg)")
    header, records = _shp_records(shp)
    info = read_dbf_info(dbf)
    counts = {".shp": len(records), ".dbf": info.record_count}
    if shx is not None:
        counts[".shx"] = (shx.stat().st_size - 100) // 8
    if len(set(counts.values())) > 1:
        text = ", ".join(f"{k} {v}" for k, v in counts.items())
        raise LayerReadError(
            f"{Place(str(shp), report.layer)}: record counts disagree ({text}); a part of the "
            "shapefile is truncated or from another version. GDAL would silently return "
            f"{min(counts.values())} features: restore the matching files"
        )
    check = ShapefileCheck(encoding="", overflows={})
    if shx is None:
        report.add("shapefile.no_shx", "the .shx index is missing; rebuilt from the .shp "
                   "records in a temporary copy (the original folder is not changed)",
                   severity=Severity.INFO)
        check.shx = _shx_bytes(header, records)
    cpg_path = _sibling(shp, ".cpg")
    cpg = cpg_path.read_text(encoding="ascii", errors="replace").strip() if cpg_path else None
    check.encoding = decide_encoding(info, declared=encoding, cpg=cpg, report=report)
    codec = _canonical_codec(check.encoding)
    fixed: dict[int, bytes] = {}
    for index, f in enumerate(info.fields):
        name, trimmed = _decode_name(f.name, codec)
        if trimmed:
            fixed[index] = name.encode(codec)
            report.add("field.name_truncated",
                       f"field name bytes {f.name.hex(' ')} end in a character cut in half "
                       f"(DBF names are limited to 10 bytes); read as {name!r}",
                       severity=Severity.PROBLEM, field=name)
    check.names = fixed
    check.overflows = _overflows(info, codec)
    return check


def _decode_name(raw: bytes, codec: str) -> tuple[str, bool]:
    """Decode a DBF field name; a multi-byte character cut at the end is dropped."""
    try:
        return raw.decode(codec), False
    except UnicodeDecodeError as exc:
        if exc.end == len(raw) and exc.start >= len(raw) - 3:
            try:
                return raw[:exc.start].decode(codec), True
            except UnicodeDecodeError:
                pass
    return raw.decode(codec, errors="replace"), False


def _text_cells(info: DbfInfo) -> list[tuple[DbfField, np.ndarray]]:
    return [(f, info.records[:, f.offset:f.offset + f.length]) for f in info.fields
            if f.type in "CM" and f.length]


def _bad_cells(info: DbfInfo, codec: str) -> list[tuple[int, str, bytes]]:
    """Cells that ``codec`` cannot decode: (record, field name, raw bytes)."""
    bad = []
    for f, cells in _text_cells(info):
        rows = np.flatnonzero((cells >= 0x80).any(axis=1))
        for row in rows:
            raw = cells[row].tobytes().rstrip(b" \x00")
            try:
                raw.decode(codec)
            except UnicodeDecodeError:
                bad.append((int(row), _decode_name(f.name, codec)[0], raw))
    return bad


def _field_name(raw: bytes) -> str:
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _non_ascii(info: DbfInfo) -> bool:
    names = any(b >= 0x80 for f in info.fields for b in f.name)
    return names or any(bool((cells >= 0x80).any()) for _, cells in _text_cells(info))


def _decodes(info: DbfInfo, codec: str) -> bool:
    for f in info.fields:
        try:
            f.name.decode(codec)
        except UnicodeDecodeError as exc:
            if not (exc.end == len(f.name) and exc.start >= len(f.name) - 3):
                return False  # a character cut at the end of a name is no evidence
    for _, cells in _text_cells(info):
        rows = cells[(cells >= 0x80).any(axis=1)]
        if len(rows) == 0:
            continue
        try:
            b"\n".join(r.tobytes().rstrip(b" \x00") for r in rows).decode(codec)
        except UnicodeDecodeError:
            return False
    return True


def _canonical_codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def decide_encoding(
    info: DbfInfo, *, declared: str | None, cpg: str | None, report: LoadReport
) -> str:
    """Decide the DBF text encoding and report the decision with its evidence.

    Returns the encoding name to give the engine (``UTF-8``, ``GB18030``, or as declared).
    """
    non_ascii = _non_ascii(info)
    if declared is not None:
        codec = _canonical_codec(declared)
        evidence = f"declared encoding={declared!r}"
        bad = _bad_cells(info, codec) if non_ascii else []
        if non_ascii and codec != "utf-8" and _decodes(info, "utf-8"):
            # valid multi-byte UTF-8 is almost never GBK text by chance: say so, keep the choice
            report.add("encoding.declared_contradicted",
                       f"encoding={declared!r} was declared, but every non-ASCII cell is valid "
                       "UTF-8 (GBK / GB18030 text almost never is): the text may be mojibake; "
                       "check it, or drop encoding= to let the bytes decide",
                       severity=Severity.PROBLEM)
        if bad:
            _report_bad(bad, declared, report)
        report.encoding, report.encoding_evidence = declared, evidence
        return declared
    utf8 = non_ascii and _decodes(info, "utf-8")
    gb = non_ascii and not utf8 and _decodes(info, "gb18030")
    detected = "UTF-8" if utf8 else "GB18030" if gb else None
    if cpg is not None:
        key = cpg.lower().replace(" ", "").replace("_", "")
        cpg_codec = _CPG.get(key)
        if cpg_codec is None:
            report.add("encoding.cpg_unknown", f".cpg says {cpg!r}, which is not a known "
                       "code page; deciding from the bytes", severity=Severity.PROBLEM)
        elif not non_ascii:
            report.encoding = cpg_codec.upper()
            report.encoding_evidence = f".cpg says {cpg!r}; all text is ASCII"
            return report.encoding
        elif (cpg_codec == "utf-8" and utf8) or (cpg_codec in ("gbk", "gb18030") and gb):
            name = "GB18030" if cpg_codec in ("gbk", "gb18030") else "UTF-8"
            report.encoding = name
            report.encoding_evidence = (
                f".cpg says {cpg!r} and every non-ASCII cell decodes as {name}"
                + (" (GB18030, the superset of GBK, used)" if cpg_codec == "gbk" else "")
            )
            return name
        elif detected is not None:
            report.add("encoding.cpg_contradicted",
                       f".cpg says {cpg!r} but the bytes are not {cpg_codec.upper()}: every "
                       f"non-ASCII cell decodes as {detected}; {detected} used (declare "
                       "encoding= to override)", severity=Severity.ASSUMPTION,
                       error=EncodingError)
            report.encoding = detected
            report.encoding_evidence = f"bytes decode as {detected}; .cpg {cpg!r} contradicted"
            return detected
    if not non_ascii:
        report.encoding, report.encoding_evidence = "UTF-8", "all text is ASCII"
        return "UTF-8"
    ldid = _LDID.get(info.ldid)
    if detected is not None:
        evidence = (f"no .cpg; every non-ASCII cell decodes as {detected}"
                    + (" (GB18030, the superset of GBK / GB2312)" if detected == "GB18030"
                       else "")
                    + (f"; language driver byte 0x{info.ldid:02X} agrees" if
                       ldid and (ldid == "gbk") == (detected == "GB18030") else ""))
        report.add("encoding.detected", f"encoding {detected} detected: {evidence}",
                   severity=Severity.ASSUMPTION, error=EncodingError)
        report.encoding, report.encoding_evidence = detected, evidence
        return detected
    # neither decodes everything: GB18030, with the cells it cannot decode listed
    bad = _bad_cells(info, "gb18030")
    evidence = (f"no encoding decodes every cell; GB18030 decodes all but {len(bad)} cell(s), "
                "listed as problems")
    report.add("encoding.detected", f"encoding GB18030 assumed: {evidence}",
               severity=Severity.ASSUMPTION, error=EncodingError)
    _report_bad(bad, "GB18030", report)
    report.encoding, report.encoding_evidence = "GB18030", evidence
    return "GB18030"


def _report_bad(bad: list[tuple[int, str, bytes]], codec: str, report: LoadReport) -> None:
    for row, field, raw in bad:
        report.add("encoding.undecodable",
                   f"bytes {raw.hex(' ')} cannot be decoded as {codec}; the engine replaces "
                   "them", severity=Severity.PROBLEM, fid=row, field=field)


def _overflows(info: DbfInfo, codec: str) -> dict[tuple[int, str], str]:
    found: dict[tuple[int, str], str] = {}
    star = ord("*")
    for f in info.fields:
        if f.type not in "NF" or not f.length:
            continue
        cells = info.records[:, f.offset:f.offset + f.length]
        rows = np.flatnonzero((cells == star).any(axis=1))
        for row in rows:
            text = cells[row].tobytes().decode("ascii", "replace").strip()
            found[(int(row), _decode_name(f.name, codec)[0])] = (
                f"numeric overflow {text!r}: the value did not fit the field width "
                f"({f.length} characters); left empty"
            )
    return found
