"""Options and error handling shared by the CLI commands (like ``rasterio.rio.options``).

:func:`handle_errors` is the one place where an exception becomes the one-line error a user
reads (Chinese and English, exit code 1); ``--debug`` (or ``-v``) adds the traceback.
"""

from __future__ import annotations

import functools
import os
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from ..errors import (
    ConfigError,
    CountyGisError,
    CountyGisWarning,
    CRSError,
    DataError,
    EncodingError,
    GeometryError,
    LayerReadError,
    OutputExistsError,
)

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["CliError", "console_width", "handle_errors", "open_project", "out_option",
           "overwrite_option", "pick_layer", "project_argument"]

F = TypeVar("F", bound=Callable[..., Any])

overwrite_option = click.option(
    "--overwrite", is_flag=True, default=False,
    help="覆盖已有输出文件 / Replace the output file if it exists."
)

#: what each error is called in Chinese (the first words of the one-line message)
_LABELS: tuple[tuple[type[BaseException], str], ...] = (
    (OutputExistsError, "输出文件已存在"),
    (EncodingError, "文字编码错误"),
    (GeometryError, "几何图形错误"),
    (CRSError, "坐标系错误"),
    (LayerReadError, "图层无法读取"),
    (ConfigError, "项目配置错误"),
    (DataError, "数据错误"),
    (CountyGisError, "错误"),
)


def project_argument(func: F) -> F:
    """``PROJECT``: a project.toml, its folder, a folder of layers or one layer file."""
    return click.argument("project", required=False, type=click.Path())(func)


def out_option(help_text: str) -> Callable[[F], F]:
    """``--out PATH``: where to write; written atomically, never overwritten by default."""
    return click.option(
        "--out", "out", type=click.Path(dir_okay=False), default=None, help=help_text,
    )


class CliError(click.ClickException):
    """A one-line error: ``错误 error: <中文> (<Type>): <message>``; exit code 1."""

    def __init__(self, message: str, *, label: str = "错误", kind: str = "") -> None:
        super().__init__(" ".join(message.split()))
        self.label, self.kind = label, kind

    def format_message(self) -> str:
        what = f" ({self.kind})" if self.kind else ""
        return f"{self.label}{what}: {self.message}"

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误 error: {self.format_message()}", err=True, file=file)


def _debugging() -> bool:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return bool(isinstance(obj, dict) and obj.get("debug"))


def _as_cli_error(exc: BaseException) -> CliError:
    if isinstance(exc, CountyGisError):
        label = next(text for cls, text in _LABELS if isinstance(exc, cls))
        return CliError(str(exc), label=label, kind=type(exc).__name__)
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return CliError(f"{exc.strerror or exc}: {exc.filename} — check the path / 请检查路径",
                        label="文件错误", kind=type(exc).__name__)
    if isinstance(exc, MemoryError):
        return CliError("out of memory; split the layer or use a machine with more memory",
                        label="内存不足", kind="MemoryError")
    return CliError(f"{type(exc).__name__}: {exc} — an unexpected error; rerun with --debug "
                    "for the traceback and report it / 意外错误, 请加 --debug 重试并报告",
                    label="内部错误", kind="internal")


def handle_errors(func: F) -> F:
    """Turn every exception into one clear line on stderr and exit code 1.

    county_gis errors keep their message (which names the place and the fix), prefixed by
    what they are in Chinese; any other exception is an internal error. ``--debug`` (or
    ``-v``) on ``county-gis`` prints the traceback first. Warnings of county_gis are echoed
    to stderr as ``warning: ...`` lines.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CountyGisWarning)
            try:
                result = func(*args, **kwargs)
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except Exception as exc:
                if _debugging():
                    traceback.print_exc()
                raise _as_cli_error(exc) from exc
            finally:
                for item in caught:
                    if issubclass(item.category, CountyGisWarning):
                        click.echo(f"warning: {' '.join(str(item.message).split())}",
                                   err=True)
                    else:
                        warnings.showwarning(
                            item.message, item.category, item.filename, item.lineno
                        )
        return result

    return wrapper  # type: ignore[return-value]


def pick_layer(path: str, layer: str | None) -> str | None:
    """``--layer`` checked against the layers of ``path``: a missing or wrong one lists them."""
    from ..io import list_layers

    given = Path(path)
    if not given.exists() and "://" not in path:
        raise LayerReadError(f"{path} does not exist; check the path / 找不到该文件")
    layers = [n for n, g in list_layers(path).items() if g not in ("None", "")]
    if layer is None:
        if len(layers) > 1:
            raise LayerReadError(
                f"{path} has {len(layers)} layers ({', '.join(map(repr, layers))}); choose one "
                f"with --layer, e.g. --layer {layers[0]} / 文件有多个图层, 请用 --layer 指定")
        return None
    if layer not in layers:
        raise LayerReadError(f"{path}:{layer}: no layer {layer!r}; the layers are "
                             f"{', '.join(map(repr, layers)) or 'none'} (--layer NAME) / "
                             "没有这个图层")
    return layer


def console_width() -> int:
    """The width for tables: ``$COLUMNS`` when set, the terminal's, else 160 (a pipe)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 40:
        return int(columns)
    size = os.get_terminal_size(2).columns if os.isatty(2) else 0
    return size if size >= 40 else 160


def check_project(path: str | None) -> None:
    """Fail early (before the output path is checked) on a project that cannot be opened."""
    if path is None:
        return
    given = Path(path)
    if not given.exists():
        raise ConfigError(f"{given} does not exist; give a project.toml, its folder, a folder "
                          "of layer files or one layer file / 找不到该文件或文件夹")
    from ..project import PROJECT_FILE, read_project_toml

    file = given / PROJECT_FILE if given.is_dir() else given
    if file.suffix.lower() == ".toml" and file.is_file():
        read_project_toml(file)


def open_project(path: str | None) -> Project:
    """The project of ``PROJECT``: a project.toml or its folder is loaded; a layer file or a
    folder without project.toml is read as ``county-gis init`` would guess it, with the advice
    to run init (printed on stderr)."""
    from ..project import PROJECT_FILE, load_project

    check_project(path)
    if path is None:
        return load_project(None)
    given = Path(path)
    is_toml = given.is_file() and given.suffix.lower() == ".toml"
    if is_toml or (given.is_dir() and (given / PROJECT_FILE).is_file()):
        return load_project(given)
    from ..project_init import guess_project

    project, found = guess_project(given)
    kinds = ", ".join(f"{f.file} → {f.kind}" for f in found.layers if f.kind)
    where = given if given.is_dir() else given.parent
    click.echo(f"提示 note: {given} has no project.toml; layers read as `county-gis init` "
               f"guesses them ({kinds}); run `county-gis init {where}` to review and keep "
               "the mapping / 未找到 project.toml, 已按 init 的推断读取", err=True)
    return project
