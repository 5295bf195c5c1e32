"""Snapshots of a project's layers over time, and the project as of any date.

:func:`snapshot` records the state of every feature at a date in the history store beside
the project (``[history] store`` of project.toml, default ``history.gpkg``); :func:`as_of`
rebuilds the project's layers as they were at a date, so any analysis can run on them
(``county_gis.progress(project, as_of="2023-10-31")``). A feature is identified by its
layer and ``project_id`` (``layer/project_id``; a feature without one by its position).

Examples
--------
A plot planned in January and completed, larger, in March:

>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from county_gis.project import Project
>>> def state(status, size):
...     plots = gpd.GeoDataFrame({"project_id": ["A1"], "kind": ["afforestation"],
...         "status": [status]}, geometry=[box(121.6, 42.0, 121.6 + size, 42.01)],
...         crs="EPSG:4490")
...     return Project.from_layers({"plots": plots}, targets=[])
>>> store = pathlib.Path(tempfile.mkdtemp()) / "history.gpkg"
>>> snapshot(state("planned", 0.01), "2023-01-31", store=store).n_versions
1
>>> snapshot(state("planned", 0.01), "2023-02-28", store=store).n_versions  # unchanged
0
>>> snapshot(state("completed", 0.02), "2023-03-31", store=store).n_versions
1
>>> [str(s.date) for s in list_snapshots(store=store)]
['2023-01-31', '2023-02-28', '2023-03-31']
>>> as_of(state("completed", 0.02), "2023-02-15", store=store).layers["plots"]["status"].tolist()
['planned']
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import CGCS2000
from ..errors import ConfigError, unknown_keys
from ..project import Project
from ._store import Store, gpkg_blob, gpkg_geometries

__all__ = ["DEFAULT_STORE", "HistoryConfig", "Snapshot", "as_of", "feature_keys",
           "history_config", "list_snapshots", "parse_date", "snapshot", "state_at"]

#: The store file looked for beside project.toml when ``[history] store`` is not set.
DEFAULT_STORE = "history.gpkg"
_CONFIG_KEYS = {"store", "key", "lamps", "synthetic", "description"}

#: What a date argument accepts: ``"2023-10-31"``, a ``date`` or a ``Timestamp``.
DateLike: TypeAlias = str | dt.date | pd.Timestamp


def parse_date(value: DateLike, what: str = "date") -> dt.date:
    """A date from ``YYYY-MM-DD`` text, a ``date`` or a ``Timestamp``.

    Examples
    --------
    >>> parse_date("2023-10-31"), parse_date(pd.Timestamp("2023-01-31 12:00"))
    (datetime.date(2023, 10, 31), datetime.date(2023, 1, 31))
    >>> parse_date("31.10.2023", "as_of")
    Traceback (most recent call last):
    ...
    county_gis.errors.ConfigError: as_of was '31.10.2023' but must be a date like 2023-10-31 \
(YYYY-MM-DD)
    """
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(f"{what} was {value!r} but must be a date like 2023-10-31 "
                          "(YYYY-MM-DD)") from None


@dataclass(frozen=True)
class HistoryConfig:
    """The ``[history]`` table of project.toml.

    Attributes
    ----------
    store : Path or None
        The history GeoPackage (``store = "history.gpkg"``, relative to project.toml).
    key : str
        The column of a bureau's sheet matched against ``project_id`` (default 项目编号).
    lamps : mapping
        The lamp rules (``[history.lamps]``: ``preset`` and overrides, see
        :mod:`county_gis.history.lamps`).
    synthetic : bool
        The snapshots are synthetic demonstration data (labelled so in every output).
    """

    store: Path | None
    key: str = "项目编号"
    lamps: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    synthetic: bool = False


def history_config(project: Project) -> HistoryConfig:
    """Read and check ``project.sections["history"]``.

    Raises
    ------
    ConfigError
        On an unknown key or a value of the wrong type (every problem at once).

    Examples
    --------
    >>> from county_gis.project import load_project
    >>> config = history_config(load_project())
    >>> config.store.name, config.synthetic, config.lamps["preset"]
    ('history.gpkg', True, 'points')
    """
    table = project.sections.get("history", {}) or {}
    problems = []
    if not isinstance(table, Mapping):
        raise ConfigError("[history] must be a table (store = \"history.gpkg\", key = ...)")
    unknown = unknown_keys(table, _CONFIG_KEYS)
    if unknown:
        problems.append(unknown)
    for name in ("store", "key", "description"):
        if name in table and (not isinstance(table[name], str) or not table[name].strip()):
            problems.append(f"{name} was {table[name]!r} but must be a non-empty string")
    if "lamps" in table and not isinstance(table["lamps"], Mapping):
        problems.append(f"lamps was {table['lamps']!r} but must be a table "
                        "([history.lamps] preset = \"points\")")
    if "synthetic" in table and not isinstance(table["synthetic"], bool):
        problems.append(f"synthetic was {table['synthetic']!r} but must be true or false")
    if problems:
        raise ConfigError(f"[history] of {project.name}: " + "; ".join(problems))
    name = table.get("store", DEFAULT_STORE)
    store = None
    if Path(name).is_absolute():
        store = Path(name)
    elif project.root is not None:
        store = project.root / name
    return HistoryConfig(store=store, key=table.get("key", "项目编号"),
                         lamps=dict(table.get("lamps", {})),
                         synthetic=bool(table.get("synthetic", False)))


def _store(project: Project | None, store: str | os.PathLike[str] | None) -> Store:
    if store is not None:
        return Store(Path(store))
    config = history_config(project) if project is not None else None
    if config is None or config.store is None:
        raise ConfigError("the project has no folder, so no history store beside it; pass "
                          "store=\"history.gpkg\" (CLI: run on a project.toml)")
    return Store(config.store)


@dataclass(frozen=True)
class Snapshot:
    """One recorded snapshot.

    Attributes
    ----------
    id : int
    date : datetime.date
    label : str or None
    source : str
        ``snapshot``, ``update:<sheet>`` or ``synthetic``.
    synthetic : bool
    n_features : int
        Features in the state at this date.
    n_versions : int
        Feature versions this snapshot added (0: nothing changed).
    store : Path
    """

    id: int
    date: dt.date
    label: str | None
    source: str
    synthetic: bool
    n_features: int
    n_versions: int
    store: Path


def list_snapshots(project: Project | None = None, *,
                   store: str | os.PathLike[str] | None = None) -> list[Snapshot]:
    """The snapshots recorded, oldest first (empty when there is no store yet)."""
    where = _store(project, store)
    if not where.exists:
        return []
    with where.reading() as con:
        rows = con.execute("SELECT id, date, label, source, synthetic, n_features, n_versions "
                           "FROM snapshots ORDER BY date").fetchall()
    return [Snapshot(int(r[0]), dt.date.fromisoformat(r[1]), r[2], r[3], bool(r[4]),
                     int(r[5]), int(r[6]), where.path) for r in rows]


# ---- features -> rows ----------------------------------------------------------------------

def feature_keys(layer: str, frame: pd.DataFrame) -> list[str]:
    """The identity of each feature: ``layer/project_id`` (``#2``, ``#3`` for repeats).

    A feature without a ``project_id`` is ``layer#<position>``.

    Examples
    --------
    >>> feature_keys("roads", pd.DataFrame({"project_id": ["R1", None, "R1", " R2 "]}))
    ['roads/R1', 'roads#1', 'roads/R1#2', 'roads/R2']
    """
    ids = frame["project_id"].tolist() if "project_id" in frame else [None] * len(frame)
    seen: dict[str, int] = {}
    out = []
    for position, value in enumerate(ids):
        text = _id_text(value)
        if text is None:
            out.append(f"{layer}#{position}")
            continue
        seen[text] = seen.get(text, 0) + 1
        out.append(f"{layer}/{text}" + (f"#{seen[text]}" if seen[text] > 1 else ""))
    return out


def _id_text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _plain(value: Any) -> Any:
    """A JSON-ready value (NaN / NA -> None, numpy -> Python, dates -> ISO text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return str(value)


def _plain_column(series: pd.Series) -> list[Any]:
    """:func:`_plain` of every value of a column, with fast paths for plain dtypes."""
    kind = series.dtype.kind
    if kind == "f":
        values = series.to_numpy(dtype=float)
        out: list[Any] = values.tolist()
        if np.isnan(values).any():
            out = [None if v != v else v for v in out]
        return out
    if kind in "iub" and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        return series.to_numpy().tolist()
    values = series.to_numpy(dtype=object)
    if all(type(v) is str for v in values):
        return values.tolist()
    return [_plain(v) for v in values]


def _attrs(frame: pd.DataFrame) -> list[str]:
    skip = {"geometry", "status", "history_key", frame.geometry.name}
    columns = sorted((str(c), c) for c in frame.columns if c not in skip)
    if not columns:
        return ["{}"] * len(frame)
    names = [name for name, _ in columns]
    values = [_plain_column(frame[c]) for _, c in columns]
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return [dumps(dict(zip(names, row, strict=True))) for row in zip(*values, strict=True)]


def _status(value: Any) -> str | None:
    plain = _plain(value)
    return None if plain is None else str(plain)


def _rows(project: Project) -> tuple[dict[str, tuple[Any, ...]], dict[str, bytes | None],
                                     list[tuple[str, int, str]]]:
    """key -> (layer, project_id, status, geom_hash, attrs); hash -> blob; layer schemas."""
    rows: dict[str, tuple[Any, ...]] = {}
    blobs: dict[str, bytes | None] = {}
    schemas = []
    for position, (layer, frame) in enumerate(project.layers.items()):
        columns = [[str(c), str(frame[c].dtype)] for c in frame.columns
                   if c not in (frame.geometry.name, "history_key")]
        schemas.append((layer, position, json.dumps(columns, ensure_ascii=False)))
        if not len(frame):
            continue
        geoms = np.asarray(frame.geometry.values)
        wkbs = shapely.to_wkb(geoms, output_dimension=2)
        hashes = [None if w is None else hashlib.sha1(w).hexdigest() for w in wkbs]
        for h, w in zip(hashes, wkbs, strict=True):
            if h is not None:
                blobs.setdefault(h, gpkg_blob(w))
        keys = (frame["history_key"].astype(str).tolist() if "history_key" in frame
                else feature_keys(layer, frame))
        ids = frame["project_id"].tolist() if "project_id" in frame else [None] * len(frame)
        statuses = frame["status"].tolist() if "status" in frame else [None] * len(frame)
        for key, pid, status, h, attrs in zip(keys, ids, statuses, hashes, _attrs(frame),
                                              strict=True):
            rows[key] = (layer, _id_text(pid), _status(status), h, attrs)
    return rows, blobs, schemas


def snapshot(project: Project, date: DateLike, *, store: str | os.PathLike[str] | None = None,
             label: str | None = None, source: str = "snapshot",
             synthetic: bool | None = None) -> Snapshot:
    """Record the state of every feature of ``project`` at ``date`` (append-only).

    Only what changed since the last snapshot is written: a new version for each feature
    added, reshaped (another geometry), re-statused or with other attributes; the version
    it replaces (or of a feature gone) is closed at ``date``. One transaction.

    Parameters
    ----------
    project : Project
        The project in the state to record.
    date : str or date
        The date the state is valid from (``YYYY-MM-DD``); later than every snapshot
        recorded, or equal to the last one when nothing changed (then nothing is written).
    store : path-like, optional
        The history GeoPackage; default ``[history] store`` beside project.toml.
    label : str, optional
        A label shown with the snapshot (``10月进度``).
    source : str, default "snapshot"
        Where the state came from (``update:<sheet>`` for bureau updates).
    synthetic : bool, optional
        Mark the snapshot as synthetic demonstration data; default ``[history] synthetic``.

    Returns
    -------
    Snapshot
        With ``n_versions`` the feature versions written (0: the state was unchanged and
        no snapshot was added when ``date`` equals the last one).

    Raises
    ------
    ConfigError
        If ``date`` is before the last snapshot, or equal to it with changes.
    """
    day = parse_date(date)
    where = _store(project, store)
    if synthetic is None:
        synthetic = history_config(project).synthetic if store is None else False
    rows, blobs, schemas = _rows(project)
    with where.writing() as con:
        last = con.execute("SELECT id, date FROM snapshots ORDER BY date DESC LIMIT 1").fetchone()
        open_rows = {r[0]: (r[1], r[2], r[3], r[4], r[5], r[6]) for r in con.execute(
            "SELECT key, id, layer, project_id, status, geom_hash, attrs FROM versions "
            "WHERE valid_to IS NULL")}
        changed = [k for k, row in rows.items()
                   if k not in open_rows or open_rows[k][1:] != row]
        gone = [k for k in open_rows if k not in rows]
        if last is not None:
            last_day = dt.date.fromisoformat(last[1])
            if day < last_day or (day == last_day and (changed or gone)):
                raise ConfigError(
                    f"a snapshot at {day} cannot be added to {where.path}: the last snapshot is "
                    f"at {last_day} and the history is append-only; use a later date "
                    "(--date YYYY-MM-DD)")
            if day == last_day:
                return _snapshot_row(con, int(last[0]), where.path)
        known = {r[0] for r in con.execute("SELECT geom_hash FROM geometries")}
        fresh = [h for h in dict.fromkeys(rows[k][3] for k in changed)
                 if h is not None and h not in known]
        con.executemany("INSERT INTO geometries (geom_hash, geom) VALUES (?, ?)",
                        [(h, blobs[h]) for h in fresh])
        ids = [open_rows[k][0] for k in changed if k in open_rows] + [
            open_rows[k][0] for k in gone]
        con.executemany("UPDATE versions SET valid_to = ? WHERE id = ?",
                        [(day.isoformat(), i) for i in ids])
        con.executemany(
            "INSERT INTO versions (key, layer, project_id, status, geom_hash, attrs, "
            "valid_from) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(k, *rows[k], day.isoformat()) for k in changed])
        cursor = con.execute(
            "INSERT INTO snapshots (date, label, source, synthetic, n_features, n_versions) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (day.isoformat(), label, source, int(bool(synthetic)), len(rows), len(changed)))
        sid = int(cursor.lastrowid or 0)
        con.executemany("INSERT INTO layer_schemas VALUES (?, ?, ?, ?)",
                        [(sid, *s) for s in schemas])
        _grow_extent(con, [blobs[h] for h in fresh])
        return _snapshot_row(con, sid, where.path)


def _grow_extent(con: Any, blobs: list[bytes | None]) -> None:
    """Keep the extent of the geometries table in gpkg_contents (GDAL / QGIS read it)."""
    new = [b for b in blobs if b is not None]
    if not new:
        return
    bounds = shapely.total_bounds(gpkg_geometries(new))
    if not np.isfinite(bounds).all():
        return
    old = con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE "
                      "table_name = 'geometries'").fetchone()
    if old is not None and old[0] is not None:
        bounds = [min(old[0], bounds[0]), min(old[1], bounds[1]), max(old[2], bounds[2]),
                  max(old[3], bounds[3])]
    con.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? "
                "WHERE table_name = 'geometries'", tuple(float(v) for v in bounds))


def _snapshot_row(con: Any, sid: int, path: Path) -> Snapshot:
    r = con.execute("SELECT id, date, label, source, synthetic, n_features, n_versions FROM "
                    "snapshots WHERE id = ?", (sid,)).fetchone()
    return Snapshot(int(r[0]), dt.date.fromisoformat(r[1]), r[2], r[3], bool(r[4]), int(r[5]),
                    int(r[6]), path)


# ---- rows -> frames ------------------------------------------------------------------------

def state_at(project: Project | None, date: DateLike | None = None, *,
             store: str | os.PathLike[str] | None = None,
             strict: bool = True) -> dict[str, gpd.GeoDataFrame]:
    """The layers as recorded at ``date`` (the latest snapshot when None).

    Each layer holds the feature versions valid at the end of that day, in the order the
    features first appeared, with the columns and dtypes the layer had at the last snapshot
    on or before it, plus ``history_key``.

    Raises
    ------
    ConfigError
        If there is no store, or (``strict``) ``date`` is before the first snapshot.
    """
    where = _store(project, store)
    with where.reading() as con:
        first = con.execute("SELECT min(date), max(date) FROM snapshots").fetchone()
        if first[0] is None:
            raise ConfigError(f"{where.path} holds no snapshot yet; record one with "
                              "county-gis snapshot PROJECT --date YYYY-MM-DD")
        day = parse_date(first[1] if date is None else date, "as_of")
        if day < dt.date.fromisoformat(first[0]):
            if strict:
                raise ConfigError(
                    f"as_of was {day} but the history in {where.path} starts at {first[0]} "
                    f"(last {first[1]}); pass a date on or after {first[0]} (--as-of)")
            return {}
        text = day.isoformat()
        sid = con.execute("SELECT id FROM snapshots WHERE date <= ? ORDER BY date DESC LIMIT 1",
                          (text,)).fetchone()[0]
        schemas = [(r[0], json.loads(r[1])) for r in con.execute(
            "SELECT layer, columns FROM layer_schemas WHERE snapshot = ? ORDER BY position",
            (sid,))]
        rows = con.execute(
            "SELECT v.key, v.layer, v.status, v.attrs, g.geom FROM versions v LEFT JOIN "
            "geometries g ON g.geom_hash = v.geom_hash WHERE v.valid_from <= ? AND "
            "(v.valid_to IS NULL OR v.valid_to > ?) ORDER BY v.id", (text, text)).fetchall()
        # a feature keeps its place (its first appearance) when a new version replaces it
        first_seen = dict(con.execute("SELECT key, min(id) FROM versions GROUP BY key"))
    rows.sort(key=lambda r: first_seen[r[0]])
    by_layer: dict[str, list[Any]] = {}
    for row in rows:
        by_layer.setdefault(row[1], []).append(row)
    out = {}
    for layer, columns in schemas:
        out[layer] = _frame(by_layer.pop(layer, []), columns)
    for layer, items in by_layer.items():  # layers without a schema row (not expected)
        out[layer] = _frame(items, [])
    for layer, frame in out.items():
        frame.attrs["layer"] = layer
    return out


def _frame(rows: list[Any], columns: list[list[str]]) -> gpd.GeoDataFrame:
    records = []
    for key, _, status, attrs, _ in rows:
        record = json.loads(attrs)
        record["status"] = status
        record["history_key"] = key
        records.append(record)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    names = [c for c, _ in columns]
    for name in [*names, "history_key"]:
        if name not in frame:
            frame[name] = pd.Series([None] * len(frame), dtype=object)
    frame = frame[[*names, *[c for c in frame.columns if c not in names]]]
    for name, dtype in columns:
        if str(frame[name].dtype) != dtype:
            with contextlib.suppress(TypeError, ValueError):  # else the values as stored
                frame[name] = frame[name].astype(dtype)
    geoms = gpkg_geometries([r[4] for r in rows]) if rows else np.array([], dtype=object)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CGCS2000).values,
                            crs=CGCS2000)


def as_of(project: Project, date: DateLike | None, *,
          store: str | os.PathLike[str] | None = None) -> Project:
    """``project`` with its layers as recorded at ``date`` (the latest snapshot when None).

    ``date`` may be ``"latest"``.

    Targets, boundary, townships and rasters stay those of ``project``; a layer of the
    project with no feature at that date is empty.

    Raises
    ------
    ConfigError
        If there is no store or ``date`` is before the first snapshot.
    """
    if isinstance(date, str) and date.strip().lower() in {"latest", "last", "最新"}:
        date = None
    layers = state_at(project, date, store=store)
    return dataclasses.replace(project, layers=layers)
