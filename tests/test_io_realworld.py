"""Issue 13: loading files from the real world — one test per finding.

Every file is built here (no file of another project is used): CRS outside the county, areas of
use across 180 degrees, .shp padding, GeoParquet versions, GeoJSON ids, KML tracks / HTML /
schemas / times.
"""

from __future__ import annotations

import datetime
import json

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point

from county_gis import CRSError, LayerReadError, read_layer, read_layers
from county_gis.io import OutsideCountyWarning, Severity
from county_gis.io._crs_infer import _within_lon, county_distance_km
from io_corpus import LAT, LON, esri_prj, plots_gdf, shapefile, write


def point_layer(tmp_path, x, y, crs, name="layer"):
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(x, y)], crs=crs)
    return write(gdf, tmp_path / f"{name}.gpkg")


# --- CRS: a declared CRS is taken as stated -------------------------------------------------

def test_layer_of_a_neighbouring_county_is_read_with_a_warning(tmp_path):
    # a correct EPSG:4490 point half a degree of latitude north of the county's bounding box
    # (42.57 N): 0.5 degree of meridian at 42.8 N is 55.5 km (GRS80)
    path = point_layer(tmp_path, 122.0, 43.07, 4490, name="zhangwu")
    with pytest.warns(OutsideCountyWarning, match=r"zhangwu\.gpkg:zhangwu: the layer lies "
                      r"outside the county: after transforming from EPSG:4490 .* \(file\) it "
                      r"lies at x 122\.00000\.\.122\.00000, y 43\.07000\.\.43\.07000, 55\.5 km "
                      r"from the county's bounding box"):
        gdf = read_layer(path)
    assert gdf.geometry.iloc[0].equals(Point(122.0, 43.07))
    [note] = gdf.attrs["load_report"].select("crs.outside_county")
    assert note.severity is Severity.WARNING
    assert gdf.attrs["load_report"].warnings == [note]


def test_declared_crs_outside_the_county_is_read(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(123.0, 42.0)])  # 彰武/新民 side
    path = write(gdf, tmp_path / "nocrs.gpkg")
    with pytest.warns(OutsideCountyWarning, match=r"\(declared\) it lies at x 123\.00000"):
        out = read_layer(path, crs="EPSG:4490")
    assert out.attrs["load_report"].crs_decision.startswith("EPSG:4490 ")


def test_inferred_crs_outside_the_county_still_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(123.0, 42.0)])
    path = write(gdf, tmp_path / "nocrs.gpkg")
    with pytest.raises(CRSError, match=r"nocrs\.gpkg:nocrs: the layer has no CRS and its "
                       r"degrees \(x 123\.00000\.\.123\.00000, .*\) are outside the county"):
        read_layer(path)


def test_county_distance_km_hand_checked():
    assert county_distance_km((121.5, 42.0, 121.6, 42.1)) == 0.0  # inside
    # 1 degree of latitude north of 42.57 N: the meridian arc 42.57-43.57 N is 111.1 km
    assert county_distance_km((121.5, 43.57, 121.5, 43.57)) == pytest.approx(111.1, abs=0.1)
    # west of the county along 42 N, 1 degree of longitude: 111.32 * cos(42) = 82.8 km
    assert county_distance_km((120.02, 42.0, 120.02, 42.0)) == pytest.approx(82.8, abs=0.2)


@pytest.mark.parametrize(("lo", "hi", "inside"), [
    (-120.0, -80.0, True),    # the United States in NAD83 (area 167.65E .. -40.73E)
    (170.0, 175.0, True),     # the Aleutians, west of 180
    (-179.0, 179.0, True),    # a layer across 180
    (121.0, 122.0, False),    # Fuxin is not in North America
    (-30.0, -20.0, False),    # the Atlantic
])
def test_area_of_use_across_180(lo, hi, inside):
    assert _within_lon(lo, hi, 167.65, -40.73, 1.5) is inside


@pytest.mark.parametrize("epsg", [4269, 4267])  # NAD83, NAD27: areas of use cross 180
def test_north_american_layer_is_read(tmp_path, epsg):
    path = point_layer(tmp_path, -100.0, 40.0, epsg, name="kansas")
    with pytest.warns(OutsideCountyWarning, match=r"kansas\.gpkg:kansas: the layer lies "
                      rf"outside the county: after transforming from EPSG:{epsg} "):
        gdf = read_layer(path)
    x, y = gdf.geometry.iloc[0].coords[0]
    assert (x, y) == pytest.approx((-100.0, 40.0), abs=1e-3)  # NAD -> CGCS2000: < 100 m


def test_longitude_a_rounding_error_past_180_is_degrees(tmp_path):
    path = point_layer(tmp_path, 180.00000000000006, 10.0, 4326, name="dateline")
    with pytest.warns(OutsideCountyWarning):
        gdf = read_layer(path)
    assert gdf.geometry.iloc[0].x == pytest.approx(180.0, abs=1e-9)


def test_wrong_zone_in_the_prj_is_read_but_said(tmp_path):
    from io_corpus import gk_plots

    path = shapefile(tmp_path, gk_plots(40), prj=esri_prj(4550))
    with pytest.warns(OutsideCountyWarning, match=r"if it belongs to the county, the raw "
                      r"coordinates look like EPSG:4549 .*declare crs='EPSG:4549'"):
        read_layer(path)


# --- shapefile padding ----------------------------------------------------------------------

def test_shp_ending_in_zero_padding_is_read(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="UTF-8")
    size = path.stat().st_size
    path.write_bytes(path.read_bytes() + b"\x00" * 24)
    gdf = read_layer(path)
    assert len(gdf) == len(plots_gdf())
    [note] = gdf.attrs["load_report"].select("shapefile.padding")
    assert note.severity is Severity.INFO
    assert note.message == (f"the .shp holds 24 byte(s) after its last record (header file "
                            f"length {size:,} bytes, file {size + 24:,} bytes), all zero: "
                            "padding written by the exporting tool, not a record; ignored")


def test_shp_truncated_still_refused(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="UTF-8")
    path.write_bytes(path.read_bytes()[:-10] + b"\x00" * 4)
    with pytest.raises(LayerReadError, match=r"record 2 runs past the end of the file"):
        read_layer(path)


# --- GeoParquet -----------------------------------------------------------------------------

def parquet_file(path, geo, *, in_schema=True):
    """A one-point GeoParquet with the ``geo`` metadata ``geo``: in the Arrow schema (as
    geopandas writes) or only in the Parquet file's key-value metadata (as GDAL 3.5 writes)."""
    wkb = shapely.to_wkb(Point(LON, LAT))
    table = pa.table({"备注": ["甲"], "geometry": pa.array([wkb], pa.binary())})
    if in_schema:
        table = table.replace_schema_metadata({"geo": json.dumps(geo)})
        pq.write_table(table, path)
    else:
        writer = pq.ParquetWriter(path, table.schema)  # with an Arrow schema that lacks "geo"
        writer.write_table(table)
        writer.add_key_value_metadata({"geo": json.dumps(geo)})
        writer.close()
    return path


WKT_4326 = CRS.from_epsg(4326).to_wkt()


@pytest.mark.parametrize(("version", "crs"), [
    ("0.1.0", WKT_4326),                                  # WKT text
    ("0.4.0", CRS.from_epsg(4490).to_json_dict()),        # PROJJSON object
    ("1.0.0", json.dumps(CRS.from_epsg(4490).to_json_dict())),  # PROJJSON as text
    ("1.1.0", None),                                      # unknown CRS: inferred
])
def test_geoparquet_versions(tmp_path, version, crs):
    geo = {"version": version, "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "crs": crs}}}
    gdf = read_layer(parquet_file(tmp_path / "p.parquet", geo))
    assert gdf.geometry.iloc[0].equals(Point(LON, LAT))
    assert gdf["备注"].tolist() == ["甲"]
    report = gdf.attrs["load_report"]
    assert report.select("source.geoparquet")[0].message == (
        f"GeoParquet {version}, geometry column 'geometry' encoded WKB")


def test_geoparquet_as_gdal_writes_it(tmp_path):
    # GDAL 3.5: "geo" only in the file's key-value metadata, version 0.3.0, WKT crs,
    # "geometry_type" (singular)
    geo = {"version": "0.3.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "crs": WKT_4326,
                                    "geometry_type": ["Point"], "bbox": [LON, LAT, LON, LAT]}}}
    path = parquet_file(tmp_path / "gdal.parquet", geo, in_schema=False)
    assert pq.read_table(path).schema.metadata is None  # pyarrow alone does not see it
    gdf = read_layer(path)
    assert gdf.attrs["load_report"].crs_decision == "EPSG:4326 (WGS 84)"
    assert gdf.geometry.iloc[0].equals(Point(LON, LAT))


def test_geoparquet_geoarrow_encoding(tmp_path):
    src = gpd.GeoDataFrame({"名称": ["甲", "乙"]},
                           geometry=[LineString([(LON, LAT), (LON + 0.01, LAT)]),
                                     LineString([(LON, LAT + 0.01), (LON, LAT + 0.02)])],
                           crs=4490)
    path = tmp_path / "native.parquet"
    src.to_parquet(path, geometry_encoding="geoarrow")
    gdf = read_layer(path)
    assert [g.wkt for g in gdf.geometry] == [g.wkt for g in src.geometry]
    assert "encoded linestring" in gdf.attrs["load_report"].select("source.geoparquet")[0].message


def test_geoparquet_bad_crs_is_a_crs_error_naming_the_file(tmp_path):
    geo = {"version": "0.1.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "crs": "GEOGCRS[\"broken"}}}
    path = parquet_file(tmp_path / "bad.parquet", geo)
    with pytest.raises(CRSError, match=r"bad\.parquet \(geometry\): the GeoParquet 'crs' "
                       r"\"GEOGCRS\[.*broken\" is not a CRS PROJ reads .*allowed: PROJJSON "
                       r"or WKT\. Declare the CRS with crs="):
        read_layer(path)


def test_parquet_without_geo_metadata_refused(tmp_path):
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"a": [1]}), path)
    with pytest.raises(LayerReadError, match=r"plain\.parquet: a Parquet file without 'geo' "
                       r"metadata .* is not GeoParquet"):
        read_layer(path)


# --- GeoJSON ids ----------------------------------------------------------------------------

def geojson(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def feature(fid, props, x=LON):
    out = {"type": "Feature", "properties": props,
           "geometry": {"type": "Point", "coordinates": [x, LAT]}}
    if fid is not None:
        out["id"] = fid
    return out


def test_geojson_feature_id_and_property_id(tmp_path):
    path = geojson(tmp_path / "ids.geojson", [feature("A1", {"id": 7, "备注": "甲"}),
                                              feature("A2", {"id": 8, "备注": "乙"}, LON + 0.01)])
    gdf = read_layer(path)
    assert gdf["feature_id"].tolist() == ["A1", "A2"]
    assert gdf["project_id"].tolist() == ["7", "8"]  # the property 'id' (an alias)
    [note] = gdf.attrs["load_report"].select("geojson.feature_id")
    assert "the feature ids in column 'feature_id'" in note.message


def test_geojson_integer_property_id_alone(tmp_path):
    # GDAL turns an integer property "id" into the FID column "id" as well (named twice)
    path = geojson(tmp_path / "pid.geojson", [feature(None, {"id": 7, "备注": "甲"})])
    gdf = read_layer(path)
    assert gdf["project_id"].tolist() == ["7"]
    assert gdf["备注"].tolist() == ["甲"]


# --- KML ------------------------------------------------------------------------------------

KML_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2" '
            'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document>')


def kml(path, body):
    path.write_text(KML_HEAD + body + "</Document></kml>", encoding="utf-8")
    return path


def test_kml_gx_track_and_multitrack_are_lines(tmp_path):
    path = kml(tmp_path / "tracks.kml", """
<Placemark id="t1"><name>巡护</name><gx:Track>
<when>2024-05-01T08:00:00+08:00</when><when>2024-05-01T08:30:00+08:00</when>
<gx:coord>121.60 42.10 300</gx:coord><gx:coord>121.61 42.10 310</gx:coord></gx:Track></Placemark>
<Placemark id="t2"><name>两段</name><gx:MultiTrack>
<gx:Track><when>2024-05-02T08:00:00+08:00</when><gx:coord>121.60 42.10</gx:coord>
<when>2024-05-02T08:10:00+08:00</when><gx:coord>121.61 42.10</gx:coord></gx:Track>
<gx:Track><when>2024-05-02T09:00:00+08:00</when><gx:coord>121.62 42.10</gx:coord>
<when>2024-05-02T09:10:00+08:00</when><gx:coord>121.63 42.10</gx:coord></gx:Track>
</gx:MultiTrack></Placemark>""")
    gdf = read_layer(path)
    assert [g.geom_type for g in gdf.geometry] == ["LineString", "MultiLineString"]
    assert gdf.geometry.iloc[0].equals(LineString([(121.60, 42.10), (121.61, 42.10)]))
    assert len(gdf.geometry.iloc[1].geoms) == 2
    assert gdf.geometry.isna().sum() == 0
    tz = datetime.timezone(datetime.timedelta(hours=8))
    assert gdf["time_begin"].tolist() == [
        datetime.datetime(2024, 5, 1, 8, 0, tzinfo=tz),
        datetime.datetime(2024, 5, 2, 8, 0, tzinfo=tz)]
    assert gdf["time_end"].tolist()[1] == datetime.datetime(2024, 5, 2, 9, 10, tzinfo=tz)
    assert gdf["kml_id"].tolist() == ["t1", "t2"]


def test_kml_description_with_html_outside_cdata_kept_whole(tmp_path):
    path = kml(tmp_path / "html.kml", "<Placemark><name>甲</name><description>面积 12 亩<br/>"
               "树种：油松</description><Point><coordinates>121.6,42.1</coordinates></Point>"
               "</Placemark>")
    gdf = read_layer(path)
    assert gdf["description"].tolist() == ["面积 12 亩<br/>树种：油松"]


def test_kml_description_table_becomes_columns(tmp_path):
    table = ("<table><tr><th>属性</th><th>值</th></tr><tr><td>树种</td><td>油松</td></tr>"
             "<tr><td>乡镇</td><td>大板镇</td></tr></table>")
    path = kml(tmp_path / "ovi.kml", f"<Placemark><name>甲</name><description><![CDATA[{table}]]>"
               "</description><Point><coordinates>121.6,42.1</coordinates></Point></Placemark>")
    gdf = read_layer(path)
    assert gdf["树种"].tolist() == ["油松"]
    assert gdf["township"].tolist() == ["大板镇"]  # 乡镇 is an alias
    assert "属性" not in gdf.columns  # the header row
    assert gdf["description"].tolist() == [table]
    [note] = gdf.attrs["load_report"].select("kml.description_table")
    assert "'树种' (1), '乡镇' (1)" in note.message


def test_kml_schema_types_honoured(tmp_path):
    path = kml(tmp_path / "schema.kml", """
<Schema name="plots" id="s1"><SimpleField name="株数" type="int"/>
<SimpleField name="密度" type="double"/><SimpleField name="完工" type="bool"/>
<SimpleField name="代码" type="string"/></Schema>
<Placemark><ExtendedData><SchemaData schemaUrl="#s1"><SimpleData name="株数">300</SimpleData>
<SimpleData name="密度">1.5</SimpleData><SimpleData name="完工">1</SimpleData>
<SimpleData name="代码">007</SimpleData></SchemaData></ExtendedData>
<Point><coordinates>121.6,42.1</coordinates></Point></Placemark>
<Placemark><ExtendedData><SchemaData schemaUrl="#s1"><SimpleData name="株数">3.5</SimpleData>
<SimpleData name="密度">x</SimpleData><SimpleData name="完工">false</SimpleData>
</SchemaData></ExtendedData><Point><coordinates>121.7,42.1</coordinates></Point></Placemark>""")
    gdf = read_layer(path)
    assert str(gdf["株数"].dtype) == "Int64"
    assert gdf["株数"].tolist() == [300, pd_na()]
    assert gdf["密度"].tolist()[0] == 1.5 and np.isnan(gdf["密度"].tolist()[1])
    assert gdf["完工"].tolist() == [True, False]
    assert gdf["代码"].tolist()[0] == "007"  # a string stays a string
    notes = [(n.fid, n.field, n.message) for n in gdf.attrs["load_report"]
             .select("value.schema_type")]
    assert notes == [(1, "株数", "'3.5' is not a int as the <Schema> declares; left empty"),
                     (1, "密度", "'x' is not a double as the <Schema> declares; left empty")]


def pd_na():
    import pandas as pd

    return pd.NA


def test_kml_times_keep_their_zone_or_say_there_is_none(tmp_path):
    path = kml(tmp_path / "times.kml", """
<Placemark><TimeStamp><when>2024-05-01T08:00:00Z</when></TimeStamp>
<TimeSpan><begin>2024-05-01</begin><end>2024-05-03</end></TimeSpan>
<Point><coordinates>121.6,42.1</coordinates></Point></Placemark>""")
    gdf = read_layer(path)
    assert gdf["timestamp"].tolist() == [datetime.datetime(2024, 5, 1, 8,
                                                           tzinfo=datetime.UTC)]
    assert str(gdf["time_begin"].dtype).startswith("datetime64")
    messages = {n.field: n.message for n in gdf.attrs["load_report"].select("kml.time")}
    assert messages["timestamp"] == "'timestamp': every value states UTC+00:00: kept " \
        "(timezone-aware)"
    assert messages["time_begin"] == "'time_begin': no time zone stated: local times as " \
        "written (timezone-naive)"


def test_kml_read_layers_reads_track_folders(tmp_path):
    path = kml(tmp_path / "f.kml", "<Folder><name>轨迹</name><Placemark><gx:Track>"
               "<gx:coord>121.6 42.1</gx:coord><gx:coord>121.7 42.1</gx:coord></gx:Track>"
               "</Placemark></Folder>")
    layers = read_layers(path)
    assert list(layers) == ["轨迹"]
    assert layers["轨迹"].geometry.iloc[0].geom_type == "LineString"


# --- survey coordinate tables (界址点坐标表: X = northing, Y = easting with zone prefix) -------

def test_survey_table_with_bom_and_zone_prefix_inferred(tmp_path):
    from pyproj import Transformer

    csv = tmp_path / "界址点.csv"
    rows = "点号,X,Y\r\nJ1,4650000.000,40600000.000\r\nJ2,4650100.000,40600000.000\r\n"
    csv.write_bytes(b"\xef\xbb\xbf" + rows.encode("utf-8"))
    gdf = read_layer(csv)
    report = gdf.attrs["load_report"]
    assert report.encoding == "UTF-8" and report.encoding_evidence == "UTF-8 byte order mark"
    assert gdf["点号"].tolist() == ["J1", "J2"]  # the BOM is not part of the first name
    assert report.crs_decision.startswith("EPSG:4528 ")
    [note] = report.select("table.survey_axes")
    assert note.message == ("X holds northings 4650000..4650100 and Y eastings "
                            "40600000..40600000 (the survey convention X = northing, from their "
                            "magnitudes); the points are built as (Y, X)")
    x, y = Transformer.from_crs(4528, 4490, always_xy=True).transform(40_600_000, 4_650_100)
    assert gdf.geometry.iloc[1].coords[0] == pytest.approx((x, y), abs=1e-9)


def test_survey_table_with_easting_columns_not_swapped(tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text("点号,东坐标,北坐标\nJ1,600000,4650000\n", encoding="utf-8")
    gdf = read_layer(csv, crs="EPSG:4549")
    assert gdf.attrs["load_report"].select("table.survey_axes") == []


# --- numbers: every odd cell read or emptied, with a note per cell -------------------------

def set_numeric_cell(shp, old: float, new: bytes) -> None:
    """Put ``new`` (right-aligned) into the DBF numeric cell that holds ``old``."""
    import re

    dbf = shp.with_suffix(".dbf")
    data = dbf.read_bytes()
    match = re.search(rb" *" + re.escape(f"{old:.3f}".encode()) + rb"0*", data)
    assert match is not None
    cell = match.group(0)
    assert len(new) <= len(cell)
    dbf.write_bytes(data.replace(cell, new.rjust(len(cell)), 1))


def test_dbf_numeric_cells_gdal_misreads(tmp_path):
    gdf = gpd.GeoDataFrame({"株数": [111.0, 222.0, 333.0, 444.0, 555.0]},
                           geometry=[Point(LON + i / 100, LAT) for i in range(5)], crs=4490)
    path = shapefile(tmp_path, gdf, encoding="GBK", cpg="GBK")
    set_numeric_cell(path, 111.0, "１２.５".encode("gbk"))
    set_numeric_cell(path, 222.0, b"1,234.5")
    set_numeric_cell(path, 333.0, b"N/A")
    set_numeric_cell(path, 444.0, b"1.5e3")
    out = read_layer(path)
    values = out["株数"].tolist()
    assert values[:2] == [12.5, 1234.5] and np.isnan(values[2])
    assert values[3:] == [1500.0, 555.0]
    notes = {n.fid: (n.code, n.severity.value, n.message) for n in out.attrs["load_report"].notes
             if n.field == "株数"}
    assert notes[0] == ("value.full_width", "info", "the numeric cell holds '１２.５': "
                        "full-width characters in '１２.５' read as '12.5' = 12.5 (GDAL would "
                        "read whatever digits it starts with)")
    assert notes[1][:2] == ("value.thousands_separator", "assumption")
    assert notes[2][:2] == ("value.missing_marker", "info")
    assert 3 not in notes and 4 not in notes  # an exponent is a number GDAL reads right


@pytest.mark.parametrize(("text", "value", "code"), [
    ("１２.５", 12.5, "value.full_width"),
    ("1.2e3", 1200.0, "value.exponent"),
    ("-5", None, "value.negative"),
    ("－5亩", None, "value.negative"),
    ("N/A", None, "value.missing_marker"),
    ("—", None, "value.missing_marker"),
    ("", None, None),
])
def test_area_text_cells(tmp_path, text, value, code):
    csv = tmp_path / "plots.csv"
    csv.write_text(f"经度,纬度,面积(亩)\n{LON},{LAT},{text}\n", encoding="utf-8")
    out = read_layer(csv)
    got = out["stated_area_mu"].iloc[0] if "stated_area_mu" in out else None
    assert (np.isnan(got) if value is None else got == value)
    notes = [(n.code, n.fid, n.field) for n in out.attrs["load_report"].notes
             if n.code.startswith("value.")]
    assert notes == ([(code, 0, "面积(亩)")] if code else [])


def test_negative_area_in_a_numeric_field(tmp_path):
    gdf = gpd.GeoDataFrame({"面积(亩)": [12.0, -3.0]},
                           geometry=[Point(LON, LAT), Point(LON + 0.01, LAT)], crs=4490)
    out = read_layer(write(gdf, tmp_path / "plots.gpkg"))
    assert out["stated_area_mu"].tolist()[0] == 12.0 and np.isnan(out["stated_area_mu"].iloc[1])
    [note] = out.attrs["load_report"].select("value.negative")
    assert (note.fid, note.field, note.message) == (2, "面积(亩)", "negative area -3.0; left empty")


# --- code pages -----------------------------------------------------------------------------

def latin_shapefile(tmp_path, *, cpg, ldid=None):
    gdf = gpd.GeoDataFrame({"NAME": ["México", "Zürich"]},
                           geometry=[Point(LON, LAT), Point(LON + 0.01, LAT)], crs=4490)
    path = shapefile(tmp_path, gdf, encoding="ISO-8859-1", cpg=cpg)
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = ldid
        dbf.write_bytes(bytes(data))
    assert b"M\xe9xico" in path.with_suffix(".dbf").read_bytes()
    return path


@pytest.mark.parametrize(("cpg", "name"), [("ISO-8859-1", "ISO8859-1"), ("1252", "CP1252"),
                                            ("ANSI 1252", "CP1252")])
def test_cpg_naming_a_latin_code_page_is_honoured(tmp_path, cpg, name):
    gdf = read_layer(latin_shapefile(tmp_path, cpg=cpg))
    assert gdf["name"].tolist() == ["México", "Zürich"]
    report = gdf.attrs["load_report"]
    assert report.encoding == name
    assert report.encoding_evidence == (f".cpg says {cpg!r}: code page {name}; the bytes are "
                                        "not UTF-8")
    assert report.select("encoding.cpg_contradicted") == []


def test_dbf_language_driver_naming_1252_is_honoured(tmp_path):
    gdf = read_layer(latin_shapefile(tmp_path, cpg=None, ldid=0x57))
    assert gdf["name"].tolist() == ["México", "Zürich"]
    assert gdf.attrs["load_report"].encoding_evidence == (
        "no .cpg; the DBF language driver byte 0x57 names code page CP1252; the bytes are not "
        "UTF-8")


def test_latin_text_without_cpg_is_not_made_chinese(tmp_path):
    gdf = read_layer(latin_shapefile(tmp_path, cpg=None, ldid=0))
    assert gdf["name"].tolist() == ["México", "Zürich"]
    [note] = gdf.attrs["load_report"].select("encoding.detected")
    assert note.severity is Severity.ASSUMPTION
    assert "no common (GB2312) Chinese character" in note.message
    assert "'M\\xe9xico' -> 'M閤ico'" in note.message


def test_chinese_text_without_cpg_still_gb18030_with_its_evidence(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["大板镇"]}, geometry=[Point(LON, LAT)], crs=4490)
    path = shapefile(tmp_path, gdf, encoding="GBK", cpg=None)
    out = read_layer(path)
    assert out["name"].tolist() == ["大板镇"]
    assert out.attrs["load_report"].encoding == "GB18030"


def test_zip_member_names_from_chinese_windows(tmp_path):
    import zipfile

    path = shapefile(tmp_path, plots_gdf(), name="AAAA", encoding="UTF-8")
    archive = tmp_path / "roads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(tmp_path.glob("AAAA.*")):
            zf.write(part, part.name)
    # the names as a CP936 archiver writes them: GBK bytes, no UTF-8 flag
    archive.write_bytes(archive.read_bytes().replace(b"AAAA", "道路".encode("gbk")))
    gdf = read_layer(archive)
    assert len(gdf) == len(plots_gdf())
    report = gdf.attrs["load_report"]
    assert report.layer == "道路"
    [note] = report.select("source.archive_names")
    assert note.message.startswith("5 member name(s) carry no UTF-8 flag and are not ASCII: "
                                   "decoded as GB18030 (CP936, as Chinese Windows writes them), "
                                   "e.g. '道路.")
    assert path.exists()


# --- broken workbooks -----------------------------------------------------------------------

def xlsx(path):
    import pandas as pd

    pd.DataFrame({"经度": [LON], "纬度": [LAT], "备注": ["甲"]}).to_excel(path, index=False)
    return path


def test_xlsx_reads(tmp_path):
    assert read_layer(xlsx(tmp_path / "pts.xlsx"))["备注"].tolist() == ["甲"]


def test_truncated_xlsx_is_a_layer_read_error(tmp_path):
    path = xlsx(tmp_path / "pts.xlsx")
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(LayerReadError, match=r"pts\.xlsx: cannot read the workbook: a zip that "
                       r"is truncated or damaged \(BadZipFile: .*\); copy the file again or "
                       r"re-save it in Excel / WPS"):
        read_layer(path)


def test_xls_renamed_xlsx_is_a_layer_read_error(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with pytest.raises(LayerReadError, match=r"old\.xlsx: an Excel 97-2003 workbook \(\.xls\) "
                       r"named \.xlsx; open it in Excel or WPS and save it as \.xlsx"):
        read_layer(path)


def test_text_named_xlsx_is_a_layer_read_error(tmp_path):
    path = tmp_path / "pts.xlsx"
    path.write_text("经度,纬度\n121.6,42.1\n", encoding="utf-8")
    with pytest.raises(LayerReadError, match=r"pts\.xlsx: the suffix \.xlsx says XLSX \(a ZIP "
                       r"archive .*\) but the file holds text; refused"):
        read_layer(path)


def test_kml_placemarks_without_geometry_are_not_skipped_by_read_layers(tmp_path):
    path = kml(tmp_path / "bad.kml", "<Placemark><name>甲</name><Point><coordinates>no,no"
               "</coordinates></Point></Placemark>")
    [gdf] = read_layers(path).values()
    assert gdf["name"].tolist() == ["甲"] and gdf.geometry.isna().all()
    [note] = gdf.attrs["load_report"].select("kml.bad_coordinates")
    assert note.fid == 0


def test_kml_non_conformant_multi_and_ground_overlay(tmp_path):
    path = kml(tmp_path / "multi.kml", """
<Placemark><MultiPolygon><Polygon><outerBoundaryIs><LinearRing><coordinates>121.6,42.1
121.6,42.11 121.61,42.11 121.6,42.1</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiPolygon></Placemark>
<GroundOverlay><name>影像</name><LatLonBox><north>42.2</north><south>42.1</south>
<east>121.7</east><west>121.6</west></LatLonBox></GroundOverlay>""")
    gdf = read_layer(path)
    assert [g.geom_type for g in gdf.geometry] == ["MultiPolygon", "Polygon"]
    assert gdf.geometry.iloc[1].bounds == (121.6, 42.1, 121.7, 42.2)
    [note] = gdf.attrs["load_report"].select("kml.ground_overlay")
    assert note.fid == 1 and note.message == ("a GroundOverlay (an image laid on the map): read "
                                              "as the polygon of its corners")


def test_csv_with_wkt_geometry(tmp_path):
    csv = tmp_path / "wkt.csv"
    csv.write_text('WKT,备注\n"LINESTRING (121.6 42.1, 121.7 42.1)",甲\n'
                   '"CIRCULARSTRING (121.6 42.1, 121.65 42.15, 121.7 42.1)",乙\n', encoding="utf-8")
    gdf = read_layer(csv)
    assert gdf.geometry.iloc[0].equals(LineString([(121.6, 42.1), (121.7, 42.1)]))
    assert gdf["备注"].tolist() == ["甲", "乙"]
    [note] = gdf.attrs["load_report"].select("table.bad_wkt")
    assert (note.fid, note.field) == (1, "WKT")
    assert note.message.startswith("cannot read a geometry from 'CIRCULARSTRING (121.6 42.1, "
                                   "121.65 42.15, 121.7 42.1)'")
