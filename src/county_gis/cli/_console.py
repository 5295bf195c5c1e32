"""What reaches the terminal: data shown as text, and output any console can show.

**Data stays data.** A name like ``[/red]`` is rich markup (it ended ``measure`` with a
MarkupError), and a name holding ``ESC [ 2 J`` clears the screen of whoever reads the output.
Every value that comes from the data passes through :func:`plain` (for rich tables and
``console.print``) or :func:`terminal_text` (for ``click.echo``) before it reaches the terminal;
:func:`make_console` is the console of the commands (no emoji codes, no automatic highlighting
of the data).

**Any console.** Python writes to a Windows console window in UTF-16 (whatever the code page),
so Chinese shows in ``cmd.exe``, PowerShell and Windows Terminal alike. Redirected to a file or
a pipe, or on a console whose code page lacks a character (cp437 on an English Windows, GBK
lacking a symbol), the stream's encoding is the locale's; a character it cannot encode would
stop the command with ``UnicodeEncodeError`` after the work was done. :func:`readable_console`
keeps the encoding the user's tools expect and turns such a character into ``?`` instead.
``PYTHONUTF8=1`` (or ``chcp 65001``) gives UTF-8 throughout.

Examples
--------
>>> plain("[/red]大板镇\\x1b[2J")
'\\\\[/red]大板镇\\\\x1b[2J'
>>> terminal_text("a\\u202eb\\x07")
'a\\\\u202eb\\\\x07'
"""

from __future__ import annotations

import codecs
import io
import re
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

__all__ = ["make_console", "plain", "readable_console", "terminal_text"]

#: C0 controls but tab and line feed, DEL, C1 controls (CSI U+009B among them), bidi overrides
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(value: Any) -> str:
    """``value`` as text with every control character shown as ``\\xNN`` (nothing runs)."""
    return _CONTROL.sub(_visible, str(value))


def plain(value: Any) -> str:
    """``value`` for rich: control characters shown as ``\\xNN``, markup escaped."""
    return escape(terminal_text(value))


def make_console(*, width: int | None = None) -> Console:
    """The commands' console: ``width`` columns (default: the terminal's, 160 when not a
    terminal), no emoji, no highlighting of the data."""
    if width is not None:
        return Console(emoji=False, highlight=False, width=width)
    console = Console(emoji=False, highlight=False)
    if not console.is_terminal:  # a pipe or a file: do not squeeze the table
        return Console(emoji=False, highlight=False, width=160)
    return console


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
