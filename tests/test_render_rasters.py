"""Rasters on the map (issue 6): embedded image overlays, colour bars, checks — no browser."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine

from county_gis.crs import wgs84_to_gcj02
from county_gis.errors import ConfigError, CRSError
from county_gis.render import RasterLayer, make_map, save_map
from render_fixtures import HOSTILE, make_project, page_data, write_raster

NDVI_05 = (0x66, 0xBD, 0x63)  # the ndvi ramp's colour at 0.5 (#66bd63)


def _png_pixels(url: str) -> np.ndarray:
    """Decode our own PNGs (8-bit RGBA, filter 0) back to an (h, w, 4) array."""
    png = base64.b64decode(url.split(",", 1)[1])
    width, height = struct.unpack(">II", png[16:24])
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * 4 + 1)
    assert (raw[:, 0] == 0).all()  # filter type 0 on every row
    return raw[:, 1:].reshape(height, width, 4)


def test_raster_is_embedded_with_bounds_colours_and_a_colour_bar(tmp_path):
    path = write_raster(tmp_path / "ndvi.tif", nodata_corner=True)
    saved = save_map(make_map(make_project(hostile=False), rasters=[path], show_progress=False),
                     tmp_path / "map.html")
    data = page_data(saved.path.read_text(encoding="utf-8"))
    [raster] = data["layers"]["rasters"]
    assert raster["name"] == "NDVI 2023 (test)"  # the band description
    # 30 × 0.002° wide, 25 × 0.001° high from (121.63, 42.095)
    assert np.ravel(raster["bounds"]) == pytest.approx([42.07, 121.63, 42.095, 121.69], abs=1e-9)
    assert raster["url"].startswith("data:image/png;base64,")
    pixels = _png_pixels(raster["url"])
    assert pixels.shape[2] == 4 and (raster["height"], raster["width"]) == pixels.shape[:2]
    # the constant 0.5 is the ramp's colour at 0.5, opaque; the nodata corner is transparent
    assert tuple(pixels[-1, -1, :3]) == NDVI_05 and pixels[-1, -1, 3] == 255
    assert pixels[0, 0, 3] == 0
    assert raster["stops"][0] == [-0.2, "#a50026"] and raster["stops"][-1] == [0.9, "#00441b"]
    assert data["legend"]["rasters"] == [{"name": "NDVI 2023 (test)", "stops": raster["stops"]}]
    assert raster["opacity"] == 0.75 and raster["show"] is True


def test_raster_is_downsampled_to_the_stated_limit(tmp_path):
    path = write_raster(tmp_path / "big.tif", width=400, height=300, res=(0.00015, 0.0001))
    m = make_map(make_project(hostile=False), rasters=[path], raster_max_pixels=10_000,
                 show_progress=False)
    page = save_map(m, tmp_path / "map.html").path.read_text(encoding="utf-8")
    [raster] = page_data(page)["layers"]["rasters"]
    assert raster["width"] * raster["height"] <= 10_000
    assert raster["width"] * raster["height"] > 9_000  # shrunk to fit, not far below
    assert (_png_pixels(raster["url"])[..., 3] == 255).all()


def test_project_rasters_are_named_and_hidden_on_request(tmp_path):
    project = make_project(hostile=False)
    project.rasters = {"ndvi_after": write_raster(tmp_path / "after.tif"),
                       "dem": write_raster(tmp_path / "dem.tif", value=300.0,
                                           description="elevation, metres")}
    m = make_map(project, rasters=["ndvi_after", RasterLayer("dem", show=False, opacity=0.4)],
                 show_progress=False)
    rasters = page_data(save_map(m, tmp_path / "m.html").path.read_text("utf-8"))["layers"][
        "rasters"]
    # a project raster named by its key shows its Chinese name (issue 15)
    assert [(r["name"], r["show"], r["opacity"]) for r in rasters] == [
        ("植被指数 NDVI（后期）", True, 0.75), ("数字高程模型 DEM", False, 0.4)]
    # no "ndvi" in its name: the DEM is stretched with the terrain ramp over its values
    assert rasters[1]["stops"][0][1] == "#1a9850" and rasters[1]["stops"][-1][1] == "#8b4513"


def test_unknown_raster_bad_opacity_and_colormap_are_refused(tmp_path):
    project = make_project(hostile=False)
    project.rasters = {"ndvi_after": write_raster(tmp_path / "after.tif")}
    with pytest.raises(ConfigError, match=r"raster 'ndvi_befor' is neither a file nor one of "
                                          r"the project's rasters \(ndvi_after\)"):
        make_map(project, rasters=["ndvi_befor"], show_progress=False)
    with pytest.raises(ConfigError, match=r"raster opacity was -0\.1 but is expected to be "
                                          "between 0 and 1"):
        RasterLayer("ndvi_after", opacity=-0.1)
    with pytest.raises(ConfigError, match=r"raster '植被指数 NDVI（后期）': colormap was 'jet' "
                                          "but is expected to be one of ndvi, terrain"):
        make_map(project, rasters=[RasterLayer("ndvi_after", colormap="jet")],
                 show_progress=False)


def test_amap_basemap_shifts_the_raster_like_every_overlay(tmp_path):
    path = write_raster(tmp_path / "ndvi.tif")
    m = make_map(make_project(hostile=False), rasters=[path], basemap="amap",
                 show_progress=False)
    page = save_map(m, tmp_path / "m.html").path.read_text(encoding="utf-8")
    [raster] = page_data(page)["layers"]["rasters"]
    lon, lat = wgs84_to_gcj02([121.63, 121.69], [42.07, 42.095])
    assert np.ravel(raster["bounds"]) == pytest.approx([lat[0], lon[0], lat[1], lon[1]], abs=1e-7)
    # the GCJ-02 shift near Fuxin is about 0.5 km, mostly to the east
    assert 0.004 < raster["bounds"][0][1] - 121.63 < 0.008


def test_hostile_raster_name_is_data_not_markup(tmp_path):
    name = HOSTILE["script"] + HOSTILE["jinja_statement"]
    path = write_raster(tmp_path / "ndvi.tif", description=name)
    page = save_map(make_map(make_project(hostile=False), rasters=[path], show_progress=False),
                    tmp_path / "m.html").path.read_text(encoding="utf-8")
    assert page_data(page)["layers"]["rasters"][0]["name"] == name
    assert "循环循环循环" not in page and "<script>window.__pwned" not in page


def test_errors_of_the_raster_itself_keep_their_class(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=Affine(0.01, 0, 121.6, 0, -0.01, 42.1)) as dst:
        dst.write(np.zeros((4, 4), dtype="float32"), 1)
    with pytest.raises(CRSError):  # not turned into a ConfigError about options
        make_map(make_project(hostile=False), rasters=[path], show_progress=False)
    with pytest.raises(ConfigError, match="raster_max_pixels was 0 but is expected to be a "
                                          "positive integer"):
        make_map(make_project(hostile=False), rasters=[path], raster_max_pixels=0,
                 show_progress=False)
