"""``county-gis progress``: progress against every target of a project, as a table and a report."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from ._console import make_console, plain
from ._options import handle_errors, out_option, overwrite_option
from .greening import threshold_option

if TYPE_CHECKING:  # the CLI imports the analysis only when a command runs
    from ..analysis import ProgressDetails
    from ..project import Project

__all__ = ["print_progress", "progress_command", "progress_table"]


def _fmt(value: Any, digits: int = 1) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(number):
        return "—"
    return f"{number:,.{digits}f}"


def progress_table(table: pd.DataFrame, *, title: str) -> Table:
    """A rich table of a progress table (per target, or per township with its column)."""
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
                   threshold: float | None = None) -> ProgressDetails:
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

    Returns
    -------
    ProgressDetails
        The tables printed, for writing a report.
    """
    from ..analysis import progress_details

    escape = plain  # data in every line: markup and control characters shown as text
    if console is None:
        console = make_console()
    options = {} if threshold is None else {"threshold": threshold}
    details = progress_details(project, by=by, tolerance=tolerance, greening=greening,
                               **options)
    console.print(progress_table(details.table, title=f"{plain(project.name)} — 目标任务完成进度"))
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
                             f"{diff.get('place')} ({diff.get('project_id')}): stated "
                             f"{diff['stated']:,.1f} {diff['unit']}, measured "
                             f"{diff['measured']:,.1f} ({diff['relative']:+.0%})"))
    plots = details.greening if details.greening is not None else pd.DataFrame()
    for plot in plots.to_dict("records"):
        if plot["verdict"] != "greened":
            console.print(escape(f"NDVI 未变绿 not green [{plot['target_id']}]: {plot['place']} "
                                 f"({plot['project_id']}): NDVI {plot['ndvi_change']:+.3f}, "
                                 f"{plot['verdict_label']}, {plot['area_mu']:,.1f} 亩"))
    for link in details.link_problems.to_dict("records"):
        console.print(escape(f"关联 link: {link['place']} ({link['project_id']} "
                             f"{link['name']}): {link['problem']}"))
    return details


@click.command("progress")
@click.argument("project", required=False, type=click.Path(exists=True))
@click.option("--by", "by", type=click.Choice(["county", "township"]), default="county",
              show_default=True, help="Also break the amounts down per township.")
@click.option("--tolerance", type=float, default=0.05, show_default=True,
              help="Relative difference above which a stated 面积(亩) / 长度 is listed.")
@click.option("--greening", is_flag=True, default=False,
              help="Also check on the project's NDVI rasters how much of the completed "
                   "regreening / afforestation is green from above.")
@threshold_option
@out_option("Write the report: .xlsx (a sheet per view), .csv or .md.")
@overwrite_option
@handle_errors
def progress_command(project: str | None, by: str, tolerance: float, greening: bool,
                     threshold: float, out: str | None, overwrite: bool) -> None:
    """Progress against every target of PROJECT (a project.toml or its folder; default: the
    bundled 阜新蒙古族自治县 project): planned, under construction, completed, % done."""
    from .._atomic import check_overwrite
    from ..project import load_project
    from ..report import ReportFormat, write_report

    if out:
        ReportFormat.from_path(out)
        check_overwrite(out, overwrite)  # fail before the work, not after
    loaded = load_project(project)
    details = print_progress(loaded, by=None if by == "county" else by, tolerance=tolerance,
                             greening=greening, threshold=threshold)
    if out:
        write_report(details, out, overwrite=overwrite, title=f"{loaded.name} — 目标任务完成进度")
        click.echo(f"wrote {out}")
