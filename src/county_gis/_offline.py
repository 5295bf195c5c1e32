"""GDAL kept off the network and inside the files the user named, while county_gis reads.

Bureau files arrive by e-mail, USB stick and WeChat; a file must not be the way in. GDAL can
fetch URLs while it reads (``/vsicurl/`` paths inside a VRT, a GeoJSON ``"crs"`` of type
``link``, a raster whose source is a URL). :func:`offline_gdal` sets GDAL configuration
options that make every such fetch fail at once, for the duration of a read, for every GDAL
in the process (pyogrio, fiona and rasterio each ship their own): an HTTP(S) proxy on a port
nobody listens on (the discard port of the loopback), no retries, a one-second time-out,
and ``/vsicurl/`` restricted to an extension no file has. They are set as environment
variables, which every GDAL reads when an option is not set otherwise, and restored when the
last reader leaves. The first line of defence is elsewhere: the format is decided by the
suffix and checked against the content (:mod:`county_gis.io`), so a VRT never reaches GDAL
under another name, and GeoJSON CRS links are refused before GDAL sees them.

:func:`refuse_remote` refuses paths GDAL would read over the network (``/vsicurl/``,
``/vsis3/``, ``http://`` ...) where a local file is expected.

Examples
--------
>>> import os
>>> with offline_gdal():
...     os.environ["GDAL_HTTP_MAX_RETRY"]
'0'
>>> refuse_remote("/vsicurl/http://example.com/a.tif", what="raster")
Traceback (most recent call last):
...
county_gis.errors.LayerReadError: raster '/vsicurl/http://example.com/a.tif' is a network \
path; county_gis reads local files only: download it and pass the file
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator

from .errors import LayerReadError

__all__ = ["OFFLINE_GDAL_OPTIONS", "offline_gdal", "refuse_remote"]

#: GDAL configuration options set while county_gis reads local files.
OFFLINE_GDAL_OPTIONS: dict[str, str] = {
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".county-gis-offline",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
}

_lock = threading.Lock()
_depth = 0
_saved: dict[str, str | None] = {}

_REMOTE = re.compile(r"^\s*(/vsi(curl|s3|gs|az|adls|oss|swift|webhdfs|http)[a-z_]*/|"
                     r"[a-zA-Z][a-zA-Z0-9+.-]+://)", re.IGNORECASE)


@contextlib.contextmanager
def offline_gdal() -> Iterator[None]:
    """Every GDAL in the process without network access while the block runs (re-entrant).

    See the module docstring. Nested and concurrent blocks share one setting; the previous
    values are restored when the last block ends.
    """
    global _depth
    with _lock:
        if _depth == 0:
            _saved.clear()
            for key, value in OFFLINE_GDAL_OPTIONS.items():
                _saved[key] = os.environ.get(key)
                os.environ[key] = value
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for key, old in _saved.items():
                    if old is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = old


def refuse_remote(path: str | os.PathLike[str], *, what: str) -> None:
    """Refuse a GDAL network path or URL where a local file is expected.

    Raises
    ------
    LayerReadError
        If ``path`` starts with ``/vsicurl/`` (or another network file system) or a URL scheme.
    """
    text = os.fspath(path)
    if isinstance(text, str) and _REMOTE.match(text):
        raise LayerReadError(f"{what} {text!r} is a network path; county_gis reads local files "
                             "only: download it and pass the file")
