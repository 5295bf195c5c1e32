"""KML / KMZ read by county_gis itself: every Placemark of every Folder.

The folder path is kept in a ``folder`` column (``道路/2024``), the placemark's ``id`` in
``kml_id``, the description whole in ``description`` (HTML written outside CDATA included), and
ExtendedData fields as columns, typed as their ``<Schema>`` declares (int / float / bool; a cell
that does not fit is left empty and reported). An HTML table of ``<td>key</td><td>value</td>``
rows inside a description (how 奥维 and Google Earth export attributes) becomes columns.
``gx:Track`` / ``gx:MultiTrack`` (GPS tracks of 两步路, 奥维, Google Earth) are lines, with their
first and last ``<when>`` in ``time_begin`` / ``time_end``; ``TimeStamp`` / ``TimeSpan`` go to
``timestamp`` / ``time_begin`` / ``time_end``. Times keep their time zone (timezone-aware when
every value states one). Geometries go through WKB like every other source, so an unclosed ring
is named by feature. GDAL's KML drivers flatten or drop folders, so both engines use this
reader.
"""

from __future__ import annotations

import datetime
import html.parser
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
        # a placemark is a feature even when its geometry is missing or unreadable (then
        # reported per feature), never an attribute-only table that read_layers() would skip
        kind = geometry["type"] if geometry else "Unknown"
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


def _track(element: ET.Element) -> tuple[list[list[float]], list[str]]:
    """The ``gx:coord`` points (``lon lat [alt]``, space separated) and ``when`` times."""
    coords, times = [], []
    for child in element:
        tag = _local(child.tag)
        if tag == "coord" and child.text and child.text.strip():
            coords.append([float(v) for v in child.text.split()])
        elif tag == "when" and child.text and child.text.strip():
            times.append(child.text.strip())
    return coords, times


def _kml_geometry(element: ET.Element) -> dict[str, Any] | None:
    name = _local(element.tag)
    if name == "Track":
        coords, times = _track(element)
        return {"type": "LineString", "coordinates": coords, "times": times}
    if name == "MultiTrack":
        tracks = [_track(c) for c in element if _local(c.tag) == "Track"]
        return {"type": "MultiLineString", "coordinates": [c for c, _ in tracks],
                "times": [t for _, ts in tracks for t in ts]}
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
    if name == "LatLonBox":  # a GroundOverlay's footprint (rotation is not applied)
        n, s, e, w = (float(_text(_child(element, k)) or "nan") for k in
                      ("north", "south", "east", "west"))
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    if name == "LatLonQuad":
        corners = _coords(element)
        return {"type": "Polygon", "coordinates": [corners + corners[:1]]}
    if name in ("MultiGeometry", "MultiPolygon", "MultiLineString", "MultiPoint"):
        # MultiPolygon / MultiLineString / MultiPoint are not KML 2.2, but tools write them
        parts = [g for g in (_kml_geometry(c) for c in element) if g is not None]
        for part in parts:
            part.pop("times", None)
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
            elif tag in ("Placemark", "GroundOverlay"):
                found.append(_placemark(child, "/".join(folder), schemas))

    _check_depth(root, path)
    schemas = _schemas(root)
    try:
        walk(root, [])
    except RecursionError:  # the depth check bounds the folders; this guards the rest
        raise LayerReadError(f"{path}: elements nested too deeply to read") from None
    return found, clean != text


#: Deepest element nesting read from a KML (Google Earth exports stay below 30).
MAX_KML_DEPTH = 200


def _check_depth(root: ET.Element, path: Path) -> None:
    """Refuse a document nested deeper than :data:`MAX_KML_DEPTH` (walked without recursion)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_KML_DEPTH:
            raise LayerReadError(
                f"{path}: elements are nested more than {MAX_KML_DEPTH} deep (a "
                f"<{_local(element.tag)}> at that depth); no real KML is: refused. Export it "
                "again from the program that made it")
        stack.extend((child, depth + 1) for child in element)


#: ``<SimpleField type=...>`` -> the Python type of its values
_SCHEMA_TYPES: dict[str, type] = {"int": int, "uint": int, "short": int, "ushort": int,
                                  "float": float, "double": float, "bool": bool}


def _schemas(root: ET.Element) -> dict[str, dict[str, str]]:
    """Schema id (and name) -> field name -> declared type, for every ``<Schema>``."""
    out: dict[str, dict[str, str]] = {}
    for schema in root.iter():
        if _local(schema.tag) != "Schema":
            continue
        fields = {f.get("name", ""): (f.get("type") or "string").lower() for f in schema
                  if _local(f.tag) == "SimpleField"}
        for key in (schema.get("id"), schema.get("name")):
            if key:
                out[key] = fields
    return out


def _typed(value: str | None, kind: str) -> tuple[Any, bool]:
    """``value`` as the schema type ``kind``; (None, False) when it does not fit."""
    target = _SCHEMA_TYPES.get(kind)
    if value is None or target is None or value == "":
        return (None if value == "" and target is not None else value), True
    try:
        if target is bool:
            low = value.strip().lower()
            if low not in ("0", "1", "true", "false"):
                return None, False
            return low in ("1", "true"), True
        number = float(value)
        if target is int:
            if not number.is_integer():
                return None, False
            return int(number), True
        return number, True
    except ValueError:
        return None, False


def _inner_markup(element: ET.Element) -> str:
    """The element's content as written: text and child tags (HTML outside CDATA)."""
    parts = [element.text or ""]

    def emit(node: ET.Element) -> None:
        attrs = "".join(f' {_local(k)}="{v}"' for k, v in node.attrib.items())
        tag = _local(node.tag)
        if len(node) == 0 and not node.text:
            parts.append(f"<{tag}{attrs}/>")
        else:
            parts.append(f"<{tag}{attrs}>{node.text or ''}")
            for sub in node:
                emit(sub)
            parts.append(f"</{tag}>")
        parts.append(node.tail or "")

    for child in element:
        emit(child)
    return "".join(parts).strip()


class _TableRows(html.parser.HTMLParser):
    """The rows of HTML tables: the text of each ``<td>`` / ``<th>`` per ``<tr>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.headers: set[int] = set()
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []
            if tag == "th":  # a header row names the table's columns: no key / value pair
                self.headers.add(len(self.rows) - 1)
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def description_table(description: str | None) -> dict[str, str]:
    """Key / value pairs of the two-cell rows of HTML tables in a description.

    Examples
    --------
    >>> description_table("<table><tr><td>树种</td><td>油松</td></tr>"
    ...                   "<tr><td>面积(亩)</td><td>12</td></tr></table>")
    {'树种': '油松', '面积(亩)': '12'}
    >>> description_table("面积 12 亩<br/>树种：油松")
    {}
    """
    if not description or "<t" not in description.lower():
        return {}
    parser = _TableRows()
    parser.feed(description)
    parser.close()
    return {row[0]: row[1] for i, row in enumerate(parser.rows)
            if len(row) == 2 and row[0] and i not in parser.headers}


def _times(element: ET.Element) -> dict[str, str]:
    out: dict[str, str] = {}
    stamp = _child(element, "TimeStamp")
    if stamp is not None and _text(_child(stamp, "when")):
        out["timestamp"] = _text(_child(stamp, "when")) or ""
    span = _child(element, "TimeSpan")
    if span is not None:
        for key in ("begin", "end"):
            value = _text(_child(span, key))
            if value:
                out[f"time_{key}"] = value
    return out


def _placemark(
    element: ET.Element, folder: str, schemas: dict[str, dict[str, str]]
) -> _Placemark:
    description = _child(element, "description")
    props: dict[str, Any] = {
        "kml_id": element.get("id"),
        "name": _text(_child(element, "name")),
        "description": _inner_markup(description) if description is not None else None,
    }
    props.update(_times(element))
    extended = _child(element, "ExtendedData")
    if extended is not None:
        for item in extended.iter():
            tag = _local(item.tag)
            if tag == "Data":
                props[item.get("name", "")] = _text(_child(item, "value"))
            elif tag == "SchemaData":
                fields = schemas.get((item.get("schemaUrl") or "").lstrip("#"), {})
                for data in item:
                    if _local(data.tag) != "SimpleData":
                        continue
                    name = data.get("name", "")
                    raw = _text(data)
                    kind = fields.get(name, "string")
                    value, ok = _typed(raw, kind)
                    if not ok:
                        props.setdefault("_notes", []).append(
                            ("value.schema_type", f"{raw!r} is not a {kind} as the <Schema> "
                             "declares; left empty", name, Severity.PROBLEM))
                    props[name] = value
                    if kind in _SCHEMA_TYPES:
                        props.setdefault("_types", {})[name] = _SCHEMA_TYPES[kind]
    for key, value in description_table(props["description"]).items():
        if key in props:
            continue  # ExtendedData wins; the description still holds the table
        props[key] = value
        props.setdefault("_from_description", []).append(key)
    geometry, problem = None, None
    for part in element:
        try:
            geometry = _kml_geometry(part)
        except ValueError as exc:  # a coordinate that is not a number
            problem = f"unreadable <coordinates> ({exc}); no geometry"
            break
        if geometry is not None:
            break
    if _local(element.tag) == "GroundOverlay":
        box = _child(element, "LatLonBox")
        rotation = _text(_child(box, "rotation")) if box is not None else None
        props.setdefault("_notes", []).append(
            ("kml.ground_overlay", "a GroundOverlay (an image laid on the map): read as the "
             "polygon of its corners" + (f"; its rotation {rotation} degrees is not applied"
                                         if rotation and float(rotation) else ""),
             None, Severity.INFO))
    if geometry is not None and "times" in geometry:
        times = geometry.pop("times")
        if times:
            props.setdefault("time_begin", times[0])
            props.setdefault("time_end", times[-1])
    return folder, props, geometry, problem


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
    fids = np.arange(len(placemarks), dtype=np.int64)
    rows = []
    from_description: dict[str, int] = {}
    typed: dict[str, type] = {}
    for fid, (folder, props, _, _) in zip(fids.tolist(), placemarks, strict=True):
        props = dict(props)
        for code, message, field, severity in props.pop("_notes", []):
            report.add(code, message, severity=severity, fid=fid, field=field)
        typed.update(props.pop("_types", {}))
        for key in props.pop("_from_description", []):
            from_description[key] = from_description.get(key, 0) + 1
        rows.append({"folder": folder, **{("folder_source" if k == "folder" else k): v
                                          for k, v in props.items()}})
    attributes = pd.DataFrame(rows)
    if "folder" not in attributes:
        attributes = pd.DataFrame(columns=["folder", "kml_id", "name", "description"])
    if from_description:
        listed = ", ".join(f"{k!r} ({n})" for k, n in from_description.items())
        report.add("kml.description_table", "columns read from the HTML table in the "
                   f"descriptions (placemarks holding each): {listed}; the description is "
                   "kept whole", severity=Severity.INFO)
    for column, kind in typed.items():  # <Schema> int / bool columns keep their type
        if column in attributes:
            dtype = {int: "Int64", bool: "boolean", float: "float64"}[kind]
            attributes[column] = attributes[column].astype(dtype)
    attributes = _time_columns(attributes, report)
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


#: columns of KML times (TimeStamp, TimeSpan, and the first / last time of a track)
TIME_COLUMNS = ("timestamp", "time_begin", "time_end")


def _time_columns(attributes: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """KML times as timestamps that keep their time zone.

    Every value states a zone: timezone-aware (one fixed offset when all share it, else UTC,
    said so). No value states one: naive, said so. Some do, some do not: kept as text, said so.
    """
    import re

    zoned = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
    for column in TIME_COLUMNS:
        if column not in attributes:
            continue
        texts = [v for v in attributes[column].tolist() if isinstance(v, str) and v]
        if not texts:
            continue
        with_zone = [zoned.search(t) is not None for t in texts]
        try:
            if all(with_zone):
                parsed = pd.to_datetime(attributes[column], utc=True, format="ISO8601")
                offsets = {m.group(1).replace(":", "").replace("Z", "+0000")
                           for m in (zoned.search(t) for t in texts) if m}
                if len(offsets) == 1:
                    offset = offsets.pop()
                    sign = -1 if offset[0] == "-" else 1
                    delta = datetime.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:]))
                    parsed = parsed.dt.tz_convert(datetime.timezone(sign * delta))
                    note = f"every value states UTC{offset[:3]}:{offset[3:]}: kept (timezone-aware)"
                else:
                    note = (f"offsets {', '.join(sorted(offsets))} differ: converted to UTC "
                            "(timezone-aware)")
            elif not any(with_zone):
                parsed = pd.to_datetime(attributes[column], format="ISO8601")
                note = "no time zone stated: local times as written (timezone-naive)"
            else:
                report.add("kml.time_zone_mixed", f"some {column!r} values state a time zone, "
                           "some do not: kept as text", severity=Severity.PROBLEM,
                           field=column)
                continue
        except (ValueError, TypeError) as exc:
            report.add("kml.time_unreadable", f"{column!r} values are not all ISO 8601 "
                       f"times ({exc}): kept as text", severity=Severity.PROBLEM, field=column)
            continue
        attributes[column] = parsed
        report.add("kml.time", f"{column!r}: {note}", severity=Severity.INFO, field=column)
    return attributes
