"""A bureau's monthly progress sheet applied to the history (``county-gis update --from``).

Rows are matched to features by ``项目编号`` (or the column declared as ``[history] key`` /
``--key``) against ``project_id``. Only the status, the dates and the stated figures change
(:data:`UPDATABLE`); geometry never does, and other columns are listed as ignored. The result
is written as a new snapshot of the latest recorded state (or of the project's layers when
nothing is recorded yet).

Problems are reported, never silently applied — their rows are held back whole:

- ``unknown_id``: no feature has the id;
- ``duplicate_id``: the id appears in two or more rows of the sheet (one problem, at its first
  row; none of the rows applied);
- ``ambiguous_id``: two or more features have the id;
- ``status_regression``: the status would go back (完工 → 在建, 在建 → 计划);
- ``bad_value``: a status, date or number that cannot be read.

Applying the same sheet again changes nothing: the state already holds its values, so no
version and no snapshot is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .._choice import normalise_name
from ..errors import ConfigError, LayerReadError
from ..project import Project
from ..vocabulary import STATUSES, Status
from .snapshots import (
    DateLike,
    Snapshot,
    history_config,
    list_snapshots,
    parse_date,
    snapshot,
    state_at,
)

__all__ = ["PROBLEMS", "UPDATABLE", "UpdateResult", "apply_update", "read_update_sheet"]

#: Canonical column -> the sheet headers read for it (compared normalised).
UPDATABLE: dict[str, tuple[str, ...]] = {
    "status": ("status", "状态", "建设状态", "进度状态", "项目状态", "实施状态"),
    "start_date": ("start_date", "开工日期", "开工时间", "实际开工日期"),
    "end_date": ("end_date", "完工日期", "完工时间", "竣工日期", "实际完工日期"),
    "stated_area_mu": ("stated_area_mu", "面积(亩)", "完成面积(亩)", "面积亩"),
    "stated_length_km": ("stated_length_km", "长度(公里)", "里程(公里)", "完成里程(公里)"),
    "capacity_kw": ("capacity_kw", "装机容量(千瓦)", "装机容量(kw)"),
    "floor_area_m2": ("floor_area_m2", "建筑面积(平方米)", "建筑面积(m2)"),
}
_DATES = {"start_date", "end_date"}
#: Problem codes and their Chinese labels.
PROBLEMS = {"unknown_id": "编号不存在", "duplicate_id": "编号重复",
            "ambiguous_id": "编号对应多个要素", "status_regression": "状态倒退",
            "bad_value": "数值无法识别"}


@dataclass
class UpdateResult:
    """What an update did.

    Attributes
    ----------
    applied : DataFrame
        One row per value changed: ``row`` (sheet row), ``project_id``, ``layer``,
        ``column``, ``before``, ``after``.
    problems : DataFrame
        One row per problem: ``row``, ``project_id``, ``problem`` (:data:`PROBLEMS`),
        ``label``, ``detail``; those rows were not applied.
    ignored_columns : list of str
        Sheet columns that are neither the key nor updatable (geometry never changes).
    snapshot : Snapshot or None
        The snapshot written (None when nothing changed or with ``write=False``).
    """

    applied: pd.DataFrame
    problems: pd.DataFrame
    ignored_columns: list[str]
    snapshot: Snapshot | None


def read_update_sheet(path: str | os.PathLike[str], *, sheet: str | int = 0) -> pd.DataFrame:
    """The rows of a progress sheet (.xlsx / .xls / .csv), every cell as text or number.

    Raises
    ------
    LayerReadError
        If the file is missing or cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise LayerReadError(f"update sheet {path} does not exist; pass the bureau's .xlsx or "
                             ".csv (--from)")
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=object, encoding="utf-8-sig")
        return pd.read_excel(path, sheet_name=sheet, dtype=object)
    except (ValueError, OSError, KeyError) as exc:
        raise LayerReadError(f"update sheet {path} cannot be read: {exc}") from None


def _match_columns(frame: pd.DataFrame, key: str) -> tuple[str, dict[str, str], list[str]]:
    names = {normalise_name(str(c)): str(c) for c in frame.columns}
    key_column = names.get(normalise_name(key)) or names.get("projectid")
    if key_column is None:
        raise ConfigError(f"the update sheet has no key column {key!r}; its columns are "
                          f"{', '.join(map(str, frame.columns))}; name the key with --key "
                          "(or [history] key = \"...\")")
    found: dict[str, str] = {}
    for column, aliases in UPDATABLE.items():
        for alias in aliases:
            if normalise_name(alias) in names and names[normalise_name(alias)] != key_column:
                found.setdefault(column, names[normalise_name(alias)])
    used = {key_column, *found.values()}
    return key_column, found, [str(c) for c in frame.columns if str(c) not in used]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip()) or value is pd.NaT


def _value(column: str, value: Any) -> Any:
    """The canonical value of a cell; ValueError when it cannot be read."""
    if column == "status":
        return Status.parse(str(value).strip()).value
    if column in _DATES:
        if isinstance(value, dt.datetime | pd.Timestamp):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return dt.date.fromisoformat(str(value).strip().replace("/", "-")).isoformat()
    number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _same(a: Any, b: Any) -> bool:
    if _blank(a) and _blank(b):
        return True
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
    return str(a) == str(b)


def apply_update(project: Project, sheet: str | os.PathLike[str] | pd.DataFrame, *,
                 date: DateLike, key: str | None = None,
                 store: str | os.PathLike[str] | None = None, write: bool = True,
                 label: str | None = None) -> UpdateResult:
    """Apply a bureau's progress sheet to the latest recorded state; write a new snapshot.

    Parameters
    ----------
    project : Project
        The project (its history store and, before any snapshot, its layers).
    sheet : path-like or DataFrame
        The sheet (.xlsx / .csv) or its rows.
    date : str or date
        The date the sheet reports (the new snapshot's date; after the last snapshot).
    key : str, optional
        The sheet column holding ``project_id``; default ``[history] key`` (项目编号).
    store : path-like, optional
        The history GeoPackage; default ``[history] store`` beside project.toml.
    write : bool, default True
        False: only report what would change (``--dry-run``).
    label : str, optional
        The snapshot's label (default: the sheet's file name).

    Returns
    -------
    UpdateResult

    Raises
    ------
    ConfigError
        If the key column is missing, the sheet names no updatable column, or ``date`` is
        before the last snapshot.
    """
    day = parse_date(date)
    name = "<rows>" if isinstance(sheet, pd.DataFrame) else Path(sheet).name
    rows = sheet if isinstance(sheet, pd.DataFrame) else read_update_sheet(sheet)
    key = key or history_config(project).key
    key_column, columns, ignored = _match_columns(rows, key)
    if not columns:
        raise ConfigError(f"{name}: no column to update; the sheet needs one of "
                          + ", ".join(a for aliases in UPDATABLE.values() for a in aliases[1:2])
                          + " (status, dates and stated figures; geometry never changes)")
    recorded = list_snapshots(project, store=store)
    layers = (state_at(project, None, store=store) if recorded
              else {k: v.copy() for k, v in project.layers.items()})
    where: dict[str, list[tuple[str, int]]] = {}
    for layer, frame in layers.items():
        if "project_id" in frame:
            for i, pid in enumerate(frame["project_id"].tolist()):
                if not _blank(pid):
                    text = str(int(pid)) if isinstance(pid, float) and pid.is_integer() \
                        else str(pid).strip()
                    where.setdefault(text, []).append((layer, i))
    ids = [None if _blank(v) else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                   else str(v).strip()) for v in rows[key_column].tolist()]
    counts: dict[str, list[int]] = {}
    for n, pid in enumerate(ids):
        if pid is not None:
            counts.setdefault(pid, []).append(n + 2)
    problems: list[dict[str, Any]] = []
    applied: list[dict[str, Any]] = []

    def problem(row: int, pid: Any, code: str, detail: str) -> None:
        problems.append({"row": row, "project_id": pid, "problem": code,
                         "label": PROBLEMS[code], "detail": f"{name}#{row}: {detail}"})

    for n, record in enumerate(rows.to_dict("records")):
        row, pid = n + 2, ids[n]  # the sheet's own row number (header in row 1)
        if pid is None:
            if any(not _blank(record[c]) for c in columns.values()):
                problem(row, None, "unknown_id", f"no {key_column} in this row")
            continue
        if len(counts[pid]) > 1:  # one problem per id, none of its rows applied
            if row == counts[pid][0]:
                problem(row, pid, "duplicate_id", f"{key_column} {pid!r} appears in rows "
                        f"{', '.join(map(str, counts[pid]))}; keep one row")
            continue
        matches = where.get(pid, [])
        if not matches:
            problem(row, pid, "unknown_id", f"{key_column} {pid!r} matches no feature of the "
                    "project; check the id or add the feature to its layer")
            continue
        if len(matches) > 1:
            problem(row, pid, "ambiguous_id", f"{key_column} {pid!r} matches "
                    f"{len(matches)} features ({', '.join(f'{a}#{b}' for a, b in matches)})")
            continue
        layer, position = matches[0]
        frame = layers[layer]
        new: dict[str, Any] = {}
        bad = []
        for column, header in columns.items():
            cell = record[header]
            if _blank(cell):
                continue
            try:
                new[column] = _value(column, cell)
            except ValueError as exc:
                bad.append(f"({header}) {cell!r}: {exc}")
        if bad:
            problem(row, pid, "bad_value", "; ".join(bad))
            continue
        old_status = frame["status"].iloc[position] if "status" in frame else None
        if ("status" in new and old_status in STATUSES
                and STATUSES.index(new["status"]) < STATUSES.index(old_status)):
            problem(row, pid, "status_regression",
                    f"({columns['status']}) {Status(old_status).label} → "
                    f"{Status(new['status']).label} ({old_status} → {new['status']}) goes back; "
                    "correct the sheet, or change the layer itself if the work was undone")
            continue
        for column, value in new.items():
            before = frame[column].iloc[position] if column in frame else None
            if _same(before, value):
                continue
            if column not in frame:
                frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            elif column not in _DATES and column != "status" and frame[column].dtype.kind != "f":
                frame[column] = frame[column].astype(object)
            frame.iloc[position, frame.columns.get_loc(column)] = value
            applied.append({"row": row, "project_id": pid, "layer": layer, "column": column,
                            "before": None if _blank(before) else before, "after": value})
    frame_applied = pd.DataFrame(applied, columns=["row", "project_id", "layer", "column",
                                                   "before", "after"]).astype(
        {"before": object, "after": object})
    frame_applied["before"] = frame_applied["before"].where(frame_applied["before"].notna(), None)
    result = UpdateResult(
        applied=frame_applied,
        problems=pd.DataFrame(problems, columns=["row", "project_id", "problem", "label",
                                                 "detail"]),
        ignored_columns=ignored, snapshot=None)
    if write and applied:
        updated = dataclasses.replace(project, layers=layers)
        result.snapshot = snapshot(updated, day, store=store, label=label or name,
                                   source=f"update:{name}")
    return result
