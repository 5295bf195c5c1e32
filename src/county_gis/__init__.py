"""county_gis: load, link, measure and map the project layers of 阜新蒙古族自治县.

The public API is the handful of functions a notebook needs; everything else lives in
its module (:mod:`county_gis.measure`, :mod:`county_gis.units`, :mod:`county_gis.errors`).

Examples
--------
>>> import county_gis
>>> from shapely.geometry import box
>>> plot = box(121.5, 42.0, 121.51, 42.01)  # 0.01° × 0.01° near the county seat
>>> round(float(county_gis.geodesic_area(plot, crs="EPSG:4490", unit="亩").iloc[0]), 2)
1380.27
"""

from importlib.metadata import PackageNotFoundError, version

from .analysis import greening_summary, progress, progress_details
from .errors import (
    ConfigError,
    CountyGisError,
    CountyGisWarning,
    CRSError,
    DataError,
    GeometryError,
    LayerReadError,
    OutputExistsError,
    UnitError,
)
from .io import LoadReport, list_layers, read_layer, read_layers, write_layer
from .measure import Method, geodesic_area, geodesic_length, geodesic_perimeter
from .project import Project, load_project
from .raster import vegetation_change, zonal_stats
from .render import make_map, print_atlas, print_map, render_overview, save_map
from .targets import Measure, Target, load_targets
from .tongbao import write_tongbao
from .units import AreaUnit, LengthUnit

try:
    __version__ = version("county_gis")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "AreaUnit",
    "CRSError",
    "ConfigError",
    "CountyGisError",
    "CountyGisWarning",
    "DataError",
    "GeometryError",
    "LayerReadError",
    "LengthUnit",
    "LoadReport",
    "Measure",
    "Method",
    "OutputExistsError",
    "Project",
    "Target",
    "UnitError",
    "__version__",
    "geodesic_area",
    "geodesic_length",
    "geodesic_perimeter",
    "greening_summary",
    "list_layers",
    "load_project",
    "load_targets",
    "make_map",
    "print_atlas",
    "print_map",
    "progress",
    "progress_details",
    "read_layer",
    "read_layers",
    "render_overview",
    "save_map",
    "vegetation_change",
    "write_layer",
    "write_tongbao",
    "zonal_stats",
]
