"""Progress against every target: planned / under construction / completed, % done, per township.

Amounts come from geometry, measured geodesically with :mod:`county_gis.measure`:

- ``length`` targets add the geodesic length of their line features;
- ``area`` targets measure the **union** of their polygons, so a plot digitised twice counts
  once (the overlapping pairs are listed). Where plots of different statuses overlap, the
  shared area counts under the most advanced status: ``completed`` is the union of completed
  plots, ``under_construction`` what under-construction plots add to it, ``planned`` what
  planned plots add to both. The three add up to the union of all;
- ``count`` targets count features, ``sum`` targets add a numeric field.

``by="township"`` splits lines at township boundaries and intersects polygons (the amount
inside each township); points, counts and sums go to the township holding the feature. Township
rows add up to the county row; amounts in no township polygon get a row of their own.

Examples
--------
A road of 0.2° of longitude at 42.05 °N (16.56 km) crossing two townships, against a
20 km target:

>>> import geopandas as gpd
>>> from types import SimpleNamespace
>>> from shapely.geometry import LineString, box
>>> from county_gis.kinds import LayerKind
>>> from county_gis.targets import Measure, Target
>>> towns = gpd.GeoDataFrame({"code": ["1", "2"], "name": ["西乡", "东镇"]},
...     geometry=[box(121.6, 42.0, 121.7, 42.1), box(121.7, 42.0, 121.8, 42.1)], crs="EPSG:4490")
>>> roads = gpd.GeoDataFrame({"project_id": ["R1"], "kind": ["road_rebuild"],
...     "status": ["completed"]}, geometry=[LineString([(121.6, 42.05), (121.8, 42.05)])],
...     crs="EPSG:4490")
>>> target = Target("roads", "修路20公里", "六", Measure.LENGTH, "公里", 20.0, 2023,
...                 kinds=(LayerKind.ROAD_REBUILD,))
>>> p = SimpleNamespace(layers={"roads": roads}, townships=towns, targets=[target], reports={})
>>> row = progress(p).iloc[0]
>>> round(float(row["completed"]), 3), round(float(row["pct_completed"]), 1)
(16.557, 82.8)
>>> progress(p, by="township")[["township", "completed"]].round(3).values.tolist()
[['西乡', 8.279], ['东镇', 8.279]]
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._crs import CGCS2000
from ..kinds import Status
from ..measure import geodesic_area, geodesic_length
from ..targets import Measure, Target
from .linking import link_features
from .overlaps import overlapping_pairs, polygonal, stated_differences
from .townships import OUTSIDE, assign_township, outside_parts, split_by_township

__all__ = ["COLUMNS", "By", "ProgressDetails", "progress", "progress_details"]

log = logging.getLogger(__name__)

STATUSES = tuple(s.value for s in Status)  # planned, under_construction, completed
#: Columns of the progress table, in order (``by="township"`` adds ``township`` after title).
COLUMNS = ["target_id", "title", "section", "measure", "unit", "target_value", "planned",
           "under_construction", "completed", "pct_completed", "n_features", "notes"]
_LINES = (1, 2, 5)
_POLYS = (3, 6)


class By(enum.Enum):
    """How to break progress down: ``county`` (one row per target) or ``township``."""

    COUNTY = "county"
    TOWNSHIP = "township"

    @classmethod
    def parse(cls, value: By | str | None) -> By:
        """The member named ``value`` (None: county).

        Examples
        --------
        >>> By.parse("乡镇"), By.parse(None)
        (<By.TOWNSHIP: 'township'>, <By.COUNTY: 'county'>)
        >>> By.parse("village")
        Traceback (most recent call last):
        ...
        ValueError: by was 'village' but is expected to be one of None, 'county', 'township' (乡镇)
        """
        if value is None or isinstance(value, cls):
            return cls.COUNTY if value is None else value
        text = str(value).strip().lower()
        if text in ("county", "县", "全县"):
            return cls.COUNTY
        if text in ("township", "townships", "乡镇"):
            return cls.TOWNSHIP
        raise ValueError(f"by was {value!r} but is expected to be one of None, 'county', "
                         "'township' (乡镇)")


@dataclass
class ProgressDetails:
    """The progress tables and the lists behind their notes.

    Attributes
    ----------
    table : DataFrame
        One row per target (:data:`COLUMNS`).
    by_township : DataFrame or None
        One row per (target, township) with amounts (``township`` column added); None unless
        asked for.
    overlaps : DataFrame
        Overlapping pairs of plots of an area target (``target_id``, both features, the
        shared area, counted once).
    stated : DataFrame
        Features whose stated 面积(亩) / 长度(公里) differs from the geometry by more than the
        tolerance.
    links : DataFrame
        Every feature with the target it counts toward (:func:`link_features`).
    """

    table: pd.DataFrame
    by_township: pd.DataFrame | None
    overlaps: pd.DataFrame
    stated: pd.DataFrame
    links: pd.DataFrame

    @property
    def link_problems(self) -> pd.DataFrame:
        """Features linked to no target, to two or more, or to an unknown one."""
        return self.links[self.links["problem"].notna()].reset_index(drop=True)


def _linked(project: Any, links: pd.DataFrame, target: Target) -> gpd.GeoDataFrame:
    rows = links[links["target_ids"].map(lambda ids: target.id in ids)]
    frames = []
    for layer, group in rows.groupby("layer", sort=False):
        src = project.layers[layer].iloc[group["row"].to_numpy()]
        frame = pd.DataFrame({
            "layer": layer, "place": group["place"].to_numpy(),
            "project_id": group["project_id"].to_numpy(), "name": group["name"].to_numpy(),
            "status": group["status"].to_numpy(),
        })
        for column in ("stated_area_mu", "stated_length_km"):
            frame[column] = (pd.to_numeric(src[column], errors="coerce").to_numpy()
                             if column in src else np.nan)
        if target.field is not None:
            frame["value"] = (pd.to_numeric(src[target.field], errors="coerce").to_numpy()
                              if target.field in src else np.nan)
        frames.append(gpd.GeoDataFrame(frame, geometry=src.geometry.to_crs(CGCS2000).values,
                                       crs=CGCS2000))
    if not frames:
        return gpd.GeoDataFrame({"layer": [], "place": [], "project_id": [], "name": [],
                                 "status": [], "value": []}, geometry=[], crs=CGCS2000)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CGCS2000)


def _of_type(feats: gpd.GeoDataFrame, types: tuple[int, ...]) -> np.ndarray:
    geoms = np.asarray(feats.geometry.values)
    return np.isin(shapely.get_type_id(geoms), types) & ~shapely.is_empty(geoms)


def _measure(geoms: np.ndarray, target: Target) -> np.ndarray:
    """Geodesic length or area of each geometry in the target's unit; empty ones are 0."""
    out = np.zeros(len(geoms))
    full = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else out > 0
    if not full.any():
        return out
    series = gpd.GeoSeries(geoms[full], crs=CGCS2000)
    if target.measure is Measure.LENGTH:
        out[full] = geodesic_length(series, unit=target.length_unit).to_numpy()
    else:
        out[full] = geodesic_area(series, unit=target.area_unit).to_numpy()
    return out


def _status_parts(geoms: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Union per status, each minus the more advanced ones (completed first)."""
    parts = []
    covered = shapely.Polygon()
    for key in reversed(STATUSES):  # completed, under_construction, planned
        union = shapely.union_all(geoms[status == key]) if (status == key).any() else None
        part = shapely.Polygon() if union is None else shapely.difference(union, covered)
        if union is not None:
            covered = shapely.union(covered, union)
        parts.append(part)
    return polygonal(np.array(parts[::-1], dtype=object))  # planned, uc, completed


def _split_amounts(src: np.ndarray, src_status: np.ndarray, towns: gpd.GeoDataFrame,
                   target: Target, amounts: dict[str, float], add_town: Any) -> None:
    """Measure ``src`` inside each township and outside them all; apportion the county amounts.

    Measuring the pieces of a line (or polygon) separately gives a total that differs from
    measuring it whole by the geodesic bending of the cut edges (1e-9 relative for edges of a
    few hundred metres); each status's county amount is shared out in proportion to the
    pieces, so the township rows add up to the county row exactly.
    """
    item, town, pieces = split_by_township(src, towns)
    values = _measure(pieces, target)
    outside = _measure(outside_parts(src, towns), target)
    raw: dict[tuple[int, str], float] = {}
    for i, t, v in zip(item, town, values, strict=True):
        key = (int(t), str(src_status[i]))
        raw[key] = raw.get(key, 0.0) + float(v)
    total = float(values.sum() + outside.sum())
    if outside.sum() > 1e-6 * total:  # more than digitising slivers
        for i in np.flatnonzero(outside > 0):
            key = (-1, str(src_status[i]))
            raw[key] = raw.get(key, 0.0) + float(outside[i])
    for status in STATUSES:
        denominator = sum(v for (t, s), v in raw.items() if s == status)
        factor = amounts[status] / denominator if denominator > 0 else 0.0
        for (t, s), v in sorted(raw.items()):
            if s == status:
                add_town(t, s, v * factor, -1)


def _target_rows(project: Any, target: Target, feats: gpd.GeoDataFrame, *, townships: bool,
                 tolerance: float) -> tuple[dict[str, Any], list[dict[str, Any]], pd.DataFrame,
                                            pd.DataFrame]:
    """County row, township rows, overlaps and stated differences of one target."""
    notes: list[str] = [target.note] if target.note else []
    row: dict[str, Any] = {
        "target_id": target.id, "title": target.title, "section": target.section,
        "measure": target.measure.value, "unit": target.unit, "target_value": target.value,
        "n_features": len(feats),
    }
    status = feats["status"].to_numpy(dtype=object)
    no_status = ~np.isin(status, STATUSES)
    if no_status.any():
        notes.append(f"{int(no_status.sum())} 个要素状态不明, 未计入 (status unknown)")
    amounts = {s: 0.0 for s in STATUSES}
    # township -> status -> amount, and township -> set of features
    town_amounts: dict[int, dict[str, float]] = {}
    town_features: dict[int, set[int]] = {}
    overlaps = pd.DataFrame()
    stated = pd.DataFrame()
    towns = project.townships if townships else None

    def add_town(t: int, key: str, value: float, feature: int) -> None:
        town_amounts.setdefault(t, {s: 0.0 for s in STATUSES})[key] += value
        if feature >= 0:
            town_features.setdefault(t, set()).add(feature)

    geoms = np.asarray(feats.geometry.values)
    if target.indicator:
        notes.insert(0, "指标, 无图层数据 (indicator: no map layer)")
        row.update({s: math.nan for s in STATUSES}, pct_completed=math.nan)
        row["notes"] = "; ".join(notes)
        return row, [], overlaps, stated
    if target.measure in (Measure.LENGTH, Measure.AREA):
        wanted = _LINES if target.measure is Measure.LENGTH else _POLYS
        ok = _of_type(feats, wanted)
        if (~ok).any():
            what = "线" if target.measure is Measure.LENGTH else "面"
            notes.append(f"{int((~ok).sum())} 个要素不是{what}或为空, 未计量")
        counted = ok & ~no_status
        measured = np.full(len(feats), np.nan)
        measured[ok] = _measure(geoms[ok], target)
        if target.measure is Measure.LENGTH:
            for key in STATUSES:
                amounts[key] = float(np.nansum(measured[counted & (status == key)]))
            stated_col, stated_unit = "stated_length_km", "公里"
            to_stated = target.length_unit.factor / 1000.0
            pieces_src = geoms
        else:
            parts = _status_parts(geoms[counted], status[counted])
            part_area = _measure(parts, target)
            for key, value in zip(STATUSES, part_area, strict=True):
                amounts[key] = float(value)
            overlaps = overlapping_pairs(feats[ok], unit=target.area_unit)
            if len(overlaps):
                overlaps.insert(0, "target_id", target.id)
                notes.append(f"{len(overlaps)} 对地块重叠, 重叠 {overlaps['overlap'].sum():,.1f} "
                             f"{target.area_unit.label} 只计一次")
            stated_col, stated_unit = "stated_area_mu", "亩"
            to_stated = target.area_unit.factor / (10_000 / 15)
            pieces_src = parts
        if stated_col in feats and feats[stated_col].notna().any():
            stated = stated_differences(feats, feats[stated_col],
                                        pd.Series(measured * to_stated), unit=stated_unit,
                                        tolerance=tolerance)
            if len(stated):
                stated.insert(0, "target_id", target.id)
                notes.append(f"{len(stated)} 个要素填报{'面积' if stated_unit == '亩' else '长度'}"
                             f"与图形相差超过 {tolerance:.0%}")
        if towns is not None:
            if target.measure is Measure.LENGTH:
                idx = np.flatnonzero(counted)
                src, src_status = geoms[idx], status[idx]
            else:
                src, src_status = pieces_src, np.array(STATUSES, dtype=object)
            _split_amounts(src, src_status, towns, target, amounts, add_town)
            # features per township: the lines and plots reaching into it
            idx = np.flatnonzero(counted)
            fitem, ftown, _ = split_by_township(geoms[idx], towns)
            for i, t in zip(idx[fitem], ftown, strict=True):
                town_features.setdefault(int(t), set()).add(int(i))
            outside = _measure(outside_parts(geoms[idx], towns), target)
            whole = measured[idx] if target.measure is Measure.LENGTH else _measure(
                geoms[idx], target)
            for i in idx[outside > 1e-6 * np.maximum(whole, 1e-12)]:
                town_features.setdefault(-1, set()).add(int(i))
    else:
        if target.measure is Measure.COUNT:
            values = np.ones(len(feats))
        else:
            values = feats["value"].to_numpy(dtype=float) if "value" in feats else np.full(
                len(feats), np.nan)
            missing = np.isnan(values) & ~no_status
            if target.field is not None and "value" in feats and missing.all() and len(feats):
                notes.append(f"字段 {target.field!r} 缺失或无数值, 未计 (field missing)")
            elif missing.any():
                notes.append(f"{int(missing.sum())} 个要素字段 {target.field!r} 无数值, 未计")
        for key in STATUSES:
            amounts[key] = float(np.nansum(values[status == key]))
        if towns is not None:
            where = assign_township(geoms, towns)
            for i, t in enumerate(where):
                if status[i] in STATUSES and not math.isnan(values[i]):
                    add_town(int(t), status[i], float(values[i]), i)
    row.update(amounts)
    row["pct_completed"] = 100.0 * amounts["completed"] / target.value
    row["notes"] = "; ".join(notes) if notes else None
    town_rows = _township_rows(project, target, row, town_amounts, town_features) \
        if towns is not None else []
    return row, town_rows, overlaps, stated


def _township_rows(project: Any, target: Target, county: dict[str, Any],
                   amounts: dict[int, dict[str, float]],
                   features: dict[int, set[int]]) -> list[dict[str, Any]]:
    names = project.townships["name"].to_numpy(dtype=object)
    codes = project.townships["code"].to_numpy(dtype=object) if "code" in project.townships \
        else names
    rows = []
    base = {k: county[k] for k in ("target_id", "title", "section", "measure", "unit")}
    for t in sorted(k for k in amounts if k >= 0):
        rows.append({**base, "township": names[t], "township_code": codes[t],
                     "target_value": math.nan, **amounts[t], "pct_completed": math.nan,
                     "n_features": len(features.get(t, ())), "notes": None})
    if -1 in amounts:  # amounts in no township polygon (a gap, a feature outside them all)
        rows.append({**base, "township": OUTSIDE, "township_code": None,
                     "target_value": math.nan, **amounts[-1], "pct_completed": math.nan,
                     "n_features": len(features.get(-1, ())),
                     "notes": "不在任何乡镇多边形内的部分"})
    return rows


def progress_details(project: Any, *, by: By | str | None = None,
                     tolerance: float = 0.05) -> ProgressDetails:
    """Progress against every target of ``project``, with the lists behind the notes.

    Parameters
    ----------
    project : Project
        A loaded project (:func:`county_gis.load_project`).
    by : {None, "county", "township"}, optional
        ``"township"`` also computes the per-township breakdown.
    tolerance : float, default 0.05
        Relative difference above which a stated 面积(亩) / 长度(公里) is listed.

    Returns
    -------
    ProgressDetails
    """
    by = By.parse(by)
    if not 0 <= tolerance < 10:
        raise ValueError(f"tolerance was {tolerance!r} but must be a fraction like 0.05 (5 %)")
    links = link_features(project)
    rows, town_rows, overlaps, stated = [], [], [], []
    for target in project.targets:
        feats = _linked(project, links, target)
        row, towns, pairs, diffs = _target_rows(project, target, feats,
                                                townships=by is By.TOWNSHIP,
                                                tolerance=tolerance)
        rows.append(row)
        town_rows.extend(towns)
        if len(pairs):
            overlaps.append(pairs)
        if len(diffs):
            stated.append(diffs)
    table = pd.DataFrame(rows, columns=COLUMNS)
    by_township = None
    if by is By.TOWNSHIP:
        columns = [*COLUMNS[:2], "township", "township_code", *COLUMNS[2:]]
        by_township = pd.DataFrame(town_rows, columns=columns)
    return ProgressDetails(
        table=table, by_township=by_township,
        overlaps=pd.concat(overlaps, ignore_index=True) if overlaps else pd.DataFrame(
            columns=["target_id", "overlap", "unit"]),
        stated=pd.concat(stated, ignore_index=True) if stated else pd.DataFrame(
            columns=["target_id", "stated", "measured", "difference", "relative", "unit"]),
        links=links,
    )


def progress(project: Any, *, by: By | str | None = None,
             tolerance: float = 0.05) -> pd.DataFrame:
    """Planned / under construction / completed amounts and % completed for every target.

    Parameters
    ----------
    project : Project
        A loaded project (:func:`county_gis.load_project`).
    by : {None, "county", "township"}, optional
        None: one row per target. ``"township"``: one row per (target, township) holding
        an amount, with a ``township`` column; these rows add up to the county row.
    tolerance : float, default 0.05
        Relative difference above which a stated amount is noted.

    Returns
    -------
    DataFrame
        ``target_id, title, section, measure, unit, target_value, planned,
        under_construction, completed, pct_completed`` (0–100 and beyond), ``n_features``,
        ``notes``. Amounts are in the target's unit; indicators (no map layer) have NaN
        amounts. The lists behind the notes: :func:`progress_details`.
    """
    details = progress_details(project, by=by, tolerance=tolerance)
    return details.by_township if details.by_township is not None else details.table
