"""``county-gis print``: the printed map (one page) or the 一镇一图 atlas, as PDF or PNG."""

from __future__ import annotations

from typing import Any

import click

from ._options import handle_errors, overwrite_option

__all__ = ["print_command"]


@click.command("print")
@click.argument("project", required=False, type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The .pdf (vector) or .png (--dpi) to write; the atlas is a .pdf.")
@click.option("--atlas", is_flag=True, default=False,
              help="一镇一图: the county page and one page per township, each with its "
                   "progress table.")
@click.option("--paper", type=click.Choice(["a4", "a3"]), default="a4", show_default=True)
@click.option("--orientation", type=click.Choice(["landscape", "portrait"]),
              default="landscape", show_default=True)
@click.option("--title", default=None, help="图名 [default: <project>项目分布图].")
@click.option("--public", is_flag=True, default=False,
              help="A map for the public (needs --review-number); default 内部资料.")
@click.option("--review-number", default=None, help="审图号, e.g. 'GS(2026)1234号'.")
@click.option("--unit", default=None, help="制图单位.")
@click.option("--source", default=None, help="数据来源.")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
              help="制图日期 [default: today].")
@click.option("--dpi", type=click.IntRange(72, 1200), default=300, show_default=True,
              help="Resolution of a PNG.")
@click.option("--font", default=None, type=click.Path(exists=True, dir_okay=False),
              help="A CJK font file instead of the installed WenQuanYi / Noto CJK.")
@click.option("--no-table", is_flag=True, default=False,
              help="Leave the county progress table off the single page.")
@click.option("--no-compliance", is_flag=True, default=False,
              help="Leave the 三区三线 zones and conflicts off (drawn by default when the "
                   "project has [zones.*]).")
@overwrite_option
@handle_errors
def print_command(project: str | None, out: str, atlas: bool, paper: str, orientation: str,
                  title: str | None, public: bool, review_number: str | None,
                  unit: str | None, source: str | None, date: str | None, dpi: int,
                  font: str | None, no_table: bool, no_compliance: bool,
                  overwrite: bool) -> None:
    """Print PROJECT (a project folder or project.toml; default the bundled county project) as
    a map page with 图名, 指北针, 比例尺, 图例 and the 坐标系 / 制图单位 / 制图日期 / 数据来源
    block; with the project's 三区三线 zones and the conflicts when it has [zones.*]."""
    from .._atomic import check_overwrite
    from ..analysis import compliance, progress_details
    from ..project import load_project
    from ..render import print_atlas, print_map

    check_overwrite(out, overwrite)  # fail before the work, not after
    loaded = load_project(project)
    options: dict[str, Any] = {
        "title": title, "paper": paper, "orientation": orientation, "public": public,
        "review_number": review_number, "unit": unit, "source": source, "date": date,
        "font": font, "overwrite": overwrite,
        "compliance": None if no_compliance or not loaded.sections.get("zones")
        else compliance(loaded)}
    if atlas:
        printed = print_atlas(loaded, out, progress=progress_details(loaded, by="township"),
                              **options)
    else:
        details = None if no_table or not loaded.targets else progress_details(loaded)
        printed = print_map(loaded, out, progress=details, dpi=dpi, **options)
    click.echo(f"printed: {printed.path} ({printed.pages} page{'s' if printed.pages > 1 else ''}"
               f", 1:{printed.scale:,}, {printed.crs_name})")
