"""What counts toward a target: inside the boundary, each place once, the furthest status first.

The counting rules, stated once and applied everywhere (the progress table, the township
rows, the map's progress panel and every report, which all read the same results):

1. **Inside the project boundary.** Lines are cut and polygons clipped at the boundary; the
   part outside is not counted, and it is listed per feature (``outside`` of
   :class:`Counted`). A point outside the boundary is not counted either. A project without
   a boundary counts everything (and says so).
2. **Each place once.** Lines and polygons of one target that overlap — a plot digitised
   twice, a road collected twice or two roads sharing a stretch — count the union of their
   geometry. Where features of different statuses overlap, the shared part counts under the
   most advanced status: completed, then under construction, then planned. The union is
   taken only within *clusters* of features that touch each other (found with a spatial
   index); a feature that meets no other is counted as it is, so the cost is that of the
   overlaps, not of the layer.
3. **Repeated points once.** Points with the same ``project_id``, or within
   :data:`POINT_TOLERANCE_M` of each other, are one feature for count and sum targets (the
   first in layer order is kept; the others are listed).

Examples
--------
Two 1 km roads along the same parallel, the second half of one repeated by the other, and
a county boundary that ends at 121.7 °E:

>>> from shapely.geometry import LineString, box
>>> roads = np.array([LineString([(121.60, 42.0), (121.62, 42.0)]),
...                   LineString([(121.61, 42.0), (121.63, 42.0)])])
>>> counted = count_geometry(roads, np.array(["completed", "planned"]),
...                          boundary=box(121.5, 41.9, 121.625, 42.1))
>>> [round(g.length, 6) for g in counted.pieces], counted.keys.tolist()
([0.02, 0.005], ['completed', 'planned'])
>>> [round(g.length, 6) for g in counted.outside]
[0.0, 0.005]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from ..vocabulary import STATUSES, GeometryFamily

__all__ = ["POINT_TOLERANCE_M", "Counted", "clip_to", "clusters", "count_geometry",
           "priority_pieces", "repeated_points", "sharing_pairs"]

#: Points closer than this (metres) are the same place (a point collected twice).
POINT_TOLERANCE_M = 1.0
_M_PER_DEG = 111_000.0  # for the point tolerance only (about 1 % off in longitude at 42 °N)


@dataclass
class Counted:
    """What a target counts, as pieces with the status each counts under.

    Attributes
    ----------
    pieces : ndarray of shapely geometries
        Non-overlapping pieces inside the boundary: a feature that meets no other one of its
        target is its own piece; overlapping features are merged per status (the furthest
        status first). Their amounts add up to the target's amounts.
    keys : ndarray of str
        The status (or other label) of each piece.
    inside, outside : ndarray of shapely geometries
        Per input feature, its part inside and outside the boundary (empty when none).
    pairs : tuple of two int arrays
        The features (positions in the input) whose parts inside share length or area
        (:func:`sharing_pairs`): the overlaps and repeats counted once.
    """

    pieces: np.ndarray
    keys: np.ndarray
    inside: np.ndarray
    outside: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray]


_EMPTY = {GeometryFamily.POINT: shapely.Point(), GeometryFamily.LINE: shapely.LineString(),
          GeometryFamily.POLYGON: shapely.Polygon()}


def _empties(geoms: np.ndarray) -> np.ndarray:
    """An empty geometry of each geometry's family (geometries are immutable: shared)."""
    dims = shapely.get_dimensions(geoms)
    out = np.full(len(geoms), _EMPTY[GeometryFamily.POLYGON], dtype=object)
    out[dims == 0] = _EMPTY[GeometryFamily.POINT]
    out[dims == 1] = _EMPTY[GeometryFamily.LINE]
    return out


def clip_to(geoms: np.ndarray, boundary: shapely.Geometry | None
            ) -> tuple[np.ndarray, np.ndarray]:
    """The part of each geometry inside ``boundary`` and the part outside it.

    Only features that the boundary does not cover are cut (one vectorised ``covered_by``
    over all features with the boundary prepared first), so a county's worth of features
    inside it costs one predicate each. The parts keep their family: lines stay lines,
    polygons polygons (a polygon touching the boundary from outside has an empty inside).

    Parameters
    ----------
    geoms : array of shapely geometries
        Points, lines or polygons, in the CRS of ``boundary``.
    boundary : shapely geometry or None
        The project boundary; None keeps everything inside.

    Returns
    -------
    inside, outside : ndarray of shapely geometries

    Examples
    --------
    >>> from shapely.geometry import LineString, Point, box
    >>> inside, outside = clip_to(np.array([LineString([(0, 0), (2, 0)]), Point(5, 5)]),
    ...                           box(-1, -1, 1, 1))
    >>> [g.length for g in inside], [g.length for g in outside], outside[1].geom_type
    ([1.0, 0.0], [1.0, 0.0], 'Point')
    """
    geoms = np.asarray(geoms, dtype=object)
    inside = geoms.copy()
    outside = _empties(geoms)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if boundary is None or not present.any():
        return inside, outside
    shapely.prepare(boundary)  # the prepared geometry must be the first argument
    todo = np.flatnonzero(present & ~shapely.covers(boundary, geoms))
    if not len(todo):
        return inside, outside
    dims = shapely.get_dimensions(geoms[todo])
    points = todo[dims == 0]
    inside[points], outside[points] = outside[points], geoms[points]
    for dim, family in ((1, GeometryFamily.LINE), (2, GeometryFamily.POLYGON)):
        cut = todo[dims == dim]
        if len(cut):
            inside[cut] = family.only(shapely.intersection(geoms[cut], boundary))
            outside[cut] = family.only(shapely.difference(geoms[cut], boundary))
    return inside, outside


def clusters(geoms: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None
             ) -> np.ndarray:
    """Label each geometry with its cluster: the connected groups of overlapping geometries.

    Two polygons overlap when their interiors share an area, two lines when they share a
    stretch (their interiors meet in a line): polygons that only touch and roads that only
    cross are not merged — merging them would change nothing but add vertices. A spatial
    index (STRtree) finds the candidate pairs, one vectorised DE-9IM test keeps the
    overlapping ones, and labels spread along them until they settle (each label is the
    smallest position in its cluster).

    Examples
    --------
    The first and third squares overlap; the fourth only touches the third, the fifth the
    fourth:

    >>> from shapely.geometry import LineString, box
    >>> clusters(np.array([box(0, 0, 2, 2), box(5, 5, 6, 6), box(1, 1, 3, 3), box(2.5, 0, 4, 1),
    ...                    box(4, 0, 5, 1)])).tolist()
    [0, 1, 0, 3, 4]
    >>> clusters(np.array([LineString([(0, 0), (2, 0)]), LineString([(1, -1), (1, 1)]),
    ...                    LineString([(1.5, 0), (3, 0)])])).tolist()
    [0, 1, 0]
    """
    geoms = np.asarray(geoms, dtype=object)
    labels = np.arange(len(geoms))
    if len(geoms) < 2:
        return labels
    left, right = sharing_pairs(geoms) if pairs is None else pairs
    while len(left):
        low = np.minimum(labels[left], labels[right])
        new = labels.copy()
        np.minimum.at(new, left, low)
        np.minimum.at(new, right, low)
        new = new[new]  # pointer jumping: a label is a position whose label is smaller
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def sharing_pairs(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(i, j)``, ``i < j``, of geometries whose interiors share length or area.

    An STRtree finds the candidates whose envelopes meet; then the interiors are tested in the
    dimension of the features — not polygons that only touch, nor roads that only cross:

    - two polygonal features: they intersect and do not only touch (the interiors of two
      polygons are open sets of the plane: when they meet, they share an area — DE-9IM
      ``2********``, by two predicates GEOS answers without building the full matrix);
    - otherwise the DE-9IM pattern itself (``1********`` for lines).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> [p.tolist() for p in sharing_pairs(np.array([box(0, 0, 2, 2), box(1, 1, 3, 3),
    ...                                              box(2, 0, 3, 1)]))]
    [[0], [1]]
    """
    geoms = np.asarray(geoms, dtype=object)
    present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(present) < 2:
        return np.array([], dtype=np.intp), np.array([], dtype=np.intp)
    left, right = shapely.STRtree(geoms[present]).query(geoms[present])  # envelopes meet
    keep = left < right
    left, right = present[left[keep]], present[right[keep]]
    if len(left):
        a, b = geoms[left], geoms[right]
        polygonal = (np.isin(shapely.get_type_id(a), GeometryFamily.POLYGON.type_ids)
                     & np.isin(shapely.get_type_id(b), GeometryFamily.POLYGON.type_ids))
        shared = np.zeros(len(left), dtype=bool)
        if polygonal.any():
            pa, pb = a[polygonal], b[polygonal]
            meet = shapely.intersects(pa, pb)
            meet[meet] = ~shapely.touches(pa[meet], pb[meet])
            shared[polygonal] = meet
        other = np.flatnonzero(~polygonal)
        if other.size:
            dims = np.minimum(shapely.get_dimensions(a[other]), shapely.get_dimensions(b[other]))
            for dim in np.unique(dims):  # interiors meet in the dimension of the features
                both = other[dims == dim]
                shared[both] = shapely.relate_pattern(a[both], b[both],
                                                      f"{max(int(dim), 0)}********")
        left, right = left[shared], right[shared]
    return left, right


def priority_pieces(geoms: np.ndarray, keys: np.ndarray, order: Sequence[str], *,
                    pairs: tuple[np.ndarray, np.ndarray] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping pieces of ``geoms``, each under the first of ``order`` that covers it.

    Within each cluster of intersecting geometries the union of the geometries with
    ``order[0]`` comes first, then what those with ``order[1]`` add to it, and so on;
    a geometry that meets no other is its own piece. Geometries whose key is not in
    ``order`` are left out. Lines give lines and polygons polygons. ``pairs`` are
    :func:`sharing_pairs` of ``geoms`` when already found.

    Returns
    -------
    pieces, keys : ndarray
        The non-empty pieces and their keys.

    Examples
    --------
    Two 2 × 1 rectangles sharing a unit square, one completed and one planned, and a
    separate planned square:

    >>> from shapely.geometry import box
    >>> pieces, keys = priority_pieces(
    ...     np.array([box(0, 0, 2, 1), box(1, 0, 3, 1), box(5, 5, 6, 6)]),
    ...     np.array(["planned", "completed", "planned"]), ["completed", "planned"])
    >>> [(k, p.area) for k, p in zip(keys, pieces)]
    [('planned', 1.0), ('completed', 2.0), ('planned', 1.0)]
    """
    geoms = np.asarray(geoms, dtype=object)
    keys = np.asarray(keys, dtype=object)
    wanted = np.isin(keys, list(order)) & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if pairs is not None:  # renumber the pairs among the geometries kept
        new = np.cumsum(wanted) - 1
        both = wanted[pairs[0]] & wanted[pairs[1]]
        pairs = (new[pairs[0][both]], new[pairs[1][both]])
    geoms, keys = geoms[wanted], keys[wanted]
    if not len(geoms):
        return np.array([], dtype=object), np.array([], dtype=object)
    labels = clusters(geoms, pairs)
    sizes = np.bincount(labels, minlength=len(labels))
    alone = sizes[labels] == 1
    pieces: list[shapely.Geometry] = list(geoms[alone])
    out_keys: list[str] = list(keys[alone])
    area_like = shapely.get_dimensions(geoms) == 2
    members = np.flatnonzero(~alone)
    members = members[np.argsort(labels[members], kind="stable")]
    starts = np.flatnonzero(np.r_[True, labels[members][1:] != labels[members][:-1]])
    for group in np.split(members, starts[1:]) if len(members) else ():
        family = GeometryFamily.POLYGON if area_like[group[0]] else GeometryFamily.LINE
        present = [key for key in order if (keys[group] == key).any()]
        covered = None
        for n, key in enumerate(present):
            chosen = group[keys[group] == key]
            union = geoms[chosen[0]] if len(chosen) == 1 else shapely.union_all(geoms[chosen])
            piece = union if covered is None else shapely.difference(union, covered)
            piece = family.only([piece])[0]
            if not piece.is_empty:
                pieces.append(piece)
                out_keys.append(key)
            if n + 1 < len(present):  # a later status still has to be cut from it
                covered = union if covered is None else shapely.union(covered, union)
    return np.array(pieces, dtype=object), np.array(out_keys, dtype=object)


def count_geometry(geoms: np.ndarray, status: np.ndarray, *,
                   boundary: shapely.Geometry | None,
                   order: Sequence[str] = STATUSES[::-1]) -> Counted:
    """Apply the counting rules to the lines or polygons of one target.

    Parameters
    ----------
    geoms : array of shapely geometries
        The target's lines (or polygons), EPSG:4490.
    status : array of str
        Each feature's status; features with another value are not counted.
    boundary : shapely geometry or None
        The project boundary (None: nothing is cut).
    order : sequence of str, default completed, under_construction, planned
        Which status an overlap counts under (the first that has it).

    Returns
    -------
    Counted
    """
    inside, outside = clip_to(geoms, boundary)
    pairs = sharing_pairs(inside)
    pieces, keys = priority_pieces(inside, status, order, pairs=pairs)
    return Counted(pieces, keys, inside, outside, pairs)


def repeated_points(geoms: np.ndarray, ids: np.ndarray,
                    tolerance_m: float = POINT_TOLERANCE_M) -> np.ndarray:
    """For each point, the position of the earlier point it repeats, or -1.

    A point repeats an earlier one with the same (non-empty) id, or one within
    ``tolerance_m`` metres.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> pts = np.array([Point(121.6, 42.0), Point(121.6000001, 42.0), Point(121.7, 42.0),
    ...                 Point(121.8, 42.0)])
    >>> repeated_points(pts, np.array(["A", "B", "C", "A"])).tolist()
    [-1, 0, -1, 0]
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), -1, dtype=np.intp)
    first: dict[str, int] = {}
    for i, value in enumerate(ids):
        text = None if value is None or value != value else str(value).strip()
        if text:
            if text in first:
                out[i] = first[text]
            else:
                first[text] = i
    present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(present) > 1:
        points = geoms[present]
        left, right = shapely.STRtree(points).query(
            points, predicate="dwithin", distance=tolerance_m / _M_PER_DEG)
        keep = left > right
        for i, j in sorted(zip(present[left[keep]], present[right[keep]], strict=True)):
            if out[i] < 0 and out[j] < 0:
                out[i] = j
    return out
