"""A planner's own folder, built by the tests: four ordinary bureau files with their messes.

- ``造林/造林小班.shp``: GBK attributes (no .cpg), CGCS2000 Gauss-Krüger zone 41 with the zone
  number in the easting and **no .prj**; 小班号 / 造林方式 (人工造林, 封山育林, 森林抚育) /
  面积(亩) / 树种 / 村 / 状态 (已验收, 施工中, 前期) / 备注; plot X5 is a bow-tie (invalid).
- ``道路/农村公路.kml``: folders 已完工 / 正在施工 / 2023年计划 hold the status; each folder has a
  起点 point beside its roads; 项目编号 / 道路类别 / 建设性质 in ExtendedData.
- ``光伏/光伏项目表.xlsx``: a merged title row above the header, 装机容量(kW), 建设状态 (已并网,
  在建, 前期) and a 合计 row at the bottom.
- ``矿山/矿山治理.gpkg``: 矿山名称 / 治理状态 (已验收, 治理中, 未开工) / 治理面积(公顷).
- ``基础数据/县界.geojson``: the county boundary (the bundled one, written as GeoJSON).

Everything is synthetic and written to a temporary folder; :data:`EXPECTED` holds the truths the
acceptance test checks against an independent pyproj.Geod / shapely computation.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Polygon, box

__all__ = ["MINES", "PLOTS", "PV", "ROADS", "build_messy_folder"]

#: plots in lon/lat: (小班号, 造林方式, 状态, lon0, lat0, size in degrees, 树种, 备注)
PLOTS = [
    ("X1", "人工造林", "已验收", 121.80, 42.25, 0.004, "油松", "<b>春季</b>"),
    ("X2", "封山育林", "已验收", 121.82, 42.25, 0.003, "樟子松", "{% raw %}"),
    ("X3", "森林抚育", "施工中", 121.84, 42.25, 0.005, "杨树", ""),
    ("X4", "人工造林", "前期", 121.86, 42.25, 0.002, "刺槐", ""),
    ("X5", "人工造林", "已验收", 121.88, 42.25, 0.004, "油松", "蝴蝶形"),  # bow-tie
]
#: roads: (folder, 项目编号, name, [(lon, lat), ...])
ROADS = [
    ("已完工", "GL-01", "新民村公路", [(121.70, 42.20), (121.75, 42.21), (121.78, 42.23)]),
    ("已完工", "GL-02", "大巴镇公路", [(121.60, 42.15), (121.62, 42.18)]),
    ("正在施工", "GL-03", "王府镇公路", [(121.90, 42.30), (121.95, 42.31)]),
    ("2023年计划", "GL-04", "沙拉镇公路", [(121.50, 42.25), (121.53, 42.22)]),
]
#: PV rows: (项目编号, 项目名称, 经度, 纬度, 装机容量(kW), 建设状态)
PV = [
    ("PV-01", "阜蒙光伏一期", 121.72, 42.20, 160000, "已并网"),
    ("PV-02", "阜蒙光伏二期", 121.74, 42.21, 100000, "已并网"),
    ("PV-03", "泡子光伏", 121.76, 42.22, 80000, "在建"),
    ("PV-04", "紫都台光伏", 121.78, 42.23, 50000, "前期"),
]
#: mines: (矿山名称, 治理状态, lon0, lat0, size)
MINES = [
    ("新邱矿", "已验收", 121.65, 42.30, 0.003),
    ("清河门矿", "治理中", 121.67, 42.30, 0.002),
    ("海州矿", "未开工", 121.69, 42.30, 0.0025),
]

_GK41 = "EPSG:4529"  # CGCS2000 3-degree Gauss-Kruger zone 41 (zone number in the easting)


def plot_polygon(lon: float, lat: float, size: float, *, bowtie: bool = False) -> Polygon:
    """A plot in lon/lat (a bow-tie when asked)."""
    if bowtie:
        return Polygon([(lon, lat), (lon + size, lat + size), (lon + size, lat),
                        (lon, lat + size), (lon, lat)])
    return box(lon, lat, lon + size, lat + size)


def _plots_gk() -> gpd.GeoDataFrame:
    to_gk = Transformer.from_crs("EPSG:4490", _GK41, always_xy=True)
    geoms = [shapely.transform(plot_polygon(lon, lat, size, bowtie=pid == "X5"),
                               lambda xy: __import__("numpy").column_stack(
                                   to_gk.transform(xy[:, 0], xy[:, 1])))
             for pid, _, _, lon, lat, size, _, _ in PLOTS]
    return gpd.GeoDataFrame({
        "小班号": [p[0] for p in PLOTS], "造林方式": [p[1] for p in PLOTS],
        "状态": [p[2] for p in PLOTS], "面积(亩)": [220.0, 124.0, 344.0, 55.0, 220.0],
        "树种": [p[6] for p in PLOTS], "村": ["新民村", "大板村", "王府村", "沙拉村", "新民村"],
        "备注": [p[7] for p in PLOTS]}, geometry=geoms, crs=None)


def _kml() -> str:
    folders = []
    for folder in dict.fromkeys(r[0] for r in ROADS):
        marks = []
        for _, pid, name, coords in (r for r in ROADS if r[0] == folder):
            text = " ".join(f"{x},{y},0" for x, y in coords)
            marks.append(
                f"<Placemark><name>{escape(name)}</name><ExtendedData>"
                f"<Data name=\"项目编号\"><value>{pid}</value></Data>"
                "<Data name=\"道路类别\"><value>农村公路</value></Data>"
                "<Data name=\"建设性质\"><value>改建</value></Data></ExtendedData>"
                f"<LineString><coordinates>{text}</coordinates></LineString></Placemark>")
            x, y = coords[0]
            marks.append(f"<Placemark><name>起点</name><Point><coordinates>{x},{y},0"
                         "</coordinates></Point></Placemark>")
        folders.append(f"<Folder><name>{folder}</name>{''.join(marks)}</Folder>")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><name>农村公路</name>"
            f"{''.join(folders)}</Document></kml>")


def _xlsx(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "光伏"
    sheet.append(["阜蒙县2023年光伏项目统计表"])
    sheet.merge_cells("A1:H1")
    sheet.append(["序号", "项目编号", "项目名称", "经度", "纬度", "装机容量(kW)", "建设状态",
                  "备注"])
    for i, (pid, name, lon, lat, kw, status) in enumerate(PV, start=1):
        sheet.append([i, pid, name, lon, lat, kw, status, ""])
    sheet.append(["合计", None, None, None, None, sum(p[4] for p in PV), None, None])
    book.save(path)


def build_messy_folder(root: Path, boundary: gpd.GeoDataFrame) -> Path:
    """Write the folder under ``root`` (the county ``boundary`` goes to 基础数据/县界.geojson)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "造林").mkdir()
    plots = _plots_gk()
    with warnings.catch_warnings():  # no CRS on purpose: the .prj is missing
        warnings.simplefilter("ignore", UserWarning)
        plots.to_file(root / "造林" / "造林小班.shp", encoding="GBK", engine="pyogrio")
    for sidecar in ("造林小班.cpg", "造林小班.prj"):
        (root / "造林" / sidecar).unlink(missing_ok=True)
    (root / "道路").mkdir()
    (root / "道路" / "农村公路.kml").write_text(_kml(), encoding="utf-8")
    (root / "光伏").mkdir()
    _xlsx(root / "光伏" / "光伏项目表.xlsx")
    (root / "矿山").mkdir()
    mines = gpd.GeoDataFrame(
        {"矿山名称": [m[0] for m in MINES], "治理状态": [m[1] for m in MINES],
         "治理面积(公顷)": [8.3, 3.7, 5.0]},
        geometry=[plot_polygon(m[2], m[3], m[4]) for m in MINES], crs="EPSG:4490")
    mines.to_file(root / "矿山" / "矿山治理.gpkg", layer="矿山治理", engine="pyogrio")
    (root / "基础数据").mkdir()
    boundary[["geometry"]].assign(name="阜新蒙古族自治县").to_file(
        root / "基础数据" / "县界.geojson", engine="pyogrio")
    return root


def roads_line(coords: list[tuple[float, float]]) -> LineString:
    """A road of :data:`ROADS` as a line."""
    return LineString(coords)
