"""Zonal statistics with exact fractional pixel coverage.

Each pixel is weighted by the fraction of its area that lies inside the feature (a pixel half
inside a plot counts half), computed exactly by :mod:`county_gis.raster._coverage`. So a plot
smaller than a pixel still gets a value — the value of the pixel(s) it lies on — where the
centre-of-pixel rule of ``rasterstats`` returns nothing for plots that hold no pixel centre
(one 30 m Landsat pixel is 1.35 亩; many mine plots are a few 亩).

What the statistics mean, with ``w`` the coverage of a pixel (0–1) and ``x`` its value, over the
pixels that hold a value (not nodata, not NaN):

========= ===================================================================================
mean      ``Σ w·x / Σ w`` (coverage-weighted mean)
min, max  smallest / largest value of a pixel with ``w > 0``
count     ``Σ w``: the *fractional* number of covered pixels with a value (pixel equivalents)
sum       ``Σ w·x`` (e.g. population or biomass rasters)
std       coverage-weighted population standard deviation
nodata    ``Σ w`` over nodata pixels inside the raster (values outside ``valid_range`` too)
out_of_range ``Σ w`` over pixels whose value lies outside ``valid_range`` (masked as nodata)
majority  the value with the largest covered area ``Σ w`` (land-cover classes; ties: the
          smallest value)
========= ===================================================================================

Values are taken with the band's scale and offset applied (``value · scale + offset``, e.g.
NDVI stored as int16 × 10,000 with scale 0.0001); nodata is tested on the stored value.

Pixels whose coverage is below :data:`MIN_COVERAGE` (1e-9 of a pixel) are not covered, for
every statistic: a plot drawn exactly on pixel edges lands a few 1e-11 of a pixel off them
once its coordinates are converted to pixels (``(x − x₀) / res`` in floating point), and
those slivers would otherwise make ``min`` / ``max`` pick up the neighbouring pixels.
Likewise coverage above ``1 − MIN_COVERAGE`` counts as the whole pixel, so such a plot gets
exactly its own pixels and an integer ``count``. A real share of a pixel that small is under
1e-6 m² of a 30 m pixel.

``coverage_fraction`` is always reported: ``count`` divided by the feature's area in pixels,
i.e. the share of the feature that has a value (1.0 inside the raster over valid data; lower
where the feature leaves the raster or lies on nodata). Weights are areas in the raster's own
CRS; on a geographic raster the change of pixel area with latitude inside one plot (a few
1e-5 over 1 km at 42 °N) is neglected.

Examples
--------
A raster whose value is the column index, and a plot covering columns 0.5–2.5 of row 0:
the mean is (½·0 + 1·1 + ½·2) / 2 = 1.

>>> import numpy as np, geopandas as gpd, rasterio, tempfile, os
>>> from rasterio.transform import Affine
>>> from shapely.geometry import box
>>> path = os.path.join(tempfile.mkdtemp(), "cols.tif")
>>> with rasterio.open(path, "w", driver="GTiff", width=4, height=2, count=1, dtype="float64",
...                    crs="EPSG:4549", transform=Affine(30, 0, 500000, 0, -30, 4650000)) as dst:
...     dst.write(np.tile(np.arange(4.0), (2, 1)), 1)
>>> plot = gpd.GeoSeries([box(500015, 4649970, 500075, 4650000)], crs="EPSG:4549")
>>> zonal_stats(plot, path, stats=("mean", "count", "min", "max"))
   mean  count  min  max  coverage_fraction
0   1.0    2.0  0.0  2.0                1.0
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from rasterio.windows import Window

from .._choice import Choice
from ..errors import CountyGisWarning, MeasureWarning
from ..vocabulary import GeometryFamily
from ._coverage import coverage_strips, ring_edges
from .dataset import (
    RasterLike,
    check_band,
    check_north_up,
    geometries_in_raster_crs,
    open_raster,
    raster_name,
)

__all__ = ["DEFAULT_STATS", "MIN_COVERAGE", "Stat", "zonal_stats"]

logger = logging.getLogger(__name__)

#: Pixels per strip: a large feature is read and covered strip by strip (1 M pixels, ~20 MB).
MAX_CELLS = 1_000_000
#: Coverage below this share of a pixel does not count (and above 1 minus it, counts as 1):
#: float slivers of plots drawn on pixel edges (~1e-11 of a pixel), not area.
MIN_COVERAGE = 1e-9

_POLYGONAL = GeometryFamily.POLYGON.type_ids


class Stat(Choice):
    """A zonal statistic; see the module docstring for the exact definitions.

    Examples
    --------
    >>> Stat.parse("Mean")
    <Stat.MEAN: 'mean'>
    >>> Stat.parse("median")
    Traceback (most recent call last):
    ...
    ValueError: stat was 'median' but is expected to be one of mean, min, max, ...
    """

    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    COUNT = "count"
    SUM = "sum"
    STD = "std"
    NODATA = "nodata"
    MAJORITY = "majority"
    OUT_OF_RANGE = "out_of_range"


#: The statistics computed when none are named.
DEFAULT_STATS: tuple[Stat, ...] = (Stat.MEAN, Stat.MIN, Stat.MAX, Stat.COUNT, Stat.SUM, Stat.STD)


def _parse_stats(stats: Iterable[Stat | str] | str) -> list[Stat]:
    if isinstance(stats, str | Stat):
        stats = [stats]
    parsed: list[Stat] = []
    for item in stats:
        stat = Stat.parse(item)
        if stat not in parsed:
            parsed.append(stat)
    if not parsed:
        raise ValueError("stats is empty; name at least one of " + ", ".join(s.value for s in Stat))
    return parsed


def _to_pixels(geoms: np.ndarray, transform: Any) -> np.ndarray:
    """Geometries in (column, row) pixel coordinates of a north-up grid."""
    a, c, e, f = transform.a, transform.c, transform.e, transform.f

    def forward(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - c) / a, (xy[:, 1] - f) / e])

    return shapely.transform(geoms, forward)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a repaired geometry (make_valid may add lines or points)."""
    parts = shapely.get_parts(geom)
    keep = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)]
    return shapely.union_all(keep) if len(keep) else shapely.Polygon()


class _Accumulator:
    """Running coverage-weighted sums of one feature, merged strip by strip."""

    def __init__(self, *, classes: bool = False, scale: float = 1.0, offset: float = 0.0,
                 valid_range: tuple[float, float] | None = None) -> None:
        self.scale = scale
        self.offset = offset
        self.valid_range = valid_range
        self.count = 0.0
        self.nodata = 0.0
        self.out_of_range = 0.0
        self.shift: float | None = None
        self.s1 = 0.0
        self.s2 = 0.0
        self.min = np.inf
        self.max = -np.inf
        self.classes: dict[float, float] | None = {} if classes else None

    def add(self, cov: np.ndarray, data: np.ma.MaskedArray) -> None:
        values = np.ma.getdata(data).astype(np.float64, copy=False)
        if self.scale != 1.0 or self.offset != 0.0:
            values = values * self.scale + self.offset
        valid = ~np.ma.getmaskarray(data) & np.isfinite(values)
        covered = cov > 0
        if self.valid_range is not None:
            lo, hi = self.valid_range
            outside = valid & ((values < lo) | (values > hi))
            self.out_of_range += float(cov[outside].sum())
            valid &= ~outside
        self.nodata += float(cov[~valid].sum())
        use = covered & valid
        if not use.any():
            return
        w = cov[use]
        x = values[use]
        if self.shift is None:
            self.shift = float(x[0])  # shifted sums keep the variance exact for large values
        d = x - self.shift
        self.count += float(w.sum())
        self.s1 += float(w @ d)
        self.s2 += float(w @ (d * d))
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))
        if self.classes is not None:
            values_in, inverse = np.unique(x, return_inverse=True)
            for value, area in zip(values_in.tolist(), np.bincount(inverse, weights=w).tolist(),
                                   strict=True):
                self.classes[value] = self.classes.get(value, 0.0) + area

    def result(self, stats: list[Stat]) -> list[float]:
        out: list[float] = []
        has = self.count > 0 and self.shift is not None
        shift = self.shift if self.shift is not None else 0.0
        mean = shift + self.s1 / self.count if has else np.nan
        for stat in stats:
            if stat is Stat.COUNT:
                out.append(self.count)
            elif stat is Stat.NODATA:
                out.append(self.nodata)
            elif stat is Stat.OUT_OF_RANGE:
                out.append(self.out_of_range)
            elif not has:
                out.append(np.nan)
            elif stat is Stat.MEAN:
                out.append(mean)
            elif stat is Stat.SUM:
                out.append(self.count * shift + self.s1)
            elif stat is Stat.STD:
                var = self.s2 / self.count - (self.s1 / self.count) ** 2
                out.append(float(np.sqrt(max(var, 0.0))))
            elif stat is Stat.MIN:
                out.append(self.min)
            elif stat is Stat.MAX:
                out.append(self.max)
            else:
                classes = self.classes or {}
                out.append(min(classes, key=lambda v: (-classes[v], v)))
        return out


def zonal_stats(
    layer: Any,
    raster: RasterLike,
    *,
    stats: Iterable[Stat | str] | str = DEFAULT_STATS,
    band: int = 1,
    max_cells: int = MAX_CELLS,
    valid_range: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Statistics of a raster band per polygon, pixels weighted by exact fractional coverage.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame or geopandas.GeoSeries
        Polygons with a CRS. They are reprojected to the raster's CRS when it differs.
    raster : path or rasterio dataset
        A north-up raster with a CRS; read window by window (per feature, in strips of at most
        ``max_cells`` pixels), never whole.
    stats : iterable of Stat or str, default mean, min, max, count, sum, std
        Names from :class:`Stat`; see the module docstring for their exact meaning.
    band : int, default 1
        The 1-based band to summarise.
    max_cells : int, default 1,000,000
        The largest window read at once.
    valid_range : (float, float), optional
        The physical range of the values (NDVI: ``(-1, 1)``): values outside it (fill values
        such as −9999 that the file does not declare as nodata) are masked like nodata and
        counted by the ``out_of_range`` statistic.

    Returns
    -------
    pandas.DataFrame
        One row per feature, aligned to ``layer`` (same index), a column per statistic and
        ``coverage_fraction``. Features without a value (outside the raster, on nodata only,
        empty or not polygons) get NaN statistics and ``count`` 0.

    Raises
    ------
    CRSError
        If the layer or the raster has no CRS.
    DataError
        If ``band`` does not exist or the grid is rotated.
    LayerReadError
        If the raster cannot be opened.

    Warns
    -----
    MeasureWarning
        For features that are not polygons or are null / empty (their row is NaN).
    CountyGisWarning
        For polygons that lie wholly outside the raster (often a CRS mix-up).

    Examples
    --------
    See the module docstring.
    """
    wanted = _parse_stats(stats)
    if isinstance(max_cells, bool) or not isinstance(max_cells, int) or max_cells < 1:
        raise ValueError(f"max_cells was {max_cells!r} but is expected to be a positive integer, "
                         f"e.g. {MAX_CELLS}")
    with open_raster(raster) as src:
        check_band(src, band)
        check_north_up(src)
        series = geometries_in_raster_crs(layer, src)
        geoms = np.asarray(series.values, dtype=object)
        polygonal = np.isin(shapely.get_type_id(geoms), _POLYGONAL)
        repair = polygonal & ~shapely.is_valid(geoms)
        if repair.any():  # bow-ties, overlapping parts: coverage needs valid polygons
            logger.info("zonal_stats: repairing %d invalid polygons", int(repair.sum()))
            geoms = geoms.copy()
            geoms[repair] = [_polygonal(shapely.make_valid(g)) for g in geoms[repair]]
        ok = polygonal & ~shapely.is_empty(geoms)
        if not ok.all():
            warnings.warn(
                f"{int((~ok).sum())} of {len(geoms)} features are not polygons, or are null or "
                "empty; their zonal statistics are NaN",
                MeasureWarning,
                stacklevel=2,
            )
        pixel_geoms = np.full(len(geoms), None, dtype=object)
        pixel_geoms[ok] = _to_pixels(geoms[ok], src.transform)
        pixel_area = np.zeros(len(geoms))
        pixel_area[ok] = shapely.area(pixel_geoms[ok])
        bounds = np.full((len(geoms), 4), np.nan)
        bounds[ok] = shapely.bounds(pixel_geoms[ok])
        computed = wanted if Stat.COUNT in wanted else [*wanted, Stat.COUNT]
        rows = np.full((len(geoms), len(computed)), np.nan)
        rows[ok, computed.index(Stat.COUNT)] = 0.0
        outside = 0
        height, width = src.height, src.width
        scale = float(src.scales[band - 1] or 1.0)
        offset = float(src.offsets[band - 1] or 0.0)
        for i in np.flatnonzero(ok):
            minx, miny, maxx, maxy = bounds[i]
            c0, r0 = int(max(np.floor(minx), 0)), int(max(np.floor(miny), 0))
            c1, r1 = int(min(np.ceil(maxx), width)), int(min(np.ceil(maxy), height))
            acc = _Accumulator(classes=Stat.MAJORITY in computed, scale=scale, offset=offset,
                               valid_range=valid_range)
            if c1 <= c0 or r1 <= r0:
                outside += 1
            else:
                edges = ring_edges(pixel_geoms[i])
                for top, cov in coverage_strips(edges, (r0, c0, r1, c1), max_cells=max_cells,
                                                 snap=MIN_COVERAGE):
                    window = Window(c0, top, c1 - c0, cov.shape[0])
                    acc.add(cov, src.read(band, window=window, masked=True))
            rows[i] = acc.result(computed)
        if outside:
            warnings.warn(
                f"{outside} of {len(geoms)} polygons lie wholly outside the raster "
                f"{raster_name(src)} (after reprojection to its CRS); check both CRSs",
                CountyGisWarning,
                stacklevel=2,
            )
    count = rows[:, computed.index(Stat.COUNT)]
    table = pd.DataFrame(rows[:, : len(wanted)], columns=[s.value for s in wanted],
                         index=series.index)
    fraction = np.full(len(geoms), np.nan)
    np.divide(count, pixel_area, out=fraction, where=pixel_area > 0)
    np.minimum(fraction, 1.0, out=fraction)  # snapped slivers may add ~1e-9 of a pixel
    table["coverage_fraction"] = fraction
    logger.debug("zonal_stats: %d features, %d outside the raster", len(geoms), outside)
    return table
