"""Measurement: hand-checkable numbers, agreement with GeographicLib, and the edge cases."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.polygon import orient

from county_gis import (
    AreaUnit,
    CRSError,
    LengthUnit,
    UnitError,
    geodesic_area,
    geodesic_length,
    geodesic_perimeter,
)
from county_gis.errors import MeasureWarning
from county_gis.measure import Method, measure_table

GEOD = Geod(ellps="GRS80")
SEAT = (121.745, 42.059)  # the county seat, 阜新镇 / 城区街道


def geod_area(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def star(lon: float, lat: float, radius_m: float, n: int, rng: np.random.Generator) -> Polygon:
    """A star-shaped plot of n vertices around (lon, lat), radius jittered by up to 25 %."""
    angles = 2 * np.pi * (np.arange(n) + rng.uniform(0, 0.8, n)) / n
    r = radius_m * rng.uniform(0.75, 1.0, n)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), np.degrees(angles), r)
    return Polygon(np.column_stack([lons, lats]))


# --- hand-checkable numbers -------------------------------------------------------------


def test_county_area_is_the_published_6215_km2(county):
    # 6,215.00 km² geodesic (SOURCES.md, pyproj Geod); clockwise rings and a hole.
    area = geodesic_area(county, unit="平方公里")
    assert area.iloc[0] == pytest.approx(6215.0, abs=0.05)
    assert area.name == "area_km2"
    assert area.attrs["unit"] is AreaUnit.SQUARE_KILOMETRE


def test_county_perimeter_counts_the_hole(county):
    # exterior 461.36 km + hole 176.12 km (SOURCES.md)
    assert geodesic_perimeter(county, unit="km").iloc[0] == pytest.approx(637.48, abs=0.01)


def test_one_mu_is_666_67_square_metres():
    assert AreaUnit.MU.to_base(1.0) == pytest.approx(666.67, abs=0.005)
    assert AreaUnit.HECTARE.to_base(1.0) == AreaUnit.MU.to_base(15.0)
    assert AreaUnit.WAN_MU.to_base(1.0) == pytest.approx(AreaUnit.MU.to_base(10_000))
    assert AreaUnit.SQUARE_KILOMETRE.from_base(1e6) == 1.0


def test_one_degree_of_latitude_near_42n():
    # Length of one degree of latitude centred on φ (standard series for the ellipsoid):
    # 111,132.954 − 559.822 cos 2φ + 1.175 cos 4φ m; at 42° that is 111,073.29 m.
    phi = math.radians(42.0)
    expected = 111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    meridian = LineString([(121.5, 41.5), (121.5, 42.5)])
    measured = geodesic_length(meridian, crs="EPSG:4490").iloc[0]
    assert measured == pytest.approx(expected, abs=0.5)
    assert measured == pytest.approx(111_073.29, abs=0.5)


def test_one_km_square_laid_out_with_geodesic_offsets():
    a = SEAT
    b = GEOD.fwd(*a, 0.0, 1000.0)[:2]  # 1 km north
    d = GEOD.fwd(*a, 90.0, 1000.0)[:2]  # 1 km east
    c = GEOD.fwd(*d, 0.0, 1000.0)[:2]  # then 1 km north
    square = Polygon([a, d, c, b])
    area = geodesic_area(square, crs="EPSG:4490").iloc[0]
    # meridians converge: the top edge is shorter by tan φ · 1 km / R ≈ 1.4e-4 of 1 km
    assert area == pytest.approx(1e6, rel=1e-4)
    assert geodesic_area(square, crs="EPSG:4490", unit="亩").iloc[0] == pytest.approx(1500, abs=0.2)
    assert area == pytest.approx(geod_area(square), rel=1e-9)
    assert geodesic_perimeter(square, crs="EPSG:4490").iloc[0] == pytest.approx(4000, abs=0.2)


def test_web_mercator_would_overstate_area_by_81_percent():
    plot = box(121.7, 42.0, 121.71, 42.01)
    mercator = gpd.GeoSeries([plot], crs="EPSG:4490").to_crs("EPSG:3857").area.iloc[0]
    ratio = mercator / geodesic_area(plot, crs="EPSG:4490").iloc[0]
    assert ratio == pytest.approx(1 / math.cos(math.radians(42.005)) ** 2, rel=5e-3)
    assert ratio == pytest.approx(1.81, abs=0.01)


# --- agreement with GeographicLib on each class of the issue ----------------------------


def test_mine_sites_up_to_5_km2_agree_with_geographiclib():
    rng = np.random.default_rng(7)
    sites = [star(121.3 + 0.1 * i, 42.3, r, n, rng)
             for i, (r, n) in enumerate([(1420, 24), (900, 60), (400, 12), (200, 200)])]
    ours = geodesic_area(sites, crs="EPSG:4490").to_numpy()
    ref = np.array([geod_area(g) for g in sites])
    assert ref.max() > 4e6  # the biggest is ~5 km²
    np.testing.assert_allclose(ours, ref, rtol=1e-7)


def test_county_boundary_agrees_with_geographiclib(county):
    geom = county.geometry.iloc[0]
    assert geodesic_area(county).iloc[0] == pytest.approx(geod_area(geom), rel=1e-7)


@pytest.mark.parametrize("edge_km", [20, 50, 80])
def test_polygons_with_edges_tens_of_km_long_follow_the_geodesics(edge_km):
    # edges are geodesics: the authalic-sphere great circle alone would be off by ~1e-6 at 80 km
    corners = [SEAT]
    for azimuth in (20.0, 110.0, 200.0):
        corners.append(GEOD.fwd(*corners[-1], azimuth, edge_km * 1000.0)[:2])
    quad = Polygon(corners)
    assert geodesic_area(quad, crs="EPSG:4490").iloc[0] == pytest.approx(geod_area(quad), rel=1e-8)
    assert geodesic_perimeter(quad, crs="EPSG:4490").iloc[0] == pytest.approx(
        GEOD.geometry_area_perimeter(quad)[1], rel=1e-9
    )


def test_roads_up_to_2000_vertices_agree_with_geographiclib():
    rng = np.random.default_rng(11)
    roads = []
    for n, step in [(2000, 15.0), (300, 100.0), (50, 10.0), (12, 2500.0)]:
        heading = rng.uniform(0, 360) + np.cumsum(rng.normal(0, 8, n - 1))
        lon, lat = [SEAT[0]], [SEAT[1]]
        for h in heading:
            x, y, _ = GEOD.fwd(lon[-1], lat[-1], h, step)
            lon.append(x)
            lat.append(y)
        roads.append(LineString(np.column_stack([lon, lat])))
    ours = geodesic_length(roads, crs="EPSG:4490", unit="km").to_numpy()
    ref = np.array([GEOD.geometry_length(r) for r in roads]) / 1000
    assert 29.0 < ref[0] < 30.0 and 0.4 < ref[2] < 0.5  # 0.5–30 km roads
    np.testing.assert_allclose(ours, ref, rtol=1e-7)


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(121.05, 122.4),
    lat=st.floats(41.8, 42.55),
    hectares=st.floats(0.1, 500.0),
    n=st.integers(20, 200),
    seed=st.integers(0, 2**32 - 1),
)
def test_plots_agree_with_geographiclib(lon, lat, hectares, n, seed):
    rng = np.random.default_rng(seed)
    plot = star(lon, lat, math.sqrt(hectares * 1e4 / math.pi) / 0.875, n, rng)
    ours = geodesic_area(plot, crs="EPSG:4490").iloc[0]
    ref, perimeter = GEOD.geometry_area_perimeter(plot)
    # GeographicLib sums per-edge areas measured from the equator; its own round-off is about
    # 2e-6 m² per vertex here, at most 3e-6 in 6,000 random plots (see README, performance,
    # and the exact 40-digit reference test above), which bounds the comparison for the
    # smallest plots. An equal-area projection
    # centred on the plot gives a second reference, without that round-off but with straight
    # edges in the projection instead of geodesics: 1e-9 off for 20 edges of 300 m.
    assert ours == pytest.approx(abs(ref), rel=1e-9, abs=4e-6 * n)
    laea = f"+proj=laea +lat_0={lat} +lon_0={lon} +ellps=GRS80"
    projected = gpd.GeoSeries([plot], crs="EPSG:4490").to_crs(laea).area.iloc[0]
    assert ours == pytest.approx(projected, rel=5e-9)
    assert geodesic_perimeter(plot, crs="EPSG:4490").iloc[0] == pytest.approx(perimeter, rel=1e-8)


def exact_area(geom: Polygon) -> float:
    """Area of a small ring in 40-digit arithmetic: the authalic sphere, edge by edge.

    Each edge's trapezoid to the equator on the authalic sphere (which preserves area
    exactly) is 2 atan(tan(Δλ/2) (t₁ + t₂) / (1 + t₁ t₂)), t = tan(β/2). Edges are taken as
    great circles there; for edges of a few metres the difference to the geodesic is
    below 1e-12 of the area (it grows with the cube of the edge length).
    """
    mp = pytest.importorskip("mpmath")
    with mp.workdps(40):
        a, e2 = mp.mpf(GEOD.a), mp.mpf(GEOD.es)
        e = mp.sqrt(e2)

        def q(s):
            return (1 - e2) * (s / (1 - e2 * s * s) + mp.atanh(e * s) / e)

        qp = q(mp.mpf(1))
        coords = shapely.get_coordinates(geom.exterior)
        sb = [q(mp.sin(mp.radians(mp.mpf(float(y))))) / qp for y in coords[:, 1]]
        t = [s / (1 + mp.sqrt(1 - s * s)) for s in sb]
        total = mp.mpf(0)
        for i in range(len(coords) - 1):
            half = mp.radians(mp.mpf(float(coords[i + 1, 0])) - mp.mpf(float(coords[i, 0]))) / 2
            total += 2 * mp.atan(mp.tan(half) * (t[i] + t[i + 1]) / (1 + t[i] * t[i + 1]))
        return float(abs(a * a * qp / 2 * total))


@pytest.mark.parametrize(("hectares", "n", "seed"), [(0.1, 120, 1), (0.1, 200, 2), (0.3, 60, 3), (1.0, 20, 4)])
def test_small_plots_agree_with_an_exact_40_digit_reference(hectares, n, seed):
    # GeographicLib differs from this reference by up to ~1.5e-7 on 0.1 ha plots (its own
    # round-off; bench/measure.py prints it); county_gis must not.
    rng = np.random.default_rng(seed)
    plot = star(*SEAT, math.sqrt(hectares * 1e4 / math.pi) / 0.875, n, rng)
    exact = exact_area(plot)
    assert exact == pytest.approx(hectares * 1e4, rel=0.5)  # the plot is about the size asked
    assert geodesic_area(plot, crs="EPSG:4490").iloc[0] == pytest.approx(exact, rel=1e-9)


def test_area_does_not_move_when_the_plot_moves_along_its_parallel():
    # A shift in longitude (or a mirror across the equator) is an exact symmetry of the
    # ellipsoid: the area must not change. (GeographicLib's own results for this plot spread
    # by ~1e-7: the round-off the 1e-7 comparison with it runs into.)
    rng = np.random.default_rng(5)
    plot = star(*SEAT, 20.0, 120, rng)  # ~0.1 ha
    coords = shapely.get_coordinates(plot)
    shifts = np.array([0.0, -60.0, -1.0, 0.37, 1.0, 13.0, 57.0])
    moved = [Polygon(np.column_stack([coords[:, 0] + s, coords[:, 1]])) for s in shifts]
    moved.append(Polygon(np.column_stack([coords[:, 0], -coords[:, 1]])))
    areas = geodesic_area(moved, crs="EPSG:4490").to_numpy()
    assert areas.max() / areas.min() - 1.0 < 1e-10


@pytest.mark.parametrize("lat", [-89.0, -62.0, 75.0, 89.0])
def test_far_from_fuxin_too(lat):
    # the mid-latitude segment formula loses accuracy towards the poles: beyond 60° the
    # segments go to GeographicLib
    road = LineString([(10.0, lat), (10.003, lat + 0.0002), (10.01, lat + 0.0004)])
    assert geodesic_length(road, crs="EPSG:4326").iloc[0] == pytest.approx(
        GEOD.geometry_length(road), rel=1e-12
    )
    plot = box(10.0, lat, 10.5, lat + 0.3 * np.sign(-lat))
    assert geodesic_area(plot, crs="EPSG:4326").iloc[0] == pytest.approx(geod_area(plot), rel=1e-9)


@pytest.mark.parametrize(("lat", "step"), [(80.0, 5.0), (-80.0, -5.0), (-45.0, 5.0)])
def test_rings_round_a_pole(lat, step):
    # a ring along a parallel, round the globe: the cap beyond it (the smaller region),
    # edges being geodesics; either orientation
    lons = np.arange(-180.0, 180.0, abs(step))[:: int(np.sign(step))]
    ring = Polygon(np.column_stack([lons, np.full(lons.size, lat)]))
    assert geodesic_area(ring, crs="EPSG:4326").iloc[0] == pytest.approx(geod_area(ring), rel=1e-9)


def test_edges_across_the_antimeridian():
    # 0.01° × 0.01° straddling 180°, and the same at 0°: the same area and boundary
    across = Polygon([(179.995, 42.0), (-179.995, 42.0), (-179.995, 42.01), (179.995, 42.01)])
    here = box(-0.005, 42.0, 0.005, 42.01)
    area = geodesic_area([across, here], crs="EPSG:4490").to_numpy()
    assert area[0] == pytest.approx(area[1], rel=1e-9)
    assert area[0] == pytest.approx(geod_area(across), rel=1e-7)
    road = LineString([(179.999, 42.0), (-179.999, 42.0)])  # 0.002° of longitude, ~166 m
    assert geodesic_length(road, crs="EPSG:4490").iloc[0] == pytest.approx(
        GEOD.geometry_length(road), rel=1e-9
    )


# --- structure: holes, orientation, parts, types ----------------------------------------


def test_holes_subtract_orientation_does_not_matter_parts_add():
    outer = box(121.60, 42.10, 121.64, 42.13)
    inner = box(121.61, 42.11, 121.62, 42.12)
    other = box(121.70, 42.20, 121.71, 42.21)
    a_outer, a_inner, a_other = geodesic_area([outer, inner, other], crs="EPSG:4490")
    holed = Polygon(outer.exterior.coords, [inner.exterior.coords])
    shapes = [
        holed,
        orient(holed, sign=1.0),
        orient(holed, sign=-1.0),
        Polygon(outer.exterior.coords[::-1], [inner.exterior.coords[::-1]]),
        MultiPolygon([holed, other]),
    ]
    got = geodesic_area(shapes, crs="EPSG:4490").to_numpy()
    np.testing.assert_allclose(got[:4], a_outer - a_inner, rtol=1e-12)
    assert got[4] == pytest.approx(a_outer - a_inner + a_other, rel=1e-12)
    # pyproj's Geod needs the rings oriented (shell counter-clockwise, holes clockwise)
    assert got[4] == pytest.approx(geod_area(MultiPolygon([orient(holed), other])), rel=1e-7)


def test_lines_have_no_area_and_polygons_no_length():
    road = LineString([(121.6, 42.1), (121.61, 42.1)])
    plot = box(121.6, 42.1, 121.61, 42.11)
    with pytest.warns(MeasureWarning, match=r"1 of 2 features have no area and are NaN \(LineString: 1\); lines have no area, measure them with geodesic_length"):
        area = geodesic_area([plot, road], crs="EPSG:4490")
    assert area.iloc[0] > 0 and math.isnan(area.iloc[1])
    with pytest.warns(MeasureWarning, match=r"1 of 2 features have no length and are NaN \(Polygon: 1\); a polygon's outline is its perimeter: use geodesic_perimeter"):
        length = geodesic_length([plot, road], crs="EPSG:4490")
    assert math.isnan(length.iloc[0])
    assert length.iloc[1] == pytest.approx(GEOD.geometry_length(road), rel=1e-9)


def test_multilinestrings_add_their_parts():
    a = LineString([(121.6, 42.1), (121.61, 42.1)])
    b = LineString([(121.7, 42.2), (121.7, 42.21), (121.71, 42.21)])
    lengths = geodesic_length([a, b, MultiLineString([a, b])], crs="EPSG:4490").to_numpy()
    assert lengths[2] == pytest.approx(lengths[0] + lengths[1], rel=1e-12)


def test_empty_and_null_geometries_are_nan_and_counted():
    plot = box(121.6, 42.1, 121.61, 42.11)
    data = gpd.GeoSeries([plot, None, Polygon(), Point(121.6, 42.1)], crs="EPSG:4490")
    with pytest.warns(MeasureWarning, match=r"3 of 4 features have no area and are NaN \(null: 1, empty: 1, Point: 1\); lines have no area"):
        area = geodesic_area(data)
    assert area.iloc[0] > 0
    assert area.iloc[1:].isna().all()


def test_empty_and_null_give_exactly_one_warning():
    data = gpd.GeoSeries([None, Polygon(), box(121.6, 42.1, 121.61, 42.11)], crs="EPSG:4490")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        geodesic_area(data)
    assert [str(w.message) for w in caught] == [
        "2 of 3 features have no area and are NaN (null: 1, empty: 1)"
    ]
    assert caught[0].category is MeasureWarning
    assert caught[0].filename == __file__  # points at the caller, not at county_gis


def test_empty_parts_of_multigeometries_add_nothing():
    tri = "(121.6 42.1, 121.61 42.1, 121.61 42.11, 121.6 42.1)"
    polys = shapely.from_wkt([f"POLYGON ({tri})", f"MULTIPOLYGON (({tri}), EMPTY)"])
    area = geodesic_area(polys, crs="EPSG:4490").to_numpy()
    assert area[1] == area[0]  # the empty part neither adds nor doubles anything
    assert geodesic_perimeter(polys, crs="EPSG:4490").iloc[1] == pytest.approx(
        geodesic_perimeter(polys[:1], crs="EPSG:4490").iloc[0], rel=1e-15
    )
    lines = shapely.from_wkt(["LINESTRING (121.6 42.1, 121.61 42.1)",
                              "MULTILINESTRING (EMPTY, (121.6 42.1, 121.61 42.1), EMPTY)"])
    length = geodesic_length(lines, crs="EPSG:4490").to_numpy()
    assert length[1] == length[0]


def test_mixed_types_name_each_kind_left_out():
    data = [
        box(121.6, 42.1, 121.61, 42.11),
        shapely.from_wkt("GEOMETRYCOLLECTION (POINT (121.6 42.1))"),
        shapely.MultiPoint([(121.6, 42.1), (121.7, 42.2)]),
        LineString([(121.6, 42.1), (121.61, 42.1)]),
    ]
    with pytest.warns(MeasureWarning, match=r"^3 of 4 features have no area and are NaN \(LineString: 1, MultiPoint: 1, GeometryCollection: 1\); lines have no area"):
        area = geodesic_area(data, crs="EPSG:4490")
    assert area.notna().tolist() == [True, False, False, False]


# --- invalid polygons and GeometryCollections ---------------------------------------------

# A bow-tie plot near 佛寺镇: the ring A -> B -> C -> D crosses itself at X, the middle.
BOW_A, BOW_B, BOW_C, BOW_D = (121.60, 42.10), (121.61, 42.11), (121.61, 42.10), (121.60, 42.11)
BOW_X = (121.605, 42.105)
BOW_TIE = Polygon([BOW_A, BOW_B, BOW_C, BOW_D])
# its two triangles, as make_valid cuts it (at X, in the coordinates as given)
BOW_LEFT = Polygon([BOW_A, BOW_X, BOW_D])
BOW_RIGHT = Polygon([BOW_X, BOW_B, BOW_C])


def test_bow_tie_is_nan_with_the_reason_before_repair():
    assert not BOW_TIE.is_valid
    with pytest.warns(MeasureWarning, match=r"^1 of 1 features have no area and are NaN \(invalid \(Self-intersection\): 1\); invalid polygons are not measured: pass invalid='repair'"):
        area = geodesic_area(BOW_TIE, crs="EPSG:4490")
    assert math.isnan(area.iloc[0])
    with pytest.warns(MeasureWarning, match=r"no perimeter and are NaN \(invalid \(Self-intersection\): 1\)"):
        assert math.isnan(geodesic_perimeter(BOW_TIE, crs="EPSG:4490").iloc[0])


def test_repaired_bow_tie_measures_as_its_two_triangles():
    left, right = geod_area(BOW_LEFT), geod_area(BOW_RIGHT)
    assert left == pytest.approx(right, rel=1e-3)  # a quarter of the 0.01° box each, ~345 亩
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # asked for: no warning
        area = geodesic_area(BOW_TIE, crs="EPSG:4490", invalid="repair").iloc[0]
        perimeter = geodesic_perimeter(BOW_TIE, crs="EPSG:4490", invalid="repair").iloc[0]
    assert area == pytest.approx(left + right, rel=1e-9)
    assert area / (1e4 / 15) == pytest.approx(689.06, abs=0.01)  # 亩: half the box's 1,378
    geod_perimeters = sum(GEOD.geometry_area_perimeter(t)[1] for t in (BOW_LEFT, BOW_RIGHT))
    assert perimeter == pytest.approx(geod_perimeters, rel=1e-9)


def test_bow_tie_as_is_is_the_difference_of_its_triangles():
    # what the rings say (the nonsense of issue 13: two triangles of 345 亩 measure ~0)
    area = geodesic_area(BOW_TIE, crs="EPSG:4490", invalid="as_is").iloc[0]
    assert area == pytest.approx(abs(geod_area(BOW_LEFT) - geod_area(BOW_RIGHT)), abs=0.05)
    assert area < 1.0  # m²


def test_overlapping_parts_are_invalid_and_repair_to_their_union():
    a, b = box(121.60, 42.10, 121.62, 42.12), box(121.61, 42.11, 121.63, 42.13)
    overlapping = MultiPolygon([a, b])
    with pytest.warns(MeasureWarning, match=r"invalid \(Self-intersection\): 1"):
        assert math.isnan(geodesic_area(overlapping, crs="EPSG:4490").iloc[0])
    union = geodesic_area(overlapping, crs="EPSG:4490", invalid="修复").iloc[0]
    assert union == pytest.approx(geod_area(a.union(b)), rel=1e-9)


def test_valid_polygons_of_every_shape_are_measured_not_judged():
    # concave, holed, multi-part, and a star-shaped plot: all valid, none NaN
    concave = Polygon([(121.60, 42.10), (121.63, 42.10), (121.63, 42.11), (121.61, 42.11),
                       (121.61, 42.13), (121.60, 42.13)])
    holed = box(121.6, 42.1, 121.62, 42.12).difference(box(121.605, 42.105, 121.61, 42.11))
    multi = MultiPolygon([box(121.6, 42.1, 121.61, 42.11), box(121.7, 42.1, 121.71, 42.11)])
    plot = star(*SEAT, 300.0, 60, np.random.default_rng(13))
    shapes = [concave, holed, multi, plot]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        area = geodesic_area(shapes, crs="EPSG:4490").to_numpy()
    np.testing.assert_allclose(area, [geod_area(orient(g) if g.geom_type == "Polygon" else g)
                                      for g in shapes], rtol=1e-8)


def test_invalid_polygons_in_projected_coordinates_and_with_gauss_kruger():
    bow = Polygon([(620_000, 4_650_000), (621_000, 4_651_000), (621_000, 4_650_000),
                   (620_000, 4_651_000)])
    for method in ("geodesic", "gk"):
        with pytest.warns(MeasureWarning, match=r"invalid \(Self-intersection\): 1"):
            assert math.isnan(geodesic_area(bow, crs="EPSG:4549", method=method).iloc[0])
    planar = geodesic_area(bow, crs="EPSG:4549", method="gk", invalid="repair").iloc[0]
    assert planar == pytest.approx(500_000.0, rel=1e-9)  # two triangles of 1 km × 0.5 km / 2


def test_unknown_invalid_option_is_refused():
    with pytest.raises(ValueError, match=r"^invalid was 'fix' but is expected to be one of 'nan', 'repair', 'as_is'$"):
        geodesic_area(BOW_TIE, crs="EPSG:4490", invalid="fix")


def test_measure_table_notes_invalid_polygons():
    data = gpd.GeoDataFrame(geometry=[box(121.6, 42.1, 121.61, 42.11), BOW_TIE], crs="EPSG:4490")
    with pytest.warns(MeasureWarning, match=r"^1 of 2 features have no area or length and are NaN \(invalid \(Self-intersection\): 1\); invalid polygons are not measured"):
        table = measure_table(data)
    assert table["note"].tolist() == [
        "", "invalid polygon (Self-intersection[121.605 42.105]): not measured"]
    assert table.iloc[1, 1:4].isna().all()
    repaired = measure_table(data, invalid="repair")
    assert repaired["note"].iloc[1].endswith("): measured as repaired (make_valid)")
    assert repaired["area_mu"].iloc[1] * (1e4 / 15) == pytest.approx(
        geod_area(BOW_LEFT) + geod_area(BOW_RIGHT), rel=1e-9)


def one_km_line_and_square() -> tuple[LineString, Polygon]:
    """A road 1 km due north of the seat, and a 1 km × 1 km square east of it."""
    road = LineString([SEAT, GEOD.fwd(*SEAT, 0.0, 1000.0)[:2]])
    a = GEOD.fwd(*SEAT, 90.0, 2000.0)[:2]
    b = GEOD.fwd(*a, 0.0, 1000.0)[:2]
    d = GEOD.fwd(*a, 90.0, 1000.0)[:2]
    c = GEOD.fwd(*d, 0.0, 1000.0)[:2]
    return road, Polygon([a, d, c, b])


def test_geometry_collection_measures_its_parts_of_the_right_dimension():
    road, square = one_km_line_and_square()
    mixed = shapely.GeometryCollection([road, square, Point(*SEAT)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        length = geodesic_length(mixed, crs="EPSG:4490").iloc[0]
        area = geodesic_area(mixed, crs="EPSG:4490").iloc[0]
        perimeter = geodesic_perimeter(mixed, crs="EPSG:4490").iloc[0]
    assert length == pytest.approx(1000.0, abs=1e-6)
    assert length == pytest.approx(GEOD.geometry_length(road), rel=1e-9)
    assert area == pytest.approx(1e6, rel=1e-4)  # ~1 km²
    assert area == pytest.approx(geod_area(square), rel=1e-9)
    assert perimeter == pytest.approx(GEOD.geometry_area_perimeter(square)[1], rel=1e-9)
    assert perimeter == pytest.approx(4000.0, abs=0.2)


def test_nested_collections_add_their_parts_and_stay_untouched():
    road, square = one_km_line_and_square()
    nested = shapely.GeometryCollection(
        [shapely.GeometryCollection([road]), MultiLineString([road]), square])
    data = gpd.GeoSeries([nested, road], crs="EPSG:4490")
    before = data.to_wkb()
    table = measure_table(data, length_unit="米", area_unit="平方米")
    assert table["length_m"].tolist() == pytest.approx([2000.0, 1000.0], abs=1e-6)
    assert table["area_m2"].iloc[0] == pytest.approx(geod_area(square), rel=1e-9)
    assert table["geometry_type"].tolist() == ["GeometryCollection", "LineString"]
    assert data.to_wkb().equals(before)  # the input is not modified


def test_collection_without_polygons_has_no_area_and_overlaps_are_invalid():
    road, square = one_km_line_and_square()
    with pytest.warns(MeasureWarning, match=r"\(GeometryCollection: 1\); lines have no area"):
        assert math.isnan(geodesic_area(shapely.GeometryCollection([road]),
                                        crs="EPSG:4490").iloc[0])
    # two overlapping polygons in a collection: their sum would count the overlap twice
    twice = shapely.GeometryCollection([square, shapely.affinity.translate(square, 0.001)])
    with pytest.warns(MeasureWarning, match=r"invalid \(Self-intersection\): 1"):
        assert math.isnan(geodesic_area(twice, crs="EPSG:4490").iloc[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=3, max_size=8))
def test_the_cheap_validity_test_never_passes_an_invalid_ring(points):
    from county_gis._validity import star_simple

    ring = shapely.LinearRing([*points, points[0]])
    xy = shapely.get_coordinates(ring)
    if star_simple(xy[:, 0], xy[:, 1], np.array([0, len(xy)]))[0]:
        assert shapely.Polygon(ring).is_valid, ring.wkt


def test_measure_table_warns_once_for_all_three_quantities():
    data = gpd.GeoDataFrame(geometry=[box(121.6, 42.1, 121.61, 42.11), None, Point(121.6, 42.1)],
                            crs="EPSG:4490")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = measure_table(data)
    assert [str(w.message) for w in caught] == [
        "2 of 3 features have no area or length and are NaN (null: 1, Point: 1)"
    ]
    assert table.iloc[1:, 1:4].isna().all().all()
    assert table["note"].tolist() == ["", "not measured: null", "not measured: Point"]


def test_lonlat_input_needs_no_transformer(monkeypatch):
    import county_gis.measure as measure_module

    def no_transform(*args, **kwargs):
        raise AssertionError("EPSG:4490 / EPSG:4326 coordinates must be used as they are")

    monkeypatch.setattr(measure_module, "to_lonlat", no_transform)
    plot = box(121.6, 42.1, 121.61, 42.11)
    cgcs, wgs = (geodesic_area(plot, crs=c).iloc[0] for c in ("EPSG:4490", "EPSG:4326"))
    assert cgcs == wgs  # GRS80 and WGS 84 differ by 1e-10 in flattening: the same to print
    assert geodesic_length(plot.boundary, crs="EPSG:4326").iloc[0] > 0


def test_output_is_aligned_to_the_input_index():
    data = gpd.GeoSeries(
        [box(121.6, 42.1, 121.61, 42.11), box(121.6, 42.1, 121.62, 42.11)],
        index=["甲-7", "乙-3"], crs="EPSG:4490",
    )
    area = geodesic_area(data, unit="mu")
    assert list(area.index) == ["甲-7", "乙-3"]
    assert area["乙-3"] == pytest.approx(2 * area["甲-7"], rel=1e-3)


def test_projected_input_gives_the_same_geodesic_area():
    plot = box(121.40, 42.10, 121.43, 42.12)  # west of 121.5 °E: zone 40
    lonlat = gpd.GeoSeries([plot], crs="EPSG:4490")
    for epsg in (4549, 4528, 4550, 3857):
        projected = lonlat.to_crs(epsg=epsg)
        assert geodesic_area(projected).iloc[0] == pytest.approx(
            geodesic_area(lonlat).iloc[0], rel=1e-9
        ), epsg


def test_gauss_kruger_method_uses_each_features_zone():
    west = box(121.40, 42.10, 121.43, 42.12)  # zone 40 (CM 120 °E)
    east = box(121.60, 42.10, 121.63, 42.12)  # zone 41 (CM 123 °E)
    data = gpd.GeoSeries([west, east], crs="EPSG:4490")
    gk = geodesic_area(data, method="gk").to_numpy()
    assert gk[0] == pytest.approx(data.iloc[[0]].to_crs(epsg=4549).area.iloc[0], rel=1e-12)
    assert gk[1] == pytest.approx(data.iloc[[1]].to_crs(epsg=4550).area.iloc[0], rel=1e-12)
    # Gauss-Krüger scale k ≈ 1 + x²/2R² at x km from the central meridian: area grows by k².
    # The west plot is ~1.415° (117 km) east of 120 °E, the east one ~1.385° (114 km) west of
    # 123 °E: k² ≈ 1 + (117/6380)² ≈ 1.00034.
    geodesic = geodesic_area(data).to_numpy()
    x_km = np.array([1.415, 1.385]) * 111.32 * math.cos(math.radians(42.11))
    np.testing.assert_allclose(gk / geodesic, 1 + (x_km / 6380.0) ** 2, atol=2e-6)


def test_gauss_kruger_square_at_the_central_meridian_is_exact():
    square = gpd.GeoSeries([box(500_000, 4_650_000, 501_000, 4_651_000)], crs="EPSG:4550")
    assert geodesic_area(square, method="gk").iloc[0] == pytest.approx(1e6, rel=1e-9)
    assert geodesic_length(square.boundary, method="gk").iloc[0] == pytest.approx(4000, rel=1e-9)


def test_measure_table_has_one_column_per_quantity_with_units():
    data = gpd.GeoDataFrame(
        geometry=[box(121.6, 42.1, 121.61, 42.11), LineString([(121.5, 41.5), (121.5, 42.5)])],
        crs="EPSG:4490",
    )
    table = measure_table(data, area_unit="公顷", length_unit="米")
    assert list(table.columns) == ["geometry_type", "area_ha", "length_m", "perimeter_m", "note"]
    assert table["length_m"].iloc[1] == pytest.approx(111_073.29, abs=0.5)
    assert math.isnan(table["area_ha"].iloc[1]) and math.isnan(table["length_m"].iloc[0])


# --- errors -------------------------------------------------------------------------------


def test_missing_crs_is_an_error_not_a_default():
    with pytest.raises(CRSError, match=r"have no CRS; declare it .*EPSG:4490"):
        geodesic_area([box(121.6, 42.1, 121.61, 42.11)])
    with pytest.raises(CRSError, match="have no CRS"):
        geodesic_length(gpd.GeoSeries([LineString([(0, 0), (1, 1)])]))


def test_conflicting_crs_is_an_error():
    data = gpd.GeoSeries([box(121.6, 42.1, 121.61, 42.11)], crs="EPSG:4490")
    with pytest.raises(CRSError, match=r"crs='EPSG:4549' contradicts the data's own CRS 'China Geodetic"):
        geodesic_area(data, crs="EPSG:4549")
    assert geodesic_area(data, crs="EPSG:4490").iloc[0] > 0  # agreeing is fine


def test_unknown_crs_is_an_error():
    with pytest.raises(CRSError, match="cannot understand the CRS 'EPSG:999999'"):
        geodesic_area([box(0, 0, 1, 1)], crs="EPSG:999999")


def test_unknown_unit_lists_the_valid_ones():
    with pytest.raises(UnitError, match=r"unknown area unit 'acre'; valid: m2 \(平方米\), mu \(亩\), ha \(公顷\), wan_mu \(万亩\), km2 \(平方公里\)"):
        geodesic_area([box(0, 0, 1, 1)], crs="EPSG:4490", unit="acre")
    with pytest.raises(UnitError, match=r"unknown length unit '亩'; valid: m \(米\), km \(公里\)"):
        geodesic_length([LineString([(0, 0), (1, 1)])], crs="EPSG:4490", unit="亩")


@pytest.mark.parametrize(
    ("name", "unit"),
    [("亩", AreaUnit.MU), ("MU", AreaUnit.MU), ("公顷", AreaUnit.HECTARE), ("hectare", AreaUnit.HECTARE),
     ("km²", AreaUnit.SQUARE_KILOMETRE), ("平方千米", AreaUnit.SQUARE_KILOMETRE),
     ("万亩", AreaUnit.WAN_MU), ("square metre", AreaUnit.SQUARE_METRE),
     ("平方米", AreaUnit.SQUARE_METRE), ("平方公里", AreaUnit.SQUARE_KILOMETRE), ("ha", AreaUnit.HECTARE),
     ("wan mu", AreaUnit.WAN_MU), ("km2", AreaUnit.SQUARE_KILOMETRE), ("m²", AreaUnit.SQUARE_METRE)],
)
def test_area_units_in_chinese_and_english(name, unit):
    assert AreaUnit.parse(name) is unit


def test_length_units_in_chinese_and_english():
    assert LengthUnit.parse("千米") is LengthUnit.KILOMETRE
    assert LengthUnit.parse("公里") is LengthUnit.KILOMETRE
    assert LengthUnit.parse("km") is LengthUnit.KILOMETRE
    assert LengthUnit.parse("米") is LengthUnit.METRE
    assert LengthUnit.parse("metres") is LengthUnit.METRE


def test_units_convert_by_hand_checkable_factors():
    assert AreaUnit.MU.from_base(1e4) == pytest.approx(15.0, rel=1e-15)  # 1 公顷 = 15 亩
    assert AreaUnit.WAN_MU.to_base(1.0) == pytest.approx(6_666_666.667, abs=1e-3)
    assert AreaUnit.SQUARE_KILOMETRE.to_base(1.0) == AreaUnit.MU.to_base(1500.0)
    assert LengthUnit.KILOMETRE.from_base(200_000.0) == 200.0  # the 200 km road target
    square = box(500_000, 4_650_000, 501_000, 4_651_000)  # 1 km² on the zone-41 plane
    assert geodesic_area(square, crs="EPSG:4550", method="gk", unit="亩").iloc[0] == pytest.approx(1500.0, rel=1e-9)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method was 'mercator' but is expected to be one of 'geodesic', 'gk'"):
        geodesic_area([box(0, 0, 1, 1)], crs="EPSG:4490", method="mercator")
    assert Method.parse("GK") is Method.GAUSS_KRUGER


def test_wrong_input_type_is_refused():
    with pytest.raises(TypeError, match="expected a GeoSeries, GeoDataFrame or shapely geometries, got str"):
        geodesic_area("POLYGON ((0 0, 1 0, 1 1, 0 0))", crs="EPSG:4490")


def test_large_layers_are_measured_in_chunks_with_the_same_result(monkeypatch):
    import county_gis.measure as measure_module

    rng = np.random.default_rng(3)
    plots = [star(121.2 + 0.01 * i, 42.2, 300, 40, rng) for i in range(50)]
    whole = geodesic_area(plots, crs="EPSG:4490").to_numpy()
    monkeypatch.setattr(measure_module, "CHUNK_COORDS", 100)  # ~2 plots per chunk
    chunked = geodesic_area(plots, crs="EPSG:4490").to_numpy()
    np.testing.assert_array_equal(whole, chunked)


def test_invalid_polygons_are_found_in_every_chunk(monkeypatch):
    import county_gis.measure as measure_module

    rng = np.random.default_rng(5)
    data: list[shapely.Geometry | None] = [
        star(121.2 + 0.01 * i, 42.2, 300, 40, rng) for i in range(60)]
    bad = [0, 7, 8, 33, 59]
    for i in bad:
        data[i] = shapely.affinity.translate(BOW_TIE, 0.01 * i)
    data[20] = None
    data[40] = Point(121.6, 42.1)
    monkeypatch.setattr(measure_module, "CHUNK_COORDS", 100)  # ~2 plots per chunk
    monkeypatch.setattr(measure_module, "_FIRST_CHUNK", 3)
    with pytest.warns(MeasureWarning, match=r"^7 of 60 features have no area .*\(null: 1, Point: 1, invalid \(Self-intersection\): 5\)"):
        area = geodesic_area(data, crs="EPSG:4490").to_numpy()
    with pytest.warns(MeasureWarning, match=r"^7 of 60 features have no area or length"):
        table = measure_table(gpd.GeoSeries(data, crs="EPSG:4490"))
    assert np.flatnonzero(np.isnan(area)).tolist() == sorted([*bad, 20, 40])
    assert np.flatnonzero(table["note"].str.startswith("invalid")).tolist() == bad
    repaired = geodesic_area(data[:1] + data[7:9], crs="EPSG:4490", invalid="repair").to_numpy()
    np.testing.assert_allclose(repaired, geod_area(BOW_LEFT) + geod_area(BOW_RIGHT), rtol=1e-6)


def test_no_warning_for_clean_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = geodesic_area(pd.Series([box(121.6, 42.1, 121.61, 42.11)]), crs="EPSG:4490")
    assert result.iloc[0] > 0


# Plots with a few edges of about a kilometre. On the authalic sphere the image of such a
# geodesic bends away from the great circle by a lens of A L² Δx (0.044 m² for a 1 km
# east-west edge at 42 °N); without the bend correction the first plot (27.2 ha, 7 edges,
# one of them 1.1 km long and 0.0092° wide) came out 0.033 m² (1.2e-7) short of Geod. The
# second has a 3 km edge that is split on the geodesic: the pieces must start exactly on
# its vertex (an ulp of longitude there is a 4,700 km tall sliver, 5e-3 m²).
FEW_LONG_EDGES = [
    Polygon([(121.6744654, 42.1386614), (121.6711857, 42.1386454), (121.6707259, 42.1396126),
             (121.6673961, 42.1387052), (121.6645399, 42.1421088), (121.6626712, 42.1429653),
             (121.6653022, 42.1451046)]),
    Polygon([(122.0215438, 42.4229721), (122.0078464, 42.4141806), (122.0076348, 42.4141397),
             (122.0021386, 42.416235), (121.9842161, 42.4265705), (122.0198431, 42.4237905),
             (122.0246731, 42.4238205)]),
]


@pytest.mark.parametrize("plot", FEW_LONG_EDGES, ids=["27ha-1km-edges", "196ha-3km-edge"])
def test_plots_of_a_few_long_edges_agree_with_geographiclib(plot):
    ref = abs(GEOD.geometry_area_perimeter(plot)[0])
    assert geodesic_area(plot, crs="EPSG:4490").iloc[0] == pytest.approx(ref, rel=1e-9)
    # and mirrored north-south and shifted east: the same to 1e-9 (a bend that depended on
    # the direction or place wrongly would not survive this)
    mirrored = shapely.transform(plot, lambda c: c * [1.0, -1.0] + [1.5, 0.0])
    ref_m = abs(GEOD.geometry_area_perimeter(mirrored)[0])
    assert geodesic_area(mirrored, crs="EPSG:4490").iloc[0] == pytest.approx(ref_m, rel=1e-9)


def test_band_polynomial_of_the_authalic_latitude_matches_the_exact_function():
    from county_gis import _geodesic

    rng = np.random.default_rng(5)
    for band in (-60, -1, 0, 41, 42, 58):
        lat = rng.uniform(band, band + _geodesic.PSI_BAND_DEG, 10_000)
        lat[:2] = band, np.nextafter(band + _geodesic.PSI_BAND_DEG, band)
        np.testing.assert_allclose(_geodesic._psi(lat), _geodesic._authalic_isometric(lat),
                                   rtol=0, atol=2e-14)
    wide = rng.uniform(20.0, 50.0, 100)  # more than one band: the exact function
    np.testing.assert_array_equal(_geodesic._psi(wide), _geodesic._authalic_isometric(wide))
