"""The ``county-gis`` command: a click group whose commands are thin wrappers.

Each command lives in its own module and is imported only when it runs, so
``county-gis --help`` stays fast. Library errors become one line on stderr and exit 1.
"""

from __future__ import annotations

import importlib
import logging

import click

from .. import __version__

__all__ = ["main"]

#: command name -> "module:attribute"; add one line per command module.
_COMMANDS = {
    "inspect": "county_gis.cli.inspect:inspect",
    "measure": "county_gis.cli.measure:measure",
    "overview": "county_gis.cli.overview:overview",
    "zonal": "county_gis.cli.zonal:zonal",
    "greening": "county_gis.cli.greening:greening",
    "map": "county_gis.cli.map:map_command",
    "progress": "county_gis.cli.progress:progress_command",
    "store": "county_gis.cli.store:store",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="county-gis")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """county_gis: load, measure and map the project layers of 阜新蒙古族自治县."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
