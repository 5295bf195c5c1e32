"""Source formats: detect them, list their layers, open them without changing them.

:func:`opened_source` yields a path that is safe to read: a ``.zip`` / ``.kmz`` is extracted
with limits into a temporary folder; a GeoPackage with a hot journal or a WAL file is copied
(with its journal) to a temporary folder and recovered there (the last committed state), so
that SQLite's recovery never rolls back the user's file in place. (GDAL's read-only open
cannot roll back a hot journal and fails; ``?immutable=1`` would read half-written pages.)
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import LayerReadError
from ._report import LoadReport, Severity

__all__ = ["Format", "detect_format", "list_layers", "opened_source", "sqlite_side_files"]

log = logging.getLogger(__name__)


class Format(enum.Enum):
    """Source formats read by :func:`county_gis.read_layer`."""

    SHAPEFILE = "ESRI Shapefile"
    GEOPACKAGE = "GPKG"
    GEOJSON = "GeoJSON"
    KML = "KML"
    CSV = "CSV"
    XLSX = "XLSX"
    FLATGEOBUF = "FlatGeobuf"
    GEOPARQUET = "GeoParquet"

    @property
    def table(self) -> bool:
        """Read by county_gis itself (coordinates in columns, or KML), not through GDAL."""
        return self in (Format.CSV, Format.XLSX, Format.KML)


_SUFFIXES = {
    ".shp": Format.SHAPEFILE,
    ".gpkg": Format.GEOPACKAGE,
    ".geojson": Format.GEOJSON,
    ".json": Format.GEOJSON,
    ".kml": Format.KML,
    ".csv": Format.CSV,
    ".txt": Format.CSV,
    ".xlsx": Format.XLSX,
    ".fgb": Format.FLATGEOBUF,
    ".parquet": Format.GEOPARQUET,
    ".geoparquet": Format.GEOPARQUET,
}
_ARCHIVES = {".zip", ".kmz"}


def detect_format(path: Path) -> Format:
    """The format of ``path`` from its suffix (after archives were opened).

    Raises
    ------
    LayerReadError
        If the suffix is not a supported format.

    Examples
    --------
    >>> detect_format(Path("道路.SHP"))
    <Format.SHAPEFILE: 'ESRI Shapefile'>
    """
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        allowed = ", ".join(sorted({*_SUFFIXES, *_ARCHIVES}))
        raise LayerReadError(
            f"{path}: unknown format {path.suffix!r}; supported: {allowed}"
        )
    return fmt


def list_layers(path: str | os.PathLike[str], *, fmt: Format | None = None) -> dict[str, str]:
    """The layers of a source: name -> geometry type (as GDAL or the table reader says).

    Examples
    --------
    >>> from county_gis._paths import bundled_layers_dir
    >>> list_layers(bundled_layers_dir() / "fumeng.gpkg")["county_boundary"]
    'MultiPolygon'
    """
    path = Path(path)
    with opened_source(path, None) as source:
        fmt = fmt or detect_format(source)
        if fmt.table:
            from ._tables import table_layers

            return table_layers(source, fmt)
        if fmt is Format.GEOPARQUET:
            return {source.stem: "Unknown"}
        if fmt is Format.SHAPEFILE:  # one layer; GDAL would fail on a missing .shx here
            return {source.stem: _shape_type(source)}
        import pyogrio

        try:
            layers = pyogrio.list_layers(source)
        except Exception as exc:
            raise LayerReadError(f"{path}: cannot list layers: {exc}") from exc
        return {str(name): str(kind) for name, kind in layers}


_SHAPE_TYPES = {0: "None", 1: "Point", 3: "LineString", 5: "Polygon", 8: "MultiPoint",
                11: "Point Z", 13: "LineString Z", 15: "Polygon Z", 18: "MultiPoint Z",
                21: "Point M", 23: "LineString M", 25: "Polygon M", 28: "MultiPoint M",
                31: "MultiPatch"}


def _shape_type(shp: Path) -> str:
    """The geometry type in a .shp header."""
    with open(shp, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100:
        raise LayerReadError(f"{shp}: not a shapefile (bad header)")
    return _SHAPE_TYPES.get(int.from_bytes(header[32:36], "little"), "Unknown")


def _recover(copy: Path) -> None:
    """Let SQLite recover the copy (roll back a hot journal, fold in a WAL) read-write.

    GDAL opens GeoPackages read-only, and a read-only connection cannot roll back a hot
    journal ("attempt to write a readonly database"); ``immutable=1`` would read the
    half-written pages instead. Recovering a copy gives the last committed state.
    """
    import sqlite3

    connection = sqlite3.connect(copy)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise LayerReadError(f"{copy.name}: SQLite cannot recover the GeoPackage: {exc}") from exc
    finally:
        connection.close()


def sqlite_side_files(path: Path) -> list[Path]:
    """The ``-journal``, ``-wal`` and ``-shm`` files SQLite keeps next to ``path``, if any."""
    return [p for p in (Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm"))
            if p.exists()]


@contextlib.contextmanager
def opened_source(path: Path, report: LoadReport | None) -> Iterator[Path]:
    """Yield a read-safe path for ``path`` (see the module docstring).

    Raises
    ------
    LayerReadError
        If the file does not exist, or an archive breaks the limits.
    """
    if not path.exists():
        raise LayerReadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in _ARCHIVES:
        from ._archive import extract_limited

        with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
            member = extract_limited(path, Path(tmp), report=report)
            yield member
        return
    if suffix == ".gpkg":
        side = sqlite_side_files(path)
        if side:
            with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
                copy = Path(tmp) / path.name
                shutil.copy2(path, copy)
                for extra in side:
                    shutil.copy2(extra, Path(tmp) / extra.name)
                _recover(copy)
                if report is not None:
                    names = ", ".join(p.name for p in side)
                    report.add("source.sqlite_journal",
                               f"{names} next to the GeoPackage (an unfinished transaction or "
                               "an open writer): the last committed state was read from a "
                               "recovered temporary copy; the original and its journal are "
                               "untouched", severity=Severity.INFO)
                yield copy
            return
    yield path
