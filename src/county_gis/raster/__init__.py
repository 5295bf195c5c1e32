"""Rasters: zonal statistics with exact fractional pixel coverage, NDVI change, helpers.

- :func:`zonal_stats` — per-polygon statistics, pixels weighted by the exact share of their
  area inside the polygon (plots smaller than a pixel get a value);
- :func:`vegetation_change`, :func:`greening_summary` — did the regreened plots turn green;
- :func:`clip_raster`, :func:`reproject_raster`, :func:`ndvi`, :func:`slope` — helpers that
  write GeoTIFFs atomically;
- :func:`raster_to_png_overlay` — a coloured, downsampled PNG for a map image overlay.

>>> from county_gis.raster import Stat, Verdict
>>> [s.value for s in Stat][:3], Verdict.DEGRADED.label
(['mean', 'min', 'max'], '退化')
"""

from ..errors import ThresholdError
from .change import DEFAULT_THRESHOLD, GREENING_KINDS, Verdict, greening_summary, vegetation_change
from .overlay import Colormap, png_data_uri, raster_to_png_overlay
from .tools import Resampling, clip_raster, ndvi, reproject_raster, slope
from .zonal import DEFAULT_STATS, Stat, zonal_stats

__all__ = [
    "DEFAULT_STATS",
    "DEFAULT_THRESHOLD",
    "GREENING_KINDS",
    "Colormap",
    "Resampling",
    "Stat",
    "ThresholdError",
    "Verdict",
    "clip_raster",
    "greening_summary",
    "ndvi",
    "png_data_uri",
    "raster_to_png_overlay",
    "reproject_raster",
    "slope",
    "vegetation_change",
    "zonal_stats",
]
