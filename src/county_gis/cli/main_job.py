"""The main job (``bash dev.sh main``): progress table and overview map of the bundled project.

Run as ``python -m county_gis.cli.main_job [options of county-gis overview]``. It is
``county-gis overview --out-dir <repo>/maps --overwrite`` on the bundled county project in
``layers/``: it prints the progress against every target of the 2023 work report (with
the overlaps, stated-vs-measured gaps and unlinked features the checks found), writes
``maps/overview.html`` (self-contained: it opens offline) and prints its path. It
regenerates that one file each run (``--overwrite`` is part of the command); every other
output of county_gis refuses to overwrite without the flag.
"""

from __future__ import annotations

import sys

import click

from . import main


def run(argv: list[str] | None = None) -> int:
    """Run the main job; returns the process exit code."""
    from pathlib import Path

    from .._paths import bundled_layers_dir, packaged_layers_dir

    layers = bundled_layers_dir()
    # a checkout writes <repo>/maps; an installed wheel never writes into its own package
    maps = Path("maps") if layers == packaged_layers_dir() else layers.parent / "maps"
    args = ["overview", str(layers), "--out-dir", str(maps), "--overwrite"]
    try:
        main.main(args=args + list(argv or []), prog_name="county-gis", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
