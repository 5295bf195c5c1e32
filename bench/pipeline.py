"""Benchmark: the job users run, at 10k, 100k (and 1M) features, against a careful geopandas script.

Run: ``python bench/pipeline.py [--sizes 10000 100000] [--repeat 5] [--constant-density]
[--ours-only] [--out results.md]``
(needs the bundled project built: ``python scripts/build_project.py``).

For each size it writes, in a temporary folder, an afforestation-like layer of ``n`` plots
(50–200 vertices each, 1–60 亩, Chinese attributes: 项目编号, 项目名称, 状态 in the words
bureaus use, 乡镇, 年度, 建设性质, 面积(亩), 树种, 备注) and ``n // 10`` roads (50–200 vertices,
道路类别 农村公路 / 村内道路), inside the real county with a realistic share of mess: 4 % of the
plots are re-digitised copies of a neighbour shifted by a few metres (overlaps), 3 % of the roads
are collected twice (repeats), and features near the edge cross the county boundary. The
project uses the bundled boundary, townships and targets.

Each step runs in a fresh process (so the peak memory, ``ru_maxrss``, is the step's own) and is
timed against the obvious alternative in the same run:

========================  ==================================================================
step                      alternative ("a careful geopandas script")
========================  ==================================================================
read_layer (all checks)   ``pyogrio.read_dataframe(use_arrow=True)``; ``geopandas.read_file``
load_project              ``read_file`` of both layers + status words mapped + ``clip`` to
                          the county
progress                  (a) area / length summed per status after an Albers projection
                          (overlaps counted twice); (b) union per cluster of overlapping
                          features (``sindex`` + ``scipy`` connected components), the most
                          advanced status first, then summed — the same answer as ours
progress by township      (b) then ``geopandas.overlay`` with the townships, per status
map (build + save)        — (reported alone: ours takes the progress results, computed once)
xlsx report               ``DataFrame.to_excel`` of the progress table
========================  ==================================================================

The progress figures of county_gis and of script (b) are printed side by side: the script
measures in an Albers equal-area projection, county_gis geodesically, so they agree to about
1e-6, not to the last digit.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ALBERS = ("+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 "
          "+units=m +no_defs")
CONSTANT_DENSITY = os.environ.get("COUNTY_GIS_BENCH_CONSTANT_DENSITY") == "1"
STATUS_WORDS = {"完工": "completed", "已完成": "completed", "竣工": "completed",
                "在建": "under_construction", "施工中": "under_construction",
                "计划": "planned", "拟建": "planned"}


# --------------------------------------------------------------------------- data

def _county():
    import geopandas as gpd

    gpkg = ROOT / "layers" / "fumeng.gpkg"
    boundary = gpd.read_file(gpkg, layer="county_boundary").geometry.iloc[0]
    towns = gpd.read_file(gpkg, layer="townships")
    return boundary, towns


def _points_inside(boundary, n: int, rng: np.random.Generator) -> np.ndarray:
    import shapely

    minx, miny, maxx, maxy = boundary.bounds
    shapely.prepare(boundary)
    out = np.empty((0, 2))
    while len(out) < n:
        xy = np.column_stack([rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)])
        out = np.vstack([out, xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])]])
    return out[:n]


def build(folder: Path, n: int, seed: int = 2023) -> Path:
    """Write the plots and roads of size ``n`` and a project.toml; return the project file."""
    import geopandas as gpd
    import pyogrio
    import shapely

    rng = np.random.default_rng(seed + n)
    boundary, _ = _county()
    centres = _points_inside(boundary, n, rng)
    vertices = rng.integers(50, 201, n)
    # plots of 1-60 亩 at 10,000 features; with --constant-density the plots shrink as the layer
    # grows, so that the share of overlapping plots stays what it is at 10,000
    shrink = min(1.0, 10_000 / n) if CONSTANT_DENSITY else 1.0
    mu = rng.uniform(1, 60, n) * shrink
    radius_m = np.sqrt(mu * 666.67 / np.pi)
    m_per_deg_x, m_per_deg_y = 82_700.0, 111_070.0
    plots = np.empty(n, dtype=object)
    for i in range(n):  # an irregular, smooth outline (star-shaped: one vertex per angle)
        k = vertices[i]
        angles = np.sort(rng.uniform(0, 2 * np.pi, k))
        lobes = rng.integers(2, 6, 2)
        phase = rng.uniform(0, 2 * np.pi, 2)
        r = radius_m[i] * (1 + 0.25 * np.sin(lobes[0] * angles + phase[0])
                           + 0.1 * np.sin(lobes[1] * angles + phase[1])
                           + rng.normal(0, 0.01, k))
        ring = np.column_stack([centres[i, 0] + r * np.cos(angles) / m_per_deg_x,
                                centres[i, 1] + r * np.sin(angles) / m_per_deg_y])
        plots[i] = shapely.Polygon(ring)
    copies = rng.choice(n, size=int(0.04 * n), replace=False)  # re-digitised neighbours
    shift = rng.uniform(-8, 8, (len(copies), 2)) * math.sqrt(shrink) / np.array(
        [m_per_deg_x, m_per_deg_y])
    for j, (i, d) in enumerate(zip(copies, shift, strict=True)):
        source = plots[(i + 1) % n]
        plots[i] = shapely.transform(source, lambda c, d=d: c + d)
        if j % 2:
            plots[i] = shapely.buffer(plots[i], 0)
    words = np.array(list(STATUS_WORDS))
    towns = np.array(["阜新镇", "大板镇", "扎兰营子镇", "福兴地镇", "旧庙镇", "泡子镇"])
    work = np.array(["造林", "抚育", "草原补播"])
    trees = np.array(["油松", "樟子松", "刺槐", "杨树", "沙棘", ""])
    forest = gpd.GeoDataFrame({
        "项目编号": [f"ZL-{i:07d}" for i in range(n)],
        "项目名称": [f"{towns[i % 6]}2023年人工造林第{i}号小班" for i in range(n)],
        "状态": words[rng.integers(0, len(words), n)],
        "乡镇": towns[rng.integers(0, 6, n)],
        "年度": np.full(n, 2023),
        "建设性质": work[rng.integers(0, 3, n)],
        "面积(亩)": np.round(mu, 2),
        "树种": trees[rng.integers(0, len(trees), n)],
        "备注": np.where(rng.random(n) < 0.1, "补植补造，苗木成活率待核查", ""),
    }, geometry=plots, crs=4490)
    n_roads = max(n // 10, 10)
    starts = _points_inside(boundary, n_roads, rng)
    roads = np.empty(n_roads, dtype=object)
    # a random walk of 50-200 steps of ~50 m; with --constant-density the steps shorten as the
    # plots shrink, so that the crossings per road stay what they are at 10,000 (100,000 roads
    # of 5 km in one county would cross each other ~300 times each)
    step_m = 50.0 * math.sqrt(shrink)
    for i in range(n_roads):
        k = int(rng.integers(50, 201))
        heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.2, k))
        steps = np.column_stack([np.cos(heading) * step_m / m_per_deg_x,
                                 np.sin(heading) * step_m / m_per_deg_y])
        roads[i] = shapely.LineString(starts[i] + np.vstack([[0, 0], np.cumsum(steps, 0)]))
    repeats = rng.choice(n_roads, size=max(int(0.03 * n_roads), 1), replace=False)
    for i in repeats:
        roads[i] = roads[(i + 1) % n_roads]
    road = gpd.GeoDataFrame({
        "项目编号": [f"GL-{i:06d}" for i in range(n_roads)],
        "项目名称": [f"{towns[i % 6]}通村公路{i}" for i in range(n_roads)],
        "状态": words[rng.integers(0, len(words), n_roads)],
        "乡镇": towns[rng.integers(0, 6, n_roads)],
        "年度": np.full(n_roads, 2023),
        "道路类别": np.where(rng.random(n_roads) < 0.5, "农村公路", "村内道路"),
        "建设性质": np.array(["新建", "改建", "维修改造"])[rng.integers(0, 3, n_roads)],
    }, geometry=roads, crs=4490)
    for column in ("道路类别", "建设性质"):  # a road collected twice is the same road
        road.loc[repeats, column] = road[column].to_numpy()[(repeats + 1) % n_roads]
    data = folder / f"plots_{n}.gpkg"
    pyogrio.write_dataframe(forest, data, layer="造林小班")
    pyogrio.write_dataframe(road, data, layer="农村公路")
    bundled = ROOT / "layers" / "fumeng.gpkg"
    project = folder / f"project_{n}.toml"
    project.write_text(
        f'name = "基准 {n}"\n\n[boundary]\npath = "{bundled.as_posix()}"\n'
        'layer = "county_boundary"\n\n'
        f'[townships]\npath = "{bundled.as_posix()}"\nlayer = "townships"\n'
        'code = "township_code"\nname = "township_name"\nkind = "township_kind"\n\n'
        f'[layers.afforestation]\npath = "{data.name}"\nlayer = "造林小班"\n'
        'kind = "afforestation"\n\n'
        f'[layers.roads]\npath = "{data.name}"\nlayer = "农村公路"\nkind = "road_rebuild"\n',
        encoding="utf-8")
    return project


# --------------------------------------------------------------------------- steps

def _careful_load(project: Path):
    """The careful script's loading: read, map the status words, clip to the county."""
    import geopandas as gpd

    data = project.parent / project.name.replace("project_", "plots_").replace(".toml", ".gpkg")
    boundary, towns = _county()
    out = {}
    for layer in ("造林小班", "农村公路"):
        gdf = gpd.read_file(data, layer=layer, engine="pyogrio", use_arrow=True)
        gdf["status"] = gdf["状态"].map(STATUS_WORDS)
        out[layer] = gdf
    return out, boundary, towns


def _clip(gdf, boundary):
    import shapely

    geoms = gdf.geometry.values
    shapely.prepare(boundary)
    inside = shapely.covered_by(geoms, boundary)
    clipped = np.asarray(geoms).copy()
    clipped[~inside] = shapely.intersection(clipped[~inside], boundary)
    return gdf.set_geometry(clipped)


def _cluster_union(gdf):
    """Union per cluster of overlapping features, the most advanced status first."""
    import geopandas as gpd
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    geoms = np.asarray(gdf.geometry.values)
    left, right = gdf.sindex.query(gdf.geometry, predicate="intersects")
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(gdf), len(gdf)))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    alone = sizes[labels] == 1
    status = gdf["status"].to_numpy()
    pieces, keys = list(geoms[alone]), list(status[alone])
    for label in np.flatnonzero(sizes > 1):
        members = np.flatnonzero(labels == label)
        covered = None
        for key in ("completed", "under_construction", "planned"):
            chosen = members[status[members] == key]
            if not len(chosen):
                continue
            union = shapely.union_all(geoms[chosen])
            pieces.append(union if covered is None else shapely.difference(union, covered))
            keys.append(key)
            covered = union if covered is None else shapely.union(covered, union)
    return gpd.GeoDataFrame({"status": keys}, geometry=pieces, crs=gdf.crs)


def step(name: str, project: Path) -> dict:
    """Run one step in this process; return its result (figures) and timings."""
    import geopandas as gpd
    import pyogrio

    import county_gis
    from county_gis.report import write_report

    data = project.parent / project.name.replace("project_", "plots_").replace(".toml", ".gpkg")
    read_layer = county_gis.read_layer  # imported before the clock starts, as pyogrio is
    t0 = time.perf_counter()
    out: dict = {}
    if name == "read_layer":
        gdf = read_layer(data, layer="造林小班", kind="afforestation")
        out["features"] = len(gdf)
    elif name == "read_arrow":
        gdf = pyogrio.read_dataframe(data, layer="造林小班", use_arrow=True)
        out["features"] = len(gdf)
    elif name == "read_file":
        gdf = gpd.read_file(data, layer="造林小班")
        out["features"] = len(gdf)
    elif name == "load_project":
        p = county_gis.load_project(project)
        out["features"] = sum(len(f) for f in p.layers.values())
    elif name == "careful_load":
        layers, boundary, _ = _careful_load(project)
        layers = {k: _clip(v, boundary) for k, v in layers.items()}
        out["features"] = sum(len(f) for f in layers.values())
    elif name in ("progress", "progress_township", "map", "xlsx"):
        p = county_gis.load_project(project)
        t0 = time.perf_counter()  # the loading is timed on its own
        details = county_gis.progress_details(
            p, by="township" if name == "progress_township" else None)
        row = details.table.set_index("target_id")
        out["afforestation_mu"] = {k: float(row.loc["afforestation", k])
                                   for k in ("completed", "under_construction", "planned")}
        out["roads_km"] = float(row.loc["rural_roads", "completed"]
                                + row.loc["village_roads", "completed"])
        if name == "map":
            t0 = time.perf_counter()
            m = county_gis.make_map(p, progress=details)
            with tempfile.TemporaryDirectory() as tmp:
                county_gis.save_map(m, Path(tmp) / "map.html")
                out["html_mb"] = (Path(tmp) / "map.html").stat().st_size / 1e6
        elif name == "xlsx":
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                write_report(details, Path(tmp) / "r.xlsx")
    elif name in ("careful_sum", "careful_cluster", "careful_township", "careful_xlsx"):
        layers, boundary, towns = _careful_load(project)
        t0 = time.perf_counter()
        plots = _clip(layers["造林小班"], boundary)
        plots = plots[plots["建设性质"].isin(["造林", "抚育", "草原补播"])]
        roads = _clip(layers["农村公路"], boundary)
        if name == "careful_sum":
            area = plots.to_crs(ALBERS).area / 666.6667
            out["afforestation_mu"] = area.groupby(plots["status"]).sum().to_dict()
            out["roads_km"] = float(roads[roads["status"] == "completed"].to_crs(ALBERS)
                                    .length.sum() / 1000)
        else:
            merged = _cluster_union(plots)
            lines = _cluster_union(roads)
            if name == "careful_township":
                merged = gpd.overlay(merged, towns[["township_name", "geometry"]],
                                     how="intersection", keep_geom_type=True)
                lines = gpd.overlay(lines, towns[["township_name", "geometry"]],
                                    how="intersection", keep_geom_type=True)
            area = merged.to_crs(ALBERS).area / 666.6667
            out["afforestation_mu"] = area.groupby(merged["status"]).sum().to_dict()
            length = lines.to_crs(ALBERS).length / 1000
            out["roads_km"] = float(length[lines["status"] == "completed"].sum())
            if name == "careful_xlsx":
                t0 = time.perf_counter()
                table = area.groupby(merged["status"]).sum().to_frame("亩")
                with tempfile.TemporaryDirectory() as tmp:
                    table.to_excel(Path(tmp) / "r.xlsx")
    else:
        raise SystemExit(f"unknown step {name!r}")
    out["seconds"] = time.perf_counter() - t0
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_step(name: str, project: Path, repeat: int = 1) -> dict:
    """``step`` in a fresh process (its own peak memory); of ``repeat`` runs, the median one."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--step", name, "--project",
                               str(project)], capture_output=True, text=True, env=env,
                              check=False)
        if done.returncode:
            raise SystemExit(f"step {name} failed:\n{done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


PAIRS = [
    ("read_layer", ["read_arrow", "read_file"]),
    ("load_project", ["careful_load"]),
    ("progress", ["careful_sum", "careful_cluster"]),
    ("progress_township", ["careful_township"]),
    ("map", []),
    ("xlsx", ["careful_xlsx"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--steps", nargs="+", default=[p[0] for p in PAIRS])
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--constant-density", action="store_true",
                        help="shrink the plots as the layer grows (the same share of overlaps "
                             "at every size), to measure how the time grows with n")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each step this many times (each in a fresh process) "
                             "and report the run of median time")
    parser.add_argument("--ours-only", action="store_true",
                        help="time county_gis's steps only (for the growth with n at sizes "
                             "where the script's union per cluster would take many minutes)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.constant_density:
        os.environ["COUNTY_GIS_BENCH_CONSTANT_DENSITY"] = "1"
        global CONSTANT_DENSITY
        CONSTANT_DENSITY = True
    if args.step:
        import warnings

        warnings.simplefilter("ignore")
        print(json.dumps(step(args.step, args.project), ensure_ascii=False))
        return
    lines = [f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f}",
             "| step | features | county_gis | alternative | ratio | peak MiB (ours / alt) |",
             "|---|---|---|---|---|---|"]
    print(lines[0])
    seconds: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="county_gis_bench_") as tmp:
        for n in args.sizes:
            t = time.perf_counter()
            project = build(Path(tmp), n)
            print(f"built {n:,} plots + {n // 10:,} roads in {time.perf_counter() - t:.1f} s")
            for ours, others in PAIRS:
                if ours not in args.steps:
                    continue
                mine = run_step(ours, project, args.repeat)
                seconds.setdefault(ours, {})[n] = mine["seconds"]
                alts = {} if args.ours_only else {o: run_step(o, project, args.repeat)
                                                  for o in others}
                alt_text = "; ".join(f"{o} {r['seconds']:.2f} s" for o, r in alts.items()) or "—"
                ratio = "; ".join(f"{r['seconds'] / mine['seconds']:.2f}×"
                                  for r in alts.values()) or "—"
                peaks = " / ".join([f"{mine['peak_mib']:.0f}"]
                                   + [f"{r['peak_mib']:.0f}" for r in alts.values()])
                line = (f"| {ours} | {n:,} | {mine['seconds']:.2f} s | {alt_text} | {ratio} "
                        f"| {peaks} |")
                lines.append(line)
                print(line, flush=True)
                for key in ("afforestation_mu", "roads_km"):
                    if key in mine:
                        print(f"    {key}: county_gis {mine[key]}; "
                              + "; ".join(f"{o} {r.get(key)}" for o, r in alts.items()))
    for ours, by_size in seconds.items():
        sizes = sorted(by_size)
        if len(sizes) >= 2 and by_size[sizes[0]] > 0:
            exponent = math.log(by_size[sizes[-1]] / by_size[sizes[0]]) / math.log(
                sizes[-1] / sizes[0])
            line = f"growth of {ours} from {sizes[0]:,} to {sizes[-1]:,}: n^{exponent:.2f}"
            lines.append(line)
            print(line)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
