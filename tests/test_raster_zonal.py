"""Zonal statistics with exact fractional coverage (county_gis.raster.zonal)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import Affine
from shapely.geometry import MultiPolygon, Point, Polygon, box

from county_gis.errors import CountyGisWarning, CRSError, DataError, LayerReadError, MeasureWarning
from county_gis.raster import Stat, zonal_stats
from county_gis.raster._coverage import polygon_coverage

# a 30 m grid in CGCS2000 Gauss-Krüger zone 41, top-left corner at (500 000, 4 650 000)
X0, Y0, RES = 500_000.0, 4_650_000.0, 30.0
GK41 = "EPSG:4550"


def write_tif(path, array, *, transform=None, crs=GK41, nodata=None):
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None]
    with rasterio.open(
        path, "w", driver="GTiff", width=array.shape[2], height=array.shape[1],
        count=array.shape[0], dtype=array.dtype, crs=crs, nodata=nodata,
        transform=transform or Affine(RES, 0, X0, 0, -RES, Y0),
    ) as dst:
        dst.write(array)
    return path


def world(geom):
    """Pixel (col, row) coordinates -> GK41 metres of the test grid."""
    return shapely.transform(geom, lambda xy: np.column_stack([X0 + RES * xy[:, 0],
                                                               Y0 - RES * xy[:, 1]]))


@pytest.fixture
def field_tif(tmp_path):
    """40 x 30 pixels, value = column + 100 * row (float64)."""
    rows, cols = np.mgrid[0:30, 0:40]
    return write_tif(tmp_path / "field.tif", (cols + 100.0 * rows).astype("float64"))


def test_half_covered_pixels_count_half(field_tif):
    # columns 0.5..2.5 of row 0: weights 1/2, 1, 1/2 on values 0, 1, 2
    plots = gpd.GeoSeries([world(box(0.5, 0, 2.5, 1))], crs=GK41)
    out = zonal_stats(plots, field_tif, stats=["mean", "count", "sum", "min", "max", "std"])
    row = out.iloc[0]
    assert row["mean"] == pytest.approx(1.0, abs=1e-12)
    assert row["count"] == pytest.approx(2.0, abs=1e-12)
    assert row["sum"] == pytest.approx(2.0, abs=1e-12)
    assert (row["min"], row["max"]) == (0.0, 2.0)
    # weighted variance: (0.5 * 1 + 0 + 0.5 * 1) / 2 = 0.5
    assert row["std"] == pytest.approx(np.sqrt(0.5), abs=1e-12)
    assert row["coverage_fraction"] == pytest.approx(1.0, abs=1e-12)


def test_triangle_by_hand(field_tif):
    # triangle (0,0) (2,0) (0,2) in pixels: pixel (0,0) full, (0,1) and (1,0) half each
    # mean = (1*0 + 0.5*1 + 0.5*100) / 2 = 25.25
    plots = gpd.GeoSeries([world(Polygon([(0, 0), (2, 0), (0, 2)]))], crs=GK41)
    out = zonal_stats(plots, field_tif, stats="mean")
    assert out["mean"].iloc[0] == pytest.approx(25.25, abs=1e-9)


def test_matches_independent_intersection_to_1e9(field_tif):
    # many shapes: rotated squares, circles with holes, multi-parts, sub-pixel slivers
    rng = np.random.default_rng(42)
    shapes = []
    for _ in range(30):
        cx, cy = rng.uniform(3, 37), rng.uniform(3, 27)
        radius = rng.uniform(0.05, 3.0)
        ring = Point(cx, cy).buffer(radius, quad_segs=int(rng.integers(1, 9)))
        shape = shapely.affinity.rotate(ring, rng.uniform(0, 90))
        if rng.random() < 0.3:
            shape = shape.difference(Point(cx, cy).buffer(0.3 * radius))
        shapes.append(shape)
    shapes.append(MultiPolygon([box(1.2, 1.3, 2.7, 2.2), box(10.1, 20.5, 11.9, 21.4)]))
    with rasterio.open(field_tif) as src:
        values = src.read(1)
    expected = []
    for shape in shapes:
        c0, r0, c1, r1 = (int(v) for v in np.r_[np.floor(shape.bounds[:2]),
                                                   np.ceil(shape.bounds[2:])])
        cols, rows = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
        weights = shapely.area(shapely.intersection(shape, shapely.box(cols, rows, cols + 1,
                                                                         rows + 1)))
        expected.append((weights * values[rows, cols]).sum() / weights.sum())
    plots = gpd.GeoSeries([world(s) for s in shapes], crs=GK41)
    out = zonal_stats(plots, field_tif, stats="mean")
    np.testing.assert_allclose(out["mean"].to_numpy(), expected, rtol=0, atol=1e-9)


def test_kernel_matches_pixel_box_intersection_exactly():
    shape = Point(5.3, 4.1).buffer(3.7).difference(Point(5, 4).buffer(1.1))
    cov, (r0, c0) = polygon_coverage(shape, (0, 0, 20, 20))
    rows, cols = np.mgrid[r0 : r0 + cov.shape[0], c0 : c0 + cov.shape[1]]
    ref = shapely.area(shapely.intersection(shape, shapely.box(cols, rows, cols + 1, rows + 1)))
    np.testing.assert_allclose(cov, ref, rtol=0, atol=1e-12)
    assert cov.sum() == pytest.approx(shape.area, rel=1e-12)


# geographic grids whose edges are not exact in binary: (x - x0) / res lands ~1e-11 off a pixel edge
EDGE_GRIDS = [(121.3, 42.4, 0.001), (121.61, 42.13, 0.00025), (121.7, 42.2, 0.0003),
              (121.45, 41.9, 1 / 3600)]


def _edge_grid_tif(path, x0, y0, res):
    """8 x 9 pixels in EPSG:4490, value = column + 100 * row (all distinct)."""
    rows, cols = np.mgrid[0:8, 0:9]
    return write_tif(path, (cols + 100.0 * rows).astype("float64"), crs="EPSG:4490",
                     transform=Affine(res, 0, x0, 0, -res, y0))


@pytest.mark.parametrize(("x0", "y0", "res"), EDGE_GRIDS)
def test_plot_on_pixel_edges_gets_exactly_its_own_pixels(tmp_path, x0, y0, res):
    # the plot is exactly rows 2..4 and columns 3..5 (9 pixels): values 203 .. 405
    tif = _edge_grid_tif(tmp_path / "edges.tif", x0, y0, res)
    plot = box(x0 + 3 * res, y0 - 5 * res, x0 + 6 * res, y0 - 2 * res)
    out = zonal_stats(gpd.GeoSeries([plot], crs="EPSG:4490"), tif,
                      stats=["min", "max", "count", "mean"]).iloc[0]
    assert (out["min"], out["max"], out["count"]) == (203.0, 405.0, 9.0)
    assert out["mean"] == pytest.approx(304.0, abs=1e-9)  # (3+4+5)/3 + 100 * (2+3+4)/3
    assert out["coverage_fraction"] == pytest.approx(1.0, abs=1e-9)
    assert out["coverage_fraction"] <= 1.0


def test_real_slivers_above_the_threshold_still_count(tmp_path):
    # the same plot reaching 1e-6 of a pixel into column 2: a real (if tiny) share, 1000 x
    # MIN_COVERAGE, so min picks up column 2 (202) and count grows by 3e-6
    from county_gis.raster.zonal import MIN_COVERAGE

    x0, y0, res = EDGE_GRIDS[0]
    assert MIN_COVERAGE == 1e-9
    tif = _edge_grid_tif(tmp_path / "edges.tif", x0, y0, res)
    plot = box(x0 + (3 - 1e-6) * res, y0 - 5 * res, x0 + 6 * res, y0 - 2 * res)
    out = zonal_stats(gpd.GeoSeries([plot], crs="EPSG:4490"), tif,
                      stats=["min", "max", "count"]).iloc[0]
    assert (out["min"], out["max"]) == (202.0, 405.0)
    assert out["count"] == pytest.approx(9.0 + 3e-6, abs=1e-9)


def test_invalid_bow_tie_is_repaired(field_tif):
    # a bow-tie over pixels (0,0)-(2,2): two triangles of area 1, not +1 - 1 = 0
    bow = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    assert not bow.is_valid
    out = zonal_stats(gpd.GeoSeries([world(bow)], crs=GK41), field_tif, stats=["count", "mean"])
    assert out["count"].iloc[0] == pytest.approx(2.0, abs=1e-9)
    # triangles left (x<1) and right (x>1), each pixel a quarter of the 4 pixels covered half:
    # mean of values 0, 1, 100, 101 weighted equally = 50.5
    assert out["mean"].iloc[0] == pytest.approx(50.5, abs=1e-9)


def test_degenerate_polygon_is_nan_with_a_warning(field_tif):
    # a "polygon" with no area (all points on a line) repairs to nothing
    flat = Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])
    plots = gpd.GeoSeries([world(flat), world(box(0, 0, 1, 1))], crs=GK41)
    with pytest.warns(MeasureWarning, match="1 of 2 features are not polygons, or are null or "
                                            "empty"):
        out = zonal_stats(plots, field_tif, stats=["mean"])
    assert out["mean"].isna().tolist() == [True, False]
    with pytest.raises(ValueError, match="max_cells was 0 but is expected to be a positive"):
        zonal_stats(plots, field_tif, max_cells=0)


def test_plot_smaller_than_a_pixel_gets_its_pixel_value(field_tif):
    # a 10 m x 10 m plot (0.15 亩) inside pixel (row 3, col 7): value 307, count 100/900
    plots = gpd.GeoSeries([world(box(7.2, 3.3, 7.2 + 1 / 3, 3.3 + 1 / 3))], crs=GK41)
    out = zonal_stats(plots, field_tif, stats=["mean", "count", "min", "max"])
    assert out["mean"].iloc[0] == pytest.approx(307.0)
    assert out["count"].iloc[0] == pytest.approx(1 / 9, rel=1e-9)
    assert out["min"].iloc[0] == out["max"].iloc[0] == 307.0


def test_nodata_is_left_out_and_counted(tmp_path):
    data = np.array([[1.0, 2.0, -9999.0], [4.0, np.nan, 6.0]])
    path = write_tif(tmp_path / "nd.tif", data, nodata=-9999.0)
    plots = gpd.GeoSeries([world(box(0, 0, 3, 2)), world(box(2, 0, 3, 1))], crs=GK41)
    out = zonal_stats(plots, path, stats=["mean", "count", "nodata", "max"])
    # -9999 is nodata; NaN has no value either: mean of 1, 2, 4, 6
    assert out["mean"].iloc[0] == pytest.approx(13 / 4)
    assert out["count"].iloc[0] == pytest.approx(4.0)
    assert out["nodata"].iloc[0] == pytest.approx(2.0)
    assert out["max"].iloc[0] == 6.0
    assert out["coverage_fraction"].iloc[0] == pytest.approx(4 / 6)
    # a plot on nodata only: no value, count 0
    assert np.isnan(out["mean"].iloc[1])
    assert out["count"].iloc[1] == 0.0


def test_index_is_kept_and_lonlat_layer_is_reprojected(field_tif):
    plots = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[world(box(0.5, 0, 2.5, 1)), world(Polygon([(0, 0), (2, 0), (0, 2)]))],
        crs=GK41, index=["plot-7", "plot-9"],
    )
    lonlat = plots.to_crs("EPSG:4490")
    out = zonal_stats(lonlat, field_tif, stats="mean")
    assert list(out.index) == ["plot-7", "plot-9"]
    # reprojection round trip moves vertices by ~1e-9 m: same means to 1e-6
    np.testing.assert_allclose(out["mean"], [1.0, 25.25], atol=1e-6)


def test_large_feature_read_in_strips_gives_the_same_answer(field_tif):
    plots = gpd.GeoSeries([world(Point(20, 15).buffer(13.3))], crs=GK41)
    whole = zonal_stats(plots, field_tif)
    strips = zonal_stats(plots, field_tif, max_cells=45)  # one row of 41 + 2 per strip
    np.testing.assert_allclose(whole.to_numpy(), strips.to_numpy(), rtol=1e-12)


def test_partly_outside_raster(field_tif):
    # half of a 2 x 2 pixel plot hangs off the left edge
    plots = gpd.GeoSeries([world(box(-1, 0, 1, 2))], crs=GK41)
    out = zonal_stats(plots, field_tif, stats=["mean", "count"])
    assert out["mean"].iloc[0] == pytest.approx(50.0)  # values 0 and 100
    assert out["count"].iloc[0] == pytest.approx(2.0)
    assert out["coverage_fraction"].iloc[0] == pytest.approx(0.5)


def test_outside_raster_warns(field_tif):
    plots = gpd.GeoSeries([world(box(100, 100, 101, 101)), world(box(0, 0, 1, 1))], crs=GK41)
    with pytest.warns(CountyGisWarning, match=r"1 of 2 polygons lie wholly outside the raster "
                                              r"field.tif"):
        out = zonal_stats(plots, field_tif, stats="mean")
    assert np.isnan(out["mean"].iloc[0])
    assert out["mean"].iloc[1] == 0.0


def test_non_polygons_are_nan_with_a_warning(field_tif):
    plots = gpd.GeoSeries([world(Point(1, 1)), None, world(box(0, 0, 1, 1))], crs=GK41)
    with pytest.warns(MeasureWarning, match="2 of 3 features are not polygons"):
        out = zonal_stats(plots, field_tif, stats=["mean", "count"])
    assert out["mean"].isna().tolist() == [True, True, False]


def test_raster_without_crs_is_an_error(tmp_path):
    path = write_tif(tmp_path / "nocrs.tif", np.zeros((2, 2)), crs=None)
    plots = gpd.GeoSeries([world(box(0, 0, 1, 1))], crs=GK41)
    with pytest.raises(CRSError, match=r"the raster nocrs\.tif has no CRS"):
        zonal_stats(plots, path)


def test_layer_without_crs_is_an_error(field_tif):
    with pytest.raises(CRSError, match="the layer's geometries have no CRS"):
        zonal_stats(gpd.GeoSeries([world(box(0, 0, 1, 1))]), field_tif)


def test_bad_band_and_stat_and_path(field_tif, tmp_path):
    plots = gpd.GeoSeries([world(box(0, 0, 1, 1))], crs=GK41)
    with pytest.raises(DataError, match=r"field.tif: band was 2 but the raster has bands 1..1"):
        zonal_stats(plots, field_tif, band=2)
    with pytest.raises(ValueError, match="stat was 'median' but is expected to be one of mean"):
        zonal_stats(plots, field_tif, stats=["mean", "median"])
    with pytest.raises(LayerReadError, match="cannot open the raster"):
        zonal_stats(plots, tmp_path / "missing.tif")


def test_rotated_grid_is_refused(tmp_path):
    path = write_tif(tmp_path / "rot.tif", np.zeros((2, 2)),
                     transform=Affine(30, 5, X0, 5, -30, Y0))
    plots = gpd.GeoSeries([world(box(0, 0, 1, 1))], crs=GK41)
    with pytest.raises(DataError, match=r"rot\.tif: the raster grid is rotated or sheared"):
        zonal_stats(plots, path)


def test_geographic_raster(tmp_path):
    # 0.01 degree pixels over the county seat; value = column
    cols = np.tile(np.arange(10.0), (10, 1)).astype("float32")
    path = write_tif(tmp_path / "geo.tif", cols, crs="EPSG:4490",
                     transform=Affine(0.01, 0, 121.70, 0, -0.01, 42.10))
    plots = gpd.GeoSeries([box(121.725, 42.05, 121.745, 42.06)], crs="EPSG:4490")
    out = zonal_stats(plots, path, stats=["mean", "count"])
    # columns 2.5..4.5: weights 1/2, 1, 1/2 on 2, 3, 4
    assert out["mean"].iloc[0] == pytest.approx(3.0, abs=1e-9)
    assert out["count"].iloc[0] == pytest.approx(2.0, abs=1e-9)


def test_majority_of_land_cover_classes(tmp_path):
    # classes 10 (farmland) and 20 (forest), two rows alike
    classes = np.array([[10, 10, 20, 20], [10, 10, 20, 20]], dtype="uint8")
    path = write_tif(tmp_path / "lc.tif", classes)
    plots = gpd.GeoSeries([
        world(box(1.5, 0, 4, 2)),  # 10: 2 x 0.5 = 1 pixel; 20: 2 x 2 = 4 pixels
        world(box(1, 0, 3, 2)),    # 10: 2, 20: 2 -> a tie goes to the smaller value
    ], crs=GK41)
    # max_cells=3 forces one row per strip: the class areas are merged across strips
    out = zonal_stats(plots, path, stats=["majority", "count"], max_cells=3)
    assert out["majority"].tolist() == [20.0, 10.0]
    assert out["count"].tolist() == pytest.approx([5.0, 4.0])


def test_scale_and_offset_are_applied(tmp_path):
    # NDVI stored as int16 x 10,000 (MODIS style), nodata -3000 on the stored value
    path = tmp_path / "scaled.tif"
    stored = np.array([[4000, 6000, -3000]], dtype="int16")
    write_tif(path, stored, nodata=-3000)
    with rasterio.open(path, "r+") as dst:
        dst.scales = (0.0001,)
        dst.offsets = (0.0,)
    plots = gpd.GeoSeries([world(box(0, 0, 3, 1))], crs=GK41)
    out = zonal_stats(plots, path, stats=["mean", "max", "count"])
    assert out["mean"].iloc[0] == pytest.approx(0.5)
    assert out["max"].iloc[0] == pytest.approx(0.6)
    assert out["count"].iloc[0] == pytest.approx(2.0)


def test_stat_enum_accepted(field_tif):
    plots = gpd.GeoSeries([world(box(0, 0, 1, 1))], crs=GK41)
    out = zonal_stats(plots, field_tif, stats=[Stat.MAX])
    assert list(out.columns) == ["max", "coverage_fraction"]


# coordinates on a 1/1024 pixel lattice: vertices on grid lines happen often. (Free floats let
# hypothesis find subnormal coordinates such as 1e-308, where GEOS's own intersection is wrong.)
_coord = st.integers(-3 * 1024, 13 * 1024).map(lambda v: v / 1024)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_coord, _coord), min_size=3, max_size=12))
def test_coverage_matches_box_intersection_for_any_polygon(points):
    # any ring, made valid, on a 10 x 10 grid it may overhang: per-pixel areas agree to 1e-9
    shape = shapely.make_valid(Polygon(points))
    parts = shapely.get_parts(shape)
    shape = shapely.union_all(parts[shapely.get_type_id(parts) == 3])
    if shape.is_empty:
        return
    cov, (r0, c0) = polygon_coverage(shape, (0, 0, 10, 10))
    rows, cols = np.mgrid[0:10, 0:10]
    ref = shapely.area(shapely.intersection(shape, shapely.box(cols, rows, cols + 1, rows + 1)))
    full = np.zeros((10, 10))
    full[r0 : r0 + cov.shape[0], c0 : c0 + cov.shape[1]] = cov
    np.testing.assert_allclose(full, ref, rtol=0, atol=1e-9)
    inside = shapely.clip_by_rect(shape, 0, 0, 10, 10).area
    assert full.sum() == pytest.approx(inside, abs=1e-9)
