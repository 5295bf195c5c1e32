"""The history store: one GeoPackage (SQLite) beside the project, written append-only.

Tables (every write is one SQLite transaction):

- ``snapshots`` — one row per snapshot: ``id, date`` (ISO, unique, increasing), ``label``,
  ``source`` (``snapshot``, ``update:<sheet>``, ``synthetic``), ``synthetic`` (0 / 1),
  ``n_features`` (features in the state), ``n_versions`` (versions this snapshot added);
- ``layer_schemas`` — per snapshot and layer, the columns and dtypes (to rebuild frames);
- ``geometries`` — a GeoPackage feature table (EPSG:4490, readable by GDAL / QGIS): one
  row per distinct geometry, keyed by ``geom_hash`` (SHA-1 of its WKB); a geometry seen
  before is never written again;
- ``versions`` — one row per feature version: ``key`` (``layer/project_id``), ``layer``,
  ``project_id``, ``status``, ``geom_hash``, ``attrs`` (the other columns as JSON),
  ``valid_from`` (the snapshot date that introduced it) and ``valid_to`` (the date of the
  snapshot that replaced or removed it; NULL while current).

Rows are only ever added; the one change to an existing row is closing a version
(``valid_to``), once. An unchanged feature costs nothing in a new snapshot.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..errors import ConfigError

__all__ = ["Store", "gpkg_blob", "gpkg_geometries"]

_SRS_ID = 4490
_APPLICATION_ID = 0x47504B47  # "GPKG"
_USER_VERSION = 10400

_SCHEMA = [
    """CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
        organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
        definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,
        data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT '2000-01-01T00:00:00.000Z', min_x DOUBLE,
        min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER)""",
    """CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
        geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
        m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))""",
    """CREATE TABLE snapshots (id INTEGER PRIMARY KEY, date TEXT NOT NULL UNIQUE, label TEXT,
        source TEXT NOT NULL, synthetic INTEGER NOT NULL, n_features INTEGER NOT NULL,
        n_versions INTEGER NOT NULL)""",
    """CREATE TABLE layer_schemas (snapshot INTEGER NOT NULL, layer TEXT NOT NULL,
        position INTEGER NOT NULL, columns TEXT NOT NULL, PRIMARY KEY (snapshot, layer))""",
    """CREATE TABLE geometries (fid INTEGER PRIMARY KEY AUTOINCREMENT,
        geom_hash TEXT NOT NULL UNIQUE, geom GEOMETRY)""",
    """CREATE TABLE versions (id INTEGER PRIMARY KEY, key TEXT NOT NULL, layer TEXT NOT NULL,
        project_id TEXT, status TEXT, geom_hash TEXT, attrs TEXT NOT NULL,
        valid_from TEXT NOT NULL, valid_to TEXT)""",
    "CREATE INDEX versions_open ON versions (valid_to, key)",
    "CREATE INDEX versions_from ON versions (valid_from)",
]


def _srs_rows() -> list[tuple[Any, ...]]:
    from pyproj import CRS

    return [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, CRS.from_epsg(4326).to_wkt("WKT1_GDAL"), None),
        ("China Geodetic Coordinate System 2000", _SRS_ID, "EPSG", _SRS_ID,
         CRS.from_epsg(_SRS_ID).to_wkt("WKT1_GDAL"), None),
    ]


def gpkg_blob(wkb: bytes | None) -> bytes | None:
    """A GeoPackage geometry blob (header without envelope, EPSG:4490) around ISO WKB.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> gpkg_blob(Point(1, 2).wkb)[:8]
    b'GP\\x00\\x01\\x8a\\x11\\x00\\x00'
    """
    if wkb is None:
        return None
    return b"GP\x00\x01" + struct.pack("<i", _SRS_ID) + wkb


def gpkg_geometries(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Shapely geometries from GeoPackage blobs (any envelope), vectorised.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> gpkg_geometries([gpkg_blob(Point(1, 2).wkb), None]).tolist()
    [<POINT (1 2)>, None]
    """
    wkbs: list[bytes | None] = []
    sizes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    for blob in blobs:
        if blob is None:
            wkbs.append(None)
            continue
        flags = blob[3]
        wkbs.append(bytes(blob[8 + sizes[(flags >> 1) & 0b111]:]))
    return shapely.from_wkb(np.array(wkbs, dtype=object))


class Store:
    """A history GeoPackage (created on the first write).

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def exists(self) -> bool:
        """Whether the store file exists."""
        return self.path.is_file()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None)
        con.execute("PRAGMA foreign_keys = ON")
        return con

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading; refuses a missing or foreign file."""
        if not self.exists:
            raise ConfigError(
                f"no history store at {self.path}; record one first with county-gis snapshot "
                "PROJECT --date YYYY-MM-DD (or set [history] store = \"...\" in project.toml)")
        with closing(self._connect()) as con:
            tables = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"snapshots", "versions", "geometries"} <= tables:
                raise ConfigError(f"{self.path} is not a county_gis history store (tables "
                                  "snapshots, versions, geometries missing); point [history] "
                                  "store at another file")
            yield con

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction: everything written in the block, or nothing."""
        new = not self.exists
        if new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                if new:
                    self._create(con)
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                if new:
                    con.close()
                    self.path.unlink(missing_ok=True)
                raise

    @staticmethod
    def _create(con: sqlite3.Connection) -> None:
        con.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {_USER_VERSION}")
        for statement in _SCHEMA:
            con.execute(statement)
        con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
                        _srs_rows())
        con.executemany(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "srs_id) VALUES (?, ?, ?, ?, ?)",
            [("geometries", "features", "geometries", "county_gis history: distinct "
              "geometries by hash", _SRS_ID),
             ("snapshots", "attributes", "snapshots", "county_gis history: snapshots", None),
             ("versions", "attributes", "versions", "county_gis history: feature versions",
              None),
             ("layer_schemas", "attributes", "layer_schemas", "county_gis history: columns",
              None)])
        con.execute("INSERT INTO gpkg_geometry_columns VALUES ('geometries', 'geom', "
                    "'GEOMETRY', ?, 0, 0)", (_SRS_ID,))
