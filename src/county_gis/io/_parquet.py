"""GeoParquet read with pyarrow (GDAL here has no Parquet driver).

Geometries stay WKB until :mod:`._geometry` parses them, so a bad ring is named, not fatal. A file
whose metadata has no ``crs`` key is OGC:CRS84 by the GeoParquet specification; ``crs: null``
means unknown (then the CRS is decided like for any CRS-less layer).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import LayerReadError, Place
from ._engines import RawLayer
from ._report import LoadReport, Severity

__all__ = ["read_geoparquet"]


def read_geoparquet(path: Path, *, report: LoadReport) -> RawLayer:
    """Read a GeoParquet file with pyarrow (WKB geometry)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise LayerReadError(f"{path}: cannot read the Parquet file: {exc}") from exc
    meta_raw = (table.schema.metadata or {}).get(b"geo")
    if meta_raw is None:
        raise LayerReadError(f"{path}: a Parquet file without 'geo' metadata is not "
                             "GeoParquet; write it with GeoDataFrame.to_parquet")
    meta = json.loads(meta_raw)
    column = meta["primary_column"]
    info = meta["columns"][column]
    if str(info.get("encoding", "WKB")).upper() != "WKB":
        raise LayerReadError(
            f"{Place(str(path), field=column)}: geometry encoding {info.get('encoding')!r} is "
            "not supported; write the file with WKB geometry (geopandas' default)"
        )
    if "crs" not in info:
        crs_wkt: str | None = "OGC:CRS84"
        report.add("crs.geoparquet_default", "the GeoParquet metadata has no 'crs': OGC:CRS84 "
                   "(lon/lat WGS 84) by the specification", severity=Severity.INFO)
    elif info["crs"] is None:
        crs_wkt = None
    else:
        from pyproj import CRS

        crs_wkt = CRS.from_json_dict(info["crs"]).to_wkt()
    wkb = np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=object)
    attributes = table.drop_columns([column]).to_pandas()
    attributes = attributes.reset_index(drop=True)
    report.encoding, report.encoding_evidence = "UTF-8", "Parquet strings are UTF-8"
    return RawLayer(attributes=attributes, wkb=wkb, fids=np.arange(len(wkb), dtype=np.int64),
                    crs_wkt=crs_wkt, driver="GeoParquet", geometry_type=None)
