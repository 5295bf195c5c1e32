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

:func:`compliance_context` gives the same result as the strings of the 进度通报's section
三区三线核查 (:func:`county_gis.write_tongbao` with ``compliance=``): the datasets checked, the
counts and amounts per control line, the conflicts with their rule and clause.

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
from .units import AreaUnit, LengthUnit, format_amount

if TYPE_CHECKING:
    from .analysis import ComplianceResult

__all__ = ["DETAIL_HEADERS", "compliance_context", "write_compliance"]

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


#: The control lines in the order of 厅字〔2019〕48号 (and of the 汇总表).
_ZONE_ORDER = ("生态保护红线", "永久基本农田", "城镇开发边界")
_CONFLICT, _CLEAR, _UNCHECKED, _REVIEW = "冲突", "无冲突", "未核查", "需论证"


def _text(value: Any) -> str:
    """An attribute value as Word text: "" when missing, else through the one cell guard."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(safe_text(str(value)))


def _sum(values: pd.Series, *, checked: bool) -> float:
    """The sum; 0 for a checked control line without conflicts, NaN ("—") when unchecked."""
    return float(pd.to_numeric(values, errors="coerce").sum(min_count=0 if checked else 1))


def _amounts(area_m2: float, length_m: float) -> dict[str, str]:
    """亩 (2 decimals), 公顷 (4) and 公里 (3) as the 通报 prints them; "—" when missing."""
    return {"area_mu": format_amount(AreaUnit.MU.from_base(area_m2), 2),
            "area_ha": format_amount(AreaUnit.HECTARE.from_base(area_m2), 4),
            "length_km": format_amount(LengthUnit.KILOMETRE.from_base(length_m), 3)}


def compliance_context(result: ComplianceResult) -> dict[str, Any]:
    """The 进度通报's section 三区三线核查 as strings, from a computed result.

    Keys:

    - ``label``: the zones' labels joined ("合成数据，非法定成果"), "" when none;
    - ``datasets``: per zone dataset checked ``zone_type``, ``dataset``, ``version``,
      ``effective``, ``label``, ``n_features``; a control line without data gets one row
      whose ``dataset`` is "无数据" and ``label`` "未核查";
    - ``unchecked``: the control lines without data (未核查, never 无冲突);
    - ``summary``: per control line ``conflict`` (冲突 whose rule is 禁止), ``review``
      (冲突 whose rule is 需论证), ``clear`` (无冲突), ``unchecked`` (未核查) — counts of
      project feature × control line rows — ``waived`` (overrides that changed the result),
      ``allowed`` (overlaps the rule allows, counted in ``clear``) and the area (亩, 公顷)
      and length (公里) inside of the 冲突 rows;
    - ``conflicts``: the 冲突 rows and the overridden ones: ``project``, ``township``,
      ``zone_type``, ``result`` (禁止 / 需论证, or 已核销 … for a waived one), ``citation``,
      ``area_mu``, ``area_ha``, ``length_km``, ``waived``, ``reason``, ``basis``;
    - ``n_features``, ``n_slivers``.

    Every value from the data or the rules file goes through
    :func:`county_gis.report.safe_text` (control characters replaced; Word shows the text
    as it is).

    Examples
    --------
    >>> from county_gis import Project, compliance
    >>> context = compliance_context(compliance(Project.from_layers({}, targets=[]), zones=[]))
    >>> context["unchecked"], context["datasets"][0]["dataset"], context["summary"][0]["clear"]
    (['生态保护红线', '永久基本农田', '城镇开发边界'], '无数据', 0)
    """
    table = result.table
    zones = result.zones
    datasets: list[dict[str, Any]] = []
    unchecked: list[str] = []
    summary: list[dict[str, Any]] = []
    for zone_type in _ZONE_ORDER:
        info = zones[zones["zone_type"] == zone_type]
        for record in info.to_dict("records"):
            datasets.append({"zone_type": zone_type, "dataset": _text(record["dataset"]),
                             "version": _text(record["version"]),
                             "effective": _text(record["effective"]),
                             "label": _text(record["label"]),
                             "n_features": format_amount(record["n_features"], 0)})
        if not len(info):
            unchecked.append(zone_type)
            datasets.append({"zone_type": zone_type, "dataset": "无数据", "version": "—",
                             "effective": "—", "label": _UNCHECKED, "n_features": "0"})
        rows = table[table["zone_type"] == zone_type]
        status, verdict = rows["status"], rows["verdict"]
        hit = rows[status == _CONFLICT]
        summary.append({
            "zone_type": zone_type, "checked": bool(len(info)),
            "conflict": int(((status == _CONFLICT) & (verdict != _REVIEW)).sum()),
            "review": int(((status == _CONFLICT) & (verdict == _REVIEW)).sum()),
            "clear": int((status == _CLEAR).sum()),
            "unchecked": int((status == _UNCHECKED).sum()),
            "waived": int((rows["override_reason"].notna()
                           & (status != rows["original_status"])).sum()),
            "allowed": int(((status == _CLEAR) & (rows["n_pieces"] > 0)).sum()),
            **_amounts(_sum(hit["area_m2"], checked=bool(len(info))),
                       _sum(hit["length_m"], checked=bool(len(info)))),
        })
    shown = table[(table["status"] == _CONFLICT) | table["override_reason"].notna()]
    order = {z: i for i, z in enumerate(_ZONE_ORDER)}
    shown = shown.assign(_z=shown["zone_type"].map(order)).sort_values(
        ["_z", "township", "project_id", "place"], kind="stable", na_position="last")
    conflicts: list[dict[str, Any]] = []
    for r in shown.to_dict("records"):
        waived = bool(r["override_reason"] is not None and not (
            isinstance(r["override_reason"], float) and math.isnan(r["override_reason"])))
        outcome = _text(r["verdict"])
        if waived and r["status"] != _CONFLICT:
            outcome = f"已核销（原{_text(r['original_status'])}·{outcome}）"
        elif waived:
            outcome = f"{outcome}（复核改判，原{_text(r['original_status'])}）"
        project = " ".join(x for x in (_text(r["project_id"]), _text(r["name"])) if x)
        point = math.isnan(float(r["area_m2"])) and math.isnan(float(r["length_m"]))
        conflicts.append({
            "no": len(conflicts) + 1, "project": project or _text(r["place"]),
            "place": _text(r["place"]), "township": _text(r["township"]) or "（未填乡镇）",
            "zone_type": _text(r["zone_type"]), "result": outcome,
            "citation": _text(r["citation"]), "waived": waived,
            "reason": _text(r["override_reason"]), "basis": _text(r["override_basis"]),
            "point": point, **_amounts(float(r["area_m2"]), float(r["length_m"])),
        })
    return {"label": _text("、".join(result.labels)), "datasets": datasets,
            "unchecked": unchecked, "summary": summary, "conflicts": conflicts,
            "n_features": int(table["place"].nunique()) if len(table) else 0,
            "n_slivers": len(result.slivers)}
