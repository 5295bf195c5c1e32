"""红黄绿灯: lamps for each target from its progress against 序时进度, by configurable rules.

Two presets, after practice in Chinese cities:

- ``points`` (stateless): green while less than 10 points behind 序时进度, yellow at 10–30
  points behind, red beyond 30 — or once 3 months of the year have passed with nothing
  started (no amount under construction or completed);
- ``catch_up`` (history-dependent): the same thresholds, but a red lamp stays red until the
  target has caught up (less than 10 points behind), and then turns yellow — not green — for
  a month; it turns green only if it is still on schedule at the next snapshot.

Every threshold is configurable (``[history.lamps]`` of project.toml: ``preset`` and any of
``yellow_behind``, ``red_behind``, ``not_started_months``, ``sticky_red``).

Examples
--------
>>> rules = LampRules.parse({"preset": "catch_up"})
>>> steps = [LampInput(8, -35.0, True), LampInput(9, -5.0, True),  # months, gap, started
...          LampInput(10, -2.0, True)]
>>> [lamp.value for lamp in light(steps, rules)]
['red', 'yellow', 'green']
>>> [lamp.value for lamp in light(steps, LampRules.parse({"preset": "points"}))]
['red', 'green', 'green']
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._choice import Choice
from ..errors import ConfigError, unknown_keys

__all__ = ["PRESETS", "Lamp", "LampInput", "LampRules", "Preset", "light", "next_lamp"]


class Lamp(Choice):
    """A lamp: green (on schedule), yellow (behind), red (far behind or not started), none."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    NONE = "none"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"绿": "green", "绿灯": "green", "黄": "yellow", "黄灯": "yellow", "红": "red",
                "红灯": "red", "无": "none"}

    @property
    def label(self) -> str:
        """Chinese label (绿灯 / 黄灯 / 红灯 / 无)."""
        return {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": "无"}[self.value]

    @property
    def colour(self) -> str:
        """The colour the map and the charts draw it in."""
        return {"green": "#1a9641", "yellow": "#e6a700", "red": "#d7191c",
                "none": "#999999"}[self.value]


class Preset(Choice):
    """The lamp rule presets: ``points`` (stateless) or ``catch_up`` (history-dependent)."""

    POINTS = "points"
    CATCH_UP = "catch_up"

    @classmethod
    def _what(cls) -> str:
        return "preset"


@dataclass(frozen=True)
class LampRules:
    """Thresholds of the lamps.

    Attributes
    ----------
    preset : Preset
    yellow_behind : float
        Points behind 序时进度 from which the lamp is yellow (default 10).
    red_behind : float
        Points behind beyond which the lamp is red (default 30).
    not_started_months : float or None
        Months of the year after which a target with nothing started is red (default 3;
        None: no such rule).
    sticky_red : bool
        A red lamp stays red until caught up (less than ``yellow_behind`` behind), then
        turns yellow for one snapshot (the ``catch_up`` preset).
    """

    preset: Preset = Preset.POINTS
    yellow_behind: float = 10.0
    red_behind: float = 30.0
    not_started_months: float | None = 3.0
    sticky_red: bool = False

    @classmethod
    def parse(cls, table: Mapping[str, Any] | None) -> LampRules:
        """Rules from a ``[history.lamps]`` table (``preset`` plus overrides).

        Examples
        --------
        >>> LampRules.parse({"preset": "catch_up", "red_behind": 25}).red_behind
        25.0
        >>> LampRules.parse({"preset": "traffic"})
        Traceback (most recent call last):
        ...
        county_gis.errors.ConfigError: [history.lamps] preset was 'traffic' but is expected \
to be one of points, catch_up
        """
        table = dict(table or {})
        try:
            preset = Preset.parse(table.pop("preset", "points"))
        except ValueError as exc:
            raise ConfigError(f"[history.lamps] {exc}") from None
        rules = PRESETS[preset]
        allowed = {f.name for f in dataclasses.fields(cls)} - {"preset"}
        unknown = unknown_keys(table, ["preset", *sorted(allowed)])  # preset popped above
        if unknown:
            raise ConfigError(f"[history.lamps] {unknown}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key == "sticky_red":
                if not isinstance(value, bool):
                    raise ConfigError(f"[history.lamps] sticky_red was {value!r} but must be "
                                      "true or false")
                values[key] = value
            elif key == "not_started_months" and value is False:
                values[key] = None
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"[history.lamps] {key} was {value!r} but must be a "
                                  "non-negative number of points (or months)")
            else:
                values[key] = float(value)
        out = dataclasses.replace(rules, **values)
        if out.red_behind < out.yellow_behind:
            raise ConfigError(f"[history.lamps] red_behind ({out.red_behind}) must not be less "
                              f"than yellow_behind ({out.yellow_behind})")
        return out


#: The presets by name.
PRESETS = {
    Preset.POINTS: LampRules(Preset.POINTS),
    Preset.CATCH_UP: LampRules(Preset.CATCH_UP, sticky_red=True),
}


@dataclass(frozen=True)
class LampInput:
    """What one snapshot says about one target.

    Attributes
    ----------
    months : float
        Months of the target's year elapsed (0–12).
    gap : float
        % completed minus 序时进度, in points (negative: behind); NaN without data.
    started : bool
        Some amount is under construction or completed.
    """

    months: float
    gap: float
    started: bool


def next_lamp(step: LampInput, previous: Lamp | None, rules: LampRules) -> Lamp:
    """The lamp at one snapshot, given the lamp at the previous one.

    Examples
    --------
    >>> rules = PRESETS[Preset.POINTS]
    >>> [next_lamp(LampInput(6, g, True), None, rules).value for g in (-9.99, -10, -30, -30.01)]
    ['green', 'yellow', 'yellow', 'red']
    >>> next_lamp(LampInput(3, 0.0, False), None, rules).value  # 3 months, nothing started
    'red'
    """
    if math.isnan(step.gap):
        return Lamp.NONE
    behind = -step.gap
    if (rules.not_started_months is not None and not step.started
            and step.months >= rules.not_started_months) or behind > rules.red_behind:
        lamp = Lamp.RED
    elif behind >= rules.yellow_behind:
        lamp = Lamp.YELLOW
    else:
        lamp = Lamp.GREEN
    if rules.sticky_red and previous is Lamp.RED and lamp is not Lamp.RED:
        # red stays red until caught up; on catching up it turns yellow, not green
        lamp = Lamp.YELLOW if behind < rules.yellow_behind else Lamp.RED
    return lamp


def light(steps: Iterable[LampInput], rules: LampRules) -> list[Lamp]:
    """The lamps of one target over its snapshots, oldest first."""
    out: list[Lamp] = []
    previous: Lamp | None = None
    for step in steps:
        previous = next_lamp(step, previous, rules)
        out.append(previous)
    return out
