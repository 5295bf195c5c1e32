"""Option enums of :mod:`county_gis.io` (engines, web-map offsets): parsed from names or aliases.

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
from typing import Self

__all__ = ["Choice"]


def _key(value: object) -> str:
    return str(value).strip().lower().replace("-", "").replace("_", "")


class Choice(enum.Enum):
    """An enum of option values; :meth:`parse` accepts a member, its value or an alias."""

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        """Alternative names -> member values (none by default)."""
        return {}

    @classmethod
    def _what(cls) -> str:
        """The option's name in error messages."""
        return cls.__name__.lower()

    @classmethod
    def _hint(cls) -> str:
        """What to do instead, appended to the error message."""
        return ""

    @classmethod
    def parse(cls, value: Self | str) -> Self:
        """Return the member named ``value``; refuse unknown names with the valid list.

        Raises
        ------
        ValueError
            If ``value`` names no member; the message lists the valid values.
        """
        if isinstance(value, cls):
            return value
        names = {_key(m.value): m.value for m in cls}
        names.update({_key(alias): target for alias, target in cls._aliases().items()})
        found = names.get(_key(value))
        if found is not None:
            return cls(found)
        allowed = ", ".join(str(m.value) for m in cls)
        raise ValueError(
            f"{cls._what()} was {value!r} but is expected to be one of {allowed}{cls._hint()}"
        )
