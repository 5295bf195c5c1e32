"""Plumbing shared by progress and the greening check: the amount of a geometry for a target.

Examples
--------
>>> import numpy as np
>>> from shapely.geometry import LineString, Point
>>> from county_gis.vocabulary import LayerKind
>>> from county_gis.targets import Measure, Target
>>> t = Target("r", "修路", "六", Measure.LENGTH, "公里", 1.0, 2023,
...            kinds=(LayerKind.ROAD_REBUILD,))
>>> geoms = np.array([LineString([(121.6, 42.3), (121.7, 42.3)]), Point(121.6, 42.3), None])
>>> [round(float(v), 3) for v in amount(geoms[:1], t)]
[8.246]
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..crs import CGCS2000
from ..measure import geodesic_area, geodesic_length
from ..targets import Measure, Target

__all__ = ["amount"]


def amount(geoms: np.ndarray, target: Target) -> np.ndarray:
    """Geodesic length (length targets) or area (others) in the target's unit; empty ones 0.

    ``geoms`` are in EPSG:4490 and valid: a project's layers are checked (and repaired, or
    refused) when they are loaded, and the pieces analysis cuts from them are GEOS output, so
    they are measured as they are (``invalid="as_is"``) without checking validity again.
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
        out[full] = geodesic_area(series, unit=target.area_unit, invalid="as_is").to_numpy()
    return out
