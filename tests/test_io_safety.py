"""Nothing lost: read-only opens, hot journals, archive limits, record counts, atomic writes."""

from __future__ import annotations

import hashlib
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


def test_missing_dbf_is_an_error(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK")
    path.with_suffix(".dbf").unlink()
    with pytest.raises(LayerReadError, match=r"the \.dbf is missing"):
        read_layer(path)


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


def test_zip_total_limit_counts_bytes_actually_read(tmp_path):
    archive = zip_files(tmp_path / "big.zip", {"a.csv": b"x" * 3000, "b.txt": b"y" * 3000})
    with pytest.raises(LayerReadError, match="inflate to more than 5,000 bytes"):
        extract_limited(archive, tmp_path / "out", report=None, max_total_bytes=5000)


def test_zip_member_count_limit(tmp_path):
    archive = zip_files(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(5)})
    with pytest.raises(LayerReadError, match="5 members, more than the limit of 4"):
        extract_limited(archive, tmp_path / "out", report=None, max_members=4)


def test_zip_path_traversal_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../evil.geojson", b"{}")
    with pytest.raises(LayerReadError, match=r"member '\.\./evil\.geojson' would be written "
                       "outside the extraction folder"):
        read_layer(archive)
    assert not (tmp_path.parent / "evil.geojson").exists()


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
    before = (_digest(path), _digest(journal))
    out = read_layer(path)
    assert len(out) == 2000 and out["name"].iloc[0] == "p0"  # the committed state
    assert (_digest(path), _digest(journal)) == before  # nothing rolled back in place
    assert out.attrs["load_report"].select("source.sqlite_journal")


def test_inputs_unchanged(tmp_path):
    path = shapefile(tmp_path, plots_gdf(), encoding="GBK", cpg=None, prj=None)
    before = {p.name: _digest(p) for p in tmp_path.iterdir()}
    read_layer(path)
    assert {p.name: _digest(p) for p in tmp_path.iterdir()} == before


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
