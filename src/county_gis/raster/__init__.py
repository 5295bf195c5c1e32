"""Rasters: zonal statistics with exact fractional pixel coverage, NDVI change, helpers.

- :func:`zonal_stats` — per-polygon statistics, pixels weighted by the exact share of their
  area inside the polygon (plots smaller than a pixel get a value);
- :func:`vegetation_change` — did a plot turn green (NDVI before / after);
- :func:`clip_raster`, :func:`reproject_raster`, :func:`ndvi`, :func:`slope` — helpers that
  write GeoTIFFs atomically;

>>> from county_gis.raster import Stat, Verdict
>>> [s.value for s in Stat][:3], Verdict.DEGRADED.label
(['mean', 'min', 'max'], '退化')
"""

from ..errors import ThresholdError
from .change import (
    DEFAULT_THRESHOLD,
    NDVI_RANGE,
    Verdict,
    check_ndvi_scale,
    check_threshold,
    vegetation_change,
)
from .dataset import RasterLike, open_raster
from .tools import Resampling, clip_raster, ndvi, reproject_raster, slope
from .zonal import DEFAULT_STATS, Stat, zonal_stats

__all__ = [
    "DEFAULT_STATS",
    "DEFAULT_THRESHOLD",
    "NDVI_RANGE",
    "RasterLike",
    "Resampling",
    "Stat",
    "ThresholdError",
    "Verdict",
    "check_ndvi_scale",
    "check_threshold",
    "clip_raster",
    "ndvi",
    "open_raster",
    "reproject_raster",
    "slope",
    "vegetation_change",
    "zonal_stats",
]
