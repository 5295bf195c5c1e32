"""``county-gis update --from 10月进度.xlsx``: a bureau's progress sheet into the history."""

from __future__ import annotations

import click
from rich.console import Console

from ._console import plain as escape
from ._options import handle_errors

__all__ = ["update_command"]


@click.command("update")
@click.argument("project", required=False, type=click.Path(exists=True))
@click.option("--from", "sheet", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The bureau's progress sheet (.xlsx or .csv).")
@click.option("--date", "date", required=True,
              help="The date the sheet reports (YYYY-MM-DD), after the last snapshot.")
@click.option("--key", default=None,
              help="The sheet column holding the project id [default: [history] key, 项目编号].")
@click.option("--dry-run", is_flag=True, default=False,
              help="Only report what would change and the problems; write nothing.")
@handle_errors
def update_command(project: str | None, sheet: str, date: str, key: str | None,
                   dry_run: bool) -> None:
    """Apply a progress sheet to the latest state of PROJECT's history: status, dates and
    stated figures only (never geometry), as a new snapshot. Unknown ids, duplicate ids and
    status regressions are listed as problems and not applied; exit code 2 when there are
    problems. Re-applying the same sheet changes nothing."""
    from ..history import apply_update
    from ..project import load_project

    loaded = load_project(project)
    result = apply_update(loaded, sheet, date=date, key=key, write=not dry_run)
    console = Console(width=160) if not Console().is_terminal else Console()
    for row in result.applied.to_dict("records"):
        console.print(escape(f"applied row {row['row']} {row['project_id']} ({row['layer']}): "
                             f"{row['column']} {row['before']} → {row['after']}"))
    for row in result.problems.to_dict("records"):
        console.print(escape(f"problem [{row['problem']} {row['label']}] {row['detail']}"),
                      style="red")
    if result.ignored_columns:
        console.print(escape("ignored columns (not updatable; geometry never changes): "
                             + ", ".join(result.ignored_columns)))
    if dry_run:
        click.echo(f"dry run: {len(result.applied)} value(s) would change, "
                   f"{len(result.problems)} problem(s); nothing written")
    elif result.snapshot is None:
        click.echo(f"nothing changed ({len(result.problems)} problem(s)); no snapshot written")
    else:
        snap = result.snapshot
        click.echo(f"snapshot {snap.id} at {snap.date} in {snap.store}: {len(result.applied)} "
                   f"value(s) changed, {len(result.problems)} problem(s) held back")
    if len(result.problems):
        raise SystemExit(2)
