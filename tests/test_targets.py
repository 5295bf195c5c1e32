"""The targets registry: the bundled 2023 targets and the validation of targets files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from county_gis import ConfigError, load_targets
from county_gis.targets import Measure
from county_gis.vocabulary import LayerKind

#: Every quantitative target the issue names, as the work report states it.
EXPECTED = {
    "rural_roads": ("length", "公里", 200, ["road_rebuild"]),
    "village_roads": ("length", "公里", 180, ["road_rebuild"]),
    "streets": ("count", "条", 7, ["street_renovation"]),
    "mine_regreening": ("area", "亩", 1615, ["mine_restoration"]),
    "afforestation": ("area", "亩", 106_000, ["afforestation"]),
    "soil_erosion_control": ("area", "亩", 200_000, ["soil_conservation"]),
    "school_buildings": ("sum", "平方米", 33_000, ["school"]),
    "pv_capacity": ("sum", "千瓦", 600_000, ["pv_station"]),
    "river_outfalls": ("count", "处", 72, ["outfall"]),
    "key_wastewater_plants": ("count", "座", 3, ["wastewater_plant"]),
    "township_wastewater_plants": ("count", "座", 9, ["wastewater_plant"]),
    "power_line_500kv": ("sum", "亿元", 5.5, ["power_line"]),
    "water_supply_enterprises": ("sum", "户", 52, ["water_supply"]),
    "water_supply_residents": ("sum", "人", 65_000, ["water_supply"]),
    # indicators: no map layer
    "good_air_days": ("count", "天", 314, []),
    "urban_jobs": ("count", "人", 1240, []),
    "rural_labour_transfer": ("count", "人次", 121_000, []),
    "industry_research_alliances": ("count", "家", 6, []),
    "high_tech_enterprises": ("count", "家", 5, []),
    "tech_smes": ("count", "家", 12, []),
    "technology_contracts": ("sum", "亿元", 1.2, []),
}


def test_bundled_targets_hold_every_figure_of_the_report():
    targets = {t.id: t for t in load_targets()}
    assert set(targets) == set(EXPECTED)
    for ident, (measure, unit, value, kinds) in EXPECTED.items():
        t = targets[ident]
        assert (t.measure.value, t.unit, t.value, [k.value for k in t.kinds]) == (
            measure, unit, value, kinds), ident
        assert t.year == 2023 and t.section in {"五", "六", "七", "八"}
        assert t.indicator == (not kinds)


#: Sections 五–八 of the 2023 work report: the project's shared seed folder beside the
#: repository (CI runs in a clone with a copy of shared/ beside it). Not copied into the repo.
REPORT = (Path(__file__).resolve().parents[1].parent / "shared" / "seed"
          / "000_7deede91013e2fc4.txt")
#: Arabic numerals of sections 五–八 that set no target, and why (targets_2023.toml says so too).
NOT_TARGETS = {"47": "47号地: a plot's name", "3570": "“3570”送文化下乡: a programme's name"}


@pytest.fixture(scope="module")
def report_text() -> str:
    if not REPORT.is_file():  # fail, never skip: the check is the point of these tests
        pytest.fail(f"the work report {REPORT} does not exist: these tests read sections "
                    "五–八 from the shared seed folder beside the repository "
                    "(<repo>/../shared/seed/); put a copy of shared/ next to the clone")
    return REPORT.read_text(encoding="utf-8")


def test_titles_quote_the_report(report_text):
    # a title is the report's words; "…" marks words left out where one sentence sets two
    # figures (52 enterprises … 6.5万 residents; 3 key plants … 9 township ones)
    for target in load_targets():
        position = 0
        for fragment in target.title.split("…"):
            found = report_text.find(fragment, position)
            assert fragment and found >= 0, (target.id, fragment)
            position = found + len(fragment)


def test_every_figure_of_the_report_is_a_target(report_text):
    titles = "".join(t.title for t in load_targets())
    figures = re.findall(r"\d+(?:\.\d+)?", report_text)
    assert len(figures) == 24  # sections 五–八 hold 24 Arabic numerals
    for figure in figures:
        assert figure in NOT_TARGETS or re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d.])",
                                                  titles), figure


@pytest.mark.parametrize("target", load_targets(), ids=lambda t: t.id)
def test_value_is_the_figure_of_the_title(target):
    # 10.6万亩 -> 106,000 亩, 60万千瓦 -> 600,000 千瓦, 1615亩 -> 1,615 亩
    figures = [float(n) * (10_000 if wan else 1)
               for n, wan in re.findall(r"(\d+(?:\.\d+)?)(万?)", target.title)]
    assert target.value in figures, (target.title, target.value)


def test_filters_and_fields():
    targets = {t.id: t for t in load_targets()}
    assert targets["rural_roads"].filter["work_type"] == ("新建", "改建", "维修改造")
    assert targets["key_wastewater_plants"].filter == {"等级": ("重点",)}
    assert targets["pv_capacity"].field == "capacity_kw"
    assert targets["afforestation"].area_unit.label == "亩"
    assert targets["rural_roads"].length_unit.factor == 1000


TARGET = """
[[targets]]
id = "{id}"
title = "修路"
section = "六"
measure = "{measure}"
unit = "{unit}"
value = {value}
year = 2024
{extra}
"""


def write(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def entry(**kw: object) -> str:
    values = {"id": "roads", "measure": "length", "unit": "公里", "value": 10, "extra": ""}
    values.update(kw)
    return TARGET.format(**values)


def test_a_users_own_file_for_another_year(tmp_path):
    path = write(tmp_path, entry(extra='kinds = ["道路"]'))
    (target,) = load_targets(path)
    assert target.year == 2024 and target.kinds == (LayerKind.ROAD_REBUILD,)
    assert target.measure is Measure.LENGTH


def test_every_problem_is_listed_at_once(tmp_path):
    path = write(
        tmp_path,
        entry(unit="亩"),                                       # wrong unit for a length
        entry(id="roads", value=-1),                            # duplicate id, negative value
        entry(id="pv", measure="sum", unit="千瓦", extra='kinds = ["solar"]'),  # no field
        entry(id="x", measure="volume", extra='kinds = ["rocket"]\ncolour = "red"'),
    )
    with pytest.raises(ConfigError) as caught:
        load_targets(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 7 problems: ")
    for part in (
        "[[targets]] #1 (roads): unknown length unit '亩'",
        "(a length target needs a length unit)",
        "[[targets]] #2 (roads): id 'roads' already used by entry #1; ids must be unique",
        "[[targets]] #2 (roads): value was -1 but must be a positive number",
        '[[targets]] #3 (pv): a sum target needs field = "<column to add>"',
        "[[targets]] #4 (x): unknown key(s) colour; allowed: id, title",
        "[[targets]] #4 (x): measure was 'volume' but is expected to be one of length, area, "
        "count, sum",
        "[[targets]] #4 (x): kind was 'rocket' but is expected to be one of road_rebuild",
    ):
        assert part in message, part


def test_missing_keys_and_filter_without_kinds(tmp_path):
    path = write(tmp_path, '[[targets]]\nid = "a"\nfilter = { work_type = "新建" }\n')
    with pytest.raises(ConfigError, match=r"#1 \(a\): missing title, section, measure, unit, "
                                          r"value, year; .*a filter needs kinds = \[\.\.\.\]"):
        load_targets(path)


def test_kind_whose_geometry_the_measure_cannot_measure_is_refused(tmp_path):
    path = write(tmp_path, entry(extra='kinds = ["school", "road"]'),
                 entry(id="plots", measure="area", unit="亩", extra='kinds = ["outfall"]'))
    with pytest.raises(ConfigError, match=(
            r": 2 problems: \[\[targets\]\] #1 \(roads\): a length target cannot draw on kind "
            r"school \(校舍维修改造\), whose features are point or polygons; use measure = "
            r"\"count\" or \"sum\", or another kind; \[\[targets\]\] #2 \(plots\): a area target "
            r"cannot draw on kind outfall \(入河排污口\), whose features are points;")):
        load_targets(path)


def test_field_on_a_length_target_is_refused(tmp_path):
    path = write(tmp_path, entry(extra='kinds = ["road"]\nfield = "长度"'))
    with pytest.raises(ConfigError, match=r"field is only used by sum targets \(measure is "
                                          r"length\); remove it or set measure = \"sum\""):
        load_targets(path)


def test_missing_empty_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match=r"targets file .*nope.toml does not exist; pass the "
                                          r"path of a TOML file"):
        load_targets(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"no \[\[targets\]\] entries"):
        load_targets(write(tmp_path, 'year = 2024\n'))
    with pytest.raises(ConfigError, match=r"is not valid TOML"):
        load_targets(write(tmp_path, '[[targets]\n'))
    assert issubclass(ConfigError, ValueError)
