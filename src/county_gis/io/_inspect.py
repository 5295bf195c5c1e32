"""``inspect_source``: what ``county-gis inspect`` shows, as plain data (one dict per layer)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from ..errors import CountyGisError
from ._formats import list_layers
from ._read import read_layer
from ._report import Severity

__all__ = ["inspect_source"]


def inspect_source(path: str | os.PathLike[str], **kwargs: Any) -> list[dict[str, Any]]:
    """Read every layer of ``path`` and summarise it; a layer that fails is listed with its error.

    Keyword arguments go to :func:`~county_gis.io.read_layer` (``engine``, ``encoding``,
    ``crs``, ``source_crs``, ``repair``, ``strict``).

    Returns
    -------
    list of dict
        Per layer: ``layer``, ``driver``, ``geometry_types``, ``feature_count``,
        ``crs_decision``, ``crs_evidence``, ``encoding``, ``encoding_evidence``, ``notes``
        (every assumption, repair and problem), ``error`` (None or the message), ``skipped``
        (None, or why the layer was not read: a table without a geometry column).

    Examples
    --------
    >>> from county_gis._paths import bundled_layers_dir
    >>> summaries = inspect_source(bundled_layers_dir() / "fumeng.gpkg")
    >>> len(summaries)
    13
    >>> summary = summaries[0]
    >>> summary["layer"], summary["feature_count"], summary["error"]
    ('county_boundary', 1, None)
    """
    path = Path(path)
    summaries = []
    for name, geometry_type in list_layers(path).items():
        summary: dict[str, Any] = {"layer": name, "declared_geometry_type": geometry_type,
                                   "error": None, "skipped": None, "warnings": []}
        if geometry_type in ("None", ""):  # as read_layers() does
            summary["skipped"] = "attribute table without a geometry column; not a layer"
            summaries.append(summary)
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                gdf = read_layer(path, layer=name, **kwargs)
            except CountyGisError as exc:
                summary["error"] = f"{type(exc).__name__}: {exc}"
                summaries.append(summary)
                continue
        summary["warnings"] = [str(w.message) for w in caught]
        report = gdf.attrs["load_report"]
        data = report.to_dict()
        summary.update(
            driver=data["driver"], engine=data["engine"], feature_count=data["feature_count"],
            geometry_types=data["geometry_types"], crs_decision=data["crs_decision"],
            crs_evidence=data["crs_evidence"], encoding=data["encoding"],
            encoding_evidence=data["encoding_evidence"],
            notes=[n for n in data["notes"] if n["severity"] != Severity.INFO.value
                   or n["code"].startswith(("crs.", "source.", "kml.", "dxf.", "field.unmapped",
                                                  "table."))],
        )
        summaries.append(summary)
    return summaries
