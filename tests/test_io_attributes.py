"""Attributes on load: aliases, values with units, vague values, overflow, decimal commas, ids."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from county_gis import DataError, read_layer
from county_gis.io import Severity, parse_quantity
from io_corpus import LAT, LON, noted, overflow_numeric, plots_gdf, shapefile, write


@pytest.mark.parametrize(
    ("text", "quantity", "expected"),
    [
        ("12.5亩", "area", 12.5),
        ("12.5 亩", "area", 12.5),
        ("2公顷", "area", 30.0),
        ("1万亩", "area", 10_000.0),
        ("6667平方米", "area", 10.0005),
        ("3.2公里", "length", 3.2),
        ("800米", "length", 0.8),
        ("3.2KM", "length", 3.2),
        ("7", "area", 7.0),
    ],
)
def test_values_with_units(text, quantity, expected):
    unit = "mu" if quantity == "area" else "km"
    parsed = parse_quantity(text, quantity, unit, unit)
    assert parsed.code is None
    assert parsed.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "code", "detail"),
    [
        ("约5公顷", "value.vague", "vague value: 约 (about 75 亩); not used"),
        ("10亩左右", "value.vague", "vague value: 左右 (about 10 亩); not used"),
        ("10余亩", "value.vague", "vague value: 余 (about 10 亩); not used"),
        ("********", "value.overflow", "numeric overflow '********' (the number did not fit "
         "the field width)"),
        ("12,5", "value.decimal_comma", "decimal comma in '12,5' read as '.'"),
        ("5英亩", "value.unknown_unit", "unknown area unit '英亩' in '5英亩'; known: "),
        ("待定", "value.unreadable", "not a number: '待定'"),
    ],
)
def test_flagged_values(text, code, detail):
    parsed = parse_quantity(text, "area", "mu", "mu")
    assert parsed.code == code
    assert parsed.detail.startswith(detail)
    if code == "value.decimal_comma":
        assert parsed.value == 12.5
    else:
        assert math.isnan(parsed.value)


def test_thousands_separator_read_and_flagged():
    parsed = parse_quantity("1,615", "area", "mu", "mu")
    assert (parsed.value, parsed.code) == (1615.0, "value.thousands_separator")


def test_cells_reported_per_feature(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"项目编号": ["K1", "K2", "K1", "K4"],
         "面积(亩)": ["12.5亩", "约5公顷", "12,5", "********"],
         "状态": ["竣工", "在建", "暂停", "计划"],
         "年度": ["2024年", "2024", "2025", ""]},
        geometry=[Point(LON + i * 0.01, LAT) for i in range(4)], crs=4490)
    out = read_layer(write(gdf, tmp_path / "mines.gpkg"), kind="pv_station")
    report = out.attrs["load_report"]
    assert out["stated_area_mu"].tolist()[:3] == [12.5, pytest.approx(float("nan"),
                                                  nan_ok=True), 12.5]
    assert math.isnan(out["stated_area_mu"].iloc[3])
    assert out["status"].tolist() == ["completed", "under_construction", None, "planned"]
    assert out["year"].tolist()[:3] == [2024, 2024, 2025]
    assert out["kind"].unique().tolist() == ["pv_station"]
    found = sorted((n.code, n.fid, n.field) for n in report.notes if n.fid is not None)
    assert found == [
        ("value.decimal_comma", 3, "面积(亩)"),
        ("value.duplicate_id", 1, "项目编号"),
        ("value.duplicate_id", 3, "项目编号"),
        ("value.overflow", 4, "面积(亩)"),
        ("value.unknown_status", 3, "状态"),
        ("value.vague", 2, "面积(亩)"),
    ]
    [dup] = [n for n in report.notes if n.code == "value.duplicate_id" and n.fid == 1]
    assert dup.message == "project id 'K1' also used by #3"


def test_dbf_numeric_overflow_reported(tmp_path):
    gdf = plots_gdf()
    gdf["面积(亩)"] = [15.0, 777777.0, 7.25]
    path = shapefile(tmp_path, gdf, encoding="GBK", cpg="GBK")
    overflow_numeric(path, "777777.0")
    out = read_layer(path)
    [note] = out.attrs["load_report"].select("value.overflow")
    assert (note.fid, note.field, note.severity) == (1, "面积(亩)", Severity.PROBLEM)
    assert note.message.startswith("numeric overflow '*****")
    assert out["stated_area_mu"].tolist()[::2] == [15.0, 7.25]
    assert math.isnan(out["stated_area_mu"].iloc[1])


def test_unitless_field_is_an_assumption(tmp_path):
    gdf = gpd.GeoDataFrame({"面积": [3.0]}, geometry=[Point(LON, LAT)], crs=4490)
    path = write(gdf, tmp_path / "a.gpkg")
    out = read_layer(path)
    [note] = out.attrs["load_report"].select("field.unit_assumed")
    assert note.message == "field '面积' -> stated_area_mu: the field names no unit, taken as 亩"
    with pytest.raises(ValueError, match="strict=True refuses assumptions"):
        read_layer(path, strict=True)


def test_hectare_field_converted(tmp_path):
    gdf = gpd.GeoDataFrame({"面积(公顷)": [2.0]}, geometry=[Point(LON, LAT)], crs=4490)
    out = read_layer(write(gdf, tmp_path / "a.gpkg"))
    assert out["stated_area_mu"].tolist() == [30.0]


def test_unknown_fields_kept(tmp_path):
    gdf = gpd.GeoDataFrame({"备注": ["x"], "名称": ["y"]}, geometry=[Point(LON, LAT)], crs=4490)
    out = read_layer(write(gdf, tmp_path / "a.gpkg"))
    assert list(out.columns) == ["name", "kind", "status", "备注", "source_fid", "geometry"]


def test_decimal_comma_refused_when_strict(tmp_path):
    gdf = gpd.GeoDataFrame({"面积(亩)": ["12,5"]}, geometry=[Point(LON, LAT)], crs=4490)
    path = write(gdf, tmp_path / "a.gpkg")
    with pytest.raises(ValueError, match=r"a\.gpkg:a#1 \(面积\(亩\)\): decimal comma in '12,5' "
                       r"read as '\.' \(strict=True refuses assumptions"):
        read_layer(path, strict=True)


def test_empty_layer_keeps_the_schema(tmp_path):
    gdf = gpd.GeoDataFrame({"项目名称": pd.Series([], dtype=str)},
                           geometry=gpd.GeoSeries([], crs=4549))
    out = read_layer(write(gdf, tmp_path / "e.gpkg"))
    assert len(out) == 0
    assert list(out.columns) == ["name", "kind", "status", "source_fid", "geometry"]
    assert out.attrs["load_report"].crs_decision.startswith("EPSG:4549 ")


@pytest.mark.parametrize("engine", ["pyogrio", "fiona"])
def test_dbf_numeric_cells_gdal_would_misread(tmp_path, engine):
    # a European-locale tool wrote '30,5' into a numeric field; another wrote text into one
    gdf = plots_gdf()
    gdf["面积(亩)"] = [15.0, 30.5, 7.25]
    path = shapefile(tmp_path, gdf, encoding="GBK", cpg="GBK")
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    assert data.count(b"30.5000000") == 1 and data.count(b"7.2500000") == 1
    dbf.write_bytes(data.replace(b"30.5000000", b"30,5000000").replace(b" 7.2500000",
                                                                        b" 7.25mu   "))
    out = read_layer(path, engine=engine)
    report = out.attrs["load_report"]
    # GDAL alone reads 30 and 7.25: the comma case is read as written, the text case refused
    assert out["stated_area_mu"].tolist()[:2] == [15.0, 30.5]
    assert math.isnan(out["stated_area_mu"].iloc[2])
    assert noted(report, "value") == [("value.decimal_comma", 1, "面积(亩)", Severity.ASSUMPTION),
                     ("value.unreadable", 2, "面积(亩)", Severity.PROBLEM)]
    assert report.select("value.decimal_comma")[0].message == (
        "decimal comma in the numeric cell '30,500000000000000' read as 30.5 (GDAL would read "
        "30)")
    with pytest.raises(DataError, match=r"plots\.shp:plots#1 \(面积\(亩\)\): decimal comma in "
                       r"the numeric cell '30,500000000000000' read as 30\.5 .*strict=True"):
        read_layer(path, engine=engine, strict=True)


def test_source_fields_named_like_added_columns_kept(tmp_path):
    gdf = gpd.GeoDataFrame({"source_fid": ["A-1"], "名称": ["y"]}, geometry=[Point(LON, LAT)],
                           crs=4490)
    out = read_layer(write(gdf, tmp_path / "a.gpkg"))
    assert list(out.columns) == ["name", "kind", "status", "source_fid_source", "source_fid",
                                 "geometry"]
    assert (out["source_fid_source"].tolist(), out["source_fid"].tolist()) == (["A-1"], [1])
    [note] = out.attrs["load_report"].select("field.renamed")
    assert note.message == ("field 'source_fid' is kept as 'source_fid_source': county_gis adds "
                            "a 'source_fid' column of its own")
