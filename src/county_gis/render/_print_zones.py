"""The 三区三线 layers of the printed map: zone outlines and the conflicts, with legend entries.

Drawn from a :class:`~county_gis.analysis.ComplianceResult` (the page computes nothing), in
the colours of the HTML map's layers (:data:`._compliance.ZONE_COLOURS`,
:data:`._compliance.CONFLICT_COLOUR`):

- each zone type: its polygons outlined in its colour over a light fill, under the project
  layers;
- 冲突 (an overlap whose rule is 禁止 or 需论证): the part of the project feature inside the
  zone hatched and outlined red (lines: a thick red line; points: a red ring), on top of the
  project layers; at county scales (smaller than 1:100,000) each conflict also gets a red
  ring so that a plot of a few hectares is found on the sheet;
- overlaps the rule allows: outlined red, dashed, not hatched;
- the zones' label ("合成数据，非法定成果") as a line of the sheet's information block.

Examples
--------
>>> from county_gis import Project, compliance
>>> from county_gis.crs import gk_zone_crs
>>> printed = PrintedZones.of(compliance(Project.from_layers({}, targets=[]), zones=[]),
...                           gk_zone_crs(41))
>>> len(printed.zones), len(printed.overlaps), printed.note
(0, 0, None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ..vocabulary import GeometryFamily
from ._compliance import CONFLICT_COLOUR, ZONE_COLOURS
from ._surround import PT, rgb

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from pyproj import CRS

    from ..analysis import ComplianceResult

__all__ = ["ALLOWED_LABEL", "CONFLICT_LABEL", "PrintedZones", "draw_zones"]

#: Legend labels of the overlaps.
CONFLICT_LABEL = "三区三线冲突（压占部分）"
ALLOWED_LABEL = "规则允许的压占"
_ZONE_FILL = 0.10
_RING_BELOW = 100_000  # 1:N with N above this: conflicts also get a ring


@dataclass
class PrintedZones:
    """A compliance result's zones and overlaps in the page CRS, projected once per document.

    Attributes
    ----------
    zones : GeoDataFrame
        The zone polygons (``zone_type``).
    overlaps : GeoDataFrame
        The overlaps kept (``status`` 冲突 / 无冲突, ``zone_type``).
    note : str or None
        The information-block line naming the zones' label, e.g.
        "三区三线数据：合成数据，非法定成果"; None when the zones carry no label.
    """

    zones: gpd.GeoDataFrame
    overlaps: gpd.GeoDataFrame
    note: str | None

    @classmethod
    def of(cls, result: ComplianceResult, crs: CRS) -> PrintedZones:
        """Project ``result``'s zone polygons and overlaps to ``crs``."""
        label = "、".join(result.labels)
        return cls(result.zone_features.to_crs(crs), result.overlaps.to_crs(crs),
                   f"三区三线数据：{label}" if label else None)


def _paths(geoms: np.ndarray) -> list[Any]:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    patches = []
    for geom in geoms:
        for poly in getattr(geom, "geoms", [geom]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            rings = [poly.exterior, *poly.interiors]
            verts = np.concatenate([np.asarray(r.coords)[:, :2] for r in rings])
            codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r.coords) - 2)
                                    + [MplPath.CLOSEPOLY] for r in rings])
            patches.append(PathPatch(MplPath(verts, codes)))
    return patches


def _segments(geoms: np.ndarray) -> list[np.ndarray]:
    return [np.asarray(part.coords)[:, :2] for geom in geoms
            for part in getattr(geom, "geoms", [geom])
            if not part.is_empty and part.geom_type in ("LineString", "LinearRing")]


def _points(geoms: np.ndarray) -> np.ndarray:
    xy = [(p.x, p.y) for geom in geoms for p in getattr(geom, "geoms", [geom])
          if not p.is_empty and p.geom_type == "Point"]
    return np.array(xy, dtype=float).reshape(-1, 2)


def draw_zones(ax: Axes, printed: PrintedZones, view: tuple[float, ...],
               scale: int) -> list[dict[str, Any]]:
    """Draw the zones and the overlaps on the data frame ``ax``; return legend entries.

    Entries have ``label``, ``colour``, ``dim`` and ``symbol`` ("zone", "conflict" or
    "allowed") for :func:`._surround.legend`.
    """
    from matplotlib.collections import LineCollection, PatchCollection

    entries: list[dict[str, Any]] = []
    thin = min(1.0, 200_000 / scale)
    zones = printed.zones
    for zone_type, colour in ZONE_COLOURS.items():
        part = zones[zones["zone_type"] == zone_type] if len(zones) else zones
        if not len(part):
            continue
        entries.append({"label": zone_type, "colour": colour, "dim": 2, "symbol": "zone"})
        shown = part.cx[view[0]:view[2], view[1]:view[3]]
        if len(shown):
            ax.add_collection(PatchCollection(
                _paths(shown.geometry.values), facecolor=(*rgb(colour), _ZONE_FILL),
                edgecolor=colour, linewidth=0.9 * thin + 0.3, zorder=2.5))
    over = printed.overlaps
    if not len(over):
        return entries
    conflict = (over["status"] == "冲突").to_numpy()
    for mask, symbol in ((~conflict, "allowed"), (conflict, "conflict")):
        if not mask.any():
            continue
        part = over[mask]
        entries.append({"label": CONFLICT_LABEL if symbol == "conflict" else ALLOWED_LABEL,
                        "colour": CONFLICT_COLOUR, "dim": 2, "symbol": symbol})
        part = part.cx[view[0]:view[2], view[1]:view[3]]
        if not len(part):
            continue
        geoms = part.geometry.values
        strong = symbol == "conflict"
        z = 7 if strong else 6.5
        polys = geoms[GeometryFamily.POLYGON.mask(geoms)]
        if len(polys):
            ax.add_collection(PatchCollection(
                _paths(polys), facecolor=(*rgb(CONFLICT_COLOUR), 0.25 if strong else 0.0),
                edgecolor=CONFLICT_COLOUR, hatch="////" if strong else None,
                linewidth=1.2 if strong else 0.7, linestyle="-" if strong else (0, (3, 2)),
                zorder=z))
        segs = _segments(geoms[GeometryFamily.LINE.mask(geoms)])
        if segs:
            ax.add_collection(LineCollection(
                segs, colors=CONFLICT_COLOUR, linewidths=2.4 if strong else 1.0,
                linestyles="-" if strong else (0, (3, 2)), zorder=z, capstyle="butt"))
        xy = _points(geoms[GeometryFamily.POINT.mask(geoms)])
        if len(xy):
            ax.scatter(xy[:, 0], xy[:, 1], s=(4.0 * PT * 2) ** 2 if strong else 30,
                       facecolor="none", edgecolor=CONFLICT_COLOUR,
                       linewidth=1.5 if strong else 0.8, zorder=z)
        if strong and scale > _RING_BELOW:
            centres = part.geometry.representative_point()
            ax.scatter(centres.x.to_numpy(), centres.y.to_numpy(), s=(9.0 * PT * 2) ** 2,
                       facecolor="none", edgecolor=CONFLICT_COLOUR, linewidth=1.4, zorder=z)
    return entries
