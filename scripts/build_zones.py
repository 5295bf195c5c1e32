"""Build the bundled project's SYNTHETIC 三区三线 zone set (``layers/zones.gpkg``).

合成数据，非法定成果: no real 三区三线 data is public. The zones are drawn by this seeded script
inside the real county boundary, around the synthetic project layers of ``fumeng.gpkg`` (built
first by ``scripts/build_layers.py``), so that the compliance checks have something to find:

- 生态保护红线 (layer ``STBHHX``): a patch a rural road runs through (需论证), a patch that
  covers part of an afforestation plot (restoration: 允许, the overlap listed), and a larger
  patch, the first free spot from the north-west, that touches nothing;
- 永久基本农田 (layer ``YJJBNTBHTB``, with ``DLBM``, ``TBMJ``, ``KCXS``, ``JBNTTBBH``): a 图斑
  under part of an afforestation plot (禁止), a 图斑 a road crosses (需论证), and a 图斑 drawn
  edge to edge with another afforestation plot (shares its vertices: no conflict);
- 城镇开发边界 (layer ``CZKFBJ``): around the county seat, and one reaching into a mine site of
  新民 (需论证).

Every feature carries ``备注 = "合成数据，非法定成果"``. ``scripts/build_project.py`` runs this
after ``build_layers.py`` and records its hash in the build stamp.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import Polygon

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from county_gis.measure import geodesic_area  # noqa: E402

SEED = 2016  # 三区三线
CRS = "EPSG:4490"
LABEL = "合成数据，非法定成果"
M_PER_DEG_Y = 111_070.0
M_PER_DEG_X = 111_320.0 * math.cos(math.radians(42.1))
SEAT = (121.742, 42.058)


def _blob(rng: np.random.Generator, centre: tuple[float, float], radius_m: float,
          n: int = 14) -> Polygon:
    """An irregular, star-shaped patch of about ``radius_m`` around ``centre``."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    radii = radius_m * (1.0 + 0.2 * rng.uniform(-1, 1, n))
    coords = [(centre[0] + r * math.cos(a) / M_PER_DEG_X, centre[1] + r * math.sin(a) / M_PER_DEG_Y)
              for a, r in zip(angles, radii, strict=True)]
    return shapely.set_precision(Polygon(coords), 1e-7)


def _clip(geom: Polygon, county: shapely.Geometry) -> Polygon:
    """``geom`` inside the county (its polygonal part; the script fails if nothing is left)."""
    clipped = geom.intersection(county)
    if clipped.geom_type not in ("Polygon", "MultiPolygon"):
        clipped = shapely.union_all([p for p in shapely.get_parts(clipped)
                                     if p.geom_type == "Polygon"])
    assert not clipped.is_empty, f"a synthetic zone near {geom.centroid} lies outside the county"
    return clipped


def _edge_neighbour(plot: Polygon, width_m: float = 400.0) -> Polygon | None:
    """A polygon sharing the two edges at the plot's east-most vertex, on its outside."""
    ring = list(plot.exterior.coords)[:-1]
    k = max(range(len(ring)), key=lambda i: ring[i][0])
    a, b, c = ring[k - 1], ring[k], ring[(k + 1) % len(ring)]
    dx = width_m / M_PER_DEG_X
    poly = Polygon([a, b, c, (b[0] + dx, c[1]), (b[0] + dx, a[1])])
    if not poly.is_valid or plot.intersection(poly).area != 0.0 or not plot.touches(poly):
        return None
    return poly


def _feature(layers: dict[str, gpd.GeoDataFrame], layer: str, pid: str):
    frame = layers[layer]
    return frame.loc[frame["项目编号"] == pid, "geometry"].iloc[0]


def build(gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    """The three zone layers, placed around the project layers of ``gpkg``."""
    import pyogrio

    rng = np.random.default_rng(SEED)
    county = pyogrio.read_dataframe(gpkg, layer="county_boundary").geometry.iloc[0]
    layers = {name: pyogrio.read_dataframe(gpkg, layer=name)
              for name in pyogrio.list_layers(gpkg)[:, 0] if name not in
              ("county_boundary", "townships")}
    every = shapely.union_all(np.concatenate([f.geometry.values for f in layers.values()]))

    # 生态保护红线
    road = _feature(layers, "road_rebuild", "NL-005")
    mid = road.interpolate(0.5, normalized=True)
    plot = _feature(layers, "afforestation", "ZL-010")
    corner = plot.exterior.coords[0]
    empty = _blob(rng, (0.0, 0.0), 1_500.0)
    for y in np.arange(42.50, 41.80, -0.01):  # the first free spot from the north-west
        spots = [shapely.affinity.translate(empty, x, y) for x in np.arange(121.05, 122.4, 0.01)]
        free = [g for g in spots if county.contains(g) and not g.intersects(every)]
        if free:
            break
    red = [_blob(rng, (mid.x, mid.y), 900.0), _blob(rng, corner, 450.0), free[0]]
    redline = gpd.GeoDataFrame({
        "HXBH": ["STHX-01", "STHX-02", "STHX-03"],
        "HXMC": ["示例红线(公路穿越)", "示例红线(造林地块)", "示例红线(无项目)"],
        "备注": [LABEL] * 3}, geometry=[_clip(g, county) for g in red], crs=CRS)

    # 永久基本农田: a 图斑 under part of ZL-003, one a road crosses, one edge to edge with a plot
    farm_plot = _feature(layers, "afforestation", "ZL-003")
    c = farm_plot.centroid
    under = _blob(rng, (c.x + 250.0 / M_PER_DEG_X, c.y), 500.0)
    crossing_road = _feature(layers, "road_rebuild", "YS-010")
    p = crossing_road.interpolate(0.3, normalized=True)
    crossed = _blob(rng, (p.x, p.y), 350.0)
    touching = None
    for pid in [f"ZL-{i:03d}" for i in range(20, 110)]:
        candidate = _edge_neighbour(_feature(layers, "afforestation", pid))
        others = layers["afforestation"].geometry.drop(
            layers["afforestation"].index[layers["afforestation"]["项目编号"] == pid])
        if candidate is not None and county.contains(candidate) and not any(
                candidate.intersects(o) for o in others):
            touching = candidate
            break
    assert touching is not None, "no afforestation plot with a free east side"
    tbs = [_clip(under, county), _clip(crossed, county), touching]
    area = geodesic_area(gpd.GeoSeries(tbs, crs=CRS)).to_numpy()
    farmland = gpd.GeoDataFrame({
        "JBNTTBBH": ["JBNT-0001", "JBNT-0002", "JBNT-0003"],
        "DLBM": ["0103", "0101", "0103"],
        # the 三调 control area: a little off the geodesic area, as a survey's would be
        "TBMJ": np.round(area * (1.0 + rng.uniform(-0.003, 0.003, 3)), 2),
        "KCXS": [0.0850, 0.1220, 0.0970],
        "备注": [LABEL] * 3}, geometry=tbs, crs=CRS)

    # 城镇开发边界: the county seat, and a patch reaching into a mine site of 新民
    mine = _feature(layers, "mine_restoration", "KS-001")
    minx, miny, maxx, maxy = mine.bounds  # a patch whose east edge runs through the site
    m = (minx - 500.0 / M_PER_DEG_X + 0.4 * (maxx - minx), (miny + maxy) / 2.0)
    urban = gpd.GeoDataFrame({
        "KFBJBH": ["CZKF-01", "CZKF-02"], "KFBJMC": ["县城城镇开发边界(示例)", "新民镇区(示例)"],
        "备注": [LABEL] * 2},
        geometry=[_clip(_blob(rng, SEAT, 2_500.0), county),
                  _clip(_blob(rng, m, 500.0), county)],
        crs=CRS)
    return {"STBHHX": redline, "YJJBNTBHTB": farmland, "CZKFBJ": urban}
