"""Text encodings: GBK DBFs without .cpg, .cpg contradicting the bytes, undecodable cells, CSV."""

from __future__ import annotations

import pytest

from county_gis import read_layer
from county_gis.errors import EncodingError
from county_gis.io import Severity
from io_corpus import patch_bytes, plots_gdf, shapefile

ENGINES = ["pyogrio", "fiona"]
NAMES = ["扎兰营子造林", "大板镇抚育", "福兴地补播"]


@pytest.mark.parametrize("engine", ENGINES)
def test_gbk_dbf_without_cpg_detected(tmp_path, engine):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    gdf = read_layer(path, engine=engine)
    report = gdf.attrs["load_report"]
    assert report.encoding == "GB18030"
    assert report.encoding_evidence.startswith("no .cpg; every non-ASCII cell decodes as GB18030")
    assert gdf["name"].tolist() == NAMES
    assert gdf["township"].tolist() == ["扎兰营子镇", "大板镇", "福兴地镇"]
    assert gdf["stated_area_mu"].tolist() == [15.0, 30.5, 7.25]
    assert gdf["status"].tolist() == ["completed", "under_construction", "planned"]
    [note] = report.select("encoding.detected")
    assert note.severity is Severity.ASSUMPTION


def test_gbk_without_cpg_strict_refused(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    with pytest.raises(EncodingError, match=r"plots\.shp:plots: encoding GB18030 detected"):
        read_layer(path, strict=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_cpg_contradicting_bytes_caught(tmp_path, engine):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="UTF-8")
    gdf = read_layer(path, engine=engine)
    report = gdf.attrs["load_report"]
    [note] = report.select("encoding.cpg_contradicted")
    assert note.message.startswith(".cpg says 'UTF-8' but the bytes are not UTF-8: every "
                                   "non-ASCII cell decodes as GB18030")
    assert gdf["name"].tolist() == NAMES


def test_utf8_bytes_with_gbk_cpg_caught(tmp_path):
    # short field names: GDAL truncates UTF-8 names to 10 bytes, possibly mid-character
    short = plots_gdf().rename(columns={"项目编号": "编号", "项目名称": "名称", "面积(亩)": "亩数"})
    path = shapefile(tmp_path, short, encoding="UTF-8", cpg="GBK")
    gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    assert report.encoding == "UTF-8"
    [note] = report.select("encoding.cpg_contradicted")
    assert note.message.startswith(".cpg says 'GBK' but the bytes are not GBK")
    assert gdf["name"].tolist() == NAMES


def test_matching_cpg_no_assumption(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="GBK")
    gdf = read_layer(path, strict=True)
    assert gdf.attrs["load_report"].encoding == "GB18030"
    assert gdf["name"].tolist() == NAMES


def test_undecodable_cell_reported_per_feature_and_field(tmp_path):
    gdf = plots_gdf()
    gdf["备注"] = ["好", "PLACEHOLDER", "好"]
    path = shapefile(tmp_path, gdf, encoding="GBK", cpg=None)
    patch_bytes(path.with_suffix(".dbf"), b"PLACEHOLDER", b"AB\xff\xffCDEFGHI")
    out = read_layer(path)
    report = out.attrs["load_report"]
    [bad] = report.select("encoding.undecodable")
    assert (bad.fid, bad.field, bad.severity) == (1, "备注", Severity.PROBLEM)
    assert "bytes 41 42 ff ff 43 44 45 46 47 48 49 cannot be decoded as GB18030" in bad.message
    assert out["name"].tolist() == NAMES  # the other cells are intact


def test_gbk_csv_detected(tmp_path):
    csv = tmp_path / "pv.csv"
    csv.write_bytes("项目名称,经度,纬度,装机容量(MW)\n光伏一期,121.6,42.1,20\n".encode("gbk"))
    gdf = read_layer(csv, kind="pv_station")
    report = gdf.attrs["load_report"]
    assert report.encoding == "GB18030"
    assert gdf["name"].tolist() == ["光伏一期"]
    assert gdf["capacity_kw"].tolist() == [20_000.0]


def test_utf8_bom_csv(tmp_path):
    csv = tmp_path / "pv.csv"
    csv.write_bytes("\ufeff项目名称,lon,lat\n光伏,121.6,42.1\n".encode())
    gdf = read_layer(csv)
    assert gdf.attrs["load_report"].encoding_evidence == "UTF-8 byte order mark"
    assert gdf["name"].tolist() == ["光伏"]


@pytest.mark.parametrize("engine", ENGINES)
def test_utf8_field_names_cut_mid_character(tmp_path, engine):
    # GDAL itself cuts '项目名称' (12 UTF-8 bytes) to 10 bytes, mid-character
    path = shapefile(tmp_path, plots_gdf(), encoding="UTF-8", cpg="UTF-8")
    gdf = read_layer(path, engine=engine)
    report = gdf.attrs["load_report"]
    cut = {n.field: n.message for n in report.select("field.name_truncated")}
    assert sorted(cut) == ["项目名", "项目编"]
    assert cut["项目名"].startswith("field name bytes e9 a1 b9 e7 9b ae e5 90 8d e7 end in a "
                                   "character cut in half")
    assert gdf["项目名"].tolist() == NAMES  # kept, under the name that survived
    assert gdf["面积(亩"].tolist() == [15.0, 30.5, 7.25]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plots.cpg", "plots.dbf", "plots.prj", "plots.shp", "plots.shx"]


@pytest.mark.parametrize("engine", ENGINES)
def test_gbk_geojson_transcoded(tmp_path, engine):
    text = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "甲", '
            '"properties": {"项目名称": "阜新镇光伏", "状态": "在建"}, '
            '"geometry": {"type": "Point", "coordinates": [121.6, 42.1]}}]}')
    path = tmp_path / "pv.geojson"
    path.write_bytes(text.encode("gbk"))
    gdf = read_layer(path, engine=engine)
    report = gdf.attrs["load_report"]
    assert report.encoding == "GB18030"
    assert [n.code for n in report.notes if n.code.startswith("encoding")] == [
        "encoding.detected", "encoding.transcoded"]
    assert gdf["name"].tolist() == ["阜新镇光伏"]
    assert gdf["status"].tolist() == ["under_construction"]


def test_declared_encoding_contradicted_by_utf8_bytes(tmp_path):
    short = plots_gdf().rename(columns={"项目编号": "编号", "项目名称": "名称", "面积(亩)": "亩数"})
    path = shapefile(tmp_path, short, encoding="UTF-8", cpg=None)
    gdf = read_layer(path, encoding="GBK")
    [note] = gdf.attrs["load_report"].select("encoding.declared_contradicted")
    assert note.message.startswith("encoding='GBK' was declared, but every non-ASCII cell is "
                                   "valid UTF-8")
    assert "name" not in gdf.columns  # the declaration wins: even 名称 is mojibake, reported
