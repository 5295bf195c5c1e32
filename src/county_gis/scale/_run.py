"""Progress, measures and compliance streamed over county partitions, serial or on dask."""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._choice import Choice
from ..analysis import progress_details
from ..crs import CGCS2000
from ..errors import ConfigError, MeasureWarning
from ..measure import geodesic_area, geodesic_length
from ..project import Project
from ..targets import Target, load_targets
from ..units import AreaUnit, LengthUnit
from ..vocabulary import STATUSES, GeometryFamily
from ._compliance import (
    COMPLIANCE_AMOUNTS,
    COMPLIANCE_COLUMNS,
    county_compliance,
    read_county_zones,
)
from ._partition import _MANIFEST, COUNTIES_FILE, PART_FILE

if TYPE_CHECKING:
    from ..analysis.compliance import RuleBook

__all__ = ["AMOUNTS", "COUNTY_COLUMNS", "Backend", "ScaleCompliance", "ScaleResult",
           "county_table", "run"]

log = logging.getLogger(__name__)

#: The amount columns: added up with ``math.fsum`` from county to city and province.
AMOUNTS = ["target_value", "planned", "under_construction", "completed", "total"]
_COUNTS = ["n_features", "n_pieces"]
#: Columns of :func:`county_table` (one county's rows).
COLUMNS = ["what", "key", "unit", *AMOUNTS, "pct_completed", *_COUNTS]
#: Columns of :attr:`ScaleResult.county`.
COUNTY_COLUMNS = ["adcode", "name", "city", "city_adcode", *COLUMNS]
_PLACE = ["adcode", "name", "city", "city_adcode"]
#: Columns of :attr:`ScaleCompliance.county`.
COMPLIANCE_COUNTY_COLUMNS = [*_PLACE, *COMPLIANCE_COLUMNS]
# what a partition computes: both tables in one frame (``table`` says which), one read each
_UNION = ["table", *COUNTY_COLUMNS, "zone_type", "result", *COMPLIANCE_AMOUNTS]
_UNITS = {GeometryFamily.POLYGON: AreaUnit.MU.label,
          GeometryFamily.LINE: LengthUnit.KILOMETRE.label, GeometryFamily.POINT: "个"}


class Backend(Choice):
    """Where :func:`run` computes: in this process, or on a dask cluster (dask-geopandas)."""

    SERIAL = "serial"
    DASK = "dask"

    @classmethod
    def _what(cls) -> str:
        return "backend"


def _fsum(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return math.fsum(arr.tolist()) if len(arr) else math.nan


def _layer_rows(key: str, frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Measured amounts by status of one layer: 亩 for polygons, 公里 for lines, points counted."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    status = frame["status"].astype(object).to_numpy() if "status" in frame.columns \
        else np.full(len(frame), None, dtype=object)
    first = (frame["piece"].to_numpy() == 0) if "piece" in frame.columns \
        else np.ones(len(frame), dtype=bool)
    rows = []
    for family in GeometryFamily:
        mask = family.mask(geoms)
        if not mask.any():
            continue
        if family is GeometryFamily.POINT:
            values = np.ones(int(mask.sum()))
        else:
            series = gpd.GeoSeries(geoms[mask], crs=CGCS2000)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MeasureWarning)  # empty pieces: none here
                values = (geodesic_area(series, unit=AreaUnit.MU) if family is
                          GeometryFamily.POLYGON else
                          geodesic_length(series, unit=LengthUnit.KILOMETRE)).to_numpy()
        held = status[mask]
        row: dict[str, Any] = {"what": "layer", "key": key, "unit": _UNITS[family],
                               "target_value": math.nan}
        for name in STATUSES:
            row[str(name)] = math.fsum(values[held == str(name)].tolist())
        row["total"] = math.fsum(values.tolist())
        row["pct_completed"] = math.nan
        row["n_features"] = int(first[mask].sum())
        row["n_pieces"] = int(mask.sum())
        rows.append(row)
    return rows


def county_table(project: Project) -> pd.DataFrame:
    """One county's numbers: progress against every target and measures of every layer.

    The single-county path: :func:`run` calls exactly this on every county partition, so a
    county's rows there equal this function's on the same data, bit for bit.

    Parameters
    ----------
    project : Project
        One county: its layers, its boundary (features are clipped to it by the progress
        rules) and its targets.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`: ``what`` is ``target`` (``key`` = target id, amounts from
        :func:`county_gis.progress_details`) or ``layer`` (``key`` = layer name, geodesic
        amounts by status in ``unit``: 亩, 公里, or 个 for points, and ``total``);
        ``n_features`` counts each feature once (the county holding its first piece),
        ``n_pieces`` the rows the county holds.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> plots = gpd.GeoDataFrame({"kind": ["afforestation"] * 2,
    ...     "status": ["completed", "planned"]},
    ...     geometry=[box(121.6, 42.0, 121.61, 42.01), box(121.7, 42.0, 121.71, 42.01)],
    ...     crs="EPSG:4490")
    >>> table = county_table(Project.from_layers({"plots": plots}, targets=[]))
    >>> table[["what", "key", "unit", "planned", "completed", "n_features"]].round(2)
        what    key unit  planned  completed  n_features
    0  layer  plots    亩  1380.27    1380.27           2
    """
    rows: list[dict[str, Any]] = []
    if project.targets:
        table = progress_details(project).table
        for record in table.to_dict("records"):
            rows.append({"what": "target", "key": record["target_id"], "unit": record["unit"],
                         **{c: float(record[c]) for c in AMOUNTS if c != "total"},
                         "total": math.nan, "pct_completed": float(record["pct_completed"]),
                         "n_features": np.nan, "n_pieces": record["n_features"]})
    for key, frame in project.layers.items():
        rows += _layer_rows(key, frame)
    out = pd.DataFrame(rows, columns=COLUMNS)
    for column in _COUNTS:
        out[column] = pd.array(out[column], dtype="Int64")
    return out


def _county_rows(part: gpd.GeoDataFrame, *, counties: dict[int, tuple[str, str, int, bytes]],
                 targets: tuple[Target, ...], root: str, zones: tuple[dict[str, Any], ...],
                 rules: RuleBook | None) -> pd.DataFrame:
    """The rows of every county in one partition (a county is one file: one partition).

    ``rules`` None: no compliance; else each county is checked against its zone pieces.
    """
    frames = []
    codes = part["adcode"].astype("int64").to_numpy() if len(part) else np.array([], np.int64)
    for code in sorted(set(codes.tolist())):
        name, city, city_code, wkb = counties[code]
        rows = part[codes == code].drop(columns=[c for c in ("adcode", "bbox")
                                                  if c in part.columns])
        layers = {str(k): gpd.GeoDataFrame(g.drop(columns="layer").reset_index(drop=True),
                                           crs=CGCS2000)
                  for k, g in rows.groupby("layer", sort=False, observed=True)}
        boundary = gpd.GeoDataFrame({"name": [name]}, geometry=[shapely.from_wkb(wkb)],
                                    crs=CGCS2000)
        project = Project.from_layers(layers, targets=list(targets), boundary=boundary,
                                      name=name)
        place = {"adcode": code, "name": name, "city": city, "city_adcode": city_code}
        frames.append(_conform(county_table(project).assign(table="progress", **place)))
        if rules is not None:
            checked = county_compliance(project, zones=read_county_zones(root, code, zones),
                                        rules=rules)
            frames.append(_conform(checked.assign(table="compliance", **place)))
    if not frames:
        return _empty_county()
    return pd.concat(frames, ignore_index=True)


def _empty_county() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=float) for c in _UNION})
    for column in ("table", "name", "city", "what", "key", "unit", "zone_type", "result"):
        out[column] = out[column].astype("str")
    for column in ("adcode", "city_adcode"):
        out[column] = out[column].astype("int64")
    for column in _COUNTS:
        out[column] = out[column].astype("Int64")
    return out


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns and dtypes of :func:`_empty_county` (concat keeps them)."""
    empty = _empty_county()
    out = frame.reindex(columns=_UNION)
    return out.astype(empty.dtypes.to_dict())


def _split(union: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress rows, compliance rows) of the computed partitions, by adcode."""
    union = union.sort_values("adcode", kind="stable").reset_index(drop=True)
    is_progress = (union["table"] == "progress").to_numpy()
    progress = union.loc[is_progress, COUNTY_COLUMNS].reset_index(drop=True)
    checked = union.loc[~is_progress, COMPLIANCE_COUNTY_COLUMNS].reset_index(drop=True)
    return progress, checked


@dataclass(frozen=True)
class ScaleCompliance:
    """三区三线 figures of :func:`run`: per zone type and result, county rows and roll-ups.

    Attributes
    ----------
    county : DataFrame
        :data:`COMPLIANCE_COUNTY_COLUMNS`: per county, zone type and result (冲突 / 需论证 /
        无冲突 / 未核查) the counts (``n_features``, ``n_pieces``), ``area_m2`` /
        ``area_mu`` (polygons inside the zone type) and ``length_km`` (lines inside it);
        the amounts are NaN for 未核查.
    city : DataFrame
        ``city_adcode, city, zone_type, result``, each amount the ``math.fsum`` of the
        city's county rows, the counts their sums.
    province : DataFrame
        ``zone_type, result``: ``math.fsum`` of all county rows.
    zones : int
        Zone layers in the partitions (0: every feature is 未核查).
    """

    county: pd.DataFrame
    city: pd.DataFrame
    province: pd.DataFrame
    zones: int


@dataclass(frozen=True)
class ScaleResult:
    """Tables of :func:`run`: county rows and their roll-ups.

    Attributes
    ----------
    county : DataFrame
        :data:`COUNTY_COLUMNS`, one row per (county, target or layer, unit), by adcode.
    city : DataFrame
        ``city_adcode, city, what, key, unit``, the amounts (``math.fsum`` of the city's
        counties), ``pct_completed`` (completed / target_value × 100) and the counts.
    province : DataFrame
        ``what, key, unit``, the amounts (``math.fsum`` of **all county rows**, not of the
        city sums), ``pct_completed`` and the counts.
    backend : Backend
    partitions : int
        County partitions read.
    compliance : ScaleCompliance or None
        三区三线 per county, city and province (None when not computed).
    """

    county: pd.DataFrame
    city: pd.DataFrame
    province: pd.DataFrame
    backend: Backend
    partitions: int
    compliance: ScaleCompliance | None = None


def _rollup(county: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    keys = [*by, "what", "key", "unit"]
    rows = []
    for group, frame in county.groupby(keys, sort=False, dropna=False):
        row = dict(zip(keys, group, strict=True))
        for column in AMOUNTS:
            row[column] = _fsum(frame[column])
        row["pct_completed"] = (row["completed"] / row["target_value"] * 100
                                if row["target_value"] else math.nan)
        for column in _COUNTS:
            row[column] = frame[column].sum(min_count=1)
        rows.append(row)
    out = pd.DataFrame(rows, columns=[*keys, *AMOUNTS, "pct_completed", *_COUNTS])
    for column in _COUNTS:
        out[column] = pd.array(out[column], dtype="Int64")
    return out


def _rollup_compliance(county: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    keys = [*by, "zone_type", "result"]
    rows = []
    for group, frame in county.groupby(keys, sort=False, dropna=False):
        row = dict(zip(keys, group, strict=True))
        for column in COMPLIANCE_AMOUNTS:
            row[column] = _fsum(frame[column])
        for column in _COUNTS:
            row[column] = frame[column].sum()
        rows.append(row)
    out = pd.DataFrame(rows, columns=[*keys, *COMPLIANCE_AMOUNTS, *_COUNTS])
    for column in _COUNTS:
        out[column] = pd.array(out[column], dtype="Int64")
    return out


def _manifest_zones(root: Path) -> tuple[dict[str, Any], ...]:
    path = root / _MANIFEST
    if not path.is_file():
        return ()
    return tuple(json.loads(path.read_text(encoding="utf-8")).get("zones", []))


def _county_lookup(root: Path) -> dict[int, tuple[str, str, int, bytes]]:
    counties = gpd.read_parquet(root / COUNTIES_FILE)
    return {int(r.adcode): (str(r.name), str(r.city), int(r.city_adcode),
                            shapely.to_wkb(r.geometry)) for r in counties.itertuples()}


def _partition_files(root: Path) -> list[tuple[int, Path]]:
    found = []
    for folder in sorted(root.glob("adcode=*")):
        code = folder.name.split("=", 1)[1]
        if code.isdigit() and (folder / PART_FILE).is_file():
            found.append((int(code), folder / PART_FILE))
    return sorted(found)


def _serial(files: list[tuple[int, Path]], compute: Any) -> pd.DataFrame:
    frames = []
    for code, path in files:
        part = gpd.read_parquet(path)
        part["adcode"] = code
        frames.append(compute(part))
    return pd.concat(frames, ignore_index=True) if frames else _empty_county()


def _dask(files: list[tuple[int, Path]], compute: Any, client: Any) -> pd.DataFrame:
    try:
        import dask_geopandas
    except ImportError as exc:
        raise ImportError("the dask backend needs dask-geopandas and distributed: pip install "
                          f"'county_gis[scale]' ({exc})") from exc
    # the county files (hive: adcode from the folder name), one partition each
    frame = dask_geopandas.read_parquet([str(path) for _, path in files],
                                        split_row_groups=False)
    results = frame.map_partitions(compute, meta=_empty_county())
    if client is not None:
        return client.compute(results).result()
    return results.compute()


def run(
    root: str | os.PathLike[str],
    *,
    backend: Backend | str = Backend.SERIAL,
    client: Any = None,
    targets: Sequence[Target] | None = None,
    compliance: bool | None = None,
    rules: RuleBook | str | os.PathLike[str] | None = None,
) -> ScaleResult:
    """Progress, measures and compliance of every county partition, rolled up.

    Each county partition written by :func:`~county_gis.scale.partition` is read on its own
    (by the worker that computes it, with the dask backend) and turned into its rows by
    :func:`county_table` — the single-county path, unchanged — so no step holds more than
    one county in memory. The roll-ups add the county rows with ``math.fsum``.

    Parameters
    ----------
    root : path-like
        A folder written by :func:`~county_gis.scale.partition`.
    backend : {"serial", "dask"}, default "serial"
        ``serial``: one county after another in this process. ``dask``: a dask-geopandas
        frame of the partitions (one file each) and ``map_partitions``.
    client : distributed.Client, optional
        With ``backend="dask"``: the cluster to compute on (a ``LocalCluster`` or any dask
        cluster that can read ``root``); default dask's threaded scheduler here.
    targets : sequence of Target, optional
        The targets each county is measured against (default the bundled registry; ``[]``
        for measures only).
    compliance : bool, optional
        Check every county against its pieces of the zone layers (三区三线,
        :func:`~county_gis.scale.county_compliance`) into :attr:`ScaleResult.compliance`.
        Default: when the partitions hold zone layers (``partition(..., zones=...)``).
        A county without a zone layer's pieces is 未核查 for that zone type.
    rules : RuleBook or path, optional
        The compliance rules (default the bundled rules file).

    Returns
    -------
    ScaleResult

    Raises
    ------
    ConfigError
        If ``root`` holds no partitions.
    ValueError
        If ``backend`` is not one of serial, dask.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import LineString
    >>> from county_gis.scale import partition
    >>> road = gpd.GeoDataFrame({"kind": ["road_rebuild"], "status": ["completed"],
    ...     "source_fid": [1]}, geometry=[LineString([(121.0, 42.2), (122.0, 42.2)])],
    ...     crs="EPSG:4490")
    >>> parts = partition({"roads": road}, tempfile.mkdtemp() + "/parts")
    >>> result = run(parts.root, targets=[])
    >>> result.county[["name", "completed", "n_features", "n_pieces"]].round(3)
           name  completed  n_features  n_pieces
    0  阜新蒙古族自治县     78.552           1         1
    1       北票市      4.038           0         1
    >>> province = result.province.iloc[0]
    >>> round(float(province["completed"]), 3), int(province["n_features"])
    (82.59, 1)
    """
    backend = Backend.parse(backend)
    folder = Path(root)
    files = _partition_files(folder)
    if not files:
        raise ConfigError(f"{folder}: no county partitions (adcode=<code>/{PART_FILE}); write "
                          "them with county_gis.scale.partition")
    zones = _manifest_zones(folder)
    check = bool(zones) if compliance is None else compliance
    book = None
    if check:
        from ..analysis.compliance import RuleBook, load_rules

        book = rules if isinstance(rules, RuleBook) else load_rules(rules)
    compute = functools.partial(
        _county_rows, counties=_county_lookup(folder),
        targets=tuple(load_targets() if targets is None else targets), root=str(folder),
        zones=zones, rules=book)
    union = (_serial(files, compute) if backend is Backend.SERIAL
             else _dask(files, compute, client))
    county, checked = _split(union)
    log.info("%s: %d county partitions computed (%s)", folder, len(files), backend.value)
    result = None
    if check:
        result = ScaleCompliance(county=checked,
                                 city=_rollup_compliance(checked, ["city_adcode", "city"]),
                                 province=_rollup_compliance(checked, []), zones=len(zones))
    return ScaleResult(county=county, city=_rollup(county, ["city_adcode", "city"]),
                       province=_rollup(county, []), backend=backend, partitions=len(files),
                       compliance=result)
