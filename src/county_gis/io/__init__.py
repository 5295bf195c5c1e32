"""Loading real-world layers: every format, encoding and CRS mess, with a report.

:func:`read_layer` returns a layer in CGCS2000 lon/lat (EPSG:4490) with the canonical columns
and a :class:`LoadReport` in ``gdf.attrs["load_report"]`` listing every decision, assumption,
repair and problem, per feature. :func:`read_layers` reads every layer of a multi-layer source,
:func:`list_layers` lists them, :func:`write_layer` writes atomically. Which formats are read,
and how, is one table: :data:`SOURCES` (one :class:`Source` per format; :func:`source_for`).

Examples
--------
>>> import county_gis
>>> from county_gis._paths import bundled_layers_dir
>>> gdf = county_gis.read_layer(bundled_layers_dir() / "fumeng.gpkg", layer="county_boundary")
>>> report = gdf.attrs["load_report"]
>>> report.driver, report.feature_count, report.geometry_types
('GPKG', 1, ['MultiPolygon'])
"""

from ..crs import OffsetDatum, bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_gcj02
from ._attributes import CANONICAL_COLUMNS, parse_quantity
from ._content import MAX_TEXT_BYTES
from ._content import sniff as sniff_content
from ._crs_infer import COUNTY_BBOX, COUNTY_MARGIN_DEG, LegacyDatumWarning, OutsideCountyWarning
from ._engines import Engine
from ._formats import list_layers
from ._geometry import Repair, split_by_geometry
from ._inspect import inspect_source
from ._jzd import write_jzd
from ._mapping import LAYER_MAPPING_KEYS, LayerMapping, MappedField, load_alias_file
from ._read import read_layer, read_layers
from ._report import LoadReport, Note, Severity
from ._sources import SOURCES, Format, Source, source_for
from ._tables import parse_degrees
from ._write import write_layer

__all__ = [
    "CANONICAL_COLUMNS",
    "COUNTY_BBOX",
    "COUNTY_MARGIN_DEG",
    "LAYER_MAPPING_KEYS",
    "MAX_TEXT_BYTES",
    "SOURCES",
    "Engine",
    "Format",
    "LayerMapping",
    "LegacyDatumWarning",
    "LoadReport",
    "MappedField",
    "Note",
    "OffsetDatum",
    "OutsideCountyWarning",
    "Repair",
    "Severity",
    "Source",
    "bd09_to_wgs84",
    "gcj02_to_wgs84",
    "inspect_source",
    "list_layers",
    "load_alias_file",
    "parse_degrees",
    "parse_quantity",
    "read_layer",
    "read_layers",
    "sniff_content",
    "source_for",
    "split_by_geometry",
    "wgs84_to_gcj02",
    "write_jzd",
    "write_layer",
]
