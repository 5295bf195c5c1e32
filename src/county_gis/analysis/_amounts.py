"""Plumbing shared by progress and the greening check: statuses, geometry types, amounts.

Examples
--------
>>> import numpy as np
>>> from shapely.geometry import LineString, Point
>>> from county_gis.kinds import LayerKind
>>> from county_gis.targets import Measure, Target
>>> t = Target("r", "修路", "六", Measure.LENGTH, "公里", 1.0, 2023,
...            kinds=(LayerKind.ROAD_REBUILD,))
>>> geoms = np.array([LineString([(121.6, 42.3), (121.7, 42.3)]), Point(121.6, 42.3), None])
>>> of_type(geoms, LINES).tolist()
[True, False, False]
>>> [round(float(v), 3) for v in amount(geoms[:1], t)]
[8.246]
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..crs import CGCS2000
from ..kinds import Status
from ..measure import geodesic_area, geodesic_length
from ..targets import Measure, Target

__all__ = ["LINES", "POLYS", "STATUSES", "amount", "of_type"]

#: The status values, least advanced first: planned, under_construction, completed.
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
#: shapely type ids of lines (LineString, LinearRing, MultiLineString) and polygons.
LINES = (1, 2, 5)
POLYS = (3, 6)


def of_type(geoms: np.ndarray, types: tuple[int, ...]) -> np.ndarray:
    """Boolean mask: which geometries are non-empty and of one of the shapely type ids."""
    geoms = np.asarray(geoms, dtype=object)
    return np.isin(shapely.get_type_id(geoms), types) & ~shapely.is_empty(geoms)


def amount(geoms: np.ndarray, target: Target) -> np.ndarray:
    """Geodesic length (length targets) or area (others) in the target's unit; empty ones 0.

    ``geoms`` are in EPSG:4490.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    full = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else out > 0
    if not full.any():
        return out
    series = gpd.GeoSeries(geoms[full], crs=CGCS2000)
    if target.measure is Measure.LENGTH:
        out[full] = geodesic_length(series, unit=target.length_unit).to_numpy()
    else:
        out[full] = geodesic_area(series, unit=target.area_unit).to_numpy()
    return out
