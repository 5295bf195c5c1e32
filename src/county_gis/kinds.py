"""Layer kinds and project statuses: enums backed by the data file ``data/kinds.toml``.

Bureaus name the same thing many ways (完工, 已完成, 竣工 ...); :meth:`Status.parse` and
:meth:`LayerKind.parse` map every declared alias onto the canonical value and refuse
anything else with the list of valid names. Adding an alias never touches Python.

Examples
--------
>>> from county_gis.kinds import LayerKind, Status
>>> Status.parse("竣工")
<Status.COMPLETED: 'completed'>
>>> LayerKind.parse("矿山复绿").label
'矿山复绿'
>>> Status.parse("maybe")
Traceback (most recent call last):
...
ValueError: status was 'maybe' but is expected to be one of planned (计划), ...
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from ._choice import Choice, normalise_name

__all__ = ["LayerKind", "Status", "normalise_name"]


@cache
def _registry() -> dict[str, Any]:
    text = resources.files("county_gis").joinpath("data/kinds.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


class _Named(Choice):
    """An enum whose members carry a Chinese label and aliases from ``kinds.toml``."""

    @classmethod
    def _section(cls) -> str:
        raise NotImplementedError

    @property
    def label(self) -> str:
        """Chinese label."""
        return str(_registry()[self._section()][self.value]["label"])

    @property
    def aliases(self) -> tuple[str, ...]:
        """Declared alternative names."""
        return tuple(_registry()[self._section()][self.value].get("aliases", ()))

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {name: m.value for m in cls for name in (m.label, *m.aliases)}

    @classmethod
    def _allowed(cls) -> str:
        return ", ".join(f"{m.value} ({m.label})" for m in cls)

    @classmethod
    def _hint(cls) -> str:
        return " or an alias of them"


class LayerKind(_Named):
    """What a project layer holds; one kind per target family."""

    @classmethod
    def _section(cls) -> str:
        return "kinds"

    ROAD_REBUILD = "road_rebuild"
    STREET_RENOVATION = "street_renovation"
    MINE_RESTORATION = "mine_restoration"
    AFFORESTATION = "afforestation"
    SOIL_CONSERVATION = "soil_conservation"
    PV_STATION = "pv_station"
    SCHOOL = "school"
    OUTFALL = "outfall"
    WASTEWATER_PLANT = "wastewater_plant"
    POWER_LINE = "power_line"
    WATER_SUPPLY = "water_supply"

    @property
    def geometry(self) -> str:
        """Expected geometry: line, polygon, point, line_or_polygon, point_or_polygon or any."""
        return str(_registry()["kinds"][self.value]["geometry"])

    @classmethod
    def _what(cls) -> str:
        return "kind"


class Status(_Named):
    """Where a project stands: planned, under construction or completed."""

    @classmethod
    def _section(cls) -> str:
        return "statuses"

    PLANNED = "planned"
    UNDER_CONSTRUCTION = "under_construction"
    COMPLETED = "completed"
