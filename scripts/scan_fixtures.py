"""Scan a folder of other projects' test files: county_gis loading against a raw GDAL read.

Run (from the repository root)::

    PYTHONPATH=$PWD/src python scripts/scan_fixtures.py ../shared/external-fixtures [-v] \
        [--engine fiona] [--missing-crs EPSG:4326,EPSG:3857]

Every vector file under FOLDER (by suffix) is read twice: by ``pyogrio.read_dataframe`` (the
reference; GeoParquet by ``geopandas.read_parquet``, as this GDAL has no Parquet driver) and by
``county_gis.read_layer`` for each layer. Layers the reference cannot read, or reads without
geometry, are not counted. Each counted layer ends in one of:

* **crash**: county_gis raised something other than a ``CountyGisError``;
* **refusal**: a ``CountyGisError``, grouped by reason (a missing CRS is the one refusal the
  goal allows);
* **read**: then compared with the reference: feature count, null-geometry count, the column
  set and every cell. A difference is *explained* when the load report has a note for that
  feature (or that field), and *silent* otherwise.

With ``--missing-crs``, a layer refused for a missing CRS is read again with each of those
CRSs in turn (``crs=``), to see what lies behind that refusal. Prints the counts (and with
``-v`` every refusal and silent difference, by path). Writes nothing. The goal: 0 crashes,
0 silent differences, refusals only for a missing CRS.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import traceback
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import county_gis  # noqa: E402
from county_gis.errors import CountyGisError  # noqa: E402

#: suffixes read as vector sources; .zip / .kmz are archives holding one
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".topojson", ".kml", ".kmz", ".fgb",
                   ".parquet", ".csv", ".xlsx", ".zip", ".gpx", ".gml", ".dxf")
#: formats whose layers county_gis names differently from GDAL (KML folders, table sheets,
#: archives): compared as one layer, all features together
_AGGREGATE = (".kml", ".kmz", ".csv", ".xlsx", ".zip")


@dataclass
class Scan:
    """What the scan found."""

    layers: int = 0
    not_counted: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    refusals: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    read: int = 0
    silent: list[str] = field(default_factory=list)
    explained: int = 0
    #: county_gis reads more features than GDAL (GDAL misses placemarks, overlays ...)
    more: list[str] = field(default_factory=list)


def _reason(exc: BaseException) -> str:
    """A short, path-free reason for grouping refusals."""
    text = str(exc)
    text = re.sub(r"^\S*?(\.\w+)?(:[^:]*?)?(#\d+)?( \([^)]*\))?: ", "", text, count=1)
    if "has no CRS" in text or "no CRS" in text.split(";")[0]:
        return f"{type(exc).__name__}: missing CRS"
    text = re.sub(r"[-\d.]+", "N", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    return f"{type(exc).__name__}: {text[:110]}"


def _reference(path: Path) -> dict[str, Any]:
    """The reference read: layer name -> GeoDataFrame (fid as index) or an exception."""
    import geopandas as gpd
    import pyogrio

    if path.suffix.lower() == ".parquet":
        try:
            return {path.stem: gpd.read_parquet(path)}
        except Exception as exc:
            return {path.stem: exc}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        return {"": exc}
    out: dict[str, Any] = {}
    for name in names:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[name] = pyogrio.read_dataframe(path, layer=name, fid_as_index=True)
        except Exception as exc:
            out[name] = exc
    return out


#: the engine county_gis reads with (``--engine``)
ENGINE = {"engine": "pyogrio"}
#: CRSs tried in turn for a layer refused for a missing CRS (``--missing-crs``)
MISSING_CRS: list[str] = []


def _missing_crs(exc: BaseException) -> bool:
    return _reason(exc).endswith("missing CRS")


def _read(reader: Any, *args: Any, **kwargs: Any) -> Any:
    """``reader(*args, engine=..., **kwargs)``; a missing CRS retried with ``MISSING_CRS``."""
    try:
        return reader(*args, engine=ENGINE["engine"], **kwargs)
    except CountyGisError as exc:
        if not MISSING_CRS or not _missing_crs(exc):
            raise
        error: CountyGisError = exc
    for crs in MISSING_CRS:
        try:
            return reader(*args, engine=ENGINE["engine"], crs=crs, **kwargs)
        except CountyGisError as exc:
            error = exc
    raise error


def _ours(path: Path, layer: str | None) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read(county_gis.read_layer, path, layer=layer)
    except CountyGisError as exc:
        return exc
    except Exception as exc:  # a crash: kept with its traceback
        exc.__dict__["scan_traceback"] = traceback.format_exc()
        return exc


def _blank(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _same(a: Any, b: Any) -> bool:
    if _blank(a) and _blank(b):
        return True
    if _blank(a) or _blank(b):
        return False
    if isinstance(a, dict) or isinstance(b, dict):  # a JSON field: text on one side
        import json

        def parsed(v: Any) -> Any:
            try:
                return json.loads(v) if isinstance(v, str) else v
            except ValueError:
                return v
        return bool(parsed(a) == parsed(b))
    if isinstance(a, np.ndarray | list | tuple) or isinstance(b, np.ndarray | list | tuple):
        return [str(v) for v in np.asarray(a).tolist()] == [str(v) for v in np.asarray(b)
                                                              .tolist()]
    if isinstance(a, bool | np.bool_) or isinstance(b, bool | np.bool_):
        return bool(a) == bool(b)
    if isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, pd.Timestamp | np.datetime64) or isinstance(b, pd.Timestamp | np.datetime64):
        try:
            ta, tb = pd.Timestamp(a), pd.Timestamp(b)
        except (ValueError, TypeError):
            return False
        if (ta.tzinfo is None) != (tb.tzinfo is None):
            return ta.tz_localize(None) == tb.tz_localize(None) if ta.tzinfo else \
                ta == tb.tz_localize(None)
        return bool(ta == tb)
    return str(a).strip() == str(b).strip()


def _decoded_otherwise(mine: Any, theirs: Any, report: Any) -> bool:
    """Text read with another encoding than GDAL's, as the report's decision says (its
    evidence is in ``report.encoding_evidence``): explained, not silent."""
    return (isinstance(mine, str) and isinstance(theirs, str) and report.encoding is not None
            and report.encoding_evidence is not None and not mine.isascii())


def _compare(label: str, ref: Any, ours: Any, scan: Scan) -> None:
    """Compare one read layer with the reference; record silent differences."""
    report = ours.attrs["load_report"]
    noted_fids = {n.fid for n in report.notes if n.fid is not None}
    noted_cells = {(n.fid, n.field) for n in report.notes}
    noted_fields = {n.field for n in report.notes if n.field is not None}
    silent: list[str] = []
    explained = 0
    if len(ref) != len(ours):
        if report.select("shapefile.deleted_record") or report.select("source.skipped"):
            explained += 1
        elif len(ours) > len(ref):
            scan.more.append(f"{label}: {len(ours)} features vs GDAL {len(ref)}")
        else:
            silent.append(f"feature count {len(ours)} vs GDAL {len(ref)}")
    n = min(len(ref), len(ours))
    ref_null = ref.geometry.isna().to_numpy() | ref.geometry.is_empty.to_numpy() \
        if hasattr(ref, "geometry") else np.ones(len(ref), bool)
    our_null = ours.geometry.isna().to_numpy() | ours.geometry.is_empty.to_numpy()
    fids = ours["source_fid"].to_numpy()
    lost = np.flatnonzero(our_null[:n] & ~ref_null[:n])
    unexplained = [int(fids[i]) for i in lost if int(fids[i]) not in noted_fids]
    if unexplained:
        silent.append(f"{len(unexplained)} geometries null here but not in GDAL "
                      f"(fids {unexplained[:5]})")
    elif len(lost):
        explained += 1
    mapped = {n.field for n in report.notes if n.code.startswith("field.")}
    for column in ref.columns:
        if column == getattr(ref, "_geometry_column_name", "geometry"):
            continue
        name = str(column)
        if name in mapped:
            continue  # renamed to a canonical column and converted, as reported
        ours_name = next((c for c in (name, f"{name}_source") if c in ours.columns), None)
        if ours_name is None:
            if name in noted_fields:
                explained += 1
            else:
                silent.append(f"column {name!r} missing")
            continue
        mine = ours[ours_name].tolist()
        theirs = ref[column].tolist()
        bad = [i for i in range(n) if not _same(mine[i], theirs[i])]
        if not bad:
            continue
        quiet = [i for i in bad if (int(fids[i]), name) not in noted_cells
                 and int(fids[i]) not in noted_fids and name not in noted_fields
                 and not _decoded_otherwise(mine[i], theirs[i], report)]
        if quiet:
            i = quiet[0]
            silent.append(f"column {name!r}: {len(quiet)} cell(s) differ, e.g. #{fids[i]} "
                          f"{mine[i]!r} vs GDAL {theirs[i]!r}")
        else:
            explained += 1
    scan.explained += explained
    scan.silent.extend(f"{label}: {text}" for text in silent)


def scan_file(path: Path, scan: Scan, *, verbose: bool) -> None:
    """Scan one file (all its layers) into ``scan``."""
    reference = _reference(path)
    if "" in reference:
        scan.not_counted["GDAL cannot open"] += 1
        return
    usable = {}
    for name, frame in reference.items():
        if isinstance(frame, Exception):
            scan.not_counted["GDAL cannot read the layer"] += 1
        elif not hasattr(frame, "geometry") or frame.geometry.isna().all():
            scan.not_counted["no geometry in GDAL's read"] += 1
        else:
            usable[name] = frame
    if not usable:
        return
    if path.suffix.lower() in _AGGREGATE:
        import geopandas as gpd

        frames = list(usable.values())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_all = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True)) \
                if len(frames) > 1 else frames[0]
        scan.layers += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mine = _read(county_gis.read_layers, path)
        except CountyGisError as exc:
            scan.refusals[_reason(exc)].append(f"{path}: {exc}")
            return
        except Exception as exc:
            scan.crashes.append(f"{path}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            return
        scan.read += 1
        total = sum(len(g) for g in mine.values())
        ref_nulls = int(ref_all.geometry.isna().sum())
        our_nulls = sum(int(g.geometry.isna().sum()) for g in mine.values())
        notes = [n for g in mine.values() for n in g.attrs["load_report"].notes]
        if total > len(ref_all):
            scan.more.append(f"{path}: {total} features vs GDAL {len(ref_all)}")
        elif total < len(ref_all):
            scan.silent.append(f"{path}: feature count {total} vs GDAL {len(ref_all)}")
        if our_nulls > ref_nulls and not any(n.code.startswith(("geometry.", "kml.", "table."))
                                             for n in notes):
            scan.silent.append(f"{path}: {our_nulls} null geometries vs GDAL {ref_nulls}")
        return
    for name, frame in usable.items():
        scan.layers += 1
        label = f"{path}:{name}"
        result = _ours(path, name if len(reference) > 1 else None)
        if isinstance(result, CountyGisError):
            scan.refusals[_reason(result)].append(f"{label}: {result}")
        elif isinstance(result, Exception):
            scan.crashes.append(f"{label}: {type(result).__name__}: {result}\n"
                                f"{result.__dict__.get('scan_traceback', '')}")
        else:
            scan.read += 1
            _compare(label, frame, result, scan)


def main(argv: list[str] | None = None) -> int:
    """Run the scan; print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every crash, refusal and silent difference")
    parser.add_argument("--engine", default="pyogrio", choices=["pyogrio", "fiona"],
                        help="county_gis's read engine (the reference is always pyogrio)")
    parser.add_argument("--missing-crs", default="", metavar="CRS[,CRS]",
                        help="read a layer refused for a missing CRS again with these CRSs")
    args = parser.parse_args(argv)
    ENGINE["engine"] = args.engine
    MISSING_CRS[:] = [c for c in args.missing_crs.split(",") if c]
    files = sorted(p for p in args.folder.rglob("*")
                   if p.is_file() and p.suffix.lower() in VECTOR_SUFFIXES)
    scan = Scan()
    for path in files:
        scan_file(path, scan, verbose=args.verbose)
    print(f"{len(files)} files, {scan.layers} layers GDAL reads with geometry "
          f"(not counted: {dict(scan.not_counted)})")
    print(f"read: {scan.read}; crashes: {len(scan.crashes)}; refusals: "
          f"{sum(len(v) for v in scan.refusals.values())}; silent differences: "
          f"{len(scan.silent)} (differences the report explains: {scan.explained})")
    print("refusals by reason:")
    for reason, items in sorted(scan.refusals.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(items):4d}  {reason}")
        if args.verbose:
            for item in items:
                print(f"          {item[:300]}")
    if scan.crashes:
        print("crashes:")
        for item in scan.crashes:
            print("  " + (item if args.verbose else item.splitlines()[0])[:3000])
    if scan.more:
        print(f"county_gis reads more features than GDAL ({len(scan.more)}):")
        for item in scan.more:
            print(f"  {item[:300]}")
    if scan.silent:
        print("silent differences:")
        for item in scan.silent:
            print(f"  {item[:300]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
