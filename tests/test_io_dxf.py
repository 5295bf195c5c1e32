"""DXF from CAD / 南方CASS (issue 13): code page, closed polylines, labels, 3D, CRS.

The drawings are written by hand (``io_corpus.dxf_document``): an R12 DXF is a short text of
(group code, value) lines, here in GBK with ``$DWGCODEPAGE ANSI_936`` as CASS writes them.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
import shapely

from county_gis import (
    ConfigError,
    CRSError,
    LayerReadError,
    geodesic_area,
    geodesic_length,
    list_layers,
    read_layer,
    read_layers,
)
from county_gis.io import Severity
from io_corpus import E41, N41, dxf_document, dxf_lwpolyline, dxf_polyline, dxf_text, noted

ENGINES = ["pyogrio", "fiona"]
POLYGONS = {"closed_as_polygons": True}
#: a 100 m x 100 m parcel in zone 41 (EPSG:4550), 80 km west of the central meridian
SQUARE = [(E41, N41), (E41 + 100, N41), (E41 + 100, N41 + 100), (E41, N41 + 100)]


def _hand_area_m2() -> float:
    """The parcel's area on the ellipsoid, by hand: 10,000 m² in the Gauss-Krüger plane,
    divided by the square of the scale factor k = 1 + x²/2R² at x = -79,950 m from the
    central meridian (R = √(MN) at the parcel's latitude 42.0717°, GRS80)."""
    a, e2, lat = 6378137.0, 0.00669438002290, math.radians(42.0716771)
    r = a * math.sqrt(1 - e2) / (1 - e2 * math.sin(lat) ** 2)
    x = E41 + 50 - 500_000
    return 10_000 / (1 + x * x / (2 * r * r)) ** 2  # 9,998.43 m²


@pytest.fixture
def drawing(tmp_path):
    """宗地: a closed POLYLINE square; 注记: its label inside and one outside any parcel;
    道路: an open 3D POLYLINE 200 m long with elevations 10 -> 12 m."""
    path = tmp_path / "宗地图.dxf"
    path.write_bytes(dxf_document(
        dxf_polyline("宗地", SQUARE),
        dxf_text("注记", E41 + 50, N41 + 50, "一号地块"),
        dxf_text("注记", E41 + 500, N41 + 500, "孤立注记"),
        dxf_polyline("道路", [(E41, N41 + 300, 10.0), (E41 + 200, N41 + 300, 12.0)],
                     closed=False),
    ))
    return path


def test_cad_layers_are_the_layers_with_chinese_names_decoded(drawing):
    assert list_layers(drawing) == {"宗地": "LineString", "注记": "Point", "道路": "LineString"}


@pytest.mark.parametrize("engine", ENGINES)
def test_closed_polyline_becomes_a_labelled_polygon_of_known_area(drawing, engine):
    gdf = read_layer(drawing, layer="宗地", kind="afforestation", options=POLYGONS,
                     engine=engine)
    report = gdf.attrs["load_report"]
    assert gdf.geometry.geom_type.tolist() == ["Polygon"]
    assert gdf["Layer"].tolist() == ["宗地"] and gdf["Text"].tolist() == ["一号地块"]
    assert geodesic_area(gdf, unit="m2", method="gk").iloc[0] == pytest.approx(10_000, abs=1e-6)
    assert geodesic_area(gdf, unit="亩", method="gk").iloc[0] == pytest.approx(15.0, abs=1e-9)
    assert geodesic_area(gdf, unit="m2").iloc[0] == pytest.approx(_hand_area_m2(), abs=1e-3)
    assert report.driver == "DXF"
    assert (report.encoding, report.encoding_evidence) == (
        "GB18030", "$DWGCODEPAGE ANSI_936 (GBK; read as GB18030, its superset)")
    assert noted(report, "dxf") == [
        ("dxf.closed_as_polygon", None, None, Severity.INFO),
        ("dxf.label", 0, "Text", Severity.INFO),
    ]
    [label] = report.select("dxf.label")
    assert label.message == "label(s) '一号地块' (#1) attached to the polygon they lie in"
    [closed] = report.select("dxf.closed_as_polygon")
    assert closed.message == ("1 closed polyline(s) read as polygons (#0), as "
                              "closed_as_polygons=True asks")


def test_the_crs_is_inferred_from_the_zone_and_reported(drawing):
    report = read_layer(drawing, layer="宗地", options=POLYGONS).attrs["load_report"]
    assert report.crs_decision == "EPSG:4550 (CGCS2000 / 3-degree Gauss-Kruger CM 123E)"
    [inferred] = report.select("crs.inferred")
    assert inferred.severity is Severity.ASSUMPTION
    assert "no zone prefix" in inferred.message
    with pytest.raises(CRSError, match="strict=True refuses assumptions"):
        read_layer(drawing, layer="宗地", options=POLYGONS, strict=True)
    declared = read_layer(drawing, layer="宗地", options=POLYGONS, crs="EPSG:4550",
                          strict=True).attrs["load_report"]
    assert declared.select("crs.inferred") == []


def test_zone_prefixed_eastings_are_inferred_as_elsewhere(tmp_path):
    path = tmp_path / "prefixed.dxf"
    path.write_bytes(dxf_document(dxf_polyline("宗地", [(x + 41_000_000, y) for x, y in SQUARE])))
    gdf = read_layer(path, options=POLYGONS)
    assert gdf.attrs["load_report"].crs_decision.startswith("EPSG:4529 ")
    assert geodesic_area(gdf, unit="m2", method="gk").iloc[0] == pytest.approx(10_000, abs=1e-6)


def test_unmatched_label_reported_and_3d_polyline_flattened(drawing):
    gdf = read_layer(drawing, options=POLYGONS)
    report = gdf.attrs["load_report"]
    # the polygon (with its label) and the road; both labels are used or reported
    assert gdf["source_fid"].tolist() == [0, 3]
    assert gdf.geometry.geom_type.tolist() == ["Polygon", "LineString"]
    [unmatched] = report.select("dxf.label_unmatched")
    assert (unmatched.fid, unmatched.field, unmatched.severity) == (2, "Text", Severity.PROBLEM)
    assert unmatched.message.startswith("label '孤立注记' at (420500.000, 4660500.000) lies in no "
                                        "closed polyline; dropped")
    [flat] = report.select("dxf.flattened")
    assert flat.fid == 3
    assert flat.message == ("3D polyline with elevations 10–12 m flattened: lengths and areas "
                            "are horizontal")
    assert not shapely.has_z(gdf.geometry.to_numpy()).any()
    road = gdf[gdf["Layer"] == "道路"]
    # horizontal length 200 m in the plane (the 3D length would be √(200² + 2²) = 200.01 m)
    assert geodesic_length(road, unit="m", method="gk").iloc[0] == pytest.approx(200, abs=1e-6)
    assert report.select("geometry.z_dropped") == []  # Z = 0 entities are not "3D"


def test_without_the_option_lines_stay_lines_and_labels_points(drawing):
    gdf = read_layer(drawing)
    assert gdf.geometry.geom_type.tolist() == ["LineString", "Point", "Point", "LineString"]
    assert gdf["Text"].tolist()[1:3] == ["一号地块", "孤立注记"]
    assert gdf.attrs["load_report"].select("dxf.label") == []


def test_read_layers_gives_one_frame_per_cad_layer(drawing):
    layers = read_layers(drawing, options=POLYGONS)
    assert {k: len(v) for k, v in layers.items()} == {"宗地": 1, "注记": 0, "道路": 1}
    assert layers["宗地"]["Text"].tolist() == ["一号地块"]
    # the label inside the parcel is used by the 宗地 layer, not reported again with 注记
    assert [n.fid for n in layers["注记"].attrs["load_report"].select("dxf.label_unmatched")] \
        == [2]


def test_lwpolyline_of_a_later_version_is_closed_by_its_flag(tmp_path):
    path = tmp_path / "r2000.dxf"
    path.write_bytes(dxf_document(dxf_lwpolyline("地块", SQUARE),
                                  dxf_text("地块", E41 + 10, N41 + 10, "二号"),
                                  version="AC1015"))
    gdf = read_layer(path, options=POLYGONS)
    assert gdf["Text"].tolist() == ["二号"]
    assert geodesic_area(gdf, unit="m2", method="gk").iloc[0] == pytest.approx(10_000, abs=1e-6)


def test_utf8_for_r2007_and_later(tmp_path):
    path = tmp_path / "r2007.dxf"
    path.write_bytes(dxf_document(dxf_text("图层", E41, N41, "三号"), version="AC1021",
                                  encoding="utf-8"))
    gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    assert (gdf["Layer"].tolist(), gdf["Text"].tolist()) == (["图层"], ["三号"])
    assert report.encoding_evidence == "$ACADVER AC1021 (DXF R2007 or later) text is UTF-8"


def test_no_code_page_is_detected_from_the_bytes_and_reported(tmp_path):
    path = tmp_path / "nocp.dxf"
    path.write_bytes(dxf_document(dxf_text("注记", E41, N41, "四号地块"), codepage=None))
    gdf = read_layer(path)
    report = gdf.attrs["load_report"]
    assert gdf["Text"].tolist() == ["四号地块"]
    assert report.encoding == "GB18030"
    assert report.encoding_evidence.startswith("the drawing names no $DWGCODEPAGE; not UTF-8")
    [detected] = report.select("encoding.detected")
    assert detected.severity is Severity.ASSUMPTION


def test_declared_encoding_wins_and_undecodable_bytes_are_named(tmp_path):
    path = tmp_path / "bad.dxf"
    data = dxf_document(dxf_text("注记", E41, N41, "五号XX"))
    path.write_bytes(data.replace(b"XX", b"\xff\xff"))
    gdf = read_layer(path)
    [bad] = gdf.attrs["load_report"].select("encoding.undecodable")
    assert (bad.fid, bad.field, bad.severity) == (0, "Text", Severity.PROBLEM)
    assert bad.message.startswith("bytes ce e5 ba c5 ff ff cannot be decoded as GB18030")
    assert gdf["Text"].iloc[0].startswith("五号")
    declared = read_layer(path, encoding="latin-1").attrs["load_report"]
    assert declared.encoding_evidence == "declared encoding='latin-1'"


def test_unknown_cad_layer_and_bad_option_refused(drawing):
    with pytest.raises(LayerReadError, match=r"宗地图\.dxf: no CAD layer '地类'; layers: '宗地', "
                       r"'注记', '道路'"):
        read_layer(drawing, layer="地类")
    with pytest.raises(ConfigError, match=r"option closed_as_polygons='yes' must be a bool for "
                       "DXF sources"):
        read_layer(drawing, options={"closed_as_polygons": "yes"})


def test_inputs_untouched(drawing):
    before = (drawing.read_bytes(), drawing.stat().st_mtime_ns)
    for engine in ENGINES:
        read_layer(drawing, options=POLYGONS, engine=engine)
    assert (drawing.read_bytes(), drawing.stat().st_mtime_ns) == before
    assert sorted(p.name for p in drawing.parent.iterdir()) == ["宗地图.dxf"]


def test_engines_agree(drawing):
    a, b = (read_layer(drawing, options=POLYGONS, engine=e) for e in ENGINES)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()


def test_polygons_of_different_vertex_counts_and_nested_labels(tmp_path):
    """A pentagon and a square (ragged rings), a small square inside the big one: the label
    inside both goes to the smaller; two labels in one parcel are joined."""
    pentagon = [(E41 + 300, N41), (E41 + 400, N41), (E41 + 400, N41 + 100),
                (E41 + 350, N41 + 150), (E41 + 300, N41 + 100)]
    inner = [(E41 + 10, N41 + 10), (E41 + 30, N41 + 10), (E41 + 30, N41 + 30),
             (E41 + 10, N41 + 30)]
    path = tmp_path / "nested.dxf"
    path.write_bytes(dxf_document(
        dxf_polyline("宗地", SQUARE), dxf_polyline("宗地", pentagon), dxf_polyline("宗地", inner),
        dxf_text("注记", E41 + 20, N41 + 20, "小块"),
        dxf_text("注记", E41 + 350, N41 + 50, "五边形"), dxf_text("注记", E41 + 350, N41 + 60, "乙"),
    ))
    gdf = read_layer(path, layer="宗地", options=POLYGONS)
    assert gdf["Text"].fillna("").tolist() == ["", "五边形 / 乙", "小块"]
    # planar: 100 x 100; 100 x 100 + the roof triangle 100 x 50 / 2; 20 x 20
    assert geodesic_area(gdf, unit="m2", method="gk").tolist() == pytest.approx(
        [10_000, 12_500, 400], abs=1e-6)


def test_cad_escapes_and_mtext_formatting_decoded_after_the_code_page(tmp_path):
    """%%d (degree) right before a Chinese character: decoded from GBK first, then the escape
    (decoding the escape's ° as a GBK lead byte would eat the next character)."""
    mtext = (f"0\nMTEXT\n8\n注记\n10\n{E41}\n20\n{N41}\n30\n0.0\n40\n2.5\n"
             "1\n{\\fSimSun|b0;第一行}\\P北偏东30%%d方向\n")
    path = tmp_path / "escapes.dxf"
    path.write_bytes(dxf_document(dxf_text("注记", E41, N41, "坡度15%%d，±%%p5"), mtext))
    gdf = read_layer(path)
    assert gdf["Text"].tolist() == ["坡度15°，±±5", "第一行\n北偏东30°方向"]
    assert gdf.attrs["load_report"].select("encoding") == []


def test_local_cad_coordinates_refused_like_any_crs_less_source(tmp_path):
    path = tmp_path / "local.dxf"
    path.write_bytes(dxf_document(dxf_polyline("宗地", [(0, 0), (100, 0), (100, 100), (0, 100)])))
    with pytest.raises(CRSError, match=r"local\.dxf: the layer has no CRS and its coordinates "
                       r"\(x 0\.00000\.\.100\.00000, y 0\.00000\.\.100\.00000\) are neither "
                       r"degrees in the county nor "
                       r"Gauss-Krueger zone 40/41 metres; declare the CRS with crs="):
        read_layer(path, options=POLYGONS)


def test_inspect_lists_each_cad_layer_with_its_dxf_notes(drawing):
    from county_gis.io import inspect_source

    summaries = {s["layer"]: s for s in inspect_source(drawing)}
    assert list(summaries) == ["宗地", "注记", "道路"]
    assert summaries["宗地"]["driver"] == "DXF" and summaries["宗地"]["feature_count"] == 1
    codes = [n["code"] for n in summaries["道路"]["notes"]]
    assert [c for c in codes if c != "source.field_dropped"] == ["dxf.flattened", "crs.inferred"]
    dropped = {n["field"] for n in summaries["道路"]["notes"] if n["code"] == "source.field_dropped"}
    assert {"SubClasses", "PaperSpace"} <= dropped  # GDAL's structure fields, said not kept
