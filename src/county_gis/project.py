"""A county project: boundary, townships, project layers by kind, targets — from ``project.toml``.

``project.toml`` names the files and layers; every layer is read with
:func:`county_gis.io.read_layer` (so it arrives in EPSG:4490 with the canonical columns and a
load report). Paths are relative to the folder of ``project.toml``. The layout::

    name = "阜新蒙古族自治县 2023 年重点工程"
    targets = "bundled"                 # or a path to a targets TOML file

    [boundary]
    path = "fumeng.gpkg"
    layer = "county_boundary"

    [townships]                         # optional
    path = "fumeng.gpkg"
    layer = "townships"
    code = "township_code"              # the columns holding code, name and kind
    name = "township_name"
    kind = "township_kind"
    approximate = true                  # used when the layer has no `approximate` column

    [layers.road_rebuild]               # one table per layer; the key names it
    path = "fumeng.gpkg"
    layer = "road_rebuild"
    kind = "road_rebuild"               # a LayerKind; encoding, crs, source_crs optional

    [rasters]                           # optional: name -> raster file
    ndvi_before = "rasters/ndvi_2022.tif"

Examples
--------
>>> from county_gis.project import load_project
>>> p = load_project()
>>> p.boundary.crs.to_epsg(), len(p.boundary), len(p.townships)
(4490, 1, 36)
>>> int(p.townships["approximate"].sum()), int(p.townships.geometry.notna().sum())
(36, 36)
>>> sorted(p.layers)[:3]
['afforestation', 'mine_restoration', 'outfall']
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ._crs import CGCS2000
from ._paths import bundled_layers_dir
from .errors import ConfigError
from .kinds import LayerKind
from .targets import Target, load_targets

__all__ = ["PROJECT_FILE", "Project", "load_project"]

log = logging.getLogger(__name__)

#: The file name looked for when a folder is given.
PROJECT_FILE = "project.toml"

_TOP_KEYS = {"name", "targets", "boundary", "townships", "layers", "rasters", "description"}
_SOURCE_KEYS = {"path", "layer", "encoding", "crs", "source_crs"}
_LAYER_KEYS = _SOURCE_KEYS | {"kind"}
_TOWNSHIP_KEYS = _SOURCE_KEYS | {"code", "name", "kind", "approximate"}
#: Canonical columns every project layer carries (None where the source has nothing).
LAYER_COLUMNS = ("project_id", "name", "kind", "status", "township", "target", "year",
                 "work_type")
TOWNSHIP_COLUMNS = ("code", "name", "kind", "approximate")


@dataclass
class Project:
    """A loaded county project.

    Attributes
    ----------
    name : str
        The project's name.
    root : Path
        The folder of ``project.toml``.
    boundary : GeoDataFrame
        The county boundary, EPSG:4490, one row.
    townships : GeoDataFrame
        EPSG:4490; columns ``code, name, kind, approximate`` (bool) and ``geometry``, plus the
        source's other columns (``note``). A township may have no geometry (listed, not drawn).
    layers : dict of str to GeoDataFrame
        Layer name -> features with the canonical columns (``project_id, name, kind, status,
        township, target, year, work_type`` and kind-specific ones), EPSG:4490.
    targets : list of Target
        The targets the project is measured against.
    reports : dict of str to LoadReport
        Layer name (and ``"boundary"``, ``"townships"``) -> the load report of that layer.
    rasters : dict of str to Path
        Raster name -> file (``[rasters]`` of project.toml).
    """

    name: str
    root: Path
    boundary: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame]
    targets: list[Target]
    reports: dict[str, Any] = field(default_factory=dict)
    rasters: dict[str, Path] = field(default_factory=dict)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.layers.items())
        return (f"Project({self.name!r}, root={str(self.root)!r}, townships={len(self.townships)}, "
                f"layers: {sizes}, targets={len(self.targets)})")


def _project_file(path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        return bundled_layers_dir() / PROJECT_FILE
    given = Path(path)
    if given.is_dir():
        given = given / PROJECT_FILE
    if not given.is_file():
        raise ConfigError(
            f"project file {given} does not exist; pass a project.toml (or its folder), "
            "or None for the bundled county project"
        )
    return given


def _check_source(table: Any, where: str, allowed: set[str], root: Path,
                  problems: list[str]) -> None:
    if not isinstance(table, Mapping):
        problems.append(f"[{where}] must be a table with path = \"...\"")
        return
    unknown = sorted(set(table) - allowed)
    if unknown:
        problems.append(f"[{where}] unknown key(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(sorted(allowed))}")
    if not isinstance(table.get("path"), str):
        problems.append(f"[{where}] needs path = \"<file relative to project.toml>\"")
    elif not (root / table["path"]).exists():
        problems.append(f"[{where}] path {table['path']!r}: {root / table['path']} does not "
                        "exist")


def _validate(data: Mapping[str, Any], root: Path) -> list[str]:
    problems: list[str] = []
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        problems.append(f"unknown top-level key(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(sorted(_TOP_KEYS))}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        problems.append("name = \"...\" is missing")
    if "boundary" not in data:
        problems.append("[boundary] is missing (path and layer of the county boundary)")
    else:
        _check_source(data["boundary"], "boundary", _SOURCE_KEYS, root, problems)
    if "townships" in data:
        _check_source(data["townships"], "townships", _TOWNSHIP_KEYS, root, problems)
    layers = data.get("layers", {})
    if not isinstance(layers, Mapping):
        problems.append("[layers] must hold one [layers.<name>] table per layer")
        layers = {}
    for key, table in layers.items():
        _check_source(table, f"layers.{key}", _LAYER_KEYS, root, problems)
        if isinstance(table, Mapping):
            if "kind" not in table:
                problems.append(f"[layers.{key}] needs kind = \"...\" (one of "
                                f"{', '.join(k.value for k in LayerKind)})")
            else:
                try:
                    LayerKind.parse(table["kind"])
                except ValueError as exc:
                    problems.append(f"[layers.{key}] {exc}")
    targets = data.get("targets", "bundled")
    if not isinstance(targets, str):
        problems.append(f"targets was {targets!r} but must be \"bundled\" or a file path")
    elif targets != "bundled" and not (root / targets).is_file():
        problems.append(f"targets file {root / targets} does not exist")
    rasters = data.get("rasters", {})
    if not isinstance(rasters, Mapping) or not all(isinstance(v, str) for v in rasters.values()):
        problems.append("[rasters] must map names to file paths (strings)")
    else:
        problems += [f"[rasters] {name} = {value!r}: {root / value} does not exist"
                     for name, value in rasters.items() if not (root / value).exists()]
    return problems


def _read(root: Path, table: Mapping[str, Any], **extra: Any) -> gpd.GeoDataFrame:
    from .io import read_layer

    options = {k: table[k] for k in ("layer", "encoding", "crs", "source_crs") if k in table}
    return read_layer(root / table["path"], **options, **extra)


def _column(frame: pd.DataFrame, declared: Any, fallbacks: tuple[str, ...]) -> pd.Series:
    for name in ((declared,) if declared else ()) + fallbacks:
        if name in frame.columns and frame[name].notna().any():
            return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _townships(root: Path, table: Mapping[str, Any] | None,
               reports: dict[str, Any]) -> gpd.GeoDataFrame:
    if table is None:
        return gpd.GeoDataFrame({c: [] for c in TOWNSHIP_COLUMNS}, geometry=[], crs=CGCS2000)
    raw = _read(root, table)
    reports["townships"] = raw.attrs.get("load_report")
    out = pd.DataFrame(index=raw.index)
    out["code"] = _column(raw, table.get("code"), ("code", "project_id")).astype(object)
    out["name"] = _column(raw, table.get("name"), ("name", "township"))
    out["kind"] = _column(raw, table.get("kind"), ("township_kind",))
    if "approximate" in raw.columns:
        out["approximate"] = raw["approximate"].fillna(True).astype(bool)
    else:
        out["approximate"] = bool(table.get("approximate", False))
    used = {table.get("code"), table.get("name"), table.get("kind"), "approximate", "kind",
            "status", "source_fid", raw.geometry.name}
    for column in raw.columns:
        if column not in used and column not in out.columns:
            out[column] = raw[column]
    return gpd.GeoDataFrame(out, geometry=raw.geometry.values, crs=CGCS2000)


def _layer(root: Path, key: str, table: Mapping[str, Any]) -> gpd.GeoDataFrame:
    kind = LayerKind.parse(table["kind"])
    frame = _read(root, table, kind=kind)
    for column in LAYER_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame.attrs["layer"] = key
    return frame


def load_project(path: str | os.PathLike[str] | None = None) -> Project:
    """Load a project (the bundled 阜新蒙古族自治县 project by default).

    Parameters
    ----------
    path : path-like, optional
        A ``project.toml`` or the folder holding one. None: the bundled ``layers/project.toml``.

    Returns
    -------
    Project
        Every layer in EPSG:4490 with canonical columns; load reports in ``reports``.

    Raises
    ------
    ConfigError
        If the project file is missing or invalid (every problem listed at once), the
        boundary is not one feature, or the targets file is invalid.
    LayerReadError, CRSError, GeometryError
        From :func:`county_gis.io.read_layer`, naming the file and layer.

    Examples
    --------
    >>> p = load_project()
    >>> p.layers["road_rebuild"].crs.to_epsg()
    4490
    >>> sorted(p.layers["road_rebuild"]["status"].dropna().unique())
    ['completed', 'planned', 'under_construction']
    """
    file = _project_file(path)
    root = file.parent
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}") from None
    problems = _validate(data, root)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(f"{file}: {count}: " + "; ".join(problems))
    reports: dict[str, Any] = {}
    boundary = _read(root, data["boundary"])
    reports["boundary"] = boundary.attrs.get("load_report")
    if len(boundary) != 1:
        raise ConfigError(
            f"{root / data['boundary']['path']}:{data['boundary'].get('layer')}: the boundary "
            f"has {len(boundary)} features but must have exactly one; dissolve it first "
            "(e.g. gdf.dissolve())"
        )
    townships = _townships(root, data.get("townships"), reports)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for key, table in data.get("layers", {}).items():
        layers[key] = _layer(root, key, table)
        reports[key] = layers[key].attrs.get("load_report")
    targets_file = data.get("targets", "bundled")
    targets = load_targets(None if targets_file == "bundled" else root / targets_file)
    rasters = {name: root / value for name, value in data.get("rasters", {}).items()}
    project = Project(name=data["name"].strip(), root=root, boundary=boundary,
                      townships=townships, layers=layers, targets=targets, reports=reports,
                      rasters=rasters)
    log.info("loaded %r", project)
    return project
