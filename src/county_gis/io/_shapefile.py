"""Shapefile checks done on the raw bytes before GDAL reads them.

* The record counts of ``.shp`` (walked record by record), ``.shx`` and ``.dbf`` must agree:
  GDAL silently returns the shorter count otherwise. A missing ``.shx`` is rebuilt in a
  temporary copy.
* The ``.dbf`` text encoding and the cells GDAL would misread are found by :mod:`._dbf`; the
  decision is given to the read engine, the cell fixes travel with the layer.
* Field names cut in half at the 10-byte limit are repaired in a temporary copy.

The original files are only read.
"""

from __future__ import annotations

import logging
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LayerReadError, Place
from ._dbf import cell_fixes, codec_name, decide_encoding, decode_name, read_dbf_info
from ._engines import CellFix
from ._report import LoadReport, Severity

__all__ = ["ShapefileCheck", "check_shapefile"]

log = logging.getLogger(__name__)


def _sibling(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    lower = suffix.lower()
    for candidate in shp.parent.glob(f"{shp.stem}.*"):
        if candidate.suffix.lower() == lower:
            return candidate
    return None


def _shp_records(shp: Path) -> tuple[bytes, list[tuple[int, int]], int]:
    """The .shp header, each record's (offset, content length) in bytes, and the bytes of zero
    padding after the last record (some writers pad the file; record numbers start at 1, so
    an all-zero tail is no record)."""
    data = shp.read_bytes()
    if len(data) < 100 or struct.unpack(">i", data[:4])[0] != 9994:
        raise LayerReadError(f"{shp}: not a shapefile (bad header)")
    pos = 100
    size = len(data)
    records: list[tuple[int, int]] = []
    unpack = struct.Struct(">i").unpack_from
    while pos + 8 <= size:
        if not any(data[pos:pos + 8]) and not data[pos:].strip(b"\x00"):
            return data[:100], records, size - pos
        length = unpack(data, pos + 4)[0] * 2
        if length < 0 or pos + 8 + length > size:
            raise LayerReadError(f"{shp}: record {len(records)} runs past the end of the "
                                 "file; the .shp is truncated")
        records.append((pos, length))
        pos += 8 + length
    return data[:100], records, size - pos


def _shx_bytes(header: bytes, records: list[tuple[int, int]]) -> bytes:
    """A .shx index rebuilt from the .shp records."""
    head = bytearray(header)
    head[24:28] = struct.pack(">i", (100 + 8 * len(records)) // 2)
    body = b"".join(struct.pack(">ii", offset // 2, length // 2) for offset, length in records)
    return bytes(head) + body


@dataclass
class ShapefileCheck:
    """What :func:`check_shapefile` found: the encoding to use, the cells GDAL would misread,
    and the fixes a working copy needs (a rebuilt .shx, field names cut mid-character)."""

    encoding: str | None
    fixes: dict[tuple[int, str], CellFix] = field(default_factory=dict)
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

    A shapefile without its ``.dbf`` is read as GDAL reads it: the shapes, with no
    attributes, and a ``shapefile.no_dbf`` problem in the report.

    Raises
    ------
    LayerReadError
        If ``.shp``, ``.shx`` and ``.dbf`` disagree on the number of records.
    """
    shx = _sibling(shp, ".shx")
    dbf = _sibling(shp, ".dbf")
    header, records, padding = _shp_records(shp)
    if padding:
        declared = struct.unpack(">i", header[24:28])[0] * 2
        tail = shp.read_bytes()[-padding:]
        zero = not tail.strip(b"\x00")
        report.add("shapefile.padding",
                   f"the .shp holds {padding} byte(s) after its last record (header file length "
                   f"{declared:,} bytes, file {shp.stat().st_size:,} bytes)"
                   + (", all zero: padding written by the exporting tool, not a record; ignored"
                      if zero else f": {tail.hex(' ')}, too short for a record; ignored"),
                   severity=Severity.INFO if zero else Severity.PROBLEM)
    if dbf is None:
        return _without_dbf(shp, shx, header, records, report)
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
    check = ShapefileCheck(encoding="")
    if shx is None:
        report.add("shapefile.no_shx", "the .shx index is missing; rebuilt from the .shp "
                   "records in a temporary copy (the original folder is not changed)",
                   severity=Severity.INFO)
        check.shx = _shx_bytes(header, records)
    cpg_path = _sibling(shp, ".cpg")
    cpg = cpg_path.read_text(encoding="ascii", errors="replace").strip() if cpg_path else None
    check.encoding, undecoded = decide_encoding(info, declared=encoding, cpg=cpg, report=report)
    codec = codec_name(check.encoding)
    fixed: dict[int, bytes] = {}
    for index, f in enumerate(info.fields):
        name, trimmed = decode_name(f.name, codec)
        if trimmed:
            fixed[index] = name.encode(codec)
            report.add("field.name_truncated",
                       f"field name bytes {f.name.hex(' ')} end in a character cut in half "
                       f"(DBF names are limited to 10 bytes); read as {name!r}",
                       severity=Severity.PROBLEM, field=name)
    check.names = fixed
    check.fixes, deleted = cell_fixes(info, codec, undecoded)
    for fid in deleted:
        report.add("shapefile.deleted_record",
                   "the .dbf marks this record deleted (its shape is still in the .shp); not "
                   "read, as in every GIS. Pack the shapefile to drop it for good, or undelete "
                   "it", severity=Severity.PROBLEM, fid=fid)
    return check



def _without_dbf(
    shp: Path, shx: Path | None, header: bytes, records: list[tuple[int, int]],
    report: LoadReport,
) -> ShapefileCheck:
    """The check of a shapefile whose ``.dbf`` is missing: shapes only, said so."""
    if shx is not None and (shx.stat().st_size - 100) // 8 != len(records):
        raise LayerReadError(
            f"{Place(str(shp), report.layer)}: record counts disagree (.shp {len(records)}, "
            f".shx {(shx.stat().st_size - 100) // 8}); a part of the shapefile is truncated "
            "or from another version: restore the matching files"
        )
    report.add("shapefile.no_dbf",
               f"the .dbf is missing: the {len(records)} shape(s) are read without attributes "
               "(no names, status or stated areas). Copy the whole shapefile (.shp, .shx, "
               ".dbf, .prj, .cpg) to keep them", severity=Severity.PROBLEM)
    report.encoding = None
    report.encoding_evidence = "no .dbf: the layer has no text"
    check = ShapefileCheck(encoding=None)
    if shx is None:
        report.add("shapefile.no_shx", "the .shx index is missing; rebuilt from the .shp "
                   "records in a temporary copy (the original folder is not changed)",
                   severity=Severity.INFO)
        check.shx = _shx_bytes(header, records)
    return check
