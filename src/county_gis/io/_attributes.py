"""Attributes on load: source field names -> canonical columns, values with units, statuses.

Both tables are data files: ``data/field_aliases.toml`` (项目名称 -> ``name``, 面积(亩) ->
``stated_area_mu`` ...) and ``data/value_units.toml`` (亩, 公顷, 公里, 千瓦 ... and the vague
markers 约 / 左右 / 余). Values are parsed once per distinct text, so a 100,000-row layer with a few
hundred distinct cells costs a few hundred parses.

Examples
--------
>>> parse_quantity("12.5亩", "area", "mu", "mu")
ParsedValue(value=12.5, code=None, detail=None)
>>> parse_quantity("3.2公里", "length", "km", "km").value
3.2
>>> parse_quantity("约5公顷", "area", "mu", "mu")
ParsedValue(value=nan, code='value.vague', detail='vague value: 约 (about 75 亩); not used')
>>> parse_quantity("********", "area", "mu", "mu").code
'value.overflow'
"""

from __future__ import annotations

import logging
import math
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..units import AreaUnit, LengthUnit
from ..vocabulary import CANONICAL_COLUMNS, LayerKind, Status, normalise_name
from ._engines import CellFix
from ._mapping import LayerMapping
from ._report import LoadReport, Severity

__all__ = ["CANONICAL_COLUMNS", "MISSING_MARKERS", "RESERVED_COLUMNS", "FieldSpec", "canonicalise",
           "field_specs", "parse_number", "parse_quantity"]

log = logging.getLogger(__name__)

#: Canonical columns in their order in a loaded layer (present when the source has them;
#: ``kind`` and ``status`` always).
_TYPES = {"str", "int", "status", "kind", "area", "length", "power"}


@dataclass(frozen=True)
class FieldSpec:
    """How one source field name maps to a canonical column."""

    column: str
    type: str
    unit: str | None = None
    source_unit: str | None = None
    unitless: bool = False


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name))
    return normalise_name(text.replace("（", "(").replace("）", ")"))


def _read_toml(name: str) -> dict[str, Any]:
    text = resources.files("county_gis").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def field_specs() -> dict[str, FieldSpec]:
    """Normalised source field name -> :class:`FieldSpec`, from ``data/field_aliases.toml``.

    Raises
    ------
    ConfigError
        If the data file is inconsistent (unknown type, an alias declared twice).
    """
    data = _read_toml("field_aliases.toml")
    problems = []
    specs: dict[str, FieldSpec] = {}
    for entry, spec in data.get("fields", {}).items():
        column = spec.get("column", entry)
        kind = spec.get("type")
        if kind not in _TYPES:
            problems.append(f"[fields.{entry}] type {kind!r} not in {sorted(_TYPES)}")
        if column not in CANONICAL_COLUMNS:
            problems.append(f"[fields.{entry}] column {column!r} is not canonical")
        for aliases, unitless in ((spec.get("aliases", []), False),
                                  (spec.get("unitless_aliases", []), True)):
            for alias in aliases:
                key = _key(alias)
                new = FieldSpec(column, kind, spec.get("unit"), spec.get("source_unit"),
                                unitless)
                if key in specs and specs[key] != new:
                    problems.append(f"alias {alias!r} declared twice, differently")
                specs[key] = new
    if problems:
        raise ConfigError("field_aliases.toml: " + "; ".join(problems))
    return specs


@cache
def _units() -> dict[str, Any]:
    data = _read_toml("value_units.toml")
    for quantity in ("area", "length", "power"):
        for word, key in data[quantity].items():
            if quantity == "area":
                AreaUnit.parse(key)
            elif quantity == "length":
                LengthUnit.parse(key)
            elif key not in data["power_factors"]:
                raise ConfigError(f"value_units.toml: power unit {key!r} has no factor")
            _ = word
    return data


def _factor(quantity: str, unit: str) -> float:
    if quantity == "area":
        return AreaUnit.parse(unit).factor
    if quantity == "length":
        return LengthUnit.parse(unit).factor
    return float(_units()["power_factors"][unit])


def _label(quantity: str, unit: str) -> str:
    if quantity == "area":
        return AreaUnit.parse(unit).label
    if quantity == "length":
        return LengthUnit.parse(unit).label
    return unit


class ParsedValue(NamedTuple):
    """A parsed cell: the value (NaN when unusable), a report code and its detail."""

    value: float
    code: str | None
    detail: str | None


_NUMBER = re.compile(r"^[+-]?(\d+(?:[.,]\d+)*)$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")


def parse_quantity(text: Any, quantity: str, unit: str, source_unit: str) -> ParsedValue:
    """Parse a cell of a ``quantity`` field into ``unit``; a bare number is in ``source_unit``.

    Returns NaN with a code for overflow (``********``), vague values (约 / 左右 ...),
    unknown units, negative values, missing-value markers (``N/A``, ``—``, ``无`` ...) and
    unreadable text; decimal commas, thousands separators, exponents and full-width digits
    are read and flagged. The unit words and vague markers come from ``data/value_units.toml``.

    Parameters
    ----------
    text : str or number
        The cell.
    quantity : {"area", "length", "power"}
        What the field holds.
    unit : str
        The unit of the result (a key of ``value_units.toml``: ``mu``, ``km``, ``kw`` ...).
    source_unit : str
        The unit of a bare number (the field's own unit, e.g. 面积(公顷) -> ``ha``).

    Returns
    -------
    ParsedValue
        ``value`` (NaN when unusable), ``code`` (None, or the load-report code) and ``detail``.

    Examples
    --------
    >>> parse_quantity("2公顷", "area", "mu", "mu").value
    30.0
    >>> parse_quantity("800米", "length", "km", "km").value
    0.8
    >>> parse_quantity("12,5", "area", "mu", "mu")[:2]
    (12.5, 'value.decimal_comma')
    >>> parse_quantity("10余亩", "area", "mu", "mu").code
    'value.vague'
    >>> parse_quantity("１２.５", "area", "mu", "mu").detail
    "full-width characters in '１２.５' read as '12.5'"
    >>> parse_quantity("1.2e3", "area", "mu", "mu")[:2]
    (1200.0, 'value.exponent')
    >>> parse_quantity("-5", "area", "mu", "mu")[:2]
    (nan, 'value.negative')
    >>> parse_quantity("N/A", "area", "mu", "mu").detail
    "'N/A' marks a missing value; left empty"
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ParsedValue(math.nan, None, None)
    if isinstance(text, int | float | np.integer | np.floating):
        if text < 0:
            return ParsedValue(math.nan, "value.negative",
                               f"negative {quantity} {text!r}; left empty")
        if source_unit == unit:
            return ParsedValue(float(text), None, None)
        return ParsedValue(float(text) * _factor(quantity, source_unit) / _factor(quantity, unit),
                           None, None)
    written = str(text).strip()
    raw = unicodedata.normalize("NFKC", written).strip()
    if not raw:
        return ParsedValue(math.nan, None, None)
    if set(raw) == {"*"}:
        return ParsedValue(math.nan, "value.overflow",
                           f"numeric overflow {raw!r} (the number did not fit the field width)")
    if raw.lower() in MISSING_MARKERS:
        return ParsedValue(math.nan, "value.missing_marker",
                           f"{written!r} marks a missing value; left empty")
    units = _units()
    vague = units["vague"]
    body = raw.replace(" ", "")
    markers = []
    for prefix in sorted(vague["prefixes"], key=len, reverse=True):
        if body.startswith(prefix):
            markers.append(prefix)
            body = body[len(prefix):]
            break
    words = {w.lower(): k for w, k in units[quantity].items()}
    found_unit = None
    for suffix in sorted(vague["suffixes"], key=len, reverse=True):
        if body.endswith(suffix):
            markers.append(suffix)
            body = body[: -len(suffix)]
            break
    match = re.match(r"^([+-]?\d[\d.,]*(?:[eE][+-]?\d+)?)(.*)$", body)
    if match is None:
        return ParsedValue(math.nan, "value.unreadable", f"not a number: {raw!r}")
    number, tail = match.group(1), match.group(2)
    for suffix in sorted(vague["suffixes"], key=len, reverse=True):
        if tail.startswith(suffix):
            markers.append(suffix)
            tail = tail[len(suffix):]
            break
    if tail:
        found_unit = words.get(tail.lower())
        if found_unit is None:
            allowed = ", ".join(units[quantity])
            return ParsedValue(math.nan, "value.unknown_unit",
                               f"unknown {quantity} unit {tail!r} in {raw!r}; known: {allowed}")
    code, detail = None, None
    if "," in number:
        if _THOUSANDS.match(number):
            code = "value.thousands_separator"
            detail = f"{raw!r} read with ',' as thousands separator"
            number = number.replace(",", "")
        elif _DECIMAL_COMMA.match(number):
            code, detail = "value.decimal_comma", f"decimal comma in {raw!r} read as '.'"
            number = number.replace(",", ".")
        else:
            return ParsedValue(math.nan, "value.unreadable", f"not a number: {raw!r}")
    try:
        value = float(number)
    except ValueError:
        return ParsedValue(math.nan, "value.unreadable", f"not a number: {raw!r}")
    if value < 0:
        return ParsedValue(math.nan, "value.negative",
                           f"negative {quantity} {written!r}; left empty")
    if code is None and "e" in number.lower():
        code, detail = "value.exponent", f"{written!r} read in exponent notation as {value:g}"
    if code is None and raw != written and any(unicodedata.east_asian_width(c) == "F"
                                               for c in written):
        code, detail = "value.full_width", f"full-width characters in {written!r} read as {raw!r}"
    given = found_unit or source_unit
    if given != unit:
        value = value * _factor(quantity, given) / _factor(quantity, unit)
    if markers:
        return ParsedValue(math.nan, "value.vague",
                           f"vague value: {'/'.join(markers)} (about {value:g} "
                           f"{_label(quantity, unit)}); not used")
    return ParsedValue(value, code, detail)


def parse_number(text: str) -> ParsedValue:
    """Parse the text of a numeric cell (no unit): what GDAL would misread, read and flagged.

    Full-width digits, thousands separators, a decimal comma and exponents are read with a
    code; overflow asterisks and missing-value markers give NaN with a code; anything else is
    ``value.unreadable``.

    Examples
    --------
    >>> parse_number("１,２３４.５")[:2]
    (1234.5, 'value.thousands_separator')
    >>> parse_number("-3,5")[:2], parse_number("N/A")[:2], parse_number("12亩")[:2]
    ((-3.5, 'value.decimal_comma'), (nan, 'value.missing_marker'), (nan, 'value.unreadable'))
    """
    written = str(text).strip()
    raw = unicodedata.normalize("NFKC", written).strip().replace(" ", "")
    if not raw:
        return ParsedValue(math.nan, None, None)
    if set(raw) == {"*"}:
        return ParsedValue(math.nan, "value.overflow", f"numeric overflow {written!r}")
    if raw.lower() in MISSING_MARKERS:
        return ParsedValue(math.nan, "value.missing_marker",
                           f"{written!r} marks a missing value; left empty")
    sign, body = ("-", raw[1:]) if raw[:1] in "+-" else ("", raw)
    code, detail = None, None
    if "," in body:
        if _THOUSANDS.match(body):
            code = "value.thousands_separator"
            detail = f"{written!r} read with ',' as thousands separator"
            body = body.replace(",", "")
        elif _DECIMAL_COMMA.match(body):
            code, detail = "value.decimal_comma", f"decimal comma in {written!r} read as '.'"
            body = body.replace(",", ".")
    if not re.match(r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", body):
        return ParsedValue(math.nan, "value.unreadable", f"not a number: {written!r}")
    value = float(sign + body)
    if code is None and "e" in body.lower():
        code, detail = "value.exponent", f"{written!r} read in exponent notation as {value:g}"
    if code is None and raw != written:
        code, detail = "value.full_width", f"full-width characters in {written!r} read as {raw!r}"
    return ParsedValue(value, code, detail)


def _parse_int(text: Any) -> ParsedValue:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ParsedValue(math.nan, None, None)
    raw = unicodedata.normalize("NFKC", str(text)).strip().removesuffix("年")
    if not raw:
        return ParsedValue(math.nan, None, None)
    try:
        return ParsedValue(float(int(float(raw))), None, None)
    except ValueError:
        return ParsedValue(math.nan, "value.unreadable", f"not a year: {text!r}")


#: cell texts that mark a missing value (after NFKC, lower case): empty, with a note
MISSING_MARKERS = frozenset({"n/a", "na", "#n/a", "null", "none", "nan", "-", "--", "—", "——",
                             "/", "无", "空", "暂无", "缺", "未知"})

_SEVERITY = {
    "value.missing_marker": Severity.INFO,
    "value.negative": Severity.PROBLEM,
    "value.exponent": Severity.INFO,
    "value.full_width": Severity.INFO,
    "value.overflow": Severity.PROBLEM,
    "value.vague": Severity.PROBLEM,
    "value.unreadable": Severity.PROBLEM,
    "value.unknown_unit": Severity.PROBLEM,
    "value.decimal_comma": Severity.ASSUMPTION,
    "value.thousands_separator": Severity.ASSUMPTION,
}


def _map_unique(
    series: pd.Series, parse: Any, fids: np.ndarray, report: LoadReport, field: str
) -> np.ndarray:
    """Parse each distinct value once; report codes per feature."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = [parse(u) for u in uniques]
    values = np.array([p.value for p in parsed] + [math.nan], dtype=float)[codes]
    flagged = [i for i, p in enumerate(parsed) if p.code is not None]
    if flagged:
        for u in flagged:
            p = parsed[u]
            for row in np.flatnonzero(codes == u):
                report.add(p.code, p.detail, severity=_SEVERITY[p.code],
                           fid=int(fids[row]), field=field)
    return values


#: Columns county_gis adds to every layer; a source field of that name is kept as ``<name>_source``.
RESERVED_COLUMNS = ("source_fid", "geometry")


def canonicalise(
    frame: pd.DataFrame,
    fids: np.ndarray,
    report: LoadReport,
    *,
    kind: LayerKind | None,
    cell_fixes: Mapping[tuple[int, str], CellFix] | None = None,
    mapping: LayerMapping | None = None,
) -> pd.DataFrame:
    """Rename aliased fields to canonical columns and normalise their values.

    Fields without an alias are kept as they are (a field named like a column county_gis adds,
    :data:`RESERVED_COLUMNS`, as ``<name>_source``). ``kind`` and ``status`` columns always
    exist (``None`` where unknown). ``cell_fixes`` maps (fid, field) to the fix of a cell the
    reader found wrong in the raw bytes (a DBF overflow or decimal comma, undecodable text):
    each is reported, and its value used, before the field is converted. ``mapping`` (the
    layer's keys of project.toml) is tried before the aliases: its ``fields``, then its user
    aliases; its ``status_values`` before the bundled status names, its ``values`` on the
    mapped columns. The source fields left unmapped are listed in one ``field.unmapped`` note.

    Examples
    --------
    >>> from county_gis.io._report import LoadReport
    >>> report = LoadReport(source="plots.gpkg", layer="plots")
    >>> frame = pd.DataFrame({"项目名称": ["甲"], "面积(公顷)": ["2公顷"], "备注": ["x"]})
    >>> canonicalise(frame, np.array([1]), report, kind=None)
      name kind status  stated_area_mu 备注
    0    甲  None   None            30.0  x
    """
    if cell_fixes:
        frame = _apply_fixes(frame, fids, report, cell_fixes)
    specs = field_specs()
    out: dict[str, Any] = {}
    used: dict[str, str] = {}
    passthrough: dict[str, Any] = {}
    declared = {name: _declared(mapping, name) for name in frame.columns}
    order = sorted(frame.columns, key=lambda n: declared[n] is None)  # declared ones first
    for name in order:
        spec = declared[name] or specs.get(_key(name))
        if spec is None:
            passthrough[name] = frame[name]
            continue
        if spec.column in used:
            report.add("field.duplicate_alias",
                       f"field {name!r} also maps to {spec.column!r} (already taken from "
                       f"{used[spec.column]!r}); kept under its own name",
                       severity=Severity.PROBLEM, field=str(name))
            passthrough[name] = frame[name]
            continue
        used[spec.column] = str(name)
        if str(name) != spec.column:
            note = f"field {name!r} -> {spec.column}"
            if spec.unitless:
                report.add("field.unit_assumed",
                           f"{note}: the field names no unit, taken as "
                           f"{_label(spec.type, spec.source_unit or '')}",
                           severity=Severity.ASSUMPTION, field=str(name))
            else:
                how = " (project.toml)" if declared[name] is not None else ""
                report.add("field.mapped", note + how, severity=Severity.INFO, field=str(name))
        out[spec.column] = _convert(frame[name], spec, fids, report, str(name), mapping)
    result = pd.DataFrame(index=frame.index)
    for column in CANONICAL_COLUMNS:
        if column == "kind":
            result["kind"] = _kind_column(out.get("kind"), kind, fids, report,
                                          used.get("kind"), len(frame))
        elif column == "status":
            result["status"] = out.get("status", pd.Series([None] * len(frame),
                                                           index=frame.index, dtype=object))
        elif column in out:
            result[column] = out[column]
    for name, values in passthrough.items():
        kept = f"{name}_source" if name in result.columns or name in RESERVED_COLUMNS else name
        if kept != name and name in RESERVED_COLUMNS:
            report.add("field.renamed", f"field {name!r} is kept as {kept!r}: county_gis adds "
                       f"a {name!r} column of its own", severity=Severity.INFO, field=str(name))
        result[kept] = values
    unmapped = [str(n) for n in passthrough if str(n) not in _NOT_ATTRIBUTES]
    if unmapped:
        report.add("field.unmapped",
                   f"source fields not mapped to a canonical column (kept as they are): "
                   f"{', '.join(unmapped)}; to use one, map it in project.toml, e.g. "
                   f"fields = {{ \"{unmapped[0]}\" = \"<canonical column>\" }}",
                   severity=Severity.INFO)
    if "project_id" in result.columns:
        _report_duplicate_ids(result["project_id"], fids, report, used["project_id"])
    return result


def _apply_fixes(
    frame: pd.DataFrame, fids: np.ndarray, report: LoadReport,
    fixes: Mapping[tuple[int, str], CellFix],
) -> pd.DataFrame:
    """Report each cell fix and put its value in the frame (a copy of the columns touched)."""
    rows = {int(f): i for i, f in enumerate(fids)}
    frame = frame.copy(deep=False)
    columns: dict[str, list[Any]] = {}
    for (fid, field), fix in sorted(fixes.items()):
        row = rows.get(fid)
        if row is None or field not in frame.columns:  # e.g. a deleted DBF record, not read
            continue
        report.add(fix.code, fix.message, severity=fix.severity, fid=fid, field=field,
                   error=fix.error)
        values = columns.setdefault(field, frame[field].astype(object).tolist())
        values[row] = fix.value
    for field, values in columns.items():
        column = pd.Series(values, index=frame.index, dtype=object)
        if pd.api.types.is_numeric_dtype(frame[field].dtype):
            column = pd.to_numeric(column)
        frame[field] = column
    return frame


#: columns readers add that are not the bureau's own fields (KML folder path and placemark
#: id; the CAD entity fields GDAL gives every DXF layer)
_NOT_ATTRIBUTES = frozenset({"folder", "kml_id", "description", "Layer", "EntityHandle",
                             "Linetype", "Text"})


def _declared(mapping: LayerMapping | None, name: Any) -> FieldSpec | None:
    found = mapping.spec(str(name)) if mapping is not None else None
    if found is None:
        return None
    return FieldSpec(found.column, found.type, found.unit, found.source_unit)


def _convert(
    series: pd.Series, spec: FieldSpec, fids: np.ndarray, report: LoadReport, field: str,
    mapping: LayerMapping | None = None,
) -> Any:
    if spec.type in ("area", "length", "power"):
        if pd.api.types.is_numeric_dtype(series.dtype):
            factor = (_factor(spec.type, spec.source_unit or "")
                      / _factor(spec.type, spec.unit or ""))
            values = series.astype(float)
            negative = (values < 0).to_numpy()
            for row in np.flatnonzero(negative):
                report.add("value.negative", f"negative {spec.type} {float(values.iloc[row])!r}; "
                           "left empty", severity=Severity.PROBLEM, fid=int(fids[row]),
                           field=field)
            return values.where(~negative) * factor

        def parse(value: Any) -> ParsedValue:
            return parse_quantity(value, spec.type, spec.unit or "", spec.source_unit or "")

        return pd.Series(_map_unique(series, parse, fids, report, field), index=series.index)
    if spec.type == "int":
        if pd.api.types.is_integer_dtype(series.dtype):
            return series.astype("Int64")
        values = _map_unique(series, _parse_int, fids, report, field)
        return pd.Series(values, index=series.index).astype("Int64")
    if spec.type == "status":
        return _parse_enum(series, Status, fids, report, field, mapping)
    if spec.type == "kind":
        return _parse_enum(series, LayerKind, fids, report, field)
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
            series.dtype):
        text = series.str.strip()
    else:
        text = series.astype("str").str.strip().where(series.notna(), None)
    if mapping is not None and spec.column in mapping.values:
        return _map_values(text, spec.column, mapping, fids, report, field)
    return text


def _map_values(text: pd.Series, column: str, mapping: LayerMapping, fids: np.ndarray,
                report: LoadReport, field: str) -> pd.Series:
    """``values`` of project.toml on one column: each distinct value once, counted in a note."""
    codes, uniques = pd.factorize(text.astype(object), use_na_sentinel=True)
    mapped = [mapping.value(column, u) for u in uniques]
    changed = [f"{u!r} -> {m!r} ({int((codes == i).sum())})"
               for i, (u, m) in enumerate(zip(uniques, mapped, strict=True)) if m != u]
    if changed:
        report.add("value.mapped", f"{column} values mapped by project.toml: "
                   f"{', '.join(changed)}", severity=Severity.INFO, field=field)
    table = np.array([*mapped, None], dtype=object)
    return pd.Series(table[codes], index=text.index, dtype=object)


def _parse_enum(
    series: pd.Series, enum_cls: Any, fids: np.ndarray, report: LoadReport, field: str,
    mapping: LayerMapping | None = None,
) -> pd.Series:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped: list[str | None] = []
    for u, text in enumerate(uniques):
        if str(text).strip() == "":
            mapped.append(None)
            continue
        declared = mapping.status(text) if mapping is not None else None
        if declared is not None:
            mapped.append(declared)
            continue
        try:
            mapped.append(enum_cls.parse(str(text).strip()).value)
        except ValueError as exc:
            mapped.append(None)
            fix = (f"; map it in project.toml: status_values = {{ \"{str(text).strip()}\" = "
                   "\"completed\" }} (or planned / under_construction)"
                   if enum_cls is Status else "")
            for row in np.flatnonzero(codes == u):
                report.add(f"value.unknown_{enum_cls._what()}", f"{exc}; left empty{fix}",
                           severity=Severity.PROBLEM, fid=int(fids[row]), field=field)
    if enum_cls is Status:
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        for u, text in enumerate(uniques):
            report.status_values[str(text).strip()] = (mapped[u], int(counts[u]))
    table = np.array([*mapped, None], dtype=object)
    return pd.Series(table[codes], index=series.index, dtype=object)


def _kind_column(
    source: pd.Series | None, kind: LayerKind | None, fids: np.ndarray, report: LoadReport,
    field: str | None, n: int,
) -> pd.Series:
    if kind is None:
        return source if source is not None else pd.Series([None] * n, dtype=object)
    if source is not None:
        differs = source.notna() & (source != kind.value)
        for row in np.flatnonzero(differs.to_numpy()):
            report.add("value.kind_conflict",
                       f"source says kind {source.iloc[row]!r} but the layer is read as "
                       f"kind={kind.value!r}; kind={kind.value!r} used",
                       severity=Severity.PROBLEM, fid=int(fids[row]), field=field)
    return pd.Series([kind.value] * n, dtype=object)


def _report_duplicate_ids(ids: pd.Series, fids: np.ndarray, report: LoadReport, field: str) -> None:
    """Report every feature whose (non-blank) project id another feature has too.

    One hash pass (``factorize``); the usual case, all ids distinct, ends there.
    """
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    repeated = np.flatnonzero(counts > 1)
    if len(repeated) == 0:
        return
    blank = {u for u in repeated.tolist() if str(uniques[u]).strip() == ""}
    for u in repeated.tolist():
        if u in blank:
            continue
        rows = [int(fids[row]) for row in np.flatnonzero(codes == u)]
        for fid in rows:
            others = ", ".join(f"#{f}" for f in rows if f != fid)
            report.add("value.duplicate_id",
                       f"project id {str(uniques[u])!r} also used by {others}",
                       severity=Severity.PROBLEM, fid=fid, field=field)
