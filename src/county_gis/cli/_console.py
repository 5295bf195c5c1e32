"""Data on the terminal: rich markup and control characters of the data shown as text.

A name like ``[/red]`` is rich markup (it ended ``measure`` with a MarkupError), and a name
holding ``ESC [ 2 J`` clears the screen of whoever reads the output. Every value that comes
from the data passes through :func:`plain` (for rich tables and ``console.print``) or
:func:`terminal_text` (for ``click.echo``) before it reaches the terminal; :func:`make_console`
is the console of the commands (no emoji codes, no automatic highlighting of the data).

Examples
--------
>>> plain("[/red]大板镇\\x1b[2J")
'\\\\[/red]大板镇\\\\x1b[2J'
>>> terminal_text("a\\u202eb\\x07")
'a\\\\u202eb\\\\x07'
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.markup import escape

__all__ = ["make_console", "plain", "terminal_text"]

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
    """The commands' console: 160 columns when not a terminal, no emoji, no highlighting."""
    console = Console(emoji=False, highlight=False)
    if width is not None:
        return Console(emoji=False, highlight=False, width=max(console.width, width))
    if not console.is_terminal:  # a pipe or a file: do not squeeze the table
        return Console(emoji=False, highlight=False, width=160)
    return console
