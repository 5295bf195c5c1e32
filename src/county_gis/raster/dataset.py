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

from .._atomic import note_input
from .._offline import offline_gdal, refuse_remote
from ..crs import require_crs
from ..errors import CRSError, DataError, LayerReadError, Place

__all__ = [
    "MAX_RASTER_PIXELS",
    "RasterLike",
    "check_band",
    "check_pixel_budget",
    "geometries_in_raster_crs",
    "open_raster",
    "quiet_affine",
    "raster_crs",
    "raster_name",
]

#: A raster argument: a path, or a dataset opened with :func:`rasterio.open`.
RasterLike: TypeAlias = str | os.PathLike[str] | DatasetReader

#: Most pixels (width × height × bands) a raster's header may claim: 4,000,000,000 (e.g. a
#: 1 m orthophoto of 63 km × 63 km). Checked on the header, before any pixel is read.
MAX_RASTER_PIXELS = 4_000_000_000

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_TIFF_SUFFIXES = (".tif", ".tiff")


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
        with _read_errors(raster_name(raster)):
            yield raster
        return
    named = os.fspath(raster)
    refuse_remote(named, what="raster")
    note_input(named)
    with offline_gdal(), _local_name(named) as path:
        check_raster_content(path, named)
        try:
            src = rasterio.open(path)
        except (rasterio.errors.RasterioIOError, rasterio.errors.RasterioError) as exc:
            raise LayerReadError(f"cannot open the raster {named!r}: {exc}") from exc
        with src, _read_errors(os.path.basename(named)):
            if src.driver == "VRT":  # a VRT under any name reads other files and URLs
                raise LayerReadError(f"{named}: a GDAL VRT; refused (it makes GDAL read other "
                                     "files and URLs): pass the raster it points to")
            check_pixel_budget(src)
            yield src


@contextlib.contextmanager
def _read_errors(name: str) -> Iterator[None]:
    """GDAL read errors inside the block (a truncated or damaged file) as LayerReadError."""
    try:
        yield
    except rasterio.errors.RasterioIOError as exc:
        raise LayerReadError(f"{name}: cannot read the raster's pixels (is the file truncated "
                             f"or damaged? copy it again): {exc}") from exc


@contextlib.contextmanager
def _local_name(named: str) -> Iterator[str]:
    """``named``, or a link to it with a UTF-8 name when its name is not (GBK from a zip).

    GDAL takes file names as UTF-8; a name whose bytes are GBK (unpacked from a zip made on
    Chinese Windows) reaches Python with surrogate escapes that cannot be passed on.
    """
    try:
        named.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        yield named
        return
    import tempfile

    raw = os.fsencode(named)
    base = os.path.basename(raw)
    suffix = os.path.splitext(base)[1].decode("ascii", errors="replace")
    if not os.path.exists(raw):
        raise LayerReadError(f"cannot open the raster {named!r}: no such file")
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        link = os.path.join(tmp, "raster" + suffix)
        try:
            os.symlink(os.path.abspath(raw), os.fsencode(link))
        except OSError:
            import shutil

            shutil.copyfile(raw, os.fsencode(link))
        yield link


def check_raster_content(path: str, named: str) -> None:
    """Refuse a raster whose bytes are not what its suffix says (a VRT named ``.tif``).

    Raises
    ------
    LayerReadError
        Naming the suffix and what the bytes show.
    """
    from .._magic import sniff as sniff_content

    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except FileNotFoundError:
        raise LayerReadError(f"cannot open the raster {named!r}: no such file") from None
    except OSError as exc:
        raise LayerReadError(f"cannot open the raster {named!r}: {exc}") from exc
    found = sniff_content(head)
    suffix = os.path.splitext(named)[1].lower()
    if found.startswith(("a GDAL VRT", "XML")) or (
            suffix in _TIFF_SUFFIXES and not head.startswith(_TIFF_MAGIC)):
        what = "a GeoTIFF (TIFF image)" if suffix in _TIFF_SUFFIXES else "a raster"
        raise LayerReadError(f"{named}: the suffix {suffix or '(none)'} says {what} but the "
                             f"file holds {found}; refused. Pass the raster itself")


def check_pixel_budget(src: DatasetReader, *, budget: int | None = None) -> None:
    """Refuse a raster whose header claims more pixels than ``budget``, before any read.

    Raises
    ------
    DataError
        With the size the header claims, the budget and the fix.
    """
    budget = MAX_RASTER_PIXELS if budget is None else budget
    pixels = src.width * src.height * src.count
    if pixels > budget:
        try:
            size = f"{os.path.getsize(src.name) / 2**20:,.1f} MiB file"
        except OSError:
            size = "file"
        raise DataError(
            f"the header claims {src.width:,} × {src.height:,} pixels × {src.count} band(s) "
            f"({pixels:,} pixels), more than the {budget:,} county_gis reads; refused before "
            f"reading (a {size}). Clip it to the area you need first, e.g. gdalwarp "
            "-cutline county.gpkg -crop_to_cutline in.tif out.tif, or check the file",
            Place(raster_name(src)),
        )


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
