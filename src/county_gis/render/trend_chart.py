"""Trend charts: one PNG per target, % completed by snapshot against 序时进度, with lamps.

For reports (the 进度通报, slides): :func:`trend_charts` draws, for every target of a
:class:`~county_gis.analysis.Trend`, the % completed at each snapshot (a line with a dot
in the colour of that date's lamp), 序时进度 (dashed) and the gap at the last date. The
synthetic snapshots of the bundled project say so in the chart. matplotlib is imported
only when a chart is drawn.

Examples
--------
>>> import tempfile
>>> from county_gis.analysis import trend
>>> from county_gis.project import load_project
>>> t = trend(load_project(), dates=["2023-06-30", "2023-12-31"])
>>> paths = trend_charts(t, tempfile.mkdtemp(), targets=["rural_roads"])
>>> [p.name for p in paths]
['trend_rural_roads.png']
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._atomic import atomic_path, check_overwrite
from ..analysis import Trend
from ..errors import ConfigError
from ..history import Lamp

__all__ = ["trend_chart", "trend_charts"]

_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Micro Hei", "Source Han Sans SC",
          "SimHei", "Microsoft YaHei", "DejaVu Sans"]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - installed with the charts extra
        raise ImportError("trend charts need matplotlib: pip install 'county_gis[charts]' "
                          "(or pip install matplotlib)") from None
    return plt


def trend_chart(trend: Trend, target_id: str, path: str | os.PathLike[str], *,
                overwrite: bool = False, dpi: int = 150) -> Path:
    """Draw one target's trend into ``path`` (PNG), atomically.

    Raises
    ------
    ConfigError
        If ``target_id`` is not in the trend.
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false.
    """
    rows = trend.series(target_id)
    if not len(rows):
        known = ", ".join(dict.fromkeys(trend.table["target_id"]))
        raise ConfigError(f"target {target_id!r} has no trend; targets with map data: {known}")
    plt = _pyplot()
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    font = [f for f in _FONTS if f in names] or ["DejaVu Sans"]
    with plt.rc_context({"font.sans-serif": font, "font.family": "sans-serif",
                         "axes.unicode_minus": False, "svg.hashsalt": "county_gis"}):
        fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=dpi)
        try:
            days = list(rows["date"])
            dates = list(range(len(days)))  # one slot per snapshot, labelled month/day
            ax.plot(dates, rows["expected_pct"], linestyle="--", color="#888888",
                    label="序时进度")
            ax.plot(dates, rows["pct_completed"], color="#1b7837", linewidth=1.8,
                    label="完成率")
            ax.scatter(dates, rows["pct_completed"], zorder=3, s=36, edgecolors="#333333",
                       linewidths=0.5, c=[Lamp.parse(str(v)).colour for v in rows["lamp"]])
            last = rows.iloc[-1]
            ax.text(0.98, 0.04, f"{days[-1].month}/{days[-1].day}: {last['pct_completed']:.1f}% "
                    f"({last['gap']:+.2f} 个百分点, {last['lamp_label']})",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#cccccc"})
            top = max(100.0, float(rows[["pct_completed", "expected_pct"]].max().max()))
            ax.set_ylim(0, top * 1.12)
            ax.set_ylabel("%")
            title = str(last["title"])
            ax.set_title(title if len(title) <= 34 else title[:33] + "…", fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left", fontsize=8, frameon=False)
            ax.set_xticks(dates, [f"{d.month}/{d.day}" for d in days], fontsize=8)
            ax.set_xlim(-0.5, len(days) - 0.5)
            note = f"截至 {days[-1]} · 规则 {trend.rules.preset.value}"
            if trend.synthetic:
                note += " · 逐月数据为合成示例 (synthetic)"
            fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="#555555")
            with atomic_path(path, overwrite=overwrite) as tmp:
                fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
        finally:
            plt.close(fig)
    return Path(path)


def trend_charts(trend: Trend, out_dir: str | os.PathLike[str], *,
                 targets: Sequence[str] | None = None, overwrite: bool = False,
                 dpi: int = 150) -> list[Path]:
    """One chart per target: ``out_dir/trend_<target_id>.png``.

    Parameters
    ----------
    trend : Trend
        From :func:`county_gis.analysis.trend`.
    out_dir : path-like
        The folder (created if needed).
    targets : sequence of str, optional
        Target ids; default every target of the trend.
    overwrite : bool, default False
        Replace existing charts (checked for all before any is drawn).
    dpi : int, default 150

    Returns
    -------
    list of Path
    """
    ids = list(targets) if targets is not None else list(dict.fromkeys(trend.table["target_id"]))
    folder = Path(out_dir)
    paths = [folder / f"trend_{re.sub(r'[^A-Za-z0-9_.-]', '_', i)}.png" for i in ids]
    for path in paths:
        check_overwrite(path, overwrite)
    return [trend_chart(trend, i, p, overwrite=overwrite, dpi=dpi)
            for i, p in zip(ids, paths, strict=True)]
