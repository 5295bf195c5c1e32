"""KML / KMZ read by county_gis itself: every Placemark of every Folder.

The folder path is kept in a ``folder`` column (``道路/2024``), the description HTML as text in
``description``, ExtendedData fields as columns. Geometries go through WKB like every other
source, so an unclosed ring is named by feature. GDAL's KML drivers flatten or drop folders, so
both engines use this reader.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LayerReadError
from ._engines import RawLayer, _geojson_to_wkb
from ._report import LoadReport, Severity
from ._text import decode_text, replace_undecodable

__all__ = ["kml_layers", "read_kml"]


def kml_layers(path: Path) -> dict[str, str]:
    """Folder path -> geometry type (``Mixed`` when a folder holds several)."""
    layers: dict[str, str] = {}
    for folder, _, geometry, _ in _kml_document(path, LoadReport(source=str(path)))[0]:
        kind = geometry["type"] if geometry else "None"
        previous = layers.get(folder)
        layers[folder] = kind if previous in (None, kind) else "Mixed"
    return layers


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _coords(element: ET.Element | None) -> list[list[float]]:
    text = _text(_child(element, "coordinates")) if element is not None else None
    if not text:
        return []
    return [[float(v) for v in token.split(",")] for token in text.split()]


def _kml_geometry(element: ET.Element) -> dict[str, Any] | None:
    name = _local(element.tag)
    if name == "Point":
        coords = _coords(element)
        return {"type": "Point", "coordinates": coords[0] if coords else []}
    if name == "LineString":
        return {"type": "LineString", "coordinates": _coords(element)}
    if name == "Polygon":
        rings = []
        for boundary in ("outerBoundaryIs", "innerBoundaryIs"):
            for child in element:
                if _local(child.tag) == boundary:
                    rings.append(_coords(_child(child, "LinearRing")))
        return {"type": "Polygon", "coordinates": rings}
    if name == "MultiGeometry":
        parts = [g for g in (_kml_geometry(c) for c in element) if g is not None]
        kinds = {p["type"] for p in parts}
        if len(kinds) == 1 and kinds.pop() in ("Point", "LineString", "Polygon"):
            return {"type": "Multi" + parts[0]["type"],
                    "coordinates": [p["coordinates"] for p in parts]}
        return {"type": "GeometryCollection", "geometries": parts}
    return None


#: (folder path, properties, GeoJSON-like geometry, why the geometry could not be read)
_Placemark = tuple[str, dict[str, Any], dict[str, Any] | None, str | None]


def _kml_document(
    path: Path, report: LoadReport, encoding: str | None = None
) -> tuple[list[_Placemark], bool]:
    """Every Placemark (see :data:`_Placemark`), in document order, and whether undecodable
    bytes were replaced by U+FFFD (the caller reports the cells).

    The text encoding is decided by :func:`~county_gis.io._text.decode_text` (the XML
    declaration, checked against the bytes; Python's XML parser refuses multi-byte encodings
    such as GB2312 itself).
    """
    text = decode_text(path.read_bytes(), declared=encoding, report=report, declaration=True)
    clean = replace_undecodable(text)
    try:
        root = ET.fromstring(clean)
    except ET.ParseError as exc:
        raise LayerReadError(f"{path}: not a readable KML document: {exc}") from exc
    found: list[_Placemark] = []

    def walk(element: ET.Element, folder: list[str]) -> None:
        for child in element:
            tag = _local(child.tag)
            if tag in ("Folder", "Document"):
                name = _text(_child(child, "name"))
                walk(child, folder + ([name or "(unnamed)"] if tag == "Folder" else []))
            elif tag == "Placemark":
                props: dict[str, Any] = {"name": _text(_child(child, "name")),
                                         "description": _text(_child(child, "description"))}
                extended = _child(child, "ExtendedData")
                if extended is not None:
                    for item in extended.iter():
                        if _local(item.tag) == "Data":
                            props[item.get("name", "")] = _text(_child(item, "value"))
                        elif _local(item.tag) == "SimpleData":
                            props[item.get("name", "")] = _text(item)
                geometry, problem = None, None
                for part in child:
                    try:
                        geometry = _kml_geometry(part)
                    except ValueError as exc:  # a coordinate that is not a number
                        problem = f"unreadable <coordinates> ({exc}); no geometry"
                        break
                    if geometry is not None:
                        break
                found.append(("/".join(folder), props, geometry, problem))

    walk(root, [])
    return found, clean != text


def read_kml(
    path: Path, *, layer: str | None, report: LoadReport, encoding: str | None = None
) -> RawLayer:
    """Read the placemarks of ``layer`` (a folder path; every folder when None).

    Raises
    ------
    LayerReadError
        If the document is not readable XML, or has no folder ``layer``.
    """
    placemarks, lossy = _kml_document(path, report, encoding)
    if layer is not None:
        # a folder that holds placemarks itself is read alone (read_layers() reads each folder
        # once, never a parent again with its children); a folder with only subfolders is
        # read with all of them
        exact = [p for p in placemarks if p[0] == layer]
        placemarks = exact or [p for p in placemarks if p[0].startswith(layer + "/")]
        if not placemarks:
            names = ", ".join(repr(f) for f in kml_layers(path))
            raise LayerReadError(f"{path}: no folder {layer!r}; folders: {names}")
    folders = sorted({p[0] for p in placemarks})
    report.add("kml.folders", f"{len(placemarks)} placemarks from {len(folders)} folder(s) "
               f"({', '.join(repr(f) for f in folders)}); the folder path is in the 'folder' "
               "column", severity=Severity.INFO)
    rows = [{"folder": folder, **{("folder_source" if k == "folder" else k): v
                                  for k, v in props.items()}}
            for folder, props, _, _ in placemarks]
    attributes = pd.DataFrame(rows)
    if "folder" not in attributes:
        attributes = pd.DataFrame(columns=["folder", "name", "description"])
    fids = np.arange(len(placemarks), dtype=np.int64)
    if lossy:  # the cells that hold the U+FFFD put in for undecodable bytes
        for column in attributes.columns:
            for row, value in enumerate(attributes[column].tolist()):
                if isinstance(value, str) and "\ufffd" in value:
                    report.add("encoding.undecodable",
                               f"holds bytes that cannot be decoded as {report.encoding}; kept "
                               f"with U+FFFD: {value!r}", severity=Severity.PROBLEM,
                               fid=int(fids[row]), field=str(column))
    wkb = np.empty(len(placemarks), dtype=object)
    for i, (_, _, geometry, problem) in enumerate(placemarks):
        wkb[i] = None if geometry is None else _geojson_to_wkb(geometry)
        if problem is not None:
            report.add("kml.bad_coordinates", problem, severity=Severity.PROBLEM,
                       fid=int(fids[i]))
    return RawLayer(attributes=attributes, wkb=wkb, fids=fids, crs_wkt="OGC:CRS84",
                    driver="KML", geometry_type=None)
