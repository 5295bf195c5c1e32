"""Exact fractional pixel coverage of polygons: the area of polygon ∩ pixel, per pixel.

The kernel works in *pixel coordinates* (column, row as floats; pixel ``(r, c)`` is the unit
square ``[c, c+1] × [r, r+1]``). It is the signed-area accumulation used by font rasterisers,
done in numpy without a loop per pixel or per edge:

1. every polygon edge is cut at each grid line it crosses, so each piece lies in one pixel;
2. a piece from ``(xa, ya)`` to ``(xb, yb)`` in pixel ``(r, c)`` adds
   ``dy · (c + 1 − xm)`` to that pixel and ``dy · (xm − c)`` to the next one, with
   ``dy = yb − ya`` and ``xm`` the piece's mid-x (the exact area between the piece and the
   pixel's right side, and the full height carried on to the right);
3. a cumulative sum along each row turns these into the signed area of the polygon inside
   every pixel (Green's theorem), exact up to floating-point rounding (~1e-15 of a pixel).

Holes subtract because rings are oriented first (exterior counter-clockwise, holes clockwise),
multi-parts add. Work is proportional to the number of edge pieces (the perimeter in pixels)
plus the window size, not to a polygon × pixel intersection.

Examples
--------
A 2 × 1 pixel rectangle shifted by half a pixel covers three columns: ½, 1, ½.

>>> from shapely.geometry import box
>>> cov, (r0, c0) = polygon_coverage(box(0.5, 0.0, 2.5, 1.0), (0, 0, 4, 2))
>>> (r0, c0), cov.tolist()
((0, 0), [[0.5, 1.0, 0.5]])
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import shapely

__all__ = ["coverage_strips", "polygon_coverage", "ring_edges"]

#: Coverage within this (in pixels) of 0 or of 1 is rounding noise and is snapped to 0 / 1
#: (the default of :func:`coverage_strips`; zonal statistics snap more, see
#: :data:`county_gis.raster.zonal.MIN_COVERAGE`).
COVERAGE_EPS = 1e-12


def ring_edges(geom: shapely.Geometry) -> np.ndarray:
    """The edges of a (multi)polygon as an ``(n, 4)`` array ``x0, y0, x1, y1``.

    Rings are oriented first: exteriors counter-clockwise, holes clockwise (in the
    coordinates as given), so that the signed coverage of the kernel is positive inside.
    """
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    rings = shapely.get_rings(shapely.get_parts(oriented))
    if len(rings) == 0:
        return np.empty((0, 4))
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    same = ring_index[1:] == ring_index[:-1]  # consecutive vertices of one ring form an edge
    return np.column_stack([coords[:-1][same], coords[1:][same]])


def _pieces(edges: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """Cut edges at the grid lines of the window; return ``(m, 4)`` pieces in one pixel each."""
    r0, c0, r1, c1 = window
    x0, y0, x1, y1 = edges.T
    n = len(edges)
    dx, dy = x1 - x0, y1 - y0
    ts = [np.zeros(n), np.ones(n)]
    ids = [np.arange(n), np.arange(n)]
    for lo_v, hi_v, start, delta, a, b in (
        (np.minimum(x0, x1), np.maximum(x0, x1), x0, dx, c0, c1),
        (np.minimum(y0, y1), np.maximum(y0, y1), y0, dy, r0, r1),
    ):
        first = np.maximum(np.ceil(lo_v), a)
        last = np.minimum(np.floor(hi_v), b)
        count = np.where(delta != 0, np.maximum(last - first + 1, 0), 0).astype(np.int64)
        total = int(count.sum())
        if total == 0:
            continue
        edge = np.repeat(np.arange(n), count)
        step = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        line = first[edge] + step
        ts.append((line - start[edge]) / delta[edge])
        ids.append(edge)
    t = np.concatenate(ts)
    edge = np.concatenate(ids)
    order = np.lexsort((t, edge))
    t, edge = t[order], edge[order]
    px = x0[edge] + t * dx[edge]
    py = y0[edge] + t * dy[edge]
    keep = edge[1:] == edge[:-1]
    return np.column_stack([px[:-1][keep], py[:-1][keep], px[1:][keep], py[1:][keep]])


def coverage_strips(
    edges: np.ndarray,
    window: tuple[int, int, int, int],
    *,
    max_cells: int = 4_000_000,
    snap: float = COVERAGE_EPS,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_row, coverage)`` strips of the window, each at most ``max_cells`` pixels.

    ``window`` is ``(r0, c0, r1, c1)`` in pixel indices (end exclusive); coverage outside it is
    not computed (parts of the polygon left of ``c0`` still count correctly for the pixels
    inside). ``coverage`` has shape ``(rows, c1 - c0)`` with values in [0, 1]; values below
    ``snap`` are set to 0 and values above ``1 - snap`` to 1.
    """
    r0, c0, r1, c1 = window
    width = c1 - c0
    if width <= 0 or r1 <= r0:
        return
    pieces = _pieces(edges, window) if len(edges) else np.empty((0, 4))
    xa = np.clip(pieces[:, 0], c0, c1)
    xb = np.clip(pieces[:, 2], c0, c1)
    dy = pieces[:, 3] - pieces[:, 1]
    ym = 0.5 * (pieces[:, 1] + pieces[:, 3])
    xm = 0.5 * (xa + xb)
    row = np.floor(ym).astype(np.int64)
    col = np.minimum(np.floor(xm), c1).astype(np.int64)
    keep = (row >= r0) & (row < r1) & (dy != 0)
    row, col, xm, dy = row[keep], col[keep], xm[keep], dy[keep]
    frac = xm - col
    stride = width + 2
    rows_per_strip = max(1, max_cells // stride)
    order = np.argsort(row, kind="stable")
    row, col, frac, dy = row[order], col[order], frac[order], dy[order]
    for top in range(r0, r1, rows_per_strip):
        bottom = min(top + rows_per_strip, r1)
        lo, hi = np.searchsorted(row, [top, bottom])
        h = bottom - top
        flat = (row[lo:hi] - top) * stride + (col[lo:hi] - c0)
        acc = np.bincount(flat, weights=dy[lo:hi] * (1.0 - frac[lo:hi]), minlength=h * stride)
        acc += np.bincount(flat + 1, weights=dy[lo:hi] * frac[lo:hi], minlength=h * stride + 1)[
            : h * stride
        ]
        cov = np.cumsum(acc.reshape(h, stride), axis=1)[:, :width]
        # counter-clockwise exteriors carry a negative height to their right: flip the sign
        cov = -cov
        cov[cov < snap] = 0.0
        cov[cov > 1.0 - snap] = 1.0
        yield top, cov


def polygon_coverage(
    geom: shapely.Geometry, bounds: tuple[int, int, int, int]
) -> tuple[np.ndarray, tuple[int, int]]:
    """Coverage of ``geom`` (in pixel coordinates) over its bounding window inside ``bounds``.

    Parameters
    ----------
    geom : shapely Polygon or MultiPolygon
        In pixel coordinates (column, row).
    bounds : tuple of int
        ``(c0, r0, c1, r1)``: the grid (end exclusive) the window is clipped to.

    Returns
    -------
    coverage : numpy.ndarray
        Fraction of each pixel inside ``geom``, shape ``(rows, cols)``.
    origin : tuple of int
        ``(row, col)`` of the window's first pixel.

    Examples
    --------
    A triangle of half a pixel inside one pixel:

    >>> from shapely.geometry import Polygon
    >>> cov, origin = polygon_coverage(Polygon([(3, 1), (4, 1), (4, 2)]), (0, 0, 10, 10))
    >>> origin, cov.tolist()
    ((1, 3), [[0.5]])
    """
    gc0, gr0, gc1, gr1 = bounds
    minx, miny, maxx, maxy = shapely.bounds(geom)
    c0 = int(max(np.floor(minx), gc0))
    r0 = int(max(np.floor(miny), gr0))
    c1 = int(min(np.ceil(maxx), gc1))
    r1 = int(min(np.ceil(maxy), gr1))
    if c1 <= c0 or r1 <= r0:
        return np.zeros((0, 0)), (r0, c0)
    out = np.zeros((r1 - r0, c1 - c0))
    for top, strip in coverage_strips(ring_edges(geom), (r0, c0, r1, c1)):
        out[top - r0 : top - r0 + len(strip)] = strip
    return out, (r0, c0)
