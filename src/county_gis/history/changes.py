"""What changed between two dates: features added, removed, reshaped and re-statused.

:func:`changes` compares the recorded states of two dates feature by feature (by
``layer/project_id``) and gives each change with its geodesic 亩 (polygons) and 公里 (lines)
before and after — the list behind "本月新增" at the 调度会.

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from county_gis.project import Project
>>> from county_gis.history import snapshot
>>> def state(rows):
...     plots = gpd.GeoDataFrame({"project_id": [r[0] for r in rows], "kind": "afforestation",
...         "status": [r[1] for r in rows]}, geometry=[box(121.6, 42.0, 121.6 + r[2], 42.01)
...         for r in rows], crs="EPSG:4490")
...     return Project.from_layers({"plots": plots}, targets=[])
>>> store = pathlib.Path(tempfile.mkdtemp()) / "history.gpkg"
>>> _ = snapshot(state([("A", "planned", 0.01), ("B", "planned", 0.01)]), "2023-09-30",
...              store=store)
>>> _ = snapshot(state([("A", "completed", 0.01), ("C", "planned", 0.02)]), "2023-10-31",
...              store=store)
>>> table = changes(None, since="2023-09-30", store=store)
>>> table[["project_id", "change", "status_before", "status_after"]].values.tolist()
[['A', 'restatused', 'planned', 'completed'], ['B', 'removed', 'planned', None], \
['C', 'added', None, 'planned']]
>>> table["delta_mu"].round(1).tolist()
[0.0, -1380.3, 2760.5]
"""

from __future__ import annotations

import os
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import CGCS2000
from ..measure import geodesic_area, geodesic_length
from ..project import Project
from ..vocabulary import STATUSES, GeometryFamily
from .snapshots import DateLike, list_snapshots, parse_date, state_at

__all__ = ["CHANGE_COLUMNS", "Change", "changes", "measure_features"]

#: Columns of :func:`changes`.
CHANGE_COLUMNS = ["layer", "project_id", "name", "change", "reshaped", "restatused",
                  "status_before", "status_after", "area_mu_before", "area_mu_after",
                  "delta_mu", "length_km_before", "length_km_after", "delta_km", "history_key"]


class Change:
    """The change labels (``change`` column), most telling first."""

    ADDED = "added"
    REMOVED = "removed"
    RESHAPED = "reshaped"
    RESTATUSED = "restatused"
    ATTRIBUTES = "attributes"

    LABELS: ClassVar[dict[str, str]] = {"added": "新增", "removed": "移除",
                                        "reshaped": "图形变更",
              "restatused": "状态变更", "attributes": "属性变更"}


def measure_features(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic area (亩) of the polygonal part and length (公里) of the linear part.

    Examples
    --------
    >>> from shapely.geometry import LineString, Point, box
    >>> mu, km = measure_features(np.array([box(121.6, 42.0, 121.61, 42.01),
    ...     LineString([(121.6, 42.0), (121.7, 42.0)]), Point(1, 1), None], dtype=object))
    >>> mu.round(1).tolist(), km.round(2).tolist()
    ([1380.3, 0.0, 0.0, 0.0], [0.0, 8.28, 0.0, 0.0])
    """
    geoms = np.asarray(geoms, dtype=object)
    mu = np.zeros(len(geoms))
    km = np.zeros(len(geoms))
    polys = GeometryFamily.POLYGON.only(geoms)
    lines = GeometryFamily.LINE.only(geoms)
    has_poly = ~(shapely.is_missing(polys) | shapely.is_empty(polys))
    has_line = ~(shapely.is_missing(lines) | shapely.is_empty(lines))
    if has_poly.any():
        mu[has_poly] = geodesic_area(list(polys[has_poly]), crs=CGCS2000, unit="亩").to_numpy()
    if has_line.any():
        km[has_line] = geodesic_length(list(lines[has_line]), crs=CGCS2000,
                                       unit="公里").to_numpy()
    return mu, km


def _flat(state: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    frames = [f.assign(layer=k) for k, f in state.items() if len(f)]
    if not frames:
        return pd.DataFrame(columns=["history_key", "layer", "project_id", "name", "status",
                                     "geometry", "_attrs"])
    flat = pd.concat(frames, ignore_index=True)
    skip = {"history_key", "layer", "status", "geometry"}
    columns = [c for c in flat.columns if c not in skip]
    flat["_attrs"] = [repr(sorted((k, str(v)) for k, v in r.items()))
                      for r in flat[columns].to_dict("records")]
    return flat.set_index("history_key", drop=False)


def changes(project: Project | None, *, since: DateLike | None = None,
            until: DateLike | None = None,
            store: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Features added, removed, reshaped or re-statused between ``since`` and ``until``.

    Parameters
    ----------
    project : Project or None
        The project whose history store is read (None with ``store``).
    since : str or date, optional
        The earlier state (end of that day); default the snapshot before the last. A date
        before the first snapshot compares against nothing (everything is added).
    until : str or date, optional
        The later state; default the last snapshot.
    store : path-like, optional
        The history GeoPackage; default ``[history] store`` beside project.toml.

    Returns
    -------
    DataFrame
        :data:`CHANGE_COLUMNS`: one row per changed feature, sorted by layer and id;
        ``change`` is the main label (``added``, ``removed``, ``reshaped``,
        ``restatused``, ``attributes``), ``reshaped`` / ``restatused`` flag both;
        ``delta_mu`` / ``delta_km`` are after − before (geodesic, 亩 / 公里).
    """
    snaps = list_snapshots(project, store=store)
    if until is None and snaps:
        until = snaps[-1].date
    if since is None:
        since = snaps[-2].date if len(snaps) > 1 else "0001-01-01"
    before = _flat(state_at(project, parse_date(since, "since"), store=store, strict=False))
    after = _flat(state_at(project, until, store=store))
    keys = list(dict.fromkeys([*before.index, *after.index]))
    rows = []
    for key in keys:
        old = before.loc[key] if key in before.index else None
        new = after.loc[key] if key in after.index else None
        if old is not None and new is not None:
            reshaped = not _same_geometry(old["geometry"], new["geometry"])
            restatused = old["status"] != new["status"]
            if not (reshaped or restatused or old["_attrs"] != new["_attrs"]):
                continue
            change = (Change.RESHAPED if reshaped else Change.RESTATUSED if restatused
                      else Change.ATTRIBUTES)
        else:
            reshaped = restatused = False
            change = Change.ADDED if old is None else Change.REMOVED
        ref = new if new is not None else old
        assert ref is not None
        rows.append({
            "layer": ref["layer"], "project_id": ref.get("project_id"), "name": ref.get("name"),
            "change": change, "reshaped": reshaped, "restatused": restatused,
            "status_before": None if old is None else old["status"],
            "status_after": None if new is None else new["status"],
            "_old": None if old is None else old["geometry"],
            "_new": None if new is None else new["geometry"], "history_key": key,
        })
    table = pd.DataFrame(rows, columns=[*CHANGE_COLUMNS, "_old", "_new"])
    if len(table):
        mu0, km0 = measure_features(table["_old"].to_numpy())
        mu1, km1 = measure_features(table["_new"].to_numpy())
        table["area_mu_before"], table["area_mu_after"], table["delta_mu"] = mu0, mu1, mu1 - mu0
        table["length_km_before"], table["length_km_after"] = km0, km1
        table["delta_km"] = km1 - km0
        table = table.sort_values(["layer", "project_id", "history_key"], kind="stable")
        for column in ("status_before", "status_after"):
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table[CHANGE_COLUMNS].reset_index(drop=True)


def _same_geometry(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    return bool(shapely.equals_exact(a, b, tolerance=0.0))


def newly_completed(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`changes` table that became ``completed`` (本月新增完工)."""
    done = STATUSES[-1]
    return table[(table["status_after"] == done) & (table["status_before"] != done)]
