"""Units of area and length, as enums with Chinese and English names.

1 亩 = 10,000 / 15 m² (exactly), 1 公顷 = 15 亩 = 10,000 m², 1 万亩 = 10,000 亩,
1 平方公里 = 1,000,000 m² = 1,500 亩; 1 公里 = 1,000 米.

Examples
--------
>>> from county_gis.units import AreaUnit, LengthUnit
>>> AreaUnit.parse("亩").from_base(666.6666666666666)
1.0
>>> round(AreaUnit.parse("ha").to_base(1.0))
10000
>>> LengthUnit.parse("公里").label
'公里'
>>> AreaUnit.parse("acre")
Traceback (most recent call last):
...
county_gis.errors.UnitError: unknown area unit 'acre'; valid: ...
"""

from __future__ import annotations

import enum
import unicodedata
from typing import Any, Self

from .errors import UnitError

__all__ = ["AreaUnit", "LengthUnit", "format_amount"]


def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).strip().lower()
    return text.replace(" ", "").replace("_", "").replace("-", "").replace("²", "2")


class _Unit(enum.Enum):
    """A unit: a key, a Chinese label, a factor to the SI base unit, and aliases."""

    def __init__(self, key: str, label: str, factor: float, aliases: tuple[str, ...]) -> None:
        self.key = key
        self.label = label
        self.factor = factor
        self.aliases = aliases

    @classmethod
    def _kind(cls) -> str:
        return "unit"

    @classmethod
    def parse(cls, value: Self | str) -> Self:
        """Return the unit named by ``value`` (an instance, a key, a Chinese or English name).

        Raises
        ------
        UnitError
            If the name is unknown; the message lists the valid names.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            wanted = _normalise(value)
            for unit in cls:
                names = (unit.key, unit.label, unit.name, *unit.aliases)
                if wanted in {_normalise(n) for n in names}:
                    return unit
        valid = ", ".join(f"{u.key} ({u.label})" for u in cls)
        raise UnitError(f"unknown {cls._kind()} unit {value!r}; valid: {valid}")

    def from_base(self, value: Any) -> Any:
        """Convert from the base unit (m² or m) into this unit."""
        return value / self.factor

    def to_base(self, value: Any) -> Any:
        """Convert from this unit into the base unit (m² or m)."""
        return value * self.factor

    def __str__(self) -> str:
        return self.label


class AreaUnit(_Unit):
    """Units of area. The base unit is the square metre.

    Examples
    --------
    >>> [u.label for u in AreaUnit]
    ['平方米', '亩', '公顷', '万亩', '平方公里']
    >>> AreaUnit.parse("km²") is AreaUnit.SQUARE_KILOMETRE
    True
    """

    SQUARE_METRE = ("m2", "平方米", 1.0, ("sqm", "square metre", "square meter", "sq m", "㎡"))
    MU = ("mu", "亩", 10_000.0 / 15.0, ("市亩",))
    HECTARE = ("ha", "公顷", 10_000.0, ("hectare", "hectares"))
    WAN_MU = ("wan_mu", "万亩", 1e8 / 15.0, ("10k mu", "10000 mu"))
    SQUARE_KILOMETRE = (
        "km2",
        "平方公里",
        1e6,
        ("平方千米", "square kilometre", "square kilometer", "sq km", "㎞²"),
    )

    @classmethod
    def _kind(cls) -> str:
        return "area"


class LengthUnit(_Unit):
    """Units of length. The base unit is the metre.

    Examples
    --------
    >>> LengthUnit.parse("km").from_base(1500.0)
    1.5
    """

    METRE = ("m", "米", 1.0, ("metre", "meter", "metres", "meters"))
    KILOMETRE = (
        "km", "公里", 1000.0, ("千米", "kilometre", "kilometer", "kilometres", "kilometers")
    )

    @classmethod
    def _kind(cls) -> str:
        return "length"


def format_amount(value: Any, digits: int = 1, *, sign: bool = False) -> str:
    """An amount as shown in tables and documents: thousands separated, "—" when missing.

    The one number format of the terminal tables, the printed map's tables and the 进度通报.

    Examples
    --------
    >>> format_amount(90349.763), format_amount(None), format_amount(float("nan"), 2)
    ('90,349.8', '—', '—')
    >>> format_amount(7.333, 2, sign=True)
    '+7.33'
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    if number != number:  # NaN
        return "—"
    return f"{number:+,.{digits}f}" if sign else f"{number:,.{digits}f}"
