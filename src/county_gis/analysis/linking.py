"""Which feature counts toward which target.

A feature links to a target through its explicit ``target`` field (the target's id or its
title), otherwise through the target's layer kinds and filter — and then only when its
``year`` (年度) is empty or the target's year, so a 2022 road does not count toward a 2023
target. A feature may count toward
several targets that measure different things (a water pipeline: enterprises served *and*
residents served). When two of its targets measure the same quantity (two length targets in
公里), it would be counted twice: it counts toward the first in registry order and is reported.
A feature that links to no target, or names a target that does not exist, is reported too.

Examples
--------
>>> import geopandas as gpd
>>> from county_gis.project import Project
>>> from shapely.geometry import LineString
>>> from county_gis.vocabulary import LayerKind
>>> from county_gis.targets import Measure, Target
>>> roads = gpd.GeoDataFrame(
...     {"project_id": ["R1", "R2"], "kind": ["road_rebuild"] * 2, "status": ["completed"] * 2,
...      "target": [None, "nope"], "work_type": ["新建", "新建"]},
...     geometry=[LineString([(121.6, 42.3), (121.7, 42.3)])] * 2, crs="EPSG:4490")
>>> t = Target("roads", "修路", "六", Measure.LENGTH, "公里", 10.0, 2023,
...            kinds=(LayerKind.ROAD_REBUILD,))
>>> links = link_features(Project.from_layers({"roads": roads}, targets=[t]))
>>> links.loc[0, "target_ids"], links.loc[1, "target_ids"]
(('roads',), ())
>>> links.loc[1, "problem"]
"names target 'nope', which is not in the registry"
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..crs import CGCS2000
from ..project import Project
from ..targets import Target, matches_filter
from ..vocabulary import normalise_name

__all__ = ["filter_gaps", "link_features", "linked_features", "unlinked_summary"]

_COLUMNS = ["layer", "row", "fid", "place", "project_id", "name", "kind", "status",
            "target_id", "target_ids", "candidates", "how", "problem", "reason", "fix"]


def _norm(value: Any) -> str | None:
    """The one normalisation filters are compared after (as :func:`matches_filter`)."""
    text = _text(value)
    if text is None:
        return None
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return normalise_name(text)


def _source_fields(project: Project, layer: str) -> dict[str, str]:
    """Canonical column -> the source field it was read from (``造林方式`` for work_type)."""
    report = project.reports.get(layer)
    out: dict[str, str] = {}
    for note in (report.select("field.mapped") if report is not None else []):
        column = note.message.split("-> ")[-1].split(" ")[0]
        if note.field:
            out[column] = note.field
    return out


def _why_unlinked(gdf: gpd.GeoDataFrame, row: int, kind: str | None, targets: list[Target],
                  fields: dict[str, str]) -> tuple[str, str]:
    """Why feature ``row`` links to no target (one reason per failed filter), and the fix."""
    ours = [t for t in targets if kind is not None and any(k.value == kind for k in t.kinds)]
    if not ours:
        drawn = sorted({k.value for t in targets for k in t.kinds})
        return (f"类型 kind={kind!r} 没有对应目标 (no target of the project draws on it; "
                f"kinds with targets: {', '.join(drawn) or 'none'})",
                "set kind = \"...\" in [layers.<name>], add its target to [targets] include, "
                "or set target = \"<id>\"")
    reasons, fixes = [], []
    for t in ours:
        for column, allowed in t.filter.items():
            shown = f"{fields[column]} ({column})" if column in fields else column
            if column not in gdf.columns:
                reasons.append(f"缺少字段 missing field {shown} (target {t.id} filters on it)")
                fixes.append(f"map a field to it: fields = {{ 字段 = \"{column}\" }}, or "
                             f"target = \"{t.id}\"")
                break
            value = gdf[column].iloc[row]
            if _norm(value) not in {normalise_name(a) for a in allowed}:
                reasons.append(f"{shown}={_text(value)!r} 不在 {t.id} 的筛选 not in the filter "
                               f"{column} ∈ {{{', '.join(allowed)}}} 中")
                fixes.append(f"values = {{ {column} = {{ \"{_text(value)}\" = "
                             f"\"{allowed[0]}\" }} }} or target = \"{t.id}\"")
                break
    if not reasons:
        return "kind and filters match no target", "check kind and the target filters"
    return "; ".join(reasons), " | ".join(dict.fromkeys(fixes))


def unlinked_summary(links: pd.DataFrame) -> pd.DataFrame:
    """The features linked to no target, grouped by reason: ``reason, fix, count, places``.

    Examples
    --------
    >>> frame = pd.DataFrame({"target_id": [None, None, "t"], "reason": ["a", "a", None],
    ...                       "fix": ["f", "f", None], "place": ["x#1", "x#2", "x#3"],
    ...                       "label": ["A", "B", "C"]})
    >>> unlinked_summary(frame)[["reason", "count"]].values.tolist()
    [['a', 2]]
    """
    rows = links[links["target_id"].isna() & links["reason"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=["reason", "fix", "count", "places"])
    grouped = rows.groupby("reason", sort=False)
    out = pd.DataFrame({
        "reason": list(grouped.groups),
        "fix": grouped["fix"].first().to_numpy(),
        "count": grouped.size().to_numpy(),
        "places": grouped["place"].apply(list).to_numpy(),
    })
    return out.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def filter_gaps(project: Project, links: pd.DataFrame) -> list[str]:
    """Filter values of the targets that match no feature while features of the target's
    kinds fail that filter: most likely a value the data names differently (a mapping problem).

    Returns one message per (target, column, value), in Chinese and English.
    """
    feats = project.features()
    unlinked = links[links["target_id"].isna()] if len(links) else links
    out = []
    for t in project.targets:
        if not t.filter or feats.empty:
            continue
        kinds = [k.value for k in t.kinds]
        mine = feats[feats["kind"].isin(kinds)]
        if mine.empty:
            continue
        for column, allowed in t.filter.items():
            if column not in mine.columns:
                continue
            wanted = {normalise_name(a) for a in allowed}
            present = {_norm(v) for v in mine[column].to_numpy(dtype=object)} - {None}
            missing = [a for a in allowed if normalise_name(a) not in present]
            others: set[str] = set()
            for layer, rows in unlinked[unlinked["kind"].isin(kinds)].groupby("layer"):
                frame = project.layers[layer]
                if column in frame:
                    values = frame[column].to_numpy(dtype=object)[rows["row"].to_numpy()]
                    others |= {str(_text(v)) for v in values
                               if _text(v) is not None and _norm(v) not in wanted}
            if missing and others:
                out.append(f"目标 {t.id} 的筛选值 {column}={missing} 没有任何要素 (matches no "
                           f"feature) while unlinked features have {column} = "
                           f"{sorted(others)[:8]}: likely a mapping problem; map them with "
                           f"values = {{ {column} = {{ ... }} }}")
    return out


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _quantity(target: Target) -> tuple[str, str, str | None]:
    """What a target adds up: two targets with the same quantity would double count."""
    return target.measure.value, normalise_name(target.unit), target.field


def link_features(project: Project) -> pd.DataFrame:
    """One row per feature of every layer: the target it counts toward, and any problem.

    Parameters
    ----------
    project : Project
        A loaded project (``layers``, ``targets``, ``reports``).

    Returns
    -------
    DataFrame
        Columns ``layer, row`` (position in the layer), ``fid`` (source feature id),
        ``place`` (``file:layer#fid``), ``project_id, name, kind, status``, ``target_ids``
        (the targets it counts toward), ``target_id`` (the first of them; None when it counts
        toward nothing), ``candidates`` (every target it matched, in registry order),
        ``how`` (``explicit`` or ``kind``) and ``problem``
        (None, or why the link is doubtful).
    """
    targets: list[Target] = list(project.targets)
    by_key: dict[str, Target] = {}
    for t in targets:
        by_key.setdefault(normalise_name(t.id), t)
        by_key.setdefault(normalise_name(t.title), t)
    frames = []
    for layer, gdf in project.layers.items():
        if len(gdf):
            frames.append(_layer_links(project, layer, gdf, targets, by_key))
    if not frames:
        return pd.DataFrame(columns=_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _texts(values: pd.Series) -> Any:
    """:func:`_text` of every value: stripped text, None (NaN) for blanks and missing values.

    Text columns are stripped in Arrow, without a Python string per row.
    """
    if isinstance(values.dtype, pd.StringDtype):
        stripped = values.str.strip()
        return stripped.where(stripped != "").array
    return np.array([_text(v) for v in values.to_numpy(dtype=object)], dtype=object)


def _put(out: np.ndarray, rows: np.ndarray, value: Any) -> None:
    """``out[rows] = value`` for one object (a tuple stays one cell, not several)."""
    block = np.empty(len(rows), dtype=object)
    block.fill(value)
    out[rows] = block


def _count_once(candidates: tuple[str, ...], by_key: dict[str, Target]
                ) -> tuple[tuple[str, ...], str | None]:
    """The candidates a feature counts toward (one per quantity), and the problem if any."""
    counted: list[str] = []
    problem = None
    seen: dict[tuple[str, str, str | None], str] = {}
    for ident in candidates:
        quantity = _quantity(by_key[normalise_name(ident)])
        if quantity in seen:
            problem = (f"links to targets {seen[quantity]} and {ident}, which measure "
                       f"the same quantity; counted once, toward {seen[quantity]}")
            continue
        seen[quantity] = ident
        counted.append(ident)
    return tuple(counted), problem


def _patterns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix and, per row, the index of its pattern."""
    if matrix.shape[1] == 0:
        return np.zeros((1, 0), dtype=bool), np.zeros(len(matrix), dtype=np.intp)
    packed = np.packbits(matrix, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return matrix[first], inverse.ravel()


def _layer_links(project: Project, layer: str, gdf: gpd.GeoDataFrame, targets: list[Target],
                 by_key: dict[str, Target]) -> pd.DataFrame:
    """The rows of :func:`link_features` for one layer, decided once per pattern of links.

    Features that name the same target, or match the same targets by kind, filter and year,
    share one decision (and one tuple of target ids); only the features that link to nothing
    are explained one by one (with a cache: the same kind and values give the same reason).
    """
    n = len(gdf)
    explicit = (np.asarray(_texts(gdf["target"]).astype(object), dtype=object)
                if "target" in gdf else np.full(n, None, dtype=object))
    explicit[pd.isna(explicit)] = None
    kinds = gdf["kind"] if "kind" in gdf else pd.Series([None] * n, index=gdf.index)
    years = (pd.to_numeric(gdf["year"], errors="coerce").to_numpy(dtype=float)
             if "year" in gdf else np.full(n, np.nan))
    matched = np.zeros((n, len(targets)), dtype=bool)  # kind and filter
    for j, t in enumerate(targets):
        if not t.kinds:
            continue
        kind_ok = kinds.isin([k.value for k in t.kinds]).to_numpy()
        if kind_ok.any():
            matched[:, j] = kind_ok & matches_filter(gdf, t).to_numpy()
    target_years = np.array([t.year for t in targets], dtype=float)
    implicit = matched & (np.isnan(years)[:, None] | (years[:, None] == target_years))

    candidates = np.empty(n, dtype=object)
    counted = np.empty(n, dtype=object)
    target_id = np.full(n, None, dtype=object)  # the first target counted toward
    how = np.full(n, None, dtype=object)
    problem = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    fix = np.full(n, None, dtype=object)

    def decide(rows: np.ndarray, cands: tuple[str, ...], how_: str, why: str | None) -> None:
        kept, duplicate = _count_once(cands, by_key)
        _put(candidates, rows, cands)
        _put(counted, rows, kept)
        target_id[rows] = kept[0] if kept else None
        how[rows] = how_ if cands else None
        problem[rows] = duplicate or why

    named = np.flatnonzero(pd.notna(explicit))
    if named.size:
        codes, names = pd.factorize(explicit[named])
        for k, group in pd.Series(named).groupby(codes).indices.items():
            name = names[k]
            hit = by_key.get(normalise_name(name))
            decide(named[group], (hit.id,) if hit else (), "explicit",
                   None if hit else f"names target {name!r}, which is not in the registry")
    rest = np.flatnonzero(pd.isna(explicit))
    unlinked: list[int] = []
    if rest.size:
        patterns, which = _patterns(implicit[rest])
        for k, pattern in enumerate(patterns):
            rows = rest[which == k]
            cands = tuple(targets[j].id for j in np.flatnonzero(pattern))
            decide(rows, cands, "kind", None)
            if not cands:
                unlinked.extend(rows.tolist())
    if unlinked:
        kind_values = kinds.to_numpy(dtype=object)
        fields = _source_fields(project, layer)
        columns = sorted({c for t in targets for c in t.filter if c in gdf.columns})
        values = {c: gdf[c].to_numpy(dtype=object) for c in columns}
        said: dict[Any, tuple[str | None, str | None, str]] = {}
        for i in unlinked:
            kind = _text(kind_values[i])
            if matched[i].any():
                key: Any = ("year", matched[i].tobytes(), years[i])
                if key not in said:
                    wanted = sorted({targets[j].year for j in np.flatnonzero(matched[i])})
                    said[key] = (None, None,
                                 f"links to no target: its year {years[i]:g} is not the year "
                                 f"of the targets its kind matches "
                                 f"({', '.join(map(str, wanted))})")
            else:
                key = ("why", kind, tuple(values[c][i] for c in columns))
                if key not in said:
                    why, how_to = _why_unlinked(gdf, i, kind, targets, fields)
                    said[key] = (why, how_to, f"未关联 links to no target: {why}; fix: {how_to}")
            reason[i], fix[i], problem[i] = said[key]

    fids = gdf["source_fid"].to_numpy() if "source_fid" in gdf else np.arange(n)
    if pd.api.types.is_integer_dtype(fids.dtype):
        place = (project.place(layer) + "#") + pd.Series(fids, copy=False).astype("str")
    else:
        place = pd.Series([f"{project.place(layer)}#{fid}" for fid in fids], dtype="str")
    columns_out = {c: (_texts(gdf[c]) if c in gdf else np.full(n, None, dtype=object))
                   for c in ("project_id", "name", "status")}
    return pd.DataFrame({
        "layer": np.full(n, layer, dtype=object), "row": np.arange(n), "fid": fids,
        "place": place.array, "project_id": columns_out["project_id"],
        "name": columns_out["name"], "kind": _texts(kinds), "status": columns_out["status"],
        "target_id": target_id, "target_ids": counted, "candidates": candidates,
        "how": how, "problem": problem, "reason": reason, "fix": fix,
    }, columns=_COLUMNS)


def linked_features(project: Project, links: pd.DataFrame, target: Target) -> gpd.GeoDataFrame:
    """The features counting toward ``target``, from every layer, in EPSG:4490.

    Parameters
    ----------
    project : Project
        The project ``links`` was made from.
    links : DataFrame
        :func:`link_features` of ``project``.
    target : Target
        One of the project's targets.

    Returns
    -------
    GeoDataFrame
        ``layer, place, project_id, name, status``, ``stated_area_mu`` and
        ``stated_length_km`` (NaN where the source states none), ``value`` (the target's
        ``field``, sum targets only) and the geometry; in link order (layer by layer).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from county_gis.project import Project
    >>> from shapely.geometry import box
    >>> from county_gis.vocabulary import LayerKind
    >>> from county_gis.targets import Measure, Target
    >>> plots = gpd.GeoDataFrame({"project_id": ["A", "B"], "kind": ["afforestation", "mine"],
    ...     "status": ["completed"] * 2}, geometry=[box(121.6, 42.3, 121.61, 42.31)] * 2,
    ...     crs="EPSG:4490")
    >>> t = Target("forest", "造林", "七", Measure.AREA, "亩", 10.0, 2023,
    ...            kinds=(LayerKind.AFFORESTATION,))
    >>> p = Project.from_layers({"plots": plots}, targets=[t])
    >>> linked_features(p, link_features(p), t)[["layer", "place", "project_id"]].values.tolist()
    [['plots', '<memory>:plots#0', 'A']]
    """
    rows = links[np.array([target.id in ids for ids in links["target_ids"]], dtype=bool)]
    frames = []
    for layer, group in rows.groupby("layer", sort=False):
        src = project.layers[layer].iloc[group["row"].to_numpy()]
        frame = pd.DataFrame({
            "layer": layer, "place": group["place"].array,  # Arrow text, not a str per row
            "project_id": group["project_id"].array, "name": group["name"].array,
            "status": group["status"].array,
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
