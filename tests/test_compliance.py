"""三区三线 compliance (issue 16): overlay numbers checked independently, rules, slivers, 未核查."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box

import county_gis
from county_gis import ConfigError, CountyGisWarning, DataError, Project, load_project
from county_gis.analysis.compliance import (
    CheckStatus,
    ZoneLayer,
    compliance,
    detect_zone_type,
    load_rules,
)

GRS80 = Geod(ellps="GRS80")
X, Y = 121.60, 42.10  # inside the county


def _geod_area(geom) -> float:
    return abs(GRS80.geometry_area_perimeter(geom)[0])


def _geod_length(geom) -> float:
    return GRS80.geometry_length(geom)


def frame(geoms, crs="EPSG:4490", **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def zone(geoms, ztype, **columns) -> ZoneLayer:
    return ZoneLayer.from_frame(frame(geoms, **columns), type=ztype, version="2023版",
                                effective="2023-06-30", dataset=f"test.gpkg:{ztype}",
                                label="合成数据，非法定成果")


@pytest.fixture
def plots() -> gpd.GeoDataFrame:
    """Three plots: one cut by the zones, one edge to edge with them, one far away."""
    return frame(
        [Polygon([(X, Y), (X + 0.02, Y + 0.001), (X + 0.021, Y + 0.015), (X - 0.001, Y + 0.014)]),
         box(X + 0.05, Y, X + 0.06, Y + 0.01),       # shares the edge x = X + 0.05
         box(X + 0.2, Y + 0.2, X + 0.21, Y + 0.21)],
        kind=["afforestation"] * 3, project_id=["A1", "A2", "A3"], name=["甲", "乙", "丙"],
        township=["大板镇", "大板镇", "福兴地镇"], status=["planned"] * 3)


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    return frame([LineString([(X - 0.01, Y + 0.005), (X + 0.015, Y + 0.007),
                              (X + 0.04, Y + 0.004)]),
                  LineString([(X + 0.05, Y), (X + 0.05, Y + 0.02)])],  # along an edge
                 kind=["road_rebuild"] * 2, project_id=["R1", "R2"], name=["路1", "路2"],
                 township=["大板镇"] * 2, status=["planned"] * 2)


def farmland_zone() -> ZoneLayer:
    tbs = [box(X + 0.005, Y - 0.01, X + 0.03, Y + 0.008),
           box(X + 0.03, Y - 0.01, X + 0.05, Y + 0.03)]
    return zone(tbs, "永久基本农田", DLBM=["0101", "0103"], KCXS=[0.08, 0.12],
                TBMJ=[_geod_area(tbs[0]) * 0.997, _geod_area(tbs[1]) * 1.002])


def redline_zone() -> ZoneLayer:
    return zone([Polygon([(X - 0.005, Y + 0.003), (X + 0.012, Y + 0.002),
                          (X + 0.012, Y + 0.02), (X - 0.005, Y + 0.02)])], "生态保护红线",
                HXBH=["H1"])


def test_overlap_areas_and_lengths_equal_shapely_and_geod(plots, roads):
    project = Project.from_layers({"plots": plots, "roads": roads}, targets=[])
    zones = [farmland_zone(), redline_zone()]
    result = compliance(project, zones=zones)
    over = result.overlaps
    assert len(over) > 0
    for row in over.itertuples():
        f = {"A1": plots.geometry[0], "A2": plots.geometry[1], "R1": roads.geometry[0]}[
            row.project_id]
        z = next(z for z in zones if z.type.value == row.zone_type).frame.geometry[row.zone_fid]
        piece = f.intersection(z)
        if f.geom_type == "Polygon":
            assert row.area_m2 == pytest.approx(_geod_area(piece), rel=1e-9)
            assert row.area_m2 > 20_000  # big enough for Geod's own round-off (README)
        else:
            assert row.length_m == pytest.approx(_geod_length(piece), rel=1e-9)
    t = result.table.set_index(["project_id", "zone_type"])
    # per feature × zone type: the sum over the zone polygons
    a1 = sum(_geod_area(plots.geometry[0].intersection(g)) for g in zones[0].frame.geometry)
    assert t.loc[("A1", "永久基本农田"), "area_m2"] == pytest.approx(a1, rel=1e-9)
    assert t.loc[("A1", "永久基本农田"), "area_mu"] == pytest.approx(a1 * 15 / 10_000, rel=1e-9)
    assert t.loc[("A1", "永久基本农田"), "area_ha"] == pytest.approx(a1 / 10_000, rel=1e-9)
    r1 = sum(_geod_length(roads.geometry[0].intersection(g)) for g in zones[0].frame.geometry)
    assert t.loc[("R1", "永久基本农田"), "length_m"] == pytest.approx(r1, rel=1e-9)
    # KCXS-net: area × (1 − KCXS) per 图斑
    net = sum(_geod_area(plots.geometry[0].intersection(g)) * (1 - k)
              for g, k in zip(zones[0].frame.geometry, [0.08, 0.12], strict=True))
    assert t.loc[("A1", "永久基本农田"), "net_area_m2"] == pytest.approx(net, rel=1e-9)
    # the rule of each row, with its citation
    assert t.loc[("A1", "永久基本农田"), ["status", "verdict"]].tolist() == ["冲突", "禁止"]
    assert "国办发〔2020〕44号" in t.loc[("A1", "永久基本农田"), "citation"]
    assert t.loc[("A1", "生态保护红线"), ["status", "verdict"]].tolist() == ["无冲突", "允许"]
    assert t.loc[("A1", "生态保护红线"), "area_m2"] > 0  # allowed, still listed
    assert t.loc[("R1", "生态保护红线"), ["status", "verdict"]].tolist() == ["冲突", "需论证"]
    assert "142号" in t.loc[("R1", "生态保护红线"), "citation"]
    # every 无冲突 row names the dataset and version it was checked against
    clear = result.table[result.table["status"] == "无冲突"]
    assert (clear["zone_dataset"] != "").all() and (clear["zone_version"] == "2023版").all()
    assert (result.table["citation"].str.len() > 10).all()


def test_pingcha_pieces_add_up_to_tbmj(plots, roads):
    project = Project.from_layers({"plots": plots, "roads": roads}, targets=[])
    result = compliance(project, zones=[farmland_zone()])
    pieces = result.pieces
    assert set(pieces["zone_fid"]) == {0}  # only A1 covers part of a 图斑 (R1 is a line)
    assert pieces["piece"].tolist() == ["<memory>:plots#0", "rest"]
    for _, group in pieces.groupby("zone_fid"):
        tbmj = group["tbmj"].iloc[0]
        assert abs(group["adjusted_m2"].sum() - tbmj) < 0.01
        assert (group["adjusted_m2"] * 100).round(6).mod(1).eq(0).all()  # whole cents
        # each piece scaled by TBMJ / geodesic area of its 图斑
        scale = tbmj / group["zone_area_m2"].iloc[0]
        real = group[group["piece"] != "rest"]
        assert real["adjusted_m2"].to_numpy() == pytest.approx(
            real["area_m2"].to_numpy() * scale, abs=0.01)
    adjusted = result.table.set_index(["project_id", "zone_type"]).loc[
        ("A1", "永久基本农田"), "adjusted_area_m2"]
    assert adjusted == pytest.approx(pieces[pieces["piece"].str.endswith("#0")]
                                     ["adjusted_m2"].sum())


def test_edge_touching_plot_and_road_along_an_edge_give_no_conflict(plots, roads):
    project = Project.from_layers({"plots": plots, "roads": roads}, targets=[])
    result = compliance(project, zones=[farmland_zone()])
    t = result.table.set_index(["project_id", "zone_type"])
    assert t.loc[("A2", "永久基本农田"), "status"] == "无冲突"
    assert t.loc[("A2", "永久基本农田"), "area_m2"] == 0.0
    assert t.loc[("R2", "永久基本农田"), "status"] == "无冲突"  # runs along x = X + 0.05
    assert t.loc[("R2", "永久基本农田"), "length_m"] == 0.0
    edge_only = Project.from_layers({"plots": plots.iloc[[1]]}, targets=[])
    assert len(compliance(edge_only, zones=[farmland_zone()]).conflicts()) == 0


def test_without_farmland_data_the_result_is_unchecked_never_clear(plots):
    project = Project.from_layers({"plots": plots}, targets=[])
    result = compliance(project, zones=[redline_zone()])
    farm = result.table[result.table["zone_type"] == "永久基本农田"]
    assert farm["status"].tolist() == ["未核查"] * 3
    assert farm["zone_dataset"].tolist() == [""] * 3
    assert farm["area_m2"].isna().all()
    assert farm["zone_note"].iloc[0] == "项目中无永久基本农田数据，未核查"
    nothing = compliance(project, zones=[])
    assert set(nothing.table["status"]) == {"未核查"}
    assert nothing.counts().loc["城镇开发边界"].tolist() == [0, 0, 3]


def test_points_are_inside_or_not(plots):
    pts = frame([Point(X + 0.01, Y + 0.01), Point(X + 0.5, Y + 0.5),
                 Point(X + 0.012, Y + 0.01)],  # the last on the red line's edge
                kind=["outfall"] * 3, project_id=["P1", "P2", "P3"])
    result = compliance(Project.from_layers({"pts": pts}, targets=[]), zones=[redline_zone()])
    red = result.table[result.table["zone_type"] == "生态保护红线"]
    assert red["status"].tolist() == ["冲突", "无冲突", "无冲突"]
    assert red["verdict"].tolist() == ["禁止"] * 3


def test_slivers_are_dropped_counted_and_listed():
    plot = box(X, Y, X + 0.01, Y + 0.01)
    # a zone overlapping the plot by a 0.2 m wide strip along its east edge (~220 m²) and a
    # zone overlapping a corner by ~0.5 m²
    strip_deg = 0.2 / (111_320 * np.cos(np.radians(Y)))
    zones = zone([box(X + 0.01 - strip_deg, Y, X + 0.02, Y + 0.01),
                  box(X - 0.001, Y + 0.01 - 6e-6, X + 6e-6, Y + 0.011)], "生态保护红线")
    project = Project.from_layers({"p": frame([plot], kind=["pv_station"], project_id=["S"])},
                                  targets=[])
    result = compliance(project, zones=[zones])
    assert result.table.set_index("zone_type").loc["生态保护红线", "status"] == "无冲突"
    assert result.table.set_index("zone_type").loc["生态保护红线", "n_slivers"] == 2
    s = result.slivers.sort_values("area_m2")
    assert s["why"].tolist() == ["area", "width"]
    assert s["area_m2"].iloc[0] < 1.0
    assert s["area_m2"].iloc[1] == pytest.approx(0.2 * 1113, rel=0.02)
    assert s["width_m"].iloc[1] == pytest.approx(0.2, rel=0.01)
    strict = compliance(project, zones=[zones], sliver_area_m2=0.0, sliver_width_m=0.0)
    assert strict.table.set_index("zone_type").loc["生态保护红线", "status"] == "冲突"
    with pytest.raises(ConfigError, match=r"sliver_width_m was -1 but must be a number ≥ 0 "
                       r"\(default 0.5; CLI --sliver-width-m\)"):
        compliance(project, zones=[zones], sliver_width_m=-1)


def test_overrides_waive_with_reason_and_basis_and_keep_the_original(tmp_path, plots):
    file = tmp_path / "ov.toml"
    file.write_text('[[override]]\nproject_id = "A1"\nzone = "YJJBNTBHTB"\n'
                    'reason = "图斑已调出永久基本农田"\nbasis = "辽自然资函〔2023〕1号"\n'
                    '[[override]]\nproject_id = "NOPE"\nzone = "永久基本农田"\nreason = "x"\n'
                    'basis = "y"\n', encoding="utf-8")
    project = Project.from_layers({"plots": plots}, targets=[])
    with pytest.warns(CountyGisWarning, match=r"override for NOPE × 永久基本农田 matches no "
                      r"feature of the project; correct or remove it"):
        result = compliance(project, zones=[farmland_zone()], overrides=file)
    row = result.table.set_index(["project_id", "zone_type"]).loc[("A1", "永久基本农田")]
    assert (row["status"], row["original_status"]) == ("无冲突", "冲突")
    assert row["override_basis"] == "辽自然资函〔2023〕1号"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[override]]\nproject_id = "A1"\nzone = "永久基本农田"\nreason = "r"\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=r"an override needs reason = .* and basis = "):
        compliance(project, zones=[farmland_zone()], overrides=bad)


def test_every_rule_cites_its_clause_and_bad_rule_files_are_refused(tmp_path):
    book = load_rules()
    assert all(len(r.citation) > 10 for r in book.rules)
    assert book.rule_for("生态保护红线", "road_rebuild").text == \
        "生态保护红线 × 农村公路新改建、维修改造 → 需论证"
    assert book.rule_for("永久基本农田", "afforestation").verdict.value == "禁止"
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nzone = "生态保护红线"\nkind = "*"\nverdict = "禁止"\n'
                   '[[rule]]\nzone = "城镇开发边界"\nkind = "*"\nverdict = "maybe"\n'
                   'citation = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(bad)
    message = str(info.value)
    assert "生态保护红线 × *): citation is missing; every rule cites the clause" in message
    assert "verdict was 'maybe' but is expected to be one of 禁止, 需论证, 允许" in message
    assert "永久基本农田 has no kind = \"*\" rule" in message


def test_a_project_replaces_the_rules(tmp_path, plots):
    own = tmp_path / "rules.toml"
    own.write_text("\n".join(
        f'[[rule]]\nzone = "{z}"\nkind = "*"\nverdict = "允许"\ncitation = "本县规则 第{i}条"'
        for i, z in enumerate(["生态保护红线", "永久基本农田", "城镇开发边界"], start=1)),
        encoding="utf-8")
    project = Project.from_layers({"plots": plots}, targets=[])
    result = compliance(project, zones=[farmland_zone()], rules=own)
    assert len(result.conflicts()) == 0
    assert set(result.table["citation"]) == {"本县规则 第1条", "本县规则 第2条", "本县规则 第3条"}


def test_zone_detection_by_codes_and_fields_refuses_ambiguity():
    assert detect_zone_type("STBHHX", [])[0].value == "生态保护红线"
    assert detect_zone_type("layer", ["JBNTTBBH", "DLBM"])[0].value == "永久基本农田"
    assert detect_zone_type("城镇开发边界2023", [])[0].value == "城镇开发边界"
    with pytest.raises(ConfigError, match=r"zones: the zone type cannot be recognised .*; add "
                       r"type = \"...\" to its \[zones.\*\] table"):
        detect_zone_type("zones", ["NAME"])
    with pytest.raises(ConfigError, match=r"the zone type is ambiguous: 生态保护红线 \(name "
                       r"contains 'STBHHX'\), 永久基本农田 \(fields DLBM, KCXS\)"):
        detect_zone_type("STBHHX", ["DLBM", "KCXS"])


def test_bad_kcxs_and_line_zones_are_refused(plots):
    project = Project.from_layers({"plots": plots}, targets=[])
    bad = zone([box(X, Y, X + 0.01, Y + 0.01)], "永久基本农田", KCXS=[8.0])
    with pytest.raises(DataError, match=r"test.gpkg:永久基本农田#0 \(KCXS\): KCXS 8.0 is not a "
                       r"fraction in \[0, 1\)"):
        compliance(project, zones=[bad])
    with pytest.raises(DataError, match=r"zone layers hold polygons, this one holds LineString"):
        zone([LineString([(X, Y), (X + 1, Y)])], "生态保护红线")


# --- zones declared in project.toml: GPKG, SHP and FileGDB ---

def _project_dir(tmp_path: Path, plots: gpd.GeoDataFrame, zones_toml: str) -> Path:
    plots.to_file(tmp_path / "p.gpkg", layer="afforestation")
    boundary = frame([box(121.1, 41.8, 122.3, 42.5)], name=["县"])
    boundary.to_file(tmp_path / "p.gpkg", layer="county")
    (tmp_path / "project.toml").write_text(
        'name = "测试"\ntargets = "bundled"\n[boundary]\npath = "p.gpkg"\nlayer = "county"\n'
        '[layers.afforestation]\npath = "p.gpkg"\nlayer = "afforestation"\n'
        'kind = "afforestation"\n' + zones_toml, encoding="utf-8")
    return tmp_path


def test_zones_from_project_toml_in_gpkg_shp_and_filegdb(tmp_path, plots):
    farm = farmland_zone().frame.drop(columns=[c for c in farmland_zone().frame.columns
                                               if c not in ("DLBM", "KCXS", "TBMJ", "geometry")])
    red = redline_zone().frame[["HXBH", "geometry"]]
    assert "w" in pyogrio.list_drivers()["OpenFileGDB"]  # GDAL ≥ 3.6 writes FileGDB
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        farm.to_file(tmp_path / "三区三线.gdb", layer="永久基本农田保护图斑", driver="OpenFileGDB")
        red.to_file(tmp_path / "STBHHX.shp", encoding="UTF-8")
    urban = frame([box(X + 0.3, Y, X + 0.4, Y + 0.1)])
    urban.to_file(tmp_path / "z.gpkg", layer="CZKFBJ")
    folder = _project_dir(tmp_path, plots, (
        '[zones.farmland]\npath = "三区三线.gdb"\nlayer = "永久基本农田保护图斑"\n'
        'version = "2023"\neffective = "2023-06-30"\nlabel = "合成数据，非法定成果"\n'
        '[zones.redline]\npath = "STBHHX.shp"\nversion = "2023"\neffective = "2023-06-30"\n'
        '[zones.urban]\npath = "z.gpkg"\nlayer = "CZKFBJ"\nversion = "v1"\n'
        'effective = "2024-01-01"\n'))
    project = load_project(folder)
    result = compliance(project)
    zones = result.zones.set_index("zone_type")
    assert zones.loc["永久基本农田", "dataset"] == "三区三线.gdb:永久基本农田保护图斑"
    assert zones.loc["永久基本农田", "type_evidence"].startswith("name contains '永久基本农田'")
    assert zones.loc["生态保护红线", "type_evidence"] == "name contains 'STBHHX'; fields HXBH"
    assert zones.loc["城镇开发边界", "n_features"] == 1
    t = result.table.set_index(["project_id", "zone_type"])
    a1 = sum(_geod_area(plots.geometry[0].intersection(g)) for g in farm.geometry)
    assert t.loc[("A1", "永久基本农田"), "area_m2"] == pytest.approx(a1, rel=1e-9)
    assert t.loc[("A1", "永久基本农田"), "zone_note"] == "合成数据，非法定成果"
    assert t.loc[("A1", "城镇开发边界"), "status"] == "无冲突"
    assert t.loc[("A1", "城镇开发边界"), "zone_version"] == "v1"
    assert t.loc[("A1", "永久基本农田"), "place"] == "p.gpkg:afforestation#1"  # GPKG fids start at 1


def test_zone_tables_are_validated_all_at_once(tmp_path, plots):
    folder = _project_dir(tmp_path, plots, (
        '[zones.a]\npath = "missing.gpkg"\nversion = "1"\n'
        '[zones.b]\npath = "p.gpkg"\ntype = "红色"\nversion = "1"\neffective = "2023-13-01"\n'
        'colour = "red"\n'))
    with pytest.raises(ConfigError) as info:
        compliance(load_project(folder))
    message = str(info.value)
    assert "5 problem(s) in [zones]" in message
    assert "[zones.a] path 'missing.gpkg'" in message
    assert "[zones.a] needs effective = \"...\"" in message
    assert "[zones.b] unknown key(s) colour" in message
    assert "[zones.b] zone type was '红色'" in message
    assert "[zones.b] effective = '2023-13-01' is not a date (YYYY-MM-DD)" in message


def test_public_api():
    assert county_gis.compliance is compliance
    assert [s.value for s in CheckStatus] == ["冲突", "无冲突", "未核查"]
    summary = compliance(Project.from_layers({}, targets=[]), zones=[]).summary()
    assert isinstance(summary, pd.DataFrame) and summary.empty
    assert shapely.__version__  # used above via shapely geometries


# --- the bundled project, the 汇总表, the CLI and the map ---

@pytest.fixture(scope="module")
def bundled():
    return compliance(load_project())


def test_the_bundled_project_finds_what_was_placed(bundled):
    t = bundled.table.set_index(["project_id", "zone_type"])
    assert t.loc[("NL-005", "生态保护红线"), ["status", "verdict"]].tolist() == ["冲突", "需论证"]
    assert t.loc[("NL-005", "生态保护红线"), "length_m"] > 1000
    assert t.loc[("ZL-003", "永久基本农田"), ["status", "verdict"]].tolist() == ["冲突", "禁止"]
    assert t.loc[("KS-001", "城镇开发边界"), ["status", "verdict"]].tolist() == ["冲突", "需论证"]
    assert t.loc[("ZL-010", "生态保护红线"), ["status", "verdict"]].tolist() == ["无冲突", "允许"]
    assert t.loc[("ZL-020", "永久基本农田"), ["status", "area_m2", "n_slivers"]].tolist() == [
        "无冲突", 0.0, 0]  # drawn edge to edge with a 图斑
    assert set(bundled.zones["label"]) == {"合成数据，非法定成果"}
    assert (bundled.table["zone_note"] == "合成数据，非法定成果").all()
    assert "未核查" not in set(bundled.table["status"])
    for _, group in bundled.pieces.groupby(["zone_dataset", "zone_fid"]):
        assert abs(group["adjusted_m2"].sum() - group["tbmj"].iloc[0]) < 0.01


def test_the_summary_xlsx_has_the_layout_and_the_totals(bundled, tmp_path):
    import openpyxl

    from county_gis.compliance_report import write_compliance

    out = write_compliance(bundled, tmp_path / "汇总表.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["按项目", "按乡镇", "明细", "平差", "碎片", "核查说明"]
    sheet = book["按乡镇"]
    assert sheet["A1"].value.endswith("三区三线指标汇总表")
    assert "合成数据，非法定成果" in sheet["A2"].value
    assert [c.value for c in sheet[3]][:4] == ["序号", "乡镇", "项目数", "生态保护红线"]
    assert [c.value for c in sheet[4]][3:9] == ["面积(公顷)", "长度(米)", "面积(公顷)",
                                               "扣除KCXS后(公顷)", "平差后(公顷)", "长度(米)"]
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[0] == "合计"
    by_town = bundled.summary(by="township")
    assert last[2] == by_town["n_features"].sum() == bundled.table["place"].nunique()
    assert last[6] == pytest.approx(by_town["YJJBNTBHTB_net_ha"].sum())
    farm = bundled.table[bundled.table["zone_type"] == "永久基本农田"]
    assert last[5] == pytest.approx(farm["area_m2"].sum() / 10_000)
    project_sheet = book["按项目"]
    assert project_sheet.max_row == 4 + bundled.table["place"].nunique() + 1
    detail = book["明细"]
    assert [c.value for c in detail[1]][:3] == ["图层", "位置", "项目编号"]
    assert all(row[11] for row in detail.iter_rows(min_row=2, values_only=True))  # 依据条款
    with pytest.raises(county_gis.OutputExistsError):
        write_compliance(bundled, out)
    with pytest.raises(ConfigError, match=r"suffix '.pdf'; allowed: .xlsx, .csv"):
        write_compliance(bundled, tmp_path / "x.pdf")
    csv = write_compliance(bundled, tmp_path / "明细.csv")
    assert csv.read_text(encoding="utf-8-sig").splitlines()[0].startswith("图层,位置,项目编号")


def test_formula_text_stays_text_in_the_xlsx(tmp_path):
    import openpyxl

    from county_gis.compliance_report import write_compliance

    plots = frame([box(X, Y, X + 0.01, Y + 0.01)], kind=["afforestation"],
                  project_id=["=1+1"], name=["=HYPERLINK(\"http://x\")"], township=["@SUM(A1)"])
    result = compliance(Project.from_layers({"p": plots}, targets=[]), zones=[farmland_zone()])
    out = write_compliance(result, tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(out)["按项目"]
    assert [c.value for c in sheet[5]][1:3] == ["'=1+1", "'=HYPERLINK(\"http://x\")"]
    assert sheet.cell(5, 2).data_type == "s"


def test_cli_compliance_writes_the_summary_the_map_and_the_jzd(tmp_path):
    from click.testing import CliRunner

    from county_gis.cli import main

    out, html, jzd = tmp_path / "汇总表.xlsx", tmp_path / "map.html", tmp_path / "界址点.txt"
    result = CliRunner().invoke(main, ["compliance", "--out", str(out), "--map", str(html),
                                       "--jzd", str(jzd)])
    assert result.exit_code == 0, result.output
    assert "三区三线核查" in result.output and "合成数据，非法定成果" in result.output
    assert "NL-005" in result.output and "需论证" in result.output
    assert out.is_file() and html.is_file() and jzd.is_file()
    page = html.read_text(encoding="utf-8")
    assert "三区三线压占 · 冲突 (合成数据，非法定成果)" in page
    assert "自然资发〔2022〕142号" in page
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert read_back(jzd) > 100
    again = CliRunner().invoke(main, ["compliance", "--out", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output
    bad = CliRunner().invoke(main, ["compliance", "--sliver-area-m2", "-2"])
    assert bad.exit_code == 1
    assert "sliver_area_m2 was -2.0 but must be a number ≥ 0" in bad.output


def read_back(path: Path) -> int:
    return len(county_gis.read_layer(path))


@pytest.mark.browser
def test_the_conflicts_layer_is_drawn_offline_with_the_rule_in_its_popup(tmp_path, plots, roads):
    from render_fixtures import ARTIFACTS, browser_page

    project = Project.from_layers({"plots": plots, "roads": roads}, targets=[])
    result = compliance(project, zones=[farmland_zone(), redline_zone()])
    html = county_gis.save_map(county_gis.make_map(project, compliance=result),
                               tmp_path / "c.html").path
    with browser_page(html) as page:
        counts = page.evaluate("CountyGis.count()")
        name = "三区三线压占 · 冲突 (合成数据，非法定成果)"
        assert counts[name] == len(result.overlaps) == 5
        assert counts["永久基本农田 (合成数据，非法定成果)"] == 2
        assert counts["生态保护红线 (合成数据，非法定成果)"] == 1
        assert name in page.locator(".cg-legend").inner_text()
        c = plots.geometry[0].intersection(farmland_zone().frame.geometry[0]).representative_point()
        page.evaluate(f"CountyGis.map.setView([{c.y}, {c.x}], 15); 0")
        page.wait_for_timeout(300)
        x, y = page.evaluate(
            "([lat, lon]) => { const p = CountyGis.map.latLngToContainerPoint([lat, lon]);"
            " const r = CountyGis.map.getContainer().getBoundingClientRect();"
            " return [p.x + r.left, p.y + r.top]; }", [c.y, c.x])
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert "永久基本农田" in text and "冲突" in text and "国办发〔2020〕44号" in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.wait_for_timeout(400)  # the popup fades in
        page.screenshot(path=str(ARTIFACTS / "map_compliance.png"))
        assert page.blocked == [] and page.console_errors == []
