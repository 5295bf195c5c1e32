"""三区三线 compliance over county partitions: zone layers cut like the layers, per county."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.compliance import (
    CheckStatus,
    RuleBook,
    Verdict,
    ZoneLayer,
    ZoneType,
    compliance,
    load_rules,
)
from ..crs import CGCS2000
from ..measure import geodesic_area
from ..project import Project

__all__ = ["COMPLIANCE_AMOUNTS", "COMPLIANCE_COLUMNS", "RESULTS", "ZONES_FOLDER",
           "county_compliance", "read_county_zones"]

#: The folder of the zone partitions (``_``: not part of the layers' hive dataset).
ZONES_FOLDER = "_zones"
#: The results counted per zone type: 需论证 is a 冲突 whose rule says 需论证 (not 禁止).
RESULTS = ("冲突", "需论证", "无冲突", "未核查")
#: Amount columns of :func:`county_compliance`, added up with ``math.fsum``.
COMPLIANCE_AMOUNTS = ["area_m2", "area_mu", "length_km"]
_COUNTS = ["n_features", "n_pieces"]
#: Columns of :func:`county_compliance` (one county's rows).
COMPLIANCE_COLUMNS = ["zone_type", "result", *COMPLIANCE_AMOUNTS, *_COUNTS]


def _fsum(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return math.fsum(arr.tolist()) if len(arr) else math.nan


def county_compliance(project: Project, *, zones: Sequence[ZoneLayer],
                      rules: RuleBook | str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One county's 三区三线 figures: per zone type and result, counts, areas and lengths.

    The single-county path of the province run: :func:`county_gis.compliance` on the county
    (its features, its pieces of the zone layers), its table counted per zone type and
    result. :func:`~county_gis.scale.run` calls exactly this on every county partition.

    Parameters
    ----------
    project : Project
        One county's layers.
    zones : sequence of ZoneLayer
        The zone layers of the county. A zone type without a layer here is 未核查 for every
        feature — never 无冲突.
    rules : RuleBook or path, optional
        Default the bundled rules file.

    Returns
    -------
    DataFrame
        :data:`COMPLIANCE_COLUMNS`, 12 rows: every zone type × :data:`RESULTS` (冲突: the
        rule is 禁止; 需论证: an overlap whose rule is 需论证; 无冲突; 未核查). ``area_m2`` /
        ``area_mu``: the geodesic area of the polygons inside the zone type (平方米 / 亩),
        ``length_km``: the length of the lines inside it (公里), each the ``math.fsum`` of
        the feature rows; NaN for 未核查 (nothing measured). ``n_features`` counts the rows
        of features whose first piece (``piece`` 0) is here, ``n_pieces`` every row.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> plots = gpd.GeoDataFrame({"kind": ["afforestation"], "status": ["completed"]},
    ...     geometry=[box(121.60, 42.0, 121.61, 42.01)], crs="EPSG:4490")
    >>> farmland = gpd.GeoDataFrame({"DLBM": ["0101"], "KCXS": [0.0]},
    ...     geometry=[box(121.605, 42.0, 121.62, 42.01)], crs="EPSG:4490")
    >>> zone = ZoneLayer.from_frame(farmland, version="2023", effective="2023-06-30")
    >>> rows = county_compliance(Project.from_layers({"plots": plots}, targets=[]),
    ...                          zones=[zone])
    >>> rows[rows["n_pieces"] > 0][["zone_type", "result", "area_mu", "n_pieces"]].round(1)
       zone_type result  area_mu  n_pieces
    3     生态保护红线    未核查      NaN         1
    4     永久基本农田     冲突    690.1         1
    11    城镇开发边界    未核查      NaN         1
    """
    book = rules if isinstance(rules, RuleBook) else load_rules(rules)
    result = compliance(project, zones=list(zones), rules=book)
    table = result.table
    feats = project.features()
    geoms = feats.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    first = (feats["piece"].to_numpy()[present] == 0) if "piece" in feats.columns \
        else np.ones(int(present.sum()), dtype=bool)
    layers = feats["layer"].to_numpy()[present]
    status = table["status"].to_numpy()
    verdict = table["verdict"].to_numpy()
    outcome = np.where((status == CheckStatus.CONFLICT.value)
                       & (verdict == Verdict.REVIEW.value), "需论证", status)
    rows = []
    for zone_type in ZoneType:
        block = np.flatnonzero(table["zone_type"].to_numpy() == zone_type.value)
        # compliance() gives one row per feature (with a geometry) and zone type, in order
        if len(block) != len(layers) or (table["layer"].to_numpy()[block] != layers).any():
            raise AssertionError("compliance table rows are not in the order of the features")
        for name in RESULTS:
            rows_here = block[outcome[block] == name]
            unchecked = name == CheckStatus.UNCHECKED.value
            row: dict[str, Any] = {"zone_type": zone_type.value, "result": name}
            for column, source, scale in (("area_m2", "area_m2", 1.0),
                                          ("area_mu", "area_mu", 1.0),
                                          ("length_km", "length_m", 1000.0)):
                values = table[source].to_numpy(dtype=float)[rows_here] / scale
                row[column] = math.nan if unchecked else (_fsum(values) if len(
                    values[~np.isnan(values)]) else 0.0)
            offset = block[0] if len(block) else 0
            row["n_features"] = int(first[rows_here - offset].sum())
            row["n_pieces"] = len(rows_here)
            rows.append(row)
    out = pd.DataFrame(rows, columns=COMPLIANCE_COLUMNS)
    for column in _COUNTS:
        out[column] = pd.array(out[column], dtype="Int64")
    return out


# ---- zone layers cut at county lines ---------------------------------------------------------

def zone_layers(data: Any, zones: Sequence[ZoneLayer] | None) -> list[ZoneLayer]:
    """The zone layers to partition: ``zones``, else the project's ``[zones.*]``."""
    if zones is not None:
        return list(zones)
    if isinstance(data, Project) and data.sections.get("zones"):
        from ..analysis.compliance import project_zones

        return project_zones(data)
    return []


def cut_zone(zone: ZoneLayer, counties: gpd.GeoDataFrame, assign: Any
             ) -> tuple[gpd.GeoDataFrame, np.ndarray, int]:
    """The pieces of a zone layer by county: (rows with ``piece``, adcodes, polygons cut).

    A cut piece's ``TBMJ`` (the 图斑's stated area) is apportioned by geodesic area, so the
    pieces of a 图斑 add up to its TBMJ and 平差 in each county scales as for the whole.
    """
    frame = zone.frame
    geoms = np.asarray(frame.geometry.values, dtype=object)
    usable = geoms.copy()
    usable[shapely.is_missing(geoms) | shapely.is_empty(geoms)] = None
    item, county, pieces = assign(usable, counties)
    counts = np.bincount(item, minlength=len(frame))
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name)).iloc[item]
    attributes = attributes.reset_index(drop=True)
    piece_no = np.arange(len(item)) - np.searchsorted(item, item, side="left")
    changed = np.array([p is not g for p, g in zip(pieces, geoms[item], strict=True)],
                       dtype=bool)
    tbmj = zone.column("TBMJ")
    if tbmj is not None and changed.any():
        values = np.array(pd.to_numeric(attributes[tbmj], errors="coerce"), dtype=float)
        cut_items = item[changed]
        part = geodesic_area(gpd.GeoSeries(pieces[changed], crs=CGCS2000)).to_numpy()
        whole = geodesic_area(gpd.GeoSeries(geoms[cut_items], crs=CGCS2000)).to_numpy()
        # a polygon wholly inside the counties: its pieces' share of their sum (cut vertices
        # on chords make that differ from the whole by ~1e-11); partly outside: of the whole
        summed = np.bincount(cut_items, weights=part, minlength=len(frame))[cut_items]
        inside = np.abs(summed - whole) <= 1e-9 * whole
        values[changed] = values[changed] * part / np.where(inside, summed, whole)
        attributes[tbmj] = values
    rows = gpd.GeoDataFrame(attributes.assign(piece=piece_no), geometry=pieces, crs=CGCS2000)
    codes = counties["adcode"].to_numpy()[county]
    return rows, codes, int((counts > 1).sum())


def zone_meta(zone: ZoneLayer, index: int) -> dict[str, Any]:
    """What rebuilds a :class:`ZoneLayer` from its pieces (written to the manifest)."""
    return {"file": f"zone-{index}.parquet", "type": zone.type.value, "dataset": zone.dataset,
            "version": zone.version, "effective": zone.effective, "label": zone.label,
            "evidence": zone.evidence, "name": zone.name}


def read_county_zones(root: str | os.PathLike[str], adcode: int,
                      meta: Sequence[dict[str, Any]]) -> list[ZoneLayer]:
    """The zone layers of one county partition (those with at least one piece in it).

    A zone layer without a piece in the county is left out, so its type is 未核查 there.
    """
    folder = Path(root) / ZONES_FOLDER / f"adcode={adcode}"
    out = []
    for item in meta:
        path = folder / item["file"]
        if not path.is_file():
            continue
        frame = gpd.read_parquet(path)
        frame = frame.drop(columns=[c for c in ("bbox",) if c in frame.columns])
        zone = ZoneLayer.from_frame(frame, type=item["type"], version=item["version"],
                                    effective=item["effective"], dataset=item["dataset"],
                                    label=item["label"], name=item["name"])
        out.append(dataclasses.replace(zone, evidence=item["evidence"]))
    return out
