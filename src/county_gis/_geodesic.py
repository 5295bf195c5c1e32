"""Vectorised geodesic kernels on the GRS80 ellipsoid (CGCS2000).

Private plumbing for :mod:`county_gis.measure`. Inputs are flat coordinate arrays in
degrees plus offsets that cut them into rings or paths; outputs are one value per ring
or path. No Python loop runs per feature, ring or vertex.

Area
    Each ring is mapped to the authalic sphere (authalic latitude β, radius R_q), which
    preserves area exactly. Each edge contributes the signed area of the spherical
    trapezoid between it and the equator,
    ``E = 2 atan(tan(Δλ/2) (t₁ + t₂) / (1 + t₁ t₂))`` with ``t = tan(β/2)``, which is exact
    for a great-circle edge. The image of an ellipsoidal geodesic deviates from the great
    circle by a lens whose area grows with the cube of the edge length (about 1.5 m² for a
    10 km edge at Fuxin): edges longer than ``LONG_EDGE_DEG`` are therefore split at points
    computed on the geodesic itself (GeographicLib, through pyproj), which keeps the error
    below 1e-8 relative on every polygon class of the test suite.
Length
    A segment's length is ``hypot(M Δφ, N cos φₘ Δλ)`` with the meridional (M) and prime
    vertical (N) radii of curvature at the mid latitude φₘ: accurate to 2e-9 for segments up
    to 1 km. Longer segments are solved exactly with GeographicLib's inverse problem.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

from ._crs import GRS80_A, GRS80_F

__all__ = ["LONG_EDGE_DEG", "LONG_EDGE_M", "path_lengths", "ring_signed_areas"]

_E2 = GRS80_F * (2.0 - GRS80_F)
_E = np.sqrt(_E2)
#: Edges spanning more than this (degrees of latitude or longitude) are solved on the
#: true geodesic: ~1.1 km north-south, ~0.8 km east-west at Fuxin.
LONG_EDGE_DEG = 0.01
#: Segments longer than this (m) are measured with GeographicLib's inverse solution.
LONG_EDGE_M = 1000.0
_GEOD = Geod(a=GRS80_A, f=GRS80_F)


def _q(sin_phi: np.ndarray) -> np.ndarray:
    """Snyder's authalic function q(φ) of sin φ."""
    es = _E * sin_phi
    return (1.0 - _E2) * (sin_phi / (1.0 - es * es) + np.arctanh(es) / _E)


_QP = float(_q(np.array([1.0]))[0])
#: Radius² of the authalic sphere.
_RQ2 = GRS80_A * GRS80_A * _QP / 2.0
_HALF_RAD = np.pi / 360.0  # degrees -> half-angle radians


def _sin_cos_deg(deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of angles in degrees through tan of the half angle.

    numpy's float64 ``tan`` is vectorised (SIMD) where ``sin`` and ``cos`` are not: this is
    ~3x faster and exact to a few ulp for |angle| < 180°.
    """
    u = np.tan(deg * _HALF_RAD)
    u2 = u * u
    inv = 1.0 / (1.0 + u2)
    return 2.0 * u * inv, (1.0 - u2) * inv


def _half_tan_authalic(lat_deg: np.ndarray) -> np.ndarray:
    """tan(β/2) for geodetic latitudes in degrees (β: authalic latitude)."""
    sin_beta = _q(_sin_cos_deg(lat_deg)[0]) * (1.0 / _QP)
    return sin_beta / (1.0 + np.sqrt(1.0 - sin_beta * sin_beta))


def _trapezoids(dlon_deg: np.ndarray, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Signed spherical trapezoid (steradians) between great-circle edges and the equator."""
    return 2.0 * np.arctan(np.tan(dlon_deg * _HALF_RAD) * (t1 + t2) / (1.0 + t1 * t2))


def _wrap180(dlon: np.ndarray) -> np.ndarray:
    if dlon.size and np.abs(dlon).max() > 180.0:
        dlon = (dlon + 180.0) % 360.0 - 180.0
    return dlon


def _zero_joins(edge_values: np.ndarray, offsets: np.ndarray) -> None:
    """Zero the pseudo-edges that join the last vertex of a ring/path to the next one's first."""
    cuts = offsets[1:-1] - 1
    edge_values[cuts[(cuts >= 0) & (cuts < edge_values.size)]] = 0.0


def _sum_per_part(edge_values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum the edge values of each ring/path (edge i joins vertices i and i + 1)."""
    padded = np.append(edge_values, 0.0)  # one slot per vertex; joins are zero already
    sums = np.add.reduceat(padded, np.minimum(offsets[:-1], padded.size - 1))
    sums[np.diff(offsets) < 2] = 0.0
    return sums


def _geodesic_subdivide(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray, span: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Split long edges into pieces spanning at most LONG_EDGE_DEG, on the true geodesic.

    Returns the pieces as rows ``(lon1, lat1, lon2, lat2)`` and, per piece, its edge index.
    """
    pieces = np.ceil(span / LONG_EDGE_DEG).astype(np.int64)
    az, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    edge = np.repeat(np.arange(lon1.size), pieces + 1)
    first = np.repeat(np.cumsum(pieces + 1) - (pieces + 1), pieces + 1)
    k = np.arange(edge.size) - first  # 0..pieces for each edge
    frac = k / pieces[edge]
    lon, lat, _ = _GEOD.fwd(lon1[edge], lat1[edge], az[edge], dist[edge] * frac)
    lon = np.asarray(lon)
    lat = np.asarray(lat)
    last = k == pieces[edge]
    lon[last] = lon2[edge[last]]  # end exactly on the given vertex
    lat[last] = lat2[edge[last]]
    start = ~last
    nxt = np.flatnonzero(start) + 1
    return (
        np.column_stack([lon[start], lat[start], lon[nxt], lat[nxt]]),
        edge[start],
    )


def ring_signed_areas(lon: np.ndarray, lat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Signed geodesic area (m²) of each closed ring; the sign follows the orientation.

    Parameters
    ----------
    lon, lat : ndarray
        Coordinates in degrees, rings one after another, each closed (last == first).
    offsets : ndarray of int
        Ring ``i`` is ``lon[offsets[i]:offsets[i + 1]]``.

    Returns
    -------
    ndarray
        One signed area per ring (positive for counter-clockwise rings).
    """
    n_rings = offsets.size - 1
    if lon.size < 2:
        return np.zeros(n_rings)
    t = _half_tan_authalic(lat)
    dlon = _wrap180(lon[1:] - lon[:-1])
    dlat = lat[1:] - lat[:-1]
    _zero_joins(dlon, offsets)
    _zero_joins(dlat, offsets)
    trap = _trapezoids(dlon, t[:-1], t[1:])
    long_edges = np.flatnonzero((np.abs(dlon) > LONG_EDGE_DEG) | (np.abs(dlat) > LONG_EDGE_DEG))
    if long_edges.size:
        span = np.maximum(np.abs(dlon[long_edges]), np.abs(dlat[long_edges]))
        seg, owner = _geodesic_subdivide(
            lon[long_edges], lat[long_edges], lon[long_edges + 1], lat[long_edges + 1], span
        )
        sub = _trapezoids(
            _wrap180(seg[:, 2] - seg[:, 0]),
            _half_tan_authalic(seg[:, 1]),
            _half_tan_authalic(seg[:, 3]),
        )
        trap[long_edges] = np.bincount(owner, weights=sub, minlength=long_edges.size)
    return -_RQ2 * _sum_per_part(trap, offsets)


def path_lengths(lon: np.ndarray, lat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Geodesic length (m) of each path (a line or a ring) on GRS80.

    Parameters
    ----------
    lon, lat : ndarray
        Coordinates in degrees, paths one after another.
    offsets : ndarray of int
        Path ``i`` is ``lon[offsets[i]:offsets[i + 1]]``.
    """
    n_paths = offsets.size - 1
    if lon.size < 2:
        return np.zeros(n_paths)
    dphi = np.radians(lat[1:] - lat[:-1])
    dlam = np.radians(_wrap180(lon[1:] - lon[:-1]))
    sin_m, cos_m = _sin_cos_deg(0.5 * (lat[1:] + lat[:-1]))
    w = 1.0 - _E2 * sin_m * sin_m
    # N = a / sqrt(w), M = N (1 - e²) / w: seg = N sqrt((M/N dφ)² + (cos φ dλ)²)
    north = ((1.0 - _E2) / w) * dphi
    east = cos_m * dlam
    seg = (GRS80_A / np.sqrt(w)) * np.sqrt(north * north + east * east)
    _zero_joins(seg, offsets)
    long_edges = np.flatnonzero(seg > LONG_EDGE_M)
    if long_edges.size:
        seg[long_edges] = _GEOD.inv(
            lon[long_edges], lat[long_edges], lon[long_edges + 1], lat[long_edges + 1]
        )[2]
    return _sum_per_part(seg, offsets)
