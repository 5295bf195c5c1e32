"""Raster → PNG image overlay for maps (county_gis.raster.overlay)."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine

from county_gis.render import Colormap, png_data_uri, raster_to_png_overlay


def decode_png(png: bytes) -> np.ndarray:
    """RGBA array of a PNG written by the overlay (8-bit RGBA, filter 0 rows)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * 4 + 1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 4)


def write_tif(path, array, *, crs="EPSG:4490", transform=None):
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0],
                       count=1, dtype="float32", crs=crs, nodata=float("nan"),
                       transform=transform or Affine(0.01, 0, 121.5, 0, -0.01, 42.3)) as dst:
        dst.write(array.astype("float32"), 1)
    return path


def test_colours_transparency_and_bounds(tmp_path):
    data = np.full((30, 40), 0.4)
    data[:, :20] = np.nan  # the west half has no data
    png, bounds, stops = raster_to_png_overlay(write_tif(tmp_path / "n.tif", data))
    rgba = decode_png(png)
    np.testing.assert_allclose(bounds, [[42.0, 121.5], [42.3, 121.9]], atol=1e-6)
    assert (0.4, "#a6d96a") in stops
    west, east = rgba[:, : rgba.shape[1] // 2 - 1], rgba[:, rgba.shape[1] // 2 + 1 :]
    assert (west[..., 3] == 0).all()
    assert (east[..., 3] == 255).all()
    assert {tuple(p) for p in east[..., :3].reshape(-1, 3)} == {(0xA6, 0xD9, 0x6A)}


def test_downsampled_below_the_limit(tmp_path):
    data = np.linspace(0, 1, 1000 * 800).reshape(800, 1000)
    path = write_tif(tmp_path / "big.tif", data,
                     transform=Affine(0.0005, 0, 121.2, 0, -0.0005, 42.5))
    png, _, stops = raster_to_png_overlay(path, colormap="greys", max_pixels=10_000)
    rgba = decode_png(png)
    assert rgba.shape[0] * rgba.shape[1] <= 10_000
    # Web Mercator stretches north-south by sec(42.3°): 0.4° x 0.5° is 60.2 km x 55.7 km
    assert rgba.shape[0] / rgba.shape[1] == pytest.approx(1.081, abs=0.03)
    # greys stretched over the 2nd..98th percentile
    assert stops[0][0] == pytest.approx(0.02, abs=0.01)
    assert stops[-1][0] == pytest.approx(0.98, abs=0.01)
    assert rgba[..., 0].max() == 255 and rgba[..., 0].min() == 0


def test_deterministic_and_data_uri(tmp_path):
    path = write_tif(tmp_path / "n.tif", np.linspace(-0.1, 0.8, 1200).reshape(30, 40))
    first = raster_to_png_overlay(path, colormap=Colormap.CHANGE)
    second = raster_to_png_overlay(path, colormap="change")
    assert first[0] == second[0]
    # a symmetric ramp about 0 for changes
    assert first[2][0][0] == pytest.approx(-first[2][-1][0])
    assert png_data_uri(first[0]).startswith("data:image/png;base64,iVBORw0KGgo")


def test_bad_options(tmp_path):
    path = write_tif(tmp_path / "n.tif", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="max_pixels was 0 but is expected to be a positive"):
        raster_to_png_overlay(path, max_pixels=0)
    with pytest.raises(ValueError, match="colormap was 'jet' but is expected to be one of ndvi"):
        raster_to_png_overlay(path, colormap="jet")
