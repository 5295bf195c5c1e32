"""PostGIS as an input source: registered (``postgresql://`` URLs), not available yet.

The registry line exists so that a ``postgresql://`` URL gets a clear answer instead of
"unknown format"; reading a table will come as ``geopandas.read_postgis`` under this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from ..errors import LayerReadError

if TYPE_CHECKING:
    from ._sources import ReadRequest

__all__ = ["postgis_layers", "read_postgis"]

_NOT_YET = ("PostGIS sources are not available yet; export the table to a GeoPackage "
            "(ogr2ogr -f GPKG out.gpkg PG:\"...\" <table>) and read that")


def _redacted(url: str) -> str:
    """The URL without its password (``user:secret@`` -> ``user@``)."""
    head, sep, rest = url.partition("://")
    auth, at, host = rest.rpartition("@")
    return f"{head}{sep}{auth.split(':', 1)[0]}{at}{host}" if at else url


def postgis_layers(url: str) -> NoReturn:
    """Refused: PostGIS is not available yet.

    Raises
    ------
    LayerReadError
        Always.
    """
    raise LayerReadError(f"{_redacted(url)}: {_NOT_YET}")


def read_postgis(url: str, request: ReadRequest) -> NoReturn:
    """Refused: PostGIS is not available yet.

    Raises
    ------
    LayerReadError
        Always.
    """
    raise LayerReadError(f"{_redacted(request.path)}: {_NOT_YET}")
