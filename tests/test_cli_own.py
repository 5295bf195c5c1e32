"""The CLI boundary of issue 12: lazy imports, bilingual help, choices that match the enums,
the per-project mapping keys of project.toml."""

from __future__ import annotations

import re
import subprocess
import sys

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, box

from county_gis.cli import _choices, main
from county_gis.errors import ConfigError
from county_gis.io import LayerMapping, read_layer
from county_gis.project import load_project


def test_help_imports_nothing_heavy():
    code = ("import sys; from county_gis.cli import main\n"
            "try:\n    main(['--help'], prog_name='county-gis')\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'geopandas', 'shapely', 'pyproj', 'folium', "
            "'rasterio', 'numpy') if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "HEAVY []" in out.stdout
    assert re.search(r"\binit +把一个文件夹写成 project.toml", out.stdout)  # bilingual


def test_cli_choices_are_the_library_enums():
    from county_gis.measure import Method
    from county_gis.raster import DEFAULT_STATS, DEFAULT_THRESHOLD, Stat
    from county_gis.render import Basemap, Language

    assert tuple(b.value for b in Basemap) == _choices.BASEMAPS
    assert tuple(lang.value for lang in Language) == _choices.LANGUAGES
    assert tuple(m.value for m in Method) == _choices.METHODS
    assert tuple(s.value for s in Stat) == _choices.STATS
    assert tuple(s.value for s in DEFAULT_STATS) == _choices.DEFAULT_STATS
    assert _choices.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD


def test_an_unexpected_error_is_one_line_and_debug_shows_it(monkeypatch):
    import county_gis.project as project_module

    def boom(path):
        raise RuntimeError("GEOSException: TopologyException")

    monkeypatch.setattr(project_module, "load_project", boom)
    result = CliRunner().invoke(main, ["progress"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "错误 error: 内部错误 (internal): RuntimeError: GEOSException: TopologyException — an "
        "unexpected error; rerun with --debug for the traceback and report it / 意外错误, 请加 "
        "--debug 重试并报告"]
    result = CliRunner().invoke(main, ["--debug", "progress"])
    assert result.exit_code == 1 and "Traceback" in result.output


@pytest.fixture
def plots_folder(tmp_path):
    gpd.GeoDataFrame(
        {"地块号": ["A", "B", "C", "D"], "营林方式": ["人工造林", "森林抚育", "人工造林", "补植"],
         "情况": ["已验收", None, "搞定了", "已验收"], "整治面积(公顷)": [1.0, 2.0, 3.0, 4.0],
         "年度": [2023, None, 2022, 2023]},
        geometry=[box(121.9, 42.3 + i / 100, 121.905, 42.305 + i / 100) for i in range(4)],
        crs="EPSG:4490").to_file(tmp_path / "plots.gpkg", layer="plots")
    (tmp_path / "field_aliases.toml").write_text(
        '[fields]\n"地块号" = "project_id"\n"营林方式" = "work_type"\n', encoding="utf-8")
    return tmp_path


def _project(folder, layer: str) -> None:
    (folder / "project.toml").write_text(
        'name = "t"\n[targets]\ninclude = ["afforestation", "school_buildings"]\n'
        "[boundary]\nbundled = true\n"
        f'[layers.plots]\npath = "plots.gpkg"\nkind = "afforestation"\n{layer}',
        encoding="utf-8")


def test_mapping_keys_on_a_layer(plots_folder):
    _project(plots_folder, '"fields" = { "情况" = "status", "整治面积(公顷)" = "stated_area" }\n'
             'status_values = { "搞定了" = "completed" }\ndefault_status = "planned"\n'
             'year = 2023\nwhere = { "year" = 2023 }\n'
             '[layers.plots.values.work_type]\n"人工造林" = "造林"\n"森林抚育" = "抚育"\n')
    project = load_project(plots_folder)
    plots = project.layers["plots"]
    # the user alias file mapped 地块号 and 营林方式; C (2022) is set aside by where
    assert plots["project_id"].tolist() == ["A", "B", "D"]
    assert plots["status"].tolist() == ["completed", "planned", "completed"]
    assert plots["work_type"].tolist() == ["造林", "抚育", "补植"]
    assert plots["stated_area_mu"].tolist() == [15.0, 30.0, 60.0]  # 公顷 × 15
    report = project.reports["plots"]
    assert [n.message for n in report.select("mapping.default_status")] == [
        "1 feature(s) without a status taken as planned (default_status in project.toml)"]
    assert report.select("mapping.where")[0].message.startswith(
        "1 feature(s) set aside by where = {'year': ('2023',)} (project.toml): #3")
    table = __import__("county_gis").progress(project).set_index("target_id")
    assert str(table.loc["school_buildings", "has_data"]) == "False"
    assert table.loc["afforestation", "n_features"] == 2  # 补植 matches no filter value


def test_target_key_links_every_feature(plots_folder):
    _project(plots_folder, 'target = "afforestation"\n')
    project = load_project(plots_folder)
    from county_gis.analysis import link_features

    links = link_features(project)
    assert links["target_id"].tolist() == ["afforestation"] * 4


@pytest.mark.parametrize(("table", "message"), [
    ({"fields": {"面积": "stated_area"}}, r'面积 = "stated_area" needs a unit'),
    ({"fields": {"x": "nonsense"}}, r"x = 'nonsense' is not a canonical column"),
    ({"status_values": {"a": "finished-ish"}}, r"status_values: a: status was 'finished-ish'"),
    ({"year": "2023"}, r"year = '2023' must be a year such as 2023"),
    ({"folder_as": "colour"}, r"folder_as = 'colour' must be one of status, township"),
])
def test_mapping_errors_name_the_table_and_the_fix(table, message):
    with pytest.raises(ConfigError, match=message):
        LayerMapping.from_table(table, where="[layers.x]")


def test_targets_include_names_unknown_ids(plots_folder):
    (plots_folder / "project.toml").write_text(
        'name = "t"\n[targets]\ninclude = ["nope"]\n[boundary]\nbundled = true\n',
        encoding="utf-8")
    with pytest.raises(ConfigError, match=r"include names target\(s\) 'nope' that the targets "
                                          r"file does not have; ids: "):
        load_project(plots_folder)


def test_geometry_key_sets_other_types_aside(tmp_path):
    gpd.GeoDataFrame({"name": ["路", "起点"]},
                     geometry=[LineString([(121.9, 42.3), (121.95, 42.3)]),
                               box(121.9, 42.3, 121.91, 42.31).centroid],
                     crs="EPSG:4490").to_file(tmp_path / "r.gpkg")
    roads = read_layer(tmp_path / "r.gpkg", kind="road_rebuild", geometry="lines")
    assert roads["name"].tolist() == ["路"]
    notes = roads.attrs["load_report"].select("geometry.set_aside")
    assert [n.fid for n in notes] == [2]  # the GeoPackage fid of the point
