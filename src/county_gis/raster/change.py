"""Did the regreened and afforested plots turn green? NDVI before / after per plot.

:func:`vegetation_change` takes the coverage-weighted mean NDVI of every plot on a "before"
and an "after" raster (:func:`~county_gis.raster.zonal.zonal_stats`, so plots smaller than a
pixel get a value), their difference, a :class:`Verdict` and the plot's geodesic area in 亩.
:func:`county_gis.analysis.greening_summary` adds it up per target: of the area reported
*completed*, how much is green from above.

Examples
--------
Two 1 km plots on a 250 m grid: the west one greened by 0.2, the east one lost 0.1.

>>> import numpy as np, geopandas as gpd, rasterio, tempfile, os
>>> from rasterio.transform import Affine
>>> from shapely.geometry import box
>>> folder = tempfile.mkdtemp()
>>> def ndvi(name, west, east):
...     data = np.where(np.arange(8) < 4, west, east) * np.ones((4, 8))
...     path = os.path.join(folder, name)
...     with rasterio.open(path, "w", driver="GTiff", width=8, height=4, count=1,
...                        dtype="float32", crs="EPSG:4550",
...                        transform=Affine(250, 0, 500000, 0, -250, 4650000)) as dst:
...         dst.write(data.astype("float32"), 1)
...     return path
>>> before, after = ndvi("before.tif", 0.2, 0.5), ndvi("after.tif", 0.4, 0.4)
>>> plots = gpd.GeoSeries([box(500000, 4649000, 501000, 4650000),
...                        box(501000, 4649000, 502000, 4650000)], crs="EPSG:4550")
>>> table = vegetation_change(plots, before, after)
>>> table[["ndvi_change", "verdict", "area_mu"]].round(3)
   ndvi_change   verdict  area_mu
0          0.2   greened   1500.0
1         -0.1  degraded   1500.0
"""

from __future__ import annotations

import enum
import logging
import math
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import CountyGisWarning, DataError, Place, ThresholdError
from ..measure import geodesic_area
from .dataset import RasterLike, check_band, open_raster, raster_name
from .zonal import Stat, zonal_stats

__all__ = ["DEFAULT_THRESHOLD", "NDVI_RANGE", "ThresholdError", "Verdict", "check_ndvi_scale",
           "check_threshold", "vegetation_change"]

#: The physical range of NDVI; values outside it are masked as no data and reported.
NDVI_RANGE = (-1.0, 1.0)

#: Pixels sampled (decimated) to tell a scaled NDVI (× 10,000) from a plain one.
_SAMPLE = 512 * 512

logger = logging.getLogger(__name__)

#: Default NDVI change that counts as a change (Landsat / Sentinel-2 composites vary by
#: about ±0.03 from year to year over unchanged land).
DEFAULT_THRESHOLD = 0.05


class Verdict(enum.Enum):
    """What NDVI says about a plot.

    Examples
    --------
    >>> Verdict.GREENED.label
    '变绿'
    >>> Verdict.classify(np.array([0.08, 0.01, -0.2, np.nan]), 0.05).tolist()
    ['greened', 'unchanged', 'degraded', 'no_data']
    """

    GREENED = "greened"
    UNCHANGED = "unchanged"
    DEGRADED = "degraded"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        """Chinese label."""
        return {"greened": "变绿", "unchanged": "无明显变化", "degraded": "退化",
                "no_data": "无数据"}[self.value]

    @classmethod
    def classify(cls, change: np.ndarray, threshold: float) -> np.ndarray:
        """Verdict values for NDVI changes: ``≥ threshold`` greened, ``≤ −threshold`` degraded."""
        change = np.asarray(change, dtype=float)
        out = np.full(change.shape, cls.UNCHANGED.value, dtype=object)
        out[change >= threshold] = cls.GREENED.value
        out[change <= -threshold] = cls.DEGRADED.value
        out[np.isnan(change)] = cls.NO_DATA.value
        return out


def check_threshold(threshold: Any) -> float:
    """``threshold`` as a float, or :class:`ThresholdError` saying what is allowed.

    Examples
    --------
    >>> check_threshold(0.1)
    0.1
    >>> check_threshold(-1)
    Traceback (most recent call last):
    ...
    county_gis.errors.ThresholdError: threshold was -1 but is expected to be an NDVI
    change between 0 and 2 (exclusive), e.g. 0.05
    """
    if (isinstance(threshold, bool) or not isinstance(threshold, int | float)
            or not math.isfinite(threshold) or not 0 < threshold < 2):
        raise ThresholdError(
            f"threshold was {threshold!r} but is expected to be an NDVI change between 0 and 2 "
            f"(exclusive), e.g. {DEFAULT_THRESHOLD}"
        )
    return float(threshold)


def vegetation_change(
    layer: gpd.GeoDataFrame | gpd.GeoSeries,
    before: RasterLike,
    after: RasterLike,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    band: int = 1,
) -> pd.DataFrame:
    """NDVI before and after, its change and a verdict, per plot.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame or geopandas.GeoSeries
        Polygons with a CRS (reprojected to each raster's CRS).
    before, after : path or rasterio dataset
        NDVI rasters (any grids and CRSs; they need not match each other).
    threshold : float, default 0.05
        A mean NDVI change of at least ``+threshold`` is *greened*, of at most ``−threshold``
        *degraded*, anything between *unchanged*; a plot without a value on either raster
        is *no_data*.
    band : int, default 1
        The band of both rasters.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``layer``: ``ndvi_before``, ``ndvi_after``, ``ndvi_change``, ``verdict``
        (a :class:`Verdict` value), ``verdict_label`` (Chinese), ``area_mu`` (geodesic, 亩)
        ``coverage_fraction`` (the smaller of the two rasters' coverage fractions) and
        ``ndvi_masked_pixels`` (pixel equivalents of values outside −1…1 masked as no data,
        both rasters).

    Raises
    ------
    ThresholdError
        If ``threshold`` is not a number in (0, 2) (a ``ValueError``).
    DataError
        If a raster holds NDVI scaled by 10,000 (see :func:`check_ndvi_scale`).
    CRSError, DataError, LayerReadError
        As :func:`~county_gis.raster.zonal.zonal_stats`.

    Warns
    -----
    CountyGisWarning
        When plots lie on values outside −1…1 (masked as no data, counted in
        ``ndvi_masked_pixels``).

    Examples
    --------
    See the module docstring.
    """
    threshold = check_threshold(threshold)
    check_ndvi_scale(before, band=band)
    check_ndvi_scale(after, band=band)
    wanted = [Stat.MEAN, Stat.OUT_OF_RANGE]
    first = zonal_stats(layer, before, stats=wanted, band=band, valid_range=NDVI_RANGE)
    second = zonal_stats(layer, after, stats=wanted, band=band, valid_range=NDVI_RANGE)
    masked = first["out_of_range"].fillna(0.0) + second["out_of_range"].fillna(0.0)
    if (masked > 0).any():
        warnings.warn(
            f"{int((masked > 0).sum())} of {len(masked)} plots lie on NDVI values outside "
            f"−1…1 ({float(masked.sum()):,.1f} pixel equivalents, e.g. a fill value such as "
            "−9999 the file does not declare as nodata): masked as no data, not read as "
            "退化 (column ndvi_masked_pixels); declare the nodata value, e.g. "
            "gdal_edit.py -a_nodata -9999 FILE",
            CountyGisWarning, stacklevel=2)
    change = second["mean"] - first["mean"]
    verdict = Verdict.classify(change.to_numpy(), threshold)
    table = pd.DataFrame(
        {
            "ndvi_before": first["mean"],
            "ndvi_after": second["mean"],
            "ndvi_change": change,
            "verdict": verdict,
            "verdict_label": [Verdict(v).label for v in verdict],
            "area_mu": geodesic_area(layer, unit="mu").to_numpy(),
            "coverage_fraction": np.fmin(first["coverage_fraction"],
                                         second["coverage_fraction"]),
            "ndvi_masked_pixels": masked,
        },
        index=first.index,
    )
    logger.info("vegetation_change: %s", table["verdict"].value_counts().to_dict())
    return table


def check_ndvi_scale(raster: RasterLike, *, band: int = 1) -> None:
    """Refuse NDVI stored as integers × 10,000 without a scale (it would read as 100 % green).

    A decimated sample of the band (at most 512 × 512 pixels, through overviews when the file
    has them), with its declared scale and offset and nodata, is looked at: when most valid
    values lie in 1…10,000 and few in −1…1, the raster is NDVI × 10,000.

    Raises
    ------
    DataError
        Naming the raster, what the values look like and the fix.

    Examples
    --------
    >>> import numpy as np, rasterio, tempfile, os
    >>> from rasterio.transform import Affine
    >>> path = os.path.join(tempfile.mkdtemp(), "ndvi_x10000.tif")
    >>> with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1,
    ...                    dtype="int16", crs="EPSG:4490",
    ...                    transform=Affine(0.01, 0, 121.5, 0, -0.01, 42.3)) as dst:
    ...     dst.write(np.full((4, 4), 6500, dtype="int16"), 1)
    >>> check_ndvi_scale(path)
    Traceback (most recent call last):
    ...
    county_gis.errors.DataError: ndvi_x10000.tif: the values look like NDVI × 10,000 \
(median 6,500, 100% of the values in 1…10,000; NDVI lies in −1…1): it would read as \
100 % green. Declare the scale once: gdal_edit.py -scale 0.0001 ndvi_x10000.tif (or divide \
the values by 10,000)
    """
    with open_raster(raster) as src:
        check_band(src, band)
        step = max(1, int(np.ceil(np.sqrt(src.width * src.height / _SAMPLE))))
        shape = (max(1, src.height // step), max(1, src.width // step))
        data = src.read(band, out_shape=shape, masked=True)
        scale = float(src.scales[band - 1] or 1.0)
        offset = float(src.offsets[band - 1] or 0.0)
        name = raster_name(src)
    values = np.ma.compressed(data).astype("float64") * scale + offset
    values = values[np.isfinite(values)]
    if not values.size:
        return
    scaled = float(np.mean((values > 1) & (values <= 10_000)))
    plain = float(np.mean((values >= -1) & (values <= 1)))
    if scaled >= 0.5 and plain < 0.25:
        raise DataError(
            f"the values look like NDVI × 10,000 (median {float(np.median(values)):,.0f}, "
            f"{scaled:.0%} of the values in 1…10,000; NDVI lies in −1…1): it would read as "
            f"100 % green. Declare the scale once: gdal_edit.py -scale 0.0001 {name} (or "
            "divide the values by 10,000)",
            Place(name),
        )
