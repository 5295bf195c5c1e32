"""``county-gis map``: the interactive map of a project, as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from .._portable import safe_file_name
from ._choices import BASEMAPS, LANGUAGES
from ._console import terminal_text
from ._options import (
    check_project,
    handle_errors,
    open_project,
    out_option,
    overwrite_option,
    project_argument,
)

__all__ = ["map_command"]


@click.command("map")
@project_argument
@out_option("HTML file to write [default: maps/<project name>.html].")
@click.option("--basemap", default="none", show_default=True, type=click.Choice(BASEMAPS),
              help="Background: none works offline; tianditu_* need a key; amap shifts the "
                   "overlays to GCJ-02.")
@click.option("--tianditu-key", envvar="TIANDITU_KEY", default=None,
              help="天地图 key (or the TIANDITU_KEY environment variable).")
@click.option("--local-tiles", default=None,
              help="Tile folder relative to the HTML file, for --basemap local.")
@click.option("--lang", "language", default="zh", show_default=True,
              type=click.Choice(LANGUAGES), help="地图语言 / Language of the map.")
@click.option("--raster", "rasters", multiple=True, metavar="NAME|PATH",
              help="Add a raster overlay (a project raster such as ndvi_after, or a GeoTIFF); "
                   "repeat for more.")
@click.option("--online", is_flag=True, default=False,
              help="Link Leaflet and plugins from a CDN instead of inlining them.")
@overwrite_option
@handle_errors
def map_command(project: str | None, out: str | None, basemap: str, tianditu_key: str | None,
                local_tiles: str | None, language: str, rasters: tuple[str, ...], online: bool,
                overwrite: bool) -> None:
    """画出项目的交互地图 (离线可用的 HTML)。

    Draw PROJECT as one self-contained HTML map: a project.toml or its folder, a folder of
    layer files without project.toml or one layer file (read as `county-gis init` guesses
    them); default the bundled county project.
    """
    from .._atomic import check_overwrite
    from ..analysis import progress_details
    from ..render import make_map, save_map

    check_project(project)  # the project first, then the output path, then the work
    if out:
        check_overwrite(out, overwrite)
    loaded = open_project(project)
    details = progress_details(loaded) if loaded.targets else None
    m = make_map(loaded, progress=details, basemap=basemap, tianditu_key=tianditu_key,
                 local_tiles=local_tiles, language=language, rasters=list(rasters))
    target = Path(out) if out else Path("maps") / f"{safe_file_name(str(loaded.name))}.html"
    saved = save_map(m, target, offline=not online, overwrite=overwrite)
    click.echo(f"map: {terminal_text(saved)}")
