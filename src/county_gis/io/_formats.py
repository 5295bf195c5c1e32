"""Sources opened without changing them, and their layers listed.

:func:`opened_source` yields a path that is safe to read: a ``.zip`` / ``.kmz`` is extracted
with limits into a temporary folder; a GeoPackage with a hot journal or a WAL file is copied
(with its journal) to a temporary folder and recovered there (the last committed state), so
that SQLite's recovery never rolls back the user's file in place. (GDAL's read-only open
cannot roll back a hot journal and fails; ``?immutable=1`` would read half-written pages.)
Bytes and binary file objects are written to a temporary file named for the format their
first bytes show (see :func:`~._sources.source_for_bytes`). Which source reads what is in
:mod:`._sources`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from .._atomic import note_input
from .._offline import offline_gdal, refuse_remote
from .._postgres import redacted
from ..errors import LayerReadError
from ._content import check_content
from ._report import LoadReport, Severity
from ._sources import ARCHIVES, Source, scheme_of, source_for, source_for_bytes

__all__ = ["SourceLike", "describe", "list_layers", "opened_source", "sqlite_side_files"]

log = logging.getLogger(__name__)

#: What read_layer reads: a path, a URL of a registered scheme, bytes, or a binary file object.
SourceLike = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]


def describe(source: Any) -> str:
    """How messages name ``source``: the path or URL, or ``<N bytes>`` / the file object's name.

    Examples
    --------
    >>> describe("道路.shp"), describe(b"{}")
    ('道路.shp', '<2 bytes>')
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return f"<{len(source)} bytes>"
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return str(name) if isinstance(name, str) else "<file object>"
    text = os.fspath(source)
    return redacted(text) if scheme_of(text) is not None else text


def list_layers(path: SourceLike) -> dict[str, str]:
    """The layers of a source: name -> geometry type (as GDAL or the source's reader says).

    Examples
    --------
    >>> from county_gis._paths import bundled_layers_dir
    >>> list_layers(bundled_layers_dir() / "fumeng.gpkg")["county_boundary"]
    'MultiPolygon'
    """
    collected: dict[str, str] = {}
    with opened_source(path, None, collect=collected) as (opened, source):
        return collected or source.list_layers(opened)


def _recover(copy: Path) -> None:
    """Let SQLite recover the copy (roll back a hot journal, fold in a WAL) read-write.

    GDAL opens GeoPackages read-only, and a read-only connection cannot roll back a hot
    journal ("attempt to write a readonly database"); ``immutable=1`` would read the
    half-written pages instead. Recovering a copy gives the last committed state.
    """
    import sqlite3

    connection = sqlite3.connect(copy)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise LayerReadError(f"{copy.name}: SQLite cannot recover the GeoPackage: {exc}") from exc
    finally:
        connection.close()


def sqlite_side_files(path: Path) -> list[Path]:
    """The ``-journal``, ``-wal`` and ``-shm`` files SQLite keeps next to ``path``, if any."""
    return [p for p in (Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm"))
            if p.exists()]


@contextlib.contextmanager
def opened_source(
    given: SourceLike, report: LoadReport | None, *, collect: dict[str, str] | None = None
) -> Iterator[tuple[Any, Source]]:
    """Yield a read-safe path for ``given`` and the source that reads it.

    See the module docstring. A URL of a registered scheme is yielded as it is (text). A zip
    holding several data files gives their layers as its own: the member holding
    ``report.layer`` is yielded; with ``collect``, every member's layers are put into it
    instead (for :func:`list_layers`).

    Raises
    ------
    LayerReadError
        If the file does not exist, an archive breaks the limits, or no source reads it.
    """
    if isinstance(given, bytes | bytearray | memoryview) or hasattr(given, "read"):
        with _spooled(given, report) as (path, source), offline_gdal():
            check_content(path, source, where=describe(given))
            yield path, source
        return
    named = os.fspath(given)  # type: ignore[arg-type]
    if named.lstrip().lower().startswith("/vsi"):  # GDAL's virtual (network) file systems
        refuse_remote(named, what="source")
    if scheme_of(named) is not None:  # a registered URL source, else refused by source_for
        yield named, source_for(named)
        return
    note_input(named)
    with _opened_file(Path(named), report, collect) as path, offline_gdal():
        source = source_for(path)
        if not collect:  # (a zip whose members were listed: each is checked when read)
            check_content(path, source, where=named if path == Path(named)
                          else f"{named}:{path.name}")
        yield path, source


@contextlib.contextmanager
def _spooled(data: Any, report: LoadReport | None) -> Iterator[tuple[Path, Source]]:
    """Bytes or a binary file object in a temporary file named for the format they show."""
    where = describe(data)
    if hasattr(data, "read"):
        data = data.read()
        if not isinstance(data, bytes | bytearray):
            raise LayerReadError(f"{where}: the file object gave {type(data).__name__}, not "
                                 "bytes; open the file in binary mode ('rb')")
    data = bytes(data)
    source = source_for_bytes(data[:64], where)
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        path = Path(tmp) / f"memory{source.suffixes[0]}"
        path.write_bytes(data)
        if report is not None:
            report.add("source.memory", f"read from {len(data):,} bytes in memory, recognised as "
                       f"{source.name} by their first bytes (through a temporary file)",
                       severity=Severity.INFO)
        yield path, source


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def _utf8_named(path: Path, report: LoadReport | None) -> Iterator[Path]:
    """``path`` (and its sibling parts: ``.dbf``, ``.shx`` ...) linked under a UTF-8 name.

    A file name whose bytes are GBK (unpacked from a zip made on Chinese Windows) reaches
    Python with surrogate escapes; GDAL takes UTF-8 names only. The name is decoded as
    GB18030 (else the undecodable bytes become ``_``) and the parts are linked (or copied)
    under it into a temporary folder; the original files are untouched.
    """
    raw_stem = os.fsencode(path.stem)
    try:
        stem = raw_stem.decode("gb18030")
    except UnicodeDecodeError:
        stem = raw_stem.decode("utf-8", errors="replace").replace("\ufffd", "_")
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        for sibling in path.parent.iterdir():
            if sibling.stem != path.stem:
                continue
            link = Path(tmp) / f"{stem}{os.fsencode(sibling.suffix).decode('ascii', 'replace')}"
            try:
                os.symlink(sibling.resolve(), link)
            except OSError:
                shutil.copy2(sibling, link)
        if report is not None:
            report.add("source.file_name", f"the file name's bytes are not UTF-8 "
                       f"({raw_stem.hex(' ')}); read as GB18030: {stem!r}",
                       severity=Severity.INFO)
        yield Path(tmp) / f"{stem}{path.suffix}"


@contextlib.contextmanager
def _opened_file(
    path: Path, report: LoadReport | None, collect: dict[str, str] | None = None
) -> Iterator[Path]:
    """A read-safe path for the file ``path``: archives extracted, journals recovered."""
    if not path.exists():
        raise LayerReadError(f"{path}: no such file")
    if not _utf8(str(path)):
        with _utf8_named(path, report) as linked, _opened_file(linked, report) as opened:
            yield opened
        return
    suffix = path.suffix.lower()
    if suffix in ARCHIVES:
        from ._archive import extract_limited

        layer = report.layer if report is not None else None
        with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
            member = extract_limited(path, Path(tmp), report=report,
                                     choose=_member_chooser(path, layer, collect))
            yield member
        return
    if suffix == ".gpkg":
        side = sqlite_side_files(path)
        if side:
            with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
                copy = Path(tmp) / path.name
                shutil.copy2(path, copy)
                for extra in side:
                    shutil.copy2(extra, Path(tmp) / extra.name)
                _recover(copy)
                if report is not None:
                    names = ", ".join(p.name for p in side)
                    report.add("source.sqlite_journal",
                               f"{names} next to the GeoPackage (an unfinished transaction or "
                               "an open writer): the last committed state was read from a "
                               "recovered temporary copy; the original and its journal are "
                               "untouched", severity=Severity.INFO)
                yield copy
            return
    yield path


def _member_chooser(
    archive: Path, layer: str | None, collect: dict[str, str] | None
) -> Callable[[list[Path]], Path]:
    """Which of several data files of a zip to read: the one holding ``layer``.

    The members' layers are the archive's layers (a zip of ``roads.shp`` and ``plots.shp``
    has the layers ``roads`` and ``plots``). With ``collect``, every member's layers are put
    into it and the first member is returned.
    """

    def choose(found: list[Path]) -> Path:
        owner: dict[str, Path] = {}
        for member in found:
            for name, kind in source_for(member).list_layers(member).items():
                if name in owner:
                    raise LayerReadError(
                        f"{archive}: {owner[name].name} and {member.name} both hold a layer "
                        f"{name!r}; extract the archive and read them one by one")
                owner[name] = member
                if collect is not None:
                    collect[name] = kind
        if collect is not None:
            return found[0]
        names = ", ".join(repr(name) for name in owner)
        files = ", ".join(p.name for p in found)
        if layer is None:
            raise LayerReadError(
                f"{archive} holds {len(found)} data files ({files}) with the layers {names}; "
                "pass layer=... or read them all with read_layers()")
        if layer not in owner:
            raise LayerReadError(f"{archive}: no layer {layer!r} in its data files ({files}); "
                                 f"its layers: {names}")
        return owner[layer]

    return choose
