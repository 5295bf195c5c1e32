"""``county-gis greening``: how much of the completed regreening is green from above."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from ..raster import DEFAULT_THRESHOLD, greening_summary
from ._options import handle_errors, out_option, overwrite_option
from ._tables import write_table

__all__ = ["greening"]


@click.command("greening")
@click.argument("project", required=False, type=click.Path(exists=True))
@click.option("--before", type=click.Path(exists=True, dir_okay=False), default=None,
              help="NDVI raster before (default: the project's ndvi_before / ndvi_2022).")
@click.option("--after", type=click.Path(exists=True, dir_okay=False), default=None,
              help="NDVI raster after (default: the project's ndvi_after / ndvi_2023).")
@click.option("--threshold", type=float, default=DEFAULT_THRESHOLD, show_default=True,
              help="NDVI change that counts as greened (+) or degraded (−).")
@out_option("Write the table as CSV (UTF-8 with BOM, opens in Excel).")
@overwrite_option
@handle_errors
def greening(project: str | None, before: str | None, after: str | None, threshold: float,
             out: str | None, overwrite: bool) -> None:
    """NDVI check of the completed mine-restoration and afforestation plots of PROJECT.

    PROJECT defaults to the bundled county project. Per target: area checked, area greened,
    unchanged, degraded and without data (亩), and the green share.
    """
    try:
        table = greening_summary(project, before, after, threshold=threshold)
    except ValueError as exc:
        if "threshold" in str(exc):
            raise click.BadParameter(str(exc), param_hint="--threshold") from None
        raise
    view = Table(title=f"复绿 / 造林 NDVI 核查 (threshold ±{threshold:g})")
    headers = {"kind": "类型", "features": "图斑", "checked_mu": "完工(亩)",
               "greened_mu": "变绿(亩)", "unchanged_mu": "无变化(亩)", "degraded_mu": "退化(亩)",
               "no_data_mu": "无数据(亩)", "green_share": "变绿比例"}
    view.add_column("目标")
    for column in table.columns:
        view.add_column(headers.get(column, column), justify="right")
    for target, row in table.iterrows():
        cells = [f"{row[c]:.1%}" if c == "green_share" else
                 f"{row[c]:,.1f}" if c.endswith("_mu") else str(row[c]) for c in table.columns]
        view.add_row(str(target), *cells)
    Console().print(view)
    if table.empty:
        click.echo("no completed mine-restoration or afforestation plots to check", err=True)
    if out:
        write_table(table.reset_index(), out, overwrite=overwrite)
        click.echo(f"wrote {out}")
