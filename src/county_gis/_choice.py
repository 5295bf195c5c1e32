"""Option enums parsed from names or aliases (methods, units of work, map options ...).

Every option of the toolkit that a user types — ``method="gk"``, ``engine="fiona"``,
``basemap="天地图"``, ``by="乡镇"`` — is a :class:`Choice`: :meth:`Choice.parse` accepts a
member, its value or an alias (case, spaces, ``-`` and ``_`` and full-width forms do not
matter) and refuses anything else with a message that echoes the value and lists what is
allowed (like mapclassify's ``_classify_API``).

Examples
--------
>>> class Colour(Choice):
...     RED = "red"
...     BLUE = "blue"
...
...     @classmethod
...     def _aliases(cls) -> dict[str, str]:
...         return {"红": "red"}
>>> Colour.parse("红"), Colour.parse(" Blue ")
(<Colour.RED: 'red'>, <Colour.BLUE: 'blue'>)
>>> Colour.parse("green")
Traceback (most recent call last):
...
ValueError: colour was 'green' but is expected to be one of red, blue
"""

from __future__ import annotations

import enum
import functools
import unicodedata
from typing import Any, Self

__all__ = ["Choice", "normalise_name"]


def normalise_name(name: object) -> str:
    """Normalised form used to look names up: NFKC, lower case, no spaces, ``-`` or ``_``.

    Examples
    --------
    >>> normalise_name(" Under-Construction ")
    'underconstruction'
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return text.replace(" ", "").replace("_", "").replace("-", "")


@functools.cache
def _lookup(cls: type[Choice]) -> dict[str, Any]:
    """Normalised value, member name and alias -> member value (built once per enum)."""
    names = {normalise_name(m.value): m.value for m in cls}
    names.update({normalise_name(m.name): m.value for m in cls})
    names.update({normalise_name(a): target for a, target in cls._aliases().items()})
    return names


class Choice(enum.Enum):
    """An enum of option values; :meth:`parse` accepts a member, its value or an alias.

    Subclasses may override :meth:`_aliases` (alternative names), :meth:`_what` (the option's
    name in messages), :meth:`_allowed` (how the valid values are listed), :meth:`_hint`
    (what to do instead), :meth:`_default` (the member ``None`` stands for) and
    :meth:`_error` (the exception class raised, ``ValueError`` by default).
    """

    @classmethod
    def _error(cls) -> type[Exception]:
        """The exception class :meth:`parse` raises (a ``ValueError`` subclass)."""
        return ValueError

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        """Alternative names -> member values (none by default)."""
        return {}

    @classmethod
    def _what(cls) -> str:
        """The option's name in error messages."""
        return cls.__name__.lower()

    @classmethod
    def _allowed(cls) -> str:
        """The valid values, as the error message lists them."""
        return ", ".join(str(m.value) for m in cls)

    @classmethod
    def _hint(cls) -> str:
        """What to do instead, appended to the error message."""
        return ""

    @classmethod
    def _default(cls) -> Self | None:
        """The member that ``None`` stands for (None: ``None`` is refused)."""
        return None

    @classmethod
    def parse(cls, value: Self | str | Any) -> Self:
        """Return the member named ``value``; refuse unknown names with the valid list.

        Raises
        ------
        ValueError
            (or the subclass's :meth:`_error`) If ``value`` names no member; the message
            lists the valid values.
        """
        if isinstance(value, cls):
            return value
        if value is None and cls._default() is not None:
            return cls._default()  # type: ignore[return-value]
        if value is not None:
            found = _lookup(cls).get(normalise_name(value))
            if found is not None:
                return cls(found)
        raise cls._error()(
            f"{cls._what()} was {value!r} but is expected to be one of {cls._allowed()}"
            f"{cls._hint()}"
        )
