"""A layer's own attribute mapping: the per-project keys of ``project.toml`` applied on load.

A :class:`LayerMapping` says what the bundled aliases (``data/field_aliases.toml``) cannot
know about one bureau's file: which source field is the status (``fields``), what its values
mean (``status_values``, ``values``), what to assume where a value is missing
(``default_status``, ``year``, ``target``), which features to keep (``where``) and what a KML
folder name says (``folder_as``). It is applied by :func:`county_gis.io.read_layer`
(``mapping=``) while the attributes are made canonical; every use is in the load report.

Examples
--------
>>> m = LayerMapping.from_table({"fields": {"治理状态": "status"},
...                              "status_values": {"已验收": "completed"}}, where="[layers.mine]")
>>> m.fields["治理状态"].column, m.status("已验收"), m.status("前期")
('status', 'completed', None)
>>> LayerMapping.from_table({"fields": {"面积": "stated_area"}}, where="[layers.x]")
Traceback (most recent call last):
...
county_gis.errors.ConfigError: [layers.x] fields: 面积 = "stated_area" needs a unit: ... write
面积 = { column = "stated_area_mu", unit = "亩" } (units: 亩, 公顷, 平方米)
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..vocabulary import CANONICAL_COLUMNS, LayerKind, Status, normalise_name
from ._report import LoadReport, Severity

__all__ = ["LAYER_MAPPING_KEYS", "LayerMapping", "MappedField", "apply_layer_options",
           "load_alias_file"]

#: The keys of a ``[layers.<name>]`` table (and of ``[defaults]``) that :class:`LayerMapping`
#: reads.
LAYER_MAPPING_KEYS = frozenset({"fields", "status_values", "default_status", "values", "target",
                                "year", "where", "folder_as"})

#: quantity columns: short name -> (canonical column, quantity, canonical unit, unit words)
_QUANTITIES: dict[str, tuple[str, str, str]] = {
    "stated_area_mu": ("area", "mu", "亩, 公顷, 平方米"),
    "stated_length_km": ("length", "km", "公里, 米"),
    "capacity_kw": ("power", "kw", "千瓦, 兆瓦"),
    "floor_area_m2": ("area", "m2", "平方米, 亩"),
}
_SHORT = {"stated_area": "stated_area_mu", "area": "stated_area_mu", "stated_length":
          "stated_length_km", "length": "stated_length_km", "capacity": "capacity_kw",
          "floor_area": "floor_area_m2"}
_TYPES = {"project_id": "str", "name": "str", "kind": "kind", "status": "status",
          "township": "str", "target": "str", "year": "int", "work_type": "str"}
#: unit words (after NFKC, lower case) -> (quantity, value_units key)
_UNIT_WORDS = {"亩": ("area", "mu"), "mu": ("area", "mu"), "公顷": ("area", "ha"),
               "ha": ("area", "ha"), "hm2": ("area", "ha"), "平方米": ("area", "m2"),
               "m2": ("area", "m2"), "㎡": ("area", "m2"), "m²": ("area", "m2"),
               "平方公里": ("area", "km2"), "km2": ("area", "km2"), "万亩": ("area", "wan_mu"),
               "公里": ("length", "km"), "km": ("length", "km"), "千米": ("length", "km"),
               "米": ("length", "m"), "m": ("length", "m"), "千瓦": ("power", "kw"),
               "kw": ("power", "kw"), "兆瓦": ("power", "mw"), "mw": ("power", "mw")}
_BRACKET = re.compile(r"[(（]([^()（）]+)[)）]\s*$")


@dataclass(frozen=True)
class MappedField:
    """A source field declared in ``fields``: its canonical column and the unit of its numbers."""

    column: str
    type: str
    unit: str | None = None
    source_unit: str | None = None


def _unit_of(text: str) -> tuple[str, str] | None:
    word = unicodedata.normalize("NFKC", text).strip().lower()
    return _UNIT_WORDS.get(word)


def _mapped_field(source: str, value: Any, where: str) -> MappedField:
    unit_text = None
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"column", "unit"})
        if unknown or "column" not in value:
            raise ConfigError(f"{where} fields: {source} = {{...}} takes column = \"...\" and "
                              f"optionally unit = \"...\"; got {dict(value)!r}")
        column, unit_text = str(value["column"]), value.get("unit")
    elif isinstance(value, str):
        column = value
    else:
        raise ConfigError(f"{where} fields: {source} = {value!r} must be a canonical column name "
                          f"(one of {', '.join(CANONICAL_COLUMNS)})")
    column = _SHORT.get(column.strip(), column.strip())
    if column in _QUANTITIES:
        quantity, unit, words = _QUANTITIES[column]
        found = None
        if unit_text is not None:
            found = _unit_of(str(unit_text))
            if found is None or found[0] != quantity:
                raise ConfigError(f"{where} fields: {source}: unit {unit_text!r} is not a "
                                  f"{quantity} unit; use one of {words}")
        else:
            bracket = _BRACKET.search(source)
            found = _unit_of(bracket.group(1)) if bracket else None
            if found is None or found[0] != quantity:
                raise ConfigError(
                    f"{where} fields: {source} = \"{value if isinstance(value, str) else column}"
                    f"\" needs a unit: the field name states none; write {source} = "
                    f"{{ column = \"{column}\", unit = \"{words.split(', ')[0]}\" }} "
                    f"(units: {words})")
        return MappedField(column, quantity, unit, found[1])
    if column not in _TYPES and column not in CANONICAL_COLUMNS:
        raise ConfigError(f"{where} fields: {source} = {column!r} is not a canonical column; "
                          f"use one of {', '.join(CANONICAL_COLUMNS)} (or stated_area / "
                          "stated_length / capacity with a unit)")
    if column == "kind":
        raise ConfigError(f"{where} fields: {source} = \"kind\": the kind of a project layer "
                          "is its kind = \"...\"; map the field to another column")
    return MappedField(column, _TYPES.get(column, "str"))


def _status(value: Any, where: str) -> str:
    try:
        return Status.parse(str(value)).value
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class LayerMapping:
    """The per-layer mapping keys of ``project.toml`` (see docs/project.md).

    Attributes
    ----------
    fields : dict of str to MappedField
        Source field name (as written) -> canonical column; wins over the aliases.
    status_values : dict of str to str
        Normalised source value -> status (``planned`` / ``under_construction`` /
        ``completed``); tried before the bundled status names.
    default_status : str or None
        The status of a feature whose status is empty (each use reported).
    values : dict of str to dict of str to str
        Canonical column -> normalised source value -> value (``work_type``: 人工造林 -> 造林).
    target : str or None
        Every feature of the layer counts toward this target (id or title).
    year : int or None
        The year of the features whose year is empty.
    where : dict of str to tuple of str
        Keep only the features whose column holds one of the values (normalised); the others
        are set aside and reported.
    folder_as : str or None
        The canonical column a KML folder name fills (``status``, ``township``, ``work_type``,
        ``year``), through the same value mapping.
    aliases : dict of str to MappedField
        Normalised field name -> column, from a user alias file (extends the bundled ones).
    """

    fields: Mapping[str, MappedField] = field(default_factory=dict)
    status_values: Mapping[str, str] = field(default_factory=dict)
    default_status: str | None = None
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    target: str | None = None
    year: int | None = None
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    folder_as: str | None = None
    aliases: Mapping[str, MappedField] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, where: str,
                   defaults: Mapping[str, Any] | None = None,
                   aliases: Mapping[str, MappedField] | None = None) -> LayerMapping:
        """Build from a ``[layers.<name>]`` table (its mapping keys), over ``defaults``.

        Raises
        ------
        ConfigError
            Naming the table and key, echoing the value and listing what is allowed.
        """
        merged: dict[str, Any] = {}
        for source in (defaults or {}, table):
            for key in LAYER_MAPPING_KEYS & set(source):
                value = source[key]
                if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                    value = {**merged[key], **value}
                merged[key] = value
        fields = _table(merged, "fields", where)
        mapped = {str(k): _mapped_field(str(k), v, where) for k, v in fields.items()}
        statuses = {normalise_name(k): _status(v, f"{where} status_values: {k}")
                    for k, v in _table(merged, "status_values", where).items()}
        default = merged.get("default_status")
        default = None if default is None else _status(default, f"{where} default_status")
        values: dict[str, dict[str, str]] = {}
        for column, table_ in _table(merged, "values", where).items():
            if not isinstance(table_, Mapping):
                raise ConfigError(f"{where} values: {column} = {table_!r} must be a table "
                                  f"{{ 源值 = \"值\" }}, e.g. values = {{ work_type = "
                                  f"{{ 人工造林 = \"造林\" }} }}")
            if column == "status":
                raise ConfigError(f"{where} values: map status values with status_values = "
                                  "{...}, not values.status")
            values[str(column)] = {normalise_name(k): str(v) for k, v in table_.items()}
        year = merged.get("year")
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)
                                 or not 1900 <= year <= 2100):
            raise ConfigError(f"{where} year = {year!r} must be a year such as 2023")
        target = merged.get("target")
        if target is not None and (not isinstance(target, str) or not target.strip()):
            raise ConfigError(f"{where} target = {target!r} must be a target id such as "
                              "\"afforestation\"")
        filters: dict[str, tuple[str, ...]] = {}
        for column, allowed in _table(merged, "where", where).items():
            items = allowed if isinstance(allowed, list) else [allowed]
            if not items or not all(isinstance(v, str | int | float) for v in items):
                raise ConfigError(f"{where} where: {column} = {allowed!r} must be a value or a "
                                  "list of values, e.g. where = { 年度 = 2023 }")
            filters[str(column)] = tuple(str(v) for v in items)
        folder_as = merged.get("folder_as")
        allowed_folder = ("status", "township", "work_type", "year", "name")
        if folder_as is not None and folder_as not in allowed_folder:
            raise ConfigError(f"{where} folder_as = {folder_as!r} must be one of "
                              f"{', '.join(allowed_folder)}")
        return cls(fields=mapped, status_values=statuses, default_status=default, values=values,
                   target=target.strip() if target else None, year=year, where=filters,
                   folder_as=folder_as, aliases=dict(aliases or {}))

    def spec(self, name: str) -> MappedField | None:
        """The declared mapping of source field ``name`` (``fields``, then the user aliases)."""
        for key, value in self.fields.items():
            if normalise_name(key) == normalise_name(name):
                return value
        return self.aliases.get(_alias_key(name))

    def status(self, value: Any) -> str | None:
        """The status ``status_values`` gives ``value`` (None when it names none)."""
        return self.status_values.get(normalise_name(value))

    def value(self, column: str, value: Any) -> Any:
        """``value`` of ``column`` through ``values`` (unchanged when not listed)."""
        table = self.values.get(column)
        if not table or value is None:
            return value
        return table.get(normalise_name(value), value)


def apply_layer_options(frame: pd.DataFrame, mapping: LayerMapping,
                        report: LoadReport) -> np.ndarray:
    """The layer-wide keys on canonical attributes: ``folder_as``, ``default_status``,
    ``year``, ``target``; returns the mask of the features ``where`` keeps.

    Every value filled in is counted in the load report; every feature ``where`` sets aside
    is named.
    """
    n = len(frame)
    fids = (frame["source_fid"].to_numpy() if "source_fid" in frame
            else np.arange(n))
    if mapping.folder_as is not None and "folder" in frame:
        column = mapping.folder_as
        found = np.array([_from_folder(f, column, mapping) for f in frame["folder"]],
                         dtype=object)
        have = frame[column].notna().to_numpy() if column in frame else np.zeros(n, bool)
        fill = ~have & pd.notna(found)
        if column not in frame:
            frame[column] = None
        frame[column] = frame[column].astype(object)
        frame.loc[fill, column] = found[fill]
        unread = sorted({str(f) for f, ok in zip(frame["folder"], pd.notna(found),
                                                 strict=True) if not ok})
        report.add("mapping.folder_as", f"{column} taken from the KML folder name for "
                   f"{int(fill.sum())} feature(s)" + (
                       f"; folder(s) naming no {column}: {', '.join(map(repr, unread))} (add "
                       f"them to {'status_values' if column == 'status' else 'values'})"
                       if unread else ""),
                   severity=Severity.ASSUMPTION if not unread else Severity.PROBLEM)
    if mapping.default_status is not None:
        empty = frame["status"].isna().to_numpy()
        if empty.any():
            frame.loc[empty, "status"] = mapping.default_status
            report.add("mapping.default_status",
                       f"{int(empty.sum())} feature(s) without a status taken as "
                       f"{mapping.default_status} (default_status in project.toml)",
                       severity=Severity.ASSUMPTION)
    if mapping.year is not None:
        years = (pd.to_numeric(frame["year"], errors="coerce") if "year" in frame
                 else pd.Series(np.nan, index=frame.index))
        empty = years.isna().to_numpy()
        frame["year"] = years.astype("Int64")
        if empty.any():
            frame.loc[empty, "year"] = mapping.year
            report.add("mapping.year", f"{int(empty.sum())} feature(s) without a year taken "
                       f"as {mapping.year} (year in project.toml)", severity=Severity.ASSUMPTION)
    if mapping.target is not None:
        before = frame["target"] if "target" in frame else pd.Series(None, index=frame.index)
        other = before.notna() & (before.astype(str).str.strip() != mapping.target)
        frame["target"] = mapping.target
        report.add("mapping.target", f"every feature counts toward target {mapping.target!r} "
                   "(target in project.toml)" + (f"; {int(other.sum())} feature(s) named "
                                                 "another target in the source"
                                                 if other.any() else ""),
                   severity=Severity.INFO)
    keep = np.ones(n, dtype=bool)
    renamed = {n.field: n.message.split("-> ")[-1].split(" ")[0]
               for n in report.select("field.mapped") if n.field}
    for column, allowed in mapping.where.items():
        if column not in frame and renamed.get(column) in frame:
            column = renamed[column]  # a source field mapped to a canonical column
        if column not in frame:
            raise ConfigError(f"{report.source}:{report.layer}: where = {{ {column} = ... }}: "
                              f"the layer has no field {column!r}; fields: "
                              f"{', '.join(map(str, frame.columns))}")
        wanted = {normalise_name(v) for v in allowed}
        values = frame[column].map(lambda v: None if v is None or (isinstance(v, float)
                                                                    and np.isnan(v))
                                   else normalise_name(_plain(v)))
        keep &= values.isin(wanted).to_numpy()
    if not keep.all():
        dropped = fids[~keep]
        shown = ", ".join(f"#{f}" for f in dropped[:20]) + (" ..." if len(dropped) > 20 else "")
        report.add("mapping.where", f"{len(dropped)} feature(s) set aside by where = "
                   f"{dict(mapping.where)} (project.toml): {shown}", severity=Severity.INFO)
    return keep


def _plain(value: Any) -> str:
    """A cell as text; a whole float (2023.0) as an integer."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _from_folder(folder: Any, column: str, mapping: LayerMapping) -> Any:
    """The value a KML folder path names: its last part first, then the parts above it."""
    if folder is None or (isinstance(folder, float) and np.isnan(folder)):
        return None
    for part in reversed(str(folder).split("/")):
        part = part.strip()
        if not part:
            continue
        if column == "status":
            found = mapping.status(part)
            if found is None:
                try:
                    found = Status.parse(part).value
                except ValueError:
                    found = None
            if found is not None:
                return found
        elif column == "year":
            match = re.search(r"(19|20)\d{2}", part)
            if match:
                return int(match.group(0))
        else:
            return mapping.value(column, part)
    return None


def _alias_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name))
    return normalise_name(text.replace("（", "(").replace("）", ")"))


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} {key} = {value!r} must be a table, e.g. {key} = "
                          "{ 源 = \"...\" }")
    return value


def load_alias_file(path: Path) -> dict[str, MappedField]:
    """A user alias file: ``[fields]`` source name -> column (as ``fields`` of a layer).

    The file extends the bundled aliases for every layer of the project::

        [fields]
        小班号 = "project_id"
        "治理面积(公顷)" = "stated_area"

    Raises
    ------
    ConfigError
        If the file is not valid TOML or maps a name to a column that does not exist.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"alias file {path}: not valid UTF-8 TOML ({exc}); save it as UTF-8 "
                          "and quote Chinese keys") from None
    unknown = sorted(set(data) - {"fields"})
    if unknown:
        raise ConfigError(f"alias file {path}: unknown table(s) {', '.join(unknown)}; it holds "
                          "one [fields] table: 源字段名 = \"canonical column\"")
    fields = _table(data, "fields", f"alias file {path}")
    return {_alias_key(k): _mapped_field(str(k), v, f"alias file {path}")
            for k, v in fields.items()}


def kind_names() -> str:
    """The layer kinds, for messages."""
    return ", ".join(k.value for k in LayerKind)
