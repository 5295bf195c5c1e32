"""界址点 TXT (issue 16): read the 勘测定界 boundary-point file, write it for a project."""

from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Polygon, box

from county_gis import LayerReadError, OutputExistsError, geodesic_area, read_layer
from county_gis.errors import DataError
from county_gis.io import source_for, write_jzd
from io_corpus import jzd_text

GRS80 = Geod(ellps="GRS80")
#: a 1,000 m x 1,000 m square in zone 41 (X = northing, Y = easting with the prefix 41)
SQUARE = [(4_660_000.0, 41_420_000.0), (4_661_000.0, 41_420_000.0),
          (4_661_000.0, 41_421_000.0), (4_660_000.0, 41_421_000.0)]


def test_x_is_the_northing_and_the_header_gives_the_crs(tmp_path):
    path = tmp_path / "用地.txt"
    path.write_bytes(jzd_text([("DK-1", "一号地块", SQUARE)]).encode("gbk"))
    assert source_for(path).key == "jzd"
    gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    assert report.driver == "界址点TXT" and report.encoding == "GB18030"
    assert "EPSG:4529" in report.crs_decision
    [note] = report.select("jzd.header")
    assert "带号=41" in note.message and "Y with prefix -> EPSG:4529" in note.message
    assert gdf[["project_id", "name"]].values.tolist() == [["DK-1", "一号地块"]]
    # lon ~ 122.05 (zone 41, 80 km west of 123°E), lat ~ 42.08: X is the northing
    lon, lat = gdf.geometry[0].centroid.coords[0]
    to_ll = Transformer.from_crs(4529, 4490, always_xy=True)
    assert (lon, lat) == pytest.approx(to_ll.transform(41_420_500.0, 4_660_500.0), abs=1e-6)
    # 1,000,000 m² on the zone's plane; on the ground less by the scale factor (~0.99960²)
    area = float(geodesic_area(gdf).iloc[0])
    assert area == pytest.approx(1_000_000.0, rel=2e-3)
    assert area == pytest.approx(abs(GRS80.geometry_area_perimeter(gdf.geometry[0])[0]),
                                 rel=1e-9)


def test_xian80_without_prefix_and_holes(tmp_path):
    plain = [(x, y - 41_000_000.0) for x, y in SQUARE]
    inner = [(4_660_400.0, 420_400.0), (4_660_600.0, 420_400.0), (4_660_600.0, 420_600.0),
             (4_660_400.0, 420_600.0)]
    text = jzd_text([("DK-2", "带孔", plain)], datum="1980西安坐标系")
    closed = [*inner, inner[0]]
    lines = text.splitlines()
    lines[10] = lines[10].replace("5,,DK-2", "10,,DK-2")
    lines += [f"K{i},2,{x:.3f},{y:.3f}" for i, (x, y) in enumerate(closed)]
    path = tmp_path / "hole.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="Xian 1980"):
        gdf = read_layer(path)
    assert "EPSG:2386" in gdf.attrs["load_report"].crs_decision
    geom = gdf.geometry[0]
    assert geom.geom_type == "Polygon" and len(geom.interiors) == 1


def test_bad_files_are_refused_with_the_line(tmp_path):
    text = jzd_text([("DK-1", "一号", SQUARE)]).replace("5,,DK-1", "6,,DK-1")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    with pytest.raises(LayerReadError, match=r"a.txt line 11: 地块 'DK-1' declares 6 points "
                       r"but has 5"):
        read_layer(tmp_path / "a.txt")
    (tmp_path / "b.txt").write_text(jzd_text([("DK-1", "一号", SQUARE)]).replace(
        "带号=41", "带号=40"), encoding="utf-8")
    with pytest.raises(LayerReadError, match=r"the Y coordinates carry zone prefix\(es\) \[41\] "
                       r"but \[属性描述\] says 带号=40"):
        read_layer(tmp_path / "b.txt")
    (tmp_path / "c.txt").write_text(jzd_text([("DK-1", "一号", SQUARE)]).replace(
        "2000国家大地坐标系", "地方坐标系"), encoding="utf-8")
    with pytest.raises(LayerReadError, match=r"坐标系='地方坐标系' names no known datum"):
        read_layer(tmp_path / "c.txt")


def test_a_csv_named_txt_is_still_a_table(tmp_path):
    path = tmp_path / "points.txt"
    path.write_text("名称,经度,纬度\n甲,121.6,42.1\n", encoding="utf-8")
    assert source_for(path).key == "csv"
    assert len(read_layer(path, crs="EPSG:4490")) == 1


def test_write_then_read_gives_the_plots_back(tmp_path):
    plots = gpd.GeoDataFrame(
        {"project_id": ["ZL-01", "ZL,02"], "name": ["扎兰营子造林", "大板@抚育"]},
        geometry=[box(121.60, 42.10, 121.61, 42.11),
                  Polygon([(121.62, 42.10), (121.64, 42.10), (121.64, 42.12), (121.62, 42.12)],
                          [[(121.625, 42.105), (121.63, 42.105), (121.63, 42.11),
                            (121.625, 42.11)]])],
        crs="EPSG:4490")
    out = write_jzd(plots, tmp_path / "项目.txt")
    text = out.read_bytes().decode("gb18030")
    assert "带号=41" in text and "ZL 02,大板 抚育" in text  # separators never reach a cell
    back = read_layer(out)
    assert back["project_id"].tolist() == ["ZL-01", "ZL 02"]
    got = geodesic_area(back).to_numpy()
    want = geodesic_area(plots).to_numpy()
    assert got == pytest.approx(want, rel=1e-6)  # coordinates written to the millimetre
    assert back["stated_area_mu"].to_numpy() == pytest.approx(want * 15 / 10_000, abs=0.002)
    from county_gis._atomic import forget_inputs

    forget_inputs()  # it was read above: an input is never written over until forgotten
    with pytest.raises(OutputExistsError):
        write_jzd(plots, out)
    write_jzd(plots.iloc[:1], out, overwrite=True)
    assert len(read_layer(out)) == 1
    roads = gpd.GeoDataFrame({"project_id": ["R1"]}, geometry=[box(0, 0, 1, 1).exterior],
                             crs="EPSG:4490")
    with pytest.raises(DataError, match=r"row 0 \(R1\): a 界址点 TXT holds 地块 polygons, this "
                       r"is LinearRing; select the polygons first"):
        write_jzd(roads, tmp_path / "roads.txt")
