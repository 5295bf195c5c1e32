"""``county-gis measure``: per-feature area / length table of one layer, with totals."""

from __future__ import annotations

import math

import click
import pandas as pd
from rich.table import Table

from ..measure import Method, measure_table
from ..report import write_table
from ..units import AreaUnit, LengthUnit
from ._console import make_console, plain, terminal_text
from ._options import handle_errors, out_option, overwrite_option

__all__ = ["measure"]


def _units(unit: str) -> tuple[AreaUnit, LengthUnit]:
    """``--unit`` names an area unit, or a length unit; the other keeps its default."""
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
    area_unit: AreaUnit = table.attrs["area_unit"]
    length_unit: LengthUnit = table.attrs["length_unit"]
    method: Method = table.attrs["method"]
    out = Table(title=f"{plain(title)} — {method.value}", show_footer=True)
    out.add_column("fid", footer="合计 total")
    out.add_column("名称 name")
    out.add_column("类型 type")
    value_columns = list(table.columns[1:])
    headers = [f"面积 area ({area_unit.label})", f"长度 length ({length_unit.label})",
               f"周长 perimeter ({length_unit.label})"]
    for column, header in zip(value_columns, headers, strict=True):
        out.add_column(header, justify="right", footer=_fmt(float(table[column].sum(min_count=1))))
    for (fid, row), label in zip(table.iterrows(), labels, strict=True):
        out.add_row(plain(fid), plain(label), plain(row["geometry_type"]),
                    *(_fmt(float(row[c])) for c in value_columns))
    return out


@click.command("measure")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--layer", default=None, help="Layer name (required for multi-layer files).")
@click.option("--unit", default="亩", show_default=True,
              help="Area unit (平方米 亩 公顷 万亩 平方公里) or length unit (米 公里).")
@click.option("--method", type=click.Choice([m.value for m in Method]), default="geodesic",
              show_default=True, help="geodesic on GRS80, or planar in the Gauss-Krüger zone.")
@out_option("Also write the table as CSV (UTF-8 with BOM, opens in Excel).")
@overwrite_option
@handle_errors
def measure(path: str, layer: str | None, unit: str, method: str, out: str | None,
            overwrite: bool) -> None:
    """Measure every feature of the layer at PATH: area, length, perimeter, and totals."""
    from ..io import read_layer

    area_unit, length_unit = _units(unit)
    data = read_layer(path, layer=layer)
    if "source_fid" in data.columns:  # report the source's own feature ids
        data = data.set_index("source_fid", drop=False)
    table = measure_table(data, area_unit=area_unit, length_unit=length_unit, method=method)
    labels = data["name"] if "name" in data.columns else pd.Series([""] * len(data))
    title = f"{click.format_filename(path)}" + (f":{layer}" if layer else "")
    console = make_console()
    console.print(render_table(table, labels.fillna(""), title))
    left_out = table.iloc[:, 1:].isna().all(axis=1)
    if left_out.any():
        click.echo(f"left out: {int(left_out.sum())} features with no area or length "
                   "(empty, null or points; see the warning)", err=True)
    if out:
        frame = table.copy()
        frame.insert(0, "name", labels.to_numpy())
        write_table(frame, out, overwrite=overwrite, index_label="fid")
        click.echo(f"wrote {terminal_text(out)}")
