"""The 三区三线 layers of the project map: the zones and the overlaps (冲突 on top).

They are ordinary project-layer specs (:func:`~._layers.prepare_layer`) drawn from a
:class:`~county_gis.analysis.ComplianceResult` — the map computes nothing. The style column
reuses the status styles: zones are drawn light and dashed, overlaps a rule allows half
filled, 冲突 solid. Every layer name carries the zones' label ("合成数据，非法定成果").

Examples
--------
>>> from county_gis import Project, compliance
>>> result = compliance(Project.from_layers({}, targets=[]), zones=[])
>>> compliance_layers(result)
([], [])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ._layers import prepare_layer

if TYPE_CHECKING:
    from ..analysis import ComplianceResult

__all__ = ["CONFLICT_COLOUR", "ZONE_COLOURS", "compliance_layers"]

#: One colour per zone type, and the overlaps' colour.
ZONE_COLOURS = {"生态保护红线": "#00441b", "永久基本农田": "#7f7f00", "城镇开发边界": "#6a3d9a"}
CONFLICT_COLOUR = "#e41a1c"
_FIELDS = {"name": "项目名称", "project_id": "项目编号", "zone_type": "控制线",
           "result": "核查结果", "verdict": "管控要求", "rule": "规则", "citation": "依据",
           "zone_dataset": "核查数据", "note": "数据说明"}
_ZONE_FIELDS = {"zone_type": "控制线", "zone_dataset": "数据", "zone_version": "版本",
                "note": "数据说明"}
_STYLE = {"冲突": "completed", "无冲突": "under_construction"}


def compliance_layers(result: ComplianceResult, *, simplify_m: float = 0.5,
                      gcj02: bool = False, max_zone_features: int = 20_000
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Layer specs and legend entries for the zones and the overlaps of ``result``.

    Zone layers with more than ``max_zone_features`` polygons are left out (the overlaps
    are always drawn).
    """
    label = "、".join(result.labels)
    suffix = f" ({label})" if label else ""
    layers: list[dict[str, Any]] = []
    legend: list[dict[str, Any]] = []
    zones = result.zone_features
    for zone_type, colour in ZONE_COLOURS.items():
        part = zones[zones["zone_type"] == zone_type] if len(zones) else zones
        if not len(part) or len(part) > max_zone_features:
            continue
        frame = part.assign(status="planned", note=label or None)
        data = prepare_layer(frame, name=f"{zone_type}{suffix}", fields=_ZONE_FIELDS,
                             simplify_m=simplify_m, gcj02=gcj02)
        data["colour"] = colour
        layers.append(data)
        legend.append({"label": f"{zone_type}{suffix}", "colour": colour, "dim": 2})
    over = result.overlaps
    if len(over):
        citation = result.table.set_index(["place", "zone_type"])["citation"]
        keys = pd.MultiIndex.from_arrays([over["place"], over["zone_type"]])
        frame = gpd.GeoDataFrame(over.assign(
            result=over["status"], status=over["status"].map(_STYLE).fillna("planned"),
            citation=citation.reindex(keys).to_numpy(), note=label or None))
        # 冲突 drawn last, on top of the allowed overlaps
        frame = frame.iloc[(frame["result"] == "冲突").argsort(kind="stable")]
        name = f"三区三线压占 · 冲突{suffix}"
        data = prepare_layer(frame, name=name, fields=_FIELDS, simplify_m=simplify_m,
                             gcj02=gcj02, bucket_deg=360.0)
        data["colour"] = CONFLICT_COLOUR
        layers.append(data)
        dims = {g["dim"] for g in data["groups"]}
        legend.append({"label": name, "colour": CONFLICT_COLOUR, "dim": max(dims)})
    return layers, legend
