"""The text encoding of CSV, GeoJSON and KML files, decided from their bytes and reported.

The decision, in order: ``encoding=`` declared by the caller; a byte order mark (UTF-8,
UTF-16); the document's own declaration (``<?xml ... encoding="GB2312"?>``), checked against the
bytes; valid UTF-8; else GB18030 (the superset of GBK / GB2312, an assumption). When no encoding
decodes every byte, the one that decodes most lines is used and the undecodable bytes are kept
as lone surrogates (``surrogateescape``), so that each caller can name the feature and field
that holds them (:func:`undecodable_cells`) before replacing them with U+FFFD.

Examples
--------
>>> from county_gis.io._report import LoadReport
>>> report = LoadReport(source="pv.csv")
>>> decode_text("名称,经度\\n光伏,121.6\\n".encode("gbk"), declared=None, report=report)
'名称,经度\\n光伏,121.6\\n'
>>> report.encoding, report.notes[0].code
('GB18030', 'encoding.detected')
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EncodingError
from ._report import LoadReport, Severity

__all__ = ["decode_text", "geojson_as_utf8", "has_undecodable", "replace_undecodable",
           "undecodable_cells"]

_BOMS = ((codecs.BOM_UTF8, "UTF-8", "utf-8-sig"), (codecs.BOM_UTF16_LE, "UTF-16", "utf-16"),
         (codecs.BOM_UTF16_BE, "UTF-16", "utf-16"))
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_SURROGATE = re.compile("[\udc80-\udcff]")
#: Chinese code pages, all read as their superset GB18030
_GB = {"gb2312", "gbk", "gb18030", "cp936", "936", "euc-cn", "euccn", "x-gbk", "hz"}


def _family(name: str) -> str:
    key = name.strip().lower()
    if key in _GB:
        return "GB18030"
    try:
        return codecs.lookup(key).name.upper().replace("_", "-")
    except LookupError:
        return name


def _valid(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def decode_text(
    data: bytes, *, declared: str | None, report: LoadReport, declaration: bool = False
) -> str:
    """Decide the encoding of ``data``, record it in ``report``, and return the text.

    ``declaration``: the format carries its encoding in an XML declaration (KML). Undecodable
    bytes stay in the text as lone surrogates (see :func:`undecodable_cells`).

    Raises
    ------
    EncodingError
        Under ``strict``, when the encoding is an assumption (no declaration, or one the bytes
        contradict).
    """
    if declared is not None:
        report.encoding, report.encoding_evidence = declared, f"declared encoding={declared!r}"
        return data.decode(declared, errors="surrogateescape")
    for bom, name, codec in _BOMS:
        if data.startswith(bom):
            report.encoding, report.encoding_evidence = name, f"{name} byte order mark"
            return data.decode(codec, errors="surrogateescape")
    match = _XML_DECLARATION.match(data) if declaration else None
    if match is not None:
        said = match.group(1).decode("ascii")
        name = _family(said)
        if name != "UTF-8" and not data.isascii() and _valid(data, "utf-8"):
            report.add("encoding.declaration_contradicted",
                       f"the XML declaration says {said!r} but every byte sequence is valid "
                       "UTF-8 (GBK text almost never is): UTF-8 used (declare encoding= to "
                       "override)", severity=Severity.ASSUMPTION, error=EncodingError)
            report.encoding = "UTF-8"
            report.encoding_evidence = f"bytes are UTF-8; XML declaration {said!r} contradicted"
            return data.decode("utf-8")
        report.encoding = name
        report.encoding_evidence = f"the XML declaration says {said!r}" + (
            " (read as GB18030, its superset)" if name == "GB18030" and said.lower() !=
            "gb18030" else "")
        return data.decode(name, errors="surrogateescape")
    if _valid(data, "utf-8"):
        report.encoding = "UTF-8"
        report.encoding_evidence = ("all text is ASCII" if data.isascii()
                                    else "every byte sequence is valid UTF-8")
        return data.decode("utf-8")
    if _valid(data, "gb18030"):
        evidence = "not UTF-8; every byte decodes as GB18030 (the superset of GBK / GB2312)"
        name = "GB18030"
    else:
        lines = [line for line in data.splitlines() if not line.isascii()]
        utf8 = sum(_valid(line, "utf-8") for line in lines)
        name = "UTF-8" if 2 * utf8 > len(lines) else "GB18030"
        evidence = (f"no encoding decodes every byte; {utf8} of {len(lines)} non-ASCII lines "
                    f"are valid UTF-8, so {name}; the undecodable bytes are listed")
    report.add("encoding.detected", f"encoding {name} detected: {evidence}",
               severity=Severity.ASSUMPTION, error=EncodingError)
    report.encoding, report.encoding_evidence = name, evidence
    return data.decode(name, errors="surrogateescape")


def has_undecodable(text: str) -> bool:
    """Whether ``text`` holds undecodable bytes (lone surrogates)."""
    return _SURROGATE.search(text) is not None


def replace_undecodable(text: str) -> str:
    """``text`` with each undecodable byte (a lone surrogate) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def undecodable_cells(
    frame: pd.DataFrame, fids: np.ndarray, report: LoadReport
) -> pd.DataFrame:
    """Report every cell holding undecodable bytes by feature and field; replace them (U+FFFD).

    ``frame`` holds the text as Python strings (``dtype=object``: Arrow strings cannot hold the
    lone surrogates that stand for the undecodable bytes).

    Examples
    --------
    >>> report = LoadReport(source="t.csv", layer="t", encoding="GB18030")
    >>> cell = b"A\\xff".decode("gb18030", "surrogateescape")
    >>> frame = pd.DataFrame({"名称": ["好", cell]}, dtype=object)
    >>> undecodable_cells(frame, np.array([0, 1]), report)["名称"].tolist()
    ['好', 'A�']
    >>> print(report.notes[0])
    t.csv:t#1 (名称): bytes 41 ff cannot be decoded as GB18030; kept with U+FFFD: 'A�'
    """
    codec = report.encoding or "utf-8"
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_object_dtype(values.dtype):
            continue
        hits = values.map(lambda v: isinstance(v, str) and bool(_SURROGATE.search(v)))
        if not hits.any():
            continue
        fixed = values.copy()
        for row in np.flatnonzero(hits.to_numpy(dtype=bool)):
            raw_text = fixed.iloc[row]
            clean = replace_undecodable(raw_text)
            raw = raw_text.encode(codec, errors="surrogateescape")
            report.add("encoding.undecodable",
                       f"bytes {raw.hex(' ')} cannot be decoded as {codec.upper()}; kept with "
                       f"U+FFFD: {clean!r}", severity=Severity.PROBLEM, fid=int(fids[row]),
                       field=str(column))
            fixed.iloc[row] = clean
        frame = frame.assign(**{str(column): fixed})
    return frame


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def geojson_as_utf8(
    path: Path, folder: Path, *, encoding: str | None, report: LoadReport
) -> Path:
    """``path`` if it is UTF-8 (as GeoJSON must be), else a UTF-8 copy of it in ``folder``.

    GDAL reads GeoJSON as UTF-8 only; a GBK export (common from older Chinese tools) would
    fail or turn to mojibake. The bytes decide, as for CSV; the decision is reported.
    Undecodable bytes are reported by feature (its position) and property, and kept as U+FFFD.
    """
    data = path.read_bytes()
    text = decode_text(data, declared=encoding, report=report)
    moved = _move_feature_ids(text, report) if b'"id"' in data else None
    if moved is not None:
        text = moved
    elif report.encoding == "UTF-8" and encoding is None:
        return path
    if _SURROGATE.search(text):
        document = json.loads(text)
        for index, feature in enumerate(document.get("features", [])):
            fid = feature.get("id") if isinstance(feature.get("id"), int) else index
            for keys, value in _strings(feature.get("properties") or {}):
                if _SURROGATE.search(value):
                    raw = value.encode(report.encoding or "utf-8", errors="surrogateescape")
                    report.add("encoding.undecodable",
                               f"bytes {raw.hex(' ')} cannot be decoded as {report.encoding}; "
                               f"kept with U+FFFD: {replace_undecodable(value)!r}",
                               severity=Severity.PROBLEM, fid=fid, field="/".join(keys))
        text = replace_undecodable(text)
    copy = folder / path.name
    copy.write_text(text, encoding="utf-8")
    if report.encoding != "UTF-8" or encoding is not None:
        report.add("encoding.transcoded", f"GeoJSON text is {report.encoding}, not UTF-8 as "
                   "the format requires: read from a UTF-8 copy", severity=Severity.INFO)
    return copy


#: the column that keeps GeoJSON feature ids when the properties hold an ``id`` of their own
FEATURE_ID_COLUMN = "feature_id"


def _move_feature_ids(text: str, report: LoadReport) -> str | None:
    """The GeoJSON text with each feature's ``id`` moved into its properties as ``feature_id``,
    when some feature has both an ``id`` and a property ``id`` (GDAL then fails: "Field id
    exists 2 times"); else None (nothing to move).

    Examples
    --------
    >>> report = LoadReport(source="a.geojson")
    >>> doc = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "A1", '
    ...        '"properties": {"id": 7}, "geometry": null}]}')
    >>> json.loads(_move_feature_ids(doc, report))["features"][0]["properties"]
    {'id': 7, 'feature_id': 'A1'}
    """
    try:
        document = json.loads(replace_undecodable(text))
    except ValueError:
        return None  # GDAL says what is wrong with it
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        return None
    clash = any(isinstance(f, dict) and "id" in f and isinstance(f.get("properties"), dict)
                and "id" in f["properties"] for f in features)
    if not clash:
        return None
    taken = any(isinstance(f, dict) and isinstance(f.get("properties"), dict)
                and FEATURE_ID_COLUMN in f["properties"] for f in features)
    column = f"{FEATURE_ID_COLUMN}_geojson" if taken else FEATURE_ID_COLUMN
    for feature in features:
        if isinstance(feature, dict) and "id" in feature:
            properties = feature.get("properties")
            if not isinstance(properties, dict):
                properties = feature["properties"] = {}
            properties[column] = feature.pop("id")
    report.add("geojson.feature_id", "the features carry both a feature 'id' and a property "
               f"'id': the property is kept as 'id', the feature ids in column {column!r} "
               "(read from a rewritten temporary copy)", severity=Severity.INFO, field=column)
    return json.dumps(document, ensure_ascii=False)
