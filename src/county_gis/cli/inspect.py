"""``county-gis inspect``: the layers of a source, their CRS and encoding decisions, problems."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from ._console import make_console, plain, terminal_text
from ._options import console_width, handle_errors

if TYPE_CHECKING:  # imported when the command runs, so `--help` answers at once
    from rich.table import Table

__all__ = ["inspect"]

_STYLE = {"assumption": "yellow", "repair": "cyan", "problem": "red", "info": "dim",
          "warning": "yellow"}


def _place(note: dict) -> str:
    parts = []
    if note.get("fid") is not None:
        parts.append(plain(f"#{note['fid']}"))
    if note.get("field"):
        parts.append(plain(f"({note['field']})"))
    return " ".join(parts) or "layer"


def render(summaries: list[dict], title: str) -> list[Table]:
    from rich.table import Table

    """Rich tables: one overview row per layer, then one table of notes per layer."""
    overview = Table(title=title)
    for header in ("图层 layer", "几何 geometry", "要素 features", "坐标系 CRS", "编码 encoding",
                   "问题 problems"):
        overview.add_column(header, overflow="fold")
    details = []
    for s in summaries:
        if s.get("skipped"):
            overview.add_row(plain(s["layer"]), "—", "—", f"[dim]{plain(s['skipped'])}[/dim]",
                             "—", "—")
            continue
        if s["error"]:
            overview.add_row(plain(s["layer"]), plain(s["declared_geometry_type"]), "—",
                             "[red]not read (see below)[/red]", "—", "[red]error[/red]")
            table = Table(title=f"{plain(s['layer'])}: error", title_justify="left")
            table.add_column("message", overflow="fold")
            table.add_row(f"[red]{plain(s['error'])}[/red]")
            details.append(table)
            continue
        counts: dict[str, int] = {}
        for note in s["notes"]:
            counts[note["severity"]] = counts.get(note["severity"], 0) + 1
        overview.add_row(
            plain(s["layer"]), plain(", ".join(s["geometry_types"])) or "—",
            str(s["feature_count"]),
            f"{plain(s['crs_decision'])}\n[dim]{plain(s['crs_evidence'])}[/dim]",
            f"{plain(s['encoding'])}\n[dim]{plain(s['encoding_evidence'])}[/dim]",
            ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none",
        )
        if s["notes"] or s["warnings"]:
            table = Table(title=f"{plain(s['layer'])}: notes", title_justify="left")
            for header in ("where", "severity", "code", "message"):
                table.add_column(header, overflow="fold")
            for note in s["notes"]:
                style = _STYLE.get(note["severity"], "")
                table.add_row(_place(note), f"[{style}]{note['severity']}[/{style}]",
                              plain(note["code"]), plain(note["message"]))
            for text in s["warnings"]:
                table.add_row("layer", "[yellow]warning[/yellow]", "warning", plain(text))
            details.append(table)
    return [overview, *details]


@click.command("inspect")
@click.argument("path", type=click.Path())  # a .gdb is a folder; a missing file: one line
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--engine", type=click.Choice(["pyogrio", "fiona"]), default="pyogrio",
              show_default=True, help="Read engine.")
@click.option("--encoding", default=None, help="Declare the text encoding (else detected).")
@click.option("--crs", default=None, help="Declare the CRS, e.g. EPSG:4549 (else the file's "
              "or inferred).")
@click.option("--source-crs", type=click.Choice(["gcj02", "bd09"]), default=None,
              help="Coordinates picked on Amap (gcj02) or Baidu (bd09).")
@click.option("--strict", is_flag=True, help="Treat every assumption as an error.")
@click.option("--project", "project", type=click.Path(exists=True), default=None,
              help="Check the features against this project's boundary (a project.toml or its "
                   "folder) [default: the project.toml beside PATH, if any].")
@handle_errors
def inspect(path: str, as_json: bool, engine: str, encoding: str | None, crs: str | None,
            source_crs: str | None, strict: bool, project: str | None) -> None:
    """查看文件中每个图层如何读取 (编码、坐标系及依据) 和发现的问题。

    List the layers of PATH with geometry type, feature count, CRS and encoding decisions
    (with their evidence) and every problem found, including the features outside the project
    boundary and the source fields left unmapped. Exits 1 when a layer could not be read."""
    from pathlib import Path

    from ..io import inspect_source

    boundary = None
    beside = Path(path).resolve().parent / "project.toml"
    if project is None and beside.is_file():
        project = str(beside)
    if project is not None:
        from ..project import load_project

        boundary = load_project(project).boundary_geometry()
    summaries = inspect_source(path, engine=engine, encoding=encoding, crs=crs,
                               source_crs=source_crs, strict=strict, boundary=boundary)
    if as_json:
        click.echo(json.dumps({"source": path, "layers": summaries}, ensure_ascii=False,
                              indent=2, default=str))
    else:
        console = make_console(width=console_width())
        for table in render(summaries, plain(click.format_filename(path))):
            console.print(table)
    failed = [s["layer"] for s in summaries if s["error"]]
    if failed:  # everything is listed first; then the exit status says it was not all read
        click.echo(f"{len(failed)} of {len(summaries)} layer(s) could not be read: "
                   f"{terminal_text(', '.join(failed))}", err=True)
        raise SystemExit(1)
