"""Tables with coordinate columns (CSV / XLSX).

* CSV: the encoding is decided from the bytes by :mod:`._text` (undecodable bytes reported by
  feature and field). The coordinate columns are found through the ``[coordinates]`` aliases of
  ``data/field_aliases.toml`` (经度/纬度, 东经/北纬, lon/lat, X/Y). Degrees may be decimal or
  度分秒 (``121°30'15"``, ``121度30分15秒``, ``东经121°30′``).
* XLSX: one layer per sheet.

KML lives in :mod:`._kml`, GeoParquet in :mod:`._parquet`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import LayerReadError
from ._attributes import _key, _read_toml
from ._engines import RawLayer
from ._report import LoadReport, Severity
from ._text import decode_text, has_undecodable, undecodable_cells

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["csv_layers", "parse_degrees", "read_csv", "read_xlsx", "xlsx_layers"]

log = logging.getLogger(__name__)

_DMS = re.compile(
    r"^(?P<hemi1>[NSEW东西南北]|东经|北纬|西经|南纬)?\s*"
    r"(?P<deg>\d+(?:\.\d+)?)\s*(?:°|度|:|\s)\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*(?:'|′|分|:|\s)\s*)?"
    r"(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:\"|″|''|′′|秒)?\s*)?"
    r"(?P<hemi2>[NSEW东西南北])?$"
)


def parse_degrees(text: Any) -> float:
    """Degrees from a decimal number or a 度分秒 text; NaN when empty or unreadable.

    Examples
    --------
    >>> parse_degrees("121°30'36\\"")
    121.51
    >>> parse_degrees("东经121度30分36秒")
    121.51
    >>> parse_degrees("42.1")
    42.1
    >>> math.isnan(parse_degrees("north"))
    True
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return math.nan
    if isinstance(text, int | float | np.integer | np.floating):
        return float(text)
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    if not raw:
        return math.nan
    try:
        return float(raw)
    except ValueError:
        pass
    match = _DMS.match(raw)
    if match is None:
        return math.nan
    value = float(match["deg"]) + float(match["min"] or 0) / 60 + float(match["sec"] or 0) / 3600
    hemi = (match["hemi1"] or "") + (match["hemi2"] or "")
    if any(h in hemi for h in ("S", "W", "西", "南")):
        value = -value
    return round(value, 12)


@cache
def _coordinate_aliases() -> dict[str, str]:
    data = _read_toml("field_aliases.toml").get("coordinates", {})
    return {_key(alias): role for role, aliases in data.items() for alias in aliases}


#: the first bytes of an OLE2 compound file: an Excel 97-2003 .xls (or .doc, .et ...)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@contextlib.contextmanager
def _xlsx_errors(path: Path) -> Iterator[None]:
    """Turn openpyxl's and zipfile's errors on a broken workbook into LayerReadError."""
    import zipfile

    try:
        yield
    except LayerReadError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head == _OLE2:
            raise LayerReadError(
                f"{path}: an Excel 97-2003 workbook (.xls) named .xlsx; open it in Excel or "
                "WPS and save it as .xlsx (or export the sheet as CSV)") from exc
        if head.startswith(b"PK"):
            why = (f"a zip that is truncated or damaged ({type(exc).__name__}: {exc}); "
                   "copy the file again or re-save it in Excel / WPS")
        else:
            why = (f"not an .xlsx workbook (starts with bytes {head.hex(' ')}); save it as "
                   ".xlsx, or export the sheet as CSV")
        raise LayerReadError(f"{path}: cannot read the workbook: {why}") from exc


def csv_layers(path: Path) -> dict[str, str]:
    """A CSV is one layer of points, named after the file."""
    return {path.stem: "Point"}


def xlsx_layers(path: Path) -> dict[str, str]:
    """An XLSX has one layer of points per sheet."""
    from openpyxl import load_workbook

    with _xlsx_errors(path):
        workbook = load_workbook(path, read_only=True)
    try:
        return {name: "Point" for name in workbook.sheetnames}
    finally:
        workbook.close()


def read_csv(path: Path, request: ReadRequest) -> RawLayer:
    """Read a CSV with coordinate columns; the encoding decided from the bytes."""
    report = request.report
    report.engine = "county_gis"  # parsed here, whatever the engine
    report.layer = report.layer or path.stem
    text = decode_text(path.read_bytes(), declared=request.encoding, report=report)
    # undecodable bytes stand in the text as lone surrogates, which only the Python
    # parser keeps (the C parser re-encodes the text as UTF-8)
    frame = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False,
                        skipinitialspace=True,
                        engine="python" if has_undecodable(text) else "c")
    frame = undecodable_cells(frame, np.arange(len(frame)), report)
    frame = frame.rename(columns=lambda c: str(c).strip())
    return _points_from_columns(frame, path, report, "CSV")


def read_xlsx(path: Path, request: ReadRequest) -> RawLayer:
    """Read one sheet of an XLSX with coordinate columns.

    Raises
    ------
    LayerReadError
        If the workbook has several sheets and none was chosen.
    """
    report, layer = request.report, request.layer
    report.engine = "county_gis"  # parsed here, whatever the engine
    if layer is None:
        sheets = xlsx_layers(path)
        if len(sheets) > 1:
            raise LayerReadError(
                f"{path} has {len(sheets)} sheets ({', '.join(map(repr, sheets))}); pass "
                "layer=<sheet> or read them all with read_layers()"
            )
        layer = next(iter(sheets))
        report.layer = layer
    with _xlsx_errors(path):
        grid = pd.read_excel(path, sheet_name=layer, dtype=object, engine="openpyxl",
                             header=None)
    grid = grid.where(grid.notna(), "")
    report.encoding, report.encoding_evidence = "UTF-8", "XLSX text is Unicode"
    frame = _with_header(grid, _header_row(grid, request.options, report), report)
    return _points_from_columns(frame, path, report, "XLSX")


#: source options of the table sources (``read_layer(options=...)``, project.toml keys)
OPTIONS: dict[str, type] = {"header_row": int, "skip_rows": int}


def _header_row(grid: pd.DataFrame, options: Any, report: LoadReport) -> int:
    """The 0-based row holding the column names: declared, or after a merged title row."""
    options = options or {}
    if "header_row" in options:
        row = int(options["header_row"]) - 1
        if not 0 <= row < max(len(grid), 1):
            raise LayerReadError(f"{report.source}: header_row = {row + 1} but the sheet has "
                                 f"{len(grid)} rows; count rows from 1 as Excel does")
        if row:
            title = next((str(v) for v in grid.iloc[0] if str(v).strip()), "")
            report.add("table.header_row", f"column names from row {row + 1} (header_row); "
                       f"the row(s) above skipped (a title: {title!r})", severity=Severity.INFO)
        return row
    if "skip_rows" in options:
        return int(options["skip_rows"])
    filled = [(grid.iloc[i] != "").sum() for i in range(min(len(grid), 10))]
    row = 0
    while row < len(filled) - 1 and filled[row] <= 1 < grid.shape[1]:
        row += 1
    if row:
        title = next((str(v) for v in grid.iloc[0] if str(v).strip()), "")
        report.add("table.title_row",
                   f"{'row 1' if row == 1 else f'rows 1–{row}'} hold(s) a title ({title!r}), "
                   "not column names (a merged "
                   f"title row): the column names are taken from row {row + 1}; write "
                   f"header_row = {row + 1} in the layer's table of project.toml to confirm",
                   severity=Severity.ASSUMPTION)
    return row


def _with_header(grid: pd.DataFrame, row: int, report: LoadReport) -> pd.DataFrame:
    names = [str(v).strip() if str(v).strip() else f"列{i + 1}"
             for i, v in enumerate(grid.iloc[row])] if len(grid) else []
    frame = grid.iloc[row + 1:].reset_index(drop=True)
    frame.columns = pd.Index(names) if names else frame.columns
    empty = (frame == "").all(axis=1).to_numpy()
    if empty.any():
        frame = frame[~empty].reset_index(drop=True)
    return frame


#: cell texts (normalised) of a summary row: 合计 / 总计 / 小计, which is no feature
_SUMMARY = frozenset({"合计", "总计", "小计", "累计", "total", "sum", "合计:", "总计:"})


def _drop_summary_rows(frame: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Set aside (and report) the 合计 / 总计 rows of a table: their totals are no feature."""
    if frame.empty:
        return frame
    texts = frame.astype(str).map(lambda v: unicodedata.normalize("NFKC", v).strip()
                                  .replace(" ", "").lower())
    summary = texts.isin(_SUMMARY).any(axis=1).to_numpy()
    for row in np.flatnonzero(summary).tolist():
        word = next(v for v in frame.iloc[row].astype(str)
                    if unicodedata.normalize("NFKC", v).strip().replace(" ", "").lower()
                    in _SUMMARY)
        report.add("table.summary_row", f"row {row + 1} of the data is a {word.strip()} row "
                   "(a total, not a feature): set aside", severity=Severity.INFO)
    return frame[~summary].reset_index(drop=True)


def _points_from_columns(
    frame: pd.DataFrame, path: Path, report: LoadReport, driver: str
) -> RawLayer:
    frame = _drop_summary_rows(frame, report)
    aliases = _coordinate_aliases()
    roles: dict[str, str] = {}
    for column in frame.columns:
        role = aliases.get(_key(column))
        if role is not None and role not in roles:
            roles[role] = column
    if {"lon", "lat"} <= set(roles):
        xcol, ycol, what = roles["lon"], roles["lat"], "degrees"
    elif {"x", "y"} <= set(roles):
        xcol, ycol, what = roles["x"], roles["y"], "metres"
    else:
        wkt = next((c for c in frame.columns if str(c).strip().lower() in _WKT_COLUMNS), None)
        if wkt is not None:
            return _geometry_from_wkt(frame, wkt, report, driver)
        found = ", ".join(map(str, frame.columns))
        raise LayerReadError(
            f"{path}: no coordinate columns found among {found}; name them 经度/纬度, "
            "东经/北纬, lon/lat or X/Y (see [coordinates] in data/field_aliases.toml), or put "
            "the geometry as WKT in a column named WKT"
        )
    parse = parse_degrees if what == "degrees" else _parse_metres
    xs = _parse_column(frame[xcol], parse, report, str(xcol))
    ys = _parse_column(frame[ycol], parse, report, str(ycol))
    ok = np.isfinite(xs) & np.isfinite(ys)
    import shapely

    points = shapely.points(np.where(ok, xs, 0.0), np.where(ok, ys, 0.0))
    wkb = np.asarray(shapely.to_wkb(points), dtype=object)
    wkb[~ok] = None
    report.add("table.coordinates", f"coordinates from columns {xcol!r} (x) and {ycol!r} (y), "
               f"in {what}", severity=Severity.INFO)
    attributes = frame.drop(columns=[xcol, ycol]).reset_index(drop=True)
    return RawLayer(attributes=attributes, wkb=wkb,
                    fids=np.arange(len(frame), dtype=np.int64), crs_wkt=None, driver=driver,
                    geometry_type="Point")


#: column names (lower case) that hold geometry as WKT text, as GDAL's CSV driver reads them
_WKT_COLUMNS = ("wkt", "geometry", "the_geom", "geom", "shape")


def _geometry_from_wkt(frame: pd.DataFrame, column: Any, report: LoadReport,
                       driver: str) -> RawLayer:
    """Geometries from WKT text in ``column``; a cell that is not WKT is named, no geometry."""
    import shapely

    texts = [str(v).strip() if v is not None else "" for v in frame[column].tolist()]
    wkb = np.full(len(texts), None, dtype=object)
    for row, text in enumerate(texts):
        if not text:
            continue
        try:
            wkb[row] = shapely.to_wkb(shapely.from_wkt(text))
        except (shapely.errors.ShapelyError, NotImplementedError) as exc:  # curves: the latter
            shown = text if len(text) <= 60 else text[:57] + "..."
            report.add("table.bad_wkt", f"cannot read a geometry from {shown!r} ({exc}); no "
                       "geometry", severity=Severity.PROBLEM, fid=row, field=str(column))
    report.add("table.coordinates", f"geometry from WKT in column {column!r}",
               severity=Severity.INFO)
    attributes = frame.drop(columns=[column]).reset_index(drop=True)
    return RawLayer(attributes=attributes, wkb=wkb, fids=np.arange(len(frame), dtype=np.int64),
                    crs_wkt=None, driver=driver, geometry_type=None)


def _parse_metres(text: Any) -> float:
    if text is None:
        return math.nan
    try:
        return float(unicodedata.normalize("NFKC", str(text)).strip().replace(",", ""))
    except ValueError:
        return math.nan


def _parse_column(series: pd.Series, parse: Any, report: LoadReport, field: str) -> np.ndarray:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    values = np.array([parse(u) for u in uniques] + [math.nan], dtype=float)
    out = values[codes]
    for u, text in enumerate(uniques):
        if str(text).strip() and not math.isfinite(values[u]):
            for row in np.flatnonzero(codes == u):
                report.add("table.bad_coordinate", f"cannot read a coordinate from {text!r}; "
                           "no geometry", severity=Severity.PROBLEM, fid=int(row), field=field)
    return out
