"""``county-gis greening``: how much of the completed regreening is green from above."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ._choices import DEFAULT_THRESHOLD
from ._console import make_console, plain, terminal_text
from ._options import (
    console_width,
    handle_errors,
    open_project,
    out_option,
    overwrite_option,
    project_argument,
)

__all__ = ["greening", "threshold_option"]

F = TypeVar("F", bound=Callable[..., Any])

_HEADERS = {"title": "目标名称", "kind": "类型", "features": "图斑", "checked_mu": "完工(亩)",
            "greened_mu": "变绿(亩)", "unchanged_mu": "无变化(亩)", "degraded_mu": "退化(亩)",
            "no_data_mu": "无数据(亩)", "green_share": "变绿比例"}


def _threshold(ctx: click.Context, param: click.Parameter, value: float) -> float:
    from ..raster import ThresholdError, check_threshold

    try:
        return check_threshold(value)
    except ThresholdError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def threshold_option(func: F) -> F:
    """``--threshold``: the NDVI change that counts as greened, checked before any work."""
    return click.option(
        "--threshold", type=float, default=DEFAULT_THRESHOLD, show_default=True,
        callback=_threshold, help="NDVI change that counts as greened (+) or degraded (−).",
    )(func)


@click.command("greening")
@project_argument
@click.option("--before", type=click.Path(exists=True, dir_okay=False), default=None,
              help="NDVI raster before (default: the project's ndvi_before / ndvi_2022).")
@click.option("--after", type=click.Path(exists=True, dir_okay=False), default=None,
              help="NDVI raster after (default: the project's ndvi_after / ndvi_2023).")
@threshold_option
@out_option("Write the table as CSV (UTF-8 with BOM, opens in Excel).")
@overwrite_option
@handle_errors
def greening(project: str | None, before: str | None, after: str | None, threshold: float,
             out: str | None, overwrite: bool) -> None:
    """遥感核查已完工的矿山复绿和造林图斑是否变绿 (NDVI)。

    NDVI check of the completed mine-restoration and afforestation plots of PROJECT.

    PROJECT (a project.toml or its folder, or a layer file) defaults to the bundled county
    project. Per target (per kind for a bare layer file): area checked, greened, unchanged,
    degraded and without data (亩, overlap-aware), and the green share. The same numbers as
    ``county-gis progress --greening``.
    """
    from rich.table import Table

    from ..analysis import greening_summary
    from ..report import write_table

    table = greening_summary(open_project(project), before, after, threshold=threshold)
    view = Table(title=f"复绿 / 造林 NDVI 核查 (threshold ±{threshold:g})")
    view.add_column("目标")
    for column in table.columns:
        view.add_column(_HEADERS.get(column, plain(column)),
                        justify="left" if column in ("title", "kind") else "right")
    for target, row in table.iterrows():
        cells = [f"{row[c]:.1%}" if c == "green_share" else
                 f"{row[c]:,.1f}" if c.endswith("_mu") else plain(row[c]) for c in table.columns]
        view.add_row(plain(target), *cells)
    make_console(width=console_width()).print(view)
    if table.empty:
        click.echo("no completed mine-restoration or afforestation plots to check", err=True)
    if out:
        write_table(table.reset_index(), out, overwrite=overwrite, index_label="fid")
        click.echo(f"wrote {terminal_text(out)}")
