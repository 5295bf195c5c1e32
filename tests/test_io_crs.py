"""CRS decisions on load: .prj identification, inference from strong evidence, conflicts, offsets."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point

from county_gis import CRSError, geodesic_area, read_layer
from county_gis.crs import bd09_to_wgs84, gcj02_to_bd09
from county_gis.io import (
    LegacyDatumWarning,
    OutsideCountyWarning,
    Severity,
    gcj02_to_wgs84,
    wgs84_to_gcj02,
)
from io_corpus import E40, E41, LAT, LON, N40, N41, esri_prj, gk_plots, shapefile, square, write

ENGINES = ["pyogrio", "fiona"]


@pytest.mark.parametrize("engine", ENGINES)
def test_esri_prj_cgcs2000_gk_identified(tmp_path, engine):
    path = shapefile(tmp_path, gk_plots(40), prj=esri_prj(4549))
    gdf = read_layer(path, engine=engine)
    report = gdf.attrs["load_report"]
    assert report.crs_decision == "EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)"
    assert "datum China 2000" in report.crs_evidence
    assert gdf.crs.to_epsg() == 4490
    # a 1 km x 1 km square of the zone plane is 1,500 亩 in that plane
    gk = geodesic_area(gdf, unit="亩", method="gk")
    np.testing.assert_allclose(gk.to_numpy(), [1500.0, 1500.0], atol=1e-6)
    assert report.assumptions == []


def test_xian80_prj_identified_and_warned(tmp_path):
    path = shapefile(tmp_path, gk_plots(40), prj=esri_prj(2385))
    with pytest.warns(LegacyDatumWarning, match="PROJ has no accurate Xian 1980"):
        gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    assert report.crs_decision == "EPSG:2385 (Xian 1980 / 3-degree Gauss-Kruger CM 120E)"
    assert [n.code for n in report.problems] == ["crs.legacy_datum"]


def test_beijing54_prj_identified(tmp_path):
    path = shapefile(tmp_path, gk_plots(40), prj=esri_prj(2437))
    with pytest.warns(LegacyDatumWarning, match="Beijing 1954"):
        gdf = read_layer(path)
    assert gdf.attrs["load_report"].crs_decision.startswith("EPSG:2437 ")


@pytest.mark.parametrize(("zone", "prefixed", "epsg"), [(40, False, 4549), (41, False, 4550),
                                                        (40, True, 4528), (41, True, 4529)])
def test_missing_prj_gk_zone_inferred(tmp_path, zone, prefixed, epsg):
    path = shapefile(tmp_path, gk_plots(zone, prefixed=prefixed), prj=None)
    gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    assert report.crs_decision.startswith(f"EPSG:{epsg} ")
    [note] = report.select("crs.inferred")
    assert note.severity is Severity.ASSUMPTION
    assert f"zone {zone}" in note.message
    gk = geodesic_area(gdf, unit="m2", method="gk")
    np.testing.assert_allclose(gk.to_numpy(), [1e6, 1e6], rtol=1e-9)


def test_missing_prj_strict_refuses(tmp_path):
    path = shapefile(tmp_path, gk_plots(40), prj=None)
    with pytest.raises(CRSError, match=r"plots\.shp:plots: the layer has no CRS; inferred "
                       r"EPSG:4549 .*strict=True refuses assumptions"):
        read_layer(path, strict=True)


def test_degrees_in_county_inferred(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(LON, LAT)])
    path = shapefile(tmp_path, gdf, prj=None)
    out = read_layer(path)
    assert out.attrs["load_report"].crs_decision.startswith("EPSG:4490 ")
    assert out.geometry.iloc[0].equals(Point(LON, LAT))


def test_lat_lon_swapped_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(LAT, LON)])
    path = shapefile(tmp_path, gdf, prj=None)
    with pytest.raises(CRSError, match=r"plots\.shp:plots: coordinates look like latitude/"
                       r"longitude swapped \(x 42\.10000\.\.42\.10000, y 121\.60000\.\.121\.60000: "
                       r"x holds latitudes, y longitudes\); put longitude in x"):
        read_layer(path)


def test_prefixed_eastings_with_unprefixed_prj(tmp_path):
    path = shapefile(tmp_path, gk_plots(40, prefixed=True), prj=esri_prj(4549))
    with pytest.raises(CRSError, match=r"carry the zone prefix 40 but the file's CRS is .*"
                       r"without the zone prefix; declare crs='EPSG:4528'"):
        read_layer(path)


@pytest.mark.parametrize(("zone", "prj", "lands", "right"), [
    (40, 4550, "x 124.2", 4549),  # zone-40 eastings read as zone 41: ~250 km east
    (41, 4549, "x 119.0", 4550),  # zone-41 eastings read as zone 40: ~250 km west
])
def test_plot_read_in_the_wrong_zone_caught(tmp_path, zone, prj, lands, right):
    # the file's CRS is taken as stated (a neighbouring county's layer is read), with a
    # warning that says where it lies and what would put it in the county
    path = shapefile(tmp_path, gk_plots(zone), prj=esri_prj(prj))
    with pytest.warns(OutsideCountyWarning, match=rf"plots\.shp:plots: the layer lies outside "
                      rf"the county: after transforming from EPSG:{prj} \(.*\) \(file\) it lies "
                      rf"at {lands}.* km from the county's bounding box .*look like "
                      rf"EPSG:{right} .*declare crs='EPSG:{right}'"):
        gdf = read_layer(path)
    [note] = gdf.attrs["load_report"].select("crs.outside_county")
    assert note.severity.value == "warning"


def test_declared_crs_overrides_and_fixes(tmp_path):
    path = shapefile(tmp_path, gk_plots(40), prj=esri_prj(4550))
    gdf = read_layer(path, crs="EPSG:4549")
    report = gdf.attrs["load_report"]
    assert report.crs_decision.startswith("EPSG:4549 ")
    assert [n.code for n in report.notes if n.code.startswith("crs")] == ["crs.override"]


def test_survey_table_x_northing(tmp_path):
    csv = tmp_path / "survey.csv"
    csv.write_text(f"点号,X,Y\nJ1,{N40:.3f},{E40:.3f}\nJ2,{N40 + 100:.3f},{E40 + 100:.3f}\n",
                   encoding="utf-8")
    gdf = read_layer(csv)
    report = gdf.attrs["load_report"]
    assert report.crs_decision.startswith("EPSG:4549 ")
    [note] = report.select("crs.inferred")
    assert "X holds northings" in note.message
    # J1 is the zone-40 point (600000 E, 4650000 N)
    lon, lat = gdf.geometry.iloc[0].x, gdf.geometry.iloc[0].y
    assert lon == pytest.approx(121.20658, abs=1e-5)
    assert lat == pytest.approx(41.97892, abs=1e-5)


def test_gk_eastings_straddling_refused(tmp_path):
    gdf = gpd.GeoDataFrame(geometry=[Point(480_000, N40), Point(520_000, N40)])
    path = shapefile(tmp_path, gdf, prj=None)
    with pytest.raises(CRSError, match=r"plots\.shp:plots: eastings 480000\.\.520000 \(no zone "
                       r"prefix\) straddle 500 km, .*declare the CRS \(crs='EPSG:4549' for zone "
                       r"40, 'EPSG:4550' for zone 41\)"):
        read_layer(path)


def test_degrees_outside_county_refused(tmp_path):
    gdf = gpd.GeoDataFrame(geometry=[Point(116.4, 39.9)])  # Beijing
    path = shapefile(tmp_path, gdf, prj=None)
    with pytest.raises(CRSError, match=r"plots\.shp:plots: the layer has no CRS and its degrees "
                       r"\(x 116\.40000\.\.116\.40000, y 39\.90000\.\.39\.90000\) are outside the "
                       r"county \(121\.02-122\.43E, 41\.76-42\.57N\); declare the CRS with crs="):
        read_layer(path)


# --- GCJ-02 / BD-09 ---------------------------------------------------------------------

TRUE_POINTS = np.array([[121.02, 41.76], [121.6, 42.1], [122.43, 42.57], [121.9246, 41.8686]])


def _metres(lon1, lat1, lon2, lat2):
    from pyproj import Geod

    return Geod(ellps="GRS80").inv(lon1, lat1, lon2, lat2)[2]


def test_gcj02_round_trip_below_a_millimetre():
    glon, glat = wgs84_to_gcj02(TRUE_POINTS[:, 0], TRUE_POINTS[:, 1])
    shift = _metres(TRUE_POINTS[:, 0], TRUE_POINTS[:, 1], glon, glat)
    assert np.all((shift > 400) & (shift < 700))  # the GCJ-02 offset at Fuxin is ~0.5 km
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert np.max(_metres(lon, lat, TRUE_POINTS[:, 0], TRUE_POINTS[:, 1])) < 1e-3


@pytest.mark.parametrize("source", ["gcj02", "bd09"])
def test_source_crs_converts_web_map_points(tmp_path, source):
    glon, glat = wgs84_to_gcj02(TRUE_POINTS[:, 0], TRUE_POINTS[:, 1])
    if source == "bd09":
        glon, glat = gcj02_to_bd09(glon, glat)
    gdf = gpd.GeoDataFrame({"名称": list("abcd")},
                           geometry=[Point(x, y) for x, y in zip(glon, glat, strict=True)],
                           crs=4326)
    path = write(gdf, tmp_path / "picked.geojson")
    out = read_layer(path, source_crs=source)
    got = np.array([[p.x, p.y] for p in out.geometry])
    error = _metres(got[:, 0], got[:, 1], TRUE_POINTS[:, 0], TRUE_POINTS[:, 1])
    assert np.max(error) < 1.0  # better than 1 m against the true points
    assert out.attrs["load_report"].select("crs.offset_removed")


def test_bd09_inverse_agrees_with_iterative_inverse():
    blon, blat = gcj02_to_bd09(*wgs84_to_gcj02(TRUE_POINTS[:, 0], TRUE_POINTS[:, 1]))
    lon, lat = bd09_to_wgs84(blon, blat)
    assert np.max(_metres(lon, lat, TRUE_POINTS[:, 0], TRUE_POINTS[:, 1])) < 1e-3


def test_source_crs_on_projected_layer_refused(tmp_path):
    path = shapefile(tmp_path, gk_plots(40), prj=esri_prj(4549))
    with pytest.raises(CRSError, match=r"plots\.shp:plots: source_crs='gcj02' applies to "
                       r"longitude/latitude picked on a web map, but the layer is in CGCS2000 / "
                       r"3-degree Gauss-Kruger CM 120E; drop source_crs or fix crs="):
        read_layer(path, source_crs="gcj02")


def test_zone41_inferred_lands_in_east(tmp_path):
    path = shapefile(tmp_path, gk_plots(41), prj=None)
    gdf = read_layer(path)
    assert gdf.attrs["load_report"].crs_decision.startswith("EPSG:4550 ")
    # the square's lower left corner (420,000 E, 4,660,000 N in zone 41) as PROJ puts it
    x, y = Transformer.from_crs(4550, 4490, always_xy=True).transform(E41, N41)
    assert (x, y) == pytest.approx((122.033334, 42.071222), abs=1e-6)
    corners = gdf.geometry.iloc[0].exterior.coords  # written clockwise by the shapefile driver
    assert sum(c == pytest.approx((x, y), abs=1e-12) for c in corners) == 1


def test_outside_area_of_use_read_with_a_warning(tmp_path):
    # a county point written in Xian 1980 GK CM 114E (area of use 112.5-115.5E): 7.6 degrees
    # from its central meridian. Unusual, but a place in that CRS: read as the file says (it
    # comes back to the county point), with the distance to the area of use
    from pyproj import Transformer

    from county_gis.io._crs_infer import OutsideAreaOfUseWarning

    x, y = Transformer.from_crs(4490, 2383, always_xy=True).transform(LON, LAT)
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(x, y)])
    path = shapefile(tmp_path, gdf, prj=esri_prj(2383))
    with pytest.warns(OutsideAreaOfUseWarning, match=r"plots\.shp:plots: the coordinates, read "
                      r"as EPSG:2383 .* lie at x 121.60000..121.60000, y 42.10000..42.10000 .*"
                      r"outside that CRS's area of use \(112.5-115.5E, 21.52-45.45N, \+1.5 "
                      r"degrees\), about 504 km from it; read as the file CRS says"), \
            pytest.warns(LegacyDatumWarning):
        got = read_layer(path)
    assert (got.geometry.x[0], got.geometry.y[0]) == pytest.approx((LON, LAT), abs=1e-6)
    [note] = got.attrs["load_report"].select("crs.outside_area_of_use")
    assert note.severity.value == "warning"


def test_coordinates_past_the_pole_of_their_grid_refused(tmp_path):
    # zone-40 survey metres (600,000 E, 4,650,000 N) under a British National Grid .prj: in
    # that grid the northing runs 4,750 km north of 49 N, past the pole, to 87.6 N on the far
    # side of the globe -- no place a BNG survey can be: refused, with the zone to declare
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(E40, N40)])
    path = shapefile(tmp_path, gdf, prj=esri_prj(27700))
    with pytest.raises(CRSError, match=r"plots\.shp:plots: the coordinates, read as EPSG:27700 "
                       r"\(OSGB36 / British National Grid\), lie at .* outside that CRS's area "
                       r"of use .*; in that transverse Mercator grid they lie up to 1\d\d\.\d "
                       r"degrees of longitude from its central meridian \(-2E\): past the pole, "
                       r".*the CRS is wrong; the raw coordinates look like EPSG:4549"):
        read_layer(path)


def test_declared_lonlat_crs_with_swapped_axes(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(LAT, LON)], crs=4490)
    path = write(gdf, tmp_path / "swapped.gpkg")
    with pytest.raises(CRSError, match=r"swapped\.gpkg:swapped: the file's CRS says China Geodetic Coordinate System "
                       r"2000 \(longitude, latitude\) but the coordinates look like "
                       r"latitude/longitude swapped"):
        read_layer(path)


def test_declared_crs_on_survey_table_with_x_northing(tmp_path):
    # EPSG:4549's axis order is northing first, as the survey table's X: built as (Y, X)
    csv = tmp_path / "survey.csv"
    csv.write_text(f"点号,X,Y\nJ1,{N40:.3f},{E40:.3f}\n", encoding="utf-8")
    gdf = read_layer(csv, crs="EPSG:4549")
    [note] = gdf.attrs["load_report"].select("table.survey_axes")
    assert note.message == ("X holds northings 4650000..4650000 and Y eastings 600000..600000 "
                            "(the survey convention, and the axis order of EPSG:4549 (CGCS2000 "
                            "/ 3-degree Gauss-Kruger CM 120E): northing first); the points are "
                            "built as (Y, X)")
    x, y = Transformer.from_crs(4549, 4490, always_xy=True).transform(E40, N40)
    assert gdf.geometry.iloc[0].coords[0] == pytest.approx((x, y), abs=1e-9)


@pytest.mark.parametrize(("epsg", "decision", "datum"), [
    (2385, "EPSG:2385 (Xian 1980 / 3-degree Gauss-Kruger CM 120E)", "Xian 1980"),
    (2437, "EPSG:2437 (Beijing 1954 / 3-degree Gauss-Kruger CM 120E)", "Beijing 1954"),
    (4549, "EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)", "China 2000"),
])
def test_esri_prj_identified_with_epsg_and_datum(tmp_path, epsg, decision, datum):
    prj = esri_prj(epsg)
    assert prj.startswith("PROJCS[") and "AUTHORITY" not in prj  # no code to read off
    path = shapefile(tmp_path, gk_plots(40), prj=prj)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    assert report.crs_decision == decision
    assert report.crs_evidence.endswith(f"; datum {datum})")
    legacy = [n.code for n in report.problems] == ["crs.legacy_datum"]
    assert legacy == (epsg != 4549)
    assert [w.category for w in caught] == ([LegacyDatumWarning] if legacy else [])


def test_zone40_prefixed_plot_read_as_zone41_prefixed_caught(tmp_path):
    # prefix-40 eastings under a prefix-41 .prj: 900 km west of zone 41's meridian, refused
    path = shapefile(tmp_path, gk_plots(40, prefixed=True), prj=esri_prj(4529))
    with pytest.raises(CRSError, match=r"plots\.shp:plots: eastings 40600000\.\.40603000 carry "
                       r"the zone prefix 40 but the file's CRS is CGCS2000 / 3-degree "
                       r"Gauss-Kruger zone 41 \(zone 41\); declare crs='EPSG:4528'"):
        read_layer(path)
    gdf = read_layer(path, crs="EPSG:4528")  # the fix the message names
    assert gdf.attrs["load_report"].crs_decision.startswith("EPSG:4528 ")


def test_some_features_outside_the_county_listed(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["县内", "北京", "县内"]},
                           geometry=[Point(LON, LAT), Point(116.4, 39.9), Point(LON + 0.1, LAT)],
                           crs=4490)
    out = read_layer(write(gdf, tmp_path / "p.gpkg"))
    [note] = out.attrs["load_report"].select("crs.outside_county")
    assert (note.fid, note.severity) == (2, Severity.PROBLEM)
    assert note.message == "feature lies outside the county bounding box (+0.2 degrees margin)"


def test_gcj02_published_reference_value():
    # wandergis/coordtransform (MIT), test/app.js: wgs84togcj02(116.404, 39.915) ->
    # [116.41024449916938, 39.91640428150164] (the public formula, in JavaScript doubles)
    glon, glat = wgs84_to_gcj02(116.404, 39.915)
    assert (float(glon), float(glat)) == pytest.approx((116.41024449916938, 39.91640428150164),
                                                       abs=1e-12)


def test_gcj02_points_read_back_across_the_county(tmp_path):
    # a 10 x 10 grid over the county's extent, as if picked on Amap (GCJ-02) and typed into a
    # coordinate table; reading it with source_crs="gcj02" gives the grid back
    lon, lat = (a.ravel() for a in np.meshgrid(np.linspace(121.05, 122.40, 10),
                                               np.linspace(41.78, 42.55, 10)))
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = _metres(lon, lat, glon, glat)
    # the GCJ-02 offset at Fuxin is about half a kilometre (492-544 m over this grid)
    assert (shift.min(), shift.max()) == pytest.approx((492.2, 543.6), abs=0.1)
    csv = tmp_path / "picked.csv"
    pd.DataFrame({"名称": [f"p{i}" for i in range(100)], "经度": glon, "纬度": glat}).to_csv(
        csv, index=False, float_format="%.10f")
    out = read_layer(csv, source_crs="gcj02")
    got = np.array([[p.x, p.y] for p in out.geometry])
    np.testing.assert_allclose(got, np.column_stack([lon, lat]), atol=1e-6, rtol=0)
    # and the inverse itself: wgs84 -> gcj02 -> wgs84 to 1e-9 degree (0.1 mm)
    back = np.column_stack(gcj02_to_wgs84(glon, glat))
    np.testing.assert_allclose(back, np.column_stack([lon, lat]), atol=1e-9, rtol=0)


def test_local_grid_without_crs_refused(tmp_path):
    # a CAD drawing in a local grid: neither degrees nor Gauss-Krueger metres, so no guess
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[square(5000.0, 3000.0)])
    path = shapefile(tmp_path, gdf, prj=None)
    with pytest.raises(CRSError, match=r"plots\.shp:plots: the layer has no CRS and its "
                       r"coordinates \(x 5000\.\.6000, y 3000\.\.4000\) are neither degrees in the "
                       r"county nor Gauss-Krueger zone 40/41 metres; declare the CRS with crs="):
        read_layer(path)
