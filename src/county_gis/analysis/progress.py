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
rows add up to the county row; amounts in no township polygon get a row of their own, and a
township without a polygon (the bundled project has none; a project's own layer may) gets none:
its land lies in the polygons of its neighbours (:attr:`ProgressDetails.townships_without_polygon`
lists them).

``greening=True`` adds, for the area targets drawing on mine-restoration or afforestation
plots, how much of the *completed* area is green from above on the project's NDVI rasters
(:mod:`county_gis.analysis.greening`): ``greened`` (in the target's unit) and
``green_share`` (greened / completed, 0–1).

Examples
--------
A road of 0.2° of longitude at 42.05 °N (16.56 km) crossing two townships, against a
20 km target:

>>> import geopandas as gpd
>>> from shapely.geometry import LineString, box
>>> from county_gis.project import Project
>>> from county_gis.vocabulary import LayerKind
>>> from county_gis.targets import Measure, Target
>>> towns = gpd.GeoDataFrame({"code": ["1", "2"], "name": ["西乡", "东镇"]},
...     geometry=[box(121.6, 42.0, 121.7, 42.1), box(121.7, 42.0, 121.8, 42.1)], crs="EPSG:4490")
>>> roads = gpd.GeoDataFrame({"project_id": ["R1"], "kind": ["road_rebuild"],
...     "status": ["completed"]}, geometry=[LineString([(121.6, 42.05), (121.8, 42.05)])],
...     crs="EPSG:4490")
>>> target = Target("roads", "修路20公里", "六", Measure.LENGTH, "公里", 20.0, 2023,
...                 kinds=(LayerKind.ROAD_REBUILD,))
>>> p = Project.from_layers({"roads": roads}, townships=towns, targets=[target])
>>> row = progress(p).iloc[0]
>>> round(float(row["completed"]), 3), round(float(row["pct_completed"]), 1)
(16.557, 82.8)
>>> progress(p, by="township")[["township", "completed"]].round(3).values.tolist()
[['西乡', 8.279], ['东镇', 8.279]]
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._choice import Choice
from ..history import as_of as history_as_of
from ..project import Project
from ..raster.change import DEFAULT_THRESHOLD
from ..targets import Measure, Target
from ..vocabulary import STATUSES, GeometryFamily
from ._amounts import amount
from .counting import clip_to, count_geometry, repeated_points
from .greening import Ndvi, PlotCheck, check_plots, greening_targets
from .linking import link_features, linked_features
from .overlaps import overlapping_pairs, stated_differences
from .townships import OUTSIDE, assign_township, outside_parts, split_by_township

__all__ = ["COLUMNS", "GREENING_COLUMNS", "By", "ProgressDetails", "progress",
           "progress_details"]

log = logging.getLogger(__name__)

#: Columns of the progress table, in order (``by="township"`` adds ``township``,
#: ``township_code`` and ``approximate`` after title).
#: ``has_data`` is False for a target none of whose layer kinds the project has (无数据,
#: not 0 %), True otherwise (indicators: NaN).
COLUMNS = ["target_id", "title", "section", "measure", "unit", "target_value", "planned",
           "under_construction", "completed", "pct_completed", "outside", "n_features",
           "notes", "has_data"]
#: Columns ``greening=True`` adds after ``pct_completed``.
GREENING_COLUMNS = ["greened", "green_share"]
_TOWN_COLUMNS = ["township", "township_code", "approximate"]
_GREENED = "greened"


class By(Choice):
    """How to break progress down: ``county`` (one row per target) or ``township``."""

    COUNTY = "county"
    TOWNSHIP = "township"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        """Chinese and plural names.

        Examples
        --------
        >>> By.parse("乡镇"), By.parse(None)
        (<By.TOWNSHIP: 'township'>, <By.COUNTY: 'county'>)
        >>> By.parse("village")
        Traceback (most recent call last):
        ...
        ValueError: by was 'village' but is expected to be one of None, 'county', 'township' (乡镇)
        """
        return {"县": "county", "全县": "county", "townships": "township", "乡镇": "township"}

    @classmethod
    def _allowed(cls) -> str:
        return "None, 'county', 'township' (乡镇)"

    @classmethod
    def _default(cls) -> By:
        return cls.COUNTY


@dataclass
class ProgressDetails:
    """The progress tables and the lists behind their notes.

    Attributes
    ----------
    table : DataFrame
        One row per target (:data:`COLUMNS`, plus :data:`GREENING_COLUMNS` with greening).
    by_township : DataFrame or None
        One row per (target, township) with amounts (``township``, ``township_code`` and
        ``approximate`` columns added); None unless asked for.
    overlaps : DataFrame
        Overlapping pairs of plots of an area target (``target_id``, both features, the
        shared area, counted once).
    stated : DataFrame
        Features whose stated 面积(亩) / 长度(公里) differs from the geometry by more than the
        tolerance.
    links : DataFrame
        Every feature with the target it counts toward (:func:`link_features`).
    greening : DataFrame or None
        With greening: one row per completed plot checked on NDVI (``target_id``, the
        plot, NDVI before / after / change, ``verdict``, ``area_mu``); None otherwise.
    townships_without_polygon : DataFrame or None
        With ``by="township"``: the townships listed without a polygon (``township_code,
        township``, ``note`` where the layer has one); their amounts are in their
        neighbours' rows.
    outside : DataFrame or None
        Features (partly) outside the project boundary: ``target_id``, the feature,
        ``measured`` (whole) and ``outside`` (the part not counted), in the target's unit.
    repeats : DataFrame or None
        Repeated points (same ``project_id`` or the same place) counted once: the feature
        kept (``*_a``) and the repeat (``*_b``).
    """

    table: pd.DataFrame
    by_township: pd.DataFrame | None
    overlaps: pd.DataFrame
    stated: pd.DataFrame
    links: pd.DataFrame
    greening: pd.DataFrame | None = None
    townships_without_polygon: pd.DataFrame | None = None
    outside: pd.DataFrame | None = None
    repeats: pd.DataFrame | None = None

    @property
    def link_problems(self) -> pd.DataFrame:
        """Features linked to no target, to two or more, or to an unknown one."""
        return self.links[self.links["problem"].notna()].reset_index(drop=True)


class _Towns:
    """Amounts (by key: a status or ``greened``) and features per township position.

    Position -1 holds what lies in no township polygon.
    """

    def __init__(self) -> None:
        self.amounts: dict[int, dict[str, float]] = {}
        self.features: dict[int, set[int]] = {}

    def add(self, town: int, key: str, value: float, feature: int = -1) -> None:
        row = self.amounts.setdefault(town, {s: 0.0 for s in STATUSES})
        row[key] = row.get(key, 0.0) + value
        if feature >= 0:
            self.features.setdefault(town, set()).add(feature)


def _split_amounts(src: np.ndarray, keys: np.ndarray, towns: gpd.GeoDataFrame,
                   target: Target, county: dict[str, float], acc: _Towns) -> None:
    """Measure ``src`` inside each township and outside them all; share out ``county``.

    Cutting a polygon at a township boundary puts new vertices on the straight lon/lat chord
    of the edges it crosses, a few centimetres off the geodesic that edge stands for: the
    pieces, measured geodesically, add up to the whole to about 1e-6 relative (the bundled
    afforestation: 0.11 亩 of 90,350). Lines lose far less (1e-12). Each key's county amount
    is shared out in proportion to the pieces, so the township rows add up to the county
    row exactly.
    """
    item, town, pieces = split_by_township(src, towns)
    values = amount(pieces, target)
    outside = amount(outside_parts(src, towns), target)
    raw: dict[tuple[int, str], float] = {}
    for i, t, v in zip(item, town, values, strict=True):
        raw[(int(t), str(keys[i]))] = raw.get((int(t), str(keys[i])), 0.0) + float(v)
    total = float(values.sum() + outside.sum())
    if outside.sum() > 1e-6 * total:  # more than digitising slivers
        for i in np.flatnonzero(outside > 0):
            raw[(-1, str(keys[i]))] = raw.get((-1, str(keys[i])), 0.0) + float(outside[i])
    for key, value in county.items():
        denominator = sum(v for (_, k), v in raw.items() if k == key)
        factor = value / denominator if denominator > 0 else 0.0
        for (t, k), v in sorted(raw.items()):
            if k == key:
                acc.add(t, k, v * factor)


def _features_per_town(geoms: np.ndarray, idx: np.ndarray, towns: gpd.GeoDataFrame,
                       target: Target, whole: np.ndarray, acc: _Towns,
                       ids: np.ndarray | None = None) -> None:
    """Count each line or plot in every township it reaches (and outside, beyond slivers).

    ``ids`` (default ``idx``) name the features counted, one per position of ``idx``.
    """
    ids = idx if ids is None else ids
    present = ~(shapely.is_missing(geoms[idx]) | shapely.is_empty(geoms[idx]))
    idx, ids, whole = idx[present], ids[present], whole[present]
    item, town, _ = split_by_township(geoms[idx], towns)
    for i, t in zip(ids[item], town, strict=True):
        acc.features.setdefault(int(t), set()).add(int(i))
    outside = amount(outside_parts(geoms[idx], towns), target)
    for i in ids[outside > 1e-6 * np.maximum(whole, 1e-12)]:
        acc.features.setdefault(-1, set()).add(int(i))


@dataclass
class _Result:
    """What one target contributes to the progress details."""

    row: dict[str, Any]
    towns: list[dict[str, Any]]
    overlaps: pd.DataFrame
    stated: pd.DataFrame
    plots: pd.DataFrame | None = None
    outside: pd.DataFrame | None = None
    repeats: pd.DataFrame | None = None


def _stated(feats: gpd.GeoDataFrame, target: Target, measured: np.ndarray,
            tolerance: float, notes: list[str]) -> pd.DataFrame:
    """Stated 面积(亩) / 长度(公里) against the measured amounts (in the target's unit)."""
    if target.measure is Measure.LENGTH:
        column, unit, word = "stated_length_km", "公里", "长度"
        to_stated = target.length_unit.factor / 1000.0
    else:
        column, unit, word = "stated_area_mu", "亩", "面积"
        to_stated = target.area_unit.factor / (10_000 / 15)
    if column not in feats or not feats[column].notna().any():
        return pd.DataFrame()
    stated = stated_differences(feats, feats[column], pd.Series(measured * to_stated),
                                unit=unit, tolerance=tolerance)
    if len(stated):
        stated.insert(0, "target_id", target.id)
        notes.append(f"{len(stated)} 个要素填报{word}与图形相差超过 {tolerance:.0%}")
    return stated


def _outside_rows(feats: gpd.GeoDataFrame, target: Target, whole: np.ndarray,
                  outside: np.ndarray) -> pd.DataFrame:
    """The features (partly) outside the boundary, with how much of each lies outside."""
    flag = outside > 1e-9 * np.maximum(whole, 1e-12)
    if not flag.any():
        return pd.DataFrame()
    labels = [c for c in ("layer", "place", "project_id", "name", "status") if c in feats]
    out = feats[labels].iloc[np.flatnonzero(flag)].reset_index(drop=True)  # no copy of the rest
    out.insert(0, "target_id", target.id)
    out["measured"] = whole[flag]
    out["outside"] = outside[flag]
    out["unit"] = _unit_label(target)
    return out


def _unit_label(target: Target) -> str:
    if target.measure is Measure.LENGTH:
        return target.length_unit.label
    if target.measure is Measure.AREA:
        return target.area_unit.label
    return target.unit


def _geometric(project: Project, target: Target, feats: gpd.GeoDataFrame, status: np.ndarray,
               counted_status: np.ndarray, *, towns: gpd.GeoDataFrame | None,
               boundary: shapely.Geometry | None, tolerance: float, ndvi: Ndvi | None,
               notes: list[str], row: dict[str, Any]) -> _Result:
    """Amounts of a length or area target, measured from geometry (see :mod:`.counting`)."""
    line = target.measure is Measure.LENGTH
    family = GeometryFamily.LINE if line else GeometryFamily.POLYGON
    geoms = family.only(np.asarray(feats.geometry.values))  # collections: their parts
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} 个要素不是{family.label}或为空, 未计量")
    measured = np.full(len(feats), np.nan)
    measured[ok] = amount(geoms[ok], target)
    idx = np.flatnonzero(ok & counted_status)
    counted = count_geometry(geoms[idx], status[idx], boundary=boundary)
    values = amount(counted.pieces, target)
    amounts = {s: math.fsum(values[counted.keys == s]) for s in STATUSES}
    outside = amount(counted.outside, target)
    gone = _outside_rows(feats.iloc[idx], target, measured[idx], outside)
    row["outside"] = float(outside.sum())
    if len(gone):
        notes.append(f"{len(gone)} 个要素部分或全部在县界外, 县界外 {outside.sum():,.2f} "
                     f"{_unit_label(target)} 未计入")
    overlaps = overlapping_pairs(feats.iloc[idx].set_geometry(counted.inside, crs=feats.crs),
                                 unit=target.length_unit if line else target.area_unit,
                                 pairs=counted.pairs)
    if len(overlaps):
        overlaps.insert(0, "target_id", target.id)
        what = "道路重叠或重复" if line else "地块重叠"
        notes.append(f"{len(overlaps)} 对{what}, 重叠 {overlaps['overlap'].sum():,.2f} "
                     f"{_unit_label(target)} 只计一次")
    check: PlotCheck | None = None
    if not line and ndvi is not None and greening_targets([target]):
        done = status[idx] == STATUSES[-1]
        plots = feats.iloc[idx[done]].set_geometry(counted.inside[done], crs=feats.crs)
        plots = plots[~shapely.is_empty(counted.inside[done])]
        check = _greening(target, plots, ndvi, amounts, row, notes)
    stated = _stated(feats, target, measured, tolerance, notes)
    acc = _Towns()
    if towns is not None:
        _split_amounts(counted.pieces, counted.keys, towns, target, amounts, acc)
        if check is not None:
            greened = check.parts[_GREENED]
            _split_amounts(greened, np.full(len(greened), _GREENED, dtype=object), towns,
                           target, {_GREENED: row[_GREENED]}, acc)
        inside = amount(counted.inside, target)
        _features_per_town(counted.inside, np.arange(len(idx)), towns, target, inside, acc,
                           ids=idx)
    town_rows = _finish(project, target, row, amounts, notes, acc, towns)
    plot_table = None if check is None else check.plot_table(target.id)
    return _Result(row, town_rows, overlaps, stated, plot_table, gone)


def _greening(target: Target, done: gpd.GeoDataFrame, ndvi: Ndvi, amounts: dict[str, float],
              row: dict[str, Any], notes: list[str]) -> PlotCheck | None:
    """The NDVI check of a target's completed plots: ``greened`` and ``green_share``."""
    if not len(done):
        row.update(greened=0.0, green_share=math.nan)
        return None
    check = check_plots(done, ndvi)
    _, areas = check.areas(target.area_unit)
    row.update(_green(areas[_GREENED], amounts[STATUSES[-1]]))
    notes.append(check.note())
    return check


def _green(greened: float, completed: float) -> dict[str, float]:
    """``greened`` and ``green_share`` of a row.

    The greened part lies inside the completed area, but the two are shared out among the
    townships separately (see :func:`_split_amounts`), so where every completed plot of a
    township greened its ``greened`` can exceed ``completed`` by ~1e-6; it is kept (the rows
    add up to the county row) and the share is capped at 1.

    Examples
    --------
    >>> _green(75.0, 100.0), _green(100.0001, 100.0)
    ({'greened': 75.0, 'green_share': 0.75}, {'greened': 100.0001, 'green_share': 1.0})
    >>> _green(0.0, 0.0)
    {'greened': 0.0, 'green_share': nan}
    """
    share = min(greened / completed, 1.0) if completed else math.nan
    return {"greened": greened, "green_share": share}


def _counted(project: Project, target: Target, feats: gpd.GeoDataFrame, status: np.ndarray,
             counted_status: np.ndarray, *, towns: gpd.GeoDataFrame | None,
             boundary: shapely.Geometry | None, notes: list[str],
             row: dict[str, Any]) -> _Result:
    """Amounts of a count or sum target: features counted (each place once), or a field added.

    A feature outside the boundary is not counted; a repeated point (same ``project_id``, or
    the same place) counts once (:func:`~county_gis.analysis.counting.repeated_points`).
    """
    if target.measure is Measure.COUNT:
        values = np.ones(len(feats))
    else:
        values = feats["value"].to_numpy(dtype=float) if "value" in feats else np.full(
            len(feats), np.nan)
        missing = np.isnan(values) & counted_status
        if target.field is not None and "value" in feats and missing.all() and len(feats):
            notes.append(f"字段 {target.field!r} 缺失或无数值, 未计 (field missing)")
        elif missing.any():
            notes.append(f"{int(missing.sum())} 个要素字段 {target.field!r} 无数值, 未计")
    geoms = np.asarray(feats.geometry.values)
    inside, _ = clip_to(geoms, boundary)
    out = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & (
        shapely.is_missing(inside) | shapely.is_empty(inside))
    ids = feats["project_id"].to_numpy(dtype=object) if "project_id" in feats else np.full(
        len(feats), None, dtype=object)
    points = np.where(shapely.get_dimensions(geoms) == 0, geoms, np.array(None, dtype=object))
    repeat = repeated_points(points, ids)
    repeat[~counted_status] = -1
    keep = counted_status & ~out & (repeat < 0)
    amounts = {key: float(np.nansum(values[keep & (status == key)])) for key in STATUSES}
    whole = np.nan_to_num(values, nan=0.0)
    row["outside"] = float(whole[counted_status & out].sum())
    gone = _outside_rows(feats, target, whole, np.where(counted_status & out, whole, 0.0))
    if len(gone):
        notes.append(f"{len(gone)} 个要素在县界外, 未计入")
    repeats = pd.DataFrame()
    if (repeat >= 0).any():
        labels = [c for c in ("layer", "place", "project_id", "name") if c in feats]
        first = repeat[repeat >= 0]
        repeats = pd.DataFrame({
            "target_id": target.id,
            **{f"{c}_a": feats[c].take(first).array for c in labels},
            **{f"{c}_b": feats[c].take(np.flatnonzero(repeat >= 0)).array for c in labels},
        })
        notes.append(f"{len(repeats)} 个点要素重复 (同编号或同位置), 只计一次")
    acc = _Towns()
    if towns is not None:
        where = assign_township(geoms, towns)
        for i, t in enumerate(where):
            if keep[i] and not math.isnan(values[i]):
                acc.add(int(t), status[i], float(values[i]), i)
    town_rows = _finish(project, target, row, amounts, notes, acc, towns)
    return _Result(row, town_rows, pd.DataFrame(), pd.DataFrame(), outside=gone,
                   repeats=repeats)


def _finish(project: Project, target: Target, row: dict[str, Any], amounts: dict[str, float],
            notes: list[str], acc: _Towns, towns: gpd.GeoDataFrame | None
            ) -> list[dict[str, Any]]:
    """Fill the county row; return the township rows (none unless ``towns``)."""
    row.update(amounts)
    row["pct_completed"] = 100.0 * amounts[STATUSES[-1]] / target.value
    row["notes"] = "; ".join(notes) if notes else None
    return _township_rows(project, row, acc) if towns is not None else []


def _target_rows(project: Project, target: Target, feats: gpd.GeoDataFrame, *,
                 townships: bool, tolerance: float, ndvi: Ndvi | None,
                 boundary: shapely.Geometry | None, kinds: set[str] | None = None) -> _Result:
    """County row, township rows, overlaps, stated differences (and plots) of one target."""
    notes: list[str] = [target.note] if target.note else []
    row: dict[str, Any] = {
        "target_id": target.id, "title": target.title, "section": target.section,
        "measure": target.measure.value, "unit": target.unit, "target_value": target.value,
        "n_features": len(feats),
    }
    if ndvi is not None:
        row.update(greened=math.nan, green_share=math.nan)
    if target.indicator:
        notes.insert(0, "指标, 无图层数据 (indicator: no map layer)")
        row.update({s: math.nan for s in STATUSES}, pct_completed=math.nan, outside=math.nan,
                   notes="; ".join(notes), has_data=math.nan)
        return _Result(row, [], pd.DataFrame(), pd.DataFrame())
    row["has_data"] = kinds is None or any(k.value in kinds for k in target.kinds)
    if not row["has_data"]:
        wanted = "、".join(k.value for k in target.kinds)
        notes.insert(0, f"无数据 no data: 项目中没有 {wanted} 图层 (no layer of this kind in the "
                        "project; not 0 %)")
        row.update({s: math.nan for s in STATUSES}, pct_completed=math.nan, outside=math.nan,
                   notes="; ".join(notes))
        return _Result(row, [], pd.DataFrame(), pd.DataFrame())
    status = feats["status"].to_numpy(dtype=object)
    known = np.isin(status, STATUSES)
    if (~known).any():
        notes.append(f"{int((~known).sum())} 个要素状态不明, 未计入 (status unknown)")
    towns = project.townships if townships else None
    if target.measure in (Measure.LENGTH, Measure.AREA):
        return _geometric(project, target, feats, status, known, towns=towns,
                          boundary=boundary, tolerance=tolerance, ndvi=ndvi, notes=notes,
                          row=row)
    return _counted(project, target, feats, status, known, towns=towns, boundary=boundary,
                    notes=notes, row=row)


def _township_rows(project: Project, county: dict[str, Any], acc: _Towns) -> list[dict[str, Any]]:
    towns = project.townships
    names = towns["name"].to_numpy(dtype=object)
    codes = towns["code"].to_numpy(dtype=object) if "code" in towns else names
    approximate = (towns["approximate"].to_numpy(dtype=bool) if "approximate" in towns
                   else np.zeros(len(towns), dtype=bool))
    base = {k: county[k] for k in ("target_id", "title", "section", "measure", "unit")}
    rows = []
    for t in sorted(acc.amounts, key=lambda k: (k < 0, k)):  # amounts outside come last
        amounts = dict(acc.amounts[t])
        extra: dict[str, Any] = {}
        if _GREENED in county:
            greened = amounts.pop(_GREENED, 0.0)
            extra = (_green(greened, amounts[STATUSES[-1]]) if not math.isnan(county[_GREENED])
                     else {"greened": math.nan, "green_share": math.nan})
        where = ({"township": names[t], "township_code": codes[t],
                  "approximate": bool(approximate[t]), "notes": None} if t >= 0 else
                 {"township": OUTSIDE, "township_code": None, "approximate": None,
                  "notes": "不在任何乡镇多边形内的部分"})
        rows.append({**base, **where, "target_value": math.nan, **amounts,
                     "pct_completed": math.nan, **extra,
                     "n_features": len(acc.features.get(t, ()))})
    return rows


def _without_polygon(townships: gpd.GeoDataFrame) -> pd.DataFrame:
    """``township_code, township`` (and ``note``) of the townships that have no polygon."""
    geoms = townships.geometry
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    names = {"code": "township_code", "name": "township", "note": "note"}
    frame = pd.DataFrame(townships.loc[missing, [c for c in names if c in townships]])
    return frame.rename(columns=names).reset_index(drop=True)


def progress_details(project: Project, *, by: By | str | None = None, tolerance: float = 0.05,
                     greening: bool = False, threshold: float = DEFAULT_THRESHOLD,
                     as_of: str | dt.date | None = None) -> ProgressDetails:
    """Progress against every target of ``project``, with the lists behind the notes.

    Parameters
    ----------
    project : Project
        A loaded project (:func:`county_gis.load_project`).
    by : {None, "county", "township"}, optional
        ``"township"`` also computes the per-township breakdown.
    tolerance : float, default 0.05
        Relative difference above which a stated 面积(亩) / 长度(公里) is listed.
    greening : bool, default False
        Check the completed mine-restoration / afforestation plots of area targets on the
        project's NDVI rasters (``[rasters]`` ``ndvi_before`` / ``ndvi_after``): adds
        :data:`GREENING_COLUMNS` and :attr:`ProgressDetails.greening`.
    threshold : float, default 0.05
        The NDVI change that counts as greened (with ``greening``).
    as_of : str or date, optional
        Measure the layers as recorded in the project's history at that date
        (``"2023-10-31"``; :func:`county_gis.history.as_of`) instead of as loaded.

    Returns
    -------
    ProgressDetails

    Raises
    ------
    ValueError
        If ``by`` or ``tolerance`` is not allowed.
    ThresholdError
        If ``threshold`` is not a number in (0, 2).
    ConfigError
        With ``greening``, if the project has no NDVI rasters.
    """
    if as_of is not None:  # the layers as recorded at that date (county_gis.history)
        project = history_as_of(project, as_of)
    by = By.parse(by)
    if not 0 <= tolerance < 10:
        raise ValueError(f"tolerance was {tolerance!r} but must be a fraction like 0.05 (5 %)")
    ndvi = _project_ndvi(project, threshold) if greening else None
    links = link_features(project)
    boundary = project.boundary_geometry()
    kinds = {str(k) for frame in project.layers.values() if "kind" in frame
             for k in frame["kind"].dropna().unique()}
    results = [
        _target_rows(project, target, linked_features(project, links, target),
                     townships=by is By.TOWNSHIP, tolerance=tolerance, ndvi=ndvi,
                     boundary=boundary, kinds=kinds)
        for target in project.targets
    ]
    columns = list(COLUMNS)
    if ndvi is not None:
        columns[columns.index("pct_completed") + 1:1] = GREENING_COLUMNS
    table = pd.DataFrame([r.row for r in results], columns=columns)
    by_township = without = None
    if by is By.TOWNSHIP:
        by_township = pd.DataFrame([row for r in results for row in r.towns],
                                   columns=[*columns[:2], *_TOWN_COLUMNS, *columns[2:]])
        without = _without_polygon(project.townships)
    plots = [r.plots for r in results if r.plots is not None]
    return ProgressDetails(
        table=table, by_township=by_township,
        overlaps=_concat([r.overlaps for r in results], ["target_id", "overlap", "unit"]),
        stated=_concat([r.stated for r in results],
                       ["target_id", "stated", "measured", "difference", "relative", "unit"]),
        links=links,
        greening=None if ndvi is None else _concat(plots, ["target_id", "verdict", "area_mu"]),
        townships_without_polygon=without,
        outside=_concat([r.outside for r in results if r.outside is not None],
                        ["target_id", "measured", "outside", "unit"]),
        repeats=_concat([r.repeats for r in results if r.repeats is not None], ["target_id"]),
    )


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _project_ndvi(project: Project, threshold: float) -> Ndvi:
    before, after = project.ndvi_rasters()
    return Ndvi(before, after, threshold)


def progress(project: Project, *, by: By | str | None = None, tolerance: float = 0.05,
             greening: bool = False, threshold: float = DEFAULT_THRESHOLD,
             as_of: str | dt.date | None = None) -> pd.DataFrame:
    """Planned / under construction / completed amounts and % completed for every target.

    Parameters
    ----------
    project : Project
        A loaded project (:func:`county_gis.load_project`).
    by : {None, "county", "township"}, optional
        None: one row per target. ``"township"``: one row per (target, township) holding
        an amount, with ``township``, ``township_code`` and ``approximate`` columns; these
        rows add up to the county row.
    tolerance : float, default 0.05
        Relative difference above which a stated amount is noted.
    greening : bool, default False
        Add ``greened`` (the part of the completed area that is green on the project's NDVI
        rasters, in the target's unit) and ``green_share`` (greened / completed, 0–1) after
        ``pct_completed``: for area targets drawing on mine-restoration / afforestation
        plots; NaN for the others. The same numbers as
        :func:`county_gis.analysis.greening_summary` (which gives them in 亩).
    threshold : float, default 0.05
        The NDVI change that counts as greened (with ``greening``).
    as_of : str or date, optional
        The figures of that date, from the project's history (``"2023-10-31"``).

    Returns
    -------
    DataFrame
        ``target_id, title, section, measure, unit, target_value, planned,
        under_construction, completed, pct_completed`` (0–100 and beyond), ``n_features``,
        ``notes``. Amounts are in the target's unit; indicators (no map layer) have NaN
        amounts. The lists behind the notes: :func:`progress_details`.
    """
    details = progress_details(project, by=by, tolerance=tolerance, greening=greening,
                               threshold=threshold, as_of=as_of)
    return details.by_township if details.by_township is not None else details.table
