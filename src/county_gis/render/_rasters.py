"""Rasters on the map: image overlays embedded in the page, with a colour bar in the legend.

A raster reaches the page as one PNG (``data:`` URI, no tile server), warped to Web
Mercator for display and averaged down to at most ``max_pixels`` pixels
(:data:`~county_gis.raster.overlay.DEFAULT_MAX_PIXELS` = 512 × 512 by default: about
50–250 KB per raster), through :func:`county_gis.render.raster_to_png_overlay`. The overlay
is drawn below the project layers, togglable in the layer control, and the legend shows
its colour ramp with the values of its stops. Nothing is measured on the image: it is a
picture of the raster.

Examples
--------
>>> from county_gis.render._rasters import RasterLayer
>>> RasterLayer("ndvi_2023.tif", name="NDVI 2023", opacity=0.6).opacity
0.6
>>> RasterLayer("dem.tif", opacity=2)
Traceback (most recent call last):
...
county_gis.errors.ConfigError: raster opacity was 2 but is expected to be between 0 and 1
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..raster.dataset import RasterLike, open_raster
from ._raster_png import DEFAULT_MAX_PIXELS, Colormap, png_data_uri, raster_to_png_overlay

__all__ = ["RasterLayer", "prepare_rasters"]


@dataclass(frozen=True)
class RasterLayer:
    """A raster to draw on the map.

    Parameters
    ----------
    source : path, rasterio dataset, or str
        The raster file, or the name of one of the project's rasters
        (``[rasters]`` of ``project.toml``, e.g. ``"ndvi_after"``).
    name : str, optional
        Label in the layer control and the legend; default the band's description, else
        the file name.
    colormap : Colormap or str, optional
        Colour ramp; default ``ndvi`` when the name, file name or band description says
        NDVI, else ``terrain`` stretched over the 2nd–98th percentiles of the data.
    band : int, default 1
    vmin, vmax : float, optional
        Value range of the ramp (see :class:`~county_gis.raster.overlay.Colormap`).
    opacity : float, default 0.75
    show : bool, default True
        Drawn when the page opens (otherwise only listed in the layer control).
    """

    source: RasterLike
    name: str | None = None
    colormap: Colormap | str | None = None
    band: int = 1
    vmin: float | None = None
    vmax: float | None = None
    opacity: float = 0.75
    show: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.opacity, bool) or not 0.0 <= float(self.opacity) <= 1.0:
            raise ConfigError(
                f"raster opacity was {self.opacity!r} but is expected to be between 0 and 1"
            )


def _as_layer(item: RasterLayer | RasterLike, project_rasters: Mapping[str, Path]) -> RasterLayer:
    layer = item if isinstance(item, RasterLayer) else RasterLayer(item)
    source = layer.source
    if isinstance(source, str) and source in project_rasters:
        return dataclasses.replace(layer, source=project_rasters[source])
    if isinstance(source, str | os.PathLike) and not Path(source).exists():
        known = ", ".join(sorted(project_rasters)) or "none"
        raise ConfigError(
            f"raster {os.fspath(source)!r} is neither a file nor one of the project's rasters "
            f"({known})"
        )
    return layer


def _describe(layer: RasterLayer) -> tuple[str, str]:
    """The label of ``layer`` and the text its default colormap is chosen from."""
    with open_raster(layer.source) as src:
        description = src.descriptions[layer.band - 1] if 0 < layer.band <= src.count else None
        file_name = Path(str(src.name)).name
    label = layer.name or description or file_name
    return label, " ".join(t for t in (layer.name, description, file_name) if t)


def prepare_rasters(
    rasters: Sequence[RasterLayer | RasterLike] | None,
    *,
    project_rasters: Mapping[str, Path] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    gcj02: bool = False,
) -> list[dict[str, Any]]:
    """The page data of each raster: label, PNG ``data:`` URI, bounds, colour stops.

    Parameters
    ----------
    rasters : sequence of RasterLayer, path or str
        What to draw, bottom first.
    project_rasters : mapping of str to Path, optional
        The project's named rasters, so ``"ndvi_after"`` can stand for its file.
    max_pixels : int, default 262,144
        Largest image per raster (width × height); the raster is averaged down to fit.
    gcj02 : bool, default False
        Shift the image corners to GCJ-02 (for the 高德 basemap), like every overlay.

    Returns
    -------
    list of dict
        ``name``, ``url``, ``bounds`` (``[[south, west], [north, east]]``), ``stops``
        (``[value, colour]``), ``opacity``, ``show``, ``width``, ``height``.

    Raises
    ------
    ConfigError
        A raster that is neither a file nor a project raster, a bad opacity, colormap or
        ``max_pixels``.
    LayerReadError, CRSError
        From reading the raster (unreadable file, no CRS).
    """
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1:
        raise ConfigError(f"raster_max_pixels was {max_pixels!r} but is expected to be a "
                          f"positive integer, e.g. {DEFAULT_MAX_PIXELS}")
    known = dict(project_rasters or {})
    out = []
    for item in rasters or ():
        layer = _as_layer(item, known)
        label, text = _describe(layer)
        if layer.colormap is None:
            colormap = Colormap.NDVI if "ndvi" in text.lower() else Colormap.TERRAIN
        else:
            try:
                colormap = Colormap.parse(layer.colormap)
            except ValueError as exc:  # only the option: errors of the raster keep their class
                raise ConfigError(f"raster {label!r}: {exc}") from None
        png, bounds, stops = raster_to_png_overlay(
            layer.source, band=layer.band, colormap=colormap, vmin=layer.vmin,
            vmax=layer.vmax, max_pixels=max_pixels)
        if gcj02:
            from ..crs import wgs84_to_gcj02

            (south, west), (north, east) = bounds
            lon, lat = wgs84_to_gcj02([west, east], [south, north])
            bounds = [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]
        width = int.from_bytes(png[16:20], "big")
        height = int.from_bytes(png[20:24], "big")
        out.append({
            "name": str(label),
            "url": png_data_uri(png),
            "bounds": [[round(v, 7) for v in corner] for corner in bounds],
            "stops": [[round(float(v), 6), c] for v, c in stops],
            "opacity": float(layer.opacity),
            "show": bool(layer.show),
            "width": width,
            "height": height,
        })
    return out
