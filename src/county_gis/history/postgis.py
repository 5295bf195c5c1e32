"""The history store in PostGIS: snapshots and versions pushed to a schema, pulled back.

The bureaus that share a PostGIS store (:mod:`county_gis.store`) keep the project's history
there too. :func:`push_history` copies the tables of the history GeoPackage
(:mod:`county_gis.history`) into a schema, in **one transaction**:

- ``history_snapshots`` (``id`` primary key, ``date date`` unique, ``label``, ``source``,
  ``synthetic boolean``, ``n_features``, ``n_versions``);
- ``history_layer_schemas`` (``snapshot, layer`` primary key, ``position``, ``columns``);
- ``history_geometries`` (``geom_hash`` primary key, ``fid``, ``geom geometry(Geometry,
  4490)`` with a GiST index): each distinct geometry once, as in the GeoPackage;
- ``history_versions`` (``id`` primary key, ``key``, ``layer``, ``project_id``, ``status``,
  ``geom_hash`` referencing ``history_geometries``, ``attrs`` (JSON text), ``valid_from
  date``, ``valid_to date``), indexed on ``(valid_to, key)`` and ``valid_from``;
- the view ``history_features``: every version with its geometry (QGIS' temporal controller
  takes ``valid_from`` / ``valid_to``).

The history is append-only, so the push is too: rows are inserted by key; the one change to
an existing row is closing a version (``valid_to`` from NULL to a date). Pushing the same
history again changes 0 rows; pushing after a new snapshot adds exactly its rows and closes
the versions it replaced. A schema holding another history (a snapshot, version, geometry
or layer schema of the same key with other values, or rows the GeoPackage does not have) is
refused before anything is written.

:func:`pull_history` writes the schema's history back into a history GeoPackage, row for
row, so every history function (:func:`~county_gis.history.as_of`,
:func:`~county_gis.history.changes`, ``progress(..., as_of=...)``, the trend) gives the same
results from the PostGIS copy as from the original. Needs ``pip install 'county_gis[store]'``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._atomic import atomic_path
from .._postgres import check_identifier, connect, redacted
from ..errors import ConfigError, CRSError, DataError, LayerWriteError
from ..project import Project
from ._store import Store, gpkg_blob, gpkg_geometries
from .snapshots import history_config

__all__ = ["HISTORY_TABLES", "HistoryPush", "HistoryTablePush", "pull_history",
           "push_history"]

log = logging.getLogger(__name__)

_SRID = 4490

#: GeoPackage table -> (PostGIS table, key columns, columns in order, PostgreSQL types).
HISTORY_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "snapshots": ("history_snapshots", ("id",), (
        ("id", "integer"), ("date", "date"), ("label", "text"), ("source", "text"),
        ("synthetic", "boolean"), ("n_features", "integer"), ("n_versions", "integer"))),
    "geometries": ("history_geometries", ("geom_hash",), (
        ("geom_hash", "text"), ("fid", "integer"), ("geom", f"geometry(Geometry,{_SRID})"))),
    "layer_schemas": ("history_layer_schemas", ("snapshot", "layer"), (
        ("snapshot", "integer"), ("layer", "text"), ("position", "integer"),
        ("columns", "text"))),
    "versions": ("history_versions", ("id",), (
        ("id", "integer"), ("key", "text"), ("layer", "text"), ("project_id", "text"),
        ("status", "text"), ("geom_hash", "text"), ("attrs", "text"), ("valid_from", "date"),
        ("valid_to", "date"))),
}
_VIEW = "history_features"
_CREATE = {
    "snapshots": "CREATE TABLE {t} (id integer PRIMARY KEY, date date NOT NULL UNIQUE, "
                 "label text, source text NOT NULL, synthetic boolean NOT NULL, "
                 "n_features integer NOT NULL, n_versions integer NOT NULL)",
    "geometries": "CREATE TABLE {t} (geom_hash text PRIMARY KEY, fid integer NOT NULL UNIQUE, "
                  f"geom geometry(Geometry, {_SRID}))",
    "layer_schemas": "CREATE TABLE {t} (snapshot integer NOT NULL REFERENCES {snapshots} (id), "
                     "layer text NOT NULL, position integer NOT NULL, columns text NOT NULL, "
                     "PRIMARY KEY (snapshot, layer))",
    "versions": "CREATE TABLE {t} (id integer PRIMARY KEY, key text NOT NULL, "
                "layer text NOT NULL, project_id text, status text, "
                "geom_hash text REFERENCES {geometries} (geom_hash), attrs text NOT NULL, "
                "valid_from date NOT NULL, valid_to date)",
}


@dataclass(frozen=True)
class HistoryTablePush:
    """What :func:`push_history` did to one table.

    Attributes
    ----------
    table : str
        ``schema.table``.
    inserted : int
        Rows added.
    closed : int
        Versions closed (``valid_to`` set) that were open in the database.
    unchanged : int
        Rows already there as they are.
    """

    table: str
    inserted: int
    closed: int
    unchanged: int

    @property
    def changed(self) -> int:
        """Rows inserted or closed."""
        return self.inserted + self.closed


@dataclass(frozen=True)
class HistoryPush:
    """The history tables of one :func:`push_history`, committed together.

    Examples
    --------
    >>> snaps = HistoryTablePush("fumeng_2023.history_snapshots", 1, 0, 12)
    >>> versions = HistoryTablePush("fumeng_2023.history_versions", 1, 1, 600)
    >>> done = HistoryPush("postgresql://gis@db/gis", "fumeng_2023", "history.gpkg",
    ...                    (snaps, versions))
    >>> done.changed, done.table()["changed"].tolist()
    (3, [1, 2])
    """

    url: str
    schema: str
    store: str
    tables: tuple[HistoryTablePush, ...]

    @property
    def changed(self) -> int:
        """Rows inserted or closed in all tables (0 when the same history is pushed again)."""
        return sum(t.changed for t in self.tables)

    def table(self) -> pd.DataFrame:
        """One row per table: ``table, inserted, closed, unchanged, changed``."""
        return pd.DataFrame([[t.table, t.inserted, t.closed, t.unchanged, t.changed]
                             for t in self.tables],
                            columns=["table", "inserted", "closed", "unchanged", "changed"])


def _read_store(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the history GeoPackage, as :data:`HISTORY_TABLES` orders the columns."""
    with Store(path).reading() as con:
        snapshots = [(int(r[0]), r[1], r[2], r[3], bool(r[4]), int(r[5]), int(r[6]))
                     for r in con.execute("SELECT id, date, label, source, synthetic, "
                                          "n_features, n_versions FROM snapshots ORDER BY id")]
        geoms = con.execute("SELECT geom_hash, fid, geom FROM geometries ORDER BY fid").fetchall()
        schemas = con.execute("SELECT snapshot, layer, position, columns FROM layer_schemas "
                              "ORDER BY snapshot, position").fetchall()
        versions = con.execute("SELECT id, key, layer, project_id, status, geom_hash, attrs, "
                               "valid_from, valid_to FROM versions ORDER BY id").fetchall()
    shapes = gpkg_geometries([r[2] for r in geoms]) if geoms else np.array([], dtype=object)
    ewkb = shapely.to_wkb(shapely.set_srid(shapes, _SRID), hex=True, include_srid=True,
                          output_dimension=2) if len(shapes) else []
    return {"snapshots": snapshots,
            "geometries": [(r[0], int(r[1]), e) for r, e in zip(geoms, ewkb, strict=True)],
            "layer_schemas": [(int(r[0]), r[1], int(r[2]), r[3]) for r in schemas],
            "versions": [tuple(r) for r in versions]}


def _check_table(conn: Any, schema: str, name: str) -> bool:
    """Whether the history table exists; refuses one that is not a county_gis history table."""
    table, _, columns = HISTORY_TABLES[name]
    rows = conn.execute("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM "
                        "pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace "
                        "n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s "
                        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                        (schema, table)).fetchall()
    if not rows:
        return False
    have = {str(n): str(t).replace(" ", "").lower() for n, t in rows}
    if name == "geometries" and "geom" in have:
        srid = conn.execute("SELECT srid FROM geometry_columns WHERE f_table_schema = %s AND "
                            "f_table_name = %s AND f_geometry_column = 'geom'",
                            (schema, table)).fetchone()
        if srid is not None and int(srid[0]) != _SRID:
            raise CRSError(f"{schema}.{table}: the table is {have['geom']} but county_gis "
                           f"keeps the history in EPSG:{_SRID} (CGCS2000); push to another "
                           "--schema")
    wanted = {n: t.replace(" ", "").lower() for n, t in columns}
    if have != wanted:
        found = ", ".join(f"{n} {t}" for n, t in have.items())
        raise ConfigError(f"{schema}.{table} exists but is not a county_gis history table "
                          f"(columns {found}; expected "
                          f"{', '.join(f'{n} {t}' for n, t in columns)}); push to another "
                          "--schema")
    return True


def _differences(conn: Any, schema: str, name: str, stage: str) -> list[str]:
    """Rows of the database table that contradict the GeoPackage's (keys, values, extra)."""
    from psycopg import sql

    table, keys, columns = HISTORY_TABLES[name]
    target = sql.Identifier(schema, table)
    on = sql.SQL(" AND ").join(sql.SQL("t.{0} = s.{0}").format(sql.Identifier(k)) for k in keys)
    fixed = [n for n, _ in columns if n not in keys and n != "valid_to"]

    def value(alias: str, column: str) -> sql.Composable:
        if column == "geom":
            return sql.SQL("ST_AsEWKB({}.geom)").format(sql.Identifier(alias))
        return sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(column))

    old = sql.SQL(", ").join(value("t", c) for c in fixed)
    new = sql.SQL(", ").join(value("s", c) for c in fixed)
    condition = sql.SQL("ROW({}) IS DISTINCT FROM ROW({})").format(old, new)
    if name == "versions":  # a version closed in the database stays closed at its date
        condition = sql.SQL("({}) OR (t.valid_to IS NOT NULL AND t.valid_to IS DISTINCT FROM "
                            "s.valid_to)").format(condition)
    shown = sql.SQL(" || '/' || ").join(sql.SQL("t.{}::text").format(sql.Identifier(k))
                                         for k in keys)
    differ = conn.execute(sql.SQL("SELECT {shown} FROM {t} t JOIN {s} s ON {on} WHERE {c} "
                                  "ORDER BY 1 LIMIT 3").format(
        shown=shown, t=target, s=sql.Identifier(stage), on=on, c=condition)).fetchall()
    extra = conn.execute(sql.SQL("SELECT {shown} FROM {t} t WHERE NOT EXISTS (SELECT 1 FROM "
                                 "{s} s WHERE {on}) ORDER BY 1 LIMIT 3").format(
        shown=shown, t=target, s=sql.Identifier(stage), on=on)).fetchall()
    out = [f"{table} {r[0]} differs" for r in differ]
    out += [f"{table} {r[0]} is not in the GeoPackage" for r in extra]
    return out


def _stage(conn: Any, schema: str, name: str, rows: Sequence[tuple[Any, ...]]) -> str:
    from psycopg import sql

    table, _, columns = HISTORY_TABLES[name]
    stage = f"county_gis_stage_{table}"
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(
        sql.Identifier(stage), sql.Identifier(schema, table)))
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in columns)
    with conn.cursor() as cursor, cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(stage), names)) as copy:
        for row in rows:
            copy.write_row(row)
    return stage


def _store_path(project: Project | None, store: str | os.PathLike[str] | None) -> Path:
    if store is not None:
        return Path(store)
    config = history_config(project) if project is not None else None
    if config is None or config.store is None:
        raise ConfigError("the project has no folder, so no history store beside it; pass "
                          "store=\"history.gpkg\" (CLI: run on a project.toml)")
    return config.store


def push_history(
    project: Project | None,
    url: str,
    *,
    schema: str,
    store: str | os.PathLike[str] | None = None,
) -> HistoryPush:
    """Copy the project's history (snapshots, versions, geometries) into a PostGIS schema.

    One transaction: the four ``history_*`` tables (created on the first push, with their
    keys, GiST index and the ``history_features`` view) get the rows they miss and the
    versions closed since; a refusal or an error leaves them as they were.

    Parameters
    ----------
    project : Project or None
        The project whose ``[history] store`` is pushed (None with ``store``).
    url : str
        ``postgresql://user[:password]@host[:port]/database``.
    schema : str
        The schema (created when missing), e.g. ``"fumeng_2023"`` — the one
        :func:`county_gis.store.push` writes the layers into.
    store : path-like, optional
        The history GeoPackage; default ``[history] store`` beside project.toml.

    Returns
    -------
    HistoryPush
        Per table: inserted / closed / unchanged; ``changed`` is 0 when the same history is
        pushed again.

    Raises
    ------
    ConfigError
        No history store; a schema holding another history (the first rows that differ are
        named) or a table of that name that is not a history table; an unreachable server.
    CRSError
        An existing ``history_geometries`` of another SRID.
    LayerWriteError
        The server refused a statement; nothing was written.

    Notes
    -----
    With a server (so not a doctest)::

        from county_gis import load_project
        from county_gis.store import push_history, pull_history
        done = push_history(load_project(), "postgresql://gis@db/gis", schema="fumeng_2023")
        done.table()     # inserted / closed / unchanged per table
        pull_history("postgresql://gis@db/gis", schema="fumeng_2023", out="copy.gpkg")
    """
    check_identifier(schema, where="--schema")
    path = _store_path(project, store)
    rows = _read_store(path)
    import psycopg
    from psycopg import sql

    done: list[HistoryTablePush] = []
    try:
        with connect(url) as conn:  # one transaction: committed on leaving, rolled back on error
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(schema)))
            names = {n: sql.Identifier(schema, HISTORY_TABLES[n][0]) for n in HISTORY_TABLES}
            for name in HISTORY_TABLES:  # FK order: snapshots, geometries, schemas, versions
                if not _check_table(conn, schema, name):
                    conn.execute(sql.SQL(_CREATE[name]).format(t=names[name], **{
                        k: v for k, v in names.items() if k != name}))
                    if name == "geometries":
                        conn.execute(sql.SQL("CREATE INDEX {} ON {} USING GIST (geom)").format(
                            sql.Identifier("history_geometries_geom_gist"), names[name]))
                    if name == "versions":
                        conn.execute(sql.SQL("CREATE INDEX {} ON {} (valid_to, key)").format(
                            sql.Identifier("history_versions_open"), names[name]))
                        conn.execute(sql.SQL("CREATE INDEX {} ON {} (valid_from)").format(
                            sql.Identifier("history_versions_from"), names[name]))
            stages = {name: _stage(conn, schema, name, rows[name]) for name in HISTORY_TABLES}
            problems = [p for name in HISTORY_TABLES
                        for p in _differences(conn, schema, name, stages[name])]
            if problems:
                raise ConfigError(
                    f"{redacted(url)} schema {schema} holds another history than {path} "
                    f"({'; '.join(problems[:6])}); nothing was written. Push to another "
                    "--schema, or compare the two first (county-gis store pull-history)")
            for name, (table, keys, columns) in HISTORY_TABLES.items():
                target = names[name]
                cols = sql.SQL(", ").join(sql.Identifier(n) for n, _ in columns)
                inserted = len(conn.execute(sql.SQL(
                    "INSERT INTO {t} ({c}) SELECT {c} FROM {s} ORDER BY {k} "
                    "ON CONFLICT DO NOTHING RETURNING 1").format(
                    t=target, c=cols, s=sql.Identifier(stages[name]),
                    k=sql.SQL(", ").join(sql.Identifier(k) for k in keys))).fetchall())
                closed = 0
                if name == "versions":
                    closed = conn.execute(sql.SQL(
                        "UPDATE {t} t SET valid_to = s.valid_to FROM {s} s WHERE t.id = s.id "
                        "AND t.valid_to IS NULL AND s.valid_to IS NOT NULL").format(
                        t=target, s=sql.Identifier(stages[name]))).rowcount
                done.append(HistoryTablePush(f"{schema}.{table}", inserted, closed,
                                             len(rows[name]) - inserted - closed))
            conn.execute(sql.SQL(
                "CREATE OR REPLACE VIEW {v} AS SELECT v.id, v.key, v.layer, v.project_id, "
                "v.status, v.attrs, v.valid_from, v.valid_to, v.geom_hash, g.geom FROM {ver} v "
                "LEFT JOIN {geo} g ON g.geom_hash = v.geom_hash").format(
                v=sql.Identifier(schema, _VIEW), ver=names["versions"],
                geo=names["geometries"]))
            log.info("pushed the history of %s into %s schema %s: %d rows changed; committing",
                     path, redacted(url), schema, sum(t.changed for t in done))
    except psycopg.Error as exc:
        message = " ".join(str(exc).split())
        raise LayerWriteError(f"{redacted(url)} schema {schema}: PostgreSQL refused the history "
                              f"push ({message}); nothing was written (one transaction)"
                              ) from None
    return HistoryPush(url=redacted(url), schema=schema, store=str(path), tables=tuple(done))


def pull_history(url: str, *, schema: str, out: str | os.PathLike[str],
                 overwrite: bool = False) -> Path:
    """Write the history of a PostGIS schema into a history GeoPackage, row for row.

    The file is the one :func:`push_history` read, table for table (ids, dates, labels,
    attributes, geometries); point ``[history] store`` (or ``store=``) at it and the history
    functions give the same results. Written atomically; every geometry is checked against
    its hash.

    Parameters
    ----------
    url : str
        The database.
    schema : str
        The schema holding ``history_*`` tables.
    out : path-like
        The ``.gpkg`` to write.
    overwrite : bool, default False
        Replace an existing file (CLI: ``--overwrite``).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ConfigError
        The schema holds no history (or tables that are not county_gis history tables).
    DataError
        A geometry that does not match its hash (edited in the database).
    OutputExistsError
        ``out`` exists and ``overwrite`` is false.
    """
    check_identifier(schema, where="--schema")
    from psycopg import sql

    with connect(url) as conn:
        for name in HISTORY_TABLES:
            if not _check_table(conn, schema, name):
                raise ConfigError(f"{redacted(url)} schema {schema} holds no history "
                                  f"({HISTORY_TABLES[name][0]} missing); push one with "
                                  f"county-gis store push-history PROJECT URL --schema {schema}")
        got = {}
        for name, (table, keys, columns) in HISTORY_TABLES.items():
            cols = sql.SQL(", ").join(
                sql.SQL("ST_AsBinary(geom)") if n == "geom" else sql.Identifier(n)
                for n, _ in columns)
            got[name] = conn.execute(sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
                cols, sql.Identifier(schema, table),
                sql.SQL(", ").join(sql.Identifier(k) for k in keys))).fetchall()
        conn.rollback()
    geometries = []
    for geom_hash, fid, wkb in sorted(got["geometries"], key=lambda r: r[1]):
        blob = None if wkb is None else bytes(wkb)
        if blob is not None and hashlib.sha1(blob).hexdigest() != geom_hash:
            raise DataError(f"{redacted(url)} {schema}.history_geometries#{fid}: the geometry "
                            f"does not match its hash {geom_hash} (edited in the database?); "
                            "the history is append-only: restore it, or push the GeoPackage "
                            "to another --schema")
        geometries.append((fid, geom_hash, gpkg_blob(blob)))
    target = Path(out)
    with atomic_path(target, overwrite=overwrite) as tmp, Store(tmp).writing() as con:
        con.executemany("INSERT INTO snapshots (id, date, label, source, synthetic, n_features, "
                        "n_versions) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(r[0], r[1].isoformat(), r[2], r[3], int(r[4]), r[5], r[6])
                         for r in got["snapshots"]])
        con.executemany("INSERT INTO layer_schemas VALUES (?, ?, ?, ?)", got["layer_schemas"])
        con.executemany("INSERT INTO geometries (fid, geom_hash, geom) VALUES (?, ?, ?)",
                        geometries)
        con.executemany(
            "INSERT INTO versions (id, key, layer, project_id, status, geom_hash, attrs, "
            "valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r[:7], r[7].isoformat(), None if r[8] is None else r[8].isoformat())
             for r in got["versions"]])
        shapes = gpkg_geometries([g[2] for g in geometries if g[2] is not None])
        if len(shapes):
            bounds = shapely.total_bounds(shapes)
            if np.isfinite(bounds).all():
                con.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, "
                            "max_y = ? WHERE table_name = 'geometries'",
                            tuple(float(v) for v in bounds))
    return target
