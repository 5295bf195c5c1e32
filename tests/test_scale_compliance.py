"""三区三线 compliance in the province run: zones cut at county lines, exact roll-ups, dask."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, box

from county_gis import Project, compliance, geodesic_area, geodesic_length, load_project
from county_gis.analysis.compliance import ZoneLayer, project_zones
from county_gis.scale import (
    COMPLIANCE_COLUMNS,
    RESULTS,
    county_compliance,
    liaoning_counties,
    partition,
    read_county_zones,
    run,
)

FUXIN, ZHANGWU, BEIPIAO = 210921, 210922, 211381
AMOUNTS = ["area_m2", "area_mu", "length_km"]


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return liaoning_counties().set_index("adcode", drop=False)


def _border_point(counties: gpd.GeoDataFrame, a: int, b: int) -> tuple[float, float]:
    line = shapely.line_merge(shapely.intersection(counties.geometry[a].boundary,
                                                   counties.geometry[b].boundary))
    longest = max(shapely.get_parts(line), key=lambda g: g.length)
    point = shapely.line_interpolate_point(longest, 0.5, normalized=True)
    return float(point.x), float(point.y)


@pytest.fixture(scope="module")
def data(counties):
    """Plots in three counties, one across the Fuxin / Zhangwu line, a road Fuxin → Beipiao;
    永久基本农田 around two Fuxin plots and across the county line; 生态保护红线 across it."""
    plots = []
    for code in (FUXIN, ZHANGWU, BEIPIAO):
        x, y = counties.geometry[code].representative_point().coords[0]
        plots += [box(x + 0.01 * i, y, x + 0.01 * i + 0.004, y + 0.004) for i in range(6)]
    bx, by = _border_point(counties, FUXIN, ZHANGWU)
    plots.append(shapely.segmentize(box(bx - 0.01, by - 0.01, bx + 0.01, by + 0.01), 0.0005))
    affo = gpd.GeoDataFrame({"kind": "afforestation", "status": "completed",
                             "project_id": [f"A{i}" for i in range(1, len(plots) + 1)],
                             "source_fid": np.arange(1, len(plots) + 1)},
                            geometry=plots, crs="EPSG:4490")
    a = counties.geometry[FUXIN].representative_point()
    b = counties.geometry[BEIPIAO].representative_point()
    road = gpd.GeoDataFrame({"kind": "road_rebuild", "status": ["completed"],
                             "project_id": ["R1"], "source_fid": [1]},
                            geometry=[shapely.segmentize(LineString([a, b]), 0.001)],
                            crs="EPSG:4490")
    x, y = a.coords[0]
    farm = gpd.GeoDataFrame(
        {"DLBM": ["0101", "0103"], "KCXS": [0.05, 0.1], "TBMJ": [4_000_000.0, 11_000_000.0],
         "source_fid": [1, 2]},
        geometry=[box(x - 0.005, y - 0.005, x + 0.02, y + 0.01),
                  shapely.segmentize(box(bx - 0.02, by - 0.02, bx + 0.02, by + 0.02), 0.0005)],
        crs="EPSG:4490")
    red = gpd.GeoDataFrame({"HXBH": ["H1"], "source_fid": [1]}, geometry=[shapely.segmentize(
        box(bx - 0.03, by - 0.03, bx + 0.03, by + 0.03), 0.0005)], crs="EPSG:4490")
    zones = [ZoneLayer.from_frame(farm, version="2023 报部版", effective="2023-06-30",
                                  dataset="三区三线.gdb:YJJBNTBHTB", label="合成数据，非法定成果"),
             ZoneLayer.from_frame(red, version="2023 报部版", effective="2023-06-30",
                                  dataset="三区三线.gdb:STBHHX", label="合成数据，非法定成果")]
    return {"afforestation": affo, "road_rebuild": road}, zones


@pytest.fixture(scope="module")
def parts(data, tmp_path_factory):
    layers, zones = data
    return partition(layers, tmp_path_factory.mktemp("scalec") / "parts", zones=zones)


@pytest.fixture(scope="module")
def serial(parts):
    return run(parts.root, targets=[])


def _rows(table: pd.DataFrame, **where) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


def test_zones_are_cut_at_county_lines_and_tbmj_apportioned(parts, data, counties):
    _, zones = data
    root = parts.root
    assert (parts.zones, parts.zone_pieces) == (2, 5)  # F1; F2 and the red line in 2 each
    manifest = json.loads((root / "_manifest.json").read_text(encoding="utf-8"))
    meta = manifest["zones"]
    assert [(z["type"], z["file"], z["cut"], z["counties"]) for z in meta] == [
        ("永久基本农田", "zone-0.parquet", 1, [FUXIN, ZHANGWU]),
        ("生态保护红线", "zone-1.parquet", 1, [FUXIN, ZHANGWU])]
    assert meta[0]["dataset"] == "三区三线.gdb:YJJBNTBHTB" and meta[0]["evidence"] == \
        "name contains 'YJJBNT'; fields DLBM, KCXS"
    assert not (root / "_zones" / f"adcode={BEIPIAO}").exists()
    fuxin = read_county_zones(root, FUXIN, meta)
    zhangwu = read_county_zones(root, ZHANGWU, meta)
    assert [len(z.frame) for z in fuxin] == [2, 1] and [len(z.frame) for z in zhangwu] == [1, 1]
    assert read_county_zones(root, BEIPIAO, meta) == []
    # the 图斑 across the line: its pieces' TBMJ add up to its TBMJ, shares by geodesic area
    pieces = pd.concat([fuxin[0].frame[fuxin[0].frame["source_fid"] == 2], zhangwu[0].frame])
    assert math.fsum(pieces["TBMJ"].tolist()) == pytest.approx(11_000_000.0, rel=1e-12)
    share = geodesic_area(pieces).to_numpy() / float(geodesic_area(zones[0].frame.iloc[[1]])
                                                     .iloc[0])
    assert pieces["TBMJ"].to_numpy() == pytest.approx(share * 11_000_000.0, rel=1e-9)
    # the layers' hive dataset does not see the zones (the folder starts with "_")
    import pyarrow.dataset as ds
    table = ds.dataset(root, format="parquet", partitioning="hive").to_table(columns=["layer"])
    assert set(table.column("layer").to_pylist()) == {"afforestation", "road_rebuild"}


def test_each_county_equals_the_single_county_path_bit_for_bit(serial, parts):
    meta = json.loads((parts.root / "_manifest.json").read_text(encoding="utf-8"))["zones"]
    for code in (FUXIN, ZHANGWU, BEIPIAO):
        part = gpd.read_parquet(parts.root / f"adcode={code}" / "part-0.parquet")
        layers = {k: gpd.GeoDataFrame(g.drop(columns="layer").reset_index(drop=True),
                                      crs="EPSG:4490")
                  for k, g in part.groupby("layer", sort=False)}
        single = county_compliance(Project.from_layers(layers, targets=[]),
                                   zones=read_county_zones(parts.root, code, meta))
        streamed = _rows(serial.compliance.county, adcode=code).reset_index(drop=True)
        assert len(streamed) == 12  # 3 zone types × 冲突 / 需论证 / 无冲突 / 未核查
        pd.testing.assert_frame_equal(streamed[COMPLIANCE_COLUMNS], single, check_exact=True)


def test_a_county_without_zone_data_is_unchecked_never_clear(serial):
    county = serial.compliance.county
    beipiao = _rows(county, adcode=BEIPIAO)
    # 6 plots and the road's piece, every zone type: 未核查
    assert _rows(beipiao, result="未核查")["n_pieces"].tolist() == [7, 7, 7]
    assert int(beipiao[beipiao["result"] != "未核查"]["n_pieces"].sum()) == 0
    assert _rows(beipiao, result="未核查")[AMOUNTS].isna().all().all()
    # Zhangwu holds pieces of 永久基本农田 and 生态保护红线, none of 城镇开发边界
    zhangwu = _rows(county, adcode=ZHANGWU).set_index(["zone_type", "result"])
    assert zhangwu.loc[("城镇开发边界", "未核查"), "n_pieces"] == 7
    assert zhangwu.loc[("永久基本农田", "未核查"), "n_pieces"] == 0
    assert zhangwu.loc[("永久基本农田", "无冲突"), "n_pieces"] == 6
    assert zhangwu.loc[("永久基本农田", "冲突"), "n_pieces"] == 1  # the crossing plot's piece


def test_conflicts_review_and_areas_by_hand(serial, data, parts):
    layers, zones = data
    plots, road = layers["afforestation"], layers["road_rebuild"]
    province = serial.compliance.province.set_index(["zone_type", "result"])
    # 永久基本农田 × 造林 → 禁止: plots 1 and 2 (inside F1) and the crossing plot (inside F2)
    farm = province.loc[("永久基本农田", "冲突")]
    assert (farm["n_features"], farm["n_pieces"]) == (3, 4)  # the crossing plot counted once
    whole = math.fsum(geodesic_area(plots.iloc[[0, 1, 18]]).tolist())
    assert float(farm["area_m2"]) == pytest.approx(whole, rel=1e-9)
    assert float(farm["area_mu"]) == pytest.approx(whole / (10_000 / 15), rel=1e-9)
    # 永久基本农田 × 农村公路 → 需论证: the road's stretch inside F1
    review = province.loc[("永久基本农田", "需论证")]
    inside = geodesic_length(gpd.GeoSeries([shapely.intersection(
        road.geometry.iloc[0], zones[0].frame.geometry.iloc[0])], crs="EPSG:4490"),
        unit="公里")
    assert int(review["n_pieces"]) == 1
    assert float(review["length_km"]) == pytest.approx(float(inside.iloc[0]), rel=1e-9)
    # 生态保护红线 × 造林 → 允许: no conflict, the area inside still listed
    red = province.loc[("生态保护红线", "无冲突")]
    assert float(red["area_m2"]) == pytest.approx(float(geodesic_area(plots.iloc[[18]]).iloc[0]),
                                                  rel=1e-9)
    assert int(province.loc[("生态保护红线", "冲突"), "n_pieces"]) == 0
    # every feature piece is in one result per zone type
    pieces = parts.pieces  # 19 plots and the road, cut into pieces at county lines
    assert pieces > len(plots) + 1
    for zone_type in ("生态保护红线", "永久基本农田", "城镇开发边界"):
        assert int(province.loc[zone_type, "n_pieces"].sum()) == pieces
        assert int(province.loc[zone_type, "n_features"].sum()) == len(plots) + 1
    assert int(province.loc[("城镇开发边界", "未核查"), "n_pieces"]) == pieces


def test_province_and_city_are_fsum_of_the_county_rows(serial):
    result = serial.compliance
    county = result.county
    assert list(result.province[["zone_type", "result"]].itertuples(index=False, name=None)) \
        == [(z, r) for z in ("生态保护红线", "永久基本农田", "城镇开发边界") for r in RESULTS]
    for _, row in result.province.iterrows():
        rows = _rows(county, zone_type=row["zone_type"], result=row["result"])
        for column in AMOUNTS:
            values = rows[column].dropna().tolist()
            expected = math.fsum(values) if values else math.nan
            assert row[column] == expected or (math.isnan(row[column]) and math.isnan(expected))
        assert row["n_pieces"] == rows["n_pieces"].sum()
    fuxin_city = _rows(result.city, city="阜新市", zone_type="永久基本农田", result="冲突")
    rows = _rows(county, city="阜新市", zone_type="永久基本农田", result="冲突")
    assert float(fuxin_city["area_m2"].iloc[0]) == math.fsum(rows["area_m2"].tolist())


def test_dask_backend_gives_compliance_identical_to_serial(parts, serial):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        result = run(parts.root, backend="dask", client=client, targets=[])
    for name in ("county", "city", "province"):
        pd.testing.assert_frame_equal(getattr(result.compliance, name),
                                      getattr(serial.compliance, name), check_exact=True)
        pd.testing.assert_frame_equal(getattr(result, name), getattr(serial, name),
                                      check_exact=True)


def test_without_zones_compliance_is_off_unless_asked_and_then_unchecked(data, tmp_path):
    layers, _ = data
    done = partition({"road_rebuild": layers["road_rebuild"]}, tmp_path / "parts")
    assert done.zones == 0
    assert run(done.root, targets=[]).compliance is None
    asked = run(done.root, targets=[], compliance=True).compliance
    assert asked.zones == 0
    assert set(asked.province.loc[asked.province["n_pieces"] > 0, "result"]) == {"未核查"}


def test_the_bundled_project_with_its_zones_equals_compliance_in_one_county(tmp_path):
    project = load_project()
    done = partition(project, tmp_path / "parts")  # its [zones.*] come along
    assert done.zones == 3
    result = run(done.root, targets=[]).compliance
    direct = compliance(project, zones=project_zones(project)).table
    province = result.province.set_index(["zone_type", "result"])
    counts = direct.groupby(["zone_type", "status"]).size()
    assert int(province.loc[("生态保护红线", "未核查"), "n_features"]) == 0
    for (zone_type, status), n in counts.items():
        got = province.loc[zone_type]
        if status == "冲突":
            assert int(got.loc["冲突", "n_features"] + got.loc["需论证", "n_features"]) == n
        else:
            assert int(got.loc[status, "n_features"]) == n
    area = math.fsum(direct["area_m2"].dropna().tolist())
    assert math.fsum(result.province["area_m2"].dropna().tolist()) == pytest.approx(area,
                                                                                     rel=1e-9)
