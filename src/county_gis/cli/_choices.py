"""The option values the CLI offers, as plain text (importing the enums would import the
analysis for ``--help``); tests/test_cli_own.py checks they equal the library's enums."""

from __future__ import annotations

__all__ = ["BASEMAPS", "DEFAULT_STATS", "DEFAULT_THRESHOLD", "LANGUAGES", "METHODS", "STATS"]

#: county_gis.render.Basemap
BASEMAPS = ("none", "tianditu_vec", "tianditu_img", "osm", "imagery", "local", "amap")
#: county_gis.render.Language
LANGUAGES = ("zh", "en")
#: county_gis.measure.Method
METHODS = ("geodesic", "gk")
#: county_gis.raster.Stat and DEFAULT_STATS
STATS = ("mean", "min", "max", "count", "sum", "std", "nodata", "majority", "out_of_range")
DEFAULT_STATS = ("mean", "min", "max", "count", "sum", "std")
#: county_gis.raster.DEFAULT_THRESHOLD
DEFAULT_THRESHOLD = 0.05
