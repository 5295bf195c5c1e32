"""The zone layers of a project: ``[zones.*]`` of project.toml, read and recognised.

A zone table names a layer (SHP, GPKG, FileGDB ``.gdb`` folder ...), its version and effective
date; ``type`` is optional when the layer can be recognised: by its name or file name
(``STBHHX``, ``YJJBNTBHTB``, ``CZKFBJ``, 生态保护红线 ...) and its fields (``JBNTTBBH``,
``KCXS`` with ``DLBM`` → 永久基本农田 ...). Evidence for two types, or none, is refused with
the evidence listed and the fix (``type = "..."``), never guessed.

Examples
--------
>>> detect_zone_type("YJJBNTBHTB", ["DLBM", "TBMJ", "KCXS"])[0]
<ZoneType.FARMLAND: '永久基本农田'>
>>> detect_zone_type("红线与开发边界", [])
Traceback (most recent call last):
...
county_gis.errors.ConfigError: 红线与开发边界: the zone type is ambiguous: 生态保护红线 (name \
contains '红线'), 城镇开发边界 (name contains '开发边界'); add type = "..." to its [zones.*] table \
(one of 生态保护红线 (STBHHX), 永久基本农田 (YJJBNTBHTB), 城镇开发边界 (CZKFBJ))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from ..crs import CGCS2000
from ..errors import ConfigError, DataError, unknown_keys
from ..project import Project
from ._rules import ZoneType

__all__ = ["ZoneLayer", "detect_zone_type", "project_zones"]

_ZONE_KEYS = {"path", "layer", "type", "version", "effective", "label", "encoding", "crs",
              "source_crs"}

#: Name fragments (upper-cased) -> zone type; the codes and the Chinese names.
_NAME_HINTS: dict[str, ZoneType] = {
    "STBHHX": ZoneType.ECOLOGICAL_REDLINE, "生态保护红线": ZoneType.ECOLOGICAL_REDLINE,
    "红线": ZoneType.ECOLOGICAL_REDLINE,
    "YJJBNT": ZoneType.FARMLAND, "永久基本农田": ZoneType.FARMLAND, "基本农田": ZoneType.FARMLAND,
    "CZKFBJ": ZoneType.URBAN_BOUNDARY, "城镇开发边界": ZoneType.URBAN_BOUNDARY,
    "开发边界": ZoneType.URBAN_BOUNDARY,
}
#: Field sets (upper case) that identify a zone type; any one set is evidence.
_FIELD_HINTS: dict[ZoneType, tuple[frozenset[str], ...]] = {
    ZoneType.FARMLAND: (frozenset({"JBNTTBBH"}), frozenset({"YJJBNTTBBH"}),
                        frozenset({"DLBM", "KCXS"})),
    ZoneType.ECOLOGICAL_REDLINE: (frozenset({"HXBH"}), frozenset({"STHXBH"}),
                                  frozenset({"STBHHXBH"})),
    ZoneType.URBAN_BOUNDARY: (frozenset({"KFBJBH"}), frozenset({"CZKFBJBH"})),
}


def detect_zone_type(name: str, columns: Iterable[str]) -> tuple[ZoneType, str]:
    """The zone type of a layer named ``name`` with ``columns``, and the evidence.

    Raises
    ------
    ConfigError
        If the evidence points to no type or to more than one.
    """
    evidence: dict[ZoneType, list[str]] = {}
    upper = name.upper()
    for hint, zone in _NAME_HINTS.items():
        if hint in upper and not any(hint in longer and longer in upper and longer != hint
                                     for longer in _NAME_HINTS):
            evidence.setdefault(zone, []).append(f"name contains {hint!r}")
    fields = {str(c).upper() for c in columns}
    for zone, sets in _FIELD_HINTS.items():
        for wanted in sets:
            if wanted <= fields:
                evidence.setdefault(zone, []).append(f"fields {', '.join(sorted(wanted))}")
    fix = (f"add type = \"...\" to its [zones.*] table (one of {ZoneType._allowed()})")
    if len(evidence) == 1:
        zone, why = next(iter(evidence.items()))
        return zone, "; ".join(why)
    if not evidence:
        raise ConfigError(f"{name}: the zone type cannot be recognised (no code such as "
                          f"STBHHX / YJJBNTBHTB / CZKFBJ in its name, no telling fields); {fix}")
    found = ", ".join(f"{z.value} ({'; '.join(w)})" for z, w in evidence.items())
    raise ConfigError(f"{name}: the zone type is ambiguous: {found}; {fix}")


@dataclass
class ZoneLayer:
    """One zone dataset: its type, where it comes from, version, effective date, features.

    Attributes
    ----------
    type : ZoneType
    frame : GeoDataFrame
        Polygons in EPSG:4490 with their source fields (``DLBM``, ``TBMJ``, ``KCXS`` ...).
    dataset : str
        ``file:layer`` (relative to the project folder).
    version, effective : str
        As declared in project.toml (``effective``: ISO date).
    label : str
        A note shown with every result (e.g. "合成数据，非法定成果").
    evidence : str
        How the type was decided (declared, or the detection's evidence).
    name : str
        The ``[zones.<name>]`` key.
    """

    type: ZoneType
    frame: gpd.GeoDataFrame
    dataset: str
    version: str
    effective: str
    label: str = ""
    evidence: str = "declared"
    name: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # upper-case name -> column

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame, *, type: ZoneType | str | None = None,
                   version: str, effective: str, dataset: str = "<memory>",
                   label: str = "", name: str = "") -> ZoneLayer:
        """A zone layer from a GeoDataFrame (any CRS); ``type`` detected when None.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> frame = gpd.GeoDataFrame({"DLBM": ["0101"], "KCXS": [0.08], "TBMJ": [1.0]},
        ...     geometry=[box(121.6, 42.0, 121.61, 42.01)], crs="EPSG:4490")
        >>> z = ZoneLayer.from_frame(frame, version="2023", effective="2023-01-01")
        >>> z.type.value, z.evidence
        ('永久基本农田', 'fields DLBM, KCXS')
        """
        if frame.crs is None:
            raise ConfigError(f"zone layer {dataset} has no CRS; set it (gdf.set_crs(...)) or "
                              "read it with county_gis.read_layer")
        if not frame.crs.equals(CGCS2000):
            frame = frame.to_crs(CGCS2000)
        if type is None:
            zone, evidence = detect_zone_type(name or dataset, frame.columns)
        else:
            zone, evidence = ZoneType.parse(type), "declared"
        _check_polygons(frame, dataset)
        columns = {str(c).upper(): str(c) for c in frame.columns if c != frame.geometry.name}
        return cls(zone, frame, dataset, str(version), str(effective), label, evidence, name,
                   columns)

    def column(self, code: str) -> str | None:
        """The column named ``code`` in any case (``TBMJ``, ``tbmj``), or None."""
        return self.columns.get(code.upper())


def _check_polygons(frame: gpd.GeoDataFrame, dataset: str) -> None:
    types = shapely.get_type_id(frame.geometry.values)
    bad = [i for i, t in enumerate(types) if t not in (3, 6, -1)]
    if bad:
        fids = frame["source_fid"].iloc[bad[:5]].tolist() if "source_fid" in frame else bad[:5]
        raise DataError(f"{dataset}#{fids[0]}: zone layers hold polygons, this one holds "
                        f"{frame.geometry.iloc[bad[0]].geom_type} ({len(bad)} such features, "
                        f"fids {fids}); drop them or buffer the lines into polygons first")


def _check_table(key: str, table: Any, root: Path, problems: list[str]) -> None:
    where = f"[zones.{key}]"
    if not isinstance(table, Mapping):
        problems.append(f"{where} must be a table with path, version and effective")
        return
    unknown = unknown_keys(table, _ZONE_KEYS)
    if unknown:
        problems.append(f"{where} {unknown}")
    if not isinstance(table.get("path"), str):
        problems.append(f"{where} needs path = \"<file or .gdb folder relative to project.toml>\"")
    elif not (root / table["path"]).exists():
        problems.append(f"{where} path {table['path']!r}: {root / table['path']} does not exist")
    if "type" in table:
        try:
            ZoneType.parse(table["type"])
        except ValueError as exc:
            problems.append(f"{where} {exc}")
    for key_ in ("version", "effective"):
        if not str(table.get(key_, "")).strip():
            problems.append(f"{where} needs {key_} = \"...\" (a 无冲突 result names the "
                            "dataset, version and effective date it was checked against)")
    effective = table.get("effective")
    if isinstance(effective, str) and effective.strip():
        try:
            dt.date.fromisoformat(effective.strip())
        except ValueError:
            problems.append(f"{where} effective = {effective!r} is not a date (YYYY-MM-DD)")


def project_zones(project: Project) -> list[ZoneLayer]:
    """The zone layers declared in the project's ``[zones.*]`` tables, read and typed.

    Raises
    ------
    ConfigError
        Every problem of the tables at once; an unrecognisable or ambiguous type.
    LayerReadError, CRSError
        From :func:`county_gis.read_layer`.
    """
    from ..io import read_layer

    tables = project.sections.get("zones", {})
    if not tables:
        return []
    root = project.root if project.root is not None else Path.cwd()
    if not isinstance(tables, Mapping):
        raise ConfigError("[zones] must hold one [zones.<name>] table per zone layer")
    problems: list[str] = []
    for key, table in tables.items():
        _check_table(str(key), table, root, problems)
    if problems:
        raise ConfigError(f"{root / 'project.toml'}: {len(problems)} problem(s) in [zones]: "
                          + "; ".join(problems))
    out = []
    for key, table in tables.items():
        options = {k: table[k] for k in ("layer", "encoding", "crs", "source_crs") if k in table}
        frame = read_layer(root / table["path"], **options)
        layer = table.get("layer") or Path(table["path"]).stem
        dataset = f"{table['path']}:{layer}"
        name = f"{layer} {Path(table['path']).stem} {key}"
        out.append(ZoneLayer.from_frame(
            frame, type=table.get("type"), version=str(table["version"]),
            effective=str(table["effective"]).strip(), dataset=dataset,
            label=str(table.get("label", "")), name=name))
    return out
