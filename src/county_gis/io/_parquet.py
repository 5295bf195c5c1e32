"""GeoParquet read with pyarrow (GDAL here has no Parquet driver).

Every GeoParquet version from 0.1.0 to 1.1 is read, and the files GDAL writes:

* the ``geo`` metadata is looked up in the Arrow schema and, failing that, in the Parquet
  file's own key-value metadata (where GDAL 3.5 puts it, without an Arrow schema entry);
* ``crs`` is PROJJSON (an object, 0.4+), or WKT / PROJJSON text (0.1.0 - 0.3.0, and GDAL);
  no ``crs`` key means OGC:CRS84 by the specification, ``crs: null`` means unknown (then the
  CRS is decided like for any CRS-less layer);
* geometry encodings ``WKB`` and the GeoArrow ``point`` / ``linestring`` / ``polygon`` /
  ``multipoint`` / ``multilinestring`` / ``multipolygon`` (1.1).

Geometries stay WKB until :mod:`._geometry` parses them, so a bad ring is named, not fatal.
Every failure is a :class:`~county_gis.errors.CountyGisError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CRSError, LayerReadError, Place
from ._engines import RawLayer
from ._report import LoadReport, Severity

__all__ = ["GEOARROW_ENCODINGS", "read_geoparquet"]

#: GeoArrow ("native") geometry encodings of GeoParquet 1.1
GEOARROW_ENCODINGS = ("point", "linestring", "polygon", "multipoint", "multilinestring",
                      "multipolygon")


def _geo_metadata(path: Path, table: Any) -> dict[str, Any]:
    """The ``geo`` metadata, from the Arrow schema or the Parquet file's key-value pairs."""
    import pyarrow.parquet as pq

    raw = (table.schema.metadata or {}).get(b"geo")
    if raw is None:
        try:
            raw = (pq.ParquetFile(path).metadata.metadata or {}).get(b"geo")
        except Exception as exc:  # pragma: no cover - the table was read already
            raise LayerReadError(f"{path}: cannot read the Parquet metadata: {exc}") from exc
    if raw is None:
        raise LayerReadError(f"{path}: a Parquet file without 'geo' metadata (in the Arrow "
                             "schema or the file's key-value metadata) is not GeoParquet; "
                             "write it with GeoDataFrame.to_parquet or GDAL's Parquet driver")
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise LayerReadError(f"{path}: the 'geo' metadata is not JSON ({exc}); the file is "
                             "not valid GeoParquet") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("columns"), dict) \
            or not meta["columns"]:
        raise LayerReadError(f"{path}: the 'geo' metadata names no geometry column "
                             f"({raw[:120]!s}); the file is not valid GeoParquet")
    return meta


def _crs_wkt(path: Path, column: str, info: dict[str, Any], report: LoadReport) -> str | None:
    if "crs" not in info:
        report.add("crs.geoparquet_default", "the GeoParquet metadata has no 'crs': OGC:CRS84 "
                   "(lon/lat WGS 84) by the specification", severity=Severity.INFO)
        return "OGC:CRS84"
    value = info["crs"]
    if value is None:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        crs = CRS.from_json_dict(value) if isinstance(value, dict) else CRS.from_user_input(value)
    except (ProjCRSError, TypeError, ValueError) as exc:
        shown = json.dumps(value, ensure_ascii=False)[:160]
        raise CRSError(f"{Place(str(path), field=column)}: the GeoParquet 'crs' {shown} is not "
                       f"a CRS PROJ reads ({exc}); allowed: PROJJSON or WKT. Declare the CRS "
                       "with crs=... (e.g. 'EPSG:4490')") from None
    return crs.to_wkt()


def _wkb(path: Path, table: Any, column: str, encoding: str) -> np.ndarray:
    chunked = table.column(column)
    if encoding == "WKB":
        return np.asarray(chunked.to_numpy(zero_copy_only=False), dtype=object)
    import shapely
    from geopandas.io._geoarrow import construct_shapely_array

    try:
        geoms = construct_shapely_array(chunked.combine_chunks(), f"geoarrow.{encoding}")
    except Exception as exc:
        raise LayerReadError(f"{Place(str(path), field=column)}: the GeoArrow {encoding!r} "
                             f"geometry cannot be read: {exc}") from exc
    return np.asarray(shapely.to_wkb(geoms), dtype=object)


def read_geoparquet(path: Path, *, report: LoadReport) -> RawLayer:
    """Read a GeoParquet file with pyarrow (WKB or GeoArrow geometry).

    Raises
    ------
    LayerReadError
        If the file is not readable Parquet, not GeoParquet, or its geometry encoding is not
        one of WKB and :data:`GEOARROW_ENCODINGS`.
    CRSError
        If its ``crs`` is not a CRS.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise LayerReadError(f"{path}: cannot read the Parquet file: {exc}") from exc
    meta = _geo_metadata(path, table)
    column = meta.get("primary_column") or next(iter(meta["columns"]))
    info = meta["columns"].get(column)
    if not isinstance(info, dict) or column not in table.column_names:
        raise LayerReadError(f"{path}: the 'geo' metadata names the geometry column {column!r}, "
                             f"which the file does not hold (columns: "
                             f"{', '.join(table.column_names)})")
    encoding = str(info.get("encoding", "WKB"))
    encoding = "WKB" if encoding.upper() == "WKB" else encoding.lower()
    if encoding != "WKB" and encoding not in GEOARROW_ENCODINGS:
        raise LayerReadError(
            f"{Place(str(path), field=column)}: geometry encoding {info.get('encoding')!r} is "
            f"not supported; allowed: WKB, {', '.join(GEOARROW_ENCODINGS)}. Write the file "
            "with WKB geometry (geopandas' default)"
        )
    crs_wkt = _crs_wkt(path, column, info, report)
    version = meta.get("version", "(no version)")
    report.add("source.geoparquet", f"GeoParquet {version}, geometry column {column!r} "
               f"encoded {encoding}", severity=Severity.INFO)
    wkb = _wkb(path, table, column, encoding)
    attributes = table.drop_columns([column]).to_pandas().reset_index(drop=True)
    report.encoding, report.encoding_evidence = "UTF-8", "Parquet strings are UTF-8"
    return RawLayer(attributes=attributes, wkb=wkb, fids=np.arange(len(wkb), dtype=np.int64),
                    crs_wkt=crs_wkt, driver="GeoParquet", geometry_type=None)
