"""Hostile and careless input (issue 14): no file reaches the network or outside what the user
named, no memory bomb, no lost layer, no injection in any output, no traceback.

Every hostile input here points at a loopback *canary* HTTP server (started by the
``canary`` fixture; the tests FAIL if it cannot start) and at ``/etc/passwd``; the canary must
receive zero requests while the read paths of the suite (read_layer, read_layers,
list_layers, inspect_source, load_project, zonal_stats, vegetation_change, the raster overlay,
make_map + save_map and the CLI commands) run on them. ``test_the_canary_counts`` proves the
canary would see a raw GDAL read of the same files.
"""

from __future__ import annotations

import errno
import hashlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner
from openpyxl import load_workbook
from rasterio.transform import Affine
from rasterio.windows import Window
from shapely.geometry import LineString, Point, box

import county_gis
from county_gis import read_layer, write_layer
from county_gis._atomic import atomic_path, forget_inputs
from county_gis._offline import offline_gdal
from county_gis.cli import main
from county_gis.errors import (
    ConfigError,
    CountyGisWarning,
    DataError,
    LayerReadError,
    OutputIsInputError,
    OutputWriteError,
)
from county_gis.io import inspect_source, list_layers, read_layers
from county_gis.project import Project, load_project
from county_gis.raster import vegetation_change, zonal_stats
from county_gis.render import make_map, raster_to_png_overlay
from county_gis.render._rasters import prepare_rasters
from county_gis.report import write_report, write_table
from project_fixtures import write_tiny_project

CRS = "EPSG:4490"


# --------------------------------------------------------------------------- the canary


class Canary:
    """A loopback HTTP server that counts every request it receives."""

    def __init__(self) -> None:
        requests: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.requests = requests
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    server = Canary()  # an OSError here fails the tests: they never skip
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_inputs() -> Iterator[None]:
    """Each test starts without inputs recorded by earlier tests of the process."""
    forget_inputs()
    yield
    forget_inputs()


def _ogr_vrt(canary: Canary) -> str:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="roads"><SrcDataSource>/vsicurl/'
            f'{canary.url}/roads.geojson</SrcDataSource></OGRVRTLayer>'
            '<OGRVRTLayer name="passwd"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
            '</OGRVRTLayer></OGRVRTDataSource>')


def _raster_vrt(canary: Canary, size: int = 16) -> str:
    return (f'<VRTDataset rasterXSize="{size}" rasterYSize="{size}"><SRS>EPSG:4490</SRS>'
            '<GeoTransform>121.6, 0.001, 0, 42.2, 0, -0.001</GeoTransform>'
            '<VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename>'
            f'/vsicurl/{canary.url}/ndvi.tif</SourceFilename><SourceBand>1</SourceBand>'
            '</SimpleSource></VRTRasterBand><VRTRasterBand dataType="Byte" band="2">'
            '<SimpleSource><SourceFilename relativeToVRT="0">/etc/passwd</SourceFilename>'
            '</SimpleSource></VRTRasterBand></VRTDataset>')


def _crs_link_geojson(canary: Canary) -> str:
    return json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "link", "properties": {"href": f"{canary.url}/crs.wkt",
                                               "type": "ogcwkt"}},
        "features": [{"type": "Feature", "properties": {"项目名称": "一号路"},
                      "geometry": {"type": "LineString",
                                   "coordinates": [[121.6, 42.1], [121.61, 42.1]]}}],
    }, ensure_ascii=False)


#: vector suffixes GDAL would open by content: each holds the VRT
VRT_SUFFIXES = (".geojson", ".json", ".gpkg", ".fgb", ".shp", ".kml", ".dxf", ".xlsx",
                ".parquet")


@pytest.fixture
def hostile(tmp_path: Path, canary: Canary) -> dict[str, Path]:
    """Every hostile file of this module, each pointing at the canary and /etc/passwd."""
    files = {}
    for suffix in VRT_SUFFIXES:
        path = tmp_path / f"vrt{suffix}"
        path.write_text(_ogr_vrt(canary), encoding="utf-8")
        files[f"vrt{suffix}"] = path
    for suffix in (".tif", ".tiff", ".img"):
        path = tmp_path / f"ndvi{suffix}"
        path.write_text(_raster_vrt(canary), encoding="utf-8")
        files[f"raster{suffix}"] = path
    link = tmp_path / "crs_link.geojson"
    link.write_text(_crs_link_geojson(canary), encoding="utf-8")
    files["crs_link"] = link
    return files


def test_the_canary_counts(hostile, canary):
    """Without county_gis in the way, GDAL fetches from the canary: the fixture can fail."""
    before = len(canary.requests)
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(canary.url + "/ping")
    with pytest.raises(RuntimeError):  # pyogrio's errors: the remote source is 404
        pyogrio.read_dataframe(hostile["vrt.geojson"], layer="roads")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(hostile["raster.tif"]) as src, pytest.raises(rasterio.errors.RasterioIOError):
            src.read(1)
    assert len(canary.requests) >= 3  # the ping, the VRT layer, the raster source
    del canary.requests[before:]


def test_offline_gdal_blocks_even_a_raw_read(hostile, canary):
    """The second line of defence: GDAL under offline_gdal() cannot reach the canary."""
    with offline_gdal():
        with pytest.raises(RuntimeError):
            pyogrio.read_dataframe(hostile["vrt.geojson"], layer="roads")
        crs = pyogrio.read_info(hostile["crs_link"])["crs"]
    assert canary.requests == []
    assert crs is None or "ogcwkt" not in str(crs)
    assert "GDAL_HTTP_PROXY" not in os.environ  # restored after the block


@pytest.mark.parametrize("suffix", VRT_SUFFIXES)
def test_vrt_under_a_vector_suffix_is_refused_naming_both(hostile, canary, suffix):
    path = hostile[f"vrt{suffix}"]
    source = county_gis.io.source_for(path)
    with pytest.raises(LayerReadError, match=rf"the suffix \{suffix} says {source.name} .* but "
                       r"the file holds a GDAL VRT \(XML that makes GDAL read other files and "
                       r"URLs\); refused"):
        read_layer(path)
    for call in (read_layers, list_layers, lambda p: inspect_source(p)[0]["error"] or 1 / 0):
        with pytest.raises(LayerReadError, match="GDAL VRT"):
            result = call(path)
            raise LayerReadError(result)  # inspect_source reports the error per layer
    assert canary.requests == []


@pytest.mark.parametrize("command", ["inspect", "measure", "zonal"])
@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".fgb"])
def test_every_cli_read_path_refuses_a_vrt_in_one_line(hostile, canary, tmp_path, command,
                                                        suffix):
    args = [command, str(hostile[f"vrt{suffix}"])]
    if command == "zonal":
        args.append(str(write_ndvi(tmp_path / "real.tif", np.full((4, 8), 0.3))))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "but the file holds a GDAL VRT" in result.output
    (tmp_path / "p").mkdir(exist_ok=True)
    project = write_tiny_project(tmp_path / "p")
    result = CliRunner().invoke(main, ["greening", str(project), "--before",
                                       str(hostile["raster.tif"]), "--after",
                                       str(hostile["raster.tif"])])
    assert result.exit_code == 1 and "GDAL VRT" in result.output
    assert canary.requests == []


def test_vrt_bytes_in_memory_and_zipped_are_refused(hostile, canary, tmp_path):
    import zipfile

    archive = tmp_path / "roads.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(hostile["vrt.geojson"], "roads.geojson")
    with pytest.raises(LayerReadError, match=r"roads\.zip:roads\.geojson: the suffix .geojson "
                       r"says GeoJSON .* GDAL VRT"):
        read_layer(archive)
    with pytest.raises(LayerReadError, match="none of the formats read from memory"):
        read_layer(hostile["vrt.geojson"].read_bytes())
    assert canary.requests == []


def test_geojson_crs_link_is_not_followed(hostile, canary):
    with pytest.raises(LayerReadError, match=r'crs_link\.geojson: the GeoJSON "crs" is a link '
                       r'\("type": "link"\); county_gis does not follow links in files\. '
                       r'Replace it by a named CRS'):
        read_layer(hostile["crs_link"])
    result = CliRunner().invoke(main, ["inspect", str(hostile["crs_link"])])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert canary.requests == []


def test_a_named_geojson_crs_still_reads(tmp_path):
    path = tmp_path / "named.geojson"
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": [{"type": "Feature", "properties": {"note": "type: link"},
                      "geometry": {"type": "Point", "coordinates": [121.6, 42.1]}}]}
    path.write_text(json.dumps(document), encoding="utf-8")
    assert len(read_layer(path)) == 1


@pytest.mark.parametrize("suffix", [".tif", ".tiff", ".img"])
def test_vrt_rasters_are_refused_on_every_raster_path(hostile, canary, tmp_path, suffix):
    raster = hostile[f"raster{suffix}"]
    plots = gpd.GeoSeries([box(121.601, 42.19, 121.605, 42.195)], crs=CRS)
    expected = r"GDAL VRT|holds XML"
    with pytest.raises(LayerReadError, match=expected):
        zonal_stats(plots, raster)
    with pytest.raises(LayerReadError, match=expected):
        vegetation_change(plots, raster, raster)
    with pytest.raises(LayerReadError, match=expected):
        raster_to_png_overlay(raster)
    with pytest.raises(LayerReadError, match=expected):
        prepare_rasters([raster])
    result = CliRunner().invoke(main, ["zonal", str(write_plots(tmp_path)), str(raster)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "GDAL VRT" in result.output or "holds XML" in result.output
    assert canary.requests == []


def test_network_paths_are_refused_as_rasters_and_layers(canary):
    for path in (f"/vsicurl/{canary.url}/a.tif", f"{canary.url}/a.tif"):
        with pytest.raises(LayerReadError, match="is a network path; county_gis reads local "
                           "files only"):
            zonal_stats(gpd.GeoSeries([box(0, 0, 1, 1)], crs=CRS), path)
    with pytest.raises(LayerReadError, match="is a network path"):
        read_layer(f"/vsicurl/{canary.url}/roads.geojson")
    assert canary.requests == []


def test_a_project_pointing_at_hostile_files_reads_nothing_remote(hostile, canary, tmp_path):
    """The project loader, the map and the CLI on a project whose files are hostile."""
    project = write_tiny_project(tmp_path)
    text = project.read_text(encoding="utf-8")
    (tmp_path / "evil.geojson").write_text(_ogr_vrt(canary), encoding="utf-8")
    project.write_text(text + '\n[layers.evil]\npath = "evil.geojson"\nkind = "road_rebuild"\n',
                       encoding="utf-8")
    with pytest.raises(LayerReadError, match=r"evil\.geojson: the suffix \.geojson says GeoJSON"):
        load_project(project)
    for command in (["progress", str(project)], ["map", str(project)],
                    ["overview", str(project)]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code != 0, command
        assert "Traceback" not in result.output
    project.write_text(text, encoding="utf-8")  # a sound project, a hostile raster on its map
    loaded = load_project(project)
    with pytest.raises(LayerReadError, match="GDAL VRT"):
        make_map(loaded, rasters=[hostile["raster.tif"]])
    assert canary.requests == []


# --------------------------------------------------------------------------- basemap URLs


@pytest.mark.parametrize("given", [" {url}/{{z}}/{{x}}/{{y}}.png", "\t{url}/t", "//127.0.0.1/t",
                                   "\u3000{url}/t", "tiles/../../t", "tiles?x=1"])
def test_local_tiles_are_checked_after_stripping_white_space(tmp_path, canary, given):
    result = CliRunner().invoke(main, ["map", "--basemap", "local", "--local-tiles",
                                       given.format(url=canary.url),
                                       "--out", str(tmp_path / "m.html")])
    assert result.exit_code != 0
    assert "must be a folder relative to the HTML file" in result.output
    assert not (tmp_path / "m.html").exists()
    assert canary.requests == []


def test_a_local_tile_folder_must_be_a_folder(tmp_path):
    (tmp_path / "tiles").write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(main, ["map", "--basemap", "local", "--local-tiles", "tiles",
                                       "--out", str(tmp_path / "m.html")])
    assert result.exit_code == 1
    assert "tiles is not a folder; the tiles must lie in tiles/{z}/{x}/{y}.png next to m.html" \
        in result.output
    (tmp_path / "tiles").unlink()
    (tmp_path / "tiles").mkdir()
    result = CliRunner().invoke(main, ["map", "--basemap", "local", "--local-tiles", "tiles",
                                       "--out", str(tmp_path / "m.html")])
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- resource bombs


def sparse_tif(path: Path, size: int, *, value: float = 0.5, overviews: bool = False) -> Path:
    """A tiled, sparse GeoTIFF claiming ``size`` × ``size`` pixels: one 256² block written."""
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="float32", crs=CRS, nodata=-9999,
                       transform=Affine(1e-5, 0, 121.6, 0, -1e-5, 42.3), tiled=True,
                       blockxsize=256, blockysize=256, sparse_ok=True,
                       compress="deflate") as dst:
        dst.write(np.full((256, 256), value, "float32"), 1, window=Window(0, 0, 256, 256))
        if overviews:
            dst.build_overviews([4, 16, 64], rasterio.enums.Resampling.nearest)
    return path


def test_a_raster_header_claiming_100000_squared_pixels_is_refused_before_reading(tmp_path):
    bomb = sparse_tif(tmp_path / "bomb.tif", 100_000)
    assert bomb.stat().st_size < 2_000_000  # 1.2 MB on disk, 40 GB of float32 claimed
    message = (r"bomb\.tif: the header claims 100,000 × 100,000 pixels × 1 band\(s\) "
               r"\(10,000,000,000 pixels\), more than the 4,000,000,000 county_gis reads; "
               r"refused before reading")
    with pytest.raises(DataError, match=message):
        raster_to_png_overlay(bomb)
    with pytest.raises(DataError, match=message):
        zonal_stats(gpd.GeoSeries([box(121.6, 42.29, 121.61, 42.3)], crs=CRS), bomb)
    result = CliRunner().invoke(main, ["map", "--raster", str(bomb),
                                       "--out", str(tmp_path / "m.html")])
    assert result.exit_code == 1
    assert "the header claims 100,000 × 100,000 pixels" in result.output
    assert "Traceback" not in result.output


def test_a_large_raster_without_overviews_is_refused_for_display_with_the_fix(tmp_path):
    big = sparse_tif(tmp_path / "big.tif", 12_000)  # 144 M pixels: below the header budget
    with pytest.raises(DataError, match=r"big\.tif: 12,000 × 12,000 pixels and no overviews: "
                       r"too large to draw .* gdaladdo -r average FILE"):
        raster_to_png_overlay(big)
    with_overviews = sparse_tif(tmp_path / "ovr.tif", 12_000, overviews=True)
    png, bounds, _ = raster_to_png_overlay(with_overviews, colormap="greys")
    assert png.startswith(b"\x89PNG")
    assert bounds[1][1] == pytest.approx(121.6 + 0.12)


def test_display_reads_are_decimated_in_strips(tmp_path, monkeypatch):
    """No read of the display path asks GDAL for more than a strip of the source."""
    path = sparse_tif(tmp_path / "mid.tif", 9_000)
    asked: list[tuple[int, int]] = []
    original = rasterio.io.DatasetReader.read

    def read(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = original(self, *args, **kwargs)
        asked.append(out.shape[-2:])
        return out

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", read)
    raster_to_png_overlay(path)
    assert asked and max(h * w for h, w in asked) <= 1_100 * 1_100  # decimated by 9 to ~1000²


@pytest.mark.parametrize("suffix,header", [(".csv", "经度,纬度\n"), (".kml", "<kml>"),
                                           (".geojson", "{")])
def test_text_sources_above_the_stated_size_are_refused(tmp_path, suffix, header):
    path = tmp_path / f"huge{suffix}"
    with open(path, "wb") as handle:
        handle.write(header.encode())
        handle.truncate(county_gis.io.MAX_TEXT_BYTES + 1)  # sparse: nothing written
    with pytest.raises(LayerReadError, match=r"huge\.\w+: 256 MiB of \w+ text; text sources are "
                       r"read whole and limited to 256 MiB\. Convert it to a GeoPackage"):
        read_layer(path)


# --------------------------------------------------------------------------- outputs


WRITER = textwrap.dedent("""
    import sys, time, pathlib
    import geopandas as gpd
    from shapely.geometry import Point
    from county_gis import write_layer
    target, layer, go = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
    frame = gpd.GeoDataFrame({"name": [layer] * 200},
                             geometry=[Point(121.6 + i * 1e-4, 42.1) for i in range(200)],
                             crs=4490)
    while not go.exists():
        time.sleep(0.001)
    write_layer(frame, target, layer=layer)
""")


def test_two_processes_adding_layers_to_one_geopackage_keep_both(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(county_gis.__file__).parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    for round_ in range(4):
        target = tmp_path / f"shared{round_}.gpkg"
        write_layer(gpd.GeoDataFrame({"name": ["base"]}, geometry=[Point(121.6, 42.1)],
                                     crs=CRS), target, layer="base")
        go = tmp_path / f"go{round_}"
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(target), name, str(go)],
                                    env=env, stderr=subprocess.PIPE)
                   for name in ("roads", "plots")]
        go.touch()
        for writer in writers:
            _, err = writer.communicate(timeout=120)
            assert writer.returncode == 0, err.decode()
        assert sorted(n for n, _ in pyogrio.list_layers(target)) == ["base", "plots", "roads"]
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_out_may_never_name_an_input(tmp_path):
    layer = write_plots(tmp_path)
    digest = hashlib.sha256(layer.read_bytes()).hexdigest()
    for extra in ([], ["--overwrite"]):
        result = CliRunner().invoke(main, ["measure", str(layer), "--out", str(layer), *extra])
        assert result.exit_code == 1
        assert f"{layer} is one of the inputs" in result.output
        assert "choose another --out" in result.output
    assert hashlib.sha256(layer.read_bytes()).hexdigest() == digest
    frame = read_layer(layer)
    with pytest.raises(OutputIsInputError, match="never writes over its inputs"):
        write_layer(frame, layer, layer="copy")
    ndvi = tmp_path / "ndvi.tif"
    write_ndvi(ndvi, np.full((10, 10), 0.3))
    zonal_stats(frame, ndvi)
    with pytest.raises(OutputIsInputError):
        county_gis.raster.clip_raster(ndvi, frame, out=ndvi, overwrite=True)


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(121.6, 42.1)], crs=CRS)
    write_layer(frame, tmp_path / "p.gpkg", layer="one")

    def crash(frame, path, **kwargs):  # type: ignore[no-untyped-def]
        pyogrio.write_dataframe(frame, path, layer="two", driver="GPKG")  # half done
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(county_gis.io._write, "_write", crash)
    with pytest.raises(OutputWriteError, match=r"p\.gpkg: Input/output error"):
        write_layer(frame, tmp_path / "p.gpkg", layer="two")
    assert [n for n, _ in pyogrio.list_layers(tmp_path / "p.gpkg")] == ["one"]
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "t.csv") as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("crash")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.gpkg"]


def test_temporary_files_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal
        from county_gis._atomic import atomic_path
        with atomic_path({str(tmp_path / 'report.csv')!r}) as tmp:
            tmp.write_text("half written", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(county_gis.__file__).parents[1])}
    killed = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert killed.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".report.csv.") and left[0].endswith(".tmp")
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "report.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_read_only_folder_and_full_disk_are_one_line(tmp_path, monkeypatch):
    layer = write_plots(tmp_path)
    result = CliRunner().invoke(main, ["measure", str(layer), "--out", "/sys/county_gis.csv"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot write /sys/county_gis.csv: the folder /sys is read-only" in result.output

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    result = CliRunner().invoke(main, ["measure", str(layer), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"the disk holding {tmp_path} is full; free some space or choose another --out" \
        in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["plots.gpkg"]


def test_output_names_the_system_refuses(tmp_path):
    with pytest.raises(OutputWriteError, match="the file name holds a NUL character"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "a\x00b.csv")
    with pytest.raises(OutputWriteError, match=r"the file name is 304 bytes long and the "
                       r"system allows 255"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / ("县" * 100 + ".csv"))


@pytest.mark.parametrize("name", ["县" * 200, "a\u0000b", "http://evil.invalid/x 项目",
                                  "道路\n# 标题 ![x](http://evil.invalid/a.png)"])
def test_any_project_name_gives_a_map(tmp_path, name):
    project = write_tiny_project(tmp_path)
    text = project.read_text(encoding="utf-8").replace('name = "示例县"',
                                                       f"name = {json.dumps(name)}")
    project.write_text(text, encoding="utf-8")
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(main, ["map", str(project)])
        assert result.exit_code == 0, result.output
        [page] = list(Path("maps").iterdir())
        assert len(page.name.encode()) <= 255 and "\x00" not in page.name


# --------------------------------------------------------------------------- injection


PAYLOADS = ["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
            "![](http://evil.invalid/beacon.png)", "名称\n# 注入标题", "a|b", "**粗**",
            "=HYPERLINK(\"http://evil.invalid\")", "\x0b垂直制表", "[/red]", "\x1b[2J清屏"]


def payload_project() -> Project:
    roads = gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(len(PAYLOADS))], "name": PAYLOADS,
         "kind": "road_rebuild", "status": "completed", "township": PAYLOADS},
        geometry=[LineString([(121.6 + i * 0.01, 42.1), (121.605 + i * 0.01, 42.1)])
                  for i in range(len(PAYLOADS))], crs=CRS)
    return Project.from_layers({"roads": roads}, targets=county_gis.load_targets(),
                               name="县\n![](http://evil.invalid/t.png)<script>x</script>")


def test_markdown_report_renders_data_as_text(tmp_path):
    import markdown_it

    details = county_gis.progress_details(payload_project())
    path = write_report(details, tmp_path / "r.md", title=payload_project().name)
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(path.read_text(encoding="utf-8"))
    assert "<img" not in html and "<script" not in html and "<a " not in html
    assert "<strong>" not in html
    assert html.count("<h1>") == 1  # the title's newline made no second heading
    assert "注入标题</h1>" not in html and "注入标题</h2>" not in html
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == (r"# 县 \!\[\]\(http\://evil\.invalid/t\.png\)"
                                    r"&lt;script&gt;x&lt;/script&gt;")


def test_xlsx_control_characters_are_replaced_and_reported(tmp_path):
    details = county_gis.progress_details(payload_project())
    with pytest.warns(CountyGisWarning, match=r"cell\(s\) held control characters an xlsx "
                      r"cannot store \(first: .*\); replaced by U\+FFFD"):
        path = write_report(details, tmp_path / "r.xlsx")
    texts = [c.value for sheet in load_workbook(path).worksheets for row in sheet.iter_rows()
             for c in row if isinstance(c.value, str)]
    assert any(t.startswith("\ufffd[2J清屏") for t in texts)  # ESC replaced, text kept
    assert not [t for t in texts if re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", t)]
    assert not any(t.startswith("=") for t in texts)


def test_terminal_output_escapes_markup_and_control_characters(tmp_path):
    roads = payload_project().layers["roads"][["name", "geometry"]]
    path = tmp_path / "payload.gpkg"
    roads.to_file(path, layer="roads")
    result = CliRunner().invoke(main, ["measure", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x0b" not in result.output
    assert "[/red]" in result.output and "\\x1b[2J清屏" in result.output
    (tmp_path / "p").mkdir()
    project = write_tiny_project(tmp_path / "p")
    text = project.read_text(encoding="utf-8").replace('name = "示例县"',
                                                       'name = "[/red]\\u001b[31m红"')
    project.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["progress", str(project)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "[/red]\\x1b[31m红" in result.output and "\x1b" not in result.output


# --------------------------------------------------------------------------- raster values


def write_ndvi(path: Path, data: np.ndarray, *, nodata: float | None = None,
               dtype: str = "float32", transform: Affine | None = None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=dtype, crs=CRS, nodata=nodata,
                       transform=transform or Affine(0.01, 0, 121.6, 0, -0.01, 42.3)) as dst:
        dst.write(data.astype(dtype), 1)
    return path


def write_plots(folder: Path) -> Path:
    path = folder / "plots.gpkg"
    gpd.GeoDataFrame({"name": ["甲", "乙"]},
                     geometry=[box(121.6, 42.28, 121.62, 42.3), box(121.64, 42.28, 121.66, 42.3)],
                     crs=CRS).to_file(path, layer="plots")
    return path


def test_an_undeclared_fill_value_is_no_data_not_degraded(tmp_path):
    before = np.full((4, 8), 0.3)
    after = np.full((4, 8), 0.4)
    after[:, 4:] = -9999  # the east plot lies on the fill value; the file declares no nodata
    plots = read_layer(write_plots(tmp_path))
    with pytest.warns(CountyGisWarning, match=r"1 of 2 plots lie on NDVI values outside −1…1 "
                      r"\(4\.0 pixel equivalents, e\.g\. a fill value such as −9999"):
        table = vegetation_change(plots, write_ndvi(tmp_path / "b.tif", before),
                                  write_ndvi(tmp_path / "a.tif", after))
    assert table["verdict"].tolist() == ["greened", "no_data"]
    assert table["verdict_label"].tolist() == ["变绿", "无数据"]
    assert table["ndvi_masked_pixels"].round(6).tolist() == [0.0, 4.0]  # 2 × 2 pixels
    declared = write_ndvi(tmp_path / "a2.tif", after, nodata=-9999)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a declared nodata is honoured silently
        table = vegetation_change(plots, tmp_path / "b.tif", declared)
    assert table["verdict"].tolist() == ["greened", "no_data"]


def test_a_scaled_ndvi_is_refused_with_the_fix(tmp_path):
    plots = read_layer(write_plots(tmp_path))
    before = write_ndvi(tmp_path / "b.tif", np.full((4, 8), 0.3))
    scaled = write_ndvi(tmp_path / "x10000.tif", np.full((4, 8), 7200), dtype="int16")
    with pytest.raises(DataError, match=r"x10000\.tif: the values look like NDVI × 10,000 "
                       r"\(median 7,200, 100% of the values in 1…10,000; NDVI lies in −1…1\): "
                       r"it would read as 100 % green\. Declare the scale once: gdal_edit\.py "
                       r"-scale 0\.0001 x10000\.tif"):
        vegetation_change(plots, before, scaled)
    with rasterio.open(scaled, "r+") as dst:  # the fix the message names
        dst.scales = (0.0001,)
    table = vegetation_change(plots, before, scaled)
    assert table["ndvi_after"].round(4).tolist() == [0.72, 0.72]


def test_a_truncated_geotiff_is_one_line(tmp_path):
    path = write_ndvi(tmp_path / "cut.tif", np.random.default_rng(0).random((200, 200)),
                      transform=Affine(0.001, 0, 121.6, 0, -0.0001, 42.3))  # rows 42.28–42.3
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    plots = write_plots(tmp_path)
    result = CliRunner().invoke(main, ["zonal", str(plots), str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cut.tif" in result.output and ("truncated or damaged" in result.output
                                           or "cannot open the raster" in result.output)


def test_gbk_file_names_are_read(tmp_path):
    raster = tmp_path / f"{os.fsdecode('植被'.encode('gbk'))}.tif"
    os.rename(write_ndvi(tmp_path / "ndvi.tif", np.full((4, 8), 0.5)), raster)
    layer_path = tmp_path / f"{os.fsdecode('道路'.encode('gbk'))}.gpkg"
    write_plots(tmp_path).rename(layer_path)
    layer = read_layer(layer_path)
    [note] = layer.attrs["load_report"].select("source.file_name")
    assert note.message.endswith("read as GB18030: '道路'")
    assert zonal_stats(layer, raster)["mean"].tolist() == [0.5, 0.5]


# --------------------------------------------------------------------------- careless config


def _project_with(tmp_path: Path, replace: tuple[str, str] | None = None,
                  text: str | None = None, data: bytes | None = None) -> Path:
    project = write_tiny_project(tmp_path)
    if replace is not None:
        project.write_text(project.read_text(encoding="utf-8").replace(*replace),
                           encoding="utf-8")
    if text is not None:
        project.write_text(text, encoding="utf-8")
    if data is not None:
        project.write_bytes(data)
    return project


def _one_line(command: list[str]) -> str:
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("错误 error")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_bom_in_project_toml_is_read(tmp_path):
    project = _project_with(tmp_path)
    project.write_bytes(b"\xef\xbb\xbf" + project.read_bytes())
    assert load_project(project).name == "示例县"


def test_a_gbk_project_toml_is_one_line(tmp_path):
    project = _project_with(tmp_path)
    project.write_bytes(project.read_text(encoding="utf-8").encode("gbk"))
    assert "not UTF-8 text" in _one_line(["progress", str(project)])
    assert "save it as UTF-8" in _one_line(["progress", str(project)])


def test_deeply_nested_toml_is_one_line(tmp_path):
    project = _project_with(tmp_path)
    project.write_text(project.read_text(encoding="utf-8") + "\ndeep = " + "[" * 50_000
                       + "]" * 50_000 + "\n", encoding="utf-8")
    assert "nested too deeply" in _one_line(["progress", str(project)])
    targets = tmp_path / "targets.toml"
    targets.write_text("x = " + "[" * 50_000 + "]" * 50_000, encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        county_gis.load_targets(targets)


def test_a_400_digit_target_value_is_one_line(tmp_path):
    project = _project_with(tmp_path)
    targets = tmp_path / "targets.toml"
    text = targets.read_text(encoding="utf-8")
    targets.write_text(text.replace("value = 314", "value = " + "9" * 400), encoding="utf-8")
    line = _one_line(["progress", str(project)])
    assert "value was 99999999999999999999… (400 characters) but must be a positive number" \
        in line


def test_a_boundary_with_a_null_geometry_is_one_line(tmp_path):
    project = _project_with(tmp_path)
    gpd.GeoDataFrame({"name": ["示例县"]}, geometry=[None], crs=CRS).to_file(
        tmp_path / "tiny.gpkg", layer="county")
    assert "the boundary feature has no geometry" in _one_line(["progress", str(project)])


def test_approximate_false_as_text_is_not_true(tmp_path):
    project = _project_with(tmp_path, ("approximate = false", 'approximate = "false"'))
    assert '[townships] approximate = \'false\' must be true or false (without quotes)' in \
        _one_line(["progress", str(project)])
    project = _project_with(tmp_path, ("approximate = false\n", ""))
    towns = gpd.read_file(tmp_path / "tiny.gpkg", layer="towns")
    towns["approximate"] = ["false", "是", None]
    towns.to_file(tmp_path / "tiny.gpkg", layer="towns")
    assert load_project(project).townships["approximate"].tolist() == [False, True, True]


def test_deep_kml_and_a_renamed_xls_are_one_line(tmp_path):
    deep = tmp_path / "deep.kml"
    deep.write_text('<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                    + "<Folder>" * 5000 + "</Folder>" * 5000 + "</Document></kml>",
                    encoding="utf-8")
    assert "elements are nested more than 200 deep" in _one_line(["measure", str(deep)])
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    assert "an Excel 97-2003 workbook (.xls) named .xlsx" in _one_line(["measure", str(xls)])


def test_the_map_takes_a_layers_kind_from_its_declaration(tmp_path):
    from county_gis.render._layers import layer_kind

    project = _project_with(tmp_path, ("[layers.plots]", "[layers.road_rebuild]"))
    loaded = load_project(project)
    assert layer_kind("road_rebuild", loaded.layers["road_rebuild"]).value == "afforestation"


def test_an_empty_file_and_a_folder_named_like_a_layer_are_one_line(tmp_path):
    (tmp_path / "empty.geojson").write_bytes(b"")
    assert "the file is empty (0 bytes)" in _one_line(["measure", str(tmp_path / "empty.geojson")])
    (tmp_path / "roads.gpkg").mkdir()
    with pytest.raises(LayerReadError, match=r"roads\.gpkg: a folder, not a GPKG file"):
        read_layer(tmp_path / "roads.gpkg")
