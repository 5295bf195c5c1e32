"""CSV output for CLI tables: atomic, never overwriting, safe to open in a spreadsheet."""

from __future__ import annotations

import os

import pandas as pd

from .._atomic import atomic_path

__all__ = ["spreadsheet_safe", "write_table"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with ``'``.

    Examples
    --------
    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("团结街"), spreadsheet_safe(-1.5)
    ("'=HYPERLINK(1)", '团结街', -1.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool) -> None:
    """Write ``frame`` as UTF-8 CSV (with BOM, for Excel) atomically."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(spreadsheet_safe)
    with atomic_path(path, overwrite=overwrite) as tmp:
        safe.to_csv(tmp, index_label="fid", encoding="utf-8-sig")
