"""``county-gis store``: the shared PostGIS store (``store push PROJECT URL --schema S``)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..report import safe_text
from ._options import handle_errors

__all__ = ["store"]


@click.group("store")
def store() -> None:
    """The shared PostGIS store of the bureaus."""


@store.command("push")
@click.argument("project_path", metavar="PROJECT", type=click.Path(exists=True))
@click.argument("url")
@click.option("--schema", required=True, help="Schema of the tables, e.g. fumeng_2023.")
@click.option("--layer", "layers", multiple=True,
              help="Push only this layer (repeatable); default every layer.")
@handle_errors
def push_command(project_path: str, url: str, schema: str, layers: tuple[str, ...]) -> None:
    """Write the layers of PROJECT into the PostGIS database at URL, in one transaction.

    One table per layer: geometry(Multi..., 4490) with a GiST index, feature_id
    (file:layer#fid) as the primary key, lineage columns; an upsert that leaves unchanged
    rows alone (pushing the same data again changes 0 rows).
    """
    from ..project import load_project
    from ..store import push

    result = push(load_project(project_path), url, schema=schema, layers=layers or None)
    table = Table(title=escape(f"{result.url} schema {safe_text(result.schema)}"))
    for column in ("layer", "table", "type", "inserted", "updated", "unchanged", "absent"):
        table.add_column(column, justify="right" if column in ("inserted", "updated",
                                                                "unchanged", "absent") else "left")
    for t in result.tables:
        table.add_row(escape(safe_text(t.layer)), escape(safe_text(t.table)), t.geometry_type,
                      *(f"{n:,}" for n in (t.inserted, t.updated, t.unchanged, t.absent)))
    Console(width=120).print(table)
    click.echo(f"{result.changed:,} rows changed (one transaction, committed)")
