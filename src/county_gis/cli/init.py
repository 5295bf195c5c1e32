"""``county-gis init FOLDER``: scan a folder of layer files and write a commented project.toml."""

from __future__ import annotations

import click

from ._options import console_width, handle_errors, overwrite_option

__all__ = ["init_command"]


@click.command("init")
@click.argument("folder", type=click.Path())
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="写到哪里 [默认 FOLDER/project.toml] / Where to write "
                   "[default: FOLDER/project.toml].")
@click.option("--name", default=None, help="项目名称 [默认文件夹名] / The project's name "
                                            "[default: the folder's name].")
@click.option("--print", "print_only", is_flag=True, default=False,
              help="只打印, 不写文件 / Print the project.toml instead of writing it.")
@overwrite_option
@handle_errors
def init_command(folder: str, out: str | None, name: str | None, print_only: bool,
                 overwrite: bool) -> None:
    """扫描文件夹, 推断每个图层的类型和字段, 写出带注释的 project.toml 供核对。

    Scan FOLDER (recursively, archives too), read every layer, guess its kind, field mapping
    and status mapping, and write a commented project.toml for review. Never overwrites
    without --overwrite. Then run `county-gis progress FOLDER`.
    """
    from rich.console import Console
    from rich.table import Table

    from ..project_init import init_project
    from ._console import plain as escape

    result = init_project(folder, out=out, overwrite=overwrite, name=name,
                          write=not print_only)
    if print_only:
        click.echo(result.text)
        return
    table = Table(title=f"{folder} — 找到的图层 layers found", show_lines=False)
    for header in ("文件 file", "用途 role", "类型 kind", "要素", "编码", "CRS", "待定 to decide"):
        table.add_column(header, overflow="fold")
    for f in result.layers:
        table.add_row(escape(f.file + (f":{f.layer}" if f.layer else "")), f.role,
                      f.kind or "—", str(f.features) if f.features else "—", f.encoding or "—",
                      escape((f.crs or "—").split(" (")[0]), str(len(f.undecided)) or "0")
    console = Console(width=console_width(), highlight=False)
    console.print(table)
    for f in result.layers:
        if f.role in ("unclassified", "unread"):
            console.print(escape(f"未使用 not used: {f.file}: {f.reason.splitlines()[0]}"))
    for item in result.undecided:
        console.print(escape(f"待定 to decide: {item}"))
    click.echo(f"wrote {result.path} — 请核对注释后运行 / review it, then run: "
               f"county-gis progress {folder}")
