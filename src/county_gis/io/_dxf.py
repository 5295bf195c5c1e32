"""DXF from CAD and 南方CASS (R12 and later, ASCII), read through GDAL's DXF driver.

GDAL gives every entity of the drawing as one feature of its ``entities`` layer, with the CAD
layer in a ``Layer`` field and the text of TEXT / MTEXT in ``Text``. county_gis presents the
CAD layers as the source's layers (``list_layers`` gives ``{"宗地": "LineString", ...}``,
``layer="宗地"`` reads that CAD layer; no ``layer`` reads the whole drawing), and:

* **text encoding**: decided by county_gis from the drawing's header: ``encoding=`` when
  declared; UTF-8 for DXF R2007 and later (``$ACADVER`` AC1021+); else the ``$DWGCODEPAGE``
  (``ANSI_936`` = GBK, read as GB18030, its superset); a drawing without a code page is decided
  from the bytes (an assumption, reported). GDAL is told that encoding (``DXF_ENCODING``), so
  it decodes before it translates the CAD escapes (``%%d`` -> °, MTEXT formatting). GDAL drops
  undecodable bytes (warning once per process), so the file is checked here and, if it holds
  any, read again byte for byte to name each such cell (fid and field) and keep it with U+FFFD.
* **3D polylines** are flattened (the elevations are dropped: every measure is horizontal),
  and each one is named in the report; entities GDAL gives with Z = 0 are flattened silently.
* ``options={"closed_as_polygons": True}``: closed polylines become polygons (reported), and
  each TEXT label inside one is attached to it (its ``Text``; several labels are joined with
  " / "; a label inside nested polygons goes to the smallest). Labels inside no polygon are
  reported and dropped. Labels are matched among the features read (the CAD layer chosen, or
  the whole drawing).
* **CRS**: DXF has none (no ``.prj``): the usual rules apply — declare ``crs=``, or the
  coordinates must give strong evidence (Gauss-Krüger zones with or without the zone prefix
  are inferred and reported as an assumption).

Examples
--------
>>> _codec("ANSI_936"), _codec("ansi_1252"), _codec("DOS866")
('GB18030', 'cp1252', None)
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from ..errors import EncodingError, LayerReadError
from ._engines import Engine, RawLayer, read_raw
from ._report import LoadReport, Severity

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["OPTIONS", "dxf_header", "dxf_layers", "read_dxf"]

#: The source options of DXF: ``read_layer(..., options={"closed_as_polygons": True})``.
OPTIONS: dict[str, type] = {"closed_as_polygons": bool}

#: $DWGCODEPAGE -> Python codec (GBK and GB2312 read as GB18030, their superset).
_CODEPAGES = {
    "ansi_936": "GB18030", "gb2312": "GB18030", "gbk": "GB18030", "ansi_950": "cp950",
    "big5": "cp950", "ansi_932": "cp932", "ansi_949": "cp949", "ansi_874": "cp874",
    **{f"ansi_{n}": f"cp{n}" for n in range(1250, 1259)},
}
#: GDAL's DXF fields kept (the rest describe drawing style)
_FIELDS = ("Layer", "Text", "EntityHandle", "Linetype")
_LABEL_SEPARATOR = " / "


def _codec(codepage: str) -> str | None:
    return _CODEPAGES.get(codepage.strip().lower())


def dxf_header(path: Path) -> dict[str, str]:
    """The header variables of an ASCII DXF (``$ACADVER``, ``$DWGCODEPAGE`` ...) as text.

    Only the HEADER section is read (it comes first); a binary DXF gives ``{}``.
    """
    header: dict[str, str] = {}
    with open(path, "rb") as handle:
        if handle.read(22).startswith(b"AutoCAD Binary DXF"):
            return header
        handle.seek(0)
        name = None
        while True:
            code, value = handle.readline(), handle.readline()
            if not code or not value:
                break
            code_text, text = code.strip(), value.strip().decode("latin-1")
            if code_text == b"0" and text in ("ENDSEC", "EOF") and header:
                break
            if code_text == b"2" and text in ("ENTITIES", "TABLES", "BLOCKS"):
                break
            if code_text == b"9":
                name = text
            elif name is not None:
                header.setdefault(name, text)
                name = None
    return header


@contextlib.contextmanager
def _gdal_config(engine: Engine, options: dict[str, str]) -> Iterator[None]:
    """GDAL configuration options for one read, on the engine's own GDAL (each wheel has one)."""
    if engine is Engine.FIONA:
        import fiona

        with fiona.Env(**options):
            yield
        return
    import pyogrio

    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def _entities(path: Path, engine: Engine, encoding: str, *, translate: bool = True) -> RawLayer:
    """Every entity, the text recoded by GDAL from ``encoding``; with ``translate=False`` the
    escapes (``%%d``, ``\\U+XXXX``, MTEXT formatting) are left as they are."""
    options = {"DXF_ENCODING": encoding}
    if not translate:
        options["DXF_TRANSLATE_ESCAPE_SEQUENCES"] = "FALSE"
    with _gdal_config(engine, options):
        return read_raw(path, layer="entities", encoding=None, engine=engine, driver="DXF")


def _gdal_encoding(codec: str) -> str:
    """The iconv name GDAL is given for a Python codec (``gb18030`` -> ``GB18030``).

    Examples
    --------
    >>> _gdal_encoding("GB18030"), _gdal_encoding("latin-1"), _gdal_encoding("cp950")
    ('GB18030', 'ISO-8859-1', 'CP950')
    """
    name = codecs.lookup(codec).name.upper()
    return name.replace("ISO8859-", "ISO-8859-")


def _undecodable(path: Path, codec: str) -> bool:
    """Whether any byte sequence of the file cannot be decoded as ``codec`` (streamed)."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return True
    return False


def _decide_encoding(path: Path, declared: str | None, report: LoadReport) -> str:
    """The codec of the drawing's text, recorded in ``report``."""
    header = dxf_header(path)
    version = header.get("$ACADVER", "")
    codepage = header.get("$DWGCODEPAGE")
    if declared is not None:
        report.encoding, report.encoding_evidence = declared, f"declared encoding={declared!r}"
        return declared
    if version.upper() >= "AC1021":
        report.encoding = "UTF-8"
        report.encoding_evidence = f"$ACADVER {version} (DXF R2007 or later) text is UTF-8"
        return "UTF-8"
    codec = _codec(codepage) if codepage else None
    if codec is not None:
        report.encoding = codec
        report.encoding_evidence = f"$DWGCODEPAGE {codepage}" + (
            " (GBK; read as GB18030, its superset)" if codec == "GB18030" else "")
        return codec
    from ._text import decode_text

    decode_text(path.read_bytes(), declared=None, report=report)  # notes encoding.detected
    said = f"$DWGCODEPAGE {codepage!r} is not a known code page" if codepage else \
        "the drawing names no $DWGCODEPAGE"
    report.encoding_evidence = f"{said}; {report.encoding_evidence}"
    return report.encoding or "UTF-8"


def _read_text(path: Path, engine: Engine, declared: str | None,
               report: LoadReport) -> tuple[RawLayer, pd.DataFrame]:
    """The entities and their kept fields, the text decoded as the drawing says.

    GDAL recodes the text (``DXF_ENCODING``) and then translates the escapes, but drops
    undecodable bytes with a warning it gives once per process; so the file is checked here,
    and only when it holds undecodable bytes is it read again without recoding, to name each
    such cell (fid and field) and keep it with U+FFFD.
    """
    codec = _decide_encoding(path, declared, report)
    raw = _entities(path, engine, _gdal_encoding(codec))
    frame = raw.attributes[[c for c in _FIELDS if c in raw.attributes.columns]]
    frame = frame.astype(object).where(frame.notna(), None)
    for name in raw.attributes.columns:
        if name not in _FIELDS:
            report.add("source.field_dropped", f"GDAL's DXF field {name!r} (drawing structure or "
                       f"style) is not kept; kept: {', '.join(_FIELDS)}",
                       severity=Severity.INFO, field=str(name))
    if not _undecodable(path, codec):
        return raw, frame
    exact = _entities(path, engine, "ISO-8859-1", translate=False)  # each byte one character
    if not np.array_equal(exact.fids, raw.fids):  # pragma: no cover - same driver, same file
        raise LayerReadError(f"{path}: cannot re-read the text GDAL failed to decode")
    rows = {int(fid): row for row, fid in enumerate(raw.fids)}
    for name in frame.columns:
        if name not in exact.attributes:
            continue
        for fid, value in zip(exact.fids.tolist(), exact.attributes[name].tolist(),
                              strict=True):
            if not isinstance(value, str) or value.isascii():
                continue
            data = value.encode("latin-1", errors="replace")
            try:
                data.decode(codec)
            except UnicodeDecodeError:
                text = data.decode(codec, errors="replace")
                frame.iloc[rows[fid], frame.columns.get_loc(name)] = text
                report.add("encoding.undecodable",
                           f"bytes {data.hex(' ')} cannot be decoded as {codec}; kept with "
                           f"U+FFFD: {text!r}", severity=Severity.PROBLEM, fid=fid, field=name,
                           error=EncodingError)
    return raw, frame


def dxf_layers(path: Path) -> dict[str, str]:
    """The CAD layers of the drawing: name -> geometry type (``Mixed`` for several)."""
    raw, frame = _read_text(path, Engine.PYOGRIO, None, LoadReport(source=str(path)))
    kinds = shapely.get_type_id(shapely.from_wkb(raw.wkb))
    names = {-1: "None", 0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon",
             4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
    layers: dict[str, str] = {}
    for layer, kind in zip(frame.get("Layer", pd.Series(dtype=object)).tolist(), kinds,
                           strict=True):
        name = names.get(int(kind), "Unknown")
        previous = layers.get(str(layer))
        layers[str(layer)] = name if previous in (None, name) else "Mixed"
    return layers


def read_dxf(path: Path, request: ReadRequest) -> RawLayer:
    """Read the entities of one CAD layer (every layer when ``request.layer`` is None).

    Raises
    ------
    LayerReadError
        If GDAL cannot read the drawing, or it has no CAD layer ``request.layer``.
    """
    report = request.report
    raw, frame = _read_text(path, request.engine, request.encoding, report)
    fids = raw.fids
    geoms = shapely.from_wkb(raw.wkb)
    selected = np.ones(len(frame), dtype=bool)
    if request.layer is not None:
        layers = frame["Layer"] if "Layer" in frame else pd.Series([None] * len(frame))
        selected = (layers == request.layer).to_numpy()
        if not selected.any():
            names = ", ".join(repr(n) for n in dict.fromkeys(layers.tolist()))
            raise LayerReadError(f"{request.path}: no CAD layer {request.layer!r}; layers: "
                                 f"{names}")
    geoms = _flatten(geoms, fids, report, selected)
    if request.options.get("closed_as_polygons"):
        geoms, keep = _polygons_with_labels(frame, fids, geoms, report, selected)
    else:
        keep = selected
    frame, fids, geoms = frame[keep].reset_index(drop=True), fids[keep], geoms[keep]
    wkb = np.asarray(shapely.to_wkb(geoms), dtype=object)
    return RawLayer(attributes=frame, wkb=wkb, fids=fids, crs_wkt=None, driver="DXF",
                    geometry_type=None, gdal_messages=raw.gdal_messages)


def _flatten(geoms: np.ndarray, fids: np.ndarray, report: LoadReport,
             selected: np.ndarray) -> np.ndarray:
    """Drop Z; name each selected entity that had real elevations (GDAL gives Z = 0 to 2D
    ones)."""
    has_z = shapely.has_z(geoms)
    coords, index = shapely.get_coordinates(geoms[has_z], include_z=True, return_index=True)
    z = coords[:, 2]
    real = np.isfinite(z) & (z != 0)
    rows = np.flatnonzero(has_z)
    if real.any():
        count = np.bincount(index[real], minlength=len(rows))
        low = np.full(len(rows), np.inf)
        high = np.full(len(rows), -np.inf)
        np.minimum.at(low, index[real], z[real])
        np.maximum.at(high, index[real], z[real])
        for k in np.flatnonzero((count > 0) & selected[rows]):
            i = rows[k]
            what = "polyline" if shapely.get_type_id(geoms[i]) in (1, 2) else "entity"
            report.add("dxf.flattened",
                       f"3D {what} with elevations {low[k]:g}–{high[k]:g} m flattened: "
                       "lengths and areas are horizontal", severity=Severity.INFO,
                       fid=int(fids[i]))
    out = geoms.copy()
    out[has_z] = shapely.force_2d(geoms[has_z])
    return out


def _polygons_with_labels(
    frame: pd.DataFrame, fids: np.ndarray, geoms: np.ndarray, report: LoadReport,
    selected: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Closed polylines of the selected layer as polygons, with the labels inside attached.

    Labels of every CAD layer are matched (annotation often has a layer of its own); those of
    the selected layer that lie in no polygon are reported. Returns the geometries and which
    features to keep (the selected ones, less the labels).
    """
    kinds = shapely.get_type_id(geoms)
    closed = (kinds == 1) & shapely.is_closed(geoms) & (shapely.get_num_coordinates(geoms) >= 4)
    geoms = geoms.copy()
    if closed.any():
        coords, index = shapely.get_coordinates(geoms[closed], return_index=True)
        geoms[closed] = shapely.polygons(shapely.linearrings(coords, indices=index))
    if (closed & selected).any():
        report.add("dxf.closed_as_polygon",
                   f"{int((closed & selected).sum())} closed polyline(s) read as polygons "
                   f"(#{', #'.join(str(int(f)) for f in fids[closed & selected])}), as "
                   "closed_as_polygons=True asks", severity=Severity.INFO)
    text = frame["Text"] if "Text" in frame else pd.Series([None] * len(frame))
    is_label = (kinds == 0) & text.notna().to_numpy() & (text.astype(str).str.strip() != "")
    labels, polygons = np.flatnonzero(is_label), np.flatnonzero(closed)
    attached: dict[int, list[int]] = {}
    matched = np.zeros(len(geoms), dtype=bool)
    if labels.size and polygons.size:
        tree = shapely.STRtree(geoms[polygons])
        pairs = tree.query(geoms[labels], predicate="within")
        areas = shapely.area(geoms[polygons])
        best: dict[int, int] = {}
        for li, pi in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            if li not in best or areas[pi] < areas[best[li]]:
                best[li] = pi
        for li, pi in sorted(best.items()):
            attached.setdefault(int(polygons[pi]), []).append(int(labels[li]))
            matched[labels[li]] = True
    texts = text.tolist()
    for polygon, members in attached.items():
        if not selected[polygon]:
            continue
        joined = _LABEL_SEPARATOR.join(str(texts[m]).strip() for m in members)
        texts[polygon] = joined
        which = ", #".join(str(int(fids[m])) for m in members)
        report.add("dxf.label", f"label(s) {joined!r} (#{which}) attached to the polygon "
                   "they lie in", severity=Severity.INFO, fid=int(fids[polygon]), field="Text")
    for i in labels[~matched[labels] & selected[labels]]:
        x, y = shapely.get_x(geoms[i]), shapely.get_y(geoms[i])
        report.add("dxf.label_unmatched",
                   f"label {str(texts[i]).strip()!r} at ({x:.3f}, {y:.3f}) lies in no closed "
                   "polyline; dropped (draw the parcel's boundary closed, or move the label "
                   "inside it)", severity=Severity.PROBLEM, fid=int(fids[i]), field="Text")
    if "Text" in frame:
        frame["Text"] = texts
    return geoms, selected & ~is_label
