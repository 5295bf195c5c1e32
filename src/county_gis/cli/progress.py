"""``county-gis progress``: progress against every target of a project, as a table and a report."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click

from ..units import format_amount as _fmt
from ._console import make_console, plain
from ._options import (
    check_project,
    console_width,
    handle_errors,
    open_project,
    out_option,
    overwrite_option,
    project_argument,
)
from .greening import threshold_option

if TYPE_CHECKING:  # the CLI imports the analysis only when a command runs
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from ..analysis import ProgressDetails
    from ..project import Project

__all__ = ["print_progress", "progress_command", "progress_table"]




def load_digest(project: Project) -> list[str]:
    """What loading each layer decided and found: one line per layer, then one per kind of
    note that is not a plain fact (the first of each kind, with how many more)."""
    from ..io import Severity

    lines = []
    for key, report in project.reports.items():
        if report is None or key in ("boundary", "townships"):
            continue
        worth = [n for n in report.notes if n.severity is not Severity.INFO
                 or n.code in ("field.unmapped", "table.summary_row", "table.header_row",
                               "geometry.set_aside_total")]
        if n_set_aside := len(report.select("geometry.set_aside")):
            worth = [n for n in worth if n.code != "geometry.set_aside"]
        lines.append(f"载入 loaded {project.place(key)}: {report.feature_count} 个要素; "
                     f"encoding {report.encoding}; CRS {report.crs_decision}"
                     + (f"; {n_set_aside} set aside" if n_set_aside else ""))
        by_code: dict[str, list[Any]] = {}
        for note in worth:
            by_code.setdefault(note.code, []).append(note)
        for notes in by_code.values():
            first = notes[0]
            more = f" (+{len(notes) - 1} more)" if len(notes) > 1 else ""
            where = project.place(key) + (f"#{first.fid}" if first.fid is not None else "") + (
                f" ({first.field})" if first.field else "")
            lines.append(f"  {first.severity.value}: {where}: {first.message}{more}")
    return lines


def _label(row: dict[str, Any]) -> str:
    """A feature's project id, else its name (never ``None``)."""
    for key in ("project_id", "name"):
        value = row.get(key)
        if value is not None and not (isinstance(value, float) and math.isnan(value)) \
                and str(value).strip():
            return str(value)
    return "无编号 no id"


def progress_table(table: pd.DataFrame, *, title: str) -> Table:
    """A rich table of a progress table (per target, or per township with its column)."""
    from rich.table import Table

    by_town = "township" in table.columns
    green = "greened" in table.columns
    out = Table(title=title, show_lines=False)
    out.add_column("部分", justify="center")
    out.add_column("目标 target", overflow="fold", max_width=36)
    if by_town:
        out.add_column("乡镇 township")
    out.add_column("单位")
    for header in ("目标值", "计划", "在建", "已完工"):
        out.add_column(header, justify="right")
    if not by_town:
        out.add_column("完成率", justify="right")
    if green:
        out.add_column("遥感变绿", justify="right")
        out.add_column("变绿比例", justify="right")
    out.add_column("要素", justify="right")
    if not by_town:
        out.add_column("备注 notes", overflow="fold", max_width=48)
    for row in table.to_dict("records"):
        whole = float(row["target_value"]) % 1 == 0
        digits = 0 if row["measure"] == "count" or (
            row["measure"] == "sum" and whole and row["target_value"] >= 10) else 1
        cells = [plain(row["section"]), plain(row["title"])]
        if by_town:
            cells.append(plain(row["township"]))
        cells.append(plain(row["unit"]))
        cells += [_fmt(row["target_value"], 0 if whole else 2)]
        cells += [_fmt(row[c], digits) for c in ("planned", "under_construction", "completed")]
        if not by_town:
            pct = row["pct_completed"]
            text = _fmt(pct) + " %" if not (isinstance(pct, float) and math.isnan(pct)) else "—"
            style = ("green" if pct >= 100 else "yellow" if pct >= 80 else "red") \
                if not math.isnan(pct) else "dim"
            if str(row.get("has_data")) == "False":  # no layer of the target's kinds
                text, style = "无数据", "dim"
                cells[-1] = "无数据"
            cells.append(f"[{style}]{text}[/{style}]")
        if green:
            share = row["green_share"]
            cells += [_fmt(row["greened"], digits),
                      "—" if math.isnan(share) else f"{100 * share:.1f} %"]
        cells.append(str(row["n_features"]))
        if not by_town:
            notes = row["notes"]
            cells.append("" if notes is None or (isinstance(notes, float) and math.isnan(notes))
                         else plain(notes))
        out.add_row(*cells)
    return out


def print_progress(project: Project, *, by: str | None = None, console: Console | None = None,
                   tolerance: float = 0.05, greening: bool = False,
                   threshold: float | None = None, as_of: str | None = None) -> ProgressDetails:
    """Print the progress of ``project`` (and what the checks found); return the details.

    Parameters
    ----------
    project : Project
        A loaded project.
    by : {None, "township"}, optional
        Also print the per-township table.
    console : rich.console.Console, optional
        Where to print (a 160-column console when not a terminal).
    tolerance : float, default 0.05
        Stated-vs-measured tolerance.
    greening : bool, default False
        Add the NDVI check of the completed regreening (``progress(..., greening=True)``)
        and list the completed plots that did not green.
    threshold : float, optional
        The NDVI change that counts as greened (default 0.05).
    as_of : str, optional
        The figures of that date (YYYY-MM-DD or ``latest``) from the project's history.

    Returns
    -------
    ProgressDetails
        The tables printed, for writing a report.
    """
    import pandas as pd

    from ..analysis import progress_details

    escape = plain  # data in every line: markup and control characters shown as text
    if console is None:
        console = make_console(width=console_width())
    options = {} if threshold is None else {"threshold": threshold}
    details = progress_details(project, by=by, tolerance=tolerance, greening=greening,
                               as_of=as_of, **options)
    when = f" (截至 {as_of})" if as_of else ""
    title = f"{plain(project.name)} — 目标任务完成进度{when}"
    console.print(progress_table(details.table, title=title))
    if details.by_township is not None:
        console.print(progress_table(details.by_township, title="分乡镇 (乡镇范围为近似)"
                                     if bool(project.townships.get("approximate",
                                                                   pd.Series([])).any())
                                     else "分乡镇"))
    without = details.townships_without_polygon
    if without is not None and len(without):
        console.print(escape(f"{len(without)} 个乡镇无多边形, 其数量计入相邻乡镇 (no polygon; "
                             f"counted in their neighbours): {'、'.join(without['township'])}"))
    for pair in details.overlaps.to_dict("records"):
        console.print(escape(f"重叠 overlap [{pair['target_id']}]: {pair.get('place_a')} "
                             f"({pair.get('project_id_a')}) × {pair.get('place_b')} "
                             f"({pair.get('project_id_b')}): {pair['overlap']:,.1f} "
                             f"{pair['unit']} counted once"))
    for diff in details.stated.to_dict("records"):
        console.print(escape(f"填报≠实测 stated≠measured [{diff['target_id']}]: "
                             f"{diff.get('place')} ({_label(diff)}): stated "
                             f"{diff['stated']:,.1f} {diff['unit']}, measured "
                             f"{diff['measured']:,.1f} ({diff['relative']:+.0%})"))
    plots = details.greening if details.greening is not None else pd.DataFrame()
    for plot in plots.to_dict("records"):
        if plot["verdict"] != "greened":
            console.print(escape(f"NDVI 未变绿 not green [{plot['target_id']}]: {plot['place']} "
                                 f"({_label(plot)}): NDVI {plot['ndvi_change']:+.3f}, "
                                 f"{plot['verdict_label']}, {plot['area_mu']:,.1f} 亩"))
    from ..analysis import filter_gaps, unlinked_summary

    for line in load_digest(project):
        console.print(escape(line))

    problems = details.link_problems
    grouped = unlinked_summary(details.links)
    if len(grouped):
        total = int(grouped["count"].sum())
        console.print(escape(f"{total} 个要素未关联 features linked to no target: " + "; ".join(
            f"{r['reason']} ({r['count']})" for r in grouped.to_dict("records"))))
        for r in grouped.to_dict("records"):
            places = ", ".join(r["places"][:3]) + (" ..." if len(r["places"]) > 3 else "")
            console.print(escape(f"  修正 fix ({r['count']}): {r['fix']} — e.g. {places}"))
    others = problems[problems["reason"].isna()] if "reason" in problems else problems
    for link in others.to_dict("records"):
        console.print(escape(f"关联 link: {link['place']} ({_label(link)}): {link['problem']}"))
    for gap in filter_gaps(project, details.links):
        console.print(escape(f"筛选 filter: {gap}"))
    return details


@click.command("progress")
@project_argument
@click.option("--by", "by", type=click.Choice(["county", "township"]), default="county",
              show_default=True, help="Also break the amounts down per township.")
@click.option("--tolerance", type=float, default=0.05, show_default=True,
              help="Relative difference above which a stated 面积(亩) / 长度 is listed.")
@click.option("--greening", is_flag=True, default=False,
              help="Also check on the project's NDVI rasters how much of the completed "
                   "regreening / afforestation is green from above.")
@threshold_option
@click.option("--as-of", "as_of", default=None,
              help="The figures of that date (YYYY-MM-DD, or latest) from the project's "
                   "history, with 序时进度, 本期新增 and the 红黄绿灯 lamps.")
@click.option("--charts", "charts", type=click.Path(file_okay=False), default=None,
              help="Also write a trend chart per target (PNG) into this folder.")
@out_option("Write the report: .xlsx (a sheet per view), .csv or .md.")
@overwrite_option
@handle_errors
def progress_command(project: str | None, by: str, tolerance: float, greening: bool,
                     threshold: float, as_of: str | None, charts: str | None, out: str | None,
                     overwrite: bool) -> None:
    """目标任务完成进度: 计划、在建、已完工、完成率。

    Progress against every target of PROJECT: planned, under construction, completed, % done.
    PROJECT is a project.toml or its folder, a folder of layer files without project.toml or
    one layer file (read as `county-gis init` guesses them); default the bundled county
    project. The load report of every layer and why a feature counts toward nothing follow
    the table."""
    from .._atomic import check_overwrite
    from ..report import ReportFormat, write_report

    check_project(project)  # the project first, then the output path, then the work
    if out:
        ReportFormat.from_path(out)
        check_overwrite(out, overwrite)
    loaded = open_project(project)
    details = print_progress(loaded, by=None if by == "county" else by, tolerance=tolerance,
                             greening=greening, threshold=threshold, as_of=as_of)
    from ._history import print_lamps, project_trend

    trend = project_trend(loaded, as_of)
    if trend is not None:
        print_lamps(trend)
    if charts:
        from ..render import trend_charts

        if trend is None:
            raise click.UsageError("--charts needs a project with a history ([history] store "
                                   "with snapshots; county-gis snapshot records one)")
        written = trend_charts(trend, charts, overwrite=overwrite)
        click.echo(f"wrote {len(written)} trend chart(s) into {charts}")
    if out:
        write_report(details, out, overwrite=overwrite, title=f"{loaded.name} — 目标任务完成进度",
                     trend=trend)
        click.echo(f"wrote {out}")
