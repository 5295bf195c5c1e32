"""Opening rasters and checking their CRS, band and grid: the primitives every raster user shares.

Used by the raster analysis modules (:mod:`~county_gis.raster.zonal`,
:mod:`~county_gis.raster.tools`) and by the map's raster overlays (:mod:`county_gis.render`).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from typing import Any, TypeAlias

import geopandas as gpd
import rasterio
from pyproj import CRS
from rasterio.io import DatasetReader

from ..crs import require_crs
from ..errors import CRSError, DataError, LayerReadError, Place

__all__ = [
    "RasterLike",
    "check_band",
    "geometries_in_raster_crs",
    "open_raster",
    "quiet_affine",
    "raster_crs",
    "raster_name",
]

#: A raster argument: a path, or a dataset opened with :func:`rasterio.open`.
RasterLike: TypeAlias = str | os.PathLike[str] | DatasetReader


@contextlib.contextmanager
def quiet_affine() -> Iterator[None]:
    """Silence the ``Affine * Affine`` PendingDeprecationWarning raised inside rasterio 1.4.

    rasterio's own ``from_bounds`` / ``geometry_window`` still multiply transforms with ``*``,
    which affine >= 3.1 flags; the warning is about rasterio's code, not ours or the user's.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Use `@` matmul instead of `\\*`", category=PendingDeprecationWarning
        )
        yield


def raster_name(src: DatasetReader) -> str:
    """The raster's file name for messages."""
    return os.path.basename(str(src.name)) or str(src.name)


@contextlib.contextmanager
def open_raster(raster: RasterLike) -> Iterator[DatasetReader]:
    """Open ``raster`` (or pass an open dataset through, leaving it open).

    Raises
    ------
    LayerReadError
        If the file does not exist or GDAL cannot read it.
    """
    if isinstance(raster, DatasetReader):
        yield raster
        return
    try:
        src = rasterio.open(raster)
    except rasterio.errors.RasterioIOError as exc:
        raise LayerReadError(f"cannot open the raster {os.fspath(raster)!r}: {exc}") from exc
    with src:
        yield src


def raster_crs(src: DatasetReader) -> CRS:
    """The raster's CRS as a :class:`pyproj.CRS`; a raster without one is an error."""
    if src.crs is None:
        raise CRSError(
            f"the raster {raster_name(src)} has no CRS; county_gis never assumes one. Set it, "
            "e.g. `gdal_edit.py -a_srs EPSG:4490 file.tif` (CGCS2000 lon/lat)"
        )
    return CRS.from_wkt(src.crs.to_wkt())


def check_band(src: DatasetReader, band: int) -> int:
    """Validate a 1-based band number against the raster."""
    if not isinstance(band, int) or isinstance(band, bool) or not 1 <= band <= src.count:
        raise DataError(
            f"band was {band!r} but the raster has bands 1..{src.count}; pass band=1..{src.count}",
            Place(raster_name(src)),
        )
    return band


def check_north_up(src: DatasetReader) -> None:
    """Refuse rotated or sheared grids (the coverage kernel needs axis-aligned pixels)."""
    t = src.transform
    if t.b != 0 or t.d != 0:
        raise DataError(
            f"the raster grid is rotated or sheared (transform {tuple(t)[:6]}); warp it to a "
            "north-up grid first, e.g. county_gis.raster.reproject_raster()",
            Place(raster_name(src)),
        )


def geometries_in_raster_crs(layer: Any, src: DatasetReader) -> gpd.GeoSeries:
    """The layer's geometries, reprojected to the raster's CRS when the two differ.

    Raises
    ------
    CRSError
        If the layer or the raster has no CRS.
    """
    if isinstance(layer, gpd.GeoDataFrame):
        layer = layer.geometry
    if not isinstance(layer, gpd.GeoSeries):
        raise TypeError(f"expected a GeoDataFrame or GeoSeries, got {type(layer).__name__}")
    require_crs(layer.crs, what="the layer's geometries")
    target = raster_crs(src)
    if CRS.from_user_input(layer.crs) == target:
        return layer
    return layer.to_crs(target)
