"""The two read engines, pyogrio (Arrow) and fiona, behind one small interface.

Both return a :class:`RawLayer`: attributes as a DataFrame, geometries as WKB (parsed later by
:mod:`._geometry`, so that an unclosed ring names its feature instead of killing the layer), the
source feature ids, the CRS WKT and the GDAL driver. GDAL's own warnings are captured and handed
back as text so they end up in the load report instead of escaping as ``RuntimeWarning``.
"""

from __future__ import annotations

import enum
import logging
import os
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LayerReadError

__all__ = ["Engine", "RawLayer", "read_raw"]

log = logging.getLogger(__name__)


class Engine(enum.Enum):
    """The library that reads vector files: ``pyogrio`` (default, Arrow) or ``fiona``."""

    PYOGRIO = "pyogrio"
    FIONA = "fiona"

    @classmethod
    def parse(cls, value: Engine | str) -> Engine:
        """Return the engine named ``value``; refuse unknown names with the valid list."""
        if isinstance(value, cls):
            return value
        for member in cls:
            if str(value).strip().lower() == member.value:
                return member
        raise ValueError(
            f"engine was {value!r} but is expected to be one of "
            f"{', '.join(m.value for m in cls)}"
        )


@dataclass
class RawLayer:
    """A layer as read from disk, before any check."""

    attributes: pd.DataFrame
    wkb: np.ndarray  # object array of bytes or None
    fids: np.ndarray  # int64
    crs_wkt: str | None
    driver: str
    geometry_type: str | None
    gdal_messages: list[str] = field(default_factory=list)
    parsed: np.ndarray | None = None  # shapely geometries when the engine already built them
    #: (row, field) -> message for numeric cells that overflowed their width (DBF ``*****``)
    numeric_problems: dict[tuple[int, str], str] = field(default_factory=dict)


def _gdal_messages(caught: list[warnings.WarningMessage]) -> list[str]:
    messages = []
    for item in caught:
        messages.append(str(item.message))
    return messages


def read_raw(
    path: str | os.PathLike[str],
    *,
    layer: str | None,
    encoding: str | None,
    engine: Engine,
    open_options: dict[str, Any] | None = None,
) -> RawLayer:
    """Read one layer of ``path`` with ``engine``.

    Raises
    ------
    LayerReadError
        If GDAL cannot open or read the layer.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if engine is Engine.PYOGRIO:
                raw = _read_pyogrio(path, layer, encoding, open_options or {})
            else:
                raw = _read_fiona(path, layer, encoding, open_options or {})
    except LayerReadError:
        raise
    except Exception as exc:  # pyogrio / fiona errors carry GDAL's text
        raise LayerReadError(
            f"{path}:{layer}: {engine.value} cannot read the layer: {exc}"
        ) from exc
    raw.gdal_messages.extend(_gdal_messages(caught))
    return raw


def _read_pyogrio(
    path: str | os.PathLike[str], layer: str | None, encoding: str | None,
    open_options: dict[str, Any],
) -> RawLayer:
    import pyogrio

    meta, table = pyogrio.read_arrow(
        path, layer=layer, encoding=encoding, return_fids=True, **open_options
    )
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    fid_name = meta.get("fid_column") or "OGC_FID"
    names = table.column_names
    if geometry_name in names:
        wkb = table.column(geometry_name).to_numpy(zero_copy_only=False)
        table = table.drop_columns([geometry_name])
    else:
        wkb = np.full(table.num_rows, None, dtype=object)
    if fid_name in table.column_names:
        fids = table.column(fid_name).to_numpy(zero_copy_only=False).astype(np.int64)
        table = table.drop_columns([fid_name])
    else:
        fids = np.arange(table.num_rows, dtype=np.int64)
    attributes = table.to_pandas()
    info = pyogrio.read_info(path, layer=layer, encoding=encoding, **open_options)
    return RawLayer(
        attributes=attributes,
        wkb=np.asarray(wkb, dtype=object),
        fids=fids,
        crs_wkt=_wkt(meta.get("crs")),
        driver=str(info.get("driver")),
        geometry_type=meta.get("geometry_type"),
    )


def _wkt(crs: Any) -> str | None:
    if crs is None or crs == "":
        return None
    from pyproj import CRS

    return CRS.from_user_input(crs).to_wkt()


def _read_fiona(
    path: str | os.PathLike[str], layer: str | None, encoding: str | None,
    open_options: dict[str, Any],
) -> RawLayer:
    import fiona

    kwargs: dict[str, Any] = dict(open_options)
    if encoding:
        kwargs["encoding"] = encoding
    records: list[dict[str, Any]] = []
    fids: list[int] = []
    geoms: list[Any] = []
    with fiona.open(path, layer=layer, **kwargs) as src:
        driver = src.driver
        crs_wkt = src.crs_wkt or None
        geometry_type = src.schema.get("geometry")
        columns = list(src.schema["properties"])
        for row, feature in enumerate(src):
            try:
                fids.append(int(feature.id))
            except (TypeError, ValueError):  # GeoJSON ids may be text: the row number then
                fids.append(row)
            records.append(dict(feature.properties))
            geoms.append(feature.geometry)
    attributes = pd.DataFrame.from_records(records, columns=columns)
    wkb = np.empty(len(geoms), dtype=object)
    for i, geometry in enumerate(geoms):
        wkb[i] = None if geometry is None else _geojson_to_wkb(geometry)
    return RawLayer(
        attributes=attributes,
        wkb=wkb,
        fids=np.asarray(fids, dtype=np.int64),
        crs_wkt=crs_wkt,
        driver=driver,
        geometry_type=None if geometry_type in (None, "None") else str(geometry_type),
    )


def _geojson_to_wkb(geometry: Any) -> bytes:
    """ISO WKB of a fiona geometry, keeping unclosed rings unclosed (so they are caught later)."""
    kind = geometry["type"] if isinstance(geometry, dict) else geometry.type
    if kind == "GeometryCollection":
        parts = geometry["geometries"] if isinstance(geometry, dict) else geometry.geometries
        body = b"".join(_geojson_to_wkb(g) for g in parts)
        return struct.pack("<BII", 1, 7, len(parts)) + body
    coords = geometry["coordinates"] if isinstance(geometry, dict) else geometry.coordinates
    return _encode(kind, coords)


_WKB_CODES = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPoint": 4,
              "MultiLineString": 5, "MultiPolygon": 6}


def _dims(kind: str, coords: Any) -> int:
    probe = coords
    for _ in range({"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2,
                    "MultiLineString": 2, "MultiPolygon": 3}[kind]):
        if not probe:
            return 2
        probe = probe[0]
    return 3 if len(probe) >= 3 else 2


def _encode(kind: str, coords: Any) -> bytes:
    dims = _dims(kind, coords)
    code = _WKB_CODES[kind] + (1000 if dims == 3 else 0)
    fmt = "<" + "d" * dims

    def points(seq: Any) -> bytes:
        return struct.pack("<I", len(seq)) + b"".join(struct.pack(fmt, *p[:dims]) for p in seq)

    head = struct.pack("<BI", 1, code)
    if kind == "Point":
        if not coords:
            return head + struct.pack(fmt, *([float("nan")] * dims))
        return head + struct.pack(fmt, *coords[:dims])
    if kind == "LineString":
        return head + points(coords)
    if kind == "Polygon":
        return head + struct.pack("<I", len(coords)) + b"".join(points(r) for r in coords)
    part = {"MultiPoint": "Point", "MultiLineString": "LineString",
            "MultiPolygon": "Polygon"}[kind]
    return head + struct.pack("<I", len(coords)) + b"".join(_encode(part, c) for c in coords)
