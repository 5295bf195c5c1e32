"""Printed maps: one page (:func:`print_map`) or 一镇一图 (:func:`print_atlas`), PDF or PNG.

The page is what a county bureau hands out: the data frame in the CGCS2000 Gauss-Krüger
zone of the page's centre, drawn at a round 数字比例尺 (1:N, N a 1-2-2.5-4-5 step), and
around it — never on it — 图名, 指北针, a 线段比例尺 with the 数字比例尺 beside it, the
图例 from the style vocabulary the HTML map reads (:mod:`._style`), township names placed
without collisions, and a block with 坐标系, 制图单位, 制图日期, 数据来源. Pages are marked
"内部资料" unless ``public=True``, which needs a 审图号 (《地图审核管理规定》).

Chinese text goes through an installed CJK font (Noto Sans CJK SC from Debian's
``fonts-noto-cjk``, else WenQuanYi Micro Hei), embedded in the PDF as a TrueType subset.
A character the font lacks is an error (:class:`~county_gis.errors.DataError`), never a box.

Renderers take results: the atlas's progress tables come from the
:class:`~county_gis.analysis.ProgressDetails` given (computed with ``by="township"``), the
三区三线 layers (``compliance=``; :mod:`._print_zones`) from a
:class:`~county_gis.analysis.ComplianceResult`.

Examples
--------
>>> import tempfile, pathlib
>>> from county_gis.render._demo import demo_project
>>> out = pathlib.Path(tempfile.mkdtemp()) / "图.pdf"
>>> printed = print_map(demo_project(), out, date="2026-12-01")
>>> printed.path.name, printed.crs_name, printed.pages
('图.pdf', 'CGCS2000 / 3-degree Gauss-Kruger CM 123E', 1)
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Geod

from .._atomic import atomic_path
from .._choice import Choice
from ..analysis import ProgressDetails
from ..crs import CGCS2000, GRS80_A, GRS80_F, gk_zone_crs, gk_zone_of_longitude
from ..errors import ConfigError, DataError
from ..project import Project
from ..vocabulary import GeometryFamily, Status
from . import _style
from ._layers import layer_kind
from ._print_zones import PrintedZones, draw_zones
from ._surround import (
    PT,
    bold,
    fmt_amount,
    info,
    legend,
    mpl_dash,
    nice_scale,
    north_arrow,
    rgb,
    scale_bar,
    table,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..analysis import ComplianceResult

__all__ = ["Orientation", "Paper", "PrintedMap", "print_atlas", "print_map"]

logger = logging.getLogger(__name__)

#: CJK font families tried in order; the first installed one is used. WenQuanYi Micro Hei
#: (Debian ``fonts-wqy-microhei``) has TrueType outlines and embeds as a CID TrueType subset;
#: the CFF fonts (Noto Sans CJK) are embedded as Type 3.
FONT_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC")
_INSTALL_HINT = ("install a CJK font: apt-get install fonts-noto-cjk (bash dev.sh does), "
                 "or pass --font PATH to a .ttf / .otf / .ttc that has the characters")
_MM = 1 / 25.4  # inch per mm
_GEOD = Geod(a=GRS80_A, f=GRS80_F)
#: The rule a public map quotes.
REVIEW_RULE = ("《地图审核管理规定》：向社会公开的地图（含行政区域界线）应当报送审核，"
               "并在地图上载明审图号")


class Paper(Choice):
    """Paper size: ``a4`` (210 × 297 mm) or ``a3`` (297 × 420 mm)."""

    A4 = "a4"
    A3 = "a3"

    @property
    def mm(self) -> tuple[float, float]:
        """Short and long side in millimetres."""
        return (210.0, 297.0) if self is Paper.A4 else (297.0, 420.0)

    @classmethod
    def _error(cls) -> type[Exception]:
        return ConfigError


class Orientation(Choice):
    """``landscape`` (横版, the default) or ``portrait`` (竖版)."""

    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"横": "landscape", "横版": "landscape", "竖": "portrait", "竖版": "portrait"}

    @classmethod
    def _error(cls) -> type[Exception]:
        return ConfigError


@dataclass
class PrintedMap:
    """What was printed, with the numbers a reader (or a test) can check.

    Attributes
    ----------
    path : Path
        The file written.
    pages : int
        Number of pages (PNG: 1).
    crs_name : str
        The projected CRS of the data frame.
    scale : int
        The 数字比例尺 denominator N of the (first) page: 1 mm on paper is N mm on the ground
        along the projection's grid.
    scale_bar_m : float
        The ground distance the 线段比例尺 claims, in metres.
    scale_bar_mm : float
        Its length on paper, in millimetres.
    boxes : dict
        Name → (x0, y0, x1, y1) in mm from the page's lower-left corner, of the first page:
        ``frame`` (the data frame), ``title``, ``north``, ``scale``, ``legend``, ``info``,
        ``mark`` and ``table`` (atlas).
    labels_placed, labels_dropped : list of str
        Township names placed / left out for want of room (first page).
    frame_crs_bounds : tuple
        (xmin, ymin, xmax, ymax) of the data frame in ``crs_name`` metres (first page).
    """

    path: Path
    pages: int
    crs_name: str
    scale: int
    scale_bar_m: float
    scale_bar_mm: float
    boxes: dict[str, tuple[float, float, float, float]]
    labels_placed: list[str] = field(default_factory=list)
    labels_dropped: list[str] = field(default_factory=list)
    frame_crs_bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    page_titles: list[str] = field(default_factory=list)


# --- fonts ------------------------------------------------------------------------------

def find_font(font: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """The (family name, file) of the CJK font to print with: ``font`` or the first installed.

    Raises
    ------
    ConfigError
        If ``font`` does not exist or no CJK font is installed.
    """
    from matplotlib import font_manager

    if font is not None:
        if not Path(font).is_file():
            raise ConfigError(f"font {font} does not exist; {_INSTALL_HINT}")
        font_manager.fontManager.addfont(str(font))
        return font_manager.FontProperties(fname=str(font)).get_name(), str(font)
    names = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in FONT_FAMILIES:
        if family in names:
            return family, names[family]
    raise ConfigError(f"no CJK font found (tried {', '.join(FONT_FAMILIES)}); {_INSTALL_HINT}")


@contextmanager
def _font_context(font: tuple[str, str]) -> Iterator[str]:
    """rc settings of a printed page: one CJK font, embedded, no mathtext."""
    import matplotlib as mpl
    from fontTools.ttLib import TTCollection, TTFont

    name, path = font
    opened = TTCollection(path) if path.lower().endswith((".ttc", ".otc")) else TTFont(path)
    try:
        faces = opened.fonts if isinstance(opened, TTCollection) else [opened]
        cff = any("CFF " in face for face in faces)
    finally:
        opened.close()
    with mpl.rc_context({
        "font.family": [name], "font.sans-serif": [name], "pdf.fonttype": 3 if cff else 42,
        "ps.fonttype": 3 if cff else 42, "text.parse_math": False, "svg.fonttype": "none",
        "axes.unicode_minus": False, "pdf.compression": 9,
    }):
        yield name


def _check_glyphs(caught: Sequence[warnings.WarningMessage], font: str) -> None:
    missing = []
    for item in caught:
        text = str(item.message)
        if "missing from font" in text or ("Glyph" in text and "missing" in text):
            match = re.search(r"Glyph (\d+)", text)
            char = chr(int(match.group(1))) if match else "?"
            missing.append(f"{char!r} (U+{ord(char):04X})" if match else text)
    if missing:
        raise DataError(
            f"glyph missing: the font {font} has no {', '.join(sorted(set(missing)))}; a "
            f"printed map never shows a box for a character; {_INSTALL_HINT}")


# --- geometry ---------------------------------------------------------------------------

def projected_crs(bounds: Sequence[float]) -> CRS:
    """The CGCS2000 3° Gauss-Krüger zone of the centre of lon/lat ``bounds``."""
    lon = (bounds[0] + bounds[2]) / 2
    return gk_zone_crs(int(gk_zone_of_longitude(lon)))


def _crs_label(crs: CRS) -> str:
    zone = crs.to_epsg()
    cm = None
    for param in crs.coordinate_operation.params if crs.coordinate_operation else ():
        if "central" in param.name.lower() or "longitude of natural origin" in param.name.lower():
            cm = param.value
    zone_no = (zone - 4534 + 25) if zone and 4534 <= zone <= 4554 else None
    text = "2000国家大地坐标系（CGCS2000）高斯-克吕格投影 3°分带"
    if zone_no:
        text += f"第{zone_no}带"
    if cm is not None:
        text += f"（中央经线 {cm:g}°E）"
    return text


# --- layout -----------------------------------------------------------------------------

@dataclass
class _Layout:
    width: float
    height: float
    boxes: dict[str, tuple[float, float, float, float]]


def _layout(paper: Paper, orientation: Orientation, *, table: bool) -> _Layout:
    """Boxes (mm, lower-left origin) of a page; the map ``frame`` is the biggest."""
    short, long = paper.mm
    w, h = (long, short) if orientation is Orientation.LANDSCAPE else (short, long)
    k = short / 210.0  # A3 scales the surround
    m = 10.0 * k
    gap = 3.0 * k
    title_h = 16.0 * k
    boxes: dict[str, tuple[float, float, float, float]] = {}
    boxes["title"] = (m + 40 * k, h - m - title_h, w - m - 40 * k, h - m)
    boxes["mark"] = (w - m - 36 * k, h - m - 9 * k, w - m, h - m)
    top = h - m - title_h - gap
    if orientation is Orientation.LANDSCAPE and table:
        side = 122.0 * k
        x0 = w - m - side
        boxes["frame"] = (m, m, x0 - gap, top)
        table_bottom = m + 92 * k
        boxes["table"] = (x0, table_bottom, w - m, top)
        col = (side - gap) / 2
        x1 = x0 + col + gap
        boxes["legend"] = (x0, m, x0 + col, table_bottom - gap)
        boxes["north"] = (x1, table_bottom - gap - 20 * k, w - m, table_bottom - gap)
        boxes["scale"] = (x1, table_bottom - 2 * gap - 33 * k, w - m,
                          table_bottom - 2 * gap - 20 * k)
        boxes["info"] = (x1, m, w - m, table_bottom - 3 * gap - 33 * k)
    elif orientation is Orientation.LANDSCAPE:
        side = 62.0 * k
        x0 = w - m - side
        right = w - m
        boxes["frame"] = (m, m, x0 - gap, top)
        north_h, scale_h, info_h = 22 * k, 14 * k, 34 * k
        boxes["north"] = (x0, top - north_h, right, top)
        boxes["info"] = (x0, m, right, m + info_h)
        boxes["scale"] = (x0, m + info_h + gap, right, m + info_h + gap + scale_h)
        boxes["legend"] = (x0, m + info_h + scale_h + 2 * gap, right, top - north_h - gap)
    else:
        band = (92.0 if table else 52.0) * k
        boxes["frame"] = (m, m + band + gap, w - m, top)
        y_top = m + band
        if table:
            boxes["table"] = (m, m + 52 * k + gap, w - m, y_top)
            y_top = m + 52 * k
        inner = w - 2 * m - 2 * gap
        x1 = m + 0.46 * inner + gap
        x2 = x1 + 0.2 * inner + gap
        boxes["legend"] = (m, m, x1 - gap, y_top)
        boxes["north"] = (x1, m + 20 * k + gap, x2 - gap, y_top)
        boxes["scale"] = (x1, m, x2 - gap, m + 20 * k)
        boxes["info"] = (x2, m, w - m, y_top)
    return _Layout(w, h, boxes)


def _axes(fig: Figure, layout: _Layout, name: str) -> Axes:
    x0, y0, x1, y1 = layout.boxes[name]
    ax = fig.add_axes((x0 / layout.width, y0 / layout.height, (x1 - x0) / layout.width,
                       (y1 - y0) / layout.height), label=name)
    ax.set_axis_off()
    ax.set_xlim(0, x1 - x0)
    ax.set_ylim(0, y1 - y0)
    return ax


# --- drawing ----------------------------------------------------------------------------

@dataclass
class _Projected:
    """The project's geometries in the page CRS, projected once for every page."""

    crs: CRS
    boundary: gpd.GeoDataFrame | None
    townships: gpd.GeoDataFrame | None
    layers: dict[str, gpd.GeoDataFrame]
    zones: PrintedZones | None = None

    @classmethod
    def of(cls, project: Project, crs: CRS,
           compliance: ComplianceResult | None = None) -> _Projected:
        def proj(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
            return gdf.to_crs(crs) if gdf is not None and len(gdf) else None

        return cls(crs, proj(project.boundary), proj(project.townships),
                   {str(k): g.to_crs(crs) for k, g in project.layers.items() if len(g)},
                   None if compliance is None else PrintedZones.of(compliance, crs))


def _draw_layers(ax: Axes, projected_layers: dict[str, gpd.GeoDataFrame],
                 view: tuple[float, ...], scale: int) -> list[dict[str, Any]]:
    """Draw every project layer by status; return the legend entries (kind, dim)."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    entries: list[dict[str, Any]] = []
    thin = min(1.0, 200_000 / scale)  # thinner lines at small scales
    for key, gdf in projected_layers.items():
        kind = layer_kind(str(key), gdf)
        colour = _style.KIND_COLOURS.get(kind, _style.OTHER_COLOUR) if kind else \
            _style.OTHER_COLOUR
        projected = gdf.cx[view[0]:view[2], view[1]:view[3]]
        families = {f for f in GeometryFamily if f.mask(gdf.geometry.values).any()}
        dim = 2 if GeometryFamily.POLYGON in families else 1 if GeometryFamily.LINE in \
            families else 0
        entries.append({"label": kind.label if kind else str(key), "colour": colour,
                        "dim": dim})
        if not len(projected):
            continue
        statuses = projected["status"] if "status" in projected else pd.Series(
            Status.PLANNED.value, index=projected.index)
        for status in reversed(list(Status)):  # completed on top
            style = _style.STATUS_STYLES[status]
            part = projected[(statuses == status.value).to_numpy()]
            if not len(part):
                continue
            geoms = part.geometry.values
            polys = geoms[GeometryFamily.POLYGON.mask(geoms)]
            lines = geoms[GeometryFamily.LINE.mask(geoms)]
            points = geoms[GeometryFamily.POINT.mask(geoms)]
            if len(polys):
                patches = []
                for geom in polys:
                    for poly in getattr(geom, "geoms", [geom]):
                        rings = [poly.exterior, *poly.interiors]
                        verts = np.concatenate([np.asarray(r.coords)[:, :2] for r in rings])
                        codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (
                            len(r.coords) - 2) + [MplPath.CLOSEPOLY] for r in rings])
                        patches.append(PathPatch(MplPath(verts, codes)))
                lw = 0.6 * thin + 0.2
                ax.add_collection(PatchCollection(
                    patches, facecolor=(*rgb(colour), style.fill_opacity),
                    edgecolor=colour, linewidth=lw,
                    linestyle=mpl_dash(style.polygon_dash, lw), zorder=3))
            if len(lines):
                segs = [np.asarray(part_line.coords)[:, :2] for geom in lines
                        for part_line in getattr(geom, "geoms", [geom])]
                lw = style.line_weight * PT * 0.5 * thin + 0.3
                ax.add_collection(LineCollection(
                    segs, colors=colour, linewidths=lw,
                    linestyles=mpl_dash(style.line_dash, lw), zorder=4, capstyle="butt"))
            if len(points):
                xy = np.array([(p.x, p.y) for geom in points
                               for p in getattr(geom, "geoms", [geom])])
                radius = _style.POINT.radius_county if scale > 100_000 else \
                    _style.POINT.radius_detail
                ax.scatter(xy[:, 0], xy[:, 1], s=(radius * PT * 2) ** 2,
                           facecolor=(*rgb(colour), style.point_fill),
                           edgecolor=_style.POINT.stroke,
                           linewidth=_style.POINT.stroke_weight * PT, zorder=5)
    return entries


def _place_labels(ax: Axes, fig: Figure, towns: gpd.GeoDataFrame, *, size: float,
                  highlight: str | None = None) -> tuple[list[str], list[str]]:
    """Township names at their representative points, nudged or dropped to avoid overlap."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    placed_boxes: list[Any] = []
    placed: list[str] = []
    dropped: list[str] = []
    order = towns.assign(_area=towns.geometry.area).sort_values("_area", ascending=False)
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=2.2, foreground="white")]
    for name, geom in zip(order["name"], order.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        point = geom.representative_point()
        ok = False
        text = None
        for dx, dy in ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1)):
            text = ax.annotate(
                str(name), (point.x, point.y), xytext=(dx * size * 1.2, dy * size * 1.1),
                textcoords="offset points", ha="center", va="center", fontsize=size,
                color="#222222" if name != highlight else "#000000",
                zorder=8, path_effects=halo if name != highlight else [
                    pe.withStroke(linewidth=2.6, foreground="white"),
                    pe.withStroke(linewidth=0.5, foreground="#000000")],
                annotation_clip=True)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(b) for b in placed_boxes):
                placed_boxes.append(box)
                placed.append(str(name))
                ok = True
                break
            text.remove()
        if not ok:
            dropped.append(str(name))
    return placed, dropped


def _county_rows(details: ProgressDetails) -> tuple[list[str], list[list[str]], list[float]]:
    table = details.table
    rows = []
    for r in table.to_dict("records"):
        if r.get("completed") is None or (isinstance(r["completed"], float)
                                          and math.isnan(r["completed"])):
            continue
        rows.append([str(r["title"]), f"{fmt_amount(r['target_value'], 0)} {r['unit']}",
                     fmt_amount(r["completed"]), fmt_amount(r["pct_completed"]) + "%"])
    return ["目标任务", "目标值", "已完工", "完成率"], rows, [5.2, 2.2, 1.8, 1.4]


def _township_rows(details: ProgressDetails, township: str
                   ) -> tuple[list[str], list[list[str]], list[float]]:
    towns = details.by_township
    if towns is None:
        raise ConfigError("the atlas needs progress per township: compute it with "
                          "progress_details(project, by='township') (the CLI does)")
    part = towns[towns["township"] == township]
    rows = []
    for r in part.to_dict("records"):
        amounts = [float(r.get(c) or 0) for c in ("planned", "under_construction", "completed")]
        if not any(a > 0 for a in amounts if not math.isnan(a)):
            continue
        rows.append([str(r["title"]), str(r["unit"]), fmt_amount(r["completed"]),
                     fmt_amount(r["under_construction"]), fmt_amount(r["planned"])])
    return ["目标任务", "单位", "已完工", "在建", "计划"], rows, [5.0, 1.0, 1.6, 1.6, 1.6]


# --- the page ---------------------------------------------------------------------------

@dataclass
class _PageSpec:
    title: str
    extent: gpd.GeoDataFrame | None  # what the frame must show (lon/lat)
    highlight: str | None
    table: tuple[str, list[str], list[list[str]], list[float]] | None


def _page(project: Project, spec: _PageSpec, *, paper: Paper, orientation: Orientation,
          data: _Projected, public: bool, review_number: str | None, source: str, date: dt.date,
          unit: str) -> tuple[Figure, dict[str, Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    layout = _layout(paper, orientation, table=spec.table is not None)
    fig = Figure(figsize=(layout.width * _MM, layout.height * _MM))
    FigureCanvasAgg(fig)
    crs = data.crs
    boundary, towns = data.boundary, data.townships
    extent = spec.extent.to_crs(crs) if spec.extent is not None else boundary
    if extent is None:
        raise ConfigError("the project has no boundary or townships: nothing to frame")
    minx, miny, maxx, maxy = extent.total_bounds
    fx0, fy0, fx1, fy1 = layout.boxes["frame"]
    fw, fh = (fx1 - fx0) / 1000, (fy1 - fy0) / 1000  # metres of paper
    raw = max((maxx - minx) / fw, (maxy - miny) / fh) * 1.03
    scale = nice_scale(raw)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w, half_h = fw * scale / 2, fh * scale / 2
    view = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)

    ax = fig.add_axes((fx0 / layout.width, fy0 / layout.height, (fx1 - fx0) / layout.width,
                       (fy1 - fy0) / layout.height), label="frame")
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("auto")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    ax.set_facecolor("white")
    if towns is not None:
        in_view = towns.cx[view[0]:view[2], view[1]:view[3]]
        if spec.highlight is not None:
            own = in_view[in_view["name"] == spec.highlight]
            own.plot(ax=ax, facecolor="#f4f1e8", edgecolor="none", zorder=1)
        in_view.boundary.plot(ax=ax, color=_style.TOWNSHIPS.colour,
                              linewidth=_style.TOWNSHIPS.weight * PT * 0.8,
                              linestyle=mpl_dash(_style.TOWNSHIPS.dash, 0.6), zorder=2)
    if boundary is not None:
        boundary.boundary.plot(ax=ax, color=_style.BOUNDARY.colour,
                               linewidth=_style.BOUNDARY.weight * PT, zorder=6)
    entries = _draw_layers(ax, data.layers, view, scale)
    if data.zones is not None:
        entries += draw_zones(ax, data.zones, view, scale)
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_xlabel("")
    ax.set_ylabel("")

    tax = _axes(fig, layout, "title")
    tw, th = layout.boxes["title"][2] - layout.boxes["title"][0], \
        layout.boxes["title"][3] - layout.boxes["title"][1]
    title_size = 20 * (paper.mm[0] / 210)
    while title_size > 10 and len(spec.title) * title_size * 0.3528 > tw:
        title_size -= 1
    tax.text(tw / 2, th / 2, spec.title, ha="center", va="center", fontsize=title_size,
             **bold())
    mark = _axes(fig, layout, "mark")
    mw, mh = layout.boxes["mark"][2] - layout.boxes["mark"][0], \
        layout.boxes["mark"][3] - layout.boxes["mark"][1]
    from matplotlib.patches import Rectangle

    if public:
        mark.text(mw / 2, mh / 2, f"审图号：{review_number}", ha="center", va="center",
                  fontsize=8)
    else:
        mark.add_patch(Rectangle((mw * 0.2, 0.5), mw * 0.8 - 0.5, mh - 1, facecolor="none",
                                 edgecolor="#b2182b", lw=1.0))
        mark.text(mw * 0.6, mh / 2, "内部资料", ha="center", va="center", fontsize=11,
                  **bold("#b2182b"))
    north_arrow(_axes(fig, layout, "north"), layout.boxes["north"])
    bar_m, bar_mm = scale_bar(_axes(fig, layout, "scale"), layout.boxes["scale"], scale)
    legend(_axes(fig, layout, "legend"), layout.boxes["legend"], entries,
            columns=1 if orientation is Orientation.LANDSCAPE else 2)
    approximate = bool(project.townships.get("approximate", pd.Series([], dtype=bool)).any()) \
        if project.townships is not None else False
    lines = [f"坐标系：{_crs_label(crs)}",
             "制图单位：" + unit, f"制图日期：{date.year}年{date.month}月{date.day}日",
             "数据来源：" + source]
    if approximate:
        lines.append("注：乡镇界线为示意，非法定界线。")
    if data.zones is not None and data.zones.note:
        lines.append(f"注：{data.zones.note}。")
    if not public:
        lines.append("内部资料，注意保存，不得公开。")
    info(_axes(fig, layout, "info"), layout.boxes["info"], lines)
    if spec.table is not None:
        heading, header, rows, widths = spec.table
        table(_axes(fig, layout, "table"), layout.boxes["table"], heading, header, rows,
               widths)
    label_size = 6.5 if spec.highlight is None else 7.5
    placed: list[str] = []
    dropped: list[str] = []
    if towns is not None:
        placed, dropped = _place_labels(ax, fig, towns.cx[view[0]:view[2], view[1]:view[3]],
                                        size=label_size, highlight=spec.highlight)
    result = {"scale": scale, "bar_m": bar_m, "bar_mm": bar_mm, "boxes": _measured(fig, ax),
            "placed": placed, "dropped": dropped, "view": view}
    return fig, result


def _measured(fig: Figure, frame: Axes) -> dict[str, tuple[float, float, float, float]]:
    """Boxes of the frame and every surround element as drawn (ink extents), in mm."""
    from matplotlib.axis import Axis
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.spines import Spine
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    k = 25.4 / fig.dpi
    out: dict[str, tuple[float, float, float, float]] = {}
    for ax in fig.axes:
        name = str(ax.get_label())
        if not name:
            continue
        if ax is frame:
            box = ax.get_window_extent(renderer)
            out[name] = (float(box.x0 * k), float(box.y0 * k), float(box.x1 * k),
                         float(box.y1 * k))
            continue
        boxes = [a.get_window_extent(renderer) for a in ax.get_children()
                 if a.get_visible() and a is not ax.patch and not isinstance(a, Spine | Axis)
                 and isinstance(a, Text | Patch | Line2D | Collection)
                 and not (isinstance(a, Text) and not a.get_text())]
        boxes = [b for b in boxes if np.isfinite(b.extents).all() and b.width >= 0]
        if boxes:
            box = Bbox.union(boxes)
            out[name] = (float(box.x0 * k), float(box.y0 * k), float(box.x1 * k),
                         float(box.y1 * k))
    return out


def _options(paper: Paper | str, orientation: Orientation | str, public: bool,
             review_number: str | None, date: dt.date | str | None
             ) -> tuple[Paper, Orientation, dt.date]:
    sheet = Paper.parse(paper)
    turn = Orientation.parse(orientation)
    if public and not (review_number and review_number.strip()):
        raise ConfigError(
            f"a public map needs a 审图号 (map review number): {REVIEW_RULE}; pass "
            "--review-number 'GS(2026)xxxx号' with --public, or leave out --public for an "
            "internal map marked 内部资料")
    if date is None:
        day = dt.date.today()
    elif isinstance(date, str):
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise ConfigError(f"date was {date!r}; expected YYYY-MM-DD (e.g. 2026-12-07)"
                              ) from None
    else:
        day = date
    return sheet, turn, day


@contextmanager
def _glyph_guard(font: str) -> Iterator[None]:
    """Turn matplotlib's missing-glyph warnings into a :class:`DataError`; pass the rest on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    _check_glyphs(caught, font)
    for item in caught:
        warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def _save(figures: list[Figure], path: Path, tmp: Path, *, dpi: int) -> None:
    if path.suffix.lower() == ".pdf":
        from matplotlib.backends.backend_pdf import PdfPages

        with PdfPages(tmp, metadata={"Creator": "county_gis", "Producer": "county_gis"}) as pdf:
            for fig in figures:
                pdf.savefig(fig)
    else:
        figures[0].savefig(tmp, format="png", dpi=dpi)


def _check_suffix(path: str | os.PathLike[str], *, pdf_only: bool = False) -> Path:
    out = Path(path)
    allowed = (".pdf",) if pdf_only else (".pdf", ".png")
    if out.suffix.lower() not in allowed:
        raise ConfigError(f"printed map {out} has suffix {out.suffix!r}; allowed: "
                          f"{', '.join(allowed)} (choose one of them)")
    return out


def print_map(
    project: Project,
    path: str | os.PathLike[str],
    *,
    progress: ProgressDetails | None = None,
    title: str | None = None,
    paper: Paper | str = Paper.A4,
    orientation: Orientation | str = Orientation.LANDSCAPE,
    public: bool = False,
    review_number: str | None = None,
    unit: str | None = None,
    source: str | None = None,
    date: dt.date | str | None = None,
    dpi: int = 300,
    font: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    compliance: ComplianceResult | None = None,
) -> PrintedMap:
    """Print the project map on one page: vector PDF or a PNG at ``dpi``.

    Parameters
    ----------
    project : Project
        A loaded project: its boundary, townships and layers are drawn.
    path : path-like
        ``.pdf`` (vector, fonts embedded) or ``.png``.
    progress : ProgressDetails, optional
        The project's progress (:func:`county_gis.progress_details`); with it the page
        carries the county's progress table beside the map.
    title : str, optional
        图名; default "<project name>项目分布图".
    paper : {"a4", "a3"}, default "a4"
    orientation : {"landscape", "portrait"}, default "landscape"
    public : bool, default False
        A map for the public: needs ``review_number``; otherwise marked 内部资料.
    review_number : str, optional
        审图号 printed on a public map.
    unit : str, optional
        制图单位 (default: the project name's county).
    source : str, optional
        数据来源 (default: the project's layers, named).
    date : date or "YYYY-MM-DD", optional
        制图日期 (default today).
    dpi : int, default 300
        Resolution of a PNG.
    font : path-like, optional
        A CJK font file instead of the installed Noto Sans CJK SC / WenQuanYi Micro Hei.
    overwrite : bool, default False
        Replace an existing file.
    compliance : ComplianceResult, optional
        The 三区三线 check (:func:`county_gis.compliance`): the zones outlined in their
        colours, the conflicts hatched red (allowed overlaps dashed), legend entries, and the
        zones' label ("合成数据，非法定成果") in the information block.

    Returns
    -------
    PrintedMap

    Raises
    ------
    ConfigError
        Unknown paper / orientation / suffix; ``public`` without a 审图号; no CJK font.
    DataError
        A character of the page that the font cannot draw.
    OutputExistsError
        The file exists and ``overwrite`` is false.
    """
    out = _check_suffix(path)
    sheet, turn, day = _options(paper, orientation, public, review_number, date)
    font_found = find_font(font)
    table = None
    if progress is not None:
        header, rows, widths = _county_rows(progress)
        table = ("全县目标任务完成情况", header, rows, widths)
    spec = _PageSpec(title or f"{project.name}项目分布图", None, None, table)
    crs = _page_crs(project)
    data = _Projected.of(project, crs, compliance)
    with _font_context(font_found) as font_name, \
            atomic_path(out, overwrite=overwrite) as tmp, _glyph_guard(font_name):
        fig, info = _page(project, spec, paper=sheet, orientation=turn, data=data,
                          public=public, review_number=review_number,
                          source=source or _source(project), date=day,
                          unit=unit or _unit(project))
        _save([fig], out, tmp, dpi=dpi)
    return PrintedMap(out, 1, crs.name, info["scale"], info["bar_m"], info["bar_mm"],
                      info["boxes"], info["placed"], info["dropped"], info["view"],
                      [spec.title])


def _page_crs(project: Project) -> CRS:
    ref = project.boundary if project.boundary is not None and len(project.boundary) else \
        project.townships
    if ref is None or not len(ref):
        raise ConfigError("the project has no boundary or townships: nothing to frame")
    return projected_crs(ref.to_crs(CGCS2000).total_bounds)


def _unit(project: Project) -> str:
    name = project.name or ""
    match = re.match(r"^(.*?(?:自治县|县|区|市))", name)
    return (match.group(1) if match else name) + "（county_gis 制图）"


def _source(project: Project) -> str:
    files = sorted({Path(str(r.source)).name for r in project.reports.values()
                    if getattr(r, "source", None)})
    return f"{project.name}项目图层" + (f"（{'、'.join(files[:3])}）" if files else "")


def print_atlas(
    project: Project,
    path: str | os.PathLike[str],
    *,
    progress: ProgressDetails,
    title: str | None = None,
    paper: Paper | str = Paper.A4,
    orientation: Orientation | str = Orientation.LANDSCAPE,
    public: bool = False,
    review_number: str | None = None,
    unit: str | None = None,
    source: str | None = None,
    date: dt.date | str | None = None,
    font: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    compliance: ComplianceResult | None = None,
) -> PrintedMap:
    """一镇一图: the county page, then one page per township polygon, as one PDF.

    Each page has the township's progress table beside its map (the county page the
    county's); the tables come from ``progress``, computed with ``by="township"``.

    Parameters
    ----------
    project : Project
        A loaded project with townships.
    path : path-like
        The ``.pdf`` file.
    progress : ProgressDetails
        From ``county_gis.progress_details(project, by="township")``.
    title : str, optional
        Title of the county page (township pages: "<乡镇>项目分布图").
    paper, orientation, public, review_number, unit, source, date, font, overwrite, compliance
        As :func:`print_map`.

    Returns
    -------
    PrintedMap
        ``pages`` is 1 + the number of township polygons; the numbers are the county page's.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from county_gis.render._demo import demo_project
    >>> from county_gis.analysis import progress_details
    >>> p = demo_project()
    >>> atlas = print_atlas(p, pathlib.Path(tempfile.mkdtemp()) / "atlas.pdf",
    ...                     progress=progress_details(p, by="township"), date="2026-12-01")
    >>> atlas.pages == 1 + len(p.townships)
    True
    """
    out = _check_suffix(path, pdf_only=True)
    sheet, turn, day = _options(paper, orientation, public, review_number, date)
    if project.townships is None or not len(project.townships):
        raise ConfigError("the atlas needs township polygons; the project has none "
                          "([townships] in project.toml)")
    header, rows, widths = _county_rows(progress)
    _township_rows(progress, "")  # fails early without per-township progress
    crs = _page_crs(project)
    specs = [_PageSpec(title or f"{project.name}项目分布图", None, None,
                       ("全县目标任务完成情况", header, rows, widths))]
    towns = project.townships.to_crs(CGCS2000)
    for name, geom in zip(towns["name"], towns.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        t_header, t_rows, t_widths = _township_rows(progress, str(name))
        specs.append(_PageSpec(f"{name}项目分布图", gpd.GeoDataFrame(geometry=[geom],
                               crs=CGCS2000), str(name),
                               (f"{name}目标任务完成量", t_header, t_rows, t_widths)))
    figures: list[Figure] = []
    first: dict[str, Any] = {}
    data = _Projected.of(project, crs, compliance)
    with _font_context(find_font(font)) as font_name, \
            atomic_path(out, overwrite=overwrite) as tmp, _glyph_guard(font_name):
        for spec in specs:
            fig, info = _page(project, spec, paper=sheet, orientation=turn, data=data,
                              public=public, review_number=review_number,
                              source=source or _source(project), date=day,
                              unit=unit or _unit(project))
            figures.append(fig)
            first = first or info
        _save(figures, out, tmp, dpi=300)
    return PrintedMap(out, len(figures), crs.name, first["scale"], first["bar_m"],
                      first["bar_mm"], first["boxes"], first["placed"], first["dropped"],
                      first["view"], [s.title for s in specs])
