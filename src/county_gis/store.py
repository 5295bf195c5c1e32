"""The shared PostGIS store: a project's layers pushed into a database, one transaction.

:func:`push` writes every layer of a :class:`~county_gis.project.Project` into a schema of a
PostGIS database, one table per layer (the layer's name), the way several bureaus of a county
keep their shared layers:

* geometry as ``geometry(MultiPoint | MultiLineString | MultiPolygon, 4490)`` (CGCS2000), a GiST
  index on it, and ``feature_id`` as the primary key: ``file:layer#fid`` of the feature's
  source (the place every county_gis message names);
* lineage columns ``source_file``, ``source_layer``, ``source_fid`` and ``loaded_at`` (when
  the row was last inserted or changed);
* an **upsert by key** that is idempotent: a row whose values and geometry (compared as EWKB,
  exactly) are unchanged is not touched — re-importing the same bureau file changes zero rows;
* **one transaction** for all layers: an error, a refusal or a killed process leaves every
  table as it was;
* refused before anything is written: a layer not in EPSG:4490, mixed geometry families in a
  layer, or an existing table of another geometry type or SRID.

Areas are never taken from PostGIS planar ``ST_Area`` (square degrees in EPSG:4490): county_gis
measures geodesically, and equals ``ST_Area(geom::geography)`` to 1e-9 (tests/test_store.py).
Reading a stored table back is the PostGIS source of :func:`county_gis.read_layer`
(``options={"table": "schema.layer"}``). The project's history (snapshots and versions) goes
into the same schema with :func:`push_history` and comes back as a history GeoPackage with
:func:`pull_history` (:mod:`county_gis.history.postgis`). Needs
``pip install 'county_gis[store]'``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._postgres import check_identifier, connect, engine, redacted
from .crs import CGCS2000
from .errors import ConfigError, CRSError, GeometryError, LayerWriteError
from .history.postgis import HistoryPush, pull_history, push_history
from .project import Project

__all__ = ["GEOMETRY_COLUMN", "HistoryPush", "PushResult", "TablePush", "engine",
           "pull_history", "push", "push_history"]

log = logging.getLogger(__name__)

#: The geometry column of every store table.
GEOMETRY_COLUMN = "geom"
_LINEAGE = ("feature_id", "source_file", "source_layer", "source_fid", "loaded_at")
_SRID = 4490
#: shapely type id -> PostGIS multi type
_MULTI = {0: "MULTIPOINT", 4: "MULTIPOINT", 1: "MULTILINESTRING", 2: "MULTILINESTRING",
          5: "MULTILINESTRING", 3: "MULTIPOLYGON", 6: "MULTIPOLYGON"}


@dataclass(frozen=True)
class TablePush:
    """What :func:`push` did to one table.

    Attributes
    ----------
    layer : str
        The project layer.
    table : str
        ``schema.table``.
    geometry_type : str
        ``MULTIPOLYGON`` / ``MULTILINESTRING`` / ``MULTIPOINT``.
    inserted, updated, unchanged : int
        Rows inserted, rows whose values or geometry changed, rows left as they were.
    absent : int
        Rows of the same source file and layer in the table that this push did not carry
        (deleted from the source since); kept, and reported.
    created : bool
        Whether the table was created by this push.
    """

    layer: str
    table: str
    geometry_type: str
    inserted: int
    updated: int
    unchanged: int
    absent: int
    created: bool

    @property
    def changed(self) -> int:
        """Rows inserted or updated."""
        return self.inserted + self.updated


@dataclass(frozen=True)
class PushResult:
    """The tables of one :func:`push`, committed together.

    Examples
    --------
    >>> roads = TablePush("road_rebuild", "fumeng_2023.road_rebuild", "MULTILINESTRING",
    ...                   inserted=0, updated=1, unchanged=143, absent=0, created=False)
    >>> result = PushResult("postgresql://gis@localhost/county", "fumeng_2023", (roads,))
    >>> result.changed, result.table()[["layer", "updated", "unchanged"]].values.tolist()
    (1, [['road_rebuild', 1, 143]])
    """

    url: str
    schema: str
    tables: tuple[TablePush, ...]

    @property
    def changed(self) -> int:
        """Rows inserted or updated in all tables (0 for a repeated push of the same data)."""
        return sum(t.changed for t in self.tables)

    def table(self) -> pd.DataFrame:
        """One row per table: ``layer, table, geometry_type, inserted, updated, unchanged,
        absent, created``."""
        columns = ["layer", "table", "geometry_type", "inserted", "updated", "unchanged",
                   "absent", "created"]
        return pd.DataFrame([[getattr(t, c) for c in columns] for t in self.tables],
                            columns=columns)


@dataclass
class _Prepared:
    layer: str
    table: str
    geometry_type: str
    columns: list[tuple[str, str]]  # (name, PostgreSQL type) of the layer's own columns
    rows: list[tuple[Any, ...]]     # own columns..., feature_id, source_file, source_layer,
    source_file: str                # source_fid, EWKB hex
    source_layer: str


def _pg_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    values = [v for v in series if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "bigint"
    if values and all(isinstance(v, datetime) for v in values):
        return "timestamp"
    if values and all(isinstance(v, date) for v in values):
        return "date"
    return "text"


def _cell(value: Any, pg_type: str) -> Any:
    """A Python value psycopg sends as it is (NaN / NaT / None -> NULL)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if pg_type == "text" and not isinstance(value, str):
        return str(value)
    return value


def _source_of(project: Project, key: str) -> tuple[str, str]:
    """(source file, source layer) of a project layer, as :meth:`Project.place` names them."""
    place = project.place(key)
    file, _, layer = place.rpartition(":")
    return file, layer


def _prepare(project: Project, key: str, schema: str) -> _Prepared | None:
    frame = project.layers[key]
    where = project.place(key)
    check_identifier(key, where=f"{where}: layer name")
    if frame.crs is None or not frame.crs.equals(CGCS2000):
        raise CRSError(f"{where}: the layer is in {frame.crs} but the store holds EPSG:4490 "
                       "(CGCS2000) only; load it with county_gis.load_project / read_layer, "
                       "which bring every layer to EPSG:4490")
    geoms = np.asarray(frame.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return None
    kinds = {_MULTI.get(int(t), "GEOMETRYCOLLECTION") for t in shapely.get_type_id(geoms[present])}
    if len(kinds) != 1 or "GEOMETRYCOLLECTION" in kinds:
        raise GeometryError(
            f"{where}: the layer mixes {', '.join(sorted(kinds))}; a store table holds one "
            "geometry type (geometry(MultiLineString, 4490) or geometry(MultiPolygon, 4490) "
            "...); split it into one project layer per geometry type "
            "(county_gis.io.split_by_geometry)")
    geometry_type = kinds.pop()
    own = [c for c in frame.columns if c != frame.geometry.name and c not in _LINEAGE]
    for column in own:
        check_identifier(str(column), where=f"{where}: column")
    columns = [(str(c), _pg_type(frame[c])) for c in own]
    source_file, source_layer = _source_of(project, key)
    if "source_fid" in frame.columns:
        fids = pd.to_numeric(frame["source_fid"], errors="coerce")
        if fids.isna().any() or not fids.is_unique:
            raise ConfigError(f"{where}: source_fid is missing or repeated; the store keys "
                              "features by file:layer#fid; read the layer with read_layer")
        fid_values = fids.astype(np.int64).tolist()
    else:
        fid_values = list(range(len(frame)))
    ewkb = shapely.to_wkb(shapely.set_srid(geoms, _SRID), hex=True, include_srid=True,
                          output_dimension=2)
    data = [[_cell(v, t) for v in frame[name].tolist()] for name, t in columns]
    rows = [
        (*(col[i] for col in data), f"{source_file}:{source_layer}#{fid}", source_file,
         source_layer, fid, ewkb[i] if present[i] else None)
        for i, fid in enumerate(fid_values)
    ]
    return _Prepared(layer=key, table=f"{schema}.{key}", geometry_type=geometry_type,
                     columns=columns, rows=rows, source_file=source_file,
                     source_layer=source_layer)


def _existing(conn: Any, schema: str, table: str) -> tuple[str, int] | None:
    row = conn.execute("SELECT type, srid FROM geometry_columns WHERE f_table_schema = %s AND "
                       "f_table_name = %s AND f_geometry_column = %s",
                       (schema, table, GEOMETRY_COLUMN)).fetchone()
    if row is not None:
        return str(row[0]).upper(), int(row[1])
    exists = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{table}"',)).fetchone()[0]
    if exists is not None:
        raise ConfigError(f"table {schema}.{table} exists without a {GEOMETRY_COLUMN} geometry "
                          "column; it is not a county_gis store table: push to another "
                          "--schema")
    return None


def _column_types(conn: Any, schema: str, table: str) -> dict[str, str]:
    rows = conn.execute("SELECT column_name, format_type(atttypid, atttypmod) FROM "
                        "information_schema.columns c JOIN pg_attribute a ON "
                        "a.attrelid = format('%%I.%%I', c.table_schema, c.table_name)::regclass "
                        "AND a.attname = c.column_name WHERE table_schema = %s AND "
                        "table_name = %s", (schema, table)).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _write(conn: Any, prepared: _Prepared, schema: str) -> TablePush:
    from psycopg import sql

    table = sql.Identifier(schema, prepared.layer)
    existing = _existing(conn, schema, prepared.layer)
    created = existing is None
    if existing is not None:
        kind, srid = existing
        if srid != _SRID:
            raise CRSError(f"{redacted(prepared.table)}: the table is geometry({kind}, {srid}) "
                           f"but county_gis stores EPSG:{_SRID} (CGCS2000); push to another "
                           "--schema, or transform the table (ST_Transform) first")
        if kind != prepared.geometry_type:
            raise GeometryError(f"{prepared.table}: the table holds {kind} but layer "
                                f"{prepared.layer!r} is {prepared.geometry_type}; push to "
                                "another --schema or give the layer another name")
        have = _column_types(conn, schema, prepared.layer)
        for name, pg_type in prepared.columns:
            if name not in have:
                conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                    table, sql.Identifier(name), sql.SQL(pg_type)))
            elif have[name] != pg_type and not (have[name].startswith("timestamp")
                                                and pg_type == "timestamp"):
                raise ConfigError(f"{prepared.table}: column {name!r} is {have[name]} in the "
                                  f"table but {pg_type} in the layer; push to another --schema "
                                  "or fix the column's type in the source")
    else:
        own = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in prepared.columns]
        conn.execute(sql.SQL(
            "CREATE TABLE {t} ({own}{sep}feature_id text PRIMARY KEY, source_file text NOT NULL, "
            "source_layer text NOT NULL, source_fid bigint NOT NULL, "
            "loaded_at timestamptz NOT NULL DEFAULT now(), {g} geometry({kind}, {srid}))"
        ).format(t=table, own=sql.SQL(", ").join(own), sep=sql.SQL(", " if own else ""),
                 g=sql.Identifier(GEOMETRY_COLUMN), kind=sql.SQL(prepared.geometry_type),
                 srid=sql.Literal(_SRID)))
        conn.execute(sql.SQL("CREATE INDEX {} ON {} USING GIST ({})").format(
            sql.Identifier(f"{prepared.layer}_geom_gist"[:63]), table,
            sql.Identifier(GEOMETRY_COLUMN)))
    names = [n for n, _ in prepared.columns] + ["feature_id", "source_file", "source_layer",
                                                 "source_fid"]
    stage = sql.Identifier(f"county_gis_stage_{prepared.layer}"[:63])
    conn.execute(sql.SQL("CREATE TEMP TABLE {s} ON COMMIT DROP AS SELECT {cols}, {g} FROM {t} "
                         "WITH NO DATA").format(
        s=stage, t=table, g=sql.Identifier(GEOMETRY_COLUMN),
        cols=sql.SQL(", ").join(map(sql.Identifier, names))))
    conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE geometry").format(
        stage, sql.Identifier(GEOMETRY_COLUMN)))
    cols = sql.SQL(", ").join(map(sql.Identifier, [*names, GEOMETRY_COLUMN]))
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(stage, cols)
    with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in prepared.rows:
            copy.write_row(row)
    compared = [sql.SQL("t.{}").format(sql.Identifier(n)) for n in names] + \
        [sql.SQL("ST_AsEWKB(t.{})").format(sql.Identifier(GEOMETRY_COLUMN))]
    incoming = [sql.SQL("EXCLUDED.{}").format(sql.Identifier(n)) for n in names] + \
        [sql.SQL("ST_AsEWKB(EXCLUDED.{})").format(sql.Identifier(GEOMETRY_COLUMN))]
    updates = [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n))
               for n in [*names, GEOMETRY_COLUMN] if n != "feature_id"]
    result = conn.execute(sql.SQL(
        "INSERT INTO {t} AS t ({cols}) SELECT {names}, ST_Multi({g}) FROM {s} "
        "ON CONFLICT (feature_id) DO UPDATE SET {updates}, loaded_at = now() "
        "WHERE ({old}) IS DISTINCT FROM ({new}) RETURNING (xmax = 0) AS inserted"
    ).format(t=table, cols=cols, names=sql.SQL(", ").join(map(sql.Identifier, names)),
             g=sql.Identifier(GEOMETRY_COLUMN), s=stage, updates=sql.SQL(", ").join(updates),
             old=sql.SQL(", ").join(compared), new=sql.SQL(", ").join(incoming))).fetchall()
    inserted = sum(1 for (flag,) in result if flag)
    updated = len(result) - inserted
    absent = conn.execute(sql.SQL(
        "SELECT count(*) FROM {t} WHERE source_file = %s AND source_layer = %s AND "
        "feature_id NOT IN (SELECT feature_id FROM {s})").format(t=table, s=stage),
        (prepared.source_file, prepared.source_layer)).fetchone()[0]
    return TablePush(layer=prepared.layer, table=prepared.table,
                     geometry_type=prepared.geometry_type, inserted=inserted, updated=updated,
                     unchanged=len(prepared.rows) - inserted - updated, absent=int(absent),
                     created=created)


def push(
    project: Project,
    url: str,
    *,
    schema: str,
    layers: Sequence[str] | None = None,
) -> PushResult:
    """Write the project's layers into ``schema`` of a PostGIS database, in one transaction.

    Parameters
    ----------
    project : Project
        A loaded project (:func:`county_gis.load_project`); its layers are in EPSG:4490.
    url : str
        ``postgresql://user[:password]@host[:port]/database``.
    schema : str
        The schema (created when missing), e.g. ``"fumeng_2023"``; one table per layer.
    layers : sequence of str, optional
        The layers to push; default all (layers without geometries are skipped).

    Returns
    -------
    PushResult
        Per table: inserted / updated / unchanged / absent rows; ``changed`` is 0 when the
        same data are pushed again.

    Raises
    ------
    ConfigError
        Unknown layer names, a name too long for PostgreSQL, an unreachable server, or a
        column whose type differs from the table's.
    CRSError
        A layer not in EPSG:4490, or an existing table of another SRID.
    GeometryError
        A layer mixing geometry families, or an existing table of another geometry type.
    LayerWriteError
        The server refused a statement (a foreign table in the way, no PostGIS, no
        privilege ...); nothing was written.

    Notes
    -----
    From a notebook (a server is needed, so this is not a doctest)::

        import county_gis, county_gis.store
        result = county_gis.store.push(county_gis.load_project(),
                                       "postgresql://gis@localhost/county",
                                       schema="fumeng_2023")
        result.table()   # inserted / updated / unchanged / absent per table
        result.changed   # 0 when the same data are pushed again
    """
    check_identifier(schema, where="--schema")
    keys = list(project.layers) if layers is None else list(layers)
    unknown = [k for k in keys if k not in project.layers]
    if unknown:
        raise ConfigError(f"layer(s) {', '.join(unknown)} not in the project; its layers: "
                          f"{', '.join(project.layers)}")
    prepared = [p for p in (_prepare(project, k, schema) for k in keys) if p is not None]
    import psycopg
    from psycopg import sql

    done: list[TablePush] = []
    try:
        with connect(url) as conn:  # one transaction: committed on leaving, rolled back on error
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(schema)))
            for item in prepared:
                done.append(_write(conn, item, schema))
            log.info("pushed %d layer(s) into %s schema %s: %d rows changed; committing",
                     len(done), redacted(url), schema, sum(t.changed for t in done))
    except psycopg.Error as exc:
        message = " ".join(str(exc).split())
        raise LayerWriteError(f"{redacted(url)} schema {schema}: PostgreSQL refused the push "
                              f"({message}); nothing was written (one transaction)") from None
    return PushResult(url=redacted(url), schema=schema, tables=tuple(done))

