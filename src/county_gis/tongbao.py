"""The 进度通报: an editable Word document in 公文 form, every number from the progress results.

:func:`write_tongbao` writes what a bureau sends to the county leaders and the townships
after a 调度会 — in the layout of GB/T 9704-2012 《党政机关公文格式》:

- A4; margins 37 mm top (天头), 28 mm left (订口), 26 mm right, 35 mm bottom (a 156 × 225 mm
  版心); a document grid of 22 lines × 28 characters; page numbers "— n —" in 4号宋体,
  odd pages right and even pages left, one character in;
- title in 2号方正小标宋简体; body in 3号仿宋_GB2312; headings 一、 (黑体), （一） (楷体_GB2312),
  1. and （1） (仿宋_GB2312); every run carries its East-Asian font and zh-CN language tag;
- 一、总体情况 (each target: value, completed, rate), 二、分乡镇情况 (amounts and ranks),
  三、进展滞后的目标任务 (rate below ``lagging_below``, with the projects not yet started),
  四、数据质量问题 (overlaps counted once, stated ≠ measured, unlinked features, amounts
  outside the county), with ``compliance=`` 三区三线核查 (the zone datasets checked, the
  冲突 / 需论证 / 无冲突 / 未核查 counts and the area and length inside per control line,
  the conflicts with their rule and clause, waived ones with their reason; 未核查 said plainly,
  never shown as 无冲突), 项目分布图 (the printed A4 map, :func:`county_gis.print_map`, with
  the conflicts layer when ``compliance=`` is given), 附件 (the per-township table), 落款,
  成文日期 and "数据截至 …".

The document takes results, never computes them: the same
:class:`~county_gis.analysis.ProgressDetails` that feeds the xlsx (and the
:class:`~county_gis.analysis.ComplianceResult` that feeds the 三区三线指标汇总表)
(:func:`county_gis.report.write_report`) feeds it, so every percentage is the xlsx cell's value
rounded as the xlsx shows it (``0.0``).

A user template (``template=``, a .docx with docxtpl / Jinja tags) replaces the house style
without code; it gets the same numbers (:func:`tongbao_context`).

Examples
--------
>>> import tempfile, pathlib
>>> from county_gis.analysis import progress_details
>>> from county_gis.render._demo import demo_project
>>> p = demo_project()
>>> out = pathlib.Path(tempfile.mkdtemp()) / "通报.docx"
>>> written = write_tongbao(p, progress_details(p, by="township"), out, date="2026-12-07",
...                         as_of="2026-11-30", with_map=False)
>>> written.name
'通报.docx'
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._atomic import atomic_path
from .analysis import ProgressDetails, Trend
from .compliance_report import compliance_context
from .errors import ConfigError
from .project import Project
from .units import format_amount

if TYPE_CHECKING:
    from .analysis import ComplianceResult

__all__ = ["FONTS", "tongbao_context", "write_tongbao"]

#: East-Asian fonts by role, as 公文 templates of county offices name them.
FONTS = {"title": "方正小标宋简体", "body": "仿宋_GB2312", "h1": "黑体", "h2": "楷体_GB2312",
         "page": "宋体", "latin": "Times New Roman"}
_SIZES = {"title": 22.0, "body": 16.0, "table": 10.5, "page": 14.0}  # 2号, 3号, 五号, 4号
_MARGINS_MM = {"top": 37.0, "bottom": 35.0, "left": 28.0, "right": 26.0}
_LINES, _CHARS = 22, 28
_INSTALL = "python-docx is needed for the 进度通报: pip install python-docx"
_CN_NUMBERS = "一二三四五六七八九十"


def _pct(value: Any) -> str | None:
    """A rate as the xlsx shows it (number format ``0.0``), with %."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else f"{number:.1f}%"


def _amount(value: Any, digits: int = 2) -> str:
    return format_amount(value, digits)


def _digits(record: dict[str, Any]) -> int:
    """Decimals of a target's amounts: none for counts and whole-number sums, else 2."""
    if record.get("measure") == "count":
        return 0
    if record.get("measure") == "sum" and float(record["target_value"]) % 1 == 0 \
            and float(record["target_value"]) >= 10:
        return 0
    return 2


def _date(value: dt.date | str | None, what: str, option: str) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{what} was {value!r}; expected YYYY-MM-DD (e.g. 2026-12-07); "
                          f"pass {option} YYYY-MM-DD") from None


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _has(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _lamps(trend: Trend | None) -> list[dict[str, str]]:
    """The last snapshot's 序时进度, gap, 本月新增 and lamp of each target, as strings."""
    if trend is None or not len(trend.table):
        return []
    last = trend.table[trend.table["date"] == trend.table["date"].max()]
    return [{"title": str(r["title"]), "unit": str(r["unit"]),
             "rate": _pct(r.get("pct_completed")) or "—",
             "expected": _pct(r.get("expected_pct")) or "—",
             "gap": format_amount(r.get("gap"), 2, sign=True),
             "added": _amount(r.get("added")), "lamp": str(r.get("lamp_label") or "—")}
            for r in last.to_dict("records")]


def tongbao_context(project: Project, details: ProgressDetails, *, as_of: dt.date,
                    date: dt.date, issuer: str, title: str,
                    lagging_below: float, trend: Trend | None = None,
                    compliance: ComplianceResult | None = None) -> dict[str, Any]:
    """The numbers and texts of the 通报, as strings (the house style and templates use it).

    Keys: ``title``, ``as_of``, ``date``, ``issuer``, ``lagging_below``, ``targets`` (rows:
    ``no``, ``id``, ``title``, ``unit``, ``value``, ``completed``, ``building``,
    ``planned``, ``rate``), ``no_data`` (titles of targets without map data),
    ``townships`` (``name`` and one ``cells`` entry per ranked target), ``ranked``
    (the ranked targets' titles and units), ``lagging``, ``problems``, ``attachment``,
    ``lamps`` (with a history: each target's 完成率, 序时进度, gap in points, 本月新增 and
    lamp at the last snapshot; empty without one), ``lamps_date`` and ``compliance``
    (:func:`county_gis.compliance_report.compliance_context` of the result given, else None).
    """
    table = details.table
    targets: list[dict[str, Any]] = []
    no_data: list[str] = []
    for record in table.to_dict("records"):
        if not _has(record.get("completed")):
            no_data.append(str(record["title"]))
            continue
        digits = _digits(record)
        targets.append({
            "no": len(targets) + 1, "id": str(record["target_id"]), "title": str(record["title"]),
            "unit": str(record["unit"]),
            "value": _amount(record["target_value"],
                             0 if float(record["target_value"]) % 1 == 0 else 2),
            "completed": _amount(record["completed"], digits),
            "building": _amount(record.get("under_construction"), digits),
            "planned": _amount(record.get("planned"), digits),
            "rate": _pct(record.get("pct_completed")) or "—",
            "rate_value": float(record["pct_completed"]) if _has(record.get("pct_completed"))
            else None,
        })
    ranked: list[dict[str, Any]] = []
    towns_out: list[dict[str, Any]] = []
    attachment: list[dict[str, str]] = []
    by_town = details.by_township
    if by_town is not None and len(by_town):
        physical = table[table["measure"].isin(["length", "area"])
                         & (table["completed"].fillna(0) > 0)]
        ranks: dict[str, dict[str, int]] = {}
        amounts: dict[str, dict[str, float]] = {}
        all_towns = [str(n) for n in by_town["township"].dropna().unique()]
        for target in physical.to_dict("records"):
            rows = by_town[(by_town["target_id"] == target["target_id"])
                           & by_town["township"].notna()]
            if not len(rows):
                continue
            ranked.append({"id": str(target["target_id"]), "title": str(target["title"]),
                           "unit": str(target["unit"]),
                           "digits": 0 if target["measure"] == "area" else 1})
            done = dict.fromkeys(all_towns, 0.0)  # a township without the work ranks last
            done.update({str(n): float(v) if _has(v) else 0.0
                         for n, v in zip(rows["township"], rows["completed"], strict=True)})
            order = sorted(all_towns, key=lambda n: -done[n])  # stable: ties keep table order
            for rank, name in enumerate(order, start=1):
                ranks.setdefault(name, {})[str(target["target_id"])] = rank
                amounts.setdefault(name, {})[str(target["target_id"])] = done[name]
        names = sorted(ranks, key=lambda n: (sum(ranks[n].values()) / max(len(ranks[n]), 1),
                                             all_towns.index(n)))
        for position, name in enumerate(names, start=1):
            cells = [f"{_amount(amounts[name].get(t['id']), t['digits'])}"
                     f"（{ranks[name].get(t['id'], '—')}）" for t in ranked]
            towns_out.append({"rank": position, "name": name, "cells": cells})
        for record in by_town.to_dict("records"):
            if not any(_has(record.get(c)) and float(record[c]) > 0
                       for c in ("planned", "under_construction", "completed")):
                continue
            attachment.append({"township": str(record["township"]), "title": str(record["title"]),
                               "unit": str(record["unit"]),
                               "planned": _amount(record.get("planned")),
                               "building": _amount(record.get("under_construction")),
                               "completed": _amount(record.get("completed")),
                               "n": str(record.get("n_features", ""))})
    links = details.links
    lagging = []
    for t in targets:
        if t["rate_value"] is None or t["rate_value"] >= lagging_below:
            continue
        waiting = links[(links["target_id"] == t["id"]) & (links["status"] == "planned")] \
            if links is not None and len(links) else pd.DataFrame()
        row = table[table["target_id"] == t["id"]].iloc[0]
        gap = float(row["target_value"]) - float(row["completed"])
        lagging.append({**t, "gap": _amount(gap, _digits(row.to_dict())),
                        "waiting": len(waiting),
                        "examples": [
                            f"{r.get('name') or r.get('project_id')}（{r.get('project_id')}）"
                            for r in waiting.head(8).to_dict("records")]})
    problems = _problems(details)
    return {
        "title": title, "as_of": _cn_date(as_of), "date": _cn_date(date), "issuer": issuer,
        "lagging_below": f"{lagging_below:g}%", "targets": targets, "no_data": no_data,
        "ranked": ranked, "townships": towns_out, "lagging": lagging, "problems": problems,
        "attachment": attachment, "project": project.name, "lamps": _lamps(trend),
        "lamps_date": "" if trend is None or not trend.dates else _cn_date(trend.dates[-1]),
        "compliance": None if compliance is None else compliance_context(compliance),
    }


def _problems(details: ProgressDetails) -> list[dict[str, Any]]:
    out = []
    overlaps = details.overlaps
    if len(overlaps):
        total = overlaps.groupby("unit")["overlap"].sum()
        out.append({"title": "重叠图斑", "text": (
            f"{len(overlaps)}对图斑相互重叠，重叠部分"
            + "、".join(f"{_amount(v)}{u}" for u, v in total.items())
            + "，统计时只计一次。"),
            "items": [f"{r['place_a']}（{r['project_id_a']}）与{r['place_b']}"
                      f"（{r['project_id_b']}）重叠{_amount(r['overlap'])}{r['unit']}"
                      for r in overlaps.head(10).to_dict("records")]})
    stated = details.stated
    if len(stated):
        out.append({"title": "填报面积（长度）与实测不符", "text": (
            f"{len(stated)}个项目填报值与按图形实测值不一致，统计以实测为准。"),
            "items": [f"{r['place']}（{r['project_id']}）：填报{_amount(r['stated'])}{r['unit']}，"
                      f"实测{_amount(r['measured'])}{r['unit']}"
                      for r in stated.head(10).to_dict("records")]})
    problems = details.link_problems
    if len(problems):
        out.append({"title": "未关联目标任务的要素", "text": (
            f"{len(problems)}个要素未能关联到目标任务（或同时关联多个），未计入完成量。"),
            "items": [f"{r['place']}（{r['project_id']} {r['name']}）：{r['problem']}"
                      for r in problems.head(10).to_dict("records")]})
    outside = details.outside
    if outside is not None and len(outside):
        out.append({"title": "位于县界外的部分", "text": (
            f"{len(outside)}个要素全部或部分位于县界外，界外部分未计入完成量。"),
            "items": [f"{r['place']}（{r['project_id']}）：界外{_amount(r['outside'])}"
                      f"{r.get('unit', '')}" for r in outside.head(10).to_dict("records")]})
    if not out:
        out.append({"title": "未发现数据问题", "text": "本期数据未发现重叠、填报不符、未关联或"
                    "越界问题。", "items": []})
    return out


# --- the house style ----------------------------------------------------------------------

def _docx() -> Any:
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - the extra is part of the set-up
        raise ConfigError(_INSTALL) from exc
    return docx


def _fonts(run_or_style: Any, east_asia: str, size: float | None = None, *,
           bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = FONTS["latin"]
    if size is not None:
        font.size = Pt(size)
    font.bold = bold or None
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), FONTS["latin"])
    fonts.set(qn("w:hAnsi"), FONTS["latin"])
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


class _Writer:
    """Paragraphs in the 公文 style on a python-docx document."""

    def __init__(self) -> None:
        docx = _docx()
        self.doc = docx.Document()
        self._setup()

    def _setup(self) -> None:
        from docx.enum.section import WD_SECTION
        from docx.oxml.ns import qn
        from docx.shared import Mm, Pt

        doc = self.doc
        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = Mm(_MARGINS_MM["top"])
        section.bottom_margin = Mm(_MARGINS_MM["bottom"])
        section.left_margin = Mm(_MARGINS_MM["left"])
        section.right_margin = Mm(_MARGINS_MM["right"])
        section.header_distance, section.footer_distance = Mm(15), Mm(28) - Mm(5)
        section.start_type = WD_SECTION.NEW_PAGE
        self._grid(section)
        self._defaults()
        normal = doc.styles["Normal"]
        _fonts(normal, FONTS["body"], _SIZES["body"])
        fmt = normal.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        # exactly the grid's line pitch: 22 lines in the 225 mm 版心
        fmt.line_spacing = Pt(int(section.page_height.twips - section.top_margin.twips
                                  - section.bottom_margin.twips) // _LINES / 20)
        settings = doc.settings.element
        lang = settings.find(qn("w:themeFontLang"))
        if lang is None:
            lang = settings.makeelement(qn("w:themeFontLang"), {})
            settings.append(lang)
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        doc.settings.odd_and_even_pages_header_footer = True
        self._page_numbers(section)
        core = doc.core_properties
        core.language = "zh-CN"
        core.author = "county_gis"

    def _defaults(self) -> None:
        """Document defaults: the body font and size, zh-CN (no theme fonts, no en-US)."""
        from docx.oxml.ns import qn

        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        fonts = rpr.find(qn("w:rFonts"))
        for key in list(fonts.attrib):
            del fonts.attrib[key]
        fonts.set(qn("w:ascii"), FONTS["latin"])
        fonts.set(qn("w:hAnsi"), FONTS["latin"])
        fonts.set(qn("w:eastAsia"), FONTS["body"])
        for tag in ("w:sz", "w:szCs"):
            rpr.find(qn(tag)).set(qn("w:val"), str(int(_SIZES["body"] * 2)))
        rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
        ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
        for spacing in ppr.findall(qn("w:spacing")):
            ppr.remove(spacing)

    @staticmethod
    def _grid(section: Any) -> None:
        from docx.oxml.ns import qn

        sect = section._sectPr
        for old in sect.findall(qn("w:docGrid")):
            sect.remove(old)
        grid = sect.makeelement(qn("w:docGrid"), {})
        # the pitches are floored so that 22 lines and 28 characters fit in the 版心
        height = section.page_height.twips - section.top_margin.twips - \
            section.bottom_margin.twips
        width = section.page_width.twips - section.left_margin.twips - \
            section.right_margin.twips
        line_pitch = height // _LINES  # twips per line: 579
        char_pt = width / 20 / _CHARS  # the character pitch, against the 3号 (16 pt) size,
        grid.set(qn("w:type"), "linesAndChars")  # in 1/4096 pt
        grid.set(qn("w:linePitch"), str(line_pitch))
        grid.set(qn("w:charSpace"), str(math.floor((char_pt - _SIZES["body"]) * 4096)))
        sect.append(grid)

    def _page_numbers(self, section: Any) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                              (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            para = footer.paragraphs[0]
            para.alignment = align
            fmt = para.paragraph_format
            fmt.line_spacing = 1.0
            if align is WD_ALIGN_PARAGRAPH.RIGHT:
                fmt.right_indent = Pt(_SIZES["page"])
            else:
                fmt.left_indent = Pt(_SIZES["page"])
            _fonts(para.add_run("— "), FONTS["page"], _SIZES["page"])
            self._field(para, "PAGE")
            _fonts(para.add_run(" —"), FONTS["page"], _SIZES["page"])

    @staticmethod
    def _field(para: Any, code: str) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        for kind, text in (("begin", None), (None, f" {code} "), ("separate", None),
                           (None, "1"), ("end", None)):
            run = para.add_run()
            _fonts(run, FONTS["page"], _SIZES["page"])
            if kind:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run._r.append(char)
            elif text and text.strip() == code:
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
            else:
                run.text = text

    def title(self, text: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        para = self.doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(para.add_run(text), FONTS["title"], _SIZES["title"])
        self.doc.add_paragraph()

    def heading(self, level: int, text: str) -> None:
        from docx.shared import Pt

        para = self.doc.add_paragraph()
        para.paragraph_format.first_line_indent = Pt(2 * _SIZES["body"])
        para.paragraph_format.keep_with_next = True
        font = FONTS["h1"] if level == 1 else FONTS["h2"] if level == 2 else FONTS["body"]
        _fonts(para.add_run(text), font, _SIZES["body"], bold=level == 3)

    def body(self, text: str, *, indent: bool = True, align: Any = None,
             right_chars: float = 0) -> Any:
        from docx.shared import Pt

        para = self.doc.add_paragraph()
        if indent:
            para.paragraph_format.first_line_indent = Pt(2 * _SIZES["body"])
        if right_chars:
            para.paragraph_format.right_indent = Pt(right_chars * _SIZES["body"])
        if align is not None:
            para.alignment = align
        _fonts(para.add_run(text), FONTS["body"], _SIZES["body"])
        return para

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], *,
              widths_mm: Sequence[float], numeric_from: int = 2) -> Any:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Mm

        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for j, text in enumerate(header):
            self._cell(table.rows[0].cells[j], text, bold=True,
                       align=WD_ALIGN_PARAGRAPH.CENTER)
        for record in rows:
            cells = table.add_row().cells
            for j, text in enumerate(record):
                self._cell(cells[j], text, align=WD_ALIGN_PARAGRAPH.RIGHT if j >= numeric_from
                           else WD_ALIGN_PARAGRAPH.LEFT)
        table.autofit = False
        scale = min(1.0, 156 / sum(widths_mm))  # never wider than the 版心
        grid = table._tbl.tblGrid
        for j, col in enumerate(grid.findall(qn("w:gridCol"))):
            col.set(qn("w:w"), str(int(Mm(widths_mm[j] * scale).twips)))
        for row in table.rows:
            for j, width in enumerate(widths_mm):
                row.cells[j].width = Mm(width * scale)
        self._repeat_header(table)
        return table

    @staticmethod
    def _repeat_header(table: Any) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        tr_pr = table.rows[0]._tr.get_or_add_trPr()
        flag = OxmlElement("w:tblHeader")
        flag.set(qn("w:val"), "true")
        tr_pr.append(flag)

    @staticmethod
    def _cell(cell: Any, text: str, *, bold: bool = False, align: Any = None) -> None:
        from docx.oxml.ns import qn

        para = cell.paragraphs[0]
        para.paragraph_format.first_line_indent = None
        para.paragraph_format.line_spacing = 1.0
        ppr = para._p.get_or_add_pPr()
        snap = ppr.makeelement(qn("w:snapToGrid"), {qn("w:val"): "0"})  # tables: off the grid
        ppr.insert(0, snap)
        if align is not None:
            para.alignment = align
        _fonts(para.add_run(text), FONTS["h1"] if bold else FONTS["body"], _SIZES["table"])

    def picture(self, path: Path, caption: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        para = self.doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        para.paragraph_format.line_spacing = 1.0
        para.paragraph_format.keep_with_next = True
        para.add_run().add_picture(str(path), width=Mm(156))
        cap = self.body(caption, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        for run in cap.runs:
            _fonts(run, FONTS["h2"], 12.0)

    def page_break(self) -> None:
        from docx.enum.text import WD_BREAK

        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _house_style(context: dict[str, Any], map_png: Path | None) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    w = _Writer()
    w.title(context["title"])
    targets = context["targets"]
    done = sum(1 for t in targets if t["rate_value"] is not None and t["rate_value"] >= 100)
    w.body(f"截至{context['as_of']}，纳入空间统计的{len(targets)}项目标任务中，{done}项已完成"
           f"年度目标，{len(context['lagging'])}项完成率低于{context['lagging_below']}。"
           "各项数据均由项目图层按椭球面实测（长度、面积），重叠图斑只计一次，县界外部分不计入。"
           "现将有关情况通报如下。")
    section = 0

    def h1(text: str) -> None:
        nonlocal section
        w.heading(1, f"{_CN_NUMBERS[section]}、{text}")
        section += 1

    h1("总体情况")
    w.table(["序号", "目标任务", "目标值", "已完工", "在建", "计划", "完成率"],
            [[str(t["no"]), t["title"], f"{t['value']}{t['unit']}", t["completed"],
              t["building"], t["planned"], t["rate"]] for t in targets],
            widths_mm=[10, 52, 22, 20, 17, 17, 18])
    w.body("注：目标值、已完工、在建、计划的单位均为该目标的计量单位；完成率＝已完工÷目标值。",
           indent=True)
    if context["no_data"]:
        w.body(f"另有{len(context['no_data'])}项指标（{'、'.join(context['no_data'])}）"
               "无空间数据，未纳入本通报统计。")
    if context.get("lamps"):
        h1("序时进度与红黄绿灯")
        w.body(f"截至{context['lamps_date']}，按序时进度（年度目标按月均分，或目标库给出的"
               "月度计划）比较各项目标的完成率；差值为完成率减序时进度的百分点，本月新增为"
               "自上次快照以来新增的已完工量。")
        w.table(["目标任务", "完成率", "序时进度", "差(百分点)", "本月新增", "灯号"],
                [[f"{x['title']}（{x['unit']}）", x["rate"], x["expected"], x["gap"],
                  x["added"], x["lamp"]] for x in context["lamps"]],
                widths_mm=[62, 18, 20, 20, 20, 16])
    if context["townships"]:
        h1("分乡镇情况")
        ranked = context["ranked"]
        w.body("各乡镇主要目标任务已完工量及名次如下（括号内为名次；综合排名按各项名次的平均值"
               "由前到后）。")
        w.table(["排名", "乡镇", *[f"{r['title']}（{r['unit']}）" for r in ranked]],
                [[str(t["rank"]), t["name"], *t["cells"]] for t in context["townships"]],
                widths_mm=[10, 24, *([122 / max(len(ranked), 1)] * len(ranked))])
    h1("进展滞后的目标任务")
    if context["lagging"]:
        for i, lag in enumerate(context["lagging"], start=1):
            w.heading(2, f"（{_CN_NUMBERS[i - 1] if i <= 10 else i}）{lag['title']}")
            w.body(f"目标{lag['value']}{lag['unit']}，已完工{lag['completed']}{lag['unit']}，"
                   f"完成率{lag['rate']}，尚差{lag['gap']}{lag['unit']}。")
            if lag["waiting"]:
                w.heading(3, "1. 未开工项目")
                more = "，列出前" + str(len(lag["examples"])) + "个" \
                    if lag["waiting"] > len(lag["examples"]) else ""
                w.body(f"尚有{lag['waiting']}个项目未开工{more}：")
                for k, example in enumerate(lag["examples"], start=1):
                    w.body(f"（{k}）{example}")
    else:
        w.body(f"各项目标任务完成率均不低于{context['lagging_below']}。")
    h1("数据质量问题")
    for i, problem in enumerate(context["problems"], start=1):
        w.heading(2, f"（{_CN_NUMBERS[i - 1]}）{problem['title']}")
        w.body(problem["text"])
        for j, item in enumerate(problem["items"], start=1):
            w.body(f"{j}. {item}")
    if context.get("compliance") is not None:
        h1("三区三线核查")
        _compliance_section(w, context["compliance"])
    if map_png is not None:
        h1("项目分布图")
        w.picture(map_png, f"图1 {context['project']}项目分布图")
    w.body("")
    w.body("附件：分乡镇目标任务完成情况明细表" if context["attachment"] else "", indent=True)
    w.body("")
    w.body(context["issuer"], indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    w.body(context["date"], indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    w.body(f"（数据截至{context['as_of']}）", indent=False)
    if context["attachment"]:
        w.page_break()
        para = w.body("附件", indent=False)
        for run in para.runs:
            _fonts(run, FONTS["h1"], _SIZES["body"])
        w.body("分乡镇目标任务完成情况明细表", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        w.table(["乡镇", "目标任务", "单位", "计划", "在建", "已完工", "要素数"],
                [[a["township"], a["title"], a["unit"], a["planned"], a["building"],
                  a["completed"], a["n"]] for a in context["attachment"]],
                widths_mm=[22, 52, 14, 18, 18, 18, 14], numeric_from=3)
    return w.doc


def _compliance_section(w: _Writer, c: dict[str, Any]) -> None:
    """三区三线核查: datasets, counts and amounts per control line, the conflicts."""
    checked = [s["zone_type"] for s in c["summary"] if s["checked"]]
    if not checked:
        w.body("项目中无三区三线数据（生态保护红线、永久基本农田、城镇开发边界均无），"
               f"{c['n_features']}个项目要素均未核查。未核查不等于无冲突，请补充三区三线数据"
               "（project.toml 的 [zones.*]）后核查。")
    else:
        w.body(f"对{c['n_features']}个项目要素逐一与{'、'.join(checked)}叠加核查，面积、长度按"
               "CGCS2000椭球面实测；每个要素在每类控制线上的结果为冲突、无冲突或未核查之一。")
    for zone_type in c["unchecked"]:
        if checked:
            w.body(f"项目中无{zone_type}数据，各要素与{zone_type}的关系未核查（不等于无冲突）。")
    if c["label"]:
        w.body(f"数据说明：所用三区三线数据为“{c['label']}”，核查结果不作为用地审批依据。")
    w.heading(2, "（一）核查数据")
    w.table(["控制线", "核查数据", "版本", "生效日期", "图斑数", "说明"],
            [[d["zone_type"], d["dataset"], d["version"], d["effective"], d["n_features"],
              d["label"]] for d in c["datasets"]],
            widths_mm=[27, 38, 26, 22, 13, 30], numeric_from=4)
    w.heading(2, "（二）核查结果")
    w.table(["控制线", "冲突", "需论证", "无冲突", "未核查", "压占面积（亩）", "压占面积（公顷）",
             "压占长度（公里）"],
            [[s["zone_type"], str(s["conflict"]), str(s["review"]), str(s["clear"]),
              str(s["unchecked"]), s["area_mu"], s["area_ha"], s["length_km"]]
             for s in c["summary"]],
            widths_mm=[27, 13, 15, 15, 15, 23, 25, 23], numeric_from=1)
    w.body("注：数量为项目要素×控制线的核查结果数；冲突指管控要求为禁止的压占，需论证指管控要求"
           "为需论证的压占（须论证并依法报批）；压占面积、长度为冲突与需论证两类之和。")
    allowed = sum(s["allowed"] for s in c["summary"])
    waived = sum(s["waived"] for s in c["summary"])
    notes = []
    if allowed:
        notes.append(f"另有{allowed}项压占属规则允许（如红线内生态修复、开发边界内城镇建设），"
                     "计入无冲突")
    if waived:
        notes.append(f"{waived}项经复核核销，计入无冲突，原结果见冲突清单")
    if c["n_slivers"]:
        notes.append(f"{c['n_slivers']}处边界碎片已按阈值剔除")
    if notes:
        w.body("；".join(notes) + "。明细见三区三线指标汇总表。")
    if not checked:
        return
    w.heading(2, "（三）冲突清单")
    if not c["conflicts"]:
        w.body("经核查，未发现项目压占已核查控制线的冲突。")
        return
    rows = []
    for x in c["conflicts"]:
        citation = x["citation"]
        if x["waived"]:
            citation += f"；复核说明：{x['reason']}；复核依据：{x['basis']}"
        rows.append([str(x["no"]), x["project"], x["township"], x["zone_type"], x["result"],
                     citation, "点位在区内" if x["point"] else x["area_mu"],
                     x["area_ha"], x["length_km"]])
    table = w.table(["序号", "项目", "乡镇", "控制线", "管控要求", "依据", "面积（亩）",
                     "面积（公顷）", "长度（公里）"], rows,
                    widths_mm=[7, 26, 13, 15, 12, 31, 18, 18, 16], numeric_from=6)
    from docx.oxml import OxmlElement

    for row in table.rows:  # a conflict is read on one page: its row is never split
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _from_template(template: Path, context: dict[str, Any], map_png: Path | None,
                   tmp: Path) -> None:
    try:
        from docxtpl import DocxTemplate, InlineImage
    except ImportError as exc:
        raise ConfigError("a 通报 template needs docxtpl: pip install 'county_gis[docx]'"
                          ) from exc
    from docx.shared import Mm

    doc = DocxTemplate(str(template))
    values = dict(context)
    values["map"] = InlineImage(doc, str(map_png), width=Mm(156)) if map_png else ""
    doc.render(values, autoescape=True)
    doc.save(str(tmp))


def write_tongbao(
    project: Project,
    details: ProgressDetails,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    issuer: str | None = None,
    date: dt.date | str | None = None,
    as_of: dt.date | str | None = None,
    lagging_below: float = 90.0,
    with_map: bool = True,
    template: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    trend: Trend | None = None,
    compliance: ComplianceResult | None = None,
) -> Path:
    """Write the 进度通报 as an editable .docx (公文 form, GB/T 9704-2012).

    Parameters
    ----------
    project : Project
        The project (its name, boundary and layers for the map).
    details : ProgressDetails
        The progress, computed once (``county_gis.progress_details(project,
        by="township")``); the same object should feed the xlsx.
    path : path-like
        The ``.docx`` file.
    title : str, optional
        标题; default "关于<项目>目标任务完成进度的通报".
    issuer : str, optional
        落款 (发文机关署名); default a placeholder "（发文机关署名）" to fill in.
    date : date or "YYYY-MM-DD", optional
        成文日期 (default today).
    as_of : date or "YYYY-MM-DD", optional
        数据截至 (default today: say the day the layers were last updated).
    lagging_below : float, default 90.0
        Targets whose completion rate (%) is below this are listed as lagging; the
        document states the threshold.
    with_map : bool, default True
        Embed the A4 map (:func:`county_gis.print_map`, PNG at 200 dpi).
    template : path-like, optional
        A .docx with docxtpl tags to use instead of the house style; it gets
        :func:`tongbao_context` plus ``map`` (the picture).
    overwrite : bool, default False
        Replace an existing file.
    trend : Trend, optional
        The project's history (:func:`county_gis.analysis.trend`): adds the section
        序时进度与红黄绿灯 — each target's completion rate, 序时进度, the gap in points,
        本月新增 and its lamp at the last snapshot.
    compliance : ComplianceResult, optional
        The 三区三线 check, computed once (:func:`county_gis.compliance`): adds the section
        三区三线核查 (a result without zone data says 未核查 plainly) and the conflicts
        layer on the embedded map.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        Not a .docx path, a bad date, a missing template.
    OutputExistsError
        The file exists and ``overwrite`` is false.
    """
    out = Path(path)
    if out.suffix.lower() != ".docx":
        raise ConfigError(f"通报 file {out} has suffix {out.suffix!r}; allowed: .docx "
                          "(choose a .docx name)")
    if template is not None and not Path(template).is_file():
        raise ConfigError(f"template {template} does not exist; pass --template PATH to a "
                          ".docx with docxtpl tags")
    if not isinstance(lagging_below, int | float) or not 0 < lagging_below <= 100:
        raise ConfigError(f"lagging_below was {lagging_below!r}; expected a percentage in "
                          "(0, 100], e.g. 90")
    day = _date(date, "date", "--date")
    data_day = _date(as_of, "as_of", "--as-of")
    _docx()
    context = tongbao_context(
        project, details, as_of=data_day, date=day, issuer=issuer or "（发文机关署名）",
        title=title or f"关于{project.name}目标任务完成进度的通报",
        lagging_below=float(lagging_below), trend=trend, compliance=compliance)
    from .render import print_map

    with tempfile.TemporaryDirectory(prefix="county_gis_tongbao_") as folder, \
            atomic_path(out, overwrite=overwrite) as tmp:
        map_png = None
        if with_map:
            map_png = print_map(project, Path(folder) / "map.png", progress=None, dpi=200,
                                date=day, compliance=compliance).path
        if template is not None:
            _from_template(Path(template), context, map_png, tmp)
        else:
            _house_style(context, map_png).save(str(tmp))
    return out
