"""Nothing lost: read-only opens, hot journals, archive limits, record counts, atomic writes."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import stat
import subprocess
import sys
import zipfile

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from county_gis import LayerReadError, OutputExistsError, read_layer, write_layer
from county_gis.io._archive import extract_limited
from io_corpus import (
    LAT,
    LON,
    drop_last_dbf_record,
    lying_zip,
    plots_gdf,
    shapefile,
    write,
    zip_files,
    zip_shapefile,
)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_record_count_mismatch_is_an_error(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK")
    drop_last_dbf_record(path)
    with pytest.raises(LayerReadError, match=r"record counts disagree \(\.shp 3, \.dbf 2, "
                       r"\.shx 3\); .*GDAL would silently return 2 features"):
        read_layer(path)


@pytest.mark.parametrize("engine", ["pyogrio", "fiona"])
def test_missing_dbf_reads_the_shapes_and_says_the_attributes_are_lost(tmp_path, engine):
    # GDAL reads a .shp without its .dbf (shapes, no attributes): so does county_gis, saying so
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK")
    path.with_suffix(".dbf").unlink()
    gdf = read_layer(path, engine=engine)
    assert len(gdf) == 3
    assert gdf.geometry.normalize().geom_equals_exact(plots_gdf().geometry.normalize(),
                                                      tolerance=1e-9).all()
    assert gdf["status"].isna().all() and "name" not in gdf.columns
    report = gdf.attrs["load_report"]
    [note] = report.select("shapefile.no_dbf")
    assert note.severity.value == "problem"
    assert note.message.startswith("the .dbf is missing: the 3 shape(s) are read without "
                                   "attributes (no names, status or stated areas). Copy the "
                                   "whole shapefile")
    assert report.encoding is None and report.encoding_evidence == "no .dbf: the layer has no text"


@pytest.mark.parametrize("engine", ["pyogrio", "fiona"])
def test_zipped_shapefile(tmp_path, engine):
    shp = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None)
    archive = zip_shapefile(tmp_path / "plots.zip", shp)
    gdf = read_layer(archive, engine=engine)
    assert gdf["name"].tolist() == ["扎兰营子造林", "大板镇抚育", "福兴地补播"]
    [note] = gdf.attrs["load_report"].select("source.archive")
    assert note.message.startswith("read plots.shp from the archive (4 members")


def test_zip_bomb_refused(tmp_path):
    archive = zip_files(tmp_path / "bomb.zip", {"plots.geojson": b" " * (50 * 1024 * 1024)})
    assert archive.stat().st_size < 200_000
    with pytest.raises(LayerReadError, match=r"member 'plots\.geojson' inflates more than 200 "
                       r"times its compressed size .*refused \(zip bomb\)"):
        read_layer(archive)


def test_zip_total_limit_counts_bytes_actually_inflated(tmp_path):
    archive = zip_files(tmp_path / "big.zip", {"a.csv": b"x" * 3000, "b.txt": b"y" * 3000})
    with pytest.raises(LayerReadError, match=r"big\.zip: members inflate to more than 5,000 "
                       r"bytes; refused \(zip bomb or too large\)"):
        extract_limited(archive, tmp_path / "out", report=None, max_total_bytes=5000)
    assert (tmp_path / "out" / "a.csv").stat().st_size == 3000
    assert (tmp_path / "out" / "b.txt").stat().st_size == 0  # stopped before writing past it


def test_zip_member_lying_about_its_size_refused(tmp_path):
    # the directory says 1,000 bytes, the member inflates to 3 MiB
    archive = lying_zip(tmp_path / "lie.zip", "plots.csv", b"x" * (3 << 20), declared=1000)
    with pytest.raises(LayerReadError, match=r"lie\.zip: member 'plots\.csv' is corrupt or its "
                       r"declared size \(1,000 bytes\) is false: Bad CRC-32"):
        extract_limited(archive, tmp_path / "out", report=None)
    # zipfile stops at the declared 1,000 bytes and checks the CRC in that same read
    assert (tmp_path / "out" / "plots.csv").stat().st_size == 0
    with pytest.raises(LayerReadError, match="is corrupt or its declared size"):
        read_layer(archive)


def test_zip_member_count_limit(tmp_path):
    archive = zip_files(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(5)})
    with pytest.raises(LayerReadError, match="5 members, more than the limit of 4"):
        extract_limited(archive, tmp_path / "out", report=None, max_members=4)


@pytest.mark.parametrize("member", ["../evil.geojson", "a/../../evil.geojson",
                                    "/tmp/evil.geojson", "C:/evil.geojson", "..\\evil.geojson"])
def test_zip_path_traversal_refused(tmp_path, member):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member, b"{}")
    with pytest.raises(LayerReadError, match=rf"member {re.escape(repr(member))} would be written "
                       "outside the extraction folder; refused"):
        read_layer(archive)
    assert not (tmp_path.parent / "evil.geojson").exists()


def test_zip_symlink_member_refused(tmp_path):
    archive = tmp_path / "link.zip"
    info = zipfile.ZipInfo("plots.geojson")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(LayerReadError, match=r"member 'plots\.geojson' is a symbolic link; "
                       "refused"):
        read_layer(archive)


def _state(*paths):
    """Bytes and modification time of each file: what 'never changed' means."""
    return {p.name: (_digest(p), p.stat().st_mtime_ns) for p in paths}


def test_hot_journal_not_rolled_back_in_place(tmp_path):
    gdf = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(2000)]},
                           geometry=[Point(LON, LAT)] * 2000, crs=4490)
    path = tmp_path / "hot.gpkg"
    write(gdf, path, layer="plots", layer_options={"SPATIAL_INDEX": "NO"})
    # a writer that dies mid-transaction after its changes spilled to the file
    crash = (
        "import os, sqlite3\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=DELETE'); c.execute('PRAGMA cache_size=1')\n"
        "c.execute('BEGIN'); c.execute(\"UPDATE plots SET name = 'changed'\")\n"
        "c.execute('DELETE FROM plots WHERE fid > 1000')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash], check=True)
    journal = tmp_path / "hot.gpkg-journal"
    assert journal.exists()
    before = _state(path, journal)
    out = read_layer(path)
    assert len(out) == 2000 and out["name"].iloc[0] == "p0"  # the committed state
    assert _state(path, journal) == before  # nothing rolled back in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hot.gpkg", "hot.gpkg-journal"]
    [note] = out.attrs["load_report"].select("source.sqlite_journal")
    assert note.message.startswith("hot.gpkg-journal next to the GeoPackage")


def test_wal_not_checkpointed_in_place(tmp_path):
    gdf = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(500)]},
                           geometry=[Point(LON, LAT)] * 500, crs=4490)
    path = write(gdf, tmp_path / "wal.gpkg", layer="plots",
                 layer_options={"SPATIAL_INDEX": "NO"})
    # a writer in WAL mode commits one change (kept in the -wal, not checkpointed), starts a
    # second one whose pages spill into the -wal too, and dies
    crash = (
        "import os, sqlite3\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute('PRAGMA cache_size=1')\n"
        "c.execute(\"UPDATE plots SET name = 'committed' WHERE fid = 1\")\n"
        "c.execute('BEGIN'); c.execute(\"UPDATE plots SET name = 'uncommitted'\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash], check=True)
    side = [tmp_path / "wal.gpkg-wal", tmp_path / "wal.gpkg-shm"]
    assert all(p.exists() for p in side)
    before = _state(path, *side)
    for engine in ("pyogrio", "fiona"):
        out = read_layer(path, engine=engine)
        assert out["name"].tolist()[:3] == ["committed", "p1", "p2"]  # the last commit only
        assert _state(path, *side) == before
    [note] = out.attrs["load_report"].select("source.sqlite_journal")
    assert note.message.startswith("wal.gpkg-wal, wal.gpkg-shm next to the GeoPackage")


def test_wal_mode_geopackage_left_as_it_was(tmp_path):
    path = write(plots_gdf(), tmp_path / "w.gpkg", layer="plots",
                 layer_options={"SPATIAL_INDEX": "NO"})
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gpkg"]
    before = _state(path)
    for engine in ("pyogrio", "fiona"):
        assert len(read_layer(path, engine=engine)) == 3
    assert _state(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gpkg"]


def _unchanged_case(folder, fmt):
    gdf = plots_gdf()
    if fmt == "shp":
        return shapefile(folder, gdf, encoding="GBK", cpg=None, prj=None)
    if fmt == "shp_fixed":  # parts repaired in a temporary copy: no .shx, names cut in half
        path = shapefile(folder, gdf, encoding="UTF-8", cpg="UTF-8")
        path.with_suffix(".shx").unlink()
        return path
    if fmt == "zip":
        return zip_shapefile(folder / "plots.zip",
                             shapefile(folder / "parts", gdf, encoding="GBK", cpg=None))
    if fmt == "geojson_gbk":  # transcoded to a UTF-8 copy
        path = write(gdf, folder / "plots.geojson")
        path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
        return path
    if fmt == "csv":
        path = folder / "plots.csv"
        path.write_bytes("名称,经度,纬度\n甲,121.6,42.1\n".encode("gbk"))
        return path
    return write(gdf, folder / f"plots.{fmt}")


@pytest.mark.parametrize("fmt", ["shp", "shp_fixed", "zip", "gpkg", "geojson_gbk", "fgb", "csv"])
def test_inputs_unchanged(tmp_path, fmt):
    (tmp_path / "parts").mkdir()
    path = _unchanged_case(tmp_path, fmt)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    before = _state(*files)
    for engine in ("pyogrio", "fiona"):
        read_layer(path, engine=engine)
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == sorted(files)
    assert _state(*files) == before


def test_write_layer_keeps_other_layers(tmp_path):
    out = tmp_path / "project.gpkg"
    plots = read_layer(write(plots_gdf(), tmp_path / "src.gpkg"))
    write_layer(plots, out, layer="afforestation")
    write_layer(plots.iloc[:1], out, layer="mines")
    with pytest.raises(OutputExistsError, match="already has a layer 'mines'; pass "
                       "overwrite=True"):
        write_layer(plots, out, layer="mines")
    write_layer(plots.iloc[:2], out, layer="mines", overwrite=True)
    assert [name for name, _ in pyogrio.list_layers(out)] == ["afforestation", "mines"]
    assert pyogrio.read_info(out, layer="mines")["features"] == 2
    assert pyogrio.read_info(out, layer="afforestation")["features"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.gpkg", "src.gpkg"]


def test_write_layer_refuses_existing_file(tmp_path):
    out = tmp_path / "plots.geojson"
    out.write_text("{}", encoding="utf-8")
    gdf = plots_gdf()
    with pytest.raises(OutputExistsError, match="exists; pass overwrite=True"):
        write_layer(gdf, out)
    assert out.read_text(encoding="utf-8") == "{}"
    write_layer(gdf, out, overwrite=True)
    assert len(read_layer(out)) == 3


def test_missing_shx_rebuilt_in_a_copy(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="GBK")
    path.with_suffix(".shx").unlink()
    gdf = read_layer(path)
    assert gdf["project_id"].tolist() == ["ZL-01", "ZL-02", "ZL-03"]
    assert gdf.attrs["load_report"].select("shapefile.no_shx")
    assert not path.with_suffix(".shx").exists()


def test_shx_count_mismatch(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="GBK")
    shx = path.with_suffix(".shx")
    shx.write_bytes(shx.read_bytes()[:-8])
    with pytest.raises(LayerReadError, match=r"record counts disagree \(\.shp 3, \.dbf 3, "
                       r"\.shx 2\)"):
        read_layer(path)


def test_write_layer_crash_leaves_the_original_and_no_temporary_file(tmp_path, monkeypatch):
    from county_gis.io import _write

    out = tmp_path / "project.gpkg"
    write_layer(plots_gdf(), out, layer="afforestation")
    before = _state(out)
    staged = []

    def dies_half_way(frame, path, *, layer, driver):
        staged.append(path)
        pyogrio.write_dataframe(frame.iloc[:1], path, layer=layer, driver=driver)
        raise OSError("disk full")

    monkeypatch.setattr(_write, "_write", dies_half_way)
    with pytest.raises(OSError, match="disk full"):
        write_layer(plots_gdf(), out, layer="mines")
    assert _state(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.gpkg"]
    # the temporary file was in the target folder (so the final rename is atomic) and had the
    # format's suffix (GDAL checks it)
    [path] = staged
    assert path.parent == tmp_path and path.name.startswith(".project.gpkg.")
    assert path.suffix == ".gpkg"


def test_write_layer_refuses_a_geopackage_open_elsewhere(tmp_path):
    from county_gis.errors import LayerWriteError

    out = tmp_path / "project.gpkg"
    write_layer(plots_gdf(), out, layer="afforestation")
    journal = tmp_path / "project.gpkg-wal"
    journal.write_bytes(b"")
    before = _state(out, journal)
    with pytest.raises(LayerWriteError, match=r"project\.gpkg: project\.gpkg-wal next to it: "
                       r"another program has the GeoPackage open"):
        write_layer(plots_gdf(), out, layer="mines")
    assert _state(out, journal) == before


def test_deleted_dbf_record_listed(tmp_path):
    import struct

    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="GBK")
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    _, header_length, record_length = struct.unpack("<IHH", data[4:12])
    data[header_length + record_length] = ord("*")  # record 1 marked deleted
    dbf.write_bytes(bytes(data))
    gdf = read_layer(path)
    assert gdf["source_fid"].tolist() == [0, 2]
    [note] = gdf.attrs["load_report"].select("shapefile.deleted_record")
    assert (note.fid, note.severity.value) == (1, "problem")
    assert note.message.startswith("the .dbf marks this record deleted")


def test_truncated_shp_is_an_error(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg="GBK")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(LayerReadError, match=r"plots\.shp: record 2 runs past the end of the "
                       r"file; the \.shp is truncated"):
        read_layer(path)


def test_write_layer_fsyncs_then_renames_into_place(tmp_path, monkeypatch):
    from county_gis import _atomic

    events = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd):
        events.append(("fsync", os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))))
        real_fsync(fd)

    def link(src, dst):
        events.append(("link", os.path.basename(src), os.path.basename(dst)))
        real_link(src, dst)

    monkeypatch.setattr(_atomic.os, "fsync", fsync)
    monkeypatch.setattr(_atomic.os, "link", link)
    out = tmp_path / "plots.gpkg"
    write_layer(plots_gdf(), out, layer="造林")
    tmp_name = events[0][1]
    assert tmp_name.startswith(".plots.gpkg.") and tmp_name.endswith(".tmp")
    assert events == [("fsync", tmp_name), ("link", tmp_name, "plots.gpkg"),
                      ("fsync", tmp_path.name)]  # the file, the rename, the folder
    assert len(read_layer(out)) == 3
