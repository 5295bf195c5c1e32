"""A tiny synthetic project for examples and doctests (not county data).

Examples
--------
>>> p = demo_project()
>>> sorted(p.layers), len(p.townships)
(['afforestation', 'road_rebuild', 'school'], 2)
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from ..project import Project

__all__ = ["demo_project"]


def demo_project() -> Project:
    """Two townships, three plots, two roads and a school near the county seat (EPSG:4490)."""
    crs = "EPSG:4490"
    boundary = gpd.GeoDataFrame({"name": ["示例县"]}, geometry=[box(121.6, 42.0, 121.8, 42.1)],
                                crs=crs)
    townships = gpd.GeoDataFrame(
        {"code": ["1", "2"], "name": ["西乡", "东镇"], "kind": ["乡", "镇"],
         "approximate": [False, True]},
        geometry=[box(121.6, 42.0, 121.7, 42.1), box(121.7, 42.0, 121.8, 42.1)], crs=crs)
    plots = gpd.GeoDataFrame(
        {"project_id": ["A1", "A2", "A3"], "name": ["一号造林地块", "二号抚育地块", "三号补播地块"],
         "kind": "afforestation", "status": ["completed", "under_construction", "planned"],
         "township": ["西乡", "西乡", "东镇"], "year": 2025,
         "work_type": ["造林", "抚育", "草原补播"]},
        geometry=[box(121.62, 42.02, 121.63, 42.03), box(121.65, 42.05, 121.66, 42.06),
                  box(121.72, 42.02, 121.73, 42.03)], crs=crs)
    roads = gpd.GeoDataFrame(
        {"project_id": ["R1", "R2"], "name": ["西乡公路改建", "东镇村路"], "kind": "road_rebuild",
         "status": ["completed", "planned"], "township": ["西乡", "东镇"], "year": 2025},
        geometry=[LineString([(121.61, 42.01), (121.69, 42.01)]),
                  LineString([(121.71, 42.08), (121.79, 42.08)])], crs=crs)
    schools = gpd.GeoDataFrame(
        {"project_id": ["S1"], "name": ["东镇中心小学"], "kind": "school",
         "status": ["under_construction"], "township": ["东镇"], "year": 2025},
        geometry=[Point(121.75, 42.05)], crs=crs)
    return Project.from_layers(
        {"afforestation": plots, "road_rebuild": roads, "school": schools}, targets=[],
        name="示例", boundary=boundary, townships=townships)
