"""A raster as a coloured, downsampled PNG for a map image overlay (no tile server needed).

:func:`raster_to_png_overlay` warps a band to Web Mercator — the grid Leaflet stretches an
``ImageOverlay`` on, so the image lines up at every latitude (display only; nothing is
measured in Web Mercator) — downsamples it to at most ``max_pixels`` pixels (default
512 × 512 = 262,144, about 50–250 KB of PNG), colours it with a :class:`Colormap` and
returns the PNG bytes, the Leaflet bounds and the colour stops for a legend colour bar.
Nodata is transparent. The PNG is written with ``zlib`` (no imaging library needed) and is
deterministic, so the HTML embedding it as a ``data:`` URI is too.

Examples
--------
>>> import numpy as np, rasterio, tempfile, os
>>> from rasterio.transform import Affine
>>> path = os.path.join(tempfile.mkdtemp(), "ndvi.tif")
>>> with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=1,
...                    dtype="float32", crs="EPSG:4490", nodata=float("nan"),
...                    transform=Affine(0.01, 0, 121.5, 0, -0.01, 42.3)) as dst:
...     dst.write(np.linspace(-0.1, 0.8, 1200, dtype="float32").reshape(30, 40), 1)
>>> png, bounds, stops = raster_to_png_overlay(path, colormap="ndvi")
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> [[round(v, 3) for v in corner] for corner in bounds]
[[42.0, 121.5], [42.3, 121.9]]
>>> stops[0], stops[-1]
((-0.2, '#a50026'), (0.9, '#00441b'))
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from typing import Any

import numpy as np
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.transform import Affine
from rasterio.warp import calculate_default_transform, reproject, transform_bounds
from rasterio.windows import Window

from .._choice import Choice
from ..errors import DataError, Place
from ..raster.dataset import (
    RasterLike,
    check_band,
    open_raster,
    quiet_affine,
    raster_crs,
    raster_name,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_DISPLAY_READ_PIXELS",
    "Colormap",
    "png_data_uri",
    "raster_to_png_overlay",
]

#: Largest overlay image, in pixels (512 × 512).
DEFAULT_MAX_PIXELS = 512 * 512

_RAMPS: dict[str, tuple[tuple[float, str], ...]] = {
    # value, colour: NDVI from bare (red-brown) over sparse grass (yellow) to forest (green)
    "ndvi": ((-0.2, "#a50026"), (0.0, "#d73027"), (0.1, "#f46d43"), (0.2, "#fee08b"),
             (0.3, "#d9ef8b"), (0.4, "#a6d96a"), (0.5, "#66bd63"), (0.6, "#1a9850"),
             (0.9, "#00441b")),
    # fractions 0..1 of the data range
    "terrain": ((0.0, "#1a9850"), (0.25, "#a6d96a"), (0.5, "#fee08b"), (0.75, "#b8860b"),
                (1.0, "#8b4513")),
    "change": ((0.0, "#b2182b"), (0.25, "#ef8a62"), (0.5, "#f7f7f7"), (0.75, "#7fbf7b"),
               (1.0, "#1b7837")),
    "greys": ((0.0, "#000000"), (1.0, "#ffffff")),
}


class Colormap(Choice):
    """Colour ramps for overlays.

    ``NDVI`` has fixed values (−0.2 … 0.9); the others stretch over ``vmin`` … ``vmax``
    (default: the 2nd and 98th percentiles of the data; ``CHANGE`` is symmetric about 0).

    Examples
    --------
    >>> Colormap.parse("viridis")
    Traceback (most recent call last):
    ...
    ValueError: colormap was 'viridis' but is expected to be one of ndvi, terrain, ...
    """

    NDVI = "ndvi"
    TERRAIN = "terrain"
    CHANGE = "change"
    GREYS = "greys"


#: Largest raster read (decimated) for display without overviews: 100,000,000 pixels. A larger
#: one needs overviews (``gdaladdo``), read instead of the full resolution.
MAX_DISPLAY_READ_PIXELS = 100_000_000


def _display_read(src: Any, band: int, out_pixels: int) -> np.ma.MaskedArray:
    """The band decimated to about twice the output resolution, through overviews if any.

    Never reads the full resolution into memory: GDAL averages the band down while it reads
    (block by block), from the overview nearest the wanted size when the file has some. A
    raster larger than :data:`MAX_DISPLAY_READ_PIXELS` without overviews is refused with the
    fix (reading it to draw 512 × 512 pixels would take minutes).

    Raises
    ------
    DataError
        For a large raster without overviews.
    """
    width, height = src.width, src.height
    step = max(1, math.ceil(math.sqrt(width * height / (4 * out_pixels))))
    read_w, read_h = math.ceil(width / step), math.ceil(height / step)
    if width * height > MAX_DISPLAY_READ_PIXELS:
        levels = src.overviews(band)
        usable = [f for f in levels if (width / f) * (height / f) <= MAX_DISPLAY_READ_PIXELS]
        if not usable:
            raise DataError(
                f"{width:,} × {height:,} pixels and no overviews: too large to draw (more than "
                f"{MAX_DISPLAY_READ_PIXELS:,} pixels); build overviews once with "
                "gdaladdo -r average FILE (then the map reads them), or clip the raster",
                Place(raster_name(src)),
            )
        # GDAL reads the overview nearest the wanted size: one read
        return src.read(band, out_shape=(read_h, read_w), resampling=Resampling.average,
                        masked=True)
    # strips of at most _STRIP_PIXELS source pixels, each averaged down while it is read
    rows = max(1, _STRIP_PIXELS // (width * step))
    parts = []
    for top in range(0, read_h, rows):
        out_rows = min(rows, read_h - top)
        window = Window(0, top * step, width, min(out_rows * step, height - top * step))
        parts.append(src.read(band, window=window, out_shape=(out_rows, read_w),
                              resampling=Resampling.average, masked=True))
    return np.ma.concatenate(parts, axis=0)


#: Source pixels read at once for display (4 M pixels, 16 MB of float32).
_STRIP_PIXELS = 4_000_000


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _png(rgba: np.ndarray) -> bytes:
    """Encode an ``(h, w, 4)`` uint8 array as a PNG (filter 0, zlib level 9)."""
    height, width = rgba.shape[:2]
    raw = np.zeros((height, width * 4 + 1), dtype=np.uint8)
    raw[:, 1:] = rgba.reshape(height, width * 4)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) + chunk(b"IEND", b""))


def png_data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for an ``ImageOverlay`` embedded in a self-contained page.

    >>> png_data_uri(b"abc")
    'data:image/png;base64,YWJj'
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _stops(cmap: Colormap, values: np.ndarray, vmin: float | None,
           vmax: float | None) -> list[tuple[float, str]]:
    ramp = _RAMPS[cmap.value]
    if cmap is Colormap.NDVI and vmin is None and vmax is None:
        return [(float(v), c) for v, c in ramp]
    finite = values[np.isfinite(values)]
    if cmap is Colormap.CHANGE:
        edge = float(np.percentile(np.abs(finite), 98)) if finite.size else 1.0
        lo, hi = -edge, edge
    else:
        lo = float(np.percentile(finite, 2)) if finite.size else 0.0
        hi = float(np.percentile(finite, 98)) if finite.size else 1.0
    lo = lo if vmin is None else float(vmin)
    hi = hi if vmax is None else float(vmax)
    if not hi > lo:
        hi = lo + 1.0
    first, last = ramp[0][0], ramp[-1][0]
    return [(lo + (v - first) / (last - first) * (hi - lo), c) for v, c in ramp]


def raster_to_png_overlay(
    raster: RasterLike,
    *,
    band: int = 1,
    colormap: Colormap | str = Colormap.NDVI,
    vmin: float | None = None,
    vmax: float | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[bytes, list[list[float]], list[tuple[float, str]]]:
    """Colour one band, downsampled, as a PNG for ``folium.raster_layers.ImageOverlay``.

    Parameters
    ----------
    raster : path or rasterio dataset
        Any CRS; warped to Web Mercator for display.
    band : int, default 1
    colormap : Colormap or str, default ndvi
    vmin, vmax : float, optional
        Value range of the ramp (see :class:`Colormap`).
    max_pixels : int, default 262,144
        Upper bound of width × height of the image; the raster is averaged down to fit.

    Returns
    -------
    png : bytes
        RGBA PNG; nodata and NaN transparent.
    bounds : list
        ``[[south, west], [north, east]]`` in degrees (WGS 84 / CGCS2000), as Leaflet wants.
    stops : list of (float, str)
        Value and ``#rrggbb`` colour of each ramp stop, for a legend colour bar
        (e.g. ``branca.colormap.LinearColormap(colors, index=values)``).

    Raises
    ------
    ValueError
        If ``max_pixels`` is not a positive integer or ``colormap`` is unknown.
    CRSError, DataError, LayerReadError
    """
    cmap = Colormap.parse(colormap)
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1:
        raise ValueError(f"max_pixels was {max_pixels!r} but is expected to be a positive "
                         f"integer, e.g. {DEFAULT_MAX_PIXELS}")
    with open_raster(raster) as src:
        check_band(src, band)
        source = raster_crs(src)
        with quiet_affine():
            _, width, height = calculate_default_transform(
                source.to_wkt(), "EPSG:3857", src.width, src.height, *src.bounds)
            left, bottom, right, top = transform_bounds(source.to_wkt(), "EPSG:3857",
                                                        *src.bounds, densify_pts=21)
        # the native size, shrunk to fit max_pixels; the grid spans the bounds exactly
        factor = max(1.0, math.sqrt(width * height / max_pixels))
        out_w = max(1, int(width / factor))
        out_h = max(1, int(height / factor))
        while out_w * out_h > max_pixels:  # rounding can leave it one row too many
            out_h -= 1
        out_transform = Affine((right - left) / out_w, 0, left, 0, (bottom - top) / out_h, top)
        data = _display_read(src, band, out_w * out_h)
        read_transform = src.transform @ Affine.scale(src.width / data.shape[1],
                                                      src.height / data.shape[0])
        values = np.ma.filled(data.astype("float64"), np.nan)
        warped = np.full((out_h, out_w), np.nan)
        with quiet_affine():
            reproject(values, warped, src_transform=read_transform, src_crs=src.crs,
                      dst_transform=out_transform, dst_crs="EPSG:3857",
                      resampling=Resampling.average, src_nodata=np.nan, dst_nodata=np.nan)
    values = warped
    stops = _stops(cmap, values, vmin, vmax)
    positions = np.array([v for v, _ in stops])
    colours = np.array([_rgb(c) for _, c in stops], dtype=float)
    clipped = np.clip(np.nan_to_num(values, nan=positions[0]), positions[0], positions[-1])
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    for channel in range(3):
        rgba[..., channel] = np.round(np.interp(clipped, positions, colours[:, channel]))
    rgba[..., 3] = np.where(np.isfinite(values), 255, 0)
    to_lonlat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(left, bottom)
    east, north = to_lonlat.transform(right, top)
    return _png(rgba), [[south, west], [north, east]], stops
