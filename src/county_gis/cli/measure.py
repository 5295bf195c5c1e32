"""``county-gis measure``: per-feature area / length table of one layer, with totals."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

from ._choices import METHODS
from ._console import make_console, plain, terminal_text
from ._options import console_width, handle_errors, out_option, overwrite_option, pick_layer

if TYPE_CHECKING:  # imported when the command runs, so `--help` answers at once
    import pandas as pd
    from rich.table import Table

    from ..units import AreaUnit, LengthUnit

__all__ = ["measure"]


def _units(unit: str) -> tuple[AreaUnit, LengthUnit]:
    """``--unit`` names an area unit, or a length unit; the other keeps its default."""
    from ..units import AreaUnit, LengthUnit

    try:
        return AreaUnit.parse(unit), LengthUnit.KILOMETRE
    except ValueError:
        pass
    try:
        return AreaUnit.MU, LengthUnit.parse(unit)
    except ValueError:
        areas = ", ".join(f"{u.key} ({u.label})" for u in AreaUnit)
        lengths = ", ".join(f"{u.key} ({u.label})" for u in LengthUnit)
        raise click.BadParameter(
            f"unknown unit {unit!r}; valid area units: {areas}; length units: {lengths}",
            param_hint="--unit",
        ) from None


def _fmt(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.3f}"


def render_table(table: pd.DataFrame, labels: pd.Series, title: str) -> Table:
    """A rich table of :func:`~county_gis.measure.measure_table` output plus a totals row."""
    from rich.table import Table

    from ..measure import Method

    area_unit: AreaUnit = table.attrs["area_unit"]
    length_unit: LengthUnit = table.attrs["length_unit"]
    method: Method = table.attrs["method"]
    out = Table(title=f"{plain(title)} — {method.value}", show_footer=True)
    out.add_column("fid", footer="合计 total")
    out.add_column("名称 name")
    out.add_column("类型 type")
    value_columns = list(table.columns[1:4])
    notes = table["note"].astype(bool).any()
    headers = [f"面积 area ({area_unit.label})", f"长度 length ({length_unit.label})",
               f"周长 perimeter ({length_unit.label})"]
    for column, header in zip(value_columns, headers, strict=True):
        out.add_column(header, justify="right", footer=_fmt(float(table[column].sum(min_count=1))))
    if notes:
        out.add_column("备注 note")
    for (fid, row), label in zip(table.iterrows(), labels, strict=True):
        out.add_row(plain(fid), plain(label), plain(row["geometry_type"]),
                    *(_fmt(float(row[c])) for c in value_columns),
                    *([plain(row["note"])] if notes else []))
    return out


def _places(where: str, ids: pd.Index, shown: int = 5) -> str:
    """``plots.gpkg:plots#3, plots.gpkg:plots#7`` — the first few places, then how many more."""
    listed = ", ".join(f"{where}#{i}" for i in ids[:shown])
    return listed + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


@click.command("measure")
@click.argument("path", type=click.Path())  # a .gdb is a folder; a missing file: one line
@click.option("--layer", default=None, help="Layer name (required for multi-layer files).")
@click.option("--unit", default="亩", show_default=True,
              help="Area unit (平方米 亩 公顷 万亩 平方公里) or length unit (米 公里).")
@click.option("--method", type=click.Choice(METHODS), default="geodesic",
              show_default=True, help="geodesic on GRS80, or planar in the Gauss-Krüger zone.")
@click.option("--repair", is_flag=True, default=False,
              help="Measure invalid polygons (self-intersecting rings, overlapping parts) as "
                   "repaired by make_valid (polygonal parts) instead of leaving them out.")
@out_option("Also write the table as CSV (UTF-8 with BOM, opens in Excel).")
@overwrite_option
@handle_errors
def measure(path: str, layer: str | None, unit: str, method: str, repair: bool,
            out: str | None, overwrite: bool) -> None:
    """量算图层每个要素的面积、长度、周长及合计。

    Measure every feature of the layer at PATH: area, length, perimeter, and totals.
    Invalid polygons (a bow-tie, overlapping parts) are left out and named on stderr and in
    the note column, unless --repair measures their repair.
    """
    import pandas as pd

    from ..io import read_layer
    from ..measure import Invalid, measure_table
    from ..report import write_table

    area_unit, length_unit = _units(unit)
    data = read_layer(path, layer=pick_layer(path, layer))
    if "source_fid" in data.columns:  # report the source's own feature ids
        data = data.set_index("source_fid", drop=False)
    invalid = Invalid.REPAIR if repair else Invalid.NAN
    table = measure_table(data, area_unit=area_unit, length_unit=length_unit, method=method,
                          invalid=invalid)
    labels = data["name"] if "name" in data.columns else pd.Series([""] * len(data))
    title = f"{click.format_filename(path)}" + (f":{layer}" if layer else "")
    console = make_console(width=console_width())
    console.print(render_table(table, labels.fillna(""), title))
    broken = table["note"].str.startswith("invalid polygon").to_numpy()
    left_out = table.iloc[:, 1:4].isna().all(axis=1).to_numpy() & ~broken
    if left_out.any():
        click.echo(f"left out: {int(left_out.sum())} features with no area or length "
                   "(empty, null or points; see the warning)", err=True)
    if broken.any():
        places = _places(title, table.index[broken])
        count = f"{int(broken.sum())} invalid polygon" + ("s" if broken.sum() > 1 else "")
        if repair:
            click.echo(f"repaired: {count} ({places}) measured as repaired by make_valid "
                       "(see the note column)", err=True)
        else:
            click.echo(f"invalid: {count} ({places}) not measured (self-intersecting or "
                       "overlapping; see the note column); pass --repair to measure their "
                       "repair", err=True)
    if out:
        frame = table.copy()
        frame.insert(0, "name", labels.to_numpy())
        write_table(frame, out, overwrite=overwrite, index_label="fid")
        click.echo(f"wrote {terminal_text(out)}")
