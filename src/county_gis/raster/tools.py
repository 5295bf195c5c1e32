"""Raster helpers planners expect: clip, reproject, NDVI, slope — each written atomically.

Every function reads its input window by window (strips of rows) and writes a tiled,
deflate-compressed GeoTIFF through :func:`county_gis._atomic.atomic_path`: the output
appears complete or not at all, and an existing file is replaced only with
``overwrite=True``. Inputs are never modified.

Examples
--------
NDVI of a 2-band red / near-infrared raster:

>>> import numpy as np, rasterio, tempfile, os
>>> from rasterio.transform import Affine
>>> folder = tempfile.mkdtemp()
>>> src = os.path.join(folder, "rn.tif")
>>> with rasterio.open(src, "w", driver="GTiff", width=2, height=1, count=2, dtype="uint16",
...                    crs="EPSG:4550", transform=Affine(10, 0, 500000, 0, -10, 4650000)) as d:
...     d.write(np.array([[[100, 300]], [[300, 300]]], dtype="uint16"))
>>> out = ndvi(src, os.path.join(folder, "ndvi.tif"), red_band=1, nir_band=2)
>>> with rasterio.open(out) as r:
...     r.read(1).tolist()
[[0.5, 0.0]]
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.mask
from rasterio.enums import Resampling as _GdalResampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import calculate_default_transform
from rasterio.windows import Window

from .._atomic import atomic_path
from .._choice import Choice
from ..crs import GRS80_A, GRS80_F, require_crs
from ..errors import DataError, Place
from .dataset import (
    RasterLike,
    check_band,
    check_north_up,
    geometries_in_raster_crs,
    open_raster,
    quiet_affine,
    raster_crs,
    raster_name,
)

__all__ = ["Resampling", "clip_raster", "ndvi", "reproject_raster", "slope"]

logger = logging.getLogger(__name__)

#: Rows processed at once by the strip-wise helpers.
STRIP_ROWS = 512


class Resampling(Choice):
    """Resampling methods for :func:`reproject_raster` (the GDAL ones planners use).

    Examples
    --------
    >>> Resampling.parse("bilinear")
    <Resampling.BILINEAR: 'bilinear'>
    >>> Resampling.parse("linear")
    Traceback (most recent call last):
    ...
    ValueError: resampling was 'linear' but is expected to be one of nearest, bilinear, ...
    """

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    CUBIC = "cubic"
    AVERAGE = "average"
    MODE = "mode"

    @property
    def gdal(self) -> _GdalResampling:
        """The rasterio / GDAL enum member."""
        return _GdalResampling[self.value]


def _profile(src_profile: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A tiled, deflate-compressed GeoTIFF profile derived from ``src_profile``."""
    profile = {k: v for k, v in src_profile.items()
               if k in {"width", "height", "count", "dtype", "crs", "transform", "nodata"}}
    profile.update(changes)
    profile.update(driver="GTiff", compress="deflate", tiled=True, blockxsize=256,
                   blockysize=256)
    if np.dtype(profile["dtype"]).kind == "f":
        profile["predictor"] = 3
    if profile["width"] < 256 or profile["height"] < 256:  # small rasters: strips, not tiles
        profile.pop("blockxsize")
        profile.pop("blockysize")
        profile["tiled"] = False
    return profile


def _strips(height: int, width: int) -> Iterator[Window]:
    for top in range(0, height, STRIP_ROWS):
        yield Window(0, top, width, min(STRIP_ROWS, height - top))


def _fill_value(dtype: Any, nodata: float | None) -> float:
    if nodata is not None:
        return nodata
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return float("nan")
    info = np.iinfo(kind)
    return info.min if kind.kind == "i" else info.max


def clip_raster(
    raster: RasterLike,
    area: gpd.GeoDataFrame | gpd.GeoSeries,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> Path:
    """Cut a raster to a polygon (the county, a township): crop to its extent, mask outside.

    Pixels whose centre lies outside the polygons become nodata (GDAL's rule). The raster's
    nodata value is kept; without one, NaN (float), the type's minimum (signed) or maximum
    (unsigned) is set.

    Parameters
    ----------
    raster : path or rasterio dataset
    area : geopandas.GeoDataFrame or geopandas.GeoSeries
        The polygon(s) with a CRS, reprojected to the raster's CRS.
    out : path
        The GeoTIFF to write.
    overwrite : bool, default False
        Replace ``out`` if it exists.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    DataError
        If the area does not overlap the raster.
    CRSError, OutputExistsError, LayerReadError
    """
    with open_raster(raster) as src:
        geoms = geometries_in_raster_crs(area, src)
        geoms = geoms[geoms.notna() & ~geoms.is_empty]
        nodata = _fill_value(src.dtypes[0], src.nodata)
        try:
            with quiet_affine():
                data, transform = rasterio.mask.mask(src, list(geoms.values), crop=True,
                                                     nodata=nodata, filled=True)
        except ValueError as exc:  # "Input shapes do not overlap raster."
            raise DataError(
                f"the area does not overlap the raster ({exc}); check that both are the same "
                "place and their CRSs are right", Place(raster_name(src))
            ) from exc
        profile = _profile(src.profile, width=data.shape[2], height=data.shape[1],
                           transform=transform, nodata=nodata)
    with atomic_path(out, overwrite=overwrite) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)
    logger.info("clipped to %s (%d x %d)", out, data.shape[2], data.shape[1])
    return Path(out)


def reproject_raster(
    raster: RasterLike,
    out: str | os.PathLike[str],
    *,
    crs: Any,
    resolution: float | tuple[float, float] | None = None,
    resampling: Resampling | str = Resampling.BILINEAR,
    overwrite: bool = False,
) -> Path:
    """Warp a raster to another CRS, strip by strip (never the whole raster in memory).

    Parameters
    ----------
    raster : path or rasterio dataset
    out : path
    crs : CRS-like
        The target CRS, e.g. ``"EPSG:4490"`` or ``"EPSG:4550"``.
    resolution : float or (float, float), optional
        Pixel size in the target CRS's units; by default GDAL's estimate.
    resampling : Resampling or str, default bilinear
        Use ``nearest`` or ``mode`` for classes (land cover).
    overwrite : bool, default False

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    method = Resampling.parse(resampling)
    target = require_crs(crs, what="the target")
    with open_raster(raster) as src:
        source = raster_crs(src)
        with quiet_affine():
            transform, width, height = calculate_default_transform(
                source.to_wkt(), target.to_wkt(), src.width, src.height, *src.bounds,
                resolution=resolution,
            )
        nodata = _fill_value(src.dtypes[0], src.nodata)
        profile = _profile(src.profile, crs=target.to_wkt(), transform=transform, width=width,
                           height=height, nodata=nodata)
        with (
            quiet_affine(),
            WarpedVRT(src, crs=target.to_wkt(), transform=transform, width=width,
                      height=height, resampling=method.gdal, nodata=nodata) as vrt,
            atomic_path(out, overwrite=overwrite) as tmp,
            rasterio.open(tmp, "w", **profile) as dst,
        ):
            for window in _strips(height, width):
                dst.write(vrt.read(window=window), window=window)
    logger.info("reprojected %s -> %s (%s)", raster_name(src), out, target.name)
    return Path(out)


def ndvi(
    red: RasterLike,
    out: str | os.PathLike[str],
    *,
    nir: RasterLike | None = None,
    red_band: int = 1,
    nir_band: int = 2,
    overwrite: bool = False,
) -> Path:
    """NDVI = (NIR − red) / (NIR + red), as float32 with NaN where undefined.

    Parameters
    ----------
    red : path or rasterio dataset
        The raster holding the red band (and the NIR band when ``nir`` is not given).
    out : path
    nir : path or rasterio dataset, optional
        A separate near-infrared raster on the same grid.
    red_band, nir_band : int, default 1 and 2
        The bands (Sentinel-2: B4 and B8; Landsat 8/9: B4 and B5, in their own files or as
        bands of a stack).
    overwrite : bool, default False

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    DataError
        If the two rasters are not on the same grid, or a band does not exist.
    """
    with open_raster(red) as rsrc, open_raster(rsrc if nir is None else nir) as nsrc:
        check_band(rsrc, red_band)
        check_band(nsrc, nir_band)
        if (rsrc.width, rsrc.height, rsrc.transform) != (nsrc.width, nsrc.height,
                                                         nsrc.transform) or (
                raster_crs(rsrc) != raster_crs(nsrc)):
            raise DataError(
                f"the NIR raster {raster_name(nsrc)} is not on the red raster's grid "
                f"({nsrc.width}x{nsrc.height} vs {rsrc.width}x{rsrc.height}, or another "
                "transform / CRS); warp one onto the other first (reproject_raster)",
                Place(raster_name(rsrc)),
            )
        profile = _profile(rsrc.profile, count=1, dtype="float32", nodata=float("nan"))
        with atomic_path(out, overwrite=overwrite) as tmp, rasterio.open(tmp, "w",
                                                                         **profile) as dst:
            for window in _strips(rsrc.height, rsrc.width):
                r = rsrc.read(red_band, window=window, masked=True).astype("float64")
                n = nsrc.read(nir_band, window=window, masked=True).astype("float64")
                total = n + r
                with np.errstate(invalid="ignore", divide="ignore"):
                    value = np.ma.where(total != 0, (n - r) / total, np.nan)
                dst.write(np.ma.filled(value, np.nan).astype("float32"), 1, window=window)
    return Path(out)


def _metres_per_pixel(src: Any, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel width and height in metres for each row (geographic: at the row's latitude)."""
    crs = raster_crs(src)
    t = src.transform
    if crs.is_geographic:
        lat = np.radians(t.f + t.e * (rows + 0.5))
        e2 = GRS80_F * (2 - GRS80_F)
        w = np.sqrt(1 - e2 * np.sin(lat) ** 2)
        prime_vertical = GRS80_A / w  # N(φ)
        meridional = GRS80_A * (1 - e2) / w**3  # M(φ)
        return (np.radians(abs(t.a)) * prime_vertical * np.cos(lat),
                np.radians(abs(t.e)) * meridional)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in {"metre", "meter"}:
        raise DataError(
            f"the raster's CRS {crs.name!r} has {unit!r} units; slope needs metres or degrees. "
            "Reproject it (reproject_raster) to a metre CRS such as EPSG:4550",
            Place(raster_name(src)),
        )
    return np.full(len(rows), abs(t.a)), np.full(len(rows), abs(t.e))


def slope(
    dem: RasterLike,
    out: str | os.PathLike[str],
    *,
    band: int = 1,
    z_factor: float = 1.0,
    overwrite: bool = False,
) -> Path:
    """Slope in degrees from a DEM (Horn's 3 × 3 method), for soil-erosion work.

    On a geographic raster (degrees), pixel sizes are converted to metres at each row's
    latitude on the GRS80 ellipsoid (east–west ``N(φ)·cos φ·Δλ``, north–south ``M(φ)·Δφ``).
    Edge pixels repeat their neighbours; a pixel next to nodata gets NaN.

    Parameters
    ----------
    dem : path or rasterio dataset
        Elevations (metres unless ``z_factor`` says otherwise).
    out : path
    band : int, default 1
    z_factor : float, default 1.0
        Multiplies elevations to metres (0.3048 for feet).
    overwrite : bool, default False

    Returns
    -------
    pathlib.Path
        ``out`` (float32 degrees, NaN nodata).

    Examples
    --------
    A plane rising 10 m per 100 m pixel eastward: atan(0.1) = 5.711°.

    >>> import numpy as np, rasterio, tempfile, os
    >>> from rasterio.transform import Affine
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "dem.tif")
    >>> with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1,
    ...                    dtype="float32", crs="EPSG:4550",
    ...                    transform=Affine(100, 0, 500000, 0, -100, 4650000)) as d:
    ...     d.write((10.0 * np.arange(4) * np.ones((3, 1))).astype("float32"), 1)
    >>> with rasterio.open(slope(path, os.path.join(folder, "slope.tif"))) as s:
    ...     round(float(s.read(1)[1, 1]), 3)
    5.711
    """
    with open_raster(dem) as src:
        check_band(src, band)
        check_north_up(src)
        height, width = src.height, src.width
        profile = _profile(src.profile, count=1, dtype="float32", nodata=float("nan"))
        with atomic_path(out, overwrite=overwrite) as tmp, rasterio.open(tmp, "w",
                                                                         **profile) as dst:
            for window in _strips(height, width):
                top = int(window.row_off)
                bottom = top + int(window.height)
                r0, r1 = max(top - 1, 0), min(bottom + 1, height)
                block = src.read(band, window=Window(0, r0, width, r1 - r0), masked=True)
                z = np.ma.filled(block.astype("float64"), np.nan) * z_factor
                # halo rows from the neighbours; at the raster's edges, repeat the edge
                z = np.pad(z, ((1 if top == 0 else 0, 1 if bottom == height else 0), (1, 1)),
                           mode="edge")
                a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
                d, f = z[1:-1, :-2], z[1:-1, 2:]
                g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
                dx, dy = _metres_per_pixel(src, np.arange(top, bottom))
                dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * dx[:, None])
                dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * dy[:, None])
                deg = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
                deg[np.isnan(z[1:-1, 1:-1])] = np.nan
                dst.write(deg.astype("float32"), 1, window=window)
    return Path(out)
