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


def _outside_notes(gdf: Any, boundary: Any, file: str, layer: str) -> list[dict[str, Any]]:
    """One problem note per feature not covered by ``boundary``, with how much lies outside."""
    import numpy as np
    import shapely

    from ..measure import geodesic_area, geodesic_length

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    shapely.prepare(boundary)
    out = np.flatnonzero(present & ~shapely.covered_by(geoms, boundary))
    notes = []
    fids = gdf["source_fid"].to_numpy() if "source_fid" in gdf else np.arange(len(gdf))
    for i in out:
        geom = geoms[i]
        dim = shapely.get_dimensions(geom)
        if dim == 0:
            how = "the point lies outside the project boundary"
        else:
            rest = shapely.difference(geom, boundary)
            measure = geodesic_area if dim == 2 else geodesic_length
            unit = "m2" if dim == 2 else "m"
            whole, part = measure(_series([geom, rest]), unit=unit).to_numpy()
            share = part / whole if whole > 0 else 1.0
            label = "m²" if dim == 2 else "m"
            how = (f"{share:.1%} of it ({part:,.1f} {label}) lies outside the project boundary; "
                   "progress counts only the part inside")
        notes.append({"code": "project.outside_boundary", "severity": Severity.PROBLEM.value,
                      "message": how, "file": file, "layer": layer, "fid": int(fids[i]),
                      "field": None})
    return notes


def _series(geoms: list[Any]) -> Any:
    import geopandas as gpd

    return gpd.GeoSeries(geoms, crs="EPSG:4490")


def inspect_source(path: str | os.PathLike[str], *, boundary: Any = None,
                   **kwargs: Any) -> list[dict[str, Any]]:
    """Read every layer of ``path`` and summarise it; a layer that fails is listed with its error.

    Keyword arguments go to :func:`~county_gis.io.read_layer` (``engine``, ``encoding``,
    ``crs``, ``source_crs``, ``repair``, ``strict``). With ``boundary`` (a shapely geometry in
    EPSG:4490, e.g. :meth:`county_gis.project.Project.boundary_geometry`), every feature the
    boundary does not cover is a problem note (``project.outside_boundary``) saying how much of
    it lies outside — the part progress does not count.

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
        if boundary is not None and len(gdf):
            summary["notes"] += _outside_notes(gdf, boundary, str(path), name)
        summaries.append(summary)
    return summaries
