"""Benchmark: the meeting-room outputs on the bundled project, against the obvious alternatives.

In one run, on the bundled 阜新蒙古族自治县 project (``layers/``, built by
``scripts/build_project.py``):

1. the A4 page (``county_gis.print_map``, vector PDF with the surround and the progress
   table) — time and size — against the obvious alternative, ``GeoDataFrame.plot`` of every
   layer on one matplotlib figure saved as PDF (no surround, no CJK font set-up);
2. the 37-page atlas (``print_atlas``: the county and 36 township pages) — time and size —
   against the same 37 pages rasterised to 150-dpi PNGs (what "screenshots pasted into Word"
   weigh);
3. the 进度通报 with its map (``write_tongbao``) — time — against writing the xlsx alone
   (``county_gis.report.write_report``) from the same ``ProgressDetails``.

The issue's budgets are reported, not asserted: A4 page ≤ 10 s, atlas < 20 MB, 通报 with
its map ≤ 15 s. Run ``python bench/outputs.py``; results are printed and written to
``bench/results/outputs.json``.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import county_gis
from county_gis.report import write_report

ROOT = Path(__file__).resolve().parents[1]


def _timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def _plain_plot(project, out: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(297 / 25.4, 210 / 25.4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    project.boundary.boundary.plot(ax=ax, color="black")
    for gdf in project.layers.values():
        if len(gdf):
            gdf.plot(ax=ax)
    fig.savefig(out)


def main() -> dict:
    project = county_gis.load_project()
    details, t_details = _timed(county_gis.progress_details, project, by="township")
    out: dict = {"machine": platform.platform(), "python": platform.python_version(),
                 "progress_details_s": round(t_details, 2)}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        _, t_page = _timed(county_gis.print_map, project, tmp / "a4.pdf", progress=details)
        _, t_plain = _timed(_plain_plot, project, tmp / "plain.pdf")
        out["a4_page"] = {"seconds": round(t_page, 2),
                          "bytes": (tmp / "a4.pdf").stat().st_size,
                          "budget_seconds": 10, "within_budget": t_page <= 10}
        out["a4_plain_geopandas_plot"] = {"seconds": round(t_plain, 2),
                                          "bytes": (tmp / "plain.pdf").stat().st_size}
        _, t_png = _timed(county_gis.print_map, project, tmp / "a4.png", progress=details)
        out["a4_png_300dpi"] = {"seconds": round(t_png, 2),
                                "bytes": (tmp / "a4.png").stat().st_size}

        atlas, t_atlas = _timed(county_gis.print_atlas, project, tmp / "atlas.pdf",
                                progress=details)
        size = (tmp / "atlas.pdf").stat().st_size
        out["atlas"] = {"pages": atlas.pages, "seconds": round(t_atlas, 2), "bytes": size,
                        "budget_bytes": 20 * 1024 * 1024,
                        "within_budget": size < 20 * 1024 * 1024}
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm:
            subprocess.run([pdftoppm, "-r", "150", "-png", str(tmp / "atlas.pdf"),
                            str(tmp / "page")], check=True)
            pngs = sorted(tmp.glob("page-*.png"))
            out["atlas_as_150dpi_pngs"] = {"pages": len(pngs),
                                           "bytes": sum(p.stat().st_size for p in pngs)}

        _, t_docx = _timed(county_gis.write_tongbao, project, details, tmp / "通报.docx")
        _, t_xlsx = _timed(write_report, details, tmp / "进度.xlsx")
        out["tongbao_with_map"] = {"seconds": round(t_docx, 2),
                                   "bytes": (tmp / "通报.docx").stat().st_size,
                                   "budget_seconds": 15, "within_budget": t_docx <= 15}
        out["xlsx_alone"] = {"seconds": round(t_xlsx, 2),
                             "bytes": (tmp / "进度.xlsx").stat().st_size}
    return out


if __name__ == "__main__":
    results = main()
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    folder = ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    (folder / "outputs.json").write_text(text + "\n", encoding="utf-8")
