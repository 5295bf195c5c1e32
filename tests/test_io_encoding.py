"""Text encodings: GBK DBFs without .cpg, .cpg contradicting the bytes, undecodable cells, CSV."""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from county_gis import read_layer
from county_gis.errors import EncodingError
from county_gis.io import Severity
from io_corpus import (
    LAT,
    LON,
    gpkg_without_index,
    noted,
    patch_bytes,
    plots_gdf,
    set_gpkg_bytes,
    shapefile,
    write,
)

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


@pytest.mark.parametrize("engine", ENGINES)
def test_undecodable_cell_reported_per_feature_and_field(tmp_path, engine):
    gdf = plots_gdf()
    gdf["备注"] = ["好", "PLACEHOLDER", "好"]
    path = shapefile(tmp_path, gdf, encoding="GBK", cpg=None)
    patch_bytes(path.with_suffix(".dbf"), b"PLACEHOLDER", b"AB\xff\xffCDEFGHI")
    out = read_layer(path, engine=engine)
    report = out.attrs["load_report"]
    [bad] = report.select("encoding.undecodable")
    assert (bad.fid, bad.field, bad.severity) == (1, "备注", Severity.PROBLEM)
    assert bad.message == ("bytes 41 42 ff ff 43 44 45 46 47 48 49 cannot be decoded as "
                           "GB18030; kept with U+FFFD for the undecodable bytes: 'AB��CDEFGHI'")
    # GDAL alone would drop the two bytes silently ('ABCDEFGHI'): they stay visible
    assert out["备注"].tolist() == ["好", "AB\ufffd\ufffdCDEFGHI", "好"]
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


@pytest.mark.parametrize("engine", ENGINES)
def test_mongolian_script_needs_gb18030(tmp_path, engine):
    # the Mongolian script (蒙古文) lies in GB18030's four-byte range: GBK cannot hold it
    gdf = plots_gdf()
    gdf["蒙文名"] = ["ᠹᠦᠰᠢᠨ", "ᠮᠣᠩᠭᠣᠯ", "镕"]
    with pytest.raises(UnicodeEncodeError):
        "ᠹᠦᠰᠢᠨ".encode("gbk")
    path = shapefile(tmp_path, gdf, encoding="GB18030", cpg="GBK")  # a .cpg saying GBK
    out = read_layer(path, engine=engine, strict=True)
    assert out["蒙文名"].tolist() == ["ᠹᠦᠰᠢᠨ", "ᠮᠣᠩᠭᠣᠯ", "镕"]
    assert out.attrs["load_report"].encoding_evidence == (
        ".cpg says 'GBK' and every non-ASCII cell decodes as GB18030 (GB18030, the superset of "
        "GBK, used)")


def test_utf8_majority_with_a_broken_cell(tmp_path):
    # UTF-8 text (.cpg says so) with one cell of stray bytes: UTF-8 is kept, the cell listed
    short = plots_gdf().rename(columns={"项目编号": "编号", "项目名称": "名称", "面积(亩)": "亩数"})
    short["备注"] = ["好", "PLACEHOLDER", "好"]
    path = shapefile(tmp_path, short, encoding="UTF-8", cpg="UTF-8")
    patch_bytes(path.with_suffix(".dbf"), b"PLACEHOLDER", b"\xb4\xf3\xb0\xe5\xff      ")
    out = read_layer(path)
    report = out.attrs["load_report"]
    assert report.encoding == "UTF-8"
    assert report.encoding_evidence == (
        ".cpg says 'UTF-8' and no encoding decodes every cell; 17 of 18 non-ASCII names and "
        "cells are valid UTF-8, so UTF-8, which leaves 1 cell(s) undecodable (listed)")
    # 18 = 6 Chinese field names + 3 cells in each of 名称, 状态, 乡镇 and 备注
    [bad] = report.select("encoding.undecodable")
    assert (bad.fid, bad.field) == (1, "备注")
    assert out["name"].tolist() == NAMES
    # b4 | f3 b0 | e5 | ff: four invalid UTF-8 sequences, four U+FFFD
    assert out["备注"].tolist() == ["好", "\ufffd\ufffd\ufffd\ufffd", "好"]


def test_text_cut_at_the_field_width(tmp_path):
    # a tool cut GBK text to the 10-byte field width, through the middle of a character
    import fiona
    from shapely.geometry import mapping

    schema = {"geometry": "Point", "properties": {"村": "str:10"}}
    path = tmp_path / "villages.shp"
    with fiona.open(path, "w", driver="ESRI Shapefile", schema=schema, crs="EPSG:4490",
                    encoding="GBK") as dst:
        for i, name in enumerate(["甲", "PLACEHOLDR", "乙"]):
            dst.write({"geometry": mapping(Point(LON + i * 0.01, LAT)),
                       "properties": {"村": name}})
    cut = "1他本扎兰村".encode("gbk")[:10]  # '1' and four characters, then half of 村
    patch_bytes(path.with_suffix(".dbf"), b"PLACEHOLDR", cut)
    out = read_layer(path, strict=True)
    [note] = out.attrs["load_report"].select("value.truncated")
    assert (note.fid, note.field) == (1, "村")
    assert note.message == ("the text fills the field width (10 bytes) and ends in part of a "
                            "character (bytes b4): read as '1他本扎兰'; the rest of the value is "
                            "lost in the source")
    assert out["村"].tolist() == ["甲", "1他本扎兰", "乙"]
    assert out.attrs["load_report"].encoding == "GB18030"


@pytest.mark.parametrize("engine", ENGINES)
def test_gbk_bytes_inside_a_geopackage(tmp_path, engine):
    # GeoPackage text must be UTF-8; an old tool wrote one name in GBK and one cell of bytes
    # that are neither UTF-8 nor GB18030. Plain reads fail (Arrow) or drop the cell (fiona).
    path = gpkg_without_index(plots_gdf(), tmp_path / "p.gpkg", "plots")
    set_gpkg_bytes(path, "plots", 2, "项目名称", "大板镇抚育".encode("gbk"))
    set_gpkg_bytes(path, "plots", 3, "乡镇", b"\xff\xfe")
    out = read_layer(path, engine=engine)
    report = out.attrs["load_report"]
    assert out["name"].tolist() == NAMES
    assert out["township"].tolist() == ["扎兰营子镇", "大板镇", "\ufffd\ufffd"]
    assert noted(report, "encoding") == [("encoding.not_utf8", 2, "项目名称", Severity.ASSUMPTION),
                     ("encoding.undecodable", 3, "乡镇", Severity.PROBLEM)]
    assert report.select("encoding.not_utf8")[0].message == (
        "text is not UTF-8 as GPKG requires; its bytes b4 f3 b0 e5 d5 f2 b8 a7 d3 fd decode as "
        "GB18030 (GBK written by an older tool): '大板镇抚育' used")
    assert report.encoding_evidence == "GPKG text is UTF-8 by specification; 2 cell(s) are not " \
        "(listed)"
    with pytest.raises(EncodingError, match=r"p\.gpkg:plots#2 \(项目名称\): text is not UTF-8"):
        read_layer(path, engine=engine, strict=True)


def test_csv_undecodable_cell_named(tmp_path):
    csv = tmp_path / "wells.csv"
    csv.write_bytes("名称,经度,纬度,备注\n一号井,121.6,42.1,好\n二号井,121.7,42.1,".encode("gbk")
                    + b"A\xff" + "\n三号井,121.8,42.1,好\n".encode("gbk"))
    out = read_layer(csv)
    report = out.attrs["load_report"]
    assert report.encoding == "GB18030"
    [bad] = report.select("encoding.undecodable")
    assert (bad.fid, bad.field) == (1, "备注")
    assert bad.message == "bytes 41 ff cannot be decoded as GB18030; kept with U+FFFD: 'A�'"
    assert out["备注"].tolist() == ["好", "A\ufffd", "好"]
    assert out["name"].tolist() == ["一号井", "二号井", "三号井"]


def test_utf16_csv_from_excel(tmp_path):
    csv = tmp_path / "pv.csv"
    csv.write_bytes("项目名称,lon,lat\n光伏,121.6,42.1\n".encode("utf-16"))  # with its BOM
    gdf = read_layer(csv, crs="EPSG:4490", strict=True)
    assert gdf.attrs["load_report"].encoding_evidence == "UTF-16 byte order mark"
    assert gdf["name"].tolist() == ["光伏"]


KML_GB = """<?xml version="1.0" encoding="GB2312"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>学校</name>
<Placemark><name>蒙古贞中学</name><Point><coordinates>121.65,42.12</coordinates></Point></Placemark>
</Folder></Document></kml>
"""


def test_kml_declared_gb2312(tmp_path):
    path = tmp_path / "学校.kml"
    path.write_bytes(KML_GB.encode("gb18030"))
    gdf = read_layer(path, strict=True)
    report = gdf.attrs["load_report"]
    assert (report.encoding, report.encoding_evidence) == (
        "GB18030", "the XML declaration says 'GB2312' (read as GB18030, its superset)")
    assert gdf["name"].tolist() == ["蒙古贞中学"]


def test_kml_declaration_contradicted_by_utf8_bytes(tmp_path):
    path = tmp_path / "学校.kml"
    path.write_bytes(KML_GB.encode("utf-8"))
    gdf = read_layer(path)
    [note] = gdf.attrs["load_report"].select("encoding.declaration_contradicted")
    assert note.message.startswith("the XML declaration says 'GB2312' but every byte sequence "
                                   "is valid UTF-8")
    assert gdf["name"].tolist() == ["蒙古贞中学"]
    with pytest.raises(EncodingError, match="strict=True refuses assumptions"):
        read_layer(path, strict=True)


def test_kml_undecodable_bytes_named(tmp_path):
    path = tmp_path / "学校.kml"
    path.write_bytes(KML_GB.encode("gb18030").replace("蒙古贞".encode("gb18030"), b"\xff\xff"))
    gdf = read_layer(path)
    [bad] = gdf.attrs["load_report"].select("encoding.undecodable")
    assert (bad.fid, bad.field) == (0, "name")
    assert gdf["name"].tolist() == ["\ufffd\ufffd中学"]


@pytest.mark.parametrize("engine", ENGINES)
def test_geojson_undecodable_bytes_named(tmp_path, engine):
    path = write(plots_gdf(), tmp_path / "p.geojson")
    text = path.read_text(encoding="utf-8").encode("gbk")
    path.write_bytes(text.replace("福兴地镇".encode("gbk"), b"\xff\xff\xff"))
    out = read_layer(path, engine=engine)
    [bad] = out.attrs["load_report"].select("encoding.undecodable")
    assert (bad.fid, bad.field) == (2, "乡镇")
    assert out["township"].tolist() == ["扎兰营子镇", "大板镇", "\ufffd\ufffd\ufffd"]


def test_unknown_declared_encoding_refused(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    with pytest.raises(EncodingError, match=r"plots\.shp: encoding='GB-2312x' is not a known "
                       r"text encoding; use e.g. 'GB18030'"):
        read_layer(path, encoding="GB-2312x")
