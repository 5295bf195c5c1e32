"""``county-gis compliance``: 三区三线 check of a project — table, 汇总表, map, 界址点 TXT."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from ..units import format_amount as _fmt
from ._console import plain as escape
from ._options import handle_errors, out_option, overwrite_option

if TYPE_CHECKING:  # the CLI imports the analysis only when a command runs
    from ..analysis import ComplianceResult

__all__ = ["compliance_command", "print_compliance"]

_STYLE = {"冲突": "red", "无冲突": "green", "未核查": "yellow"}




def print_compliance(result: ComplianceResult, *, console: Console | None = None,
                     everything: bool = False) -> None:
    """Print the counts, the overlaps (or every row with ``everything``) and the slivers."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=200)
    labels = "、".join(result.labels)
    counts = Table(title=escape(f"{result.name} — 三区三线核查 (项目 × 控制线)"
                                + (f"  [{labels}]" if labels else "")))
    counts.add_column("控制线")
    for status in ("冲突", "无冲突", "未核查"):
        counts.add_column(status, justify="right")
    counts.add_column("核查数据 / 版本 / 生效日期", overflow="fold")
    for zone_type, row in result.counts().iterrows():
        info = result.zones[result.zones["zone_type"] == zone_type]
        source = "; ".join(f"{d} / {v} / {e}" for d, v, e in zip(
            info["dataset"], info["version"], info["effective"], strict=True)) or "无数据"
        counts.add_row(str(zone_type), *(f"[{_STYLE[s]}]{int(row[s])}[/{_STYLE[s]}]"
                                         for s in ("冲突", "无冲突", "未核查")), escape(source))
    console.print(counts)
    table = result.table
    shown = table if everything else table[(table["n_pieces"] > 0)
                                           | (table["status"] == "冲突")]
    rows = Table(title="压占明细 (overlaps)" if not everything else "明细", show_lines=False)
    for header, justify in (("位置", "left"), ("项目", "left"), ("控制线", "left"),
                            ("结果", "left"), ("规则", "left"), ("面积(亩)", "right"),
                            ("长度(米)", "right"), ("依据", "left")):
        rows.add_column(header, justify=justify,  # type: ignore[arg-type]
                        overflow="fold", max_width=44 if header == "依据" else None)
    for r in shown.to_dict("records"):
        status = str(r["status"])
        if r["override_reason"]:
            status += f" (原: {r['original_status']}; {r['override_reason']})"
        rows.add_row(escape(str(r["place"])), escape(f"{r['project_id']} {r['name']}"),
                     str(r["zone_type"]),
                     f"[{_STYLE.get(r['status'], 'white')}]{escape(status)}"
                     f"[/{_STYLE.get(r['status'], 'white')}]",
                     escape(str(r["rule"])), _fmt(r["area_mu"], 2), _fmt(r["length_m"], 1),
                     escape(str(r["citation"])))
    console.print(rows)
    if len(result.slivers):
        console.print(f"碎片 slivers dropped: {len(result.slivers)} (面积 < "
                      f"{result.thresholds['sliver_area_m2']:g} m² 或宽度 < "
                      f"{result.thresholds['sliver_width_m']:g} m; listed in the xlsx)")
    for problem in result.problems:
        console.print(escape(f"problem: {problem}"))


@click.command("compliance")
@click.argument("project", required=False, type=click.Path(exists=True))
@click.option("--rules", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A rules TOML replacing the bundled one (kind × zone → 禁止/需论证/允许).")
@click.option("--overrides", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Reviewed false positives (default: compliance_overrides.toml beside "
                   "project.toml).")
@click.option("--sliver-area-m2", type=float, default=None,
              help="Overlaps under this area are slivers (default 1).")
@click.option("--sliver-width-m", type=float, default=None,
              help="Overlaps narrower than this are slivers (default 0.5).")
@click.option("--sliver-length-m", type=float, default=None,
              help="Line pieces shorter than this are slivers (default 1).")
@click.option("--all", "everything", is_flag=True, default=False,
              help="Print every feature × zone row, not only the overlaps.")
@out_option("Write the 三区三线指标汇总表: .xlsx (按项目, 按乡镇, 合计, 明细 ...) or .csv.")
@click.option("--map", "map_out", type=click.Path(dir_okay=False), default=None,
              help="Also write the project map with the conflicts layer (.html).")
@click.option("--jzd", "jzd_out", type=click.Path(dir_okay=False), default=None,
              help="Also write the project's polygons as a 界址点 TXT (for 用地预审).")
@overwrite_option
@handle_errors
def compliance_command(project: str | None, rules: str | None, overrides: str | None,
                       sliver_area_m2: float | None, sliver_width_m: float | None,
                       sliver_length_m: float | None, everything: bool, out: str | None,
                       map_out: str | None, jzd_out: str | None, overwrite: bool) -> None:
    """三区三线 check of PROJECT (a project.toml or its folder; default: the bundled project):
    every feature against 生态保护红线, 永久基本农田 and 城镇开发边界, with the rule and clause."""
    from .._atomic import check_overwrite
    from ..analysis import compliance
    from ..compliance_report import write_compliance
    from ..project import load_project

    for path in (out, map_out, jzd_out):
        if path:
            check_overwrite(path, overwrite)  # fail before the work, not after
    loaded = load_project(project)
    result = compliance(loaded, rules=rules, overrides=overrides,
                        sliver_area_m2=sliver_area_m2, sliver_width_m=sliver_width_m,
                        sliver_length_m=sliver_length_m)
    print_compliance(result, everything=everything)
    if out:
        write_compliance(result, out, overwrite=overwrite)
        click.echo(f"wrote {out}")
    if map_out:
        from ..render import make_map, save_map

        save_map(make_map(loaded, compliance=result), map_out, overwrite=overwrite)
        click.echo(f"wrote {map_out}")
    if jzd_out:
        from ..io import write_jzd

        feats = loaded.features()
        polygons = feats[feats.geom_type.isin(["Polygon", "MultiPolygon"])]
        write_jzd(polygons, jzd_out, overwrite=overwrite)
        click.echo(f"wrote {jzd_out} ({len(polygons)} 地块)")
