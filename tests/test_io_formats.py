"""Every format, on both engines: the same canonical layer comes out."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from county_gis import LayerReadError, geodesic_area, list_layers, read_layer, read_layers
from county_gis.io import parse_degrees
from io_corpus import E40, LAT, LON, N40, esri_prj, gk_plots, plots_gdf, shapefile, write

ENGINES = ["pyogrio", "fiona"]
NAMES = ["扎兰营子造林", "大板镇抚育", "福兴地补播"]


def _build(fmt, folder):
    gdf = plots_gdf()
    if fmt == "shp":
        return shapefile(folder, gdf, encoding="GBK", cpg=None)
    if fmt == "zip":
        shp = shapefile(folder, gdf, encoding="GBK", cpg="GBK")
        archive = folder / "plots.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in folder.glob("plots.*"):
                if part != archive:
                    zf.write(part, f"数据/{part.name}")
        del shp
        return archive
    if fmt == "parquet":
        path = folder / "plots.parquet"
        gdf.to_parquet(path)
        return path
    suffix = {"gpkg": "gpkg", "geojson": "geojson", "fgb": "fgb"}[fmt]
    return write(gdf, folder / f"plots.{suffix}")


@pytest.mark.parametrize("fmt", ["shp", "zip", "gpkg", "geojson", "fgb", "parquet"])
def test_formats_agree_across_engines(tmp_path, fmt):
    path = _build(fmt, tmp_path)
    frames = [read_layer(path, kind="afforestation", engine=e) for e in ENGINES]
    for gdf in frames:
        gdf = gdf.sort_values("project_id").reset_index(drop=True)
        assert gdf.crs.to_epsg() == 4490
        assert gdf["name"].tolist() == NAMES
        assert gdf["project_id"].tolist() == ["ZL-01", "ZL-02", "ZL-03"]
        assert gdf["status"].tolist() == ["completed", "under_construction", "planned"]
        assert gdf["stated_area_mu"].tolist() == [15.0, 30.5, 7.25]
        assert gdf["kind"].unique().tolist() == ["afforestation"]
    a, b = (f.sort_values("project_id").reset_index(drop=True) for f in frames)
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-12).all()
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"),
                                  check_dtype=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_multi_layer_gpkg_needs_a_layer_and_read_all_keeps_each_crs(tmp_path, engine):
    path = tmp_path / "project.gpkg"
    write(plots_gdf(), path, layer="造林")
    gk = gk_plots(40).set_crs(4549)
    write(gk, path, layer="地块_gk")
    assert list_layers(path) == {"造林": "Polygon", "地块_gk": "Polygon"}
    with pytest.raises(LayerReadError, match=r"has 2 layers \('造林', '地块_gk'\); pass "
                       r"layer=\.\.\. or read them all with read_layers\(\)"):
        read_layer(path, engine=engine)
    layers = read_layers(path, engine=engine)
    assert list(layers) == ["造林", "地块_gk"]
    assert layers["造林"].attrs["load_report"].crs_decision.startswith("EPSG:4490 ")
    assert layers["地块_gk"].attrs["load_report"].crs_decision.startswith("EPSG:4549 ")
    assert all(g.crs.to_epsg() == 4490 for g in layers.values())
    assert [len(g) for g in layers.values()] == [3, 2]
    # the zone-40 squares, as read: 1 km x 1 km in the zone plane
    assert geodesic_area(layers["地块_gk"], unit="m2", method="gk").tolist() == pytest.approx(
        [1e6, 1e6], rel=1e-9)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>项目</name>
<Folder><name>道路</name>
  <Folder><name>2024</name>
    <Placemark><name>甲路</name>
      <description><![CDATA[<p><b>里程</b>: 3.2公里</p>]]></description>
      <ExtendedData><Data name="状态"><value>在建</value></Data></ExtendedData>
      <LineString><coordinates>121.60,42.10,0 121.61,42.10,0</coordinates></LineString>
    </Placemark>
  </Folder>
</Folder>
<Folder><name>学校</name>
  <Placemark><name>一中</name><Point><coordinates>121.65,42.12</coordinates></Point></Placemark>
  <Placemark><name>二中</name><Point><coordinates>121.66,42.13</coordinates></Point></Placemark>
</Folder>
</Document></kml>
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("packed", [False, True])
def test_kml_all_folders_with_paths(tmp_path, packed, engine):
    if packed:
        path = tmp_path / "项目.kmz"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("doc.kml", KML.encode())
    else:
        path = tmp_path / "项目.kml"
        path.write_text(KML, encoding="utf-8")
    assert list_layers(path) == {"道路/2024": "LineString", "学校": "Point"}
    gdf = read_layer(path, engine=engine)
    assert gdf["folder"].tolist() == ["道路/2024", "学校", "学校"]
    assert gdf["name"].tolist() == ["甲路", "一中", "二中"]
    assert gdf["description"].iloc[0] == "<p><b>里程</b>: 3.2公里</p>"
    assert gdf["status"].tolist() == ["under_construction", None, None]
    schools = read_layer(path, layer="学校", kind="school", engine=engine)
    assert schools["name"].tolist() == ["一中", "二中"]
    roads = read_layer(path, layer="道路", kind="road", engine=engine)
    assert roads.geometry.iloc[0].equals(LineString([(121.60, 42.10), (121.61, 42.10)]))


@pytest.mark.parametrize(
    ("text", "degrees"),
    [("121°30'36\"", 121.51), ("121度30分36秒", 121.51), ("东经121°30′36″", 121.51),
     ("42°6'N", 42.1), ("42:06:00", 42.1), ("121.51", 121.51), ("121 30 36", 121.51)],
)
def test_dms(text, degrees):
    assert parse_degrees(text) == pytest.approx(degrees, abs=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_with_dms_columns(tmp_path, engine):
    path = tmp_path / "outfalls.csv"
    path.write_text("名称,东经,北纬,状态\n排污口1,121°30'36\",42°6'0\",完工\n"
                    "排污口2,121.6,42.2,计划\n排污口3,,,计划\n", encoding="utf-8")
    gdf = read_layer(path, kind="outfall", engine=engine)
    assert gdf.geometry.iloc[0].equals(Point(121.51, 42.1))
    assert gdf.geometry.iloc[1].equals(Point(121.6, 42.2))
    assert gdf.geometry.iloc[2] is None
    [null] = gdf.attrs["load_report"].select("geometry.null")
    assert null.fid == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_sheets(tmp_path, engine):
    path = tmp_path / "学校.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"学校名称": ["一中"], "lon": [121.6], "lat": [42.1],
                      "建筑面积(平方米)": ["1,200"]}).to_excel(writer, sheet_name="2024",
                                                             index=False)
        pd.DataFrame({"名称": ["二中"], "X": [N40], "Y": [E40]}).to_excel(
            writer, sheet_name="测量", index=False)
    assert list(list_layers(path)) == ["2024", "测量"]
    with pytest.raises(LayerReadError, match="has 2 sheets"):
        read_layer(path)
    sheet = read_layer(path, layer="2024", kind="school", engine=engine)
    assert sheet.geometry.iloc[0].equals(Point(121.6, 42.1))
    assert sheet["floor_area_m2"].tolist() == [1200.0]
    surveyed = read_layer(path, layer="测量", engine=engine)
    assert surveyed.attrs["load_report"].crs_decision.startswith("EPSG:4549 ")
    assert (surveyed.geometry.iloc[0].x, surveyed.geometry.iloc[0].y) == pytest.approx(
        (121.20658, 41.97892), abs=1e-5)  # 600,000 E, 4,650,000 N in zone 40


def test_csv_without_coordinates_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("名称,地址\n甲,阜新\n", encoding="utf-8")
    with pytest.raises(LayerReadError, match="no coordinate columns found among 名称, 地址"):
        read_layer(path)


def test_unknown_format_refused(tmp_path):
    path = tmp_path / "plots.dwg"
    path.write_bytes(b"AC1027")
    with pytest.raises(LayerReadError, match=r"unknown format '\.dwg'; supported: "):
        read_layer(path)


def test_geoparquet_crs_kept(tmp_path):
    path = tmp_path / "gk.parquet"
    gk_plots(40).set_crs(4549).to_parquet(path)
    gdf = read_layer(path)
    assert gdf.attrs["load_report"].crs_decision.startswith("EPSG:4549 ")
    assert geodesic_area(gdf, unit="m2", method="gk").tolist() == pytest.approx([1e6, 1e6],
                                                                              rel=1e-9)


def test_shapefile_prj_esri_lonlat(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[Point(LON, LAT)])
    path = shapefile(tmp_path, gdf, prj=esri_prj(4490))
    out = read_layer(path, strict=True)
    assert out.attrs["load_report"].crs_decision.startswith("EPSG:4490 ")


def test_kml_read_layers_never_double_counts(tmp_path):
    nested = KML.replace("<Folder><name>2024</name>",
                         "<Placemark><name>丙路</name><LineString><coordinates>121.62,42.1 "
                         "121.63,42.1</coordinates></LineString></Placemark>"
                         "<Folder><name>2024</name>")
    path = tmp_path / "nested.kml"
    path.write_text(nested, encoding="utf-8")
    layers = read_layers(path)
    assert {k: v["name"].tolist() for k, v in layers.items()} == {
        "道路": ["丙路"], "道路/2024": ["甲路"], "学校": ["一中", "二中"]}
    assert len(read_layer(path)) == 4


def test_table_formats_agree_across_engines(tmp_path):
    """KML, CSV and XLSX are parsed by county_gis whatever the engine: the same layer comes out,
    and the report says who parsed it."""
    kml = tmp_path / "项目.kml"
    kml.write_text(KML, encoding="utf-8")
    csv = tmp_path / "t.csv"
    csv.write_text("名称,经度,纬度\n甲,121.6,42.1\n", encoding="utf-8")
    for path in (kml, csv):
        a, b = (read_layer(path, engine=e) for e in ENGINES)
        pd.testing.assert_frame_equal(a, b)
        assert a.attrs["load_report"].engine == b.attrs["load_report"].engine == "county_gis"


def test_kml_placemark_with_unreadable_coordinates_named(tmp_path):
    path = tmp_path / "p.kml"
    path.write_text(KML.replace("121.65,42.12", "121.65,北纬42.12"), encoding="utf-8")
    gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    [bad] = report.select("kml.bad_coordinates")
    assert bad.fid == 1 and bad.message.startswith("unreadable <coordinates> (could not convert")
    assert gdf.geometry.isna().tolist() == [False, True, False]
    assert [n.fid for n in report.select("geometry.null")] == [1]
