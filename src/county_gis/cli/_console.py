"""Console output that a Windows terminal can always show: UTF-8, or a clean fallback.

Python writes to a Windows console window in UTF-16 (whatever the code page), so Chinese
shows in ``cmd.exe``, PowerShell and Windows Terminal alike. Redirected to a file or a pipe,
or on a console whose code page lacks a character (cp437 on an English Windows, GBK lacking a
symbol), the stream's encoding is the locale's; a character it cannot encode would stop the
command with ``UnicodeEncodeError`` after the work was done. :func:`readable_console` keeps
the encoding the user's tools expect and turns such a character into ``?`` instead.
``PYTHONUTF8=1`` (or ``chcp 65001``) gives UTF-8 throughout.
"""

from __future__ import annotations

import codecs
import io
import sys

__all__ = ["readable_console"]


def readable_console() -> list[str]:
    """Make ``sys.stdout`` / ``sys.stderr`` replace what their encoding cannot show.

    UTF-8 (and UTF-16) streams and streams that are not text files are left as they are.
    Returns the names of the streams changed.

    Examples
    --------
    >>> import io, sys
    >>> saved = sys.stdout
    >>> sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="cp437")
    >>> try:
    ...     changed = readable_console()
    ...     _ = sys.stdout.write("县域面积 6,215.0 km²")
    ...     sys.stdout.flush()
    ...     written = sys.stdout.buffer.getvalue()
    ... finally:
    ...     sys.stdout = saved
    >>> changed, written
    (['stdout'], b'???? 6,215.0 km\\xfd')
    """
    changed = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, io.TextIOWrapper) or stream.errors != "strict":
            continue
        try:
            encoding = codecs.lookup(stream.encoding).name
        except LookupError:
            continue
        if encoding.startswith("utf"):
            continue
        stream.reconfigure(errors="replace")
        changed.append(name)
    return changed
