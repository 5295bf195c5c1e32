"""Reading ``.zip`` and ``.kmz`` archives with limits.

Three limits hold: the member count (:data:`MAX_MEMBERS`), the bytes all members inflate to
(:data:`MAX_TOTAL_BYTES`), counted as they are actually inflated while each member is streamed
to disk, and the inflated / compressed ratio of each member (:data:`MAX_RATIO`). A member
whose declared size is false fails its checksum and is refused, never inflated past what it
declares. Member names that would leave the extraction folder (absolute paths, ``..``, drive
letters, symlinks) are refused.

Examples
--------
>>> import tempfile, pathlib, zipfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
...     zf.writestr("plots.csv", b"0" * 5_000_000)
>>> extract_limited(folder / "bomb.zip", folder / "out", report=None)
Traceback (most recent call last):
...
county_gis.errors.LayerReadError: ...bomb.zip: member 'plots.csv' inflates more than 200 ..."""

from __future__ import annotations

import logging
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from ..errors import LayerReadError
from ._report import LoadReport, Severity

__all__ = ["MAX_MEMBERS", "MAX_RATIO", "MAX_TOTAL_BYTES", "extract_limited"]

log = logging.getLogger(__name__)

#: Most members an archive may hold.
MAX_MEMBERS = 1000
#: Most bytes all members may inflate to (actually read, not as declared).
MAX_TOTAL_BYTES = 2 * 1024**3
#: Largest inflated / compressed ratio of a member above 1 MB (zip bombs reach 1000+).
MAX_RATIO = 200
_CHUNK = 1 << 20
_READABLE = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".fgb", ".csv", ".xlsx",
             ".parquet", ".gpx", ".gml", ".topojson", ".dxf", ".gdb")


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, its bytes decoded as GB18030 when the zip did not flag them UTF-8.

    Python reads names without the UTF-8 flag (bit 11) as CP437, the zip default, but the
    archivers of Chinese Windows write them in CP936 (``道路.shp`` -> ``µÀÂ·.shp``). Such names are
    decoded as UTF-8 when valid (tools that forget the flag), else as GB18030; otherwise kept.

    Examples
    --------
    >>> info = zipfile.ZipInfo("道路.shp".encode("gbk").decode("cp437"))
    >>> _member_name(info)
    '道路.shp'
    """
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def _safe_name(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise LayerReadError(
            f"{archive}: member {name!r} would be written outside the extraction folder; "
            "refused (a path-traversal archive). Re-pack it with relative paths"
        )
    return path


def extract_limited(
    archive: Path,
    folder: Path,
    *,
    report: LoadReport | None,
    max_members: int = MAX_MEMBERS,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
    choose: Callable[[list[Path]], Path] | None = None,
) -> Path:
    """Extract ``archive`` into ``folder`` within the limits; return the data file to read.

    A data file is a member with a readable suffix, or a FileGDB folder (``*.gdb``). When
    there are several, ``choose`` picks one (by the layer asked for); without it they are
    refused.

    Raises
    ------
    LayerReadError
        If the archive is not a zip, breaks a limit, holds a member leaving the folder,
        or holds no data file (or several and no ``choose``).
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise LayerReadError(f"{archive}: not a readable zip archive: {exc}") from exc
    with zf:
        members = zf.infolist()
        if len(members) > max_members:
            raise LayerReadError(
                f"{archive}: {len(members)} members, more than the limit of {max_members}; "
                "refused (possible zip bomb). Extract it yourself if it is genuine"
            )
        total = 0
        decoded = [_member_name(info) for info in members]
        recoded = [(info.filename, name) for info, name in zip(members, decoded, strict=True)
                   if name != info.filename]
        for info, member_name in zip(members, decoded, strict=True):
            name = _safe_name(member_name, archive)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise LayerReadError(f"{archive}: member {info.filename!r} is a symbolic "
                                     "link; refused")
            if info.is_dir():
                continue
            target = folder.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                total = _extract(zf, info, target, total, archive=archive,
                                 max_total_bytes=max_total_bytes, max_ratio=max_ratio)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                # a size or checksum that does not match what the member inflates to
                raise LayerReadError(
                    f"{archive}: member {info.filename!r} is corrupt or its declared size "
                    f"({info.file_size:,} bytes) is false: {exc}; refused"
                ) from exc
        if archive.suffix.lower() == ".kmz":
            candidates = sorted(folder.rglob("*.kml"), key=lambda p: (p.name != "doc.kml",
                                                                      len(p.parts)))
            if not candidates:
                raise LayerReadError(f"{archive}: the KMZ holds no .kml document")
            chosen = candidates[0]
        else:
            found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in _READABLE
                           and not any(part.startswith("__MACOSX") for part in p.parts)
                           and not any(part.lower().endswith(".gdb")
                                       for part in p.relative_to(folder).parts[:-1])
                           and p.is_dir() == (p.suffix.lower() == ".gdb"))
            if not found:
                raise LayerReadError(
                    f"{archive}: holds no data file (looked for {', '.join(_READABLE)})"
                )
            if len(found) > 1 and choose is not None:
                found = [choose(found)]
            if len(found) > 1:
                names = ", ".join(str(p.relative_to(folder)) for p in found)
                raise LayerReadError(
                    f"{archive}: holds several data files ({names}); extract it and read them "
                    "one by one"
                )
            chosen = found[0]
    if report is not None and recoded:
        shown = ", ".join(f"{new!r}" for _, new in recoded[:5])
        report.add("source.archive_names",
                   f"{len(recoded)} member name(s) carry no UTF-8 flag and are not ASCII: "
                   f"decoded as GB18030 (CP936, as Chinese Windows writes them), e.g. {shown}",
                   severity=Severity.INFO)
    if report is not None:
        report.add("source.archive",
                   f"read {chosen.relative_to(folder)} from the archive ({len(members)} "
                   f"members, {total:,} bytes inflated)", severity=Severity.INFO)
    return chosen


def _extract(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, total: int, *, archive: Path,
    max_total_bytes: int, max_ratio: float,
) -> int:
    """Stream one member to ``target``, counting the bytes actually inflated; return the total.

    The inflated bytes are counted as they come, whatever the archive declares: Python's zip
    reader stops at the declared size and then checks the CRC, so a member that lies about
    its size fails (``BadZipFile``) instead of inflating further.
    """
    written = 0
    with zf.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            total += len(chunk)
            if total > max_total_bytes:
                raise LayerReadError(
                    f"{archive}: members inflate to more than {max_total_bytes:,} "
                    "bytes; refused (zip bomb or too large)"
                )
            if written > _CHUNK and written > max_ratio * max(info.compress_size, 1):
                raise LayerReadError(
                    f"{archive}: member {info.filename!r} inflates more than "
                    f"{max_ratio:g} times its compressed size "
                    f"({info.compress_size:,} bytes); refused (zip bomb)"
                )
            dst.write(chunk)
    return total
