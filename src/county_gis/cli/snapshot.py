"""``county-gis snapshot``: record the state of a project's layers at a date in its history."""

from __future__ import annotations

import click

from ._options import handle_errors

__all__ = ["snapshot_command"]


@click.command("snapshot")
@click.argument("project", required=False, type=click.Path(exists=True))
@click.option("--date", "date", required=True,
              help="The date the state is valid from (YYYY-MM-DD), after the last snapshot.")
@click.option("--label", default=None, help="A label for the snapshot (e.g. 10月进度).")
@handle_errors
def snapshot_command(project: str | None, date: str, label: str | None) -> None:
    """Record the layers of PROJECT (a project.toml or its folder; default: the bundled
    project) at --date in its history store ([history] store, default history.gpkg beside
    project.toml). Append-only: only features that changed are written."""
    from ..history import changes, snapshot
    from ..project import load_project

    loaded = load_project(project)
    snap = snapshot(loaded, date, label=label)
    click.echo(f"snapshot {snap.id} at {snap.date} in {snap.store}: {snap.n_features} features, "
               f"{snap.n_versions} new version(s)")
    if snap.n_versions:
        table = changes(loaded, until=snap.date)
        counts = table["change"].value_counts()
        click.echo("changes since the previous snapshot: " + ", ".join(
            f"{k} {v}" for k, v in counts.items()))
