"""``county-gis overview``: the main job — the progress table and the overview map of a project.

``bash dev.sh main`` runs it on the bundled county project with ``--overwrite`` (it
regenerates ``maps/overview.html``).
"""

from __future__ import annotations

from pathlib import Path

import click

from ._choices import BASEMAPS
from ._options import handle_errors, open_project, overwrite_option, project_argument

__all__ = ["overview"]


@click.command("overview")
@project_argument
@click.option("--out-dir", type=click.Path(file_okay=False), default="maps", show_default=True,
              help="Folder of the overview map (overview.html).")
@click.option("--basemap", default="none", show_default=True, type=click.Choice(BASEMAPS),
              help="Background (none works offline).")
@click.option("--rasters/--no-rasters", default=True, show_default=True,
              help="Add the project's rasters to the map (switched off until ticked).")
@click.option("--greening/--no-greening", default=None,
              help="NDVI check of the completed regreening and afforestation in the table and "
                   "the progress panel [default: on when the project has ndvi_before and "
                   "ndvi_after rasters].")
@overwrite_option
@handle_errors
def overview(project: str | None, out_dir: str, basemap: str, rasters: bool,
             greening: bool | None, overwrite: bool) -> None:
    """打印进度表并生成总览地图。

    Print the progress of PROJECT against every target and render its overview map.

    PROJECT is a project.toml or its folder (default: the bundled 阜新蒙古族自治县 project).
    The map shows every kind styled by status, the legend and the progress panel, and
    opens offline.
    """
    from .._atomic import check_overwrite
    from ..measure import geodesic_area
    from ..render import render_overview
    from ._options import check_project
    from .progress import print_progress

    target = Path(out_dir) / "overview.html"
    check_project(project)  # the project first, then the output path, then the work
    check_overwrite(target, overwrite)
    loaded = open_project(project)
    area = float(geodesic_area(loaded.boundary, unit="平方公里").sum())
    click.echo(f"县域面积 {area:,.1f} 平方公里 (geodesic, CGCS2000)")
    if greening is None:
        greening = {"ndvi_before", "ndvi_after"} <= set(loaded.rasters)
    details = print_progress(loaded, greening=greening)
    from ._history import print_lamps, project_trend

    trend = project_trend(loaded)  # lamps and sparklines when the project has a history
    if trend is not None:
        print_lamps(trend)
    saved = render_overview(loaded, out_dir, overwrite=overwrite, basemap=basemap,
                            progress=details, rasters=None if rasters else [], trend=trend)
    click.echo(f"map: {saved}")
