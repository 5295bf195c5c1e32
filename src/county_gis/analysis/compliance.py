"""三区三线 compliance: every project feature against every zone, to the square metre.

:func:`compliance` overlays each feature of a project with the zone layers of its
``[zones.*]`` tables (生态保护红线, 永久基本农田, 城镇开发边界) and returns a
:class:`ComplianceResult`:

- polygons: the geodesic area inside each zone (平方米 / 亩 / 公顷); for 永久基本农田 with
  ``KCXS`` the net area (area × (1 − KCXS)); for zones with ``TBMJ`` the pieces 平差'd so that
  each 图斑's pieces, with the rest of the 图斑, add up to its TBMJ exactly (to 0.01 m²);
- lines: the geodesic length inside each zone, cut at the zone edges (a stretch along an
  edge is not inside); points: the zone they lie in (strictly inside);
- per feature × zone type one row: 冲突 / 无冲突 / 未核查 (:class:`CheckStatus`), the rule
  (kind × zone type → 禁止 / 需论证 / 允许) with its citation, and the zone dataset, version
  and effective date it was checked against;
- slivers (overlaps under ``sliver_area_m2`` or narrower than ``sliver_width_m``, line pieces
  shorter than ``sliver_length_m``) dropped, counted and listed;
- overrides (reviewed false positives, with reason and 依据) applied, the original kept.

Examples
--------
A 1 km road crossing a red-line square and a plot beside it, edge to edge:

>>> import geopandas as gpd
>>> from shapely.geometry import LineString, box
>>> from county_gis.project import Project
>>> roads = gpd.GeoDataFrame({"kind": ["road_rebuild"], "project_id": ["R1"], "name": ["X"]},
...     geometry=[LineString([(121.60, 42.105), (121.62, 42.105)])], crs="EPSG:4490")
>>> plots = gpd.GeoDataFrame({"kind": ["afforestation"], "project_id": ["A1"], "name": ["Y"]},
...     geometry=[box(121.62, 42.10, 121.63, 42.11)], crs="EPSG:4490")
>>> red = gpd.GeoDataFrame({"HXBH": ["H1"]}, geometry=[box(121.61, 42.10, 121.62, 42.11)],
...     crs="EPSG:4490")
>>> p = Project.from_layers({"roads": roads, "plots": plots}, targets=[])
>>> zone = ZoneLayer.from_frame(red, version="2023", effective="2023-06-01", name="STBHHX")
>>> result = compliance(p, zones=[zone])
>>> t = result.table.set_index(["project_id", "zone_type"])
>>> t.loc[("R1", "生态保护红线"), ["status", "verdict"]].tolist()
['冲突', '需论证']
>>> float(round(t.loc[("R1", "生态保护红线"), "length_m"], 1))  # 0.01° of longitude at 42.1°N
827.1
>>> t.loc[("A1", "生态保护红线"), "status"], t.loc[("A1", "永久基本农田"), "status"]
('无冲突', '未核查')
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import CGCS2000
from ..errors import ConfigError, CountyGisWarning, DataError, unknown_keys
from ..measure import Invalid, geodesic_area, geodesic_length, geodesic_perimeter, measure_table
from ..project import Project
from ..units import AreaUnit, LengthUnit
from ._rules import (
    OVERRIDES_FILE,
    CheckStatus,
    Override,
    Rule,
    RuleBook,
    Verdict,
    ZoneType,
    load_overrides,
    load_rules,
)
from ._zones import ZoneLayer, detect_zone_type, project_zones

__all__ = ["CheckStatus", "ComplianceResult", "Override", "Rule", "RuleBook", "Verdict",
           "ZoneLayer", "ZoneType", "compliance", "detect_zone_type", "load_overrides",
           "load_rules", "project_zones"]

log = logging.getLogger(__name__)

_M2_PER_MU = AreaUnit.MU.factor
_COMPLIANCE_KEYS = {"rules", "overrides", "sliver_area_m2", "sliver_width_m", "sliver_length_m"}

#: Columns of :attr:`ComplianceResult.table`, in order.
TABLE_COLUMNS = [
    "layer", "place", "project_id", "name", "kind", "township", "zone_type", "status",
    "original_status", "verdict", "rule", "citation", "area_m2", "area_mu", "area_ha",
    "net_area_m2", "adjusted_area_m2", "length_m", "n_pieces", "n_slivers", "zone_dataset",
    "zone_version", "zone_effective", "zone_note", "override_reason", "override_basis",
]


@dataclass
class ComplianceResult:
    """What :func:`compliance` found, computed once; renderers and writers take it.

    Attributes
    ----------
    table : DataFrame
        One row per feature × zone type (:data:`TABLE_COLUMNS`).
    overlaps : GeoDataFrame
        One row per feature × zone polygon overlap kept (not a sliver): the piece's
        geometry, ``area_m2`` / ``length_m`` / ``inside``, ``net_area_m2``,
        ``adjusted_area_m2``, the zone's ``zone_fid``, and the row's status and rule.
    pieces : DataFrame
        The 平差 of every 图斑 with TBMJ that a feature touches: one row per piece and one
        ``rest`` row per 图斑; per 图斑 ``adjusted_m2`` adds up to ``tbmj`` to 0.01 m².
    slivers : DataFrame
        The overlaps dropped as slivers (place, zone, area, width or length, why).
    zones : DataFrame
        The zone datasets checked: type, dataset, version, effective, label, features,
        how the type was decided.
    rules : RuleBook
    problems : list of str
        Overrides that matched nothing, and other things to look at.
    thresholds : dict
        The sliver thresholds used.
    zone_features : GeoDataFrame
        The zone polygons checked (``zone_type``, ``zone_dataset``, ``zone_version``), for maps.
    """

    table: pd.DataFrame
    overlaps: gpd.GeoDataFrame
    pieces: pd.DataFrame
    slivers: pd.DataFrame
    zones: pd.DataFrame
    rules: RuleBook
    problems: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    name: str = ""
    zone_features: gpd.GeoDataFrame = field(default_factory=lambda: gpd.GeoDataFrame(
        {"zone_type": [], "zone_dataset": [], "zone_version": []}, geometry=[], crs=CGCS2000))

    @property
    def labels(self) -> list[str]:
        """The distinct labels of the zone datasets (e.g. "合成数据，非法定成果")."""
        return sorted({str(v) for v in self.zones.get("label", []) if str(v)})

    def conflicts(self) -> pd.DataFrame:
        """The rows whose status is 冲突."""
        return self.table[self.table["status"] == CheckStatus.CONFLICT.value]

    def counts(self) -> pd.DataFrame:
        """Rows per zone type × status (冲突 / 无冲突 / 未核查).

        Examples
        --------
        See :func:`compliance`.
        """
        counts = self.table.groupby(["zone_type", "status"]).size().unstack(fill_value=0)
        return counts.reindex(columns=[s.value for s in CheckStatus], fill_value=0)

    def summary(self, *, by: str = "project") -> pd.DataFrame:
        """The 三区三线指标汇总表: per project (feature) or per 乡镇, with a 合计 row.

        Columns: the row's key (``project_id, name, kind, township`` or ``township``),
        ``n_features``, then per zone type code (``STBHHX``, ``YJJBNTBHTB``, ``CZKFBJ``):
        ``<code>_ha`` (area inside, 公顷), ``<code>_m`` (length inside, 米), and for
        永久基本农田 ``YJJBNTBHTB_net_ha`` (KCXS-net) and ``YJJBNTBHTB_adj_ha`` (平差);
        ``n_conflicts``, ``n_unchecked`` and ``conclusion``.

        Raises
        ------
        ConfigError
            If ``by`` is neither "project" nor "township".
        """
        if by not in ("project", "township"):
            raise ConfigError(f"by was {by!r} but is expected to be one of 'project', "
                              "'township'")
        t = self.table.copy()
        keys = ["place", "project_id", "name", "kind", "township"] if by == "project" \
            else ["township"]
        t["township"] = t["township"].fillna("(未填乡镇)")
        t["project_id"] = t["project_id"].fillna("")
        rows = []
        for key, group in t.groupby(keys, sort=True, dropna=False):
            row: dict[str, Any] = dict(zip(keys, key if isinstance(key, tuple) else (key,),
                                           strict=True))
            row["n_features"] = group["place"].nunique()
            for zone in ZoneType:
                z = group[group["zone_type"] == zone.value]
                row[f"{zone.code}_ha"] = z["area_m2"].sum(min_count=1) / 10_000.0
                row[f"{zone.code}_m"] = z["length_m"].sum(min_count=1)
                if zone is ZoneType.FARMLAND:
                    row[f"{zone.code}_net_ha"] = z["net_area_m2"].sum(min_count=1) / 10_000.0
                    row[f"{zone.code}_adj_ha"] = z["adjusted_area_m2"].sum(
                        min_count=1) / 10_000.0
            row["n_conflicts"] = int((group["status"] == CheckStatus.CONFLICT.value).sum())
            row["n_unchecked"] = int((group["status"] == CheckStatus.UNCHECKED.value).sum())
            rows.append(row)
        out = pd.DataFrame(rows)
        if by == "project" and len(out):
            out = out.drop(columns=["n_features"])
        if len(out):
            out["conclusion"] = [_conclusion(r) for r in out.to_dict("records")]
        return out.reset_index(drop=True)


def _conclusion(row: dict[str, Any]) -> str:
    parts = []
    if row["n_conflicts"]:
        parts.append(f"冲突 {row['n_conflicts']} 项")
    if row["n_unchecked"]:
        parts.append(f"未核查 {row['n_unchecked']} 项")
    return "；".join(parts) if parts else "无冲突"


#: Pairs per chunk when intersections run on several threads (GEOS releases the GIL).
_CHUNK = 2_000


def _chunked(func: Any, a: np.ndarray, b: np.ndarray) -> list[Any]:
    """``func(a[i:j], b[i:j])`` over chunks of :data:`_CHUNK` pairs, on up to 4 threads.

    GEOS releases the GIL while it overlays and numpy while it measures, so chunks run on
    several cores, and one chunk is measured while the next is overlaid; the results are
    those of one call over everything, in order, chunk by chunk.
    """
    workers = min(4, os.cpu_count() or 1)
    if len(a) < 2 * _CHUNK or workers < 2:
        return [func(a, b)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda i: func(a[i:i + _CHUNK], b[i:i + _CHUNK]),
                             range(0, len(a), _CHUNK)))


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``shapely.intersection(a, b)``, in chunks on several threads for large inputs."""
    return np.concatenate(_chunked(shapely.intersection, a, b))


def _polygon_pieces(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The polygonal intersection of each pair, its geodesic area and perimeter (m², m).

    GEOS's overlay returns valid polygons, so they are measured as they are (no second
    validity check); an empty piece has area 0 and no perimeter (NaN).
    """
    pieces = _polygonal(shapely.intersection(a, b))
    area = np.zeros(len(pieces))
    perimeter = np.full(len(pieces), np.nan)
    ok = ~shapely.is_empty(pieces)
    if ok.any():
        table = measure_table(gpd.GeoSeries(pieces[ok], crs=CGCS2000),
                              area_unit=AreaUnit.SQUARE_METRE, length_unit=LengthUnit.METRE,
                              invalid=Invalid.AS_IS)
        area[ok] = table["area_m2"].to_numpy()
        perimeter[ok] = table["perimeter_m"].to_numpy()
    return pieces, area, perimeter


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry (empty polygon when none)."""
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    odd = ~np.isin(types, (3, 6))
    if odd.any():
        idx = np.flatnonzero(odd)
        parts, owner = shapely.get_parts(geoms[idx], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), (3, 6))
        fixed = np.array([shapely.Polygon()] * len(idx), dtype=object)
        if keep.any():
            grouped = pd.Series(parts[keep]).groupby(owner[keep]).agg(
                lambda s: shapely.multipolygons(
                    shapely.get_parts(np.asarray(list(s), dtype=object))))
            fixed[grouped.index.to_numpy()] = grouped.to_numpy()
        out[idx] = fixed
    return out


def _linear_length(geoms: np.ndarray) -> np.ndarray:
    """Geodesic length of the linear parts of each geometry (0 when none)."""
    out = np.zeros(len(geoms))
    if not len(geoms):
        return out
    parts, owner = shapely.get_parts(geoms, return_index=True)
    linear = np.isin(shapely.get_type_id(parts), (1, 2)) & ~shapely.is_empty(parts)
    if linear.any():
        lengths = geodesic_length(gpd.GeoSeries(parts[linear], crs=CGCS2000)).to_numpy()
        out += np.bincount(owner[linear], weights=lengths, minlength=len(geoms))
    return out


def _measure_area(geoms: np.ndarray) -> np.ndarray:
    out = np.zeros(len(geoms))
    ok = ~shapely.is_empty(geoms)
    if ok.any():
        out[ok] = geodesic_area(gpd.GeoSeries(geoms[ok], crs=CGCS2000)).to_numpy()
    return out


def _measure_perimeter(geoms: np.ndarray) -> np.ndarray:
    out = np.full(len(geoms), np.nan)
    ok = ~shapely.is_empty(geoms)
    if ok.any():
        out[ok] = geodesic_perimeter(gpd.GeoSeries(geoms[ok], crs=CGCS2000)).to_numpy()
    return out


def _places(project: Project, feats: gpd.GeoDataFrame) -> list[str]:
    fids = feats["source_fid"] if "source_fid" in feats else pd.Series(
        feats.groupby("layer").cumcount(), index=feats.index)
    fids = fids.where(fids.notna(), pd.Series(feats.groupby("layer").cumcount(),
                                              index=feats.index))
    cache = {layer: project.place(layer) for layer in feats["layer"].unique()}
    return [f"{cache[layer]}#{int(fid)}" for layer, fid in zip(feats["layer"], fids,
                                                                strict=True)]


def _numeric(zone: ZoneLayer, code: str) -> np.ndarray | None:
    column = zone.column(code)
    if column is None:
        return None
    values = pd.to_numeric(zone.frame[column], errors="coerce").to_numpy(dtype=float)
    return values


def _overlay(feats: np.ndarray, dims: np.ndarray, fareas: np.ndarray, zone: ZoneLayer,
             thresholds: dict[str, float]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Feature × zone-polygon pieces of one zone layer (slivers separated)."""
    zgeoms = zone.frame.geometry.values
    ok = ~(shapely.is_missing(zgeoms) | shapely.is_empty(zgeoms))
    tree = shapely.STRtree(np.where(ok, zgeoms, None))
    fi, zi = tree.query(feats, predicate="intersects")
    shapely.prepare(zgeoms[ok])
    empty = pd.DataFrame({"f": [], "z": [], "inside": [], "area_m2": [], "length_m": [],
                          "geometry": []})
    if not len(fi):
        return empty, []
    fdim = dims[fi]
    inside = np.zeros(len(fi), dtype=bool)
    area = np.zeros(len(fi))
    length = np.zeros(len(fi))
    pieces = np.empty(len(fi), dtype=object)
    contained = shapely.contains_properly(zgeoms[zi], feats[fi])
    # polygons: the feature itself where the zone holds it; else the polygonal intersection
    poly = fdim == 2
    whole = poly & contained
    pieces[whole] = feats[fi[whole]]
    area[whole] = fareas[fi[whole]]
    # the zone polygon wholly inside the feature: the piece is the zone polygon
    holds = np.zeros(len(fi), dtype=bool)
    rest = np.flatnonzero(poly & ~contained)
    if len(rest):
        prepared = np.unique(fi[rest])
        shapely.prepare(feats[prepared])
        holds[rest] = shapely.contains_properly(feats[fi[rest]], zgeoms[zi[rest]])
        shapely.destroy_prepared(feats[prepared])
    if holds.any():
        pieces[holds] = zgeoms[zi[holds]]
        area[holds] = _measure_area(zgeoms[zi[holds]])
    cut = poly & ~contained & ~holds
    perimeter = np.full(len(fi), np.nan)  # measured with the cut pieces, else when needed
    if cut.any():
        chunks = _chunked(_polygon_pieces, feats[fi[cut]], zgeoms[zi[cut]])
        pieces[cut] = np.concatenate([c[0] for c in chunks])
        area[cut] = np.concatenate([c[1] for c in chunks])
        perimeter[cut] = np.concatenate([c[2] for c in chunks])
    inside[poly] = area[poly] > 0
    # lines: the length inside, less what runs along the zone's edge
    line = fdim == 1
    whole_l = line & contained
    pieces[whole_l] = feats[fi[whole_l]]
    cut_l = line & ~contained
    if line.any():
        length[whole_l] = _linear_length(feats[fi[whole_l]])
    if cut_l.any():
        inter = _intersection(feats[fi[cut_l]], zgeoms[zi[cut_l]])
        edge = shapely.intersection(inter, shapely.boundary(zgeoms[zi[cut_l]]))
        pieces[cut_l] = inter
        length[cut_l] = np.maximum(_linear_length(inter) - _linear_length(edge), 0.0)
    inside[line] = length[line] > 0
    # points: strictly inside
    point = fdim == 0
    pieces[point] = feats[fi[point]]
    inside[point] = contained[point]
    frame = pd.DataFrame({"f": fi, "z": zi, "inside": inside, "area_m2": area,
                          "length_m": length, "geometry": pieces, "perimeter_m": perimeter})
    frame = frame[frame["inside"]].reset_index(drop=True)
    perimeter = frame.pop("perimeter_m").to_numpy(copy=True)
    # slivers
    slivers: list[dict[str, Any]] = []
    is_poly = dims[frame["f"].to_numpy()] == 2
    why = np.full(len(frame), "", dtype=object)
    width = np.full(len(frame), np.nan)
    if is_poly.any():
        small = is_poly & (frame["area_m2"].to_numpy() < thresholds["sliver_area_m2"])
        why[small] = "area"
        check = is_poly & ~small
        if check.any():
            unknown = check & np.isnan(perimeter)
            if unknown.any():
                perimeter[unknown] = _measure_perimeter(frame["geometry"].to_numpy()[unknown])
            width[check] = 2.0 * frame["area_m2"].to_numpy()[check] / perimeter[check]
            narrow = np.zeros(len(frame), dtype=bool)
            narrow[check] = width[check] < thresholds["sliver_width_m"]
            why[narrow] = "width"
    is_line = dims[frame["f"].to_numpy()] == 1
    short = is_line & (frame["length_m"].to_numpy() < thresholds["sliver_length_m"])
    why[short] = "length"
    frame["width_m"] = width
    dropped = why != ""
    for row, reason in zip(frame[dropped].to_dict("records"), why[dropped], strict=True):
        slivers.append({**row, "why": reason})
    return frame[~dropped].reset_index(drop=True), slivers


def _adjust(zone: ZoneLayer, kept: pd.DataFrame, zone_areas: np.ndarray,
            places: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """平差 of the pieces of each touched 图斑 with TBMJ; (adjusted per piece, pieces table).

    Each piece is scaled by TBMJ / (geodesic area of the 图斑); the rest of the 图斑 takes
    TBMJ − Σ pieces; then every value is rounded to whole cents by the largest remainder, so
    that each 图斑's values add up to its TBMJ (rounded to 0.01 m²) exactly.
    """
    out = np.full(len(kept), np.nan)
    tbmj = _numeric(zone, "TBMJ")
    if tbmj is None or not len(kept):
        return out, pd.DataFrame()
    z = kept["z"].to_numpy()
    ok = (kept["area_m2"].to_numpy() > 0) & np.isfinite(tbmj[z]) & (zone_areas[z] > 0)
    if not ok.any():
        return out, pd.DataFrame()
    rows = np.flatnonzero(ok)
    zp = z[rows]
    area = kept["area_m2"].to_numpy()[rows]
    value = area * tbmj[zp] / zone_areas[zp]
    touched, inverse = np.unique(zp, return_inverse=True)
    rest_value = tbmj[touched] - np.bincount(inverse, weights=value)
    rest_area = zone_areas[touched] - np.bincount(inverse, weights=area)
    group = np.concatenate([inverse, np.arange(len(touched))])
    exact = np.concatenate([value, rest_value]) * 100.0
    cents = np.floor(exact)
    extra = np.round(tbmj[touched] * 100.0) - np.bincount(group, weights=cents,
                                                          minlength=len(touched))
    # largest remainders first within each 图斑: sort by (group, -remainder)
    order = np.lexsort((-(exact - cents), group))
    starts = np.searchsorted(group[order], np.arange(len(touched)))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts[group[order]]
    cents += rank < extra[group]
    adjusted = cents / 100.0
    out[rows] = adjusted[:len(rows)]
    fids = zone.frame["source_fid"].to_numpy() if "source_fid" in zone.frame else \
        np.arange(len(zone.frame))
    table = pd.DataFrame({
        "zone_fid": np.concatenate([fids[zp], fids[touched]]).astype(int),
        "piece": np.concatenate([np.asarray(places, dtype=object)[
            kept["f"].to_numpy(dtype=int)[rows]], np.full(len(touched), "rest", dtype=object)]),
        "area_m2": np.concatenate([area, rest_area]),
        "adjusted_m2": adjusted,
        "tbmj": np.concatenate([tbmj[zp], tbmj[touched]]),
        "zone_area_m2": np.concatenate([zone_areas[zp], zone_areas[touched]]),
    }).iloc[np.lexsort((np.concatenate([np.zeros(len(rows)), np.ones(len(touched))]), group))]
    return out, table.reset_index(drop=True).assign(zone_dataset=zone.dataset)


def _settings(project: Project, rules: Any, overrides: Any,
              given: dict[str, float | None]) -> tuple[RuleBook, tuple[Override, ...],
                                                        dict[str, float]]:
    section = project.sections.get("compliance", {})
    if not isinstance(section, dict):
        raise ConfigError("[compliance] must be a table (rules, overrides, sliver_area_m2, "
                          "sliver_width_m, sliver_length_m)")
    unknown = unknown_keys(section, _COMPLIANCE_KEYS)
    if unknown:
        raise ConfigError(f"[compliance] {unknown}")
    root = project.root
    if isinstance(rules, RuleBook):
        book = rules
    else:
        path = rules if rules is not None else section.get("rules")
        if path is not None and root is not None and not Path(path).is_absolute() \
                and rules is None:
            path = root / path
        book = load_rules(path)
    if overrides is None:
        path = section.get("overrides")
        if path is not None:
            found: tuple[Override, ...] = load_overrides(
                root / path if root is not None else path)
        elif root is not None and (root / OVERRIDES_FILE).is_file():
            found = load_overrides(root / OVERRIDES_FILE)
        else:
            found = ()
    elif isinstance(overrides, str | os.PathLike):
        found = load_overrides(overrides)
    else:
        found = tuple(overrides)
    defaults = {"sliver_area_m2": 1.0, "sliver_width_m": 0.5, "sliver_length_m": 1.0}
    thresholds = {}
    for key, default in defaults.items():
        value = given.get(key)
        value = section.get(key, default) if value is None else value
        if not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{key} was {value!r} but must be a number ≥ 0 (default "
                              f"{default}; CLI --{key.replace('_', '-')})")
        thresholds[key] = float(value)
    return book, found, thresholds


def compliance(
    project: Project,
    *,
    zones: Sequence[ZoneLayer] | None = None,
    rules: RuleBook | str | os.PathLike[str] | None = None,
    overrides: Sequence[Override] | str | os.PathLike[str] | None = None,
    sliver_area_m2: float | None = None,
    sliver_width_m: float | None = None,
    sliver_length_m: float | None = None,
) -> ComplianceResult:
    """Check every feature of ``project`` against the 三区三线 zones.

    Parameters
    ----------
    project : Project
        A loaded project; its ``[zones.*]`` tables name the zone layers.
    zones : sequence of ZoneLayer, optional
        Use these instead of the project's ``[zones.*]`` (:meth:`ZoneLayer.from_frame`).
    rules : RuleBook or path, optional
        Default: ``[compliance] rules`` of project.toml, else the bundled rules file.
    overrides : sequence of Override or path, optional
        Default: ``[compliance] overrides`` of project.toml, else
        ``compliance_overrides.toml`` beside it when it exists.
    sliver_area_m2, sliver_width_m, sliver_length_m : float, optional
        Overlaps under this area (default 1 m²), narrower than this width (2 × area /
        perimeter; default 0.5 m), and line pieces shorter than this (default 1 m) are
        slivers: dropped, counted and listed. Default: ``[compliance]``, else the defaults.

    Returns
    -------
    ComplianceResult

    Raises
    ------
    ConfigError
        Invalid ``[zones.*]`` / ``[compliance]`` tables, rules or overrides files, an
        unrecognisable zone type.
    DataError
        A zone layer holding lines or points; a KCXS that is not a fraction.
    """
    book, found, thresholds = _settings(project, rules, overrides, {
        "sliver_area_m2": sliver_area_m2, "sliver_width_m": sliver_width_m,
        "sliver_length_m": sliver_length_m})
    layers = list(project_zones(project) if zones is None else zones)
    feats = project.features()
    feats = feats[~(shapely.is_missing(feats.geometry.values)
                    | shapely.is_empty(feats.geometry.values))].reset_index(drop=True)
    geoms = feats.geometry.values
    dims = shapely.get_dimensions(geoms)
    fareas = np.zeros(len(feats))
    if (dims == 2).any():
        fareas[dims == 2] = _measure_area(geoms[dims == 2])
    places = _places(project, feats)
    per_type: dict[ZoneType, list[pd.DataFrame]] = {}
    sliver_rows: list[dict[str, Any]] = []
    piece_tables: list[pd.DataFrame] = []
    zone_rows = []
    for zone in layers:
        zone_rows.append({"zone_type": zone.type.value, "dataset": zone.dataset,
                          "version": zone.version, "effective": zone.effective,
                          "label": zone.label, "n_features": len(zone.frame),
                          "type_evidence": zone.evidence})
        kept, slivers = _overlay(geoms, dims, fareas, zone, thresholds)
        zfids = zone.frame["source_fid"].to_numpy() if "source_fid" in zone.frame else \
            np.arange(len(zone.frame))
        for s in slivers:
            sliver_rows.append({"place": places[s["f"]], "zone_type": zone.type.value,
                                "zone_dataset": zone.dataset, "zone_fid": int(zfids[s["z"]]),
                                "area_m2": s["area_m2"], "width_m": s["width_m"],
                                "length_m": s["length_m"], "why": s["why"]})
        kcxs = _numeric(zone, "KCXS")
        if kcxs is not None:
            bad = np.flatnonzero((kcxs < 0) | (kcxs >= 1))
            if len(bad):
                raise DataError(f"{zone.dataset}#{zfids[bad[0]]} ({zone.column('KCXS')}): "
                                f"KCXS {float(kcxs[bad[0]])!r} is not a fraction in [0, 1); "
                                f"{len(bad)} such value(s). KCXS is the deduction factor "
                                "(0.08 for 8 %); fix the values in the zone layer")
            kept["net_area_m2"] = kept["area_m2"] * (1.0 - kcxs[kept["z"].to_numpy()])
        else:
            kept["net_area_m2"] = np.nan
        if zone.column("TBMJ") is not None and len(kept):
            zone_areas = np.zeros(len(zone.frame))
            touched = np.unique(kept["z"].to_numpy())
            zone_areas[touched] = _measure_area(zone.frame.geometry.values[touched])
            kept["adjusted_area_m2"], table = _adjust(zone, kept, zone_areas, places)
            if len(table):
                piece_tables.append(table.assign(zone_type=zone.type.value))
        else:
            kept["adjusted_area_m2"] = np.nan
        kept["zone_fid"] = zfids[kept["z"].to_numpy()] if len(kept) else []
        kept["zone_dataset"] = zone.dataset
        per_type.setdefault(zone.type, []).append(kept)

    meta = {z: [x for x in layers if x.type is z] for z in ZoneType}
    records: list[pd.DataFrame] = []
    kinds = feats["kind"].to_numpy()
    overlap_frames = []
    for zone_type in ZoneType:
        checked = meta[zone_type]
        frames = per_type.get(zone_type, [])
        kept = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {"f": [], "area_m2": [], "length_m": [], "net_area_m2": [],
             "adjusted_area_m2": []})
        sums = None
        if len(kept):
            grouped = kept.groupby("f")
            sums = grouped[["area_m2", "length_m", "net_area_m2", "adjusted_area_m2"]].sum(
                min_count=1).rename(columns={"net_area_m2": "net", "adjusted_area_m2": "adj"})
            sums["n"] = grouped.size()
        sliver_counts = pd.Series([s["place"] for s in sliver_rows
                                   if s["zone_type"] == zone_type.value]).value_counts()
        dataset = "; ".join(z.dataset for z in checked)
        version = "; ".join(z.version for z in checked)
        effective = "; ".join(z.effective for z in checked)
        note = "; ".join(sorted({z.label for z in checked if z.label}))
        rules_by_kind = {kind: book.rule_for(zone_type, kind) for kind in pd.unique(kinds)}
        texts = {kind: (r.verdict.value, r.text, r.citation) for kind, r in rules_by_kind.items()}
        rule_of = [rules_by_kind[kind] for kind in kinds]
        n = len(feats)
        if sums is not None:
            sums = sums.reindex(range(n))
            hit = sums["n"].notna().to_numpy()
        else:
            sums = pd.DataFrame(np.nan, index=range(n), columns=["area_m2", "length_m", "net",
                                                                 "adj", "n"])
            hit = np.zeros(n, dtype=bool)
        blocks = np.array([r.verdict is not Verdict.ALLOWED for r in rule_of], dtype=bool)
        if not checked:
            status = np.full(n, CheckStatus.UNCHECKED.value, dtype=object)
        else:
            status = np.where(hit & blocks, CheckStatus.CONFLICT.value,
                              CheckStatus.CLEAR.value).astype(object)
        poly, line = dims == 2, dims == 1
        zero = 0.0 if checked else np.nan
        # 0 (not blank) where the zone type carries KCXS / TBMJ and the feature misses it
        zero_net = 0.0 if any(z.column("KCXS") for z in checked) else np.nan
        zero_adj = 0.0 if any(z.column("TBMJ") for z in checked) else np.nan
        area = np.where(poly, sums["area_m2"].fillna(zero).to_numpy(), np.nan)
        length = np.where(line, sums["length_m"].fillna(zero).to_numpy(), np.nan)
        block = pd.DataFrame({
            "f": np.arange(n), "zone_type": zone_type.value, "status": status,
            "original_status": status.copy(),
            "verdict": [texts[k][0] for k in kinds], "rule": [texts[k][1] for k in kinds],
            "citation": [texts[k][2] for k in kinds],
            "area_m2": area, "area_mu": area / _M2_PER_MU, "area_ha": area / 10_000.0,
            "net_area_m2": np.where(poly, np.where(hit, sums["net"].to_numpy(), zero_net),
                                    np.nan),
            "adjusted_area_m2": np.where(poly, np.where(hit, sums["adj"].to_numpy(), zero_adj),
                                         np.nan),
            "length_m": length,
            "n_pieces": sums["n"].fillna(0).to_numpy().astype(int),
            "n_slivers": pd.Series(places).map(sliver_counts).fillna(0).to_numpy().astype(int),
            "zone_dataset": dataset if checked else "",
            "zone_version": version if checked else "",
            "zone_effective": effective if checked else "",
            "zone_note": note if checked else f"项目中无{zone_type.value}数据，未核查",
        })
        records.append(block)
        if len(kept):
            kept = kept.assign(zone_type=zone_type.value)
            overlap_frames.append(kept)
    table = pd.concat(records, ignore_index=True)
    if len(table):
        f = table["f"].to_numpy()
        table["layer"] = feats["layer"].take(f).array
        table["place"] = np.asarray(places, dtype=object)[f]
        for column in ("project_id", "name", "kind", "township"):
            table[column] = feats[column].take(f).array if column in feats else None
    table["override_reason"] = None
    table["override_basis"] = None
    problems = _apply_overrides(table, found)
    table = table.reindex(columns=TABLE_COLUMNS).reset_index(drop=True)
    overlaps = _overlaps(overlap_frames, table, feats, places, dims)
    slivers = pd.DataFrame(sliver_rows, columns=["place", "zone_type", "zone_dataset",
                                                 "zone_fid", "area_m2", "width_m",
                                                 "length_m", "why"])
    pieces = pd.concat(piece_tables, ignore_index=True) if piece_tables else pd.DataFrame(
        columns=["zone_type", "zone_dataset", "zone_fid", "piece", "area_m2", "adjusted_m2",
                 "tbmj", "zone_area_m2"])
    for message in problems:
        warnings.warn(message, CountyGisWarning, stacklevel=2)
    return ComplianceResult(table=table, overlaps=overlaps, pieces=pieces, slivers=slivers,
                            zones=pd.DataFrame(zone_rows, columns=[
                                "zone_type", "dataset", "version", "effective", "label",
                                "n_features", "type_evidence"]),
                            rules=book, problems=problems, thresholds=thresholds,
                            name=project.name, zone_features=_zone_features(layers))


def _zone_features(layers: Sequence[ZoneLayer]) -> gpd.GeoDataFrame:
    frames = [gpd.GeoDataFrame({"zone_type": z.type.value, "zone_dataset": z.dataset,
                                "zone_version": z.version},
                               index=range(len(z.frame)), geometry=z.frame.geometry.values,
                               crs=CGCS2000) for z in layers if len(z.frame)]
    if not frames:
        return gpd.GeoDataFrame({"zone_type": [], "zone_dataset": [], "zone_version": []},
                                geometry=[], crs=CGCS2000)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CGCS2000)


def _apply_overrides(table: pd.DataFrame, found: Sequence[Override]) -> list[str]:
    problems = []
    for override in found:
        hits = [i for i, row in enumerate(table[["zone_type", "project_id", "place",
                                                 "layer"]].itertuples(index=False))
                if override.matches(zone=ZoneType.parse(row[0]), project_id=row[1],
                                    place=row[2], layer=row[3])]
        if not hits:
            who = override.place or override.project_id
            problems.append(f"override for {who} × {override.zone.value} matches no feature "
                            "of the project; correct or remove it")
            continue
        table.loc[hits, "status"] = override.status.value
        table.loc[hits, "override_reason"] = override.reason
        table.loc[hits, "override_basis"] = override.basis
    return problems


def _overlaps(frames: list[pd.DataFrame], table: pd.DataFrame, feats: gpd.GeoDataFrame,
              places: list[str], dims: np.ndarray) -> gpd.GeoDataFrame:
    columns = ["place", "project_id", "name", "kind", "zone_type", "zone_dataset", "zone_fid",
               "status", "verdict", "rule", "area_m2", "net_area_m2", "adjusted_area_m2",
               "length_m"]
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=CGCS2000)
    kept = pd.concat(frames, ignore_index=True)
    f = kept["f"].to_numpy(dtype=int)
    out = pd.DataFrame({"place": np.asarray(places, dtype=object)[f]})
    for column in ("project_id", "name", "kind"):
        out[column] = feats[column].take(f).array if column in feats else None
    for column in ("zone_type", "zone_dataset", "zone_fid", "area_m2", "net_area_m2",
                   "adjusted_area_m2", "length_m"):
        out[column] = kept[column].to_numpy()
    point = dims[f] == 0
    out.loc[point, ["area_m2", "length_m"]] = np.nan
    out.loc[dims[f] == 1, "area_m2"] = np.nan
    out.loc[dims[f] == 2, "length_m"] = np.nan
    keyed = table.set_index(["place", "zone_type"])[["status", "verdict", "rule"]]
    joined = keyed.reindex(pd.MultiIndex.from_arrays([out["place"], out["zone_type"]]))
    for column in ("status", "verdict", "rule"):
        out[column] = joined[column].to_numpy()
    return gpd.GeoDataFrame(out[columns], geometry=kept["geometry"].to_numpy(), crs=CGCS2000)
