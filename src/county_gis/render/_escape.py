"""Neutralising values on their way into a page: HTML text, JSON in a script block, Jinja.

folium and branca re-render the *output* of every macro as a Jinja template
(``MacroElement.render`` wraps it in ``Element(...)``), so a ``{% ... %}`` found in an
attribute value would run while saving. Values therefore never enter a template: they
travel as JSON inside ``<script type="application/json">`` blocks, where every character
that HTML, a ``</script>`` or Jinja could read (``< > & ' { } % #`` and the line
separators U+2028 / U+2029) is written as a ``\\uXXXX`` escape. JavaScript reads the
values back unchanged and puts them on the page with ``textContent`` only.

Examples
--------
>>> from county_gis.render._escape import script_json, html_text
>>> print(script_json({"name": "{% if 1 %}<b>&'#"}))
{"name":"\\u007b\\u0025 if 1 \\u0025\\u007d\\u003cb\\u003e\\u0026\\u0027\\u0023"}
>>> html_text('<img src=x onerror="alert(1)">')
'&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["JINJA_MARKERS", "RawJSON", "html_text", "script_json", "script_text"]

#: Character sequences that start a Jinja construct.
JINJA_MARKERS = ("{{", "{%", "{#")

_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
    ord("{"): "\\u007b",
    ord("}"): "\\u007d",
    ord("%"): "\\u0025",
    ord("#"): "\\u0023",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


_HTML = {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    ord("'"): "&#x27;",
    ord("{"): "&#123;",
    ord("}"): "&#125;",
    ord("%"): "&#37;",
    ord("#"): "&#35;",
}


def html_text(value: Any) -> str:
    """HTML-escape ``value`` (as text) for an element body or a quoted attribute.

    Jinja markers are escaped too (``{`` as ``&#123;``), so the text is inert if a
    template engine reads it again.

    Examples
    --------
    >>> html_text("{{ 7*7 }}")
    '&#123;&#123; 7*7 &#125;&#125;'
    """
    return ("" if value is None else str(value)).translate(_HTML)


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, RawJSON):
        out.append(value.text)
    elif value is None or value is True or value is False:
        out.append(json.dumps(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(repr(value) if math.isfinite(value) else "null")
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(_string(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif hasattr(value, "item"):  # numpy scalars
        _encode(value.item(), out)
    else:
        out.append(_string(str(value)))


class RawJSON:
    """Already-serialised JSON (numbers only, e.g. encoded coordinates) spliced in as is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        if any(c in text for c in "<>&'\"%#") or any(m in text for m in JINJA_MARKERS):
            raise ValueError("RawJSON takes numeric JSON only")
        self.text = text


def script_json(value: Any) -> str:
    """Serialise ``value`` to JSON that is inert inside a ``<script>`` block and to Jinja.

    Non-finite floats become ``null``; numpy scalars are unwrapped.

    Examples
    --------
    >>> script_json([1, 2.5, float("nan"), None, "a</script>"])
    '[1,2.5,null,null,"a\\\\u003c/script\\\\u003e"]'
    """
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def script_text(code: str) -> str:
    """Make JavaScript or CSS source safe to inline in ``<script>`` / ``<style>``.

    A ``</script`` or ``</style`` inside the source (in a string, say) would end the
    block early; it is written as ``<\\/script``. ``sourceMappingURL`` comments are
    dropped (they name files that do not travel with the page).

    Examples
    --------
    >>> script_text('var s = "</script>";\\n//# sourceMappingURL=a.js.map\\n')
    'var s = "<\\\\/script>";\\n\\n'
    """
    import re

    code = re.sub(r"(?m)^\s*(//|/\*)# sourceMappingURL=.*$", "", code)
    return re.sub(r"</(script|style)", r"<\\/\1", code, flags=re.IGNORECASE)
