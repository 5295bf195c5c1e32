"""``county-gis zonal``: per-feature raster statistics with exact fractional pixel coverage."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

from ._choices import DEFAULT_STATS, STATS
from ._console import make_console, plain
from ._options import console_width, handle_errors, out_option, overwrite_option, pick_layer

if TYPE_CHECKING:  # imported when the command runs, so `--help` answers at once
    from ..raster import Stat

__all__ = ["zonal"]

#: Rows printed to the terminal; the CSV (--out) has them all.
MAX_ROWS = 40


def _stats(values: tuple[str, ...]) -> list[Stat]:
    from ..raster import DEFAULT_STATS, Stat

    names = [n for value in values for n in value.split(",") if n.strip()]
    try:
        return [Stat.parse(n) for n in names] if names else list(DEFAULT_STATS)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--stats") from None


def _fmt(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.4f}"


@click.command("zonal")
@click.argument("layer_path", metavar="LAYER", type=click.Path(dir_okay=False))
@click.argument("raster", type=click.Path(dir_okay=False))
@click.option("--layer", "layer_name", default=None,
              help="Layer inside LAYER (required for multi-layer files).")
@click.option("--stats", "stats", multiple=True, metavar="NAMES",
              help="Comma-separated: " + ", ".join(STATS)
              + " (default: " + ",".join(DEFAULT_STATS) + ").")
@click.option("--band", type=int, default=1, show_default=True, help="1-based raster band.")
@out_option("Write the full table as CSV (UTF-8 with BOM, opens in Excel).")
@overwrite_option
@handle_errors
def zonal(layer_path: str, raster: str, layer_name: str | None, stats: tuple[str, ...],
          band: int, out: str | None, overwrite: bool) -> None:
    """按图斑统计栅格 (分区统计); 半个像元在图斑内按一半计。

    Statistics of RASTER per polygon of LAYER; a pixel half inside a plot counts half.

    count is the fractional number of covered pixels with a value; coverage_fraction the
    share of the feature's area that has a value.
    """
    import pandas as pd
    from rich.table import Table

    from ..io import read_layer
    from ..raster import zonal_stats
    from ..report import write_table

    data = read_layer(layer_path, layer=pick_layer(layer_path, layer_name))
    table = zonal_stats(data, raster, stats=_stats(stats), band=band)
    names = data["name"] if "name" in data.columns else pd.Series([""] * len(data),
                                                                   index=data.index)
    view = Table(title=f"{plain(click.format_filename(raster))} × "
                       f"{plain(click.format_filename(layer_path))}")
    view.add_column("fid")
    view.add_column("名称 name")
    for column in table.columns:
        view.add_column(column, justify="right")
    for (fid, row), name in list(zip(table.iterrows(), names.fillna(""), strict=True))[:MAX_ROWS]:
        view.add_row(plain(fid), plain(name), *(_fmt(float(v)) for v in row))
    make_console(width=console_width()).print(view)
    if len(table) > MAX_ROWS:
        click.echo(f"… {len(table) - MAX_ROWS} more rows (all of them with --out)", err=True)
    missing = int(table["coverage_fraction"].fillna(0).eq(0).sum())
    if missing:
        click.echo(f"{missing} features have no value (outside the raster, on nodata, or not "
                   "polygons)", err=True)
    if out:
        frame = table.copy()
        frame.insert(0, "name", names.to_numpy())
        write_table(frame, out, overwrite=overwrite, index_label="fid")
        click.echo(f"wrote {out}")
