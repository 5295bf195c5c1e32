"""``county-gis map``: the interactive map of a project, as one self-contained HTML file."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..render import Basemap, Language, make_map, save_map
from ._console import terminal_text
from ._options import handle_errors, out_option, overwrite_option

__all__ = ["map_command"]


@click.command("map")
@click.argument("project", required=False, type=click.Path(exists=True))
@out_option("HTML file to write [default: maps/<project name>.html].")
@click.option("--basemap", default=Basemap.NONE.value, show_default=True,
              type=click.Choice([b.value for b in Basemap]),
              help="Background: none works offline; tianditu_* need a key; amap shifts the "
                   "overlays to GCJ-02.")
@click.option("--tianditu-key", envvar="TIANDITU_KEY", default=None,
              help="天地图 key (or the TIANDITU_KEY environment variable).")
@click.option("--local-tiles", default=None,
              help="Tile folder relative to the HTML file, for --basemap local.")
@click.option("--lang", "language", default=Language.ZH.value, show_default=True,
              type=click.Choice([lang.value for lang in Language]), help="Language of the map.")
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
    """Draw PROJECT (a project folder or project.toml; default the bundled county project)."""
    from ..analysis import progress_details
    from ..project import load_project

    loaded = load_project(project)
    details = progress_details(loaded) if loaded.targets else None
    m = make_map(loaded, progress=details, basemap=basemap, tianditu_key=tianditu_key,
                 local_tiles=local_tiles, language=language, rasters=list(rasters))
    # a file name from the project name: no separators, controls or NUL, at most 80 characters
    safe_name = re.sub(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+', "_", str(loaded.name))[:80] or "map"
    while len(safe_name.encode("utf-8")) > 150:  # 3 bytes per Chinese character
        safe_name = safe_name[:-1]
    target = Path(out) if out else Path("maps") / f"{safe_name}.html"
    saved = save_map(m, target, offline=not online, overwrite=overwrite)
    click.echo(f"map: {terminal_text(saved)}")
