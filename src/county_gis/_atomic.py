"""Atomic output files: write to a temporary file in the target folder, fsync, rename.

Every writer in county_gis goes through :func:`atomic_path`, so a crash never leaves a
half-written report or map, and an existing file is never replaced without ``overwrite``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputExistsError

__all__ = ["atomic_path", "check_overwrite"]


def check_overwrite(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Return ``path`` as a Path; refuse an existing file unless ``overwrite``.

    Raises
    ------
    OutputExistsError
        If the file exists and ``overwrite`` is false.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"{target} exists; pass overwrite=True (CLI: --overwrite) to replace it"
        )
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success fsync it and rename it into place.

    The temporary file is removed if the block raises. The parent folder is created.

    Parameters
    ----------
    path : path-like
        The final file.
    overwrite : bool, default False
        Replace an existing file.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false (checked before and after writing).

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
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.unlink()  # writers (GDAL drivers among them) want to create the file themselves
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
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
