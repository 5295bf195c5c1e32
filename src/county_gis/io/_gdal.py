"""The GDAL vector sources: Shapefile, GeoPackage, GeoJSON, FlatGeobuf.

Read through one of the two engines (:mod:`._engines`) into a :class:`~._engines.RawLayer`;
the WKB is parsed while GDAL streams the layer. What differs per format is only what has to
happen before GDAL sees the file: a shapefile's parts are checked (and repaired in a copy), a
GeoJSON that is not UTF-8 is transcoded to a UTF-8 copy; GeoPackage and FlatGeobuf text is
UTF-8 by specification (cells that are not are recovered by :func:`~._engines.recover_text`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LayerReadError
from ._engines import RawLayer, read_raw
from ._report import Severity

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["gdal_layers", "read_geojson", "read_shapefile", "read_utf8", "shapefile_layers",
           "single_layer"]

_SHAPE_TYPES = {0: "None", 1: "Point", 3: "LineString", 5: "Polygon", 8: "MultiPoint",
                11: "Point Z", 13: "LineString Z", 15: "Polygon Z", 18: "MultiPoint Z",
                21: "Point M", 23: "LineString M", 25: "Polygon M", 28: "MultiPoint M",
                31: "MultiPatch"}


def gdal_layers(path: Path) -> dict[str, str]:
    """The layers GDAL lists: name -> geometry type."""
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise LayerReadError(f"{path}: cannot list layers: {exc}") from exc
    return {str(name): str(kind) for name, kind in layers}


def shapefile_layers(path: Path) -> dict[str, str]:
    """One layer, typed by the ``.shp`` header (GDAL would fail on a missing ``.shx`` here)."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100:
        raise LayerReadError(f"{path}: not a shapefile (bad header)")
    return {path.stem: _SHAPE_TYPES.get(int.from_bytes(header[32:36], "little"), "Unknown")}


def single_layer(path: Path, request: ReadRequest) -> str | None:
    """The layer to read: ``request.layer``, or the only one; several without a choice refused.

    Raises
    ------
    LayerReadError
        If the source has several layers and none was chosen.
    """
    if request.layer is not None:
        return request.layer
    layers = request.source.list_layers(path)
    if len(layers) > 1:
        names = ", ".join(repr(name) for name in layers)
        raise LayerReadError(
            f"{request.path} has {len(layers)} layers ({names}); pass layer=... or "
            "read them all with read_layers()"
        )
    layer = next(iter(layers)) if layers else None
    request.report.layer = layer
    return layer


def read_shapefile(path: Path, request: ReadRequest) -> RawLayer:
    """A shapefile: parts checked, DBF encoding from the bytes, cells GDAL misreads fixed."""
    from ._shapefile import check_shapefile

    layer = single_layer(path, request)
    check = check_shapefile(path, encoding=request.encoding, report=request.report)
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        source = check.working_copy(path, Path(tmp)) if check.needs_copy else path
        raw = read_raw(source, layer=layer, encoding=check.encoding, engine=request.engine,
                       driver=request.source.name, parser=request.parser)
    raw.cell_fixes.update(check.fixes)
    return raw


def read_geojson(path: Path, request: ReadRequest) -> RawLayer:
    """A GeoJSON: read from a UTF-8 copy when its bytes are not UTF-8 (GBK exports)."""
    from ._text import geojson_as_utf8

    layer = single_layer(path, request)
    with tempfile.TemporaryDirectory(prefix="county_gis_") as tmp:
        utf8 = geojson_as_utf8(path, Path(tmp), encoding=request.encoding,
                               report=request.report)
        return read_raw(utf8, layer=layer if utf8 == path else None, encoding=None,
                        engine=request.engine, driver=request.source.name,
                        parser=request.parser)


def read_utf8(path: Path, request: ReadRequest) -> RawLayer:
    """A format whose text is UTF-8 by specification (GeoPackage, FlatGeobuf)."""
    layer = single_layer(path, request)
    report, name = request.report, request.source.name
    if request.encoding is not None:
        report.add("encoding.ignored", f"encoding={request.encoding!r} ignored: {name} text is "
                   "UTF-8 by specification", severity=Severity.INFO)
    raw = read_raw(path, layer=layer, encoding=None, engine=request.engine, driver=name,
                   parser=request.parser)
    report.encoding = "UTF-8"
    report.encoding_evidence = f"{name} text is UTF-8 by specification; " + (
        f"{len(raw.cell_fixes)} cell(s) are not (listed)" if raw.cell_fixes
        else "every text cell is valid UTF-8")
    return raw
