"""DXF from CAD and 南方CASS (R12 and later, ASCII), read through GDAL's DXF driver.

GDAL gives every entity of the drawing as one feature of its ``entities`` layer, with the CAD
layer in a ``Layer`` field and the text of TEXT / MTEXT in ``Text``. county_gis presents the
CAD layers as the source's layers (``list_layers`` gives ``{"宗地": "LineString", ...}``,
``layer="宗地"`` reads that CAD layer; no ``layer`` reads the whole drawing), and:

* **text encoding**: decided by county_gis from the drawing's header, not left to GDAL's
  iconv: ``encoding=`` when declared; UTF-8 for DXF R2007 and later (``$ACADVER`` AC1021+);
  else the ``$DWGCODEPAGE`` (``ANSI_936`` = GBK, read as GB18030, its superset); a drawing
  without a code page is decided from the bytes (an assumption, reported). GDAL is told to
  read the text as ISO-8859-1 (``DXF_ENCODING``), which hands on every byte unchanged, and the
  bytes are decoded here, so an undecodable byte is reported by feature and field.
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

import contextlib
import re
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
_LATIN1_RUN = re.compile(r"[\x00-\xff]+")
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
def _bytes_unchanged(engine: Engine) -> Iterator[None]:
    """GDAL reads DXF text as ISO-8859-1: each byte becomes one character, decoded here."""
    if engine is Engine.FIONA:
        import fiona

        with fiona.Env(DXF_ENCODING="ISO-8859-1"):
            yield
        return
    import pyogrio

    previous = pyogrio.get_gdal_config_option("DXF_ENCODING")
    pyogrio.set_gdal_config_options({"DXF_ENCODING": "ISO-8859-1"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"DXF_ENCODING": previous})


def _entities(path: Path, engine: Engine) -> RawLayer:
    with _bytes_unchanged(engine):
        return read_raw(path, layer="entities", encoding=None, engine=engine, driver="DXF")


def _cell_bytes(value: str) -> bytes:
    """The bytes of a cell GDAL read as ISO-8859-1 (characters above U+00FF came from
    ``\\U+XXXX`` escapes GDAL translated; they are kept as UTF-8 here only to be found)."""
    return value.encode("latin-1", errors="ignore")


def _decode(value: str, codec: str) -> tuple[str, bool]:
    """A cell as the drawing's code page says; whether every byte decoded."""
    ok = True

    def run(match: re.Match[str]) -> str:
        nonlocal ok
        data = match.group().encode("latin-1")
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            ok = False
            return data.decode(codec, errors="replace")

    return _LATIN1_RUN.sub(run, value), ok


def _decide_encoding(path: Path, cells: list[str], declared: str | None,
                     report: LoadReport) -> str:
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

    sample = b"\n".join(_cell_bytes(c) for c in cells if not c.isascii())
    decode_text(sample, declared=None, report=report)  # notes encoding.detected
    said = f"$DWGCODEPAGE {codepage!r} is not a known code page" if codepage else \
        "the drawing names no $DWGCODEPAGE"
    report.encoding_evidence = f"{said}; {report.encoding_evidence}"
    return report.encoding or "UTF-8"


def _text_cells(frame: pd.DataFrame) -> list[str]:
    return [v for name in frame.columns for v in frame[name].tolist() if isinstance(v, str)]


def _decoded(raw: RawLayer, path: Path, declared: str | None,
             report: LoadReport) -> pd.DataFrame:
    """The kept fields with their text decoded; undecodable bytes reported per cell."""
    frame = raw.attributes[[c for c in _FIELDS if c in raw.attributes.columns]]
    frame = frame.astype(object).where(frame.notna(), None)
    codec = _decide_encoding(path, _text_cells(frame), declared, report)
    for name in frame.columns:
        values = frame[name].tolist()
        for row, value in enumerate(values):
            if not isinstance(value, str) or value.isascii():
                continue
            values[row], ok = _decode(value, codec)
            if not ok:
                report.add("encoding.undecodable",
                           f"bytes {_cell_bytes(value).hex(' ')} cannot be decoded as {codec}; "
                           f"kept with U+FFFD: {values[row]!r}", severity=Severity.PROBLEM,
                           fid=int(raw.fids[row]), field=name, error=EncodingError)
        frame[name] = values
    return frame


def dxf_layers(path: Path) -> dict[str, str]:
    """The CAD layers of the drawing: name -> geometry type (``Mixed`` for several)."""
    report = LoadReport(source=str(path))
    raw = _entities(path, Engine.PYOGRIO)
    frame = _decoded(raw, path, None, report)
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
    raw = _entities(path, request.engine)
    frame = _decoded(raw, path, request.encoding, report)
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
    for i in np.flatnonzero(has_z & selected):
        z = shapely.get_coordinates(geoms[i], include_z=True)[:, 2]
        z = z[np.isfinite(z)]
        if z.size and np.any(z != 0):
            what = "polyline" if shapely.get_type_id(geoms[i]) in (1, 2) else "entity"
            report.add("dxf.flattened",
                       f"3D {what} with elevations {z.min():g}–{z.max():g} m flattened: "
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
    geoms[closed] = shapely.polygons(shapely.linearrings(
        [shapely.get_coordinates(g) for g in geoms[closed]])) if closed.any() else []
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
