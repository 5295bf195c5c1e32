"""界址点 TXT: the 勘测定界 boundary-point file every 用地预审 system ingests; read and write.

The layout (国土资源部 勘测定界 界址点坐标交换格式)::

    [属性描述]
    格式版本号=1.01版本
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=41
    精度=0.001
    [地块坐标]
    5,1.2345,ZL-01,扎兰营子造林,面,,造林,,@
    J1,1,4662000.000,41420000.000
    ...

Each 地块 starts with ``界址点数,地块面积(公顷),地块编号,地块名称,图形属性(面/线/点),图幅号,
地块用途,地类编码,@``; its points are ``点号,圈号,X,Y`` where **X is the northing** and Y the
easting (with or without the zone number in front). 圈号 1 is the outer ring; a further ring
inside it is a hole, outside it another part of the 地块. The CRS comes from 坐标系 (2000 /
80 西安 / 54 北京), 几度分带 (3 or 6) and 带号, and a zone prefix on Y must agree with 带号.

Examples
--------
>>> import tempfile, pathlib, geopandas as gpd
>>> from shapely.geometry import box
>>> plots = gpd.GeoDataFrame({"project_id": ["ZL-01"], "name": ["扎兰营子造林"]},
...     geometry=[box(121.60, 42.10, 121.61, 42.11)], crs="EPSG:4490")
>>> out = write_jzd(plots, pathlib.Path(tempfile.mkdtemp()) / "界址点.txt")
>>> lines = out.read_text(encoding="gb18030").splitlines()
>>> lines[8], lines[12], lines[13]
('带号=41', '5,91.8753,ZL-01,扎兰营子造林,面,,,,@', 'J1,1,4663679.480,41385016.763')
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from .._atomic import atomic_path
from ..crs import CGCS2000, gk_zone_of_longitude
from ..errors import ConfigError, DataError, LayerReadError
from ..measure import geodesic_area
from ._engines import RawLayer
from ._report import Severity
from ._text import decode_text

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["SNIFF", "jzd_layers", "read_jzd", "write_jzd"]

#: Section headers that tell a 界址点 TXT from a CSV with the same suffix (UTF-8 and GBK).
SNIFF = tuple(h.encode(c) for h in ("[属性描述]", "[地块坐标]") for c in ("utf-8", "gb18030"))
_SHAPES = {"面": "Polygon", "线": "LineString", "点": "Point"}
#: (datum, degrees) -> (first zone, EPSG of it with the zone prefix, EPSG without)
_EPSG = {("CGCS2000", 3): (25, 4513, 4534), ("Xian 1980", 3): (25, 2349, 2370),
         ("Beijing 1954", 3): (25, 2401, 2422), ("CGCS2000", 6): (13, 4491, 4502),
         ("Xian 1980", 6): (13, 2327, 2338), ("Beijing 1954", 6): (13, 21413, 21453)}


def _datum(text: str) -> str | None:
    if "2000" in text:
        return "CGCS2000"
    if "80" in text or "西安" in text:
        return "Xian 1980"
    if "54" in text or "北京" in text:
        return "Beijing 1954"
    return None


def _sections(text: str, where: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    header: dict[str, str] = {}
    body: list[tuple[int, str]] = []
    section = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "属性描述":
            key, _, value = line.partition("=")
            header[key.strip()] = value.strip()
        elif section == "地块坐标":
            body.append((number, line))
    if not body:
        raise LayerReadError(f"{where}: no [地块坐标] section with 地块 (is this a 界址点 TXT?)")
    return header, body


def _crs(header: dict[str, str], easting: np.ndarray, where: str) -> tuple[CRS, str]:
    datum = _datum(header.get("坐标系", ""))
    if datum is None:
        raise LayerReadError(f"{where}: [属性描述] 坐标系={header.get('坐标系', '')!r} names no "
                             "known datum; allowed: 2000国家大地坐标系, 1980西安坐标系, "
                             "1954北京坐标系 (fix the header or pass crs=)")
    try:
        degrees = int(float(header.get("几度分带", "3") or 3))
        zone = int(float(header["带号"]))
    except (KeyError, ValueError):
        raise LayerReadError(f"{where}: [属性描述] needs 带号=<zone> (and 几度分带=3 or 6); "
                             f"found 带号={header.get('带号')!r}, 几度分带="
                             f"{header.get('几度分带')!r}") from None
    if (datum, degrees) not in _EPSG:
        raise LayerReadError(f"{where}: 几度分带={degrees} is not 3 or 6")
    first, prefixed, plain = _EPSG[(datum, degrees)]
    prefixes = np.unique(np.floor(easting / 1e6).astype(int))
    said = f"坐标系={header.get('坐标系')}, 几度分带={degrees}, 带号={zone}"
    if (prefixes >= 10).all():
        if len(prefixes) != 1 or prefixes[0] != zone:
            raise LayerReadError(f"{where}: the Y coordinates carry zone prefix(es) "
                                 f"{prefixes.tolist()} but [属性描述] says 带号={zone}; "
                                 "fix the header or the coordinates")
        epsg = prefixed + zone - first
        evidence = f"{said}, Y with prefix"
    elif (prefixes < 10).all():
        epsg = plain + zone - first
        evidence = f"{said}, Y without prefix"
    else:
        raise LayerReadError(f"{where}: some Y coordinates carry a zone prefix and some do not")
    return CRS.from_epsg(epsg), f"[属性描述] {evidence} -> EPSG:{epsg}"


def _geometry(shape: str, rings: dict[int, list[tuple[float, float]]]) -> shapely.Geometry:
    if shape == "Point":
        return shapely.multipoints([p for ring in rings.values() for p in ring])
    if shape == "LineString":
        lines = [shapely.linestrings(r) for r in rings.values()]
        return lines[0] if len(lines) == 1 else shapely.multilinestrings(lines)
    parts: list[list[Any]] = []
    for number in sorted(rings):
        ring = rings[number]
        if ring[0] != ring[-1]:
            ring = [*ring, ring[0]]
        outer = next((p for p in parts if shapely.contains(shapely.Polygon(p[0]),
                                                           shapely.Point(ring[0]))), None)
        if outer is not None and number != 1:
            outer[1].append(ring)
        else:
            parts.append([ring, []])
    polygons = [shapely.Polygon(shell, holes) for shell, holes in parts]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def jzd_layers(path: Path) -> dict[str, str]:
    """A 界址点 TXT holds one layer, named for the file."""
    return {path.stem: "Polygon"}


def read_jzd(path: Path, request: ReadRequest) -> RawLayer:
    """Read the 地块 of a 界址点 TXT (encoding decided from the bytes, CRS from the header).

    Raises
    ------
    LayerReadError
        A missing section, an unknown datum, a zone prefix that contradicts 带号, a 地块 whose
        point count or lines are wrong (named by line number).
    """
    report = request.report
    report.engine = "county_gis"  # parsed here, whatever the engine
    report.layer = report.layer or path.stem
    where = str(request.path)
    text = decode_text(path.read_bytes(), declared=request.encoding, report=report)
    header, body = _sections(text, where)
    parcels: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for number, line in body:
        cells = [c.strip() for c in line.split(",")]
        if cells[-1] == "@":
            if current is not None and current["left"]:
                raise LayerReadError(f"{where} line {current['line']}: 地块 "
                                     f"{current['id']!r} declares {current['count']} points "
                                     f"but has {current['count'] - current['left']}")
            cells += [""] * (9 - len(cells))
            try:
                count = int(cells[0])
            except ValueError:
                raise LayerReadError(f"{where} line {number}: 界址点数 {cells[0]!r} is not a "
                                     "number") from None
            shape = _SHAPES.get(cells[4] or "面")
            if shape is None:
                raise LayerReadError(f"{where} line {number}: 图形属性 {cells[4]!r}; allowed: "
                                     "面, 线, 点")
            current = {"line": number, "count": count, "left": count, "id": cells[2],
                       "shape": shape, "rings": {}, "cells": cells}
            parcels.append(current)
            continue
        if current is None or len(cells) < 4:
            raise LayerReadError(f"{where} line {number}: expected 点号,圈号,X,Y after a 地块 "
                                 f"line, got {line!r}")
        try:
            ring, north, east = int(float(cells[1])), float(cells[2]), float(cells[3])
        except ValueError:
            raise LayerReadError(f"{where} line {number}: 圈号, X or Y is not a number: "
                                 f"{line!r}") from None
        current["rings"].setdefault(ring, []).append((east, north))
        current["left"] -= 1
    if current is not None and current["left"]:
        raise LayerReadError(f"{where} line {current['line']}: 地块 {current['id']!r} declares "
                             f"{current['count']} points but has "
                             f"{current['count'] - current['left']}")
    eastings = np.array([p[0] for c in parcels for r in c["rings"].values() for p in r])
    crs, evidence = _crs(header, eastings, where)
    report.add("jzd.header", "[属性描述]: " + ", ".join(f"{k}={v}" for k, v in header.items())
               + f"; CRS: {evidence}", severity=Severity.INFO)
    geoms = [_geometry(p["shape"], p["rings"]) for p in parcels]
    rows = [p["cells"] for p in parcels]
    area = pd.to_numeric(pd.Series([r[1] for r in rows]), errors="coerce")
    attributes = pd.DataFrame({
        "project_id": [r[2] or None for r in rows], "name": [r[3] or None for r in rows],
        "面积(公顷)": area, "图形属性": [r[4] for r in rows], "图幅号": [r[5] for r in rows],
        "地块用途": [r[6] for r in rows], "地类编码": [r[7] for r in rows],
        "界址点数": [p["count"] for p in parcels]})
    return RawLayer(attributes=attributes,
                    wkb=np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
                    fids=np.arange(1, len(parcels) + 1, dtype=np.int64), crs_wkt=crs.to_wkt(),
                    driver="界址点TXT", geometry_type="Polygon")


def write_jzd(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    zone: int | None = None,
    overwrite: bool = False,
    encoding: str = "gb18030",
    id_field: str = "project_id",
    name_field: str = "name",
    use_field: str | None = None,
    header: Sequence[tuple[str, str]] = (),
) -> Path:
    """Write the polygons of ``gdf`` as a 界址点 TXT (CGCS2000, 3° zone, Y with its prefix).

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons or multipolygons in any CRS (a project layer, or features selected from it).
    path : path-like
        The TXT file; written atomically, never replacing one without ``overwrite``.
    zone : int, optional
        The 3° Gauss-Krüger zone (40 or 41 here). Default: the zone of the layer's centre.
    overwrite : bool, default False
        Replace an existing file (CLI ``--overwrite``).
    encoding : str, default "gb18030"
        The text encoding (用地预审 systems expect GBK; GB18030 is its superset).
    id_field, name_field, use_field : str
        Columns written as 地块编号, 地块名称 and 地块用途.
    header : sequence of (key, value)
        More ``[属性描述]`` lines (数据产生单位 ...).

    Returns
    -------
    Path

    Raises
    ------
    DataError
        A feature that is not a polygon (named by its row and ``project_id``).
    """
    if gdf.crs is None:
        raise ConfigError("the layer has no CRS; set it (gdf.set_crs(...)) before write_jzd")
    frame = gdf.to_crs(CGCS2000)
    geoms = frame.geometry.values
    bad = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6)))
    if len(bad):
        row = int(bad[0])
        ident = frame[id_field].iloc[row] if id_field in frame else row
        raise DataError(f"row {row} ({ident}): a 界址点 TXT holds 地块 polygons, this is "
                        f"{'empty' if geoms[row] is None else geoms[row].geom_type}; select "
                        "the polygons first")
    if zone is None:
        minx, _, maxx, _ = frame.total_bounds
        zone = int(gk_zone_of_longitude((minx + maxx) / 2.0))
    first, prefixed, _ = _EPSG[("CGCS2000", 3)]
    to_gk = Transformer.from_crs(CGCS2000, CRS.from_epsg(prefixed + zone - first),
                                 always_xy=True)
    hectares = geodesic_area(frame, unit="ha").to_numpy()
    lines = ["[属性描述]", "格式版本号=1.01版本", "数据产生单位=", "数据产生日期=",
             "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米",
             f"带号={zone}", "精度=0.001", "转换参数=,,,,,,",
             *(f"{k}={v}" for k, v in header), "[地块坐标]"]
    for i, geom in enumerate(geoms):
        rings = [ring for poly in shapely.get_parts(geom)
                 for ring in (poly.exterior, *poly.interiors)]
        points: list[str] = []
        counter = 0
        for number, ring in enumerate(rings, start=1):
            coords = np.asarray(ring.coords)
            east, north = to_gk.transform(coords[:, 0], coords[:, 1])
            labels = [f"J{counter + k + 1}" for k in range(len(coords) - 1)]
            counter += len(labels)
            labels.append(labels[0])  # the closing point repeats the first
            points += [f"{label},{number},{n:.3f},{e:.3f}" for label, n, e in zip(
                labels, north, east, strict=True)]
        cells = [str(len(points)), f"{hectares[i]:.4f}",
                 _cell(frame[id_field].iloc[i]) if id_field in frame else "",
                 _cell(frame[name_field].iloc[i]) if name_field in frame else "", "面", "",
                 _cell(frame[use_field].iloc[i]) if use_field and use_field in frame else "",
                 "", "@"]
        lines += [",".join(cells), *points]
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return Path(path)


_UNSAFE = re.compile(r"[,\r\n@]")


def _cell(value: Any) -> str:
    """A value as a 界址点 TXT cell: no comma, line break or ``@`` (they end a cell / line)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return _UNSAFE.sub(" ", str(value))
