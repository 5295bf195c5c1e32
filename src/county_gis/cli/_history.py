"""Shared by the history commands: the trend of a project when it has a history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from ..units import format_amount as _fmt
from ._console import plain as escape

if TYPE_CHECKING:
    from ..analysis import Trend
    from ..project import Project

__all__ = ["lamp_table", "print_lamps", "project_trend"]

_STYLE = {"green": "green", "yellow": "yellow", "red": "red", "none": "dim"}


def project_trend(project: Project, as_of: str | None = None) -> Trend | None:
    """The trend over every snapshot up to ``as_of`` (None: all); None without a history."""
    from ..analysis import trend
    from ..history import history_config, list_snapshots, parse_date

    config = history_config(project)
    if config.store is None or not config.store.is_file():
        return None
    snaps = list_snapshots(project)
    if not snaps:
        return None
    if as_of is None or as_of.strip().lower() in {"latest", "last", "最新"}:
        return trend(project)
    day = parse_date(as_of, "--as-of")
    dates = [s.date for s in snaps if s.date <= day]
    return trend(project, dates=[*dates, day] if dates else [day])




def lamp_table(trend: Trend, *, title: str) -> Table:
    """A rich table of the last date of ``trend``: % done, 序时进度, gap, 本期新增, lamp."""
    out = Table(title=title)
    out.add_column("目标 target", overflow="fold", max_width=36)
    out.add_column("单位")
    for header in ("完成率", "序时进度", "差(百分点)", "本期新增", "灯号"):
        out.add_column(header, justify="right")
    for row in trend.latest().to_dict("records"):
        style = _STYLE.get(str(row["lamp"]), "dim")
        out.add_row(escape(str(row["title"])), escape(str(row["unit"])),
                    _fmt(row["pct_completed"]) + " %", _fmt(row["expected_pct"], 2) + " %",
                    _fmt(row["gap"], 2, sign=True), _fmt(row["added"], 2),
                    f"[{style}]● {row['lamp_label']}[/{style}]")
    return out


def print_lamps(trend: Trend, console: Console | None = None) -> None:
    """Print the lamps of the last date of ``trend``."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)
    if not trend.dates:
        return
    synthetic = " (逐月数据为合成示例 synthetic)" if trend.synthetic else ""
    console.print(lamp_table(trend, title=f"序时进度与红黄绿灯 截至 {trend.dates[-1]} "
                                          f"(规则 {trend.rules.preset.value}){synthetic}"))
