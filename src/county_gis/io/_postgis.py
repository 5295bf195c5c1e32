"""PostGIS as an input source: a table or a query of a ``postgresql://`` database.

A project layer names the database by URL and the table (or a query)::

    [layers.road_rebuild]
    path = "postgresql://gis@db.county.local/gis"
    table = "fumeng_2023.road_rebuild"      # or: query = "SELECT * FROM ... WHERE ..."
    kind = "road_rebuild"

and :func:`~county_gis.read_layer` takes the same as source options
(``read_layer(url, options={"table": "fumeng_2023.road_rebuild"})``, or the table as
``layer="fumeng_2023.road_rebuild"``; :func:`~county_gis.read_layers` reads every table of
``geometry_columns``). The source stops at the
raw level like every other one: WKB (``ST_AsBinary``), the attribute table, and the CRS of the
column's SRID (from the server's ``spatial_ref_sys``); the shared checks (geometry, CRS,
attributes, load report) follow. A table written by :func:`county_gis.store.push` keeps the
feature ids of its source (``source_fid``) and its lineage columns are moved into the load
report. Needs ``pip install 'county_gis[store]'`` (psycopg 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._postgres import connect, redacted, split_table
from ..errors import ConfigError, LayerReadError
from ._engines import RawLayer
from ._report import Severity

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["LINEAGE_COLUMNS", "OPTIONS", "postgis_layers", "read_postgis"]

#: Source options: one of them names what to read.
OPTIONS: dict[str, type] = {"table": str, "query": str}
#: The lineage columns :func:`county_gis.store.push` writes beside the layer's own.
LINEAGE_COLUMNS = ("feature_id", "source_file", "source_layer", "source_fid", "loaded_at")
_WKB = "__county_gis_wkb"
_SRID = "__county_gis_srid"


def postgis_layers(url: str) -> dict[str, str]:
    """``schema.table`` -> geometry type of every geometry column the database lists.

    Raises
    ------
    ConfigError
        If the server cannot be reached.
    LayerReadError
        If the database has no PostGIS (no ``geometry_columns``).
    """
    with connect(url) as conn:
        try:
            rows = conn.execute(
                "SELECT f_table_schema, f_table_name, type FROM geometry_columns "
                "ORDER BY 1, 2").fetchall()
        except Exception as exc:
            raise LayerReadError(f"{redacted(url)}: no PostGIS in this database "
                                 f"({type(exc).__name__}); CREATE EXTENSION postgis") from None
    return {f"{schema}.{table}": _title(kind) for schema, table, kind in rows}


def _title(kind: str) -> str:
    names = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon",
             "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString",
             "MULTIPOLYGON": "MultiPolygon", "GEOMETRYCOLLECTION": "GeometryCollection"}
    return names.get(kind.upper(), "Unknown")


def _what(request: ReadRequest) -> tuple[Any, str]:
    """(SQL of what to read, how the report names it) from the ``table`` / ``query`` option."""
    from psycopg import sql

    options = dict(request.options)
    where = redacted(request.path)
    if not options and request.layer:  # read_layer(url, layer="schema.table"), read_layers
        options["table"] = request.layer
    if ("table" in options) == ("query" in options):
        given = "both" if options else "neither"
        raise ConfigError(f"{where}: a PostGIS source needs table = \"schema.name\" or "
                          f"query = \"SELECT ...\" (one of them; {given} given)")
    if "table" in options:
        schema, table = split_table(options["table"], where=f"{where}: table")
        return sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema),
                                                     sql.Identifier(table)), options["table"]
    query = options["query"].strip().rstrip(";")
    return sql.SQL(query), "query"  # type: ignore[arg-type]  # the user's own SQL, as given


def _geometry_column(conn: Any, what: Any, where: str) -> tuple[str, list[str]]:
    """The one geometry column of ``what`` and its column names, from a zero-row probe."""
    from psycopg import sql

    geometry_oid = conn.execute("SELECT 'geometry'::regtype::oid").fetchone()[0]
    cursor = conn.execute(sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(what))
    columns = [(d.name, d.type_code) for d in cursor.description or []]
    found = [name for name, oid in columns if oid == geometry_oid]
    if len(found) != 1:
        names = ", ".join(n for n, _ in columns)
        raise LayerReadError(f"{where}: {len(found)} geometry columns ({', '.join(found)}) in "
                             f"the result ({names}); select exactly one (a query can pick one)")
    return found[0], [n for n, _ in columns]


def read_postgis(url: str, request: ReadRequest) -> RawLayer:
    """One table or query of a PostGIS database at the raw level (WKB + attributes + CRS).

    Raises
    ------
    ConfigError
        If neither (or both) of ``table`` / ``query`` is given, or the server is unreachable.
    LayerReadError
        If the table does not exist, the SQL fails, the result has no or several geometry
        columns, or its rows carry several SRIDs.
    """
    import psycopg
    from psycopg import sql

    what, label = _what(request)
    where = f"{redacted(request.path)}:{label}"
    request.report.engine = "psycopg"
    request.report.layer = label
    with connect(url) as conn:
        try:
            geom, columns = _geometry_column(conn, what, where)
            cursor = conn.execute(sql.SQL(
                "SELECT q.*, ST_AsBinary(q.{g}) AS {w}, ST_SRID(q.{g}) AS {s} FROM ({what}) AS q"
            ).format(g=sql.Identifier(geom), w=sql.Identifier(_WKB), s=sql.Identifier(_SRID),
                     what=what))
            names = [d.name for d in cursor.description or []]
            rows = cursor.fetchall()
            srids = sorted({r[-1] for r in rows if r[-1] is not None})
            crs_wkt = _crs_wkt(conn, srids, where)
        except psycopg.Error as exc:
            message = " ".join(str(exc).split())
            raise LayerReadError(f"{where}: {message}") from None
    frame = pd.DataFrame.from_records(rows, columns=names)
    wkb = np.array([bytes(b) if b is not None else None for b in frame[_WKB]], dtype=object)
    attributes = frame[[c for c in columns if c != geom]].copy()
    fids = np.arange(len(frame), dtype=np.int64)
    lineage = [c for c in LINEAGE_COLUMNS if c in attributes.columns]
    if len(lineage) == len(LINEAGE_COLUMNS):
        given = pd.to_numeric(attributes["source_fid"], errors="coerce")
        if given.notna().all() and given.is_unique:
            fids = given.to_numpy(dtype=np.int64)
        sources = sorted({f"{f}:{la}" for f, la in zip(attributes["source_file"],
                                                        attributes["source_layer"],
                                                        strict=True)})
        request.report.add("postgis.lineage", f"a county_gis store table: features of "
                           f"{', '.join(sources[:5])}{' ...' if len(sources) > 5 else ''}, "
                           f"loaded {attributes['loaded_at'].min()} to "
                           f"{attributes['loaded_at'].max()}; the feature ids are their "
                           "source_fid", severity=Severity.INFO)
        attributes = attributes.drop(columns=lineage)
    order = np.argsort(fids, kind="stable")
    request.report.encoding = "UTF-8"
    request.report.encoding_evidence = "PostgreSQL sends text as UTF-8 (client_encoding)"
    return RawLayer(attributes=attributes.iloc[order].reset_index(drop=True), wkb=wkb[order],
                    fids=fids[order], crs_wkt=crs_wkt, driver="PostGIS", geometry_type=None)


def _crs_wkt(conn: Any, srids: list[int], where: str) -> str | None:
    """The WKT of the one SRID of the rows (None for SRID 0, "unknown")."""
    srids = [s for s in srids if s != 0]
    if not srids:
        return None
    if len(srids) > 1:
        raise LayerReadError(f"{where}: the rows carry {len(srids)} SRIDs ({srids}); select "
                             "one, or ST_Transform them to one in a query")
    row = conn.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys "
                       "WHERE srid = %s", (srids[0],)).fetchone()
    if row is None:
        raise LayerReadError(f"{where}: SRID {srids[0]} is not in the server's "
                             "spatial_ref_sys; ST_SetSRID to an EPSG code")
    auth, code, text = row
    if auth and str(auth).upper() == "EPSG":
        return f"EPSG:{code}"
    return str(text)
