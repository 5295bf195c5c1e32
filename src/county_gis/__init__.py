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

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # imported on first use (PEP 562): `county-gis --help` imports nothing heavy
    from .analysis import (  # type: ignore[no-redef]
        ComplianceResult,
        compliance,
        greening_summary,
        progress,
        progress_details,
    )
    from .io import LoadReport, list_layers, read_layer, read_layers, write_layer
    from .measure import Method, geodesic_area, geodesic_length, geodesic_perimeter
    from .project import Project, load_project
    from .project_init import init_project
    from .raster import vegetation_change, zonal_stats
    from .render import make_map, print_atlas, print_map, render_overview, save_map
    from .targets import Measure, Target, load_targets
    from .tongbao import write_tongbao
    from .units import AreaUnit, LengthUnit

try:
    __version__ = version("county_gis")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

#: public name -> the module that defines it (imported when the name is first used)
_LAZY = {
    "greening_summary": "analysis", "progress": "analysis", "progress_details": "analysis",
    "ComplianceResult": "analysis", "compliance": "analysis",
    "LoadReport": "io", "list_layers": "io", "read_layer": "io", "read_layers": "io",
    "write_layer": "io", "Method": "measure", "geodesic_area": "measure",
    "geodesic_length": "measure", "geodesic_perimeter": "measure", "Project": "project",
    "load_project": "project", "init_project": "project_init", "vegetation_change": "raster",
    "zonal_stats": "raster", "make_map": "render", "render_overview": "render",
    "save_map": "render", "Measure": "targets", "Target": "targets", "load_targets": "targets",
    "AreaUnit": "units", "LengthUnit": "units", "print_map": "render",
    "print_atlas": "render", "write_tongbao": "tongbao",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'county_gis' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AreaUnit",
    "CRSError",
    "ComplianceResult",
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
    "compliance",
    "geodesic_area",
    "geodesic_length",
    "geodesic_perimeter",
    "greening_summary",
    "init_project",
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
