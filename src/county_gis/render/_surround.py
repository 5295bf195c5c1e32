"""The surround of a printed page: 指北针, 比例尺, 图例, the info block and tables (matplotlib).

Each function draws into its own axes, whose units are millimetres of paper from the box's
lower-left corner; :mod:`._print` lays the boxes out around the data frame. Colours, dashes and
symbols come from the style vocabulary (:mod:`._style`) the HTML map reads too.

Examples
--------
>>> nice_scale(737_000), scale_text(800_000)
(800000, '1:80万')
>>> wrap("坐标系：2000国家大地坐标系", 20, 6.3)  # 6.3 pt: a CJK character is 2.2 mm wide
['坐标系：2000国家', '大地坐标系']
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..units import format_amount
from ..vocabulary import Status
from . import _style

#: the one amount format of tables and documents (:func:`county_gis.units.format_amount`)
fmt_amount = format_amount

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["PT", "bar_length", "bold", "fmt_amount", "info", "legend", "mpl_dash",
           "nice_scale", "north_arrow", "rgb", "scale_bar", "scale_text", "table", "wrap"]

_STEPS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_scale(raw: float) -> int:
    """The next round 数字比例尺 denominator at or above ``raw`` (1 1.5 2 2.5 3 4 5 6 8 × 10ⁿ).

    Examples
    --------
    >>> nice_scale(318_000), nice_scale(40_000), nice_scale(737_000)
    (400000, 40000, 800000)
    """
    exponent = math.floor(math.log10(raw))
    for step in _STEPS:
        value = step * 10**exponent
        if value >= raw * (1 - 1e-9):
            return round(value)
    return int(10 ** (exponent + 1))


def scale_text(scale: int) -> str:
    """The 数字比例尺 as printed: ``1:40万`` or ``1:5000``.

    Examples
    --------
    >>> scale_text(400000), scale_text(250000), scale_text(5000), scale_text(15000)
    ('1:40万', '1:25万', '1:5000', '1:1.5万')
    """
    if scale >= 10_000:
        return f"1:{scale / 10_000:g}万"
    return f"1:{scale}"


def bar_length(scale: int, max_mm: float) -> tuple[float, int]:
    """A round ground length (m) whose bar fits in ``max_mm``, and the number of segments."""
    max_m = max_mm / 1000 * scale
    exponent = math.floor(math.log10(max_m))
    for step in (5, 4, 2, 1):
        length = step * 10**exponent
        if length <= max_m:
            return float(length), 4 if step in (4, 2) else 5 if step in (5, 1) else 4
    return float(10**exponent), 5



PT = 0.75  # print weight (pt) per screen pixel of the style vocabulary


def mpl_dash(dash: tuple[float, ...] | None, width: float) -> Any:
    if dash is None:
        return "solid"
    return (0, tuple(d * PT / max(width, 0.1) for d in dash))



def bold(colour: str = "#222222") -> dict[str, Any]:
    """Bold text for fonts without a bold face (WenQuanYi): a thin stroke of its colour."""
    import matplotlib.patheffects as pe

    return {"color": colour, "path_effects": [pe.withStroke(linewidth=0.45, foreground=colour)]}


def rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]



def north_arrow(ax: Axes, box: tuple[float, float, float, float]) -> None:
    from matplotlib.patches import Polygon as MplPolygon

    w, h = box[2] - box[0], box[3] - box[1]
    cx, top = w / 2, h - 1.5
    size = min(h - 7, 16.0)
    ax.add_patch(MplPolygon([(cx, top), (cx - size * 0.28, top - size), (cx, top - size * 0.72)],
                            closed=True, facecolor="#222222", edgecolor="#222222", lw=0.6))
    ax.add_patch(MplPolygon([(cx, top), (cx + size * 0.28, top - size), (cx, top - size * 0.72)],
                            closed=True, facecolor="white", edgecolor="#222222", lw=0.6))
    ax.text(cx, top - size - 1.0, "北", ha="center", va="top", fontsize=9, **bold())


def scale_bar(ax: Axes, box: tuple[float, float, float, float], scale: int) -> tuple[float, float]:
    """Draw the 线段比例尺 and the 数字比例尺; return (ground m, paper mm) of the bar."""
    from matplotlib.patches import Rectangle

    w, h = box[2] - box[0], box[3] - box[1]
    metres, parts = bar_length(scale, w * 0.72)
    length_mm = metres / scale * 1000
    x0, y0, bar_h = 2.0, h * 0.45, 1.6
    seg = length_mm / parts
    for i in range(parts):
        ax.add_patch(Rectangle((x0 + i * seg, y0), seg, bar_h, facecolor="#222222" if i % 2 == 0
                               else "white", edgecolor="#222222", lw=0.5))
    unit, factor = ("公里", 1000.0) if metres >= 1000 else ("米", 1.0)
    for i in (0, parts):
        ax.text(x0 + i * seg, y0 + bar_h + 0.8, f"{metres * i / parts / factor:g}", ha="center",
                va="bottom", fontsize=6.5)
    ax.text(x0 + length_mm + 1.5, y0 + bar_h / 2, unit, ha="left", va="center", fontsize=6.5)
    ax.text(x0, y0 - 1.2, f"数字比例尺 {scale_text(scale)}", ha="left", va="top", fontsize=8)
    return metres, length_mm


def legend(ax: Axes, box: tuple[float, float, float, float], entries: list[dict[str, Any]],
            *, columns: int = 1) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    w, h = box[2] - box[0], box[3] - box[1]
    ax.add_patch(Rectangle((0, 0), w, h, facecolor="white", edgecolor="#555555", lw=0.5,
                           clip_on=False))
    ax.text(w / 2, h - 2, "图  例", ha="center", va="top", fontsize=9, **bold())
    rows: list[tuple[str, str, int, Status | None, str | None]] = []
    seen = set()
    for e in entries:  # "symbol": zone / conflict / allowed (三区三线, _print_zones)
        if e["label"] not in seen:
            seen.add(e["label"])
            rows.append((e["label"], e["colour"], e["dim"], Status.COMPLETED,
                         e.get("symbol")))
    rows += [("县界", _style.BOUNDARY.colour, -1, None, None),
             ("乡镇界（示意）", _style.TOWNSHIPS.colour, -2, None, None)]
    statuses = [(s.label, "#555555", d, s, None) for s in Status for d in (2,)]
    n_rows = math.ceil(len(rows) / columns) + 1 + len(statuses)
    step = min(5.0, (h - 9) / max(n_rows + 0.6, 1))
    font = min(7.5, step * 1.6)
    col_w = (w - 2) / columns

    def symbol(x: float, y: float, colour: str, dim: int, status: Status | None,
               special: str | None = None) -> None:
        style = _style.STATUS_STYLES[status or Status.COMPLETED]
        if special is not None:  # the 三区三线 layers: zone outline, hatched / dashed overlap
            ax.add_patch(Rectangle(
                (x, y - 1.3), 6, 2.6,
                facecolor=(*rgb(colour), 0.10 if special == "zone" else
                           0.25 if special == "conflict" else 0.0),
                edgecolor=colour, lw=1.0 if special == "conflict" else 0.7,
                hatch="////" if special == "conflict" else None,
                linestyle=(0, (3, 2)) if special == "allowed" else "-"))
        elif dim == 2:
            ax.add_patch(Rectangle((x, y - 1.3), 6, 2.6, facecolor=(*rgb(colour),
                                   style.fill_opacity), edgecolor=colour, lw=0.6,
                                   linestyle=mpl_dash(style.polygon_dash, 0.6)))
        elif dim == 1:
            lw = style.line_weight * PT * 0.5 + 0.3
            ax.add_line(Line2D([x, x + 6], [y, y], color=colour, lw=lw,
                               linestyle=mpl_dash(style.line_dash, lw)))
        elif dim == 0:
            ax.scatter([x + 3], [y], s=(_style.POINT.radius_county * PT * 2) ** 2,
                       facecolor=(*rgb(colour), style.point_fill),
                       edgecolor=_style.POINT.stroke, linewidth=0.75)
        else:
            ref = _style.BOUNDARY if dim == -1 else _style.TOWNSHIPS
            ax.add_line(Line2D([x, x + 6], [y, y], color=ref.colour, lw=ref.weight * PT,
                               linestyle=mpl_dash(ref.dash, ref.weight * PT)))

    per_col = math.ceil(len(rows) / columns)
    y_start = h - 8
    for i, (label, colour, dim, status, special) in enumerate(rows):
        c, r = divmod(i, per_col)
        x, y = 2 + c * col_w, y_start - r * step
        symbol(x, y, colour, dim, status, special)
        lines = wrap(label, col_w - 9, font)
        shown = lines[0] + ("…" if len(lines) > 1 else "")
        ax.text(x + 7.5, y, shown, va="center", fontsize=font)
    y = y_start - per_col * step - 0.4 * step
    ax.text(2, y, "建设状态（以面状为例）", va="center", fontsize=font, color="#444444")
    for j, (label, colour, dim, status, _) in enumerate(statuses):
        yy = y - (j + 1) * step
        symbol(2, yy, colour, dim, status)
        ax.text(9.5, yy, label, va="center", fontsize=font)


def wrap(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Lines of ``text`` no wider than ``width_mm`` (CJK 1 em, other characters 0.55 em)."""
    em = size_pt * 0.3528
    lines, line, used = [], "", 0.0
    for char in text:
        step = em if ord(char) > 0x2E80 else 0.62 * em
        if used + step > width_mm and line:
            lines.append(line)
            line, used = "", 0.0
        line += char
        used += step
    return [*lines, line] if line else lines


def info(ax: Axes, box: tuple[float, float, float, float], lines: list[str]) -> None:
    w, h = box[2] - box[0], box[3] - box[1]
    size = 6.3
    wrapped = [wrap(line, w - 2.5, size) for line in lines]
    n = sum(len(x) for x in wrapped)
    step = min(size * 0.3528 * 1.45, (h - 1) / max(n, 1))
    y = h - 0.5
    for parts in wrapped:
        for part in parts:
            ax.text(0.5, y, part, va="top", ha="left", fontsize=size, color="#333333")
            y -= step




def table(ax: Axes, box: tuple[float, float, float, float], heading: str,
           header: list[str], rows: list[list[str]], widths: list[float]) -> None:
    from matplotlib.patches import Rectangle

    w, h = box[2] - box[0], box[3] - box[1]
    ax.add_patch(Rectangle((0, 0), w, h, facecolor="white", edgecolor="#555555", lw=0.5,
                           clip_on=False))
    ax.text(w / 2, h - 2, heading, ha="center", va="top", fontsize=9, **bold())
    total = sum(widths)
    xs = np.cumsum([0, *[x / total * (w - 2) for x in widths]]) + 1
    n = max(len(rows), 1) + 1
    step = min(6.5, (h - 9) / n)
    font = min(7.0, step * 1.5)
    y = h - 8
    for j, text in enumerate(header):
        ax.text(xs[j] + 0.5 if j == 0 else xs[j + 1] - 0.5, y - step / 2, text, va="center",
                ha="left" if j == 0 else "right", fontsize=font, **bold())
    ax.plot([1, w - 1], [y - step, y - step], color="#555555", lw=0.5)
    y -= step
    chars = max(4, int((xs[1] - xs[0]) / (font * 0.3528)))
    for record in rows:
        for j, text in enumerate(record):
            shown = text if j or len(text) <= chars else text[: chars - 1] + "…"
            ax.text(xs[j] + 0.5 if j == 0 else xs[j + 1] - 0.5, y - step / 2, shown,
                    va="center", ha="left" if j == 0 else "right", fontsize=font)
        y -= step
        ax.plot([1, w - 1], [y, y], color="#dddddd", lw=0.3)
    if not rows:
        ax.text(w / 2, y - step / 2, "本乡镇无项目数据", ha="center", va="center", fontsize=font)
