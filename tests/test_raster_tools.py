"""Raster helpers: clip, reproject, NDVI, slope (county_gis.raster.tools)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine
from shapely.geometry import box

from county_gis.errors import DataError, OutputExistsError
from county_gis.raster import Resampling, clip_raster, ndvi, reproject_raster, slope

X0, Y0 = 500_000.0, 4_650_000.0
GK41 = "EPSG:4550"


def write_tif(path, array, *, transform=None, crs=GK41, nodata=None):
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None]
    with rasterio.open(
        path, "w", driver="GTiff", width=array.shape[2], height=array.shape[1],
        count=array.shape[0], dtype=array.dtype, crs=crs, nodata=nodata,
        transform=transform or Affine(100, 0, X0, 0, -100, Y0),
    ) as dst:
        dst.write(array)
    return path


def test_ndvi_from_two_bands_and_two_files(tmp_path):
    red = np.array([[100, 200, 0], [50, 0, 10]], dtype="uint16")
    nir = np.array([[300, 200, 0], [150, 40, 30]], dtype="uint16")
    stack = write_tif(tmp_path / "stack.tif", np.stack([red, nir]))
    out = ndvi(stack, tmp_path / "ndvi.tif", red_band=1, nir_band=2)
    with rasterio.open(out) as src:
        values = src.read(1)
        assert src.dtypes[0] == "float32"
    expected = [[0.5, 0.0, np.nan], [0.5, 1.0, 0.5]]  # 0/0 is undefined
    np.testing.assert_allclose(values, expected, atol=1e-7)
    red_file = write_tif(tmp_path / "b4.tif", red)
    nir_file = write_tif(tmp_path / "b8.tif", nir)
    out2 = ndvi(red_file, tmp_path / "ndvi2.tif", nir=nir_file, red_band=1, nir_band=1)
    with rasterio.open(out2) as src:
        np.testing.assert_array_equal(src.read(1), values)


def test_ndvi_refuses_other_grid_and_existing_output(tmp_path):
    red = write_tif(tmp_path / "b4.tif", np.ones((2, 2), dtype="uint16"))
    nir = write_tif(tmp_path / "b8.tif", np.ones((3, 2), dtype="uint16"))
    with pytest.raises(DataError, match=r"b4\.tif: the NIR raster b8\.tif is not on the red "
                                        r"raster's grid \(2x3 vs 2x2"):
        ndvi(red, tmp_path / "n.tif", nir=nir, nir_band=1)
    (tmp_path / "exists.tif").write_bytes(b"keep")
    with pytest.raises(OutputExistsError, match="exists; pass overwrite=True"):
        ndvi(red, tmp_path / "exists.tif", nir=red, nir_band=1)
    assert (tmp_path / "exists.tif").read_bytes() == b"keep"
    with pytest.raises(DataError, match=r"band was 2 but the raster has bands 1\.\.1"):
        ndvi(red, tmp_path / "n.tif")


def test_slope_of_planes_in_metres(tmp_path):
    # z rises 10 m per 100 m eastward and 20 m per 100 m southward
    rows, cols = np.mgrid[0:6, 0:5]
    dem = write_tif(tmp_path / "dem.tif", (10.0 * cols + 20.0 * rows).astype("float32"))
    with rasterio.open(slope(dem, tmp_path / "slope.tif")) as src:
        values = src.read(1)
    expected = math.degrees(math.atan(math.hypot(0.1, 0.2)))  # 12.6044°
    np.testing.assert_allclose(values[1:-1, 1:-1], expected, atol=1e-4)
    assert values.shape == (6, 5)


def test_slope_on_a_geographic_dem_scales_degrees_to_metres(tmp_path):
    # 0.001° rows at 42 °N; z rises 1 m per row northward.
    # Row height = M(φ)·Δφ with M = a(1-e²)/(1-e² sin²φ)^1.5 (GRS80) ≈ 111.0 m
    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    rows = np.arange(7)[:, None] * np.ones((1, 4))
    dem = write_tif(tmp_path / "geo.tif", (10.0 - rows).astype("float32"), crs="EPSG:4490",
                    transform=Affine(0.001, 0, 121.7, 0, -0.001, 42.0035))
    with rasterio.open(slope(dem, tmp_path / "s.tif")) as src:
        centre = float(src.read(1)[3, 1])
    phi = math.radians(42.0)
    height = a * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 1.5 * math.radians(0.001)
    assert height == pytest.approx(111.07, abs=0.01)
    assert centre == pytest.approx(math.degrees(math.atan(1 / height)), abs=1e-4)


def test_slope_nan_at_nodata_and_refuses_feet_crs(tmp_path):
    data = np.full((3, 3), 5.0, dtype="float32")
    data[0, 0] = -9999
    dem = write_tif(tmp_path / "nd.tif", data, nodata=-9999)
    with rasterio.open(slope(dem, tmp_path / "s.tif")) as src:
        values = src.read(1)
    assert np.isnan(values[0, 0])
    assert values[2, 2] == 0.0
    assert np.isnan(values[1, 1])  # its 3 x 3 neighbourhood holds the nodata pixel
    feet = write_tif(tmp_path / "ft.tif", data, crs="EPSG:2230")
    with pytest.raises(DataError, match=r"ft\.tif: the raster's CRS .* has 'US survey foot' "
                                        "units; slope needs metres or degrees"):
        slope(feet, tmp_path / "s2.tif")


def test_clip_to_polygon_crops_and_masks(tmp_path):
    src = write_tif(tmp_path / "v.tif", np.arange(1, 26, dtype="int16").reshape(5, 5))
    # 2 x 2 pixels in the middle
    area = gpd.GeoSeries([box(X0 + 100, Y0 - 300, X0 + 300, Y0 - 100)], crs=GK41)
    out = clip_raster(src, area, tmp_path / "c.tif")
    with rasterio.open(out) as clipped:
        assert (clipped.width, clipped.height) == (2, 2)
        assert clipped.nodata == np.iinfo("int16").min
        assert clipped.transform.c == pytest.approx(X0 + 100, abs=1e-3)
        assert clipped.read(1).tolist() == [[7, 8], [12, 13]]
    # the same area in lon/lat is reprojected to the raster's CRS: same pixels hold values
    out = clip_raster(src, area.to_crs("EPSG:4490"), tmp_path / "c2.tif")
    with rasterio.open(out) as clipped:
        values = clipped.read(1, masked=True)
        assert sorted(values.compressed().tolist()) == [7, 8, 12, 13]
    far = gpd.GeoSeries([box(0, 0, 10, 10)], crs=GK41)
    with pytest.raises(DataError, match=r"v\.tif: the area does not overlap the raster"):
        clip_raster(src, far, tmp_path / "none.tif")
    assert not (tmp_path / "none.tif").exists()


def test_reproject_keeps_values_and_bounds(tmp_path):
    src = write_tif(tmp_path / "v.tif", np.full((20, 20), 7.0, dtype="float32"))
    out = reproject_raster(src, tmp_path / "ll.tif", crs="EPSG:4490", resampling="nearest")
    with rasterio.open(out) as dst:
        assert dst.crs.to_epsg() == 4490
        values = dst.read(1)
        # the grid starts on zone 41's central meridian (123 °E) near 42 °N; 2 km wide
        assert dst.bounds.left == pytest.approx(123.0, abs=1e-9)
        assert 123.02 < dst.bounds.right < 123.03
        assert 41.98 < dst.bounds.top < 41.99
        assert set(np.unique(values[np.isfinite(values)])) == {7.0}
    with pytest.raises(ValueError, match="resampling was 'linear' but is expected"):
        reproject_raster(src, tmp_path / "x.tif", crs="EPSG:4490", resampling="linear")
    assert Resampling.parse("MODE") is Resampling.MODE
