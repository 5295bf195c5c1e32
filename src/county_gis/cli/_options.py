"""Options and error handling shared by the CLI commands (like ``rasterio.rio.options``)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import CountyGisError, CountyGisWarning

__all__ = ["handle_errors", "out_option", "overwrite_option"]

F = TypeVar("F", bound=Callable[..., Any])

overwrite_option = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace the output file if it exists."
)


def out_option(help_text: str) -> Callable[[F], F]:
    """``--out PATH``: where to write; written atomically, never overwritten by default."""
    return click.option(
        "--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
        help=help_text,
    )


def handle_errors(func: F) -> F:
    """Turn county_gis errors into one clear line on stderr and a non-zero exit.

    Warnings of county_gis are echoed to stderr as ``warning: ...`` lines.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CountyGisWarning)
            try:
                result = func(*args, **kwargs)
            except CountyGisError as exc:
                raise click.ClickException(str(exc)) from exc
            finally:
                for item in caught:
                    if issubclass(item.category, CountyGisWarning):
                        click.echo(f"warning: {item.message}", err=True)
                    else:
                        warnings.showwarning(
                            item.message, item.category, item.filename, item.lineno
                        )
        return result

    return wrapper  # type: ignore[return-value]
