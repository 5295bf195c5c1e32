"""``county-gis init FOLDER``: a planner's folder of files becomes a reviewed ``project.toml``.

:func:`init_project` scans a folder (recursively, archives too), reads every layer it can
(format, encoding and CRS decided and explained by :func:`county_gis.io.read_layer`), guesses
each layer's kind from its file, layer and field names and its geometry, finds the boundary
and township layers, and writes a commented ``project.toml``: one table per layer with the
kind, the field mapping, the status mapping and the value mapping it will use, and a comment on
everything it could not decide (with the candidate values). A layer it cannot classify is
written commented out with the reason — never dropped. :func:`guess_project` does the same in
memory for ``county-gis map FILE`` / ``progress FILE``.

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "矿山").mkdir()
>>> gpd.GeoDataFrame({"矿山名称": ["甲矿"], "治理状态": ["已验收"]},
...     geometry=[box(121.6, 42.1, 121.61, 42.11)], crs="EPSG:4490").to_file(
...     folder / "矿山" / "治理.gpkg", layer="治理")
>>> found = init_project(folder)
>>> [(f.key, f.kind, f.status_values) for f in found.layers if f.kind]
[('治理', 'mine_restoration', {'已验收': 'completed'})]
>>> load_project(found.path).layers["治理"]["status"].tolist()
['completed']
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ._atomic import atomic_path
from .errors import ConfigError, CountyGisError, LayerReadError
from .io import list_layers, read_layer, source_for
from .project import PROJECT_FILE, Project, load_project, load_project_data
from .targets import Target, load_targets
from .vocabulary import GeometryFamily, LayerKind, Status, normalise_name

__all__ = ["FoundLayer", "InitResult", "guess_project", "init_project", "scan_folder"]

log = logging.getLogger(__name__)

#: words in file / layer / field names -> what the layer is (first match of the longest word)
_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "boundary": ("县界", "县域", "县行政区", "行政区划", "行政边界", "boundary", "xzq", "县边界"),
    "townships": ("乡镇界", "乡镇边界", "乡界", "镇界", "township", "xzjx"),
    "mine_restoration": ("矿山", "矿区", "复绿", "采矿", "mine"),
    "afforestation": ("造林", "小班", "抚育", "国土绿化", "补播", "林业", "forest"),
    "road_rebuild": ("农村公路", "公路", "道路", "村路", "路网", "road"),
    "street_renovation": ("街巷", "街道改造", "street"),
    "pv_station": ("光伏", "solar", "pv"),
    "school": ("学校", "校舍", "school"),
    "outfall": ("排污口", "outfall"),
    "wastewater_plant": ("污水", "wastewater", "wwtp"),
    "soil_conservation": ("水土", "水保", "soil"),
    "water_supply": ("供水", "饮水"),
    "power_line": ("供电", "输电", "电力线"),
}
#: status words contained in a value (checked in this order: 未开工 is planned, not started)
_STATUS_WORDS = (
    ("planned", ("未开工", "计划", "前期", "拟建", "拟", "待建", "待开工", "规划", "立项",
                 "未实施")),
    ("completed", ("完工", "竣工", "验收", "并网", "完成", "建成", "已治理")),
    ("under_construction", ("施工", "在建", "建设中", "治理中", "实施中", "开工", "进行中")),
)
#: value -> filter value, for values that name no filter value (封山育林 counts as 造林)
_VALUE_HINTS = {"封山育林": "造林", "飞播造林": "造林", "退耕还林": "造林", "人工种草": "草原补播",
                "补植补造": "造林", "中幼林抚育": "抚育", "新改建": "改建", "大中修": "维修改造",
                "维修": "维修改造", "改造": "改建"}
_SIDECARS = {".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".qmd", ".lock",
             ".fix", ".aux", ".ovr", ".tfw", ".md", ".txt~", ".bak", ".toml", ".html", ".py",
             ".ipynb", ".log", ".pdf", ".docx", ".doc", ".xls"}
_RASTERS = {".tif", ".tiff", ".img", ".jp2"}


@dataclass
class FoundLayer:
    """One layer found by :func:`scan_folder`, with what was decided about it."""

    file: str
    layer: str | None
    key: str
    role: str  # "layer", "boundary", "townships", "unclassified", "unread", "skipped"
    kind: str | None = None
    reason: str = ""
    driver: str | None = None
    features: int = 0
    geometry_types: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs: str | None = None
    crs_evidence: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    status_values: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    undecided: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=dict)


@dataclass
class InitResult:
    """What :func:`init_project` found and wrote."""

    folder: Path
    path: Path | None
    text: str
    layers: list[FoundLayer]

    def table(self) -> pd.DataFrame:
        """One row per file / layer: what it is, how it was read and what needs a decision."""
        rows = [{"file": f.file, "layer": f.layer, "role": f.role, "kind": f.kind,
                 "driver": f.driver, "features": f.features,
                 "geometry": ", ".join(f.geometry_types), "encoding": f.encoding, "crs": f.crs,
                 "to_decide": len(f.undecided), "reason": f.reason} for f in self.layers]
        return pd.DataFrame(rows, columns=["file", "layer", "role", "kind", "driver", "features",
                                           "geometry", "encoding", "crs", "to_decide",
                                           "reason"])

    @property
    def undecided(self) -> list[str]:
        """Every point that needs a human decision, as ``file:layer: what``."""
        return [f"{f.file}:{f.layer or ''}: {u}" for f in self.layers for u in f.undecided]


def _words(text: str) -> str:
    return normalise_name(text)


def _role_of(names: Sequence[str], fields: Sequence[str]) -> tuple[str | None, str]:
    """The role / kind named by the names (weight 2) and the field names (weight 1)."""
    scores: dict[str, int] = {}
    why: dict[str, str] = {}
    for weight, texts in ((3, names), (1, fields)):
        for text in texts:
            norm = _words(text)
            for role, words in _ROLE_WORDS.items():
                if role in ("boundary", "townships") and weight == 1:
                    continue
                hit = next((w for w in sorted(words, key=len, reverse=True)
                            if _words(w) in norm), None)
                if hit:
                    scores[role] = scores.get(role, 0) + weight
                    why.setdefault(role, f"{hit!r} in {text!r}")
    if not scores:
        return None, ""
    best = max(scores, key=lambda r: scores[r])
    return best, why[best]


def guess_status(value: str) -> str | None:
    """The status a value names: the bundled names, else a status word it contains.

    Examples
    --------
    >>> [guess_status(v) for v in ("已验收", "2023年计划", "正在施工", "未开工", "待定")]
    ['completed', 'planned', 'under_construction', 'planned', None]
    """
    try:
        return Status.parse(value).value
    except ValueError:
        pass
    norm = _words(value)
    for status, words in _STATUS_WORDS:
        if any(w in norm for w in words):
            return status
    return None


def _families(frame: gpd.GeoDataFrame) -> dict[GeometryFamily, int]:
    geoms = frame.geometry.values
    return {f: int(f.mask(geoms).sum()) for f in GeometryFamily if f.mask(geoms).any()}


_KIND_FAMILIES = {"line": (GeometryFamily.LINE,), "polygon": (GeometryFamily.POLYGON,),
                  "point": (GeometryFamily.POINT,),
                  "point_or_polygon": (GeometryFamily.POINT, GeometryFamily.POLYGON),
                  "line_or_polygon": (GeometryFamily.LINE, GeometryFamily.POLYGON),
                  "any": tuple(GeometryFamily)}


def _q(text: Any) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def _k(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _q(text)


def _key_for(stem: str, taken: set[str]) -> str:
    key = re.sub(r"[\s.\[\]\"']+", "_", stem).strip("_") or "layer"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


def _filters_for(kind: str, targets: Sequence[Target]) -> list[Target]:
    return [t for t in targets if t.filter and any(k.value == kind for k in t.kinds)]


def _value_guess(value: str, allowed: Sequence[str]) -> str | None:
    norm = _words(value)
    if norm in {_words(a) for a in allowed}:
        return None  # already matches
    hint = _VALUE_HINTS.get(value.strip())
    if hint is not None and hint in allowed:
        return hint
    hits = [a for a in allowed if _words(a) in norm]
    return max(hits, key=len) if hits else None


def _decide(found: FoundLayer, frame: gpd.GeoDataFrame, targets: Sequence[Target],
            kml_folders: bool) -> None:
    """Fill in geometry, repair, status, folder and value decisions of a classified layer."""
    report = frame.attrs.get("load_report")
    kind = LayerKind.parse(found.kind)
    families = _families(frame)
    wanted = _KIND_FAMILIES[kind.geometry]
    if len(families) > 1:
        keep = [f for f in wanted if f in families]
        if len(keep) == 1:
            other = {f.value: n for f, n in families.items() if f is not keep[0]}
            found.options["geometry"] = f"{keep[0].value}s"
            found.notes.append(f"geometry = \"{keep[0].value}s\": {other} set aside (listed in "
                               "the load report)")
    if report is not None:
        if report.select("geometry.invalid"):
            found.options["repair"] = "make_valid"
            found.notes.append(f"repair = \"make_valid\": {len(report.select('geometry.invalid'))}"
                               " invalid geometry(ies) (e.g. a bow-tie) rebuilt, area before / "
                               "after in the load report")
        if report.select("table.title_row"):
            found.options["header_row"] = _header_row(report)
            found.notes.append(f"header_row = {found.options['header_row']}: a merged title row "
                               "above the column names")
        found.unmapped = [str(c) for c in _unmapped(report)]
        for text, (status, count) in report.status_values.items():
            guess = status or guess_status(text)
            if guess is None:
                found.undecided.append(f"status value {text!r} ({count} features) names no "
                                       "status: add it to status_values")
            else:
                found.status_values[text] = guess
        found.mapped = {n.field: n.message.split("-> ")[-1] for n in report.select("field.mapped")
                        if n.field}
    if kml_folders and "folder" in frame:
        folders = sorted({str(f).split("/")[-1] for f in frame["folder"].dropna()})
        named = {f: guess_status(f) for f in folders}
        if any(named.values()) and "status" not in found.mapped.values():
            found.options["folder_as"] = "status"
            found.notes.append("folder_as = \"status\": the KML folder names say the status")
            for folder, status in named.items():
                if status is None:
                    found.undecided.append(f"folder {folder!r} names no status: add it to "
                                           "status_values")
                else:
                    found.status_values[folder] = status
    if "status" not in found.mapped.values() and "folder_as" not in found.options:
        found.undecided.append("no status field found (fields: " + ", ".join(found.unmapped)
                               + "): map one with fields = { 字段 = \"status\" } or set "
                               "default_status")
    allowed_by: dict[str, list[str]] = {}
    users: dict[str, list[str]] = {}
    for target in _filters_for(found.kind or "", targets):
        for column, allowed in target.filter.items():
            allowed_by.setdefault(column, []).extend(a for a in allowed
                                                     if a not in allowed_by.get(column, []))
            users.setdefault(column, []).append(target.id)
    for column, values in allowed_by.items():
        allowed = tuple(values)
        ids = ", ".join(users[column])
        if column not in frame:
            found.undecided.append(
                f"target(s) {ids} filter on {column} ∈ {{{', '.join(allowed)}}} but the layer "
                f"has no field {column}: map one with fields = {{ 字段 = \"{column}\" }}, or "
                f"link the whole layer with target = \"{users[column][0]}\"")
            continue
        for value in (str(v) for v in frame[column].dropna().unique()):
            guess = _value_guess(value, allowed)
            if guess is not None:
                found.values.setdefault(column, {})[value] = guess
            elif _words(value) not in {_words(a) for a in allowed}:
                found.undecided.append(
                    f"{column} = {value!r} is in no filter of target(s) {ids} "
                    f"({column} ∈ {{{', '.join(allowed)}}}): map it in values.{column}")


def _header_row(report: Any) -> int:
    note = report.select("table.title_row")[0].message
    found = re.search(r"taken from row (\d+)", note)
    return int(found.group(1)) if found else 2


def _unmapped(report: Any) -> list[str]:
    notes = report.select("field.unmapped")
    if not notes:
        return []
    text = notes[0].message.split(": ", 1)[1].split("; to use one")[0]
    return [t.strip() for t in text.split(", ") if t.strip()]


def _candidates(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(folder).parts):
            continue
        files.append(path)
    return files


def scan_folder(folder: str | os.PathLike[str], *,
                targets: Sequence[Target] | None = None) -> list[FoundLayer]:
    """Every file of ``folder`` (recursively): each readable layer with its decisions.

    Files that are no layer format (documents, rasters, shapefile side files) are listed as
    ``skipped``; a layer that cannot be read as ``unread`` with the reason.
    """
    root = Path(folder)
    targets = load_targets() if targets is None else targets
    found: list[FoundLayer] = []
    taken: set[str] = set()
    for path in (_candidates(root) if root.is_dir() else [root]):
        rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
        suffix = path.suffix.lower()
        if suffix in _SIDECARS or path.name in (PROJECT_FILE, "field_aliases.toml"):
            continue
        if suffix in _RASTERS:
            found.append(FoundLayer(rel, None, "", "skipped", reason="a raster: name it in "
                                    "[rasters] (e.g. ndvi_before) to use it"))
            continue
        try:
            source_for(path)
            layers = list_layers(path)
        except CountyGisError as exc:
            found.append(FoundLayer(rel, None, "", "skipped" if isinstance(exc, LayerReadError)
                                    and "unknown format" in str(exc) else "unread",
                                    reason=str(exc)))
            continue
        names = [n for n, g in layers.items() if g not in ("None", "")]
        is_kml = source_for(path).key in ("kml", "kmz")
        groups: list[str | None] = [None] if (is_kml or len(names) <= 1) else list(names)
        for name in groups:
            found.append(_examine(path, rel, name, targets, taken, kml=is_kml))
    return found


def _examine(path: Path, rel: str, name: str | None, targets: Sequence[Target],
             taken: set[str], *, kml: bool) -> FoundLayer:
    stem = name or path.stem
    layer = FoundLayer(rel, name, "", "unread")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            frame = read_layer(path, layer=name)
        except CountyGisError as exc:
            layer.key = _key_for(stem, taken)
            layer.reason = f"cannot be read: {exc}"
            return layer
    report = frame.attrs["load_report"]
    layer.driver, layer.features = report.driver, len(frame)
    layer.geometry_types = list(report.geometry_types)
    layer.encoding = report.encoding
    layer.crs, layer.crs_evidence = report.crs_decision, report.crs_evidence
    layer.notes += [f"{n.code}: {n.message}" for n in report.assumptions
                    if not n.code.startswith("crs.")]
    parts = [*Path(rel).with_suffix("").parts, *([name] if name else [])]
    fields = [str(c) for c in frame.columns] + [n.field or "" for n in report.select("field")]
    role, why = _role_of(parts, fields)
    families = _families(frame)
    layer.key = _key_for(stem, taken)
    if role in ("boundary", "townships"):
        if GeometryFamily.POLYGON not in families:
            role, why = None, f"named like a {role} ({why}) but holds no polygons"
        elif role == "boundary" and len(frame) != 1:
            role, why = "townships", f"{why}; {len(frame)} polygons, taken as townships"
        layer.role, layer.reason = (role or "unclassified"), why
        return layer
    if role is None:
        layer.role = "unclassified"
        layer.reason = ("its file, layer and field names name no layer kind; set kind = one "
                        f"of {', '.join(k.value for k in LayerKind)}")
        return layer
    kind = LayerKind.parse(role)
    if not any(f in families for f in _KIND_FAMILIES[kind.geometry]):
        layer.role = "unclassified"
        layer.reason = (f"named like {kind.value} ({why}) but its geometries "
                        f"({', '.join(layer.geometry_types) or 'none'}) are not "
                        f"{kind.geometry.replace('_', ' ')}s")
        return layer
    layer.role, layer.kind, layer.reason = "layer", kind.value, why
    _decide(layer, frame, targets, kml)
    return layer


def _layer_toml(f: FoundLayer) -> list[str]:
    lines = [f"# {f.file}{':' + f.layer if f.layer else ''} — {f.driver}, {f.features} 个要素 "
             f"({', '.join(f.geometry_types)}); 编码 encoding {f.encoding}; CRS {f.crs}"]
    if f.crs_evidence:
        lines.append(f"#   CRS evidence: {f.crs_evidence}")
    lines.append(f"#   kind guessed from {f.reason}")
    lines += [f"#   {n}" for n in f.notes]
    if f.mapped:
        lines.append("#   fields mapped by the bundled aliases: "
                     + ", ".join(f"{k} -> {v}" for k, v in f.mapped.items()))
    if f.unmapped:
        lines.append(f"#   fields kept as they are (not mapped): {', '.join(f.unmapped)}")
    lines += [f"#   TO DECIDE: {u}" for u in f.undecided]
    lines += [f"[layers.{_k(f.key)}]", f"path = {_q(f.file)}"]
    if f.layer:
        lines.append(f"layer = {_q(f.layer)}")
    lines.append(f"kind = {_q(f.kind)}")
    for key, value in f.options.items():
        lines.append(f"{key} = {value if isinstance(value, int) else _q(value)}")
    if f.status_values:
        lines.append(f"[layers.{_k(f.key)}.status_values]  # source value -> status")
        lines += [f"{_q(k)} = {_q(v)}" for k, v in f.status_values.items()]
    for column, table in f.values.items():
        lines.append(f"[layers.{_k(f.key)}.values.{_k(column)}]  # source value -> filter value")
        lines += [f"{_q(k)} = {_q(v)}" for k, v in table.items()]
    return lines


def render_toml(folder: Path, found: Sequence[FoundLayer], *, name: str) -> str:
    """The commented ``project.toml`` text for what :func:`scan_folder` found."""
    out = [f"# project.toml written by `county-gis init {folder.name}`: review every comment,",
           "# then run `county-gis progress .` / `county-gis map .` (keys: docs/project.md).",
           "# 请核对每条注释 (特别是 TO DECIDE), 然后运行 county-gis progress / map.",
           f"name = {_q(name)}", ""]
    kinds = sorted({f.kind for f in found if f.kind})
    out += ["[targets]", "file = \"bundled\"   # the 2023 targets of the county work report",
            f"# the targets of the kinds found ({', '.join(kinds) or 'none'}); list ids to "
            "choose: include = [\"afforestation\", ...]",
            "include = \"present\"", ""]
    boundary = next((f for f in found if f.role == "boundary"), None)
    if boundary is not None:
        out += [f"# boundary: {boundary.reason}; CRS {boundary.crs}", "[boundary]",
                f"path = {_q(boundary.file)}"]
        out += [f"layer = {_q(boundary.layer)}"] if boundary.layer else []
    else:
        out += ["# no county boundary file found: the boundary bundled with county_gis",
                "# (阜新蒙古族自治县) is used; replace with path = \"...\" for your own.",
                "[boundary]", "bundled = true"]
    out.append("")
    towns = next((f for f in found if f.role == "townships"), None)
    if towns is not None:
        out += [f"# townships: {towns.reason}", "[townships]", f"path = {_q(towns.file)}"]
        out += ([f"layer = {_q(towns.layer)}"] if towns.layer else []) + [""]
    for f in found:
        if f.role == "layer":
            out += [*_layer_toml(f), ""]
    for f in found:
        if f.role in ("unclassified", "unread") or (f.role in ("boundary", "townships")
                                                     and f not in (boundary, towns)):
            out.append(f"# NOT USED — {f.file}{':' + f.layer if f.layer else ''}: "
                       f"{f.reason.splitlines()[0] if f.reason else f.role}")
            out += [f"# [layers.{_k(f.key or 'layer')}]", f"# path = {_q(f.file)}"]
            out += [f"# layer = {_q(f.layer)}"] if f.layer else []
            out += ["# kind = \"...\"", ""]
    skipped = [f for f in found if f.role == "skipped"]
    if skipped:
        out.append("# files that are no layer: " + "; ".join(
            f"{f.file} ({f.reason.split(';')[0]})" for f in skipped))
    return "\n".join(out).rstrip() + "\n"


def init_project(folder: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                 overwrite: bool = False, name: str | None = None,
                 write: bool = True) -> InitResult:
    """Scan ``folder`` and write a commented ``project.toml`` for review.

    Parameters
    ----------
    folder : path-like
        The folder of the planner's files (scanned recursively; archives too).
    out : path-like, optional
        Where to write; default ``<folder>/project.toml`` (paths in it are relative to its
        folder, so ``out`` must be inside ``folder``).
    overwrite : bool, default False
        Replace an existing file (CLI: ``--overwrite``).
    name : str, optional
        The project's name; default the folder's name.
    write : bool, default True
        False: return the text without writing it.

    Returns
    -------
    InitResult
        ``path`` written, ``text``, ``layers`` (a :class:`FoundLayer` each) and ``table()``.

    Raises
    ------
    ConfigError
        If ``folder`` is not a folder or holds no readable layer.
    OutputExistsError
        If the file exists and ``overwrite`` is False.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"{root} is not a folder; give the folder that holds your layer "
                          "files / 请给出存放图层文件的文件夹")
    target = Path(out) if out is not None else root / PROJECT_FILE
    found = scan_folder(root)
    if not any(f.role == "layer" for f in found) and not any(
            f.role in ("unclassified", "boundary") for f in found):
        raise ConfigError(f"{root}: no readable layer found (files: "
                          f"{', '.join(f.file for f in found) or 'none'}); supported formats: "
                          "docs/io.md / 文件夹中没有可读取的图层")
    text = render_toml(root, found, name=name or root.resolve().name)
    tomllib.loads(text)  # what is written must parse
    path = None
    if write:
        with atomic_path(target, overwrite=overwrite) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        path = target
    return InitResult(folder=root, path=path, text=text, layers=found)


def guess_project(path: str | os.PathLike[str]) -> tuple[Project, InitResult]:
    """A project from one layer file, or a folder without ``project.toml``, as init guesses it.

    Nothing is written; the guesses are those ``init`` would write (see its result). A
    layer file whose kind cannot be guessed gives its layers with no targets (as
    :func:`~county_gis.project.load_project` reads a layer file).

    Raises
    ------
    ConfigError
        If no layer kind could be guessed; the message says to run ``county-gis init``.
    """
    given = Path(path)
    root = given if given.is_dir() else given.parent
    found = scan_folder(given)
    if given.is_file():
        for f in found:
            f.file = given.name
    if not any(f.role == "layer" for f in found) and given.is_file():
        return load_project(given), InitResult(folder=root, path=None, text="", layers=found)
    if not any(f.role == "layer" for f in found):
        reasons = "; ".join(f"{f.file}: {f.reason}" for f in found if f.reason) or "no layer"
        raise ConfigError(f"{given}: no layer whose kind could be guessed ({reasons}); run "
                          f"`county-gis init {root}` and set kind = \"...\" in project.toml")
    text = render_toml(root, found, name=given.stem)
    project = load_project_data(tomllib.loads(text), root=root, where=str(given))
    return project, InitResult(folder=root, path=None, text=text, layers=found)
