"""The targets registry: every quantitative target of the work report, from a TOML data file.

The bundled file ``data/targets_2023.toml`` holds the targets of sections 五–八 of the 2023
government work report of 阜新蒙古族自治县; :func:`load_targets` reads it (or a file of your own
for another year), checks every entry and raises one :class:`~county_gis.errors.ConfigError`
listing every problem found. Adding a target never touches Python.

Examples
--------
>>> from county_gis.targets import load_targets
>>> targets = load_targets()
>>> len(targets) >= 20
True
>>> roads = next(t for t in targets if t.id == "rural_roads")
>>> roads.title, roads.measure.value, roads.value, roads.unit
('新改建、维修改造农村公路200公里', 'length', 200.0, '公里')
>>> [k.value for k in roads.kinds], roads.indicator
(['road_rebuild'], False)
>>> next(t for t in targets if t.id == "good_air_days").indicator
True
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._choice import Choice
from .errors import ConfigError, UnitError, unknown_keys
from .units import AreaUnit, LengthUnit
from .vocabulary import LayerKind, normalise_name

__all__ = ["BUNDLED_TARGETS", "Measure", "Target", "load_targets", "matches_filter"]

#: The targets file shipped with the package.
BUNDLED_TARGETS = "targets_2023.toml"

_REQUIRED = ("id", "title", "section", "measure", "unit", "value", "year")
_OPTIONAL = ("kinds", "filter", "field", "note", "schedule", "milestones")


class Measure(Choice):
    """How progress against a target is measured.

    Attributes
    ----------
    LENGTH
        Geodesic length of the linked line features.
    AREA
        Geodesic area of the union of the linked polygons (overlaps counted once).
    COUNT
        Number of linked features.
    SUM
        Sum of a numeric column (``Target.field``) of the linked features.

    Examples
    --------
    >>> Measure.parse("Area")
    <Measure.AREA: 'area'>
    >>> Measure.parse("volume")
    Traceback (most recent call last):
    ...
    ValueError: measure was 'volume' but is expected to be one of length, area, count, sum
    """

    LENGTH = "length"
    AREA = "area"
    COUNT = "count"
    SUM = "sum"


#: The kind geometries (``LayerKind.geometry``) a length or an area target can measure.
_GEOMETRY_FOR = {
    Measure.LENGTH: frozenset({"line", "line_or_polygon", "any"}),
    Measure.AREA: frozenset({"polygon", "line_or_polygon", "point_or_polygon", "any"}),
}


@dataclass(frozen=True)
class Target:
    """One quantitative target of the work report.

    Attributes
    ----------
    id : str
        Unique identifier; a feature's ``target`` field may name it.
    title : str
        The target as the report words it.
    section : str
        The report section (五 / 六 / 七 / 八).
    measure : Measure
        length, area, count or sum.
    unit : str
        The unit of ``value`` (公里, 亩, 条, 千瓦 ...).
    value : float
        The target amount, in ``unit``.
    year : int
        The year the target is for. A feature links through its kind and filter only when
        its ``year`` is empty or equal to it (see :func:`county_gis.analysis.link_features`).
    kinds : tuple of LayerKind
        The layer kinds the target draws from; empty for an indicator with no map layer.
    filter : mapping of str to tuple of str
        Column -> allowed values; a feature of one of ``kinds`` links when it matches all.
    field : str or None
        The column a ``sum`` target adds.
    note : str or None
        A remark shown in the progress table.
    schedule : tuple of float
        序时进度 as a monthly curve: the cumulative % expected at the end of each of the 12
        months of ``year`` (``schedule = [5, 10, ...]``); empty: linear over the year.
    milestones : tuple of (date, float)
        序时进度 as milestones: the cumulative % expected at dates of ``year``, linear in
        between (``milestones = { "2023-06-30" = 40, "2023-12-31" = 100 }``).
    """

    id: str
    title: str
    section: str
    measure: Measure
    unit: str
    value: float
    year: int
    kinds: tuple[LayerKind, ...] = ()
    filter: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    field: str | None = None
    note: str | None = None
    schedule: tuple[float, ...] = ()
    milestones: tuple[tuple[dt.date, float], ...] = ()

    @property
    def indicator(self) -> bool:
        """True when the target draws on no map layer (good-air days, jobs, ...)."""
        return not self.kinds

    @property
    def area_unit(self) -> AreaUnit:
        """The unit as an :class:`~county_gis.units.AreaUnit` (area targets only)."""
        return AreaUnit.parse(self.unit)

    @property
    def length_unit(self) -> LengthUnit:
        """The unit as a :class:`~county_gis.units.LengthUnit` (length targets only)."""
        return LengthUnit.parse(self.unit)


def matches_filter(frame: pd.DataFrame, target: Target) -> pd.Series:
    """Boolean Series: which rows of ``frame`` pass ``target.filter``.

    A missing filter column matches nothing. Values are compared after normalisation
    (NFKC, lower case, no spaces, ``-`` or ``_``).

    Examples
    --------
    >>> t = Target("r", "roads", "六", Measure.LENGTH, "公里", 1.0, 2023,
    ...            filter={"work_type": ("新建", "改建")})
    >>> frame = pd.DataFrame({"work_type": ["新建", "维修改造", None, " 改建 "]})
    >>> matches_filter(frame, t).tolist()
    [True, False, False, True]
    """
    keep = pd.Series(True, index=frame.index)
    for column, allowed in target.filter.items():
        if column not in frame.columns:
            return pd.Series(False, index=frame.index)
        wanted = {normalise_name(v) for v in allowed}
        values = frame[column]
        # each distinct value is normalised once (a layer has few distinct 建设性质 / 道路类别)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        hits = np.array([normalise_name(str(v)) in wanted for v in uniques], dtype=bool)
        keep &= pd.Series(np.where(codes >= 0, hits[np.maximum(codes, 0)] if len(hits)
                                   else False, False), index=frame.index)
    return keep


def _finite(value: int | float) -> bool:
    """True if ``value`` is a finite float (a 400-digit integer is not: it overflows)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _read(path: str | os.PathLike[str] | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        name = f"county_gis/data/{BUNDLED_TARGETS}"
        text = resources.files("county_gis").joinpath(f"data/{BUNDLED_TARGETS}").read_text(
            encoding="utf-8")
    else:
        name = str(path)
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise ConfigError(
                f"targets file {name} does not exist; pass the path of a TOML file with "
                "[[targets]] entries, or None for the bundled 2023 targets"
            ) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"targets file {name} is not UTF-8 ({exc}); save it as UTF-8") \
                from None
    try:
        return name, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"targets file {name} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"targets file {name}: its tables or arrays are nested too deeply "
                          "to read") from None


def _check_unit(measure: Measure, unit: str) -> str | None:
    try:
        if measure is Measure.LENGTH:
            LengthUnit.parse(unit)
        elif measure is Measure.AREA:
            AreaUnit.parse(unit)
    except UnitError as exc:
        return str(exc)
    return None


def _entry(raw: Mapping[str, Any], where: str, problems: list[str]) -> Target | None:
    """One [[targets]] entry, or None (its problems appended)."""
    start = len(problems)
    unknown = unknown_keys(raw, (*_REQUIRED, *_OPTIONAL))
    if unknown:
        problems.append(f"{where}: {unknown}")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
    for key in ("id", "title", "section", "unit"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            problems.append(f"{where}: {key} was {raw[key]!r} but must be a non-empty string")
    measure = None
    if "measure" in raw:
        try:
            measure = Measure.parse(raw["measure"])
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    value = raw.get("value")
    if "value" in raw and (isinstance(value, bool) or not isinstance(value, int | float)
                           or not _finite(value) or value <= 0):
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:20]}… " \
            f"({len(repr(value))} characters)"
        problems.append(f"{where}: value was {shown} but must be a positive number")
    if "year" in raw and (isinstance(raw["year"], bool) or not isinstance(raw["year"], int)
                          or not 1900 <= raw["year"] <= 2200):
        problems.append(f"{where}: year was {raw['year']!r} but must be an integer like 2023")
    if measure is not None and isinstance(raw.get("unit"), str):
        problem = _check_unit(measure, raw["unit"])
        if problem:
            problems.append(f"{where}: {problem} (a {measure.value} target needs a "
                            f"{'length' if measure is Measure.LENGTH else 'area'} unit)")
    kinds: list[LayerKind] = []
    raw_kinds = raw.get("kinds", [])
    if not isinstance(raw_kinds, list):
        problems.append(f"{where}: kinds was {raw_kinds!r} but must be a list of layer kinds")
        raw_kinds = []
    for name in raw_kinds:
        try:
            kinds.append(LayerKind.parse(name))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if measure in _GEOMETRY_FOR:
        for kind in kinds:
            if kind.geometry not in _GEOMETRY_FOR[measure]:
                problems.append(
                    f"{where}: a {measure.value} target cannot draw on kind {kind.value} "
                    f"({kind.label}), whose features are {kind.geometry.replace('_', ' ')}s; "
                    "use measure = \"count\" or \"sum\", or another kind")
    column = raw.get("field")
    if column is not None and (not isinstance(column, str) or not column.strip()):
        problems.append(f"{where}: field was {column!r} but must be a column name")
    if measure is Measure.SUM and column is None and kinds:
        problems.append(f"{where}: a sum target needs field = \"<column to add>\"")
    if measure is not None and measure is not Measure.SUM and column is not None:
        problems.append(f"{where}: field is only used by sum targets (measure is "
                        f"{measure.value}); remove it or set measure = \"sum\"")
    filters: dict[str, tuple[str, ...]] = {}
    raw_filter = raw.get("filter", {})
    if not isinstance(raw_filter, Mapping):
        problems.append(f"{where}: filter was {raw_filter!r} but must be a table "
                        "like {{ work_type = [\"新建\", \"改建\"] }}")
        raw_filter = {}
    for key, allowed in raw_filter.items():
        values = [allowed] if isinstance(allowed, str) else allowed
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str) for v in values):
            problems.append(f"{where}: filter {key!r} was {allowed!r} but must be a string "
                            "or a non-empty list of strings")
            continue
        filters[str(key)] = tuple(values)
    if filters and not kinds:
        problems.append(f"{where}: a filter needs kinds = [...] to filter")
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(f"{where}: note was {note!r} but must be a string")
    schedule, milestones = _schedule(raw, where, problems)
    if len(problems) > start or measure is None or not isinstance(value, int | float):
        return None
    return Target(
        id=raw["id"].strip(), title=raw["title"].strip(), section=raw["section"].strip(),
        measure=measure, unit=raw["unit"].strip(), value=float(value), year=int(raw["year"]),
        kinds=tuple(kinds), filter=filters, field=column, note=note, schedule=schedule,
        milestones=milestones,
    )


def _percent(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value) and 0 <= value <= 100)


def _schedule(raw: Mapping[str, Any], where: str, problems: list[str]
              ) -> tuple[tuple[float, ...], tuple[tuple[dt.date, float], ...]]:
    """``schedule`` (12 monthly cumulative %) and ``milestones`` (date -> %) of an entry."""
    schedule: tuple[float, ...] = ()
    milestones: tuple[tuple[dt.date, float], ...] = ()
    curve = raw.get("schedule")
    if curve is not None:
        if (not isinstance(curve, list) or len(curve) != 12
                or not all(_percent(v) for v in curve)
                or any(b < a for a, b in itertools.pairwise(curve))):
            problems.append(f"{where}: schedule was {curve!r} but must be 12 cumulative "
                            "percentages (0–100, never decreasing), one per month end")
        else:
            schedule = tuple(float(v) for v in curve)
    table = raw.get("milestones")
    if table is not None:
        if curve is not None:
            problems.append(f"{where}: give schedule or milestones, not both")
        items = []
        if not isinstance(table, Mapping) or not table:
            problems.append(f"{where}: milestones was {table!r} but must be a table like "
                            "{ \"2023-06-30\" = 40, \"2023-12-31\" = 100 }")
            table = {}
        for key, value in table.items():
            try:
                day = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
            except ValueError:
                problems.append(f"{where}: milestone {key!r} is not a date like 2023-06-30")
                continue
            if not _percent(value):
                problems.append(f"{where}: milestone {key} = {value!r} but must be a "
                                "percentage 0–100")
                continue
            items.append((day, float(value)))
        items.sort()
        if any(b[1] < a[1] for a, b in itertools.pairwise(items)):
            problems.append(f"{where}: milestones must not decrease over time: {table!r}")
        if isinstance(raw.get("year"), int) and any(d.year != raw["year"] for d, _ in items):
            problems.append(f"{where}: milestones must fall in the target's year "
                            f"{raw['year']}")
        milestones = tuple(items)
    return schedule, milestones


def load_targets(path: str | os.PathLike[str] | None = None) -> list[Target]:
    """Read and validate a targets file (the bundled 2023 targets by default).

    Parameters
    ----------
    path : path-like, optional
        A UTF-8 TOML file with ``[[targets]]`` entries (see ``data/targets_2023.toml`` for
        the keys). None reads the bundled file.

    Returns
    -------
    list of Target
        In file order.

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or if any entry is invalid; the message lists
        every problem of every entry at once, each with its entry number and id.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "targets.toml"
    >>> _ = bad.write_text('''
    ... [[targets]]
    ... id = "roads"
    ... title = "修路"
    ... section = "六"
    ... measure = "length"
    ... unit = "亩"
    ... value = -3
    ... year = 2024
    ... ''', encoding="utf-8")
    >>> load_targets(bad)
    Traceback (most recent call last):
    ...
    county_gis.errors.ConfigError: .../targets.toml: 2 problems: [[targets]] #1 (roads): value
    was -3 but must be a positive number; [[targets]] #1 (roads): unknown length unit '亩'; ...
    """
    name, data = _read(path)
    entries = data.get("targets")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{name}: no [[targets]] entries; each target is a [[targets]] table "
                          f"with {', '.join(_REQUIRED)}")
    problems: list[str] = []
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(entries, start=1):
        ident = raw.get("id") if isinstance(raw, Mapping) else None
        where = f"[[targets]] #{number}" + (f" ({ident})" if ident else "")
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: must be a table")
            continue
        if isinstance(ident, str):
            if ident.strip() in seen:
                problems.append(f"{where}: id {ident!r} already used by entry "
                                f"#{seen[ident.strip()]}; ids must be unique")
            seen.setdefault(ident.strip(), number)
        target = _entry(raw, where, problems)
        if target is not None:
            targets.append(target)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(f"{name}: {count}: " + "; ".join(problems))
    return targets
