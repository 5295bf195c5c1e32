"""Shared fixtures and the report header (library versions, like pyogrio's conftest)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely

import county_gis
from postgis_fixtures import postgis_url  # noqa: F401  (the PostGIS test server)

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"


def pytest_report_header(config: pytest.Config) -> list[str]:
    import pyogrio

    return [
        f"county_gis {county_gis.__version__}, geopandas {gpd.__version__}, "
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
        f"pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str}), "
        f"pyogrio {pyogrio.__version__} (GDAL {pyogrio.__gdal_version_string__})"
    ]


@pytest.fixture(scope="session")
def county() -> gpd.GeoDataFrame:
    """The real county boundary from the bundled project (EPSG:4490, a multipolygon with a hole)."""
    return gpd.read_file(LAYERS / "fumeng.gpkg", layer="county_boundary")
