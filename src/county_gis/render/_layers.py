"""Layers for the page: trimmed, simplified, delta-encoded geometry and the shown columns.

What a browser needs is much less than what a GeoDataFrame holds. Each layer is sent as

- the shown columns only (Chinese labels, measured 亩 / 公里 added), column by column;
- geometry simplified at display tolerance (``simplify_m``, default 0.5 m: under a pixel
  at zoom 18), rounded to 1e-6 degree (about 0.1 m), written as integer deltas (x, y
  interleaved) in one flat array, zigzag + varint coded and base64 text (about 2.7
  characters per delta instead of 4-5 as JSON numbers), with GeoArrow-style offsets
  (coordinates → rings → parts → features);
- features sorted into grid buckets (``bucket_deg``) with their bounding boxes and
  totals, so the page can draw very large layers bucket by bucket (detail on demand).

Values are serialised with :func:`~county_gis.render._escape.script_json`; nothing here
is HTML.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from county_gis.render._layers import encode_geometries
>>> enc = encode_geometries(gpd.GeoSeries([box(121.5, 42.0, 121.501, 42.001)]).values)
>>> enc["dim"], decode_coords(enc["coords"]).tolist()
(2, [121501000, 42000000, 0, 1000, -1000, 0, 0, -1000, 1000, 0])
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import CGCS2000
from ..measure import geodesic_area, geodesic_length
from ..vocabulary import CANONICAL_COLUMNS, LayerKind, Status
from . import _style
from ._escape import RawJSON

__all__ = [
    "DEFAULT_FIELDS",
    "KIND_COLOURS",
    "decode_coords",
    "encode_coords",
    "encode_geometries",
    "layer_kind",
    "prepare_layer",
    "prepare_outline",
]

logger = logging.getLogger(__name__)

#: Metres per degree of latitude (the tolerance in degrees is conservative in longitude).
_M_PER_DEG = 111_320.0

#: Columns shown in popups, in order, with their Chinese labels.
DEFAULT_FIELDS: dict[str, str] = {
    "name": "项目名称",
    "project_id": "项目编号",
    "kind": "类型",
    "status": "状态",
    "township": "乡镇",
    "year": "年度",
    "work_type": "建设内容",
    "target": "对应目标",
    "capacity_kw": "装机容量(千瓦)",
    "floor_area_m2": "建筑面积(平方米)",
    "stated_area_mu": "填报面积(亩)",
    "stated_length_km": "填报长度(公里)",
    "stated_gap": "填报与实测",
    "ndvi_verdict": "遥感核查",
}
#: columns county_gis adds that are no attribute of the source (not shown in popups)
_INTERNAL = frozenset({"source_fid", "geometry", "layer", "kml_id", "description"})
AREA_FIELD = ("area_mu", "测算面积(亩)")
LENGTH_FIELD = ("length_km", "测算长度(公里)")

#: One colour per layer kind: the shared style vocabulary (:mod:`._style`).
KIND_COLOURS = _style.KIND_COLOURS


def encode_coords(values: np.ndarray) -> str:
    """Signed integers as zigzag varints (LEB128), base64 text.

    Examples
    --------
    >>> encode_coords(np.array([0, -1, 1, 300, -121501000]))
    'AAEC2ASP1e9z'
    """
    v = np.asarray(values, dtype=np.int64)
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    nbytes = np.ones(len(z), dtype=np.int64)
    rest = z >> np.uint64(7)
    while rest.any():
        nbytes += rest > 0
        rest >>= np.uint64(7)
    starts = np.cumsum(nbytes) - nbytes
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    for k in range(int(nbytes.max()) if len(z) else 0):
        mask = nbytes > k
        byte = (z[mask] >> np.uint64(7 * k)) & np.uint64(0x7F)
        byte |= np.where(nbytes[mask] > k + 1, np.uint64(0x80), np.uint64(0))
        out[starts[mask] + k] = byte.astype(np.uint8)
    return base64.b64encode(out.tobytes()).decode("ascii")


def decode_coords(text: str) -> np.ndarray:
    """Inverse of :func:`encode_coords` (for tests and checks; the page decodes in JS).

    Examples
    --------
    >>> decode_coords('AAEC2ASP1e9z').tolist()
    [0, -1, 1, 300, -121501000]
    """
    out, value, shift = [], 0, 0
    for byte in base64.b64decode(text):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            out.append((value >> 1) ^ -(value & 1))
            value, shift = 0, 0
    return np.array(out, dtype=np.int64)


def _ints(values: np.ndarray) -> RawJSON:
    return RawJSON("[" + ",".join(map(str, np.asarray(values, dtype=np.int64).tolist())) + "]")


def encode_geometries(
    geoms: np.ndarray,
    *,
    simplify_m: float = 0.5,
    precision: int = 6,
    gcj02: bool = False,
) -> dict[str, Any]:
    """Encode geometries of one dimension for the page.

    Parameters
    ----------
    geoms : array of shapely geometries
        Longitude / latitude (CGCS2000), all points, all lines or all polygons
        (single or multi), none empty.
    simplify_m : float, default 0.5
        Simplification tolerance in metres (0 keeps every vertex).
    precision : int, default 6
        Decimal places kept (6 ≈ 0.1 m).
    gcj02 : bool, default False
        Shift coordinates to GCJ-02 (for the 高德 basemap).

    Returns
    -------
    dict
        ``dim`` (0, 1, 2), ``scale`` (10**precision), ``coords`` (flat deltas of the
        scaled integer coordinates, x then y, as :func:`encode_coords` text), and the
        offsets ``rings`` (polygons), ``parts`` (lines and polygons) and ``geoms``.
    """
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m / _M_PER_DEG, preserve_topology=True)
    gtype, coords, offsets = shapely.to_ragged_array(geoms)
    if gcj02:
        from ..crs import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        coords = np.column_stack([lon, lat])
    scale = 10**precision
    ints = np.rint(coords * scale).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    n = len(geoms)
    one_each = np.arange(n + 1)
    G = shapely.GeometryType  # noqa: N806
    out: dict[str, Any] = {"scale": scale, "coords": encode_coords(deltas.ravel())}
    if gtype in (G.POINT, G.MULTIPOINT):
        out["dim"] = 0
        geom_off = one_each if gtype == G.POINT else offsets[0]
        out["geoms"] = _ints(geom_off)
    elif gtype in (G.LINESTRING, G.MULTILINESTRING):
        out["dim"] = 1
        out["parts"] = _ints(offsets[0])
        out["geoms"] = _ints(one_each if gtype == G.LINESTRING else offsets[1])
    elif gtype in (G.POLYGON, G.MULTIPOLYGON):
        out["dim"] = 2
        out["rings"] = _ints(offsets[0])
        if gtype == G.POLYGON:
            out["parts"] = _ints(offsets[1])
            out["geoms"] = _ints(one_each)
        else:
            out["parts"] = _ints(offsets[1])
            out["geoms"] = _ints(offsets[2])
    else:  # pragma: no cover - to_ragged_array raises first
        raise ValueError(f"cannot encode geometry type {gtype}")
    return out


def _value(value: Any, *, digits: int | None = None) -> Any:
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return None
        if digits is not None:
            return round(float(value), digits)
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _parsed(enum_cls: Any, series: pd.Series, attr: str, default: Any) -> list[Any]:
    """``enum_cls.parse(v).<attr>`` per value, parsing each distinct value once."""
    lookup: dict[Any, Any] = {}
    for value in pd.unique(series.astype(object)):
        try:
            lookup[value] = getattr(enum_cls.parse(value), attr)
        except (ValueError, TypeError):
            lookup[value] = _value(value) if default is None else default
    return [lookup[v] for v in series.astype(object)]


def _buckets(geoms: np.ndarray, bucket_deg: float) -> np.ndarray:
    points = shapely.point_on_surface(geoms)
    x = np.floor(shapely.get_x(points) / bucket_deg).astype(np.int64)
    y = np.floor(shapely.get_y(points) / bucket_deg).astype(np.int64)
    return (x - x.min()) * 1_000_003 + (y - y.min()) if len(x) else x


def _drop_unmappable(gdf: gpd.GeoDataFrame, what: str, *, level: int = logging.WARNING
                     ) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    keep &= shapely.get_type_id(geoms) != shapely.GeometryType.GEOMETRYCOLLECTION
    if not keep.all():
        logger.log(level, "%s: %d empty, null or mixed-type geometries are not drawn",
                   what, int((~keep).sum()))
    return gdf[keep]


def _geometry_groups(geoms: np.ndarray, *, simplify_m: float, gcj02: bool,
                     coarse_m: float | None = None) -> list[dict[str, Any]]:
    """The encoded geometry of a layer in one group per dimension (polygons, lines, points).

    Each group holds its features' positions (``index``) and, with ``coarse_m``, a coarse copy
    of its lines or polygons for the zooms below the detail zoom.
    """
    dims = shapely.get_dimensions(geoms)
    groups = []
    for dim in (2, 1, 0):
        mask = dims == dim
        if mask.any():
            group = encode_geometries(geoms[mask], simplify_m=simplify_m, gcj02=gcj02)
            group["index"] = _ints(np.flatnonzero(mask))
            if coarse_m and dim > 0:
                group["coarse"] = encode_geometries(geoms[mask], simplify_m=coarse_m, gcj02=gcj02)
            groups.append(group)
    return groups


def prepare_layer(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    fields: Mapping[str, str] | None = None,
    simplify_m: float = 0.5,
    gcj02: bool = False,
    bucket_deg: float = 0.05,
    coarse_m: float | None = None,
    source_fields: bool = True,
) -> dict[str, Any]:
    """The page data of one project layer: columns, styles per status, geometry groups.

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer in the canonical schema (any CRS; brought to EPSG:4490).
    name : str
        The layer name shown in the layer control.
    fields : mapping, optional
        Column → label to show; default :data:`DEFAULT_FIELDS` (those present). The
        measured area (亩) of polygons and length (公里) of lines are always added.
    simplify_m, gcj02
        See :func:`encode_geometries`.
    bucket_deg : float, default 0.05
        Grid cell size of the buckets, in degrees.
    coarse_m : float, optional
        Also send lines and polygons simplified at this tolerance (metres), drawn while
        the map is zoomed out (level of detail); none by default.
    source_fields : bool, default True
        Also show every attribute of the source that maps to no canonical column (树种, 村,
        备注 ...), under its own name, after the canonical ones and the measures.

    Returns
    -------
    dict
        ``name``, ``count``, ``fields`` (``[key, label]`` pairs), ``columns``
        (key → values), ``status`` (status value per feature), ``groups`` (one encoded
        geometry group per dimension, with its feature indices) and ``buckets``
        (``start``/``end`` feature ranges, ``bbox`` and ``n``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame({"name": ["一号地块"], "status": ["竣工"]},
    ...                        geometry=[box(121.5, 42.0, 121.51, 42.01)], crs="EPSG:4490")
    >>> data = prepare_layer(gdf, name="造林")
    >>> data["fields"]
    [['name', '项目名称'], ['status', '状态'], ['area_mu', '测算面积(亩)']]
    >>> data["columns"]["status"], data["columns"]["area_mu"]
    (['完工'], [1380.27])
    """
    gdf = _drop_unmappable(gdf.to_crs(CGCS2000) if gdf.crs is not None else gdf, name)
    geoms = gdf.geometry.values
    if len(gdf):
        order = np.argsort(_buckets(geoms, bucket_deg), kind="stable")
        gdf = gdf.iloc[order]
        geoms = gdf.geometry.values
    dims = shapely.get_dimensions(geoms)
    wanted = dict(fields) if fields is not None else {
        k: v for k, v in DEFAULT_FIELDS.items() if k in gdf.columns
    }
    columns: dict[str, list[Any]] = {}
    for key in wanted:
        if key not in gdf.columns:
            continue
        series = gdf[key]
        if key == "kind":
            columns[key] = _parsed(LayerKind, series, "label", None)
        elif key == "status":
            columns[key] = _parsed(Status, series, "label", None)
        else:
            columns[key] = [_value(v) for v in series.astype(object)]
    shown = [[k, wanted[k]] for k in wanted if k in columns]
    polygonal, linear = dims == 2, dims == 1
    if polygonal.any():
        area = np.full(len(gdf), np.nan)
        area[polygonal] = geodesic_area(gdf.geometry[polygonal], unit="mu").to_numpy()
        columns[AREA_FIELD[0]] = [_value(v, digits=2) for v in area]
        shown.append(list(AREA_FIELD))
    if linear.any():
        length = np.full(len(gdf), np.nan)
        length[linear] = geodesic_length(gdf.geometry[linear], unit="km").to_numpy()
        columns[LENGTH_FIELD[0]] = [_value(v, digits=3) for v in length]
        shown.append(list(LENGTH_FIELD))
    checks = [f for f in shown if f[0] in ("stated_gap", "ndvi_verdict")]
    shown = [f for f in shown if f not in checks] + checks  # after the measures they check
    if source_fields:
        for key in gdf.columns:
            if (key in columns or key in _INTERNAL or key in CANONICAL_COLUMNS
                    or key in DEFAULT_FIELDS or key == gdf.geometry.name):
                continue
            columns[str(key)] = [_value(v) for v in gdf[key].astype(object)]
            shown.append([str(key), str(key)])
    status = _parsed(Status, gdf["status"] if "status" in gdf.columns else
                     pd.Series([None] * len(gdf), dtype=object), "value", Status.PLANNED.value)
    groups = _geometry_groups(geoms, simplify_m=simplify_m, gcj02=gcj02, coarse_m=coarse_m)
    buckets: dict[str, Any] = {"start": [], "end": [], "bbox": [], "n": []}
    if len(gdf):
        keys = _buckets(geoms, bucket_deg)
        bounds = shapely.bounds(geoms)
        edges = np.flatnonzero(np.diff(keys)) + 1
        starts = np.concatenate([[0], edges])
        ends = np.concatenate([edges, [len(keys)]])
        for s, e in zip(starts, ends, strict=True):
            b = bounds[s:e]
            buckets["start"].append(int(s))
            buckets["end"].append(int(e))
            buckets["n"].append(int(e - s))
            buckets["bbox"].append([round(float(v), 6) for v in (
                np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3])
            )])
    return {
        "name": name,
        "count": len(gdf),
        "fields": shown,
        "columns": columns,
        "status": status,
        "groups": groups,
        "buckets": buckets,
    }


def prepare_outline(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    fields: Mapping[str, str],
    simplify_m: float = 0.5,
    gcj02: bool = False,
) -> dict[str, Any]:
    """The page data of a reference layer (county boundary, townships): no buckets.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame({"name": ["<b>乡</b>"]}, geometry=[box(121, 42, 121.1, 42.1)],
    ...                        crs="EPSG:4490")
    >>> prepare_outline(gdf, name="乡镇", fields={"name": "名称"})["columns"]
    {'name': ['<b>乡</b>']}
    """
    gdf = _drop_unmappable(gdf.to_crs(CGCS2000) if gdf.crs is not None else gdf, name,
                          level=logging.INFO)  # townships known only by their seat
    columns = {
        key: [_value(v) for v in gdf[key].astype(object)] for key in fields if key in gdf.columns
    }
    groups = _geometry_groups(gdf.geometry.values, simplify_m=simplify_m, gcj02=gcj02)
    return {
        "name": name,
        "count": len(gdf),
        "fields": [[k, v] for k, v in fields.items() if k in columns],
        "columns": columns,
        "groups": groups,
    }


def layer_kind(key: str, gdf: gpd.GeoDataFrame) -> LayerKind | None:
    """The layer's declared kind (its ``kind`` column), else its table key; None if neither.

    Examples
    --------
    >>> layer_kind("roads", gpd.GeoDataFrame({"kind": ["afforestation"]}, geometry=[None]))
    <LayerKind.AFFORESTATION: 'afforestation'>
    >>> layer_kind("school", gpd.GeoDataFrame(geometry=[])) is LayerKind.SCHOOL
    True
    """
    for candidate in (*(gdf["kind"].dropna().unique()[:1] if "kind" in gdf else ()), key):
        try:
            return LayerKind.parse(candidate)
        except ValueError:
            continue
    return None
