"""``write_layer``: atomic writes that never overwrite silently and never drop other layers."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd

from .._atomic import atomic_path, check_overwrite, exclusive_lock
from ..errors import LayerReadError, LayerWriteError, OutputExistsError
from ._formats import sqlite_side_files

__all__ = ["write_layer"]

log = logging.getLogger(__name__)

_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".fgb": "FlatGeobuf",
            ".shp": "ESRI Shapefile"}


def write_layer(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``gdf`` as ``layer`` of ``path`` atomically.

    A GeoPackage may hold other layers: they are kept. The file is copied to a temporary path
    in the same folder, the layer is added (or replaced, with ``overwrite=True``) there, and the
    copy is fsynced and renamed over the original: a crash leaves the original untouched.
    Writers of one GeoPackage are serialised by a lock across processes, so two processes
    adding different layers at once both keep theirs. A file read as an input in this process
    is never written (:class:`~county_gis.errors.OutputIsInputError`).

    Parameters
    ----------
    gdf : GeoDataFrame
        What to write (with its CRS). The load report in ``attrs`` is not written.
    path : path-like
        ``.gpkg``, ``.geojson``, ``.fgb`` or ``.parquet`` (GeoParquet).
    layer : str, optional
        Layer name (GeoPackage); defaults to the file stem.
    overwrite : bool, default False
        Replace an existing file (single-layer formats) or an existing layer (GeoPackage).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    OutputExistsError
        If the file (or the GeoPackage layer) exists and ``overwrite`` is false.
    LayerWriteError
        If the GeoPackage has a ``-journal`` or ``-wal`` file next to it: another program has it
        open or died writing it, and replacing the file would lose what that journal holds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "p.gpkg"
    >>> g = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(121.6, 42.1)], crs=4490)
    >>> _ = write_layer(g, out, layer="one")
    >>> _ = write_layer(g, out, layer="two")
    >>> import pyogrio
    >>> [name for name, _ in pyogrio.list_layers(out)]
    ['one', 'two']
    """
    target = Path(path)
    suffix = target.suffix.lower()
    frame = gdf.copy()
    frame.attrs = {}
    if suffix in (".parquet", ".geoparquet"):
        with atomic_path(target, overwrite=overwrite) as tmp:
            frame.to_parquet(tmp)
        return target
    driver = _DRIVERS.get(suffix)
    if driver is None:
        allowed = ", ".join(sorted({*_DRIVERS, ".parquet"}))
        raise ValueError(f"cannot write {target.name!r}: format {suffix!r} is not one of "
                         f"{allowed}")
    if driver == "ESRI Shapefile":
        raise ValueError(
            f"cannot write {target.name!r}: shapefiles are several files and cannot be "
            "written atomically; write a GeoPackage (.gpkg) instead"
        )

    name = layer or target.stem
    if driver == "GPKG":
        check_overwrite(target, True)  # an input, or a name the system refuses: before the lock
        target.parent.mkdir(parents=True, exist_ok=True)
        # copy, add, rename is one step for every process: two writers adding layers to one
        # GeoPackage at once would each copy the file without the other's layer
        with exclusive_lock(target):
            if target.exists():
                return _add_layer(frame, target, name=name, overwrite=overwrite)
            with atomic_path(target, overwrite=overwrite) as tmp, \
                    _staged(tmp, suffix) as staged:
                _write(frame, staged, layer=name, driver=driver)
            return target
    with atomic_path(target, overwrite=overwrite) as tmp, _staged(tmp, suffix) as staged:
        _write(frame, staged, layer=name, driver=driver)
    return target


def _add_layer(frame: gpd.GeoDataFrame, target: Path, *, name: str, overwrite: bool) -> Path:
    """Add (or replace) layer ``name`` in a copy of the GeoPackage and rename it over it."""
    import pyogrio

    side = sqlite_side_files(target)
    if side:
        raise LayerWriteError(
            f"{target}: {', '.join(p.name for p in side)} next to it: another program has "
            "the GeoPackage open (or died writing it). Close it (QGIS, ArcGIS ...) and try "
            "again; replacing the file now would lose what the journal holds"
        )
    try:
        existing = [str(n) for n, _ in pyogrio.list_layers(target)]
    except Exception as exc:
        raise LayerReadError(f"{target}: cannot open the existing GeoPackage: {exc}") from exc
    if name in existing and not overwrite:
        raise OutputExistsError(
            f"{target} already has a layer {name!r}; pass overwrite=True (CLI: "
            "--overwrite) to replace that layer (the other layers are kept)"
        )
    with atomic_path(target, overwrite=True) as tmp, _staged(tmp, ".gpkg") as staged:
        shutil.copy2(target, staged)
        _write(frame, staged, layer=name, driver="GPKG")
    log.info("wrote layer %s to %s (kept %d other layers)", name, target,
             len([n for n in existing if n != name]))
    return target


@contextlib.contextmanager
def _staged(tmp: Path, suffix: str) -> Iterator[Path]:
    """A path next to ``tmp`` that ends in the format's own suffix (GDAL checks it), moved to
    ``tmp`` when the block succeeds; removed, with any SQLite side file, when it fails."""
    staged = tmp.with_name(f"{tmp.name}{suffix}")
    try:
        yield staged
        os.replace(staged, tmp)
    finally:
        for leftover in (staged, *(Path(f"{staged}{s}") for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _write(frame: gpd.GeoDataFrame, path: Path, *, layer: str, driver: str) -> None:
    import pyogrio

    pyogrio.write_dataframe(frame, path, layer=layer, driver=driver)
