"""``strict=True``: every assumption ``read_layer`` can make becomes an error naming its place.

One case per kind of assumption. Without ``strict`` the layer is read and the assumption is in
the report (severity ``assumption``); with it, the error says what was assumed, where, and that
it must be declared.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from shapely.geometry import Point

from county_gis import CRSError, read_layer
from county_gis.errors import DataError, EncodingError
from county_gis.io import Severity
from io_corpus import (
    LAT,
    LON,
    gk_plots,
    gpkg_without_index,
    plots_gdf,
    set_gpkg_bytes,
    shapefile,
    write,
)

KML = ('<?xml version="1.0" encoding="GBK"?><kml xmlns="http://www.opengis.net/kml/2.2">'
       "<Document><Placemark><name>学校</name><Point><coordinates>121.65,42.12</coordinates>"
       "</Point></Placemark></Document></kml>")


def _case(name, folder):
    """(path, read_layer keywords) of a source whose reading needs the assumption ``name``."""
    if name == "crs.inferred":
        return shapefile(folder, gk_plots(40), prj=None), {}
    if name == "encoding.detected (dbf)":
        return shapefile(folder, plots_gdf(), encoding="GBK", cpg=None), {}
    if name == "encoding.cpg_contradicted":
        return shapefile(folder, plots_gdf(), encoding="GBK", cpg="UTF-8"), {}
    if name == "value.decimal_comma (dbf)":
        path = shapefile(folder, plots_gdf(), encoding="GBK", cpg="GBK")
        dbf = path.with_suffix(".dbf")
        dbf.write_bytes(dbf.read_bytes().replace(b"30.5000000", b"30,5000000", 1))
        return path, {}
    if name == "encoding.not_utf8":
        path = gpkg_without_index(plots_gdf(), folder / "plots.gpkg", "plots")
        set_gpkg_bytes(path, "plots", 1, "乡镇", "扎兰营子镇".encode("gbk"))
        return path, {}
    if name == "encoding.detected (csv)":
        path = folder / "plots.csv"
        path.write_bytes("名称,经度,纬度\n甲,121.6,42.1\n".encode("gbk"))
        return path, {"crs": "EPSG:4490"}
    if name == "encoding.declaration_contradicted":
        path = folder / "plots.kml"
        path.write_bytes(KML.encode("utf-8"))
        return path, {}
    values = {"value.decimal_comma": "12,5", "value.thousands_separator": "1,615",
              "field.unit_assumed": 3.0}
    column = "面积" if name == "field.unit_assumed" else "面积(亩)"
    gdf = gpd.GeoDataFrame({column: [values[name]]}, geometry=[Point(LON, LAT)], crs=4490)
    return write(gdf, folder / "plots.gpkg"), {}


CASES = [
    # (case, note code, fid, field, error class, message after the place)
    ("crs.inferred", "crs.inferred", None, None, CRSError,
     r"the layer has no CRS; inferred EPSG:4549 \(CGCS2000 / 3-degree Gauss-Kruger CM 120E\)"),
    ("encoding.detected (dbf)", "encoding.detected", None, None, EncodingError,
     r"encoding GB18030 detected: no \.cpg; every non-ASCII cell decodes as GB18030"),
    ("encoding.cpg_contradicted", "encoding.cpg_contradicted", None, None, EncodingError,
     r"\.cpg says 'UTF-8' but the bytes are not UTF-8"),
    ("value.decimal_comma (dbf)", "value.decimal_comma", 1, "面积(亩)", DataError,
     r"decimal comma in the numeric cell '30,500000000000000' read as 30\.5"),
    ("encoding.not_utf8", "encoding.not_utf8", 1, "乡镇", EncodingError,
     r"text is not UTF-8 as GPKG requires; its bytes .* decode as GB18030"),
    ("encoding.detected (csv)", "encoding.detected", None, None, EncodingError,
     r"encoding GB18030 detected: not UTF-8; every byte decodes as GB18030"),
    ("encoding.declaration_contradicted", "encoding.declaration_contradicted", None, None,
     EncodingError, r"the XML declaration says 'GBK' but every byte sequence is valid UTF-8"),
    ("value.decimal_comma", "value.decimal_comma", 1, "面积(亩)", DataError,
     r"decimal comma in '12,5' read as '\.'"),
    ("value.thousands_separator", "value.thousands_separator", 1, "面积(亩)", DataError,
     r"'1,615' read with ',' as thousands separator"),
    ("field.unit_assumed", "field.unit_assumed", None, "面积", DataError,
     r"field '面积' -> stated_area_mu: the field names no unit, taken as 亩"),
]


@pytest.mark.parametrize(("case", "code", "fid", "field", "error", "message"), CASES,
                         ids=[c[0] for c in CASES])
def test_every_assumption_reported_then_refused_when_strict(tmp_path, case, code, fid, field,
                                                            error, message):
    path, kwargs = _case(case, tmp_path)
    report = read_layer(path, **kwargs).attrs["load_report"]
    [note] = [n for n in report.assumptions if n.code == code]
    assert (note.severity, note.fid, note.field) == (Severity.ASSUMPTION, fid, field)
    with pytest.raises(error, match=re.escape(f"{note.place}: ") + message
                       + r".*\(strict=True refuses assumptions; declare it explicitly\)"):
        read_layer(path, strict=True, **kwargs)


def test_declaring_everything_reads_strictly(tmp_path):
    """What strict asks for: declare the CRS and the encoding, and the same layer is read."""
    path = shapefile(tmp_path, gk_plots(40), prj=None, encoding="GBK", cpg=None)
    loose = read_layer(path)
    strict = read_layer(path, crs="EPSG:4549", encoding="GB18030", strict=True)
    assert strict.attrs["load_report"].assumptions == []
    assert strict.geometry.geom_equals_exact(loose.geometry, tolerance=0).all()
    assert strict["name"].tolist() == loose["name"].tolist() == ["一号地块", "二号地块"]
