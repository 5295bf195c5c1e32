"""Exceptions and warnings raised by county_gis.

A small tree: every error derives from :class:`CountyGisError` *and* from the
builtin that callers already catch (``ValueError``, ``OSError``,
``FileExistsError``), like ``rasterio.errors``.  Errors about data name the
place they come from as ``file:layer#fid (field)`` through :class:`Place`.

Examples
--------
>>> from county_gis.errors import DataError, Place
>>> err = DataError("面积 is not a number: '12,5'", Place("roads.shp", "roads", 3, "面积"))
>>> str(err)
"roads.shp:roads#3 (面积): 面积 is not a number: '12,5'"
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AssetError",
    "CRSError",
    "ConfigError",
    "CountyGisError",
    "CountyGisWarning",
    "DataError",
    "EncodingError",
    "ExternalURLError",
    "GeometryError",
    "LayerReadError",
    "LayerWriteError",
    "MeasureWarning",
    "OutputExistsError",
    "OutputIsInputError",
    "OutputWriteError",
    "Place",
    "ThresholdError",
    "UnitError",
    "unknown_keys",
]


@dataclass(frozen=True)
class Place:
    """Where a value comes from: ``file:layer#fid (field)``.

    Parameters
    ----------
    file : str
        The file name (or path) as the user gave it.
    layer : str, optional
        The layer inside the file.
    fid : int, optional
        The feature id (the row number of the source for formats without ids).
    field : str, optional
        The attribute field, as named in the source.

    Examples
    --------
    >>> str(Place("plots.gpkg", "造林", 12))
    'plots.gpkg:造林#12'
    >>> str(Place("plots.gpkg", field="面积(亩)"))
    'plots.gpkg (面积(亩))'
    """

    file: str
    layer: str | None = None
    fid: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = str(self.file)
        if self.layer is not None:
            text += f":{self.layer}"
        if self.fid is not None:
            text += f"#{self.fid}"
        if self.field is not None:
            text += f" ({self.field})"
        return text


class CountyGisError(Exception):
    """Base class of every error raised by county_gis."""


class CountyGisWarning(UserWarning):
    """Base class of every warning issued by county_gis."""


class MeasureWarning(CountyGisWarning):
    """Some features could not be measured (empty, null or of the wrong type)."""


class UnitError(CountyGisError, ValueError):
    """An unknown or unsuitable unit name."""


class CRSError(CountyGisError, ValueError):
    """A coordinate reference system is missing, unsupported or contradicted by the data."""


class ConfigError(CountyGisError, ValueError):
    """A project or targets file is invalid; the message lists every problem found."""


class ThresholdError(ConfigError):
    """An NDVI change threshold that is not a number in (0, 2).

    Catch this class (not the message text) to tell a bad threshold from other errors; the
    CLI turns it into a usage error of ``--threshold``.
    """


class DataError(CountyGisError, ValueError):
    """A value in a data source is wrong; the message starts with its :class:`Place`.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    place : Place, optional
        Where the value comes from.
    """

    def __init__(self, message: str, place: Place | None = None) -> None:
        self.place = place
        self.message = message
        super().__init__(f"{place}: {message}" if place is not None else message)


class GeometryError(DataError):
    """A geometry is invalid, of the wrong type, or cannot be repaired as asked."""


class EncodingError(DataError):
    """Text in a source cannot be decoded with the declared or detected encoding."""


class LayerReadError(CountyGisError, OSError):
    """A layer cannot be opened or read (missing file, unknown format, bad archive)."""


class LayerWriteError(CountyGisError, OSError):
    """A layer cannot be written safely (the target GeoPackage is open in another program)."""


class OutputExistsError(CountyGisError, FileExistsError):
    """An output file exists and ``overwrite`` was not given."""


class OutputIsInputError(CountyGisError, ValueError):
    """An output path names one of the inputs read in this process; inputs are never modified."""


class OutputWriteError(CountyGisError, OSError):
    """An output cannot be written: read-only folder, full disk, a file name the system refuses."""


class AssetError(CountyGisError, FileNotFoundError):
    """A JavaScript / CSS asset a map needs is not installed (run ``npm ci``)."""


class ExternalURLError(CountyGisError, ValueError):
    """A page meant to be self-contained still refers to an external URL."""


def unknown_keys(keys: Iterable[Any], allowed: Collection[str]) -> str | None:
    """The message for keys of a TOML table that are not ``allowed``; None when all are.

    ``allowed`` is listed in its own order when it is a list or tuple, sorted otherwise.

    Examples
    --------
    >>> unknown_keys({"path": 1, "colour": 2, "size": 3}, {"path", "layer"})
    'unknown key(s) colour, size; allowed: layer, path'
    >>> unknown_keys(["path"], ("path", "layer")) is None
    True
    """
    unknown = sorted(set(keys) - set(allowed))
    if not unknown:
        return None
    listed = allowed if isinstance(allowed, (list, tuple)) else sorted(allowed)
    return f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(listed)}"
