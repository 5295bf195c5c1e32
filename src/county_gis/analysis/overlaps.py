"""Double counting and typed-in figures: overlapping plots, stated vs measured amounts.

Examples
--------
Two 0.01° × 0.01° plots that share half their width: the overlap is half a plot.

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> plots = gpd.GeoDataFrame({"project_id": ["A", "B"]},
...     geometry=[box(121.60, 42.30, 121.61, 42.31), box(121.605, 42.30, 121.615, 42.31)],
...     crs="EPSG:4490")
>>> pairs = overlapping_pairs(plots, unit="亩")
>>> pairs[["project_id_a", "project_id_b"]].values.tolist()
[['A', 'B']]
>>> round(float(pairs["overlap"].iloc[0]), 1)
686.9
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..measure import geodesic_area, geodesic_length
from ..units import AreaUnit, LengthUnit
from ..vocabulary import GeometryFamily
from .counting import sharing_pairs

__all__ = ["overlapping_pairs", "stated_differences"]

_LABELS = ("layer", "place", "project_id", "name")


def overlapping_pairs(
    features: gpd.GeoDataFrame,
    *,
    unit: AreaUnit | LengthUnit | str = AreaUnit.MU,
    min_area_m2: float = 1.0,
    min_length_m: float = 1.0,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Pairs of polygons that overlap, or of lines that share a stretch, and how much.

    What a pair shares is counted once by progress (the union of the target's features).

    Parameters
    ----------
    features : GeoDataFrame
        Polygons, or lines with a length ``unit`` (other geometries are ignored), any CRS.
        Columns ``layer``, ``place``, ``project_id``, ``name`` are copied to the pairs
        where present.
    unit : AreaUnit, LengthUnit or str, default "亩"
        Unit of the ``overlap`` column: an area unit pairs polygons, a length unit lines.
    min_area_m2, min_length_m : float, default 1.0
        Shared areas / lengths below this (digitising slivers, roads that only cross) are
        not listed.
    pairs : tuple of two int arrays, optional
        The candidate pairs (positions in ``features``) when already found
        (:func:`~county_gis.analysis.counting.sharing_pairs`).

    Returns
    -------
    DataFrame
        One row per pair: ``<label>_a``, ``<label>_b`` for each label column, ``overlap``
        (geodesic, in ``unit``) and ``unit`` (its label).

    Examples
    --------
    A road collected twice over 0.01° of its 0.02° (828.5 m at 42 °N, pyproj.Geod):

    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"project_id": ["R1", "R1b"]}, geometry=[
    ...     LineString([(121.60, 42.0), (121.62, 42.0)]),
    ...     LineString([(121.61, 42.0), (121.63, 42.0)])], crs="EPSG:4490")
    >>> pairs = overlapping_pairs(roads, unit="米")
    >>> pairs[["project_id_a", "project_id_b", "unit"]].values.tolist(), round(
    ...     float(pairs["overlap"].iloc[0]), 1)
    ([['R1', 'R1b', '米']], 828.5)
    """
    chosen: AreaUnit | LengthUnit
    if isinstance(unit, AreaUnit | LengthUnit):
        chosen = unit
    else:
        try:
            chosen = LengthUnit.parse(unit)
        except ValueError:
            chosen = AreaUnit.parse(unit)
    unit = chosen
    line = isinstance(unit, LengthUnit)
    family = GeometryFamily.LINE if line else GeometryFamily.POLYGON
    labels = [c for c in _LABELS if c in features.columns]
    columns = [f"{c}_{s}" for s in ("a", "b") for c in labels] + ["overlap", "unit"]
    geoms = features.geometry.values
    poly = family.mask(geoms, nonempty=False)
    if poly.sum() < 2:
        return pd.DataFrame(columns=columns)
    if pairs is None:
        positions = np.flatnonzero(poly)
        left, right = sharing_pairs(np.asarray(geoms)[positions])
        left, right = positions[left], positions[right]
    else:
        left, right = pairs
    if not len(left):
        return pd.DataFrame(columns=columns)
    geoms = np.asarray(geoms)
    inter = family.only(shapely.intersection(geoms[left], geoms[right]))
    nonempty = ~shapely.is_empty(inter)
    area = np.zeros(len(inter))
    if nonempty.any():
        shared = gpd.GeoSeries(inter[nonempty], crs=features.crs)
        area[nonempty] = (geodesic_length(shared, unit="m") if line  # GEOS output: valid
                          else geodesic_area(shared, unit="m2", invalid="as_is")).to_numpy()
    big = area >= (min_length_m if line else min_area_m2)
    out = {}
    for side, idx in (("a", left[big]), ("b", right[big])):
        for c in labels:
            out[f"{c}_{side}"] = features[c].take(idx).array  # only these rows
    out["overlap"] = unit.from_base(area[big])
    out["unit"] = unit.label
    return pd.DataFrame(out, columns=columns)


def stated_differences(
    features: pd.DataFrame,
    stated: pd.Series,
    measured: pd.Series,
    *,
    unit: str,
    tolerance: float = 0.05,
) -> pd.DataFrame:
    """Features whose stated amount differs from the measured one by more than ``tolerance``.

    Parameters
    ----------
    features : DataFrame
        Label columns (``layer``, ``place``, ``project_id``, ``name``) copied to the result.
    stated, measured : Series
        Aligned to ``features``, in the same unit; NaN stated values are skipped.
    unit : str
        Label of that unit.
    tolerance : float, default 0.05
        Relative difference (of the measured amount) above which a feature is listed.

    Returns
    -------
    DataFrame
        ``layer, place, project_id, name, stated, measured, difference`` (stated − measured),
        ``relative`` (difference / measured) and ``unit``.

    Examples
    --------
    >>> frame = pd.DataFrame({"project_id": ["A", "B"]})
    >>> out = stated_differences(frame, pd.Series([100.0, 150.0]), pd.Series([99.0, 100.0]),
    ...                          unit="亩")
    >>> out[["project_id", "stated", "measured", "relative"]].to_dict("records")
    [{'project_id': 'B', 'stated': 150.0, 'measured': 100.0, 'relative': 0.5}]
    """
    labels = [c for c in _LABELS if c in features.columns]
    stated_v = pd.to_numeric(stated, errors="coerce").to_numpy(dtype=float)
    measured_v = measured.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (stated_v - measured_v) / measured_v
    flag = np.isfinite(stated_v) & np.isfinite(measured_v) & (np.abs(relative) > tolerance)
    flag |= np.isfinite(stated_v) & (measured_v == 0) & (stated_v != 0)
    out: dict[str, Any] = {c: features[c].array[flag] for c in labels}  # only these rows
    out.update(stated=stated_v[flag], measured=measured_v[flag],
               difference=(stated_v - measured_v)[flag], relative=relative[flag], unit=unit)
    columns = [*labels, "stated", "measured", "difference", "relative", "unit"]
    return pd.DataFrame(out, columns=columns)
