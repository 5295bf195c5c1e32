"""Progress reports as xlsx, csv or markdown: Chinese headers, atomic writes, spreadsheet-safe.

:func:`write_report` writes the tables of :func:`county_gis.analysis.progress_details`:

- **xlsx**: a sheet per view — 目标进度 (one row per target), 分乡镇 (per township, when
  computed), 无多边形乡镇 (townships listed without a polygon), 重叠地块 (overlapping plots),
  填报与实测 (stated vs measured), 灯号 and 趋势 (with a trend: the lamps and 序时进度 of
  the last date, every target at every snapshot), 遥感核查 (the NDVI verdict of each
  completed plot, with ``greening``), 关联问题 (features linked to no target or to two) —
  with Chinese headers, number formats, a frozen header row;
- **csv**: the main view (per township when computed, else per target), UTF-8 with BOM so
  Excel reads the Chinese;
- **md**: every view as a markdown table, under a heading each.

No text from the data can start a formula: text starting with ``= + - @`` or a tab / carriage
return is stored with a leading ``'`` (and xlsx cells are typed as strings). Control characters
(U+0000–U+001F but tab, line feed and carriage return; U+007F; lone surrogates), which an
xlsx cannot hold at all, are replaced by U+FFFD in every format, and a report that replaced
any says so in a :class:`~county_gis.errors.CountyGisWarning` naming the first cell. Markdown
escapes every character of the data that Markdown or HTML would read as markup (links, images,
tags, emphasis, table pipes, line breaks), so a cell renders as the text it holds. Files are
written atomically and an existing file is replaced only with ``overwrite=True``.

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> table = pd.DataFrame({"target_id": ["roads"], "title": ["=HYPERLINK(\\"x\\")"],
...     "unit": ["公里"], "target_value": [200.0], "completed": [150.0],
...     "pct_completed": [75.0]})
>>> out = write_report(table, pathlib.Path(tempfile.mkdtemp()) / "progress.md")
>>> print(out.read_text(encoding="utf-8"))
# 目标任务完成进度
<BLANKLINE>
## 目标进度
<BLANKLINE>
| 目标编号 | 目标 | 单位 | 目标值 | 已完工 | 完成率(%) |
|---|---|---|---:|---:|---:|
| roads | '=HYPERLINK\\("x"\\) | 公里 | 200.00 | 150.00 | 75.0 |
<BLANKLINE>
"""

from __future__ import annotations

import enum
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._atomic import atomic_path
from .errors import ConfigError, CountyGisWarning
from .vocabulary import Status

__all__ = ["HEADERS", "ReportFormat", "markdown_text", "safe_text", "trend_views", "views",
           "write_report", "write_table"]

#: Column -> Chinese header.
HEADERS = {
    "target_id": "目标编号", "title": "目标", "section": "报告部分", "measure": "计量方式",
    "unit": "单位", "target_value": "目标值", "planned": "计划", "under_construction": "在建",
    "completed": "已完工", "pct_completed": "完成率(%)", "outside": "县界外(未计入)",
    "n_features": "要素数", "notes": "备注",
    "township": "乡镇", "township_code": "乡镇代码", "layer": "图层", "place": "位置",
    "project_id": "项目编号", "name": "项目名称", "kind": "类型", "status": "状态",
    "candidates": "匹配目标", "problem": "问题", "stated": "填报值", "measured": "实测值",
    "difference": "差值(填报−实测)", "relative": "相对差",
    "overlap": "重叠面积(只计一次)", "approximate": "范围为近似",
    "greened": "遥感变绿", "green_share": "变绿比例", "ndvi_before": "NDVI(前)",
    "ndvi_after": "NDVI(后)", "ndvi_change": "NDVI变化", "verdict": "核查结论代码",
    "verdict_label": "核查结论", "area_mu": "面积(亩)", "coverage_fraction": "有数据比例",
    "code": "代码", "note": "说明",
    "date": "日期", "expected_pct": "序时进度(%)", "gap": "超序时(百分点)",
    "added": "本期新增", "lamp_label": "灯号",
    **{f"{c}_{s}": f"{h}{s.upper()}" for s in ("a", "b") for c, h in (
        ("layer", "图层"), ("place", "位置"), ("project_id", "项目编号"), ("name", "项目名称"))},
}
_MEASURES = {"length": "长度", "area": "面积", "count": "计数", "sum": "合计"}
_STATUSES = {s.value: s.label for s in Status}
_AMOUNTS = {"target_value", "planned", "under_construction", "completed", "stated", "measured",
            "difference", "overlap", "greened", "area_mu", "outside", "added"}
_SHARES = {"relative", "green_share", "coverage_fraction"}  # fractions shown as percentages
_NDVI = {"ndvi_before", "ndvi_after", "ndvi_change"}
_POINTS = {"expected_pct", "gap"}  # percentages and percentage points, 2 decimals
_NUMBERS = _AMOUNTS | _SHARES | _NDVI | _POINTS | {"pct_completed", "n_features"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: characters no xlsx cell can hold (XML 1.0), nor a terminal should receive raw
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
#: Markdown / HTML markup characters escaped in Markdown text (CommonMark backslash escapes)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+\-.!|~:])")


class ReportFormat(enum.Enum):
    """Output format, chosen from the file suffix."""

    XLSX = ".xlsx"
    CSV = ".csv"
    MD = ".md"

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> ReportFormat:
        """The format of ``path`` by its suffix.

        Examples
        --------
        >>> ReportFormat.from_path("进度.XLSX")
        <ReportFormat.XLSX: '.xlsx'>
        >>> ReportFormat.from_path("report.pdf")
        Traceback (most recent call last):
        ...
        county_gis.errors.ConfigError: report file report.pdf has suffix '.pdf'; allowed: .xlsx,
        .csv, .md (choose one of them)
        """
        suffix = Path(path).suffix.lower()
        for member in cls:
            if member.value == suffix or (suffix == ".markdown" and member is cls.MD):
                return member
        allowed = ", ".join(m.value for m in cls)
        raise ConfigError(f"report file {path} has suffix {suffix!r}; allowed: {allowed} "
                          "(choose one of them)")


def safe_text(value: Any) -> Any:
    """Text that no spreadsheet runs as a formula: a leading ``= + - @ \\t \\r`` gets ``'``.

    The one cell guard of every table output (xlsx, csv, the CLI's tables).

    Examples
    --------
    >>> safe_text("=1+1"), safe_text("@SUM(A1)"), safe_text("团结街"), safe_text(-1.5)
    ("'=1+1", "'@SUM(A1)", '团结街', -1.5)
    """
    if isinstance(value, str):
        value = _CONTROL.sub("\ufffd", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def markdown_text(value: Any) -> str:
    r"""``value`` as Markdown text that renders as itself: no link, image, tag or emphasis.

    HTML's ``& < >`` become entities, Markdown punctuation is backslash-escaped, line breaks
    become spaces (a table row is one line), control characters U+FFFD.

    Examples
    --------
    >>> print(markdown_text("![x](http://evil.invalid/a.png) <img src=x onerror=alert(1)>"))
    \!\[x\]\(http\://evil\.invalid/a\.png\) &lt;img src=x onerror=alert\(1\)&gt;
    >>> print(markdown_text("大板镇\n# 标题"))
    大板镇 \# 标题
    """
    text = _CONTROL.sub("\ufffd", str(value))
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = text.replace("\u2028", " ").replace("\u2029", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class View:
    """One table of a report: a sheet / section title and its frame (raw column names)."""

    title: str
    frame: pd.DataFrame


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if "measure" in out:
        out["measure"] = out["measure"].map(lambda v: _MEASURES.get(v, v))
    if "status" in out:
        out["status"] = out["status"].map(lambda v: _STATUSES.get(v, v))
    for column in ("candidates", "target_ids"):
        if column in out:
            out[column] = out[column].map(
                lambda v: "、".join(v) if isinstance(v, tuple | list) else v)
    if "has_data" in out:  # a target with no layer in the project reads 无数据, not 0 %
        none = out["has_data"].eq(False).to_numpy()
        for column in ("completed", "pct_completed"):
            if column in out and none.any():
                out[column] = out[column].astype(object)
                out.loc[none, column] = "无数据"
        out = out.drop(columns="has_data")
    return out


def trend_views(trend: Any) -> list[View]:
    """The trend views: 灯号 (the lamps of the last date) and 趋势 (every date).

    ``trend`` is a :class:`~county_gis.analysis.Trend`; synthetic snapshots are said so in
    the sheet titles.
    """
    if trend is None or not len(trend.table):
        return []
    keep = ["date", "target_id", "title", "unit", "target_value", "completed",
            "pct_completed", "expected_pct", "gap", "added", "lamp_label"]
    mark = " (合成示例)" if trend.synthetic else ""
    table = trend.table.assign(date=trend.table["date"].map(str))[keep]
    latest = table[table["date"] == str(trend.dates[-1])]
    return [View(f"灯号{mark}", _display(latest.reset_index(drop=True))),
            View(f"趋势{mark}", _display(table))]


def views(details: Any, trend: Any = None) -> list[View]:
    """The tables of a report, in order; empty side tables are left out.

    ``details`` is a :class:`~county_gis.analysis.ProgressDetails` or one progress table;
    with ``trend`` (:class:`~county_gis.analysis.Trend`) the 灯号 and 趋势 views follow the
    main table.
    """
    if isinstance(details, pd.DataFrame):
        title = "分乡镇" if "township" in details.columns else "目标进度"
        return [View(title, _display(details)), *trend_views(trend)]
    out = [View("目标进度", _display(details.table)), *trend_views(trend)]
    if details.by_township is not None:
        out.append(View("分乡镇", _display(details.by_township)))
    without = details.townships_without_polygon
    if without is not None and len(without):
        out.append(View("无多边形乡镇", _display(without)))
    if len(details.overlaps):
        out.append(View("重叠与重复", _display(details.overlaps)))
    for frame, title in ((details.repeats, "重复点"), (details.outside, "县界外")):
        if frame is not None and len(frame):
            out.append(View(title, _display(frame)))
    if len(details.stated):
        out.append(View("填报与实测", _display(details.stated)))
    plots = details.greening
    if plots is not None and len(plots):
        out.append(View("遥感核查", _display(plots.drop(columns="verdict"))))
    problems = details.link_problems
    if len(problems):
        keep = ["layer", "place", "project_id", "name", "kind", "status", "candidates",
                "problem"]
        out.append(View("关联问题", _display(problems[[c for c in keep if c in problems]])))
    return out


def _number_format(column: str) -> str | None:
    if column in _AMOUNTS:
        return "#,##0.00"
    if column == "pct_completed":
        return "0.0"
    if column in _POINTS:
        return "+0.00;-0.00;0.00" if column == "gap" else "0.00"
    if column in _SHARES:
        return "0.0%"
    if column in _NDVI:
        return "0.000"
    if column == "n_features":
        return "0"
    return None


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if isinstance(value, bool | int | float):
        return value
    return safe_text(str(value))


def _write_csv(frame: pd.DataFrame, tmp: Path, *, index_label: str | None = None) -> None:
    """UTF-8 CSV with a BOM (Excel opens it as UTF-8), every cell through :func:`_cell`."""
    safe = frame.map(_cell)
    safe.to_csv(tmp, index=index_label is not None, index_label=index_label,
                encoding="utf-8-sig")


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool = False,
                index_label: str | None = None) -> Path:
    """Write one table as CSV: atomically, never overwriting unasked, spreadsheet-safe.

    Parameters
    ----------
    frame : DataFrame
        The table (column names as they are).
    path : path-like
        The CSV file.
    overwrite : bool, default False
        Replace an existing file.
    index_label : str, optional
        Write the index as a first column with this header (e.g. ``"fid"``).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_table(pd.DataFrame({"名称": ["=1+1", "团结街"], "亩": [1.5, None]}), out)
    >>> out.read_text(encoding="utf-8-sig").splitlines()
    ['名称,亩', "'=1+1,1.5", '团结街,']
    """
    with atomic_path(path, overwrite=overwrite) as tmp:
        _write_csv(frame, tmp, index_label=index_label)
    return Path(path)


def _write_xlsx(all_views: list[View], tmp: Path) -> None:
    """Every view as a sheet, streamed (openpyxl's write-only mode: one pass, no cell graph).

    Text cells are always text (never a formula), numbers carry their column's format, the
    widths follow the longest value (at most 60), and the header row is frozen.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    replaced: list[str] = []
    bold, centred = Font(bold=True), Alignment(horizontal="center")
    for view in all_views:
        sheet = book.create_sheet(view.title[:31])
        columns = list(view.frame.columns)
        formats = [_number_format(c) for c in columns]
        rows = []
        widths = [len(str(HEADERS.get(c, c))) * 2.0 for c in columns]
        for row, record in enumerate(view.frame.itertuples(index=False), start=2):
            values = []
            for j, value in enumerate(record):
                if isinstance(value, str) and _CONTROL.search(value):
                    replaced.append(f"{view.title}!{get_column_letter(j + 1)}{row}")
                value = _cell(value)
                if value is not None:
                    widths[j] = max(widths[j], min(len(str(value)) * 1.6, 60))
                values.append(value)
            rows.append(values)
        for j, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(j)].width = max(8, width)
        sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=HEADERS.get(column, safe_text(str(column))))
            cell.font, cell.alignment = bold, centred
            header.append(cell)
        sheet.append(header)
        for values in rows:
            cells: list[Any] = []
            for value, fmt in zip(values, formats, strict=True):
                if value is None:
                    cells.append(None)
                    continue
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                elif fmt is not None:
                    cell.number_format = fmt
                cells.append(cell)
            sheet.append(cells)
    book.save(tmp)
    if replaced:
        warnings.warn(f"{len(replaced)} cell(s) held control characters an xlsx cannot store "
                      f"(first: {replaced[0]}); replaced by U+FFFD (\ufffd)", CountyGisWarning,
                      stacklevel=3)


def _md_value(column: str, value: Any) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, float):
        if column == "pct_completed":
            return f"{value:.1f}"
        if column in _POINTS:
            return f"{value:+.2f}" if column == "gap" else f"{value:.2f}"
        if column in _SHARES:
            return f"{value:.1%}"
        if column in _NDVI:
            return f"{value:+.3f}" if column == "ndvi_change" else f"{value:.3f}"
        return f"{value:,.2f}"
    return markdown_text(value)


def _write_md(all_views: list[View], tmp: Path, title: str) -> None:
    lines = [f"# {markdown_text(title)}", ""]
    for view in all_views:
        columns = list(view.frame.columns)
        lines += [f"## {markdown_text(view.title)}", ""]
        lines.append("| " + " | ".join(HEADERS.get(c, markdown_text(c)) for c in columns)
                     + " |")
        lines.append("|" + "|".join("---:" if c in _NUMBERS else "---" for c in columns) + "|")
        for record in view.frame.itertuples(index=False):
            lines.append("| " + " | ".join(_md_value(c, v) for c, v in zip(
                columns, record, strict=True)) + " |")
        lines.append("")
    tmp.write_text("\n".join(lines), encoding="utf-8")


def write_report(
    details: Any,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    title: str = "目标任务完成进度",
    trend: Any = None,
) -> Path:
    """Write a progress report; the format follows the suffix (.xlsx, .csv, .md).

    Parameters
    ----------
    details : ProgressDetails or DataFrame
        From :func:`county_gis.analysis.progress_details` (every view) or
        :func:`county_gis.progress` (one table).
    path : path-like
        The file to write.
    overwrite : bool, default False
        Replace an existing file.
    title : str, default "目标任务完成进度"
        Heading of the markdown report.
    trend : Trend, optional
        From :func:`county_gis.analysis.trend`: adds the 灯号 sheet (序时进度, the gap in
        points, 本期新增 and the lamp of each target at the last date) and the 趋势 sheet
        (every target at every snapshot) to the xlsx and the markdown.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        If the suffix is not .xlsx, .csv or .md.
    OutputExistsError
        If the file exists and ``overwrite`` is false.
    """
    fmt = ReportFormat.from_path(path)
    all_views = views(details, trend)
    with atomic_path(path, overwrite=overwrite) as tmp:
        if fmt is ReportFormat.XLSX:
            _write_xlsx(all_views, tmp)
        elif fmt is ReportFormat.CSV:
            main = next((v for v in all_views if v.title == "分乡镇"), all_views[0])
            _write_csv(main.frame.rename(columns=HEADERS), tmp)
        else:
            _write_md(all_views, tmp, title)
    return Path(path)
