"""Per-township breakdown: lines split at township boundaries, polygons intersected.

Examples
--------
A 0.2° road across two townships that meet at 121.7 °E: half of it lies in each.

>>> import geopandas as gpd
>>> from shapely.geometry import LineString, box
>>> towns = gpd.GeoDataFrame({"name": ["西乡", "东镇"]},
...     geometry=[box(121.6, 42.0, 121.7, 42.1), box(121.7, 42.0, 121.8, 42.1)], crs="EPSG:4490")
>>> road = np.array([LineString([(121.6, 42.05), (121.8, 42.05)])])
>>> item, town, pieces = split_by_township(road, towns)
>>> item.tolist(), towns["name"].to_numpy()[town].tolist(), [round(p.length, 3) for p in pieces]
([0, 0], ['西乡', '东镇'], [0.1, 0.1])
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..vocabulary import GeometryFamily

__all__ = ["OUTSIDE", "assign_township", "outside_parts", "split_by_township"]

#: The township label of amounts that fall in no township polygon.
OUTSIDE = "(不在乡镇范围内)"



def _polygons(townships: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = np.asarray(townships.geometry.values)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return np.flatnonzero(usable), geoms[usable]


def split_by_township(
    geoms: np.ndarray, townships: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut lines and polygons into their pieces inside each township polygon.

    Parameters
    ----------
    geoms : array of shapely geometries
        Lines or polygons in the CRS of ``townships``.
    townships : GeoDataFrame
        Township polygons; rows without geometry are skipped.

    Returns
    -------
    item, township, pieces : ndarray
        For each non-empty piece: the position of its geometry in ``geoms``, the position of
        its township in ``townships``, and the piece (lines stay lines, polygons polygons).
        Pieces outside every township are not returned (the caller counts the remainder).
    """
    geoms = np.asarray(geoms, dtype=object)
    rows, polys = _polygons(townships)
    if not len(geoms) or not len(polys):
        empty = np.array([], dtype=np.intp)
        return empty, empty, np.array([], dtype=object)
    tree = shapely.STRtree(polys)
    item, town = tree.query(geoms, predicate="intersects")
    # most features lie inside one township: they are assigned whole, and only those that
    # cross a township line are cut (one vectorised covered_by over all pairs first)
    shapely.prepare(polys)  # prepared geometries must be the first argument
    whole = shapely.covers(polys[town], geoms[item])
    inside_one = np.zeros(len(geoms), dtype=bool)
    inside_one[item[whole]] = True
    _, first = np.unique(item[whole], return_index=True)
    first_whole = np.zeros(len(item), dtype=bool)
    first_whole[np.flatnonzero(whole)[first]] = True
    keep_pair = np.where(inside_one[item], first_whole, True)
    item, town, whole = item[keep_pair], town[keep_pair], whole[keep_pair]
    pieces = geoms[item].copy()
    cut = ~whole
    if cut.any():
        raw = shapely.intersection(geoms[item[cut]], polys[town[cut]])
        area_like = shapely.get_dimensions(geoms[item[cut]]) == 2
        pieces[cut] = np.where(area_like, GeometryFamily.POLYGON.only(raw),
                               GeometryFamily.LINE.only(raw))
    keep = ~shapely.is_empty(pieces)
    order = np.lexsort((town[keep], item[keep]))
    return item[keep][order], rows[town[keep]][order], pieces[keep][order]


def assign_township(geoms: np.ndarray, townships: gpd.GeoDataFrame) -> np.ndarray:
    """The township (row position) holding each feature's representative point, or -1.

    Points use themselves; lines and polygons a point on their surface. A point on a shared
    boundary goes to the first township in row order.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> towns = gpd.GeoDataFrame({"name": ["西乡", "东镇"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4490")
    >>> assign_township(np.array([Point(1.5, 0.5), Point(5, 5), Point(1, 0.5)]), towns).tolist()
    [1, -1, 0]
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), -1, dtype=np.intp)
    rows, polys = _polygons(townships)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not len(polys) or not valid.any():
        return out
    points = shapely.point_on_surface(geoms[valid])
    item, town = shapely.STRtree(polys).query(points, predicate="intersects")
    first = np.full(len(points), -1, dtype=np.intp)
    for i, j in sorted(zip(item.tolist(), town.tolist(), strict=True), reverse=True):
        first[i] = rows[j]
    out[np.flatnonzero(valid)] = first
    return out


def outside_parts(geoms: np.ndarray, townships: gpd.GeoDataFrame) -> np.ndarray:
    """The part of each line or polygon that lies in no township polygon (often empty).

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> towns = gpd.GeoDataFrame({"name": ["西乡"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4490")
    >>> [g.length for g in outside_parts(np.array([LineString([(0.5, 0.5), (2, 0.5)])]), towns)]
    [1.0]
    """
    geoms = np.asarray(geoms, dtype=object)
    _, polys = _polygons(townships)
    if not len(geoms):
        return geoms
    union = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    shapely.prepare(union)
    out = np.array([shapely.LineString()] * len(geoms), dtype=object)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    todo = np.flatnonzero(valid & ~shapely.covers(union, geoms))  # most lie inside
    if len(todo):
        rest = shapely.difference(geoms[todo], union)
        area_like = shapely.get_dimensions(geoms[todo]) == 2
        out[todo] = np.where(area_like, GeometryFamily.POLYGON.only(rest),
                              GeometryFamily.LINE.only(rest))
    return out
