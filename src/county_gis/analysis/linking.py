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

__all__ = ["link_features", "linked_features"]

_COLUMNS = ["layer", "row", "fid", "place", "project_id", "name", "kind", "status",
            "target_id", "target_ids", "candidates", "how", "problem"]


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
        n = len(gdf)
        if n == 0:
            continue
        explicit = [_text(v) for v in (gdf["target"] if "target" in gdf else [None] * n)]
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
        records = []
        fids = (gdf["source_fid"].to_numpy(dtype=object) if "source_fid" in gdf
                else np.arange(n))
        column = {c: (gdf[c].to_numpy(dtype=object) if c in gdf else np.full(n, None))
                  for c in ("project_id", "name", "status")}
        kind_values = kinds.to_numpy(dtype=object)
        place = project.place(layer)
        for i in range(n):
            fid = fids[i]
            problem = None
            named = explicit[i]
            if named is not None:
                hit = by_key.get(normalise_name(named))
                candidates: tuple[str, ...] = (hit.id,) if hit else ()
                how = "explicit"
                if hit is None:
                    problem = f"names target {named!r}, which is not in the registry"
            else:
                candidates = tuple(targets[j].id for j in np.flatnonzero(implicit[i]))
                how = "kind"
                if not candidates and matched[i].any():
                    wanted = sorted({targets[j].year for j in np.flatnonzero(matched[i])})
                    problem = (f"links to no target: its year {years[i]:g} is not the year of "
                               f"the targets its kind matches "
                               f"({', '.join(map(str, wanted))})")
                elif not candidates:
                    problem = "links to no target (kind and filters match none)"
            counted: list[str] = []
            seen: dict[tuple[str, str, str | None], str] = {}
            for ident in candidates:
                quantity = _quantity(by_key[normalise_name(ident)])
                if quantity in seen:
                    problem = (f"links to targets {seen[quantity]} and {ident}, which measure "
                               f"the same quantity; counted once, toward {seen[quantity]}")
                    continue
                seen[quantity] = ident
                counted.append(ident)
            records.append((
                layer, i, fid, f"{place}#{fid}", _text(column["project_id"][i]),
                _text(column["name"][i]), _text(kind_values[i]), _text(column["status"][i]),
                counted[0] if counted else None, tuple(counted), candidates,
                how if candidates else None, problem,
            ))
        frames.append(pd.DataFrame.from_records(records, columns=_COLUMNS))
    if not frames:
        return pd.DataFrame(columns=_COLUMNS)
    return pd.concat(frames, ignore_index=True)


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
