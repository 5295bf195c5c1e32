"""Benchmark: county_gis maps against ``GeoDataFrame.explore()`` on the same plots.

Builds one layer of N plots (default 10,000; ~120 vertices each, inside the real county
boundary, fixed seed), then in one run:

1. ``explore()`` + ``Map.save`` — size and build-and-save time;
2. ``county_gis.render.make_map`` + ``save_map`` (offline, self-contained) — the same;
3. headless Chromium (system ``chromium``, network blocked) on our page: time to first
   paint of the features, the time to zoom in to one plot at zoom 14 (where the layer
   switches from its coarse to its full-detail geometry), and the time of programmatic
   zoom / pan steps from there (pan and zoom responsiveness). explore's page loads
   Leaflet, jQuery and Bootstrap from CDNs, so it cannot be opened on an offline machine;
   its browser numbers are not measured here;
4. the large-layer strategy on ``--big`` plots (default 100,000): features bucketed on a
   0.05° grid, aggregated below the detail zoom, drawn bucket by bucket above it — size,
   build time, first paint and the time to show detail after zooming in.

Run ``python bench/render.py`` (add ``--big 0`` to skip step 4). Results are printed and
written to ``bench/results/render.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
STATUSES = np.array(["planned", "under_construction", "completed"])
WORK = np.array(["造林", "抚育", "草原补播"])


def make_plots(n: int, *, seed: int = 20250521, vertices: int = 120) -> gpd.GeoDataFrame:
    """``n`` wobbly plots (radius 60-200 m, ``vertices`` vertices) inside the county."""
    county = gpd.read_file(ROOT / "layers" / "fumeng.gpkg", layer="county_boundary")
    area = county.geometry.iloc[0]
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.bounds
    centres = np.empty((0, 2))
    shapely.prepare(area)
    while len(centres) < n:
        cand = np.column_stack([rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)])
        inside = shapely.contains_xy(area, cand[:, 0], cand[:, 1])
        centres = np.vstack([centres, cand[inside]])
    centres = centres[:n]
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius_m = rng.uniform(60, 200, n)[:, None]
    phase = rng.uniform(0, 2 * np.pi, (n, 2))
    r = radius_m * (1 + 0.15 * np.sin(3 * theta + phase[:, :1]) + 0.08 * np.sin(5 * theta
                                                                                  + phase[:, 1:]))
    r = r + rng.normal(0, 0.2, r.shape)  # digitising noise, 0.2 m
    lat0 = centres[:, 1:2]
    dx = r * np.cos(theta) / (111_320 * np.cos(np.radians(lat0)))
    dy = r * np.sin(theta) / 110_950
    ring = np.stack([centres[:, :1] + dx, lat0 + dy], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    geoms = shapely.polygons(ring)
    return gpd.GeoDataFrame({
        "project_id": [f"ZL-{i:06d}" for i in range(n)],
        "name": [f"造林地块{i:06d}" for i in range(n)],
        "kind": "afforestation",
        "status": STATUSES[rng.integers(0, 3, n)],
        "township": "旧庙镇",
        "year": 2025,
        "work_type": WORK[rng.integers(0, 3, n)],
        "stated_area_mu": np.round(rng.uniform(10, 200, n), 2),
        "remarks": "示范地块，补植补造",
    }, geometry=geoms, crs="EPSG:4490"), county


def _project(plots: gpd.GeoDataFrame, county: gpd.GeoDataFrame) -> SimpleNamespace:
    return SimpleNamespace(name="bench", boundary=county, townships=None,
                           layers={"afforestation": plots}, targets=[], reports={})


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run_explore(plots: gpd.GeoDataFrame, out: Path) -> dict:
    def build_and_save():
        m = plots.explore()
        m.save(out)
    _, seconds = _timed(build_and_save)
    return {"bytes": out.stat().st_size, "seconds": seconds}


def run_ours(project: SimpleNamespace, out: Path, **kwargs) -> dict:
    from county_gis.render import make_map, save_map

    def build_and_save():
        return save_map(make_map(project, **kwargs), out, overwrite=True)
    saved, seconds = _timed(build_and_save)
    return {"bytes": saved.size, "seconds": seconds}


_FIRST_PAINT = """
() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(
    () => resolve(performance.now()))))
"""
_STEP = """
async ([kind, arg]) => {
  const map = CountyGis.map;
  const t0 = performance.now();
  if (kind === 'zoom') map.setZoom(map.getZoom() + arg, {animate: false});
  else map.panBy(arg, {animate: false});
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}
"""


def _steps(page) -> dict:
    steps = [page.evaluate(_STEP, [kind, arg]) for kind, arg in [
        ("zoom", 1), ("pan", [300, 200]), ("zoom", -1), ("pan", [-400, 100]),
        ("zoom", 1), ("pan", [200, -300]), ("zoom", -1), ("pan", [-100, 0])]]
    return {"median_ms": round(statistics.median(steps), 1), "max_ms": round(max(steps), 1)}


def browser_metrics(html: Path, *, detail: tuple[float, float, int] | None = None) -> dict:
    """First paint and zoom / pan step times of one of our pages in headless Chromium."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        return {"error": "no chromium"}
    out: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        blocked: list[str] = []
        errors: list[str] = []

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()
        page.route("**/*", route)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(html.resolve().as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_function("window.CountyGis && CountyGis.control", timeout=120_000)
        out["first_paint_ms"] = round(page.evaluate(_FIRST_PAINT), 1)
        out["drawn"] = page.evaluate("CountyGis.count()")
        out["overview"] = _steps(page)  # county view: zoom in / out by one, pans
        if detail is not None:
            lat, lon, zoom = detail
            t = page.evaluate(
                """async ([lat, lon, zoom]) => { const t0 = performance.now();
                CountyGis.map.setView([lat, lon], zoom, {animate: false});
                await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
                return performance.now() - t0; }""", [lat, lon, zoom])
            out["zoom_to_detail_ms"] = round(t, 1)
            out["drawn_at_detail"] = page.evaluate("CountyGis.count()")
            out["detail"] = _steps(page)
        out["blocked_requests"] = len(blocked)
        out["errors"] = errors
        browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="render-bench-"))
    results: dict = {"n": args.n}

    plots, county = make_plots(args.n)
    vertices = int(shapely.get_num_coordinates(plots.geometry.values).sum())
    results["vertices"] = vertices
    print(f"{args.n:,} plots, {vertices:,} vertices ({vertices / args.n:.0f} per plot)")

    explore = run_explore(plots, work / "explore.html")
    ours = run_ours(_project(plots, county), work / "ours.html")
    results["explore"], results["ours"] = explore, ours
    size_ratio = ours["bytes"] / explore["bytes"]
    time_ratio = ours["seconds"] / explore["seconds"]
    results["size_ratio"], results["time_ratio"] = size_ratio, time_ratio
    print(f"explore(): {explore['bytes'] / 1e6:8.2f} MB  {explore['seconds']:6.2f} s build+save")
    print(f"county_gis: {ours['bytes'] / 1e6:7.2f} MB  {ours['seconds']:6.2f} s build+save "
          "(self-contained: Leaflet + plugins inlined)")
    print(f"size ratio {size_ratio:.3f} (goal <= 0.25)   time ratio {time_ratio:.3f} (goal <= 0.5)")

    first = plots.geometry.iloc[0].centroid
    browser = browser_metrics(work / "ours.html", detail=(first.y, first.x, 14))
    results["ours_browser"] = browser
    print(f"chromium, county_gis page: first paint {browser.get('first_paint_ms')} ms "
          f"(goal <= 2000); zoom/pan steps at the county view {browser.get('overview')}; "
          f"zoom in to a plot (full detail) {browser.get('zoom_to_detail_ms')} ms, then steps "
          f"{browser.get('detail')}; drawn {browser.get('drawn')}; "
          f"requests blocked {browser.get('blocked_requests')}; errors {browser.get('errors')}")
    print("chromium, explore() page: not measured (it loads Leaflet/jQuery/Bootstrap from CDNs; "
          "this machine is offline)")

    if args.big:
        big, county = make_plots(args.big, seed=7)
        ours_big = run_ours(_project(big, county), work / "big.html")
        centre = big.geometry.iloc[0].centroid
        browser_big = browser_metrics(work / "big.html", detail=(centre.y, centre.x, 14))
        results["big"] = {"n": args.big, **ours_big, "browser": browser_big}
        print(f"{args.big:,} plots (bucketed, aggregated below zoom 13): "
              f"{ours_big['bytes'] / 1e6:.2f} MB, {ours_big['seconds']:.2f} s build+save; "
              f"first paint {browser_big.get('first_paint_ms')} ms; zoom to detail "
              f"{browser_big.get('zoom_to_detail_ms')} ms drawing "
              f"{browser_big.get('drawn_at_detail')}; steps at the county view "
              f"{browser_big.get('overview')}, at detail {browser_big.get('detail')}; "
              f"errors {browser_big.get('errors')}")

    (args.out / "render.json").write_text(json.dumps(results, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
