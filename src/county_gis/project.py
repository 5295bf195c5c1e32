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

import contextlib
import logging
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._paths import bundled_layers_dir
from ._portable import portable_path
from .crs import CGCS2000
from .errors import ConfigError, CRSError, GeometryError, unknown_keys
from .io import LAYER_MAPPING_KEYS, LayerMapping, LoadReport, MappedField, load_alias_file
from .targets import Target, load_targets
from .vocabulary import LAYER_COLUMNS, TOWNSHIP_COLUMNS, GeometryFamily, LayerKind

__all__ = ["ALIAS_FILE", "NDVI_AFTER_NAMES", "NDVI_BEFORE_NAMES", "PROJECT_FILE", "SECTION_KEYS",
           "Project", "load_project", "load_project_data", "read_project_toml"]

log = logging.getLogger(__name__)

#: The file name looked for when a folder is given.
PROJECT_FILE = "project.toml"

_TOP_KEYS = {"name", "targets", "boundary", "townships", "layers", "rasters", "description",
             "defaults", "aliases"}
#: Tables of project.toml that belong to other modules (三区三线 zones, history, the store):
#: kept as they are in :attr:`Project.sections` and validated by the module that reads them.
SECTION_KEYS = frozenset({"zones", "history", "store", "report", "compliance"})
_SOURCE_KEYS = {"path", "layer", "encoding", "crs", "source_crs", "header_row", "skip_rows"}
#: read options of a layer table besides its mapping keys (LAYER_MAPPING_KEYS)
_READ_KEYS = {"repair", "geometry", "header_row", "skip_rows"}
_LAYER_KEYS = _SOURCE_KEYS | _READ_KEYS | {"kind"} | LAYER_MAPPING_KEYS
#: the alias file read when present beside project.toml (``aliases = "..."`` names another)
ALIAS_FILE = "field_aliases.toml"
#: What a project layer's ``repair`` may say: ``make_valid`` (the default: every invalid polygon
#: rebuilt and listed in the load report with its area before and after) or ``none`` (an
#: invalid polygon is an error naming it).
REPAIRS = {"make_valid": "all", "none": "close_rings"}
_TOWNSHIP_KEYS = _SOURCE_KEYS | {"code", "name", "kind", "approximate"}
#: Names under which a project (``[rasters]`` of project.toml) or its ``rasters/`` folder
#: holds the NDVI before / after rasters, tried in order.
NDVI_BEFORE_NAMES = ("ndvi_before", "ndvi_2022")
NDVI_AFTER_NAMES = ("ndvi_after", "ndvi_2023")


@dataclass
class Project:
    """A loaded county project.

    Attributes
    ----------
    name : str
        The project's name.
    root : Path or None
        The folder of ``project.toml`` (None for a project built in memory).
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
    sections : dict of str to Any
        The tables of project.toml that other modules read (:data:`SECTION_KEYS`:
        ``[zones.*]`` for compliance, ``[history]``, ``[store]`` ...), as parsed; each module
        validates its own table.
    """

    name: str
    root: Path | None
    boundary: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame]
    targets: list[Target]
    reports: dict[str, LoadReport] = field(default_factory=dict)
    rasters: dict[str, Path] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.layers.items())
        return (f"Project({self.name!r}, root={str(self.root)!r}, townships={len(self.townships)}, "
                f"layers: {sizes}, targets={len(self.targets)})")

    @classmethod
    def from_layers(
        cls,
        layers: Mapping[str, gpd.GeoDataFrame],
        *,
        targets: Sequence[Target] | None = None,
        boundary: gpd.GeoDataFrame | None = None,
        townships: gpd.GeoDataFrame | None = None,
        name: str = "内存项目",
        root: str | os.PathLike[str] | None = None,
        rasters: Mapping[str, str | os.PathLike[str]] | None = None,
        reports: Mapping[str, LoadReport] | None = None,
        repair: bool = False,
    ) -> Project:
        """A project built in memory from GeoDataFrames (for scripts, tests and examples).

        Parameters
        ----------
        layers : mapping of str to GeoDataFrame
            Layer name -> features (any CRS; brought to EPSG:4490). Missing canonical columns
            (:data:`LAYER_COLUMNS`) are added empty; ``kind`` and ``status`` should hold
            canonical values (``read_layer(..., kind=...)`` gives them).
        targets : sequence of Target, optional
            Default: the bundled targets registry (as ``targets = "bundled"`` in project.toml).
            Pass ``[]`` for a project without targets.
        boundary, townships : GeoDataFrame, optional
            Default: none (empty frames).
        name : str, default "内存项目"
        root : path-like, optional
            The project's folder (where ``rasters/`` is looked for); default none.
        rasters : mapping of str to path, optional
            Raster name -> file (relative paths are taken from ``root``).
        reports : mapping of str to LoadReport, optional
            Load reports by layer name (they name each feature's ``file:layer``).
        repair : bool, default False
            Rebuild invalid polygons with ``shapely.make_valid`` (their polygonal part).
            Without it an invalid polygon is an error: analysis measures geometry as it is.

        Returns
        -------
        Project

        Raises
        ------
        CRSError
            If a layer, the boundary or the townships have no CRS.
        GeometryError
            If a layer holds an invalid polygon and ``repair`` is false (each one named).

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> plots = gpd.GeoDataFrame({"kind": ["afforestation"], "status": ["completed"]},
        ...     geometry=[box(121.6, 42.0, 121.61, 42.01)], crs="EPSG:4490")
        >>> p = Project.from_layers({"plots": plots}, targets=[])
        >>> p.name, list(p.layers), p.layers["plots"].columns[:3].tolist(), len(p.boundary)
        ('内存项目', ['plots'], ['kind', 'status', 'geometry'], 0)
        """
        folder = Path(root) if root is not None else None
        frames = {str(key): _valid(_canonical(_in_cgcs2000(frame, f"layers[{key!r}]"),
                                              str(key)), str(key), repair=repair)
                  for key, frame in layers.items()}
        found = {}
        for key, value in (rasters or {}).items():
            path = Path(value)
            found[key] = path if path.is_absolute() or folder is None else folder / path
        return cls(
            name=name, root=folder,
            boundary=(_empty(("name",)) if boundary is None
                      else _in_cgcs2000(boundary, "boundary")),
            townships=(_empty(TOWNSHIP_COLUMNS) if townships is None
                       else _in_cgcs2000(townships, "townships")),
            layers=frames,
            targets=load_targets() if targets is None else list(targets),
            reports=dict(reports or {}), rasters=found,
        )

    def boundary_geometry(self) -> shapely.Geometry | None:
        """The boundary as one (prepared) geometry, or None when the project has none.

        Examples
        --------
        >>> round(load_project().boundary_geometry().area, 3)  # square degrees
        0.677
        """
        geoms = [g for g in self.boundary.geometry.values if g is not None and not g.is_empty]
        if not geoms:
            return None
        geom = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
        shapely.prepare(geom)
        return geom

    def features(self) -> gpd.GeoDataFrame:
        """Every feature of every layer in one frame, with the layer name in ``layer``.

        Examples
        --------
        >>> p = load_project()
        >>> feats = p.features()
        >>> len(feats) == sum(len(f) for f in p.layers.values()), feats.crs.to_epsg()
        (True, 4490)
        """
        frames = [frame.assign(layer=key) for key, frame in self.layers.items() if len(frame)]
        if not frames:
            return _empty((*LAYER_COLUMNS, "layer"))
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CGCS2000)

    def place(self, layer: str) -> str:
        """``file:layer`` of a project layer (the file relative to the project folder).

        Examples
        --------
        >>> load_project().place("road_rebuild")
        'fumeng.gpkg:road_rebuild'
        """
        report = self.reports.get(layer)
        source = getattr(report, "source", None) or "<memory>"
        if self.root is not None and source != "<memory>":
            with contextlib.suppress(ValueError):
                source = str(Path(source).relative_to(self.root))
        return f"{source}:{getattr(report, 'layer', None) or layer}"

    def ndvi_rasters(self) -> tuple[Path, Path]:
        """The NDVI rasters before and after: declared in ``[rasters]``, else in ``rasters/``.

        Names tried, in order: :data:`NDVI_BEFORE_NAMES` and :data:`NDVI_AFTER_NAMES`, first
        in the project's declared rasters, then as ``<root>/rasters/<name>.tif``.

        Raises
        ------
        ConfigError
            If either is not found; the message lists the names tried.

        Examples
        --------
        >>> [p.name for p in load_project().ndvi_rasters()]
        ['ndvi_2022.tif', 'ndvi_2023.tif']
        """
        found: list[Path] = []
        folder = self.root / "rasters" if self.root is not None else None
        for names in (NDVI_BEFORE_NAMES, NDVI_AFTER_NAMES):
            path = next((self.rasters[n] for n in names if n in self.rasters), None)
            if path is None and folder is not None:
                path = next((folder / f"{n}.tif" for n in names
                             if (folder / f"{n}.tif").exists()), None)
            if path is None:
                where = f" or found in {folder}" if folder is not None else ""
                raise ConfigError(
                    f"no NDVI raster {' or '.join(names)} declared in the project's [rasters]"
                    f"{where}; declare it in project.toml or pass before= and after= "
                    "(CLI: --before, --after)"
                )
            found.append(path)
        return found[0], found[1]


def _empty(columns: Sequence[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=CGCS2000)


def _in_cgcs2000(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    crs = getattr(frame, "crs", None)
    if crs is None:
        raise CRSError(f"{what} has no CRS; set it first (gdf.set_crs(...)) or read it with "
                       "county_gis.read_layer")
    return frame if crs.equals(CGCS2000) else frame.to_crs(CGCS2000)


def _valid(frame: gpd.GeoDataFrame, key: str, *, repair: bool) -> gpd.GeoDataFrame:
    """``frame`` with valid geometry: invalid polygons refused, or rebuilt when asked."""
    from ._validity import is_valid, repair_polygonal

    geoms = np.asarray(frame.geometry.values, dtype=object)
    polygonal = GeometryFamily.POLYGON.mask(geoms)
    bad = np.flatnonzero(polygonal)[~is_valid(geoms[polygonal])]
    if not len(bad):
        return frame
    if not repair:
        reasons = shapely.is_valid_reason(geoms[bad[:5]])
        listed = "; ".join(f"<memory>:{key}#{i}: {r}" for i, r in zip(bad[:5], reasons,
                                                                      strict=True))
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise GeometryError(f"layers[{key!r}] has {len(bad)} invalid polygon(s): {listed}"
                            f"{more}; fix them, or pass repair=True to rebuild them with "
                            "make_valid")
    fixed = geoms.copy()
    fixed[bad] = repair_polygonal(geoms[bad])
    out = frame.set_geometry(fixed, crs=frame.crs)
    out.attrs = dict(frame.attrs)
    return out


def _canonical(frame: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    missing = [c for c in LAYER_COLUMNS if c not in frame.columns]
    if missing:
        frame = frame.assign(**{c: None for c in missing})
    frame.attrs["layer"] = key
    return frame


def _project_file(path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        return bundled_layers_dir() / PROJECT_FILE
    given = Path(path)
    if given.is_dir():
        if not (given / PROJECT_FILE).is_file():
            raise ConfigError(
                f"folder {given} has no {PROJECT_FILE}; run `county-gis init {given}` to "
                f"write one from the layers it holds / 文件夹中没有 {PROJECT_FILE}, 请先运行 "
                "county-gis init")
        given = given / PROJECT_FILE
    if not given.is_file():
        raise ConfigError(
            f"project file {given} does not exist; give a project.toml, its folder or a "
            "layer file (leave it out for the bundled county project)"
        )
    return given


def _path(root: Path, text: str) -> Path:
    """A path of project.toml: relative to its folder; Windows ``\\`` separators accepted."""
    return root / Path(text.replace("\\", "/"))


#: Keys of a source table that say what to read at a database URL (PostGIS: io/_postgis.py).
_URL_KEYS = {"table", "query"}


def _check_source(table: Any, where: str, allowed: set[str], root: Path,
                  problems: list[str]) -> None:
    if not isinstance(table, Mapping):
        problems.append(f"[{where}] must be a table with path = \"...\"")
        return
    allowed = allowed | _URL_KEYS
    unknown = unknown_keys(table, allowed)
    if unknown:
        problems.append(f"[{where}] {unknown}")
    if not isinstance(table.get("path"), str):
        problems.append(f"[{where}] needs path = \"<file relative to project.toml>\"")
    elif "://" not in table["path"] and not _path(root, table["path"]).exists():
        problems.append(f"[{where}] path {table['path']!r}: {_path(root, table['path'])} does "
                        "not exist")
    for key in ("header_row", "skip_rows"):
        if key in table and (not isinstance(table[key], int) or table[key] < 0):
            problems.append(f"[{where}] {key} = {table[key]!r} must be a row number (from 1, "
                            "as Excel counts)")


def _validate(data: Mapping[str, Any], root: Path) -> list[str]:
    problems: list[str] = []
    unknown = sorted(set(data) - _TOP_KEYS - SECTION_KEYS)
    if unknown:
        problems.append(f"unknown top-level key(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(sorted(_TOP_KEYS | SECTION_KEYS))}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        problems.append("name = \"...\" is missing")
    if "boundary" not in data:
        problems.append("[boundary] is missing (path and layer of the county boundary)")
    elif isinstance(data["boundary"], Mapping) and data["boundary"].get("bundled") is True:
        if set(data["boundary"]) != {"bundled"}:
            problems.append("[boundary] bundled = true takes no other key")
    else:
        _check_source(data["boundary"], "boundary", _SOURCE_KEYS, root, problems)
    if "townships" in data:
        _check_source(data["townships"], "townships", _TOWNSHIP_KEYS, root, problems)
        flag = data["townships"].get("approximate") if isinstance(data["townships"],
                                                                   Mapping) else None
        if flag is not None and not isinstance(flag, bool):
            problems.append(f"[townships] approximate = {flag!r} must be true or false "
                            "(without quotes)")
    layers = data.get("layers", {})
    if not isinstance(layers, Mapping):
        problems.append("[layers] must hold one [layers.<name>] table per layer")
        layers = {}
    defaults = data.get("defaults", {})
    if not isinstance(defaults, Mapping) or set(defaults) - LAYER_MAPPING_KEYS:
        problems.append("[defaults] holds the mapping keys every layer shares ("
                        f"{', '.join(sorted(LAYER_MAPPING_KEYS))})")
        defaults = {}
    for key, table in layers.items():
        _check_source(table, f"layers.{key}", _LAYER_KEYS, root, problems)
        if isinstance(table, Mapping):
            try:
                LayerMapping.from_table(table, where=f"[layers.{key}]", defaults=defaults)
            except ConfigError as exc:
                problems.append(str(exc))
            if "geometry" in table:
                try:
                    GeometryFamily.parse(table["geometry"])
                except ValueError as exc:
                    problems.append(f"[layers.{key}] geometry: {exc} (\"lines\", "
                                    "\"polygons\", \"points\")")
            if "kind" not in table:
                problems.append(f"[layers.{key}] needs kind = \"...\" (one of "
                                f"{', '.join(k.value for k in LayerKind)})")
            else:
                try:
                    LayerKind.parse(table["kind"])
                except ValueError as exc:
                    problems.append(f"[layers.{key}] {exc}")
            if table.get("repair", "make_valid") not in REPAIRS:
                problems.append(f"[layers.{key}] repair was {table['repair']!r} but is expected "
                                f"to be one of {', '.join(map(repr, REPAIRS))}")
    targets = data.get("targets", "bundled")
    if isinstance(targets, Mapping):
        extra = unknown_keys(targets, ("file", "include"))
        if extra:
            problems.append(f"[targets] {extra}")
        include = targets.get("include")
        if include is not None and include != "present" and not (
                isinstance(include, list) and all(isinstance(i, str) for i in include)):
            problems.append(f"[targets] include = {include!r} must be a list of target ids "
                            "or \"present\" (the targets of the kinds the project has)")
        targets = targets.get("file", "bundled")
    if not isinstance(targets, str):
        problems.append(f"targets was {targets!r} but must be \"bundled\" or a file path")
    elif targets != "bundled" and not _path(root, targets).is_file():
        problems.append(f"targets file {_path(root, targets)} does not exist")
    aliases = data.get("aliases")
    if aliases is not None and (not isinstance(aliases, str)
                                or not _path(root, aliases).is_file()):
        problems.append(f"aliases = {aliases!r}: must name an alias file beside project.toml "
                        "(see docs/project.md)")
    rasters = data.get("rasters", {})
    if not isinstance(rasters, Mapping) or not all(isinstance(v, str) for v in rasters.values()):
        problems.append("[rasters] must map names to file paths (strings)")
    else:
        problems += [f"[rasters] {name} = {value!r}: {_path(root, value)} does not exist"
                     for name, value in rasters.items() if not _path(root, value).exists()]
    return problems


def _portable_paths(data: Any, key: str = "") -> Any:
    """project.toml with Windows backslashes in ``path``, ``targets`` and ``[rasters]`` made
    portable (``数据\\道路.shp`` written on a bureau PC also loads on Linux)."""
    if isinstance(data, Mapping):
        return {k: _portable_paths(v, "path" if key == "rasters" else k) for k, v in data.items()}
    if isinstance(data, str) and key in ("path", "targets") and data != "bundled":
        return portable_path(data)
    return data


def _read(root: Path, table: Mapping[str, Any], **extra: Any) -> gpd.GeoDataFrame:
    from .io import read_layer

    options = {k: table[k] for k in ("layer", "encoding", "crs", "source_crs", "geometry")
               if k in table}
    source = {k: table[k] for k in ("header_row", "skip_rows", *_URL_KEYS) if k in table}
    if source:
        options["options"] = source
    path = table["path"] if "://" in table["path"] else _path(root, table["path"])
    return read_layer(path, **options, **extra)


def _column(frame: pd.DataFrame, declared: Any, fallbacks: tuple[str, ...]) -> pd.Series:
    for name in ((declared,) if declared else ()) + fallbacks:
        if name in frame.columns and frame[name].notna().any():
            return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f", ""}


def _flag(value: Any, *, default: bool) -> bool:
    """A yes / no cell: ``"false"`` and ``"否"`` are False (``bool("false")`` would be True)."""
    if value is None or (isinstance(value, float) and value != value):
        return default
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"approximate was {value!r} but is expected to be true or false "
                          "(是 / 否, 1 / 0)")
    return bool(value)


def _townships(root: Path, table: Mapping[str, Any] | None,
               reports: dict[str, Any]) -> gpd.GeoDataFrame:
    if table is None:
        return gpd.GeoDataFrame({c: [] for c in TOWNSHIP_COLUMNS}, geometry=[], crs=CGCS2000)
    raw = _read(root, table, repair="all")  # an invalid township is rebuilt and listed
    reports["townships"] = raw.attrs.get("load_report")
    out = pd.DataFrame(index=raw.index)
    out["code"] = _column(raw, table.get("code"), ("code", "project_id")).astype(object)
    out["name"] = _column(raw, table.get("name"), ("name", "township"))
    out["kind"] = _column(raw, table.get("kind"), ("township_kind",))
    if "approximate" in raw.columns:
        out["approximate"] = [_flag(v, default=True) for v in raw["approximate"]]
    else:
        out["approximate"] = bool(table.get("approximate", False))
    used = {table.get("code"), table.get("name"), table.get("kind"), "approximate", "kind",
            "status", "source_fid", raw.geometry.name}
    for column in raw.columns:
        if column not in used and column not in out.columns:
            out[column] = raw[column]
    return gpd.GeoDataFrame(out, geometry=raw.geometry.values, crs=CGCS2000)


def _layer(root: Path, key: str, table: Mapping[str, Any], *,
           defaults: Mapping[str, Any] | None = None,
           aliases: Mapping[str, MappedField] | None = None) -> gpd.GeoDataFrame:
    kind = LayerKind.parse(table["kind"])
    mapping = LayerMapping.from_table(table, where=f"[layers.{key}]", defaults=defaults,
                                      aliases=aliases)
    repair = table.get("repair", "make_valid")
    try:
        frame = _read(root, table, kind=kind, repair=REPAIRS[repair], mapping=mapping)
    except GeometryError as exc:
        raise GeometryError(
            f"{exc} — in project.toml, [layers.{key}]: geometry = \"lines\" | \"polygons\" "
            "| \"points\" sets features of other types aside (listed)") from exc
    if repair == "none":
        report = frame.attrs.get("load_report")
        invalid = [] if report is None else report.select("geometry.invalid")
        if invalid:
            listed = "; ".join(f"{table['path']}:{n.layer}#{n.fid}: {n.message.split(';')[0]}"
                               for n in invalid[:5])
            more = f" (and {len(invalid) - 5} more)" if len(invalid) > 5 else ""
            raise GeometryError(
                f"[layers.{key}] has {len(invalid)} invalid polygon(s) and says repair = "
                f"\"none\": {listed}{more}; fix them in the source, or let county_gis rebuild "
                "them (repair = \"make_valid\", the default; each repair is listed with its area)"
            )
    for column in LAYER_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame.attrs["layer"] = key
    return frame


def _boundary_table(table: Mapping[str, Any]) -> Mapping[str, Any]:
    """``[boundary]``; ``bundled = true`` is the boundary bundled with county_gis."""
    if table.get("bundled") is True:
        return {"path": str(bundled_layers_dir() / "fumeng.gpkg"), "layer": "county_boundary"}
    return table


def _aliases(root: Path, named: str | None) -> dict[str, MappedField]:
    file = _path(root, named) if named else root / ALIAS_FILE
    if not file.is_file():
        return {}
    found = load_alias_file(file)
    log.info("%s: %d user field alias(es)", file, len(found))
    return found


def _targets(root: Path, spec: Any, layers: Mapping[str, gpd.GeoDataFrame]) -> list[Target]:
    """The project's targets: the file's, those ``include`` names, or those of the kinds present."""
    include = spec.get("include") if isinstance(spec, Mapping) else None
    file = spec.get("file", "bundled") if isinstance(spec, Mapping) else spec
    targets = load_targets(None if file == "bundled" else _path(root, file))
    if include is None:
        return targets
    if include == "present":
        kinds = {k for frame in layers.values() for k in frame["kind"].dropna().unique()}
        return [t for t in targets if any(k.value in kinds for k in t.kinds)]
    ids = {t.id: t for t in targets}
    unknown = [i for i in include if i not in ids]
    if unknown:
        raise ConfigError(f"[targets] include names target(s) {', '.join(map(repr, unknown))} "
                          f"that the targets file does not have; ids: {', '.join(ids)}")
    return [ids[i] for i in include]


def read_project_toml(file: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a ``project.toml``: UTF-8 (a BOM accepted); errors name the line and the fix.

    A file saved as GBK / GB18030 (Notepad's "ANSI" on a Chinese Windows) is refused with the
    advice to save it as UTF-8 — never decoded by guess.

    Raises
    ------
    ConfigError
        If the file is not UTF-8 or not valid TOML; the message quotes the line and says the
        likely fix (quote Chinese keys, use ``/`` in paths, save as UTF-8).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "project.toml"
    >>> _ = f.write_text("[layers.造林]\\npath = 'a.shp'\\n", encoding="utf-8")
    >>> read_project_toml(f)
    Traceback (most recent call last):
    ...
    county_gis.errors.ConfigError: ... line 1: [layers.造林] — a key with Chinese characters
    must be quoted: [layers."造林"] ...
    """
    from ._atomic import note_input

    path = Path(file)
    note_input(path)  # an output may never replace it
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        with contextlib.suppress(UnicodeDecodeError):
            raw.decode("gb18030")
            hint = " (it reads as GBK / GB18030: saved by Notepad as \"ANSI\"?)"
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text at line {line}{hint}; save it as UTF-8 "
                          "(Notepad: 另存为 → 编码 UTF-8) / 文件不是 UTF-8 编码, 请另存为 UTF-8"
                          ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_advice(path, text, exc)) from None
    except RecursionError:
        raise ConfigError(f"{path} is not a project file: its tables or arrays are nested too "
                          "deeply to read") from None


def _toml_advice(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    import re

    message = str(exc)
    found = re.search(r"line (\d+)", message)
    number = int(found.group(1)) if found else 0
    lines = text.splitlines()
    line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    fix = "check the line against docs/project.md"
    header = re.match(r"^\[+([^\]]*)\]+", line)
    key = re.match(r"^([^=\"']+?)\s*=", line)
    if header and any(ord(c) > 127 for c in header.group(1)):
        quoted = ".".join(p if p.isascii() else f'"{p}"' for p in header.group(1).split("."))
        fix = (f"a key with Chinese characters must be quoted: [{quoted}] / 中文键名需加引号")
    elif (key and any(ord(c) > 127 for c in key.group(1))) or (
            "{" in line and re.search(r"[{,]\s*[^\s\"'=,{]*[^\x00-\x7f][^=\"']*=", line)):
        fix = ("a key with Chinese characters or brackets must be quoted: \"治理面积(公顷)\" = "
               "... / 中文键名需加引号")
    elif "\\" in line:
        fix = ("write paths with / (基础数据/县界.geojson) or in single quotes: "
               "'基础数据\\县界.geojson' / 路径请用 / 分隔")
    elif "=" in line and re.search(r"=\s*[^\s\"'\[{0-9tf-]", line):
        fix = "a text value must be quoted: key = \"value\" / 文字值需加引号"
    shown = f": {line}" if line else ""
    return f"{path} is not valid TOML ({message}) — line {number}{shown} — {fix}"


def _layer_file_project(path: Path) -> Project:
    """Every layer of one file as a project with no targets (and no boundary)."""
    from .io import read_layers

    layers = read_layers(path)
    reports = {key: frame.attrs.get("load_report") for key, frame in layers.items()}
    return Project.from_layers(layers, targets=[], name=path.stem, root=path.parent,
                               reports={k: v for k, v in reports.items() if v is not None})


def load_project(path: str | os.PathLike[str] | None = None) -> Project:
    """Load a project (the bundled 阜新蒙古族自治县 project by default).

    Parameters
    ----------
    path : path-like, optional
        A ``project.toml`` or the folder holding one. None: the bundled ``layers/project.toml``.
        A layer file (GeoPackage, Shapefile ...) gives a project of its layers with no
        targets and no boundary (its folder is the project's folder).

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
    if path is not None and Path(path).is_file() and Path(path).suffix.lower() != ".toml":
        return _layer_file_project(Path(path))
    file = _project_file(path)
    data = _portable_paths(read_project_toml(file))
    return load_project_data(data, root=file.parent, where=str(file))


def load_project_data(data: Mapping[str, Any], *, root: str | os.PathLike[str],
                      where: str) -> Project:
    """Load a project from the parsed tables of a ``project.toml`` (paths relative to ``root``).

    :func:`load_project` reads the file and calls this; ``county-gis map FILE`` builds the
    tables ``init`` would write and calls it without writing them.

    Raises
    ------
    ConfigError
        Every problem of the tables at once, prefixed by ``where``.
    """
    root = Path(root)
    problems = _validate(data, root)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(f"{where}: {count}: " + "; ".join(problems))
    reports: dict[str, Any] = {}
    boundary_table = _boundary_table(data["boundary"])
    boundary = _read(root, boundary_table)
    reports["boundary"] = boundary.attrs.get("load_report")
    if len(boundary) and (boundary.geometry.isna() | boundary.geometry.is_empty).all():
        raise ConfigError(
            f"{root / data['boundary']['path']}:{data['boundary'].get('layer')}: the boundary "
            "feature has no geometry (null or empty); export the county polygon again")
    if len(boundary) != 1:
        raise ConfigError(
            f"{_path(root, boundary_table['path'])}:{boundary_table.get('layer')}: the boundary "
            f"has {len(boundary)} features but must have exactly one; dissolve it first "
            "(in QGIS: Vector → Geoprocessing → Dissolve)"
        )
    townships = _townships(root, data.get("townships"), reports)
    aliases = _aliases(root, data.get("aliases"))
    layers: dict[str, gpd.GeoDataFrame] = {}
    for key, table in data.get("layers", {}).items():
        layers[key] = _layer(root, key, table, defaults=data.get("defaults"), aliases=aliases)
        reports[key] = layers[key].attrs.get("load_report")
    targets = _targets(root, data.get("targets", "bundled"), layers)
    rasters = {name: _path(root, value) for name, value in data.get("rasters", {}).items()}
    sections = {key: data[key] for key in SECTION_KEYS if key in data}
    project = Project(name=data["name"].strip(), root=root, boundary=boundary,
                      townships=townships, layers=layers, targets=targets, reports=reports,
                      rasters=rasters, sections=sections)
    log.info("loaded %r", project)
    return project
