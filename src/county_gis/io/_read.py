"""``read_layer``: one layer from any supported source into the canonical CGCS2000 schema."""

from __future__ import annotations

import codecs
import dataclasses
import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import CGCS2000, OffsetDatum
from ..errors import EncodingError, Place
from ..vocabulary import GeometryFamily, LayerKind
from ._attributes import canonicalise
from ._crs_infer import decide_crs, to_cgcs2000
from ._engines import Engine, RawLayer
from ._formats import SourceLike, describe, list_layers, opened_source
from ._geometry import (
    GeometryFacts,
    Repair,
    WkbParser,
    check_geometry_types,
    check_validity,
    drop_z,
    measure_closed_rings,
)
from ._mapping import LayerMapping, apply_layer_options
from ._report import LoadReport, Severity
from ._sources import ReadRequest

__all__ = ["read_layer", "read_layers"]

log = logging.getLogger(__name__)


def read_layer(
    path: SourceLike,
    *,
    layer: str | None = None,
    kind: LayerKind | str | None = None,
    encoding: str | None = None,
    crs: Any = None,
    source_crs: OffsetDatum | str | None = None,
    engine: Engine | str = Engine.PYOGRIO,
    repair: Repair | str | list[str] | None = Repair.CLOSE_RINGS,
    strict: bool = False,
    options: Mapping[str, Any] | None = None,
    mapping: LayerMapping | None = None,
    geometry: GeometryFamily | str | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer into CGCS2000 lon/lat (EPSG:4490) with canonical columns and a load report.

    Parameters
    ----------
    path : path-like, bytes or binary file object
        Shapefile (``.shp`` or a ``.zip`` holding one), GeoPackage, GeoJSON, KML / KMZ,
        CSV / XLSX with coordinate columns, FlatGeobuf, GeoParquet, DXF, GPX, GML, TopoJSON
        or FileGDB (a ``.gdb`` folder): the source is chosen by the suffix (see
        :data:`county_gis.io.SOURCES`), its content checked. A zip holding several data
        files has their layers. GeoPackage, GeoJSON,
        FlatGeobuf and GeoParquet are also read from ``bytes`` or an open binary file
        object, recognised by their first bytes.
    layer : str, optional
        The layer (GeoPackage layer, KML folder path, XLSX sheet). Required when the source has
        several layers; :func:`read_layers` reads them all.
    kind : LayerKind or str, optional
        What the layer holds; sets the ``kind`` column and checks the geometry types
        (a polygon in a road layer is refused, never measured as road length).
    encoding : str, optional
        Text encoding of the attributes; detected from the bytes when not given.
    crs : CRS-like, optional
        The CRS of the coordinates, overriding the file's; needed only when the file has none
        and the coordinates give no strong evidence.
    source_crs : {"gcj02", "bd09"}, optional
        The coordinates were picked on Amap (GCJ-02) or Baidu (BD-09): converted to CGCS2000.
    engine : {"pyogrio", "fiona"}, default "pyogrio"
        The read engine; fiona drops float32 and numeric list fields and returns dates as
        text (the table in docs/io.md).
    repair : Repair or str or list of str, default "close_rings"
        Repairs allowed (``none``, ``close_rings``, ``make_valid``, ``all``); each repair is
        reported with the area before and after.
    strict : bool, default False
        Turn every assumption (inferred CRS, detected encoding, unit taken for granted) into
        an error.
    options : Mapping, optional
        Options of the source, checked against what it accepts (an unknown option is a
        :class:`~county_gis.errors.ConfigError`): DXF ``{"closed_as_polygons": True}``,
        XLSX / CSV ``{"header_row": 2}`` or ``{"skip_rows": 1}``.
    mapping : LayerMapping, optional
        The layer's keys of ``project.toml`` (field and value mapping, default status, year,
        target, ``where``, ``folder_as``): see docs/project.md.
    geometry : {"points", "lines", "polygons"}, optional
        Keep only the features of this geometry family; the others (a 起点 point in a road
        KML) are set aside and listed in the load report, not refused.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4490, with the canonical columns (``project_id, name, kind, status, township,
        target, year, work_type, capacity_kw, floor_area_m2, stated_area_mu,
        stated_length_km`` where the source has them; ``kind`` and ``status`` always), the
        source's other fields, ``source_fid``, and ``attrs["load_report"]``
        (a :class:`LoadReport`).

    Raises
    ------
    LayerReadError
        The source cannot be opened, has several layers and none was chosen, or its parts
        disagree (``.shp`` / ``.shx`` / ``.dbf`` record counts).
    CRSError
        The CRS is missing without strong evidence, or contradicts the coordinates.
    GeometryError
        Geometries cannot be built or do not fit ``kind``.
    EncodingError
        Under ``strict``, or when the declared encoding cannot decode the text.

    Examples
    --------
    >>> import county_gis
    >>> from county_gis._paths import bundled_layers_dir
    >>> county = county_gis.read_layer(bundled_layers_dir() / "fumeng.gpkg",
    ...                                layer="county_boundary")
    >>> county.crs.to_epsg(), len(county)
    (4490, 1)
    >>> county.attrs["load_report"].crs_decision
    'EPSG:4490 (China Geodetic Coordinate System 2000)'
    """
    engine = Engine.parse(engine)
    repair = Repair.parse(repair)
    where = describe(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise EncodingError(f"encoding={encoding!r} is not a known text encoding; use e.g. "
                                "'GB18030' (also reads GBK / GB2312) or 'UTF-8', or leave it "
                                "out to let the bytes decide", Place(where)) from None
    kind = LayerKind.parse(kind) if kind is not None else None
    family = GeometryFamily.parse(geometry) if geometry is not None else None
    offset = OffsetDatum.parse(source_crs) if source_crs is not None else None
    report = LoadReport(source=where, layer=layer, engine=engine.value, strict=strict)
    with opened_source(path, report) as (opened, source):
        checked = source.check_options(options, where)
        # per-feature facts (validity in a worker thread) are gathered while the WKB is parsed,
        # and streaming sources are parsed while they are read; each later step uses the facts
        # only for the very array parsed (else computes them again)
        facts = GeometryFacts()
        try:
            parser = WkbParser(report, repair=repair, facts=facts)
            request = ReadRequest(source=source, path=where, layer=layer, encoding=encoding,
                                  engine=engine, report=report, parser=parser, options=checked)
            raw = source.read_raw(opened, request)
            return _finish(raw, report, kind=kind, crs=crs, offset=offset, repair=repair,
                           parser=parser, facts=facts, mapping=mapping, family=family)
        finally:
            facts.cancel()


def _finish(
    raw: RawLayer, report: LoadReport, *, kind: LayerKind | None, crs: Any,
    offset: OffsetDatum | None, repair: Repair, parser: WkbParser, facts: GeometryFacts,
    mapping: LayerMapping | None = None, family: GeometryFamily | None = None,
) -> gpd.GeoDataFrame:
    report.driver = raw.driver
    for message, count in Counter(raw.gdal_messages).items():
        report.add("gdal.message", f"GDAL: {message}" + (f" ({count} times)" if count > 1
                                                         else ""), severity=Severity.INFO)
    for code, message, severity, fid in raw.notes:
        report.add(code, message, severity=severity, fid=fid)
    fids = raw.fids
    if not parser.fed:  # the reader did not parse while reading
        parser.feed_all(raw.wkb, fids)
    geoms = parser.finish()
    geoms = drop_z(geoms, report, facts=facts)
    decision = decide_crs(geoms, raw.crs_wkt, crs, report, facts=facts)
    geoms = to_cgcs2000(geoms, decision, report, offset=offset, fids=fids)
    if not facts.holds(geoms):  # Z dropped or reprojected: validity is checked afresh
        facts.cancel()
    measure_closed_rings(geoms, fids, report)
    if family is not None:
        geoms, fids, raw = _keep_family(geoms, fids, raw, family, report)
        facts.cancel()
    present = check_geometry_types(geoms, fids, report, kind=kind, facts=facts)
    held = _canonicalise_held(raw, fids, report, kind=kind, mapping=mapping)
    geoms = check_validity(geoms, fids, report, present=present, repair=repair, facts=facts)
    if isinstance(held, Exception):
        raise held
    attributes, attribute_report = held
    report.notes.extend(attribute_report.notes)
    report.status_values.update(attribute_report.status_values)
    attributes["source_fid"] = fids
    gdf = gpd.GeoDataFrame(attributes, geometry=gpd.GeoSeries(geoms, index=attributes.index),
                           crs=CGCS2000)
    if mapping is not None:
        keep = apply_layer_options(gdf, mapping, report)
        if not keep.all():
            gdf = gdf[keep].reset_index(drop=True)
    report.feature_count = len(gdf)
    gdf.attrs["load_report"] = report
    if log.isEnabledFor(logging.INFO):
        log.info("read %s", report.summary())
    return gdf


def _keep_family(geoms: np.ndarray, fids: np.ndarray, raw: RawLayer, family: GeometryFamily,
                 report: LoadReport) -> tuple[np.ndarray, np.ndarray, RawLayer]:
    """Set aside (and list) the features of another geometry family than ``family``."""
    keep = family.mask(geoms, nonempty=False) | shapely.is_missing(geoms)
    if keep.all():
        return geoms, fids, raw
    names = Counter(shapely.get_type_id(geoms[~keep]).tolist())
    label = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
             6: "MultiPolygon", 7: "GeometryCollection"}
    for fid in fids[~keep].tolist():
        report.add("geometry.set_aside", f"not {family.value}s: set aside (geometry = "
                   f"\"{family.value}s\" in project.toml)", severity=Severity.INFO,
                   fid=int(fid))
    report.add("geometry.set_aside_total",
               f"{int((~keep).sum())} feature(s) set aside as not {family.value}s ("
               + ", ".join(f"{n} {label.get(t, t)}" for t, n in sorted(names.items())) + ")",
               severity=Severity.WARNING)
    kept_fids = fids[keep]
    attributes = raw.attributes[keep].reset_index(drop=True)
    fixes = {k: v for k, v in raw.cell_fixes.items() if k[0] in set(kept_fids.tolist())}
    raw = dataclasses.replace(raw, attributes=attributes, cell_fixes=fixes)
    return geoms[keep], kept_fids, raw


def _canonicalise_held(
    raw: RawLayer, fids: np.ndarray, report: LoadReport, *, kind: LayerKind | None,
    mapping: LayerMapping | None = None,
) -> tuple[pd.DataFrame, LoadReport] | Exception:
    """Canonicalise the attributes, holding back their notes, or their error, for later.

    It runs while the worker thread finishes the validity checks (see
    :class:`~county_gis.io._geometry.GeometryFacts`); the caller adds the held notes after the
    geometry notes, or raises the held error once the geometry checks are done, so the report
    and the error are those of checking the geometries first.
    """
    held = LoadReport(source=report.source, layer=report.layer, strict=report.strict)
    try:
        attributes = canonicalise(raw.attributes, fids, held, kind=kind,
                                  cell_fixes=raw.cell_fixes, mapping=mapping)
    except Exception as exc:  # raised after the geometry checks, as it was met after them
        return exc
    return attributes, held


def read_layers(
    path: SourceLike, **kwargs: Any
) -> dict[str, gpd.GeoDataFrame]:
    """Read every layer of ``path`` (GeoPackage layers, KML folders, XLSX sheets).

    Each layer keeps its own CRS decision (all are returned in EPSG:4490 with their own load
    report). Attribute-only tables (no geometry column) are skipped. Keyword arguments are those
    of :func:`read_layer` except ``layer``.

    Parameters
    ----------
    path : path-like, bytes or binary file object
        A GeoPackage, KML / KMZ, XLSX, DXF (one layer per CAD layer), GPX, FileGDB, a zip of
        several data files, or any single-layer source :func:`read_layer` reads.
    **kwargs
        ``kind``, ``encoding``, ``crs``, ``source_crs``, ``engine``, ``repair``, ``strict``:
        applied to every layer.

    Returns
    -------
    dict of str to GeoDataFrame
        In the source's layer order.

    Raises
    ------
    TypeError
        If ``layer=`` is given.

    Examples
    --------
    >>> import county_gis
    >>> from county_gis._paths import bundled_layers_dir
    >>> layers = county_gis.read_layers(bundled_layers_dir() / "fumeng.gpkg")
    >>> list(layers)[:3]
    ['county_boundary', 'townships', 'road_rebuild']
    >>> {gdf.crs.to_epsg() for gdf in layers.values()}
    {4490}
    >>> len(layers["townships"])
    36
    """
    if "layer" in kwargs:
        raise TypeError("read_layers reads every layer; use read_layer(path, layer=...) for one")
    if hasattr(path, "read"):  # a file object is read once, its bytes then for every layer
        path = path.read()
    layers = list_layers(path)
    for name, geometry_type in layers.items():
        if geometry_type in ("None", ""):
            log.info("%s: layer %r has no geometry column; skipped", path, name)
    return {name: read_layer(path, layer=name, **kwargs)
            for name, geometry_type in layers.items() if geometry_type not in ("None", "")}

