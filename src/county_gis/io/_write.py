"""``write_layer``: atomic writes that never overwrite silently and never drop other layers."""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from pathlib import Path

import geopandas as gpd

from .._atomic import atomic_path
from ..errors import LayerReadError, OutputExistsError

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
    import pyogrio

    name = layer or target.stem
    if driver == "GPKG" and target.exists():
        try:
            existing = [str(n) for n, _ in pyogrio.list_layers(target)]
        except Exception as exc:
            raise LayerReadError(f"{target}: cannot open the existing GeoPackage: {exc}") from exc
        if name in existing and not overwrite:
            raise OutputExistsError(
                f"{target} already has a layer {name!r}; pass overwrite=True (CLI: "
                "--overwrite) to replace that layer (the other layers are kept)"
            )
        with atomic_path(target, overwrite=True) as tmp:
            shutil.copy2(target, tmp)
            _write(frame, tmp, layer=name, driver=driver)
        log.info("wrote layer %s to %s (kept %d other layers)", name, target,
                 len([n for n in existing if n != name]))
        return target
    with atomic_path(target, overwrite=overwrite) as tmp:
        _write(frame, tmp, layer=name, driver=driver)
    return target


def _write(frame: gpd.GeoDataFrame, tmp: Path, *, layer: str, driver: str) -> None:
    """Write with pyogrio; GDAL's complaint about the temporary file's suffix is logged only."""
    import pyogrio

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pyogrio.write_dataframe(frame, tmp, layer=layer, driver=driver)
    for item in caught:
        text = str(item.message)
        if ("extension" in text and ".tmp" in text) or "instead of 'tmp'" in text:
            log.debug("GDAL on the temporary file: %s", text)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
