"""A layer set cut at county lines and written as hive-style GeoParquet, one file per county."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._atomic import check_overwrite
from ..analysis.townships import split_by_township
from ..crs import CGCS2000
from ..errors import CRSError
from ..project import Project
from ..vocabulary import GeometryFamily
from ._compliance import ZONES_FOLDER, cut_zone, zone_layers, zone_meta
from .counties import liaoning_counties

if TYPE_CHECKING:
    from ..analysis.compliance import ZoneLayer

__all__ = ["COUNTIES_FILE", "PART_FILE", "Partitioned", "assign_pieces", "partition"]

log = logging.getLogger(__name__)

#: The county boundaries written beside the partitions (``_`` : not a partition for readers).
COUNTIES_FILE = "_counties.parquet"
#: The file in each ``adcode=<code>/`` folder.
PART_FILE = "part-0.parquet"
_MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class Partitioned:
    """What :func:`partition` wrote.

    Attributes
    ----------
    root : Path
        The folder: ``adcode=<code>/part-0.parquet`` per county, :data:`COUNTIES_FILE`.
    features : int
        Features read.
    pieces : int
        Rows written (a feature crossing county lines is one row per county piece).
    cut : int
        Features cut at a county line.
    outside : pandas.DataFrame
        ``layer, source_fid, part`` of features not written whole: ``whole`` (outside every
        county), ``partly`` (the part outside every county is not written) or ``no geometry``
        (missing or empty geometry), for the report.
    counties : int
        Counties holding at least one piece.
    zones : int
        Zone layers (三区三线) partitioned into ``_zones/adcode=<code>/zone-<n>.parquet``.
    zone_pieces : int
        Zone rows written (a zone polygon crossing county lines is one row per county).
    """

    root: Path
    features: int
    pieces: int
    cut: int
    outside: pd.DataFrame
    counties: int
    zones: int = 0
    zone_pieces: int = 0


def assign_pieces(geoms: np.ndarray, counties: gpd.GeoDataFrame
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut features at county lines; every piece assigned to exactly one county.

    The township line-cutting of :func:`county_gis.analysis.townships.split_by_township`,
    one level up, plus one rule: where counties share a line (or overlap in the source
    boundaries), a piece of line on it would fall in both; each feature's pieces are made
    disjoint in county order (the later piece loses what an earlier one holds), so nothing
    is counted twice. Features inside one county are assigned whole, uncut.

    Returns
    -------
    item, county, pieces : ndarray
        Position of the feature in ``geoms``, row position of its county, and the piece.
    """
    item, county, pieces = split_by_township(geoms, counties)
    if not len(item):
        return item, county, pieces
    counts = np.bincount(item, minlength=len(geoms))
    starts = np.searchsorted(item, np.arange(len(geoms)), side="left")  # item is sorted
    for feature in np.flatnonzero(counts > 1):  # few: only features crossing a county line
        rows = np.arange(starts[feature], starts[feature] + counts[feature])
        family = GeometryFamily.of(geoms[feature]) or GeometryFamily.POLYGON
        held = pieces[rows[0]]
        for row in rows[1:]:
            rest = family.only([shapely.difference(pieces[row], held)])[0]
            pieces[row] = rest
            held = shapely.union(held, rest)
    keep = ~shapely.is_empty(pieces)
    return item[keep], county[keep], pieces[keep]


def _layers(data: Project | Mapping[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    frames = dict(data.layers if isinstance(data, Project) else data)
    for key, frame in frames.items():
        if frame.crs is None:
            raise CRSError(f"layer {key!r} has no CRS; read it with county_gis.read_layer or "
                           "set it (gdf.set_crs(...))")
        if not frame.crs.equals(CGCS2000):
            frames[key] = frame.to_crs(CGCS2000)
    return frames


def partition(
    data: Project | Mapping[str, gpd.GeoDataFrame],
    out: str | os.PathLike[str],
    *,
    counties: gpd.GeoDataFrame | None = None,
    zones: Sequence[ZoneLayer] | None = None,
    overwrite: bool = False,
) -> Partitioned:
    """Write a layer set partitioned by county (adcode) as hive-style GeoParquet.

    Every feature is cut at the county lines (:func:`assign_pieces`); each county's pieces of
    every layer go into ``<out>/adcode=<code>/part-0.parquet`` (GeoParquet 1.1 with a
    ``bbox`` covering column, one row group: a county is one partition), with the columns
    ``layer`` (the layer name), ``piece`` (0 for a feature inside one county, else the
    number of the piece in county order) and the layer's own (``source_fid`` included).
    The counties go into :data:`COUNTIES_FILE`. The folder is written next to ``out`` and
    renamed into place when complete.

    Parameters
    ----------
    data : Project or mapping of str to GeoDataFrame
        The layers (brought to EPSG:4490 when in another CRS).
    out : path-like
        The folder to write.
    counties : GeoDataFrame, optional
        ``adcode`` (int), ``name``, ``city``, ``city_adcode`` and polygons; default the 100
        counties of Liaoning (:func:`~county_gis.scale.liaoning_counties`).
    zones : sequence of ZoneLayer, optional
        三区三线 zone layers, cut at the county lines like the layers (each piece in one
        county; a cut 图斑's ``TBMJ`` apportioned by area) and written to
        ``<out>/_zones/adcode=<code>/zone-<n>.parquet``, their type, dataset, version and
        effective date to ``_manifest.json``; :func:`~county_gis.scale.run` checks each
        county against its pieces. Default: the ``[zones.*]`` of ``data`` when it is a
        Project (read and checked by :func:`county_gis.analysis.compliance.project_zones`),
        else none; ``[]`` leaves them out.
    overwrite : bool, default False
        Replace an existing folder (CLI: ``--overwrite``).

    Returns
    -------
    Partitioned

    Raises
    ------
    OutputExistsError
        If ``out`` exists and ``overwrite`` is false.
    CRSError
        If a layer has no CRS.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import LineString
    >>> road = gpd.GeoDataFrame({"kind": ["road_rebuild"], "status": ["completed"],
    ...     "source_fid": [1]}, geometry=[LineString([(121.0, 42.2), (122.0, 42.2)])],
    ...     crs="EPSG:4490")
    >>> done = partition({"roads": road}, tempfile.mkdtemp() + "/parts")
    >>> done.features, done.pieces, done.cut, sorted(p.name for p in done.root.iterdir())[:2]
    (1, 2, 1, ['_counties.parquet', '_manifest.json'])
    """
    target = check_overwrite(out, overwrite)
    counties = liaoning_counties() if counties is None else counties.to_crs(CGCS2000)
    counties = counties.reset_index(drop=True)
    frames = _layers(data)
    per_county: dict[int, list[pd.DataFrame]] = {}
    outside: list[pd.DataFrame] = []
    features = pieces_total = cut_total = 0
    for key, frame in frames.items():
        geoms = np.asarray(frame.geometry.values, dtype=object)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        usable = geoms.copy()
        usable[~present] = None  # missing / empty geometries are in no county
        item, county, pieces = assign_pieces(usable, counties)
        counts = np.bincount(item, minlength=len(frame))
        features += len(frame)
        pieces_total += len(item)
        cut_total += int((counts > 1).sum())
        fids = (frame["source_fid"].to_numpy() if "source_fid" in frame.columns
                else np.arange(len(frame)))
        lost = np.flatnonzero(counts == 0)
        if len(lost):
            outside.append(pd.DataFrame({"layer": key, "source_fid": fids[lost], "part": np.where(
                present[lost], "whole", "no geometry")}))
        partly = _partly_outside(geoms, item, pieces)
        if len(partly):
            outside.append(pd.DataFrame({"layer": key, "source_fid": fids[partly],
                                         "part": "partly"}))
        piece_no = np.arange(len(item)) - np.searchsorted(item, item, side="left")
        attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name)).iloc[item]
        rows = gpd.GeoDataFrame(attributes.reset_index(drop=True).assign(
            layer=key, piece=piece_no), geometry=pieces, crs=CGCS2000)
        codes = counties["adcode"].to_numpy()[county]
        for code in np.unique(codes):
            per_county.setdefault(int(code), []).append(rows[codes == code])
    layers_of_zones = zone_layers(data, zones)
    per_zone: dict[int, list[tuple[int, gpd.GeoDataFrame]]] = {}
    zone_info = []
    zone_pieces = 0
    for index, zone in enumerate(layers_of_zones):
        rows, codes, cut = cut_zone(zone, counties, assign_pieces)
        zone_pieces += len(rows)
        for code in np.unique(codes):
            per_zone.setdefault(int(code), []).append((index, rows[codes == code]))
        zone_info.append({**zone_meta(zone, index), "features": len(zone.frame),
                          "pieces": len(rows), "cut": cut,
                          "counties": sorted(int(c) for c in np.unique(codes))})
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        for code, zone_parts in sorted(per_zone.items()):
            folder = tmp / ZONES_FOLDER / f"adcode={code}"
            folder.mkdir(parents=True)
            for index, frame in zone_parts:
                frame.reset_index(drop=True).to_parquet(
                    folder / zone_info[index]["file"], write_covering_bbox=True,
                    schema_version="1.1.0", row_group_size=max(len(frame), 1))
        for code, parts in sorted(per_county.items()):
            folder = tmp / f"adcode={code}"
            folder.mkdir()
            frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CGCS2000)
            frame.to_parquet(folder / PART_FILE, write_covering_bbox=True,
                             schema_version="1.1.0", row_group_size=max(len(frame), 1))
        counties.to_parquet(tmp / COUNTIES_FILE, write_covering_bbox=True,
                            schema_version="1.1.0")
        (tmp / _MANIFEST).write_text(json.dumps(
            {"layers": list(frames), "features": features, "pieces": pieces_total,
             "cut": cut_total, "counties": sorted(per_county), "zones": zone_info},
            ensure_ascii=False, indent=1),
            encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    lost_frame = (pd.concat(outside, ignore_index=True) if outside
                  else pd.DataFrame(columns=["layer", "source_fid", "part"]))
    log.info("partitioned %d features into %d pieces in %d counties (%d cut, %d outside)",
             features, pieces_total, len(per_county), cut_total, len(lost_frame))
    return Partitioned(root=target, features=features, pieces=pieces_total, cut=cut_total,
                       outside=lost_frame, counties=len(per_county),
                       zones=len(layers_of_zones), zone_pieces=zone_pieces)


def _partly_outside(geoms: np.ndarray, item: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Features that were cut and whose pieces do not make up the whole (part outside)."""
    cut = np.unique(item[[p is not g for p, g in zip(pieces, geoms[item], strict=True)]])
    out = []
    for feature in cut:
        family = GeometryFamily.of(geoms[feature])
        if family is GeometryFamily.POINT or family is None:
            continue
        size = shapely.area if family is GeometryFamily.POLYGON else shapely.length
        whole = float(size(geoms[feature]))
        lo, hi = np.searchsorted(item, [feature, feature + 1])  # item is sorted
        total = float(np.sum(size(pieces[lo:hi])))
        if abs(total - whole) > 1e-9 * whole:
            out.append(feature)
    return np.array(out, dtype=np.int64)
