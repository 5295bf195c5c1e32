"""The main job (``bash dev.sh main``): measure the bundled county project and print the table.

Run as ``python -m county_gis.cli.main_job``; it calls the same library functions as the
``county-gis`` commands.
"""

from __future__ import annotations

import sys

import click

from . import main


def run(argv: list[str] | None = None) -> int:
    """Run the main job; returns the process exit code."""
    from .._paths import bundled_layers_dir

    path = bundled_layers_dir() / "fumeng.gpkg"
    args = ["measure", str(path), "--layer", "county_boundary", "--unit", "平方公里"]
    try:
        main.main(args=args + list(argv or []), prog_name="county-gis", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
