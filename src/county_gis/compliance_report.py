"""The 三区三线指标汇总表: a :class:`~county_gis.analysis.ComplianceResult` as xlsx or csv.

:func:`write_compliance` takes the result (it computes nothing) and writes

- **xlsx** in the layout of the usual 三区三线指标汇总表: a title, the data label
  ("合成数据，非法定成果" when the zones say so) and a two-row header (每类控制线:
  面积(公顷) / 长度(米), 永久基本农田 also 扣除KCXS后 and 平差后), one sheet **按项目** and one
  **按乡镇**, each closed by a **合计** row; then **明细** (every feature × zone type row
  with its rule and citation),
  **平差** (the pieces of every 图斑 with TBMJ), **碎片** (the slivers dropped) and **核查说明**
  (the zone datasets, versions, effective dates, labels, thresholds and the rules file);
- **csv**: the 明细 table (UTF-8 with BOM), through :func:`county_gis.report.write_table`.

Text from the data never becomes a formula (:func:`county_gis.report.safe_text`; xlsx text
cells are typed as strings). Files are written atomically, never replaced without
``overwrite=True`` (CLI ``--overwrite``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._atomic import atomic_path
from .errors import ConfigError
from .report import safe_text, write_table

if TYPE_CHECKING:
    from .analysis import ComplianceResult

__all__ = ["DETAIL_HEADERS", "write_compliance"]

#: 明细 column -> Chinese header.
DETAIL_HEADERS = {
    "layer": "图层", "place": "位置", "project_id": "项目编号", "name": "项目名称",
    "kind": "类型", "township": "乡镇", "zone_type": "控制线", "status": "核查结果",
    "original_status": "原核查结果", "verdict": "管控要求", "rule": "规则", "citation": "依据条款",
    "area_m2": "压占面积(平方米)", "area_mu": "压占面积(亩)", "area_ha": "压占面积(公顷)",
    "net_area_m2": "扣除KCXS后(平方米)", "adjusted_area_m2": "平差后(平方米)",
    "length_m": "压占长度(米)", "n_pieces": "压占图斑数", "n_slivers": "碎片数(已剔除)",
    "zone_dataset": "核查数据", "zone_version": "数据版本", "zone_effective": "生效日期",
    "zone_note": "数据说明", "override_reason": "复核说明", "override_basis": "复核依据",
}
_ZONES = (("STBHHX", "生态保护红线", ("ha", "m")),
          ("YJJBNTBHTB", "永久基本农田", ("ha", "net_ha", "adj_ha", "m")),
          ("CZKFBJ", "城镇开发边界", ("ha", "m")))
_SUB = {"ha": "面积(公顷)", "net_ha": "扣除KCXS后(公顷)", "adj_ha": "平差后(公顷)", "m": "长度(米)"}
_KEYS = {"project": (("project_id", "项目编号"), ("name", "项目名称"), ("kind", "类型"),
                     ("township", "乡镇")),
         "township": (("township", "乡镇"), ("n_features", "项目数"))}


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, bool | int | float):
        return value
    return safe_text(str(value))


def _kind_label(value: Any) -> Any:
    from .vocabulary import LayerKind

    try:
        return LayerKind.parse(value).label
    except ValueError:
        return value


def _summary_sheet(book: Any, title: str, frame: pd.DataFrame, by: str, heading: str,
                   note: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    keys = _KEYS[by]
    columns: list[tuple[str, str, str]] = [("序号", "", "")]
    columns += [(label, "", key) for key, label in keys]
    for code, label, subs in _ZONES:
        columns += [(label, _SUB[s], f"{code}_{s}") for s in subs]
    columns += [("冲突(项)", "", "n_conflicts"), ("未核查(项)", "", "n_unchecked"),
                ("结论", "", "conclusion")]
    width = len(columns)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.append([safe_text(heading)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = center
    sheet.append([safe_text(note)])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append([c[0] for c in columns])
    sheet.append([c[1] for c in columns])
    j = 1
    while j <= width:  # merge the group headers across their sub-columns, the rest down
        top, sub, _ = columns[j - 1]
        if not sub:
            sheet.merge_cells(start_row=3, start_column=j, end_row=4, end_column=j)
            j += 1
            continue
        span = sum(1 for c in columns[j - 1:] if c[0] == top and c[1])
        sheet.merge_cells(start_row=3, start_column=j, end_row=3, end_column=j + span - 1)
        j += span
    for row in sheet.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = center
            cell.border = box
    records = frame.to_dict("records")
    for number, record in enumerate(records, start=1):
        values: list[Any] = [number]
        for _, _, key in columns[1:]:
            value = record.get(key)
            values.append(_kind_label(value) if key == "kind" else _value(value))
        sheet.append(values)
    total: list[Any] = ["合计"] + [None] * (width - 1)
    for j, (_, _, key) in enumerate(columns):
        if key and key not in {k for k, _ in keys} | {"conclusion"} and len(frame):
            total[j] = _value(pd.to_numeric(frame.get(key), errors="coerce").sum(min_count=1))
    if by == "township" and len(frame):
        total[2] = int(frame["n_features"].sum())
    sheet.append(total)
    last = sheet.max_row
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=5, max_row=last):
        for j, cell in enumerate(row):
            cell.border = box
            key = columns[j][2]
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif key.endswith("_ha"):
                cell.number_format = "#,##0.0000"
            elif key.endswith("_m"):
                cell.number_format = "#,##0.00"
    for j, (_, sub, key) in enumerate(columns, start=1):
        wide = 28 if key == "name" or key == "conclusion" else 14 if sub or key else 6
        sheet.column_dimensions[get_column_letter(j)].width = wide
    sheet.freeze_panes = "B5"


def _table_sheet(book: Any, title: str, frame: pd.DataFrame, headers: dict[str, str]) -> None:
    from openpyxl.styles import Font

    sheet = book.create_sheet(title)
    columns = list(frame.columns)
    sheet.append([headers.get(c, safe_text(str(c))) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in frame.itertuples(index=False):
        sheet.append([_kind_label(v) if c == "kind" else _value(v)
                      for c, v in zip(columns, record, strict=True)])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"


def write_compliance(result: ComplianceResult, path: str | os.PathLike[str], *,
                     overwrite: bool = False, title: str | None = None) -> Path:
    """Write the 三区三线指标汇总表 (.xlsx) or the 明细 table (.csv).

    Parameters
    ----------
    result : ComplianceResult
        From :func:`county_gis.compliance`.
    path : path-like
        ``.xlsx`` or ``.csv``.
    overwrite : bool, default False
        Replace an existing file.
    title : str, optional
        The heading; default ``"<project> 三区三线指标汇总表"``.

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        If the suffix is neither .xlsx nor .csv.
    OutputExistsError
        If the file exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from county_gis import Project, compliance
    >>> result = compliance(Project.from_layers({}, targets=[]), zones=[])
    >>> out = write_compliance(result, pathlib.Path(tempfile.mkdtemp()) / "汇总表.xlsx")
    >>> import openpyxl
    >>> openpyxl.load_workbook(out).sheetnames
    ['按项目', '按乡镇', '明细', '平差', '碎片', '核查说明']
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ConfigError(f"compliance report {path} has suffix {suffix!r}; allowed: .xlsx, "
                          ".csv (choose one of them)")
    detail = result.table.assign(kind=result.table["kind"].map(_kind_label))
    if suffix == ".csv":
        return write_table(detail.rename(columns=DETAIL_HEADERS), path, overwrite=overwrite)
    from openpyxl import Workbook

    heading = title or f"{result.name} 三区三线指标汇总表".strip()
    labels = "、".join(result.labels)
    note = (f"数据说明: {labels}。" if labels else "") + \
        f"单位: 公顷 / 米 (椭球面积与长度, CGCS2000)。碎片阈值: 面积 < " \
        f"{result.thresholds.get('sliver_area_m2', 1.0):g} 平方米或宽度 < " \
        f"{result.thresholds.get('sliver_width_m', 0.5):g} 米。规则: {result.rules.source}"
    book = Workbook()
    book.remove(book.active)
    _summary_sheet(book, "按项目", result.summary(by="project"), "project", heading, note)
    _summary_sheet(book, "按乡镇", result.summary(by="township"), "township", heading, note)
    _table_sheet(book, "明细", result.table, DETAIL_HEADERS)
    _table_sheet(book, "平差", result.pieces, {
        "zone_type": "控制线", "zone_dataset": "核查数据", "zone_fid": "图斑FID",
        "piece": "地块", "area_m2": "椭球面积(平方米)", "adjusted_m2": "平差后(平方米)",
        "tbmj": "TBMJ(平方米)", "zone_area_m2": "图斑椭球面积(平方米)"})
    _table_sheet(book, "碎片", result.slivers, {
        "place": "位置", "zone_type": "控制线", "zone_dataset": "核查数据",
        "zone_fid": "图斑FID", "area_m2": "面积(平方米)", "width_m": "平均宽度(米)",
        "length_m": "长度(米)", "why": "剔除原因"})
    info = result.zones.rename(columns={
        "zone_type": "控制线", "dataset": "核查数据", "version": "数据版本",
        "effective": "生效日期", "label": "数据说明", "n_features": "图斑数",
        "type_evidence": "类型判定依据"})
    _table_sheet(book, "核查说明", info, {})
    with atomic_path(path, overwrite=overwrite) as tmp:
        book.save(tmp)
    return Path(path)
