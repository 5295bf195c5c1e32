"""Atomic output files: write to a temporary file in the target folder, fsync, rename.

Every writer in county_gis goes through :func:`atomic_path`, so a crash never leaves a
half-written report or map, and an existing file is never replaced without ``overwrite``.

Three more guarantees:

- **An output never names an input.** Readers record the files they read
  (:func:`note_input`: layers, rasters, project and target files); :func:`atomic_path` refuses
  to write over any of them (:class:`~county_gis.errors.OutputIsInputError`), with or without
  ``overwrite``. The record lives for the process (a CLI run, a notebook kernel);
  :func:`forget_inputs` clears it.
- **No temporary file is left behind.** The temporary file is removed when the block fails;
  one left by a process that was killed (``kill -9``, a power cut) carries that process's id in
  its name (``.out.html.<pid>.<random>.tmp``) and is removed by the next write to the same
  target once that process is gone.
- **Write errors are one line.** A read-only folder, a full disk or a file name the system
  refuses become :class:`~county_gis.errors.OutputWriteError` naming the file and the fix.

:func:`exclusive_lock` serialises writers of one file across processes (used by
:func:`county_gis.io.write_layer` for GeoPackages, where a write is copy, add, rename).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

from .errors import CountyGisError, OutputExistsError, OutputIsInputError, OutputWriteError

__all__ = ["atomic_path", "check_overwrite", "exclusive_lock", "forget_inputs", "note_input",
           "write_error"]

_inputs: dict[str, str] = {}
_inputs_lock = threading.Lock()

#: longest file name most file systems accept, in bytes
_NAME_MAX = 255


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(os.fspath(path)))


def note_input(path: str | os.PathLike[str]) -> None:
    """Record ``path`` as an input of this process: :func:`atomic_path` never writes over it."""
    with contextlib.suppress(OSError, ValueError, TypeError):
        key = _key(path)
        with _inputs_lock:
            _inputs.setdefault(key, os.fspath(path))


def forget_inputs() -> None:
    """Forget the inputs recorded by :func:`note_input` (e.g. in a long notebook session)."""
    with _inputs_lock:
        _inputs.clear()


def _check_not_input(target: Path) -> None:
    try:
        key = _key(target)
    except (OSError, ValueError):
        return
    with _inputs_lock:
        named = _inputs.get(key)
    if named is not None:
        raise OutputIsInputError(
            f"{target} is one of the inputs (read as {named}); county_gis never writes over "
            "its inputs, with or without --overwrite: choose another --out"
        )


def check_overwrite(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Return ``path`` as a Path; refuse an input, and an existing file unless ``overwrite``.

    Raises
    ------
    OutputIsInputError
        If ``path`` is a file read as an input in this process.
    OutputWriteError
        If the file name is one the system refuses (NUL, too long).
    OutputExistsError
        If the file exists and ``overwrite`` is false.
    """
    target = _check_name(Path(path))
    _check_not_input(target)
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"{target} exists; pass overwrite=True (CLI: --overwrite) to replace it"
        )
    return target


def _check_name(target: Path) -> Path:
    text = os.fspath(target)
    if "\x00" in text:
        raise OutputWriteError(f"cannot write {text!r}: the file name holds a NUL character; "
                               "choose another --out")
    size = len(os.fsencode(target.name)) + 40  # room for the temporary name's additions
    if size > _NAME_MAX:
        raise OutputWriteError(
            f"cannot write {text!r}: the file name is {size - 40} bytes long and the system "
            f"allows {_NAME_MAX} (temporary name included: {_NAME_MAX - 40}); choose a shorter "
            "--out (or a shorter project name)")
    return target


def write_error(exc: OSError, target: Path) -> OutputWriteError:
    """An :class:`OutputWriteError` for ``exc`` raised writing ``target``, with the fix."""
    folder = target.parent
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = f"the folder {folder} is read-only for this user; choose another --out"
    elif code in (errno.ENOSPC, errno.EDQUOT):
        why = f"the disk holding {folder} is full; free some space or choose another --out"
    elif code == errno.ENAMETOOLONG:
        why = "the file name is too long; choose a shorter --out"
    elif code in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST):
        why = f"the folder {folder} cannot be created or is not a folder; choose another --out"
    else:
        why = f"{exc.strerror or exc}; choose another --out"
    return OutputWriteError(f"cannot write {target}: {why}")


def _remove_stale(target: Path) -> None:
    """Remove temporary files of this target left by processes that no longer run."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[0-9a-f]+\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            match = pattern.match(entry.name)
            if match is None or _alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock for writing ``path`` across processes (blocks until free).

    On POSIX the lock is ``flock`` on the file's folder (nothing is left behind); elsewhere a
    lock file ``.<name>.lock`` next to it, locked with ``msvcrt.locking``.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle = open(folder / f".{target.name}.lock", "a+b")  # noqa: SIM115
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        finally:
            handle.close()
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success fsync it and rename it into place.

    The temporary file is removed if the block raises (see the module docstring for files
    left by killed processes). The parent folder is created.

    Parameters
    ----------
    path : path-like
        The final file.
    overwrite : bool, default False
        Replace an existing file.

    Raises
    ------
    OutputIsInputError
        If ``path`` is a file read as an input in this process.
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false (checked before and after writing).
    OutputWriteError
        If the folder is read-only, the disk is full, or the name is refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("a,b\\n1,2\\n", encoding="utf-8")
    >>> out.read_text(encoding="utf-8")
    'a,b\\n1,2\\n'
    """
    target = check_overwrite(path, overwrite)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    except OSError as exc:
        raise write_error(exc, target) from exc
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            # link() fails if the target appeared meanwhile: never clobber a file silently
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise OutputExistsError(
                    f"{target} appeared while writing; pass overwrite=True to replace it"
                ) from None
            except OSError:  # a file system without hard links
                os.replace(tmp, target)
            else:
                tmp.unlink()
        with contextlib.suppress(OSError):
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except CountyGisError:
        raise
    except OSError as exc:
        if exc.errno is None:
            raise
        raise write_error(exc, target) from exc
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(OSError):
                leftover.unlink()
