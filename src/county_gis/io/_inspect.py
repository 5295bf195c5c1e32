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
    """One problem note per feature not covered by ``boundary``, with how much lies outside.

    One prepared ``covers`` over all features, then the parts outside and the geodesic
    measures of the features not covered, vectorised per dimension.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from ..measure import geodesic_area, geodesic_length

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    shapely.prepare(boundary)  # the prepared geometry must be the first argument
    out = np.flatnonzero(present & ~shapely.covers(boundary, geoms))
    fids = gdf["source_fid"].to_numpy() if "source_fid" in gdf else np.arange(len(gdf))
    dims = shapely.get_dimensions(geoms[out])
    how = np.full(len(out), "the point lies outside the project boundary", dtype=object)
    for dim, measure, unit, label in ((1, geodesic_length, "m", "m"),
                                      (2, geodesic_area, "m2", "m²")):
        chosen = dims == dim
        if not chosen.any():
            continue
        whole = measure(gpd.GeoSeries(geoms[out[chosen]], crs="EPSG:4490"), unit=unit)
        rest = gpd.GeoSeries(shapely.difference(geoms[out[chosen]], boundary), crs="EPSG:4490")
        part = np.zeros(len(rest))
        full = ~rest.is_empty.to_numpy()
        if full.any():
            part[full] = measure(rest[full], unit=unit).to_numpy()
        whole_v = whole.to_numpy()
        share = np.where(whole_v > 0, part / np.where(whole_v > 0, whole_v, 1.0), 1.0)
        how[chosen] = [f"{s:.1%} of it ({v:,.1f} {label}) lies outside the project boundary; "
                       "progress counts only the part inside" for s, v in zip(share, part,
                                                                               strict=True)]
    return [{"code": "project.outside_boundary", "severity": Severity.PROBLEM.value,
             "message": text, "file": file, "layer": layer, "fid": int(fids[i]), "field": None}
            for i, text in zip(out, how, strict=True)]


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
