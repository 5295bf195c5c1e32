"""``county-gis store``: the shared PostGIS store (``store push PROJECT URL --schema S``;
``store push-history`` / ``store pull-history`` for the history of snapshots)."""

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


@store.command("push-history")
@click.argument("project_path", metavar="PROJECT", type=click.Path(exists=True))
@click.argument("url")
@click.option("--schema", required=True, help="Schema of the history tables, e.g. fumeng_2023.")
@click.option("--store", "store_path", type=click.Path(exists=True, dir_okay=False),
              help="The history GeoPackage; default [history] store of PROJECT.")
@handle_errors
def push_history_command(project_path: str, url: str, schema: str,
                         store_path: str | None) -> None:
    """Copy the history of PROJECT (snapshots, versions) into PostGIS, in one transaction.

    Tables history_snapshots, history_versions (valid_from / valid_to), history_geometries
    (GiST) and history_layer_schemas, and the view history_features. Pushing the same
    history again changes 0 rows; after a new snapshot, its rows are added and the versions
    it replaced closed.
    """
    from ..project import load_project
    from ..store import push_history

    result = push_history(load_project(project_path), url, schema=schema, store=store_path)
    table = Table(title=escape(f"{result.url} schema {safe_text(result.schema)} ← "
                               f"{safe_text(result.store)}"))
    for column in ("table", "inserted", "closed", "unchanged"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for t in result.tables:
        table.add_row(escape(safe_text(t.table)),
                      *(f"{n:,}" for n in (t.inserted, t.closed, t.unchanged)))
    Console(width=120).print(table)
    click.echo(f"{result.changed:,} rows changed (one transaction, committed)")


@store.command("pull-history")
@click.argument("url")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--schema", required=True, help="Schema holding the history tables.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@handle_errors
def pull_history_command(url: str, out: str, schema: str, overwrite: bool) -> None:
    """Write the history kept in PostGIS (--schema) into the history GeoPackage OUT.

    Row for row the file push-history read: point [history] store at it and snapshots,
    progress --as-of, changes and the lamps read it as they read the original.
    """
    from ..store import pull_history

    path = pull_history(url, schema=schema, out=out, overwrite=overwrite)
    click.echo(f"wrote {safe_text(str(path))}")
