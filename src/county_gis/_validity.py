"""Polygon validity for measurement: a cheap exact test first, GEOS for the rest.

``shapely.is_valid`` over 100,000 plots of ~120 vertices takes ~9 times as long as measuring
their areas (GEOS builds a noded graph of every ring). Most plots are star-shaped around their
area centroid, and for those a few numpy passes prove the ring simple:

*a closed ring whose every edge turns the same way, by less than 180°, around a point C
(every cross product* ``(Pᵢ − C) × (Pᵢ₊₁ − C)`` *of one sign) and which goes round C exactly
once is simple*: the edges then fill disjoint sectors round C, so two of them can only meet
at the vertex they share.

A one-ring polygon whose ring passes is valid; every other polygon (holes, several parts,
rings that fail or that the rounding of the cross products leaves in doubt, non-finite
coordinates) goes to :func:`shapely.is_valid`. The test never passes an invalid ring, so the
answer is exactly GEOS's, only sooner.

Examples
--------
A bow-tie fails the test (and GEOS calls it invalid); a square passes:

>>> import numpy as np
>>> x = np.array([0.0, 1, 1, 0, 0, 0, 1, 1, 0, 0])
>>> y = np.array([0.0, 1, 0, 1, 0, 0, 0, 1, 1, 0])
>>> star_simple(x, y, np.array([0, 5, 10]))
array([False,  True])
"""

from __future__ import annotations

import re

import numpy as np
import shapely

from .vocabulary import GeometryFamily

__all__ = ["is_valid", "polygons_valid", "reason_key", "repair_polygonal", "star_simple"]

#: A cross product counts as of one sign only when it exceeds this many times the square of
#: the largest offset from C in the chunk (its rounding error is below 1e-15 of that).
_CROSS_EPS = 1e-13
_POLYGON = int(shapely.GeometryType.POLYGON)
#: Coordinates per block of the star test: its ~20 temporary arrays of this length stay in the
#: CPU cache (a third less time than one pass over 10,000 plots of 125 vertices).
_BLOCK_COORDS = 1 << 17
_POLYGONAL_IDS = GeometryFamily.POLYGON.type_ids


def star_simple(x: np.ndarray, y: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """True for each closed ring that is provably simple (star-shaped round one point).

    Parameters
    ----------
    x, y : ndarray
        Coordinates, rings one after another, each closed and of at least 4 vertices.
    offsets : ndarray of int
        Ring ``i`` is ``x[offsets[i]:offsets[i + 1]]``.

    Returns
    -------
    ndarray of bool
        One per ring; False means "not proven" (the ring may still be simple).
    """
    rings = len(offsets) - 1
    out = np.zeros(rings, dtype=bool)
    first = 0
    while first < rings:  # blocks of whole rings that stay in the CPU cache
        last = int(np.searchsorted(offsets, offsets[first] + _BLOCK_COORDS, side="right")) - 1
        last = min(max(last, first + 1), rings)
        block = offsets[first:last + 1]
        out[first:last] = _star_block(x[block[0]:block[-1]], y[block[0]:block[-1]],
                                      block - block[0])
        first = last
    return out


def _star_block(x: np.ndarray, y: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """:func:`star_simple` of the rings of one block (offsets from 0)."""
    counts = np.diff(offsets)
    starts = offsets[:-1]
    if not x.size:
        return np.zeros(counts.size, dtype=bool)
    joins = offsets[1:-1] - 1
    # offsets from each ring's first vertex (exact: nearby coordinates subtract exactly) ...
    rx = np.subtract(x, np.repeat(x[starts], counts))
    ry = np.subtract(y, np.repeat(y[starts], counts))
    # ... then from C, the ring's area centroid: it lies in the kernel of far more rings than
    # the vertex mean, which unevenly spaced vertices pull aside (the test holds for any C)
    _to_area_centroid(rx, ry, starts, counts, joins)
    # cross[i] = r_i × r_{i+1}; the slot of each ring's last vertex joins it to the next ring
    cross = np.multiply(rx[:-1], ry[1:])
    cross -= np.multiply(ry[:-1], rx[1:])
    reach = max(float(rx.max()), -float(rx.min()), float(ry.max()), -float(ry.min()))
    eps = _CROSS_EPS * reach * reach
    # one sign for the whole ring: min > eps (counter-clockwise) or max < -eps (clockwise);
    # the orientation most rings of the chunk share is tried first, the other only if needed
    ccw_first = bool(np.count_nonzero(cross[starts] > 0.0) * 2 >= counts.size)
    one_way = _same_sign(cross, starts, joins, eps, ccw=ccw_first)
    if not one_way.all():
        one_way |= _same_sign(cross, starts, joins, eps, ccw=not ccw_first)
    # once round C: the ring enters and leaves the half-plane below C once each
    below = ry < 0.0
    flips = np.not_equal(below[1:], below[:-1])
    flips[joins] = False
    turns = np.add.reduceat(flips, starts, dtype=np.intp)
    return one_way & (turns == 2)


def _to_area_centroid(
    rx: np.ndarray, ry: np.ndarray, starts: np.ndarray, counts: np.ndarray, joins: np.ndarray
) -> None:
    """Shift each ring's offsets (in place) so that they are taken from its area centroid.

    A ring of zero area (no centroid) keeps the offsets it has.
    """
    # edge i joins vertex i to i + 1; the slot of a ring's last vertex (a join) counts 0, so
    # each ring's sums run over its own edges (every ring has 4 vertices or more)
    cross = np.multiply(rx[:-1], ry[1:])
    cross -= np.multiply(ry[:-1], rx[1:])
    cross[joins] = 0.0
    twice_area = np.add.reduceat(cross, starts)
    sx = np.add(rx[:-1], rx[1:])
    sx *= cross
    sy = np.add(ry[:-1], ry[1:])
    sy *= cross
    flat = twice_area == 0.0
    twice_area[flat] = np.inf  # no shift for a ring without area
    cx = np.add.reduceat(sx, starts) / (3.0 * twice_area)
    cy = np.add.reduceat(sy, starts) / (3.0 * twice_area)
    rx -= np.repeat(cx, counts)
    ry -= np.repeat(cy, counts)


def _same_sign(
    cross: np.ndarray, starts: np.ndarray, joins: np.ndarray, eps: float, *, ccw: bool
) -> np.ndarray:
    """Per ring: every cross product above ``eps`` (``ccw``) or below ``-eps``."""
    if ccw:
        cross[joins] = np.inf
        return np.minimum.reduceat(cross, starts) > eps
    cross[joins] = -np.inf
    return np.maximum.reduceat(cross, starts) < -eps


def polygons_valid(
    geoms: np.ndarray,
    type_ids: np.ndarray,
    coords: np.ndarray,
    offsets: np.ndarray,
    ring_feature: np.ndarray | None,
) -> np.ndarray:
    """Validity of polygonal ``geoms``, given their flattened rings (see ``_polygon_rings``).

    ``ring_feature is None`` means one ring per geometry (plain polygons).
    """
    passed = star_simple(coords[:, 0], coords[:, 1], offsets)
    if ring_feature is None:
        valid = passed
    else:
        valid = np.zeros(len(geoms), dtype=bool)
        valid[ring_feature[passed]] = True
        single = np.bincount(ring_feature, minlength=len(geoms)) == 1
        valid &= single & (type_ids == _POLYGON)
    rest = np.flatnonzero(~valid)
    if rest.size:
        valid[rest] = shapely.is_valid(geoms[rest])
    return valid


def is_valid(geoms: np.ndarray) -> np.ndarray:
    """``shapely.is_valid`` of any geometries, sooner: one-ring polygons by :func:`star_simple`.

    The same answer as :func:`shapely.is_valid` (a ring the cheap test cannot prove simple,
    and every other geometry, goes to GEOS). GEOS notices are not silenced here, so the call
    is safe in a worker thread (``shapely.is_valid`` changes the warning filters).

    Examples
    --------
    >>> from shapely.geometry import LineString, Polygon, box
    >>> bow = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> is_valid(np.array([box(0, 0, 1, 1), bow, LineString([(0, 0), (1, 1)]), None])).tolist()
    [True, False, True, False]
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=bool)
    simple = (shapely.get_type_id(geoms) == _POLYGON) & ~shapely.is_empty(geoms)
    simple[simple] = shapely.get_num_interior_rings(geoms[simple]) == 0
    candidates = np.flatnonzero(simple)
    if len(candidates):
        # a polygon without holes: its coordinates are its ring's (no ring copied out)
        counts = shapely.get_num_coordinates(geoms[candidates])
        enough = counts >= 4
        candidates, counts = candidates[enough], counts[enough]
        if len(candidates):
            xy = shapely.get_coordinates(geoms[candidates])
            offsets = np.concatenate([[0], np.cumsum(counts)])
            out[candidates] = star_simple(xy[:, 0], xy[:, 1], offsets)
    rest = np.flatnonzero(~out)
    if len(rest):
        out[rest] = shapely.lib.is_valid(geoms[rest])
    return out


_WHERE = re.compile(r"\s*\[[^\]]*\]\s*$")


def reason_key(reason: str) -> str:
    """GEOS's reason for invalidity without the place: ``'Self-intersection[0.5 0.5]'``.

    Examples
    --------
    >>> reason_key("Self-intersection[121.6 42.1]")
    'Self-intersection'
    """
    return _WHERE.sub("", reason)


def repair_polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry's repair (``shapely.make_valid``, "structure").

    The "structure" method keeps the area the rings enclose (a bow-tie becomes its two
    triangles, overlapping parts their union) and drops collapsed parts; what is not polygonal
    is dropped, and nothing polygonal left gives an empty polygon (area 0).

    Examples
    --------
    >>> bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> repaired = repair_polygonal(np.array([bow_tie]))
    >>> repaired[0].geom_type, float(repaired[0].area)
    ('MultiPolygon', 2.0)
    """
    fixed = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    mixed = np.flatnonzero(~np.isin(shapely.get_type_id(fixed), _POLYGONAL_IDS))
    for i in mixed:  # collections (rare): keep their polygons
        parts = shapely.get_parts(fixed[i])
        polygons = shapely.get_parts(parts[np.isin(shapely.get_type_id(parts), _POLYGONAL_IDS)])
        fixed[i] = shapely.multipolygons(polygons) if len(polygons) else shapely.Polygon()
    return fixed
