"""Building the project map: :func:`make_map` and :func:`render_overview`.

Examples
--------
>>> from county_gis.render._build import Language
>>> Language.parse("中文")
<Language.ZH: 'zh'>
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from .._choice import Choice
from ..analysis import ComplianceResult, ProgressDetails, Trend
from ..crs import CGCS2000
from ..errors import ConfigError
from ..measure import geodesic_area
from ..project import Project
from ..raster import RasterLike
from ..targets import Target
from ..units import AreaUnit, LengthUnit
from ..vocabulary import LayerKind, Status
from . import _style
from ._basemaps import Basemap, basemap_spec
from ._compliance import compliance_layers
from ._elements import (
    Fullscreen,
    Legend,
    MapTitle,
    MeasureControl,
    PageFigure,
    PageTitle,
    ProgressPanel,
    ProjectLayers,
    ScaleBar,
    SearchControl,
)
from ._layers import DEFAULT_FIELDS, KIND_COLOURS, layer_kind, prepare_layer, prepare_outline
from ._raster_png import DEFAULT_MAX_PIXELS
from ._rasters import RasterLayer, prepare_rasters
from ._save import SavedMap, save_map

__all__ = ["Language", "make_map", "render_overview"]

logger = logging.getLogger(__name__)


class Language(Choice):
    """Language of the map's own texts (attribute values are shown as they are)."""

    ZH = "zh"
    EN = "en"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"中文": "zh", "chinese": "zh", "zhcn": "zh", "english": "en", "英文": "en"}

    @classmethod
    def _allowed(cls) -> str:
        return "zh (中文), en (English)"

    @classmethod
    def _error(cls) -> type[Exception]:
        return ConfigError


_TEXTS: dict[Language, dict[str, str]] = {
    Language.ZH: {
        "boundary": "县界", "townships": "乡镇", "approximate": "位置近似",
        "legend": "图例", "kinds": "项目类型", "statuses": "建设状态",
        "progress": "目标完成进度", "completed": "已完工", "greened": "其中遥感核查变绿",
        "collapse": "收起 / 展开",
        "search": "搜索项目名称或编号", "none": "无匹配项目", "no_data": "无数据",
        "line": "测距离", "area": "测面积", "finish": "完成", "clear": "清除",
        "hint": "在地图上单击添加测量点", "length": "长度", "area_result": "面积",
        "perimeter": "周长", "fullscreen": "全屏", "exit_fullscreen": "退出全屏",
        "aggregate": "圆点：网格内项目数，放大到 {zoom} 级显示图斑",
        "count": " 个", "zoom_in": "(放大查看详情)", "title": "项目地图",
        "unlinked": "未关联目标", "layers": "图层", "metres": "米", "kilometres": "公里",
    },
    Language.EN: {
        "boundary": "County boundary", "townships": "Townships", "approximate": "approximate",
        "legend": "Legend", "kinds": "Project kinds", "statuses": "Status",
        "progress": "Progress against targets", "completed": "completed",
        "greened": "of which green from above (NDVI)",
        "collapse": "collapse / expand", "search": "Search project name or id",
        "none": "No match", "no_data": "no data",
        "line": "Distance", "area": "Area", "finish": "Finish", "clear": "Clear",
        "hint": "Click on the map to add points", "length": "Length", "area_result": "Area",
        "perimeter": "perimeter", "fullscreen": "Full screen",
        "exit_fullscreen": "Exit full screen",
        "aggregate": "Circles: projects per grid cell; zoom to {zoom} for the features",
        "count": " features", "zoom_in": "(zoom in for details)", "title": "Project map",
        "unlinked": "linked to no target", "layers": "Layers", "metres": "m",
        "kilometres": "km",
    },
}
_EN_FIELDS = {
    "name": "Name", "project_id": "Project id", "kind": "Kind", "status": "Status",
    "township": "Township", "year": "Year", "work_type": "Work", "target": "Target",
    "capacity_kw": "Capacity (kW)", "floor_area_m2": "Floor area (m²)",
    "stated_area_mu": "Stated area (mu)", "stated_length_km": "Stated length (km)",
    "stated_gap": "Stated vs measured", "ndvi_verdict": "NDVI check",
}


def _unit_label(unit: Any) -> str:
    for parser in (AreaUnit.parse, LengthUnit.parse):
        try:
            return parser(str(unit)).label
        except ValueError:
            continue
    return "" if unit is None or (isinstance(unit, float) and math.isnan(unit)) else str(unit)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


#: The progress panel's texts for the trend (序时进度, lamps, sparklines).
_TREND_TEXTS: dict[Language, dict[str, str]] = {
    Language.ZH: {"expected": "序时进度", "ahead": "超序时", "behind": "滞后", "points": "个百分点",
                  "added": "本期新增", "asOf": "截至", "synthetic": "逐月数据为合成示例",
                  "trend": "完成率走势 (实线) 与序时进度 (虚线)"},
    Language.EN: {"expected": "schedule", "ahead": "ahead by", "behind": "behind by",
                  "points": "points", "added": "added since last", "asOf": "as of",
                  "synthetic": "monthly figures are synthetic",
                  "trend": "% completed (line) and schedule (dashed)"},
}


def _trend_rows(trend: Trend) -> dict[str, dict[str, Any]]:
    """Per target id: the lamp, 序时进度, gap, 本月新增 and the sparkline series."""
    from ..history import Lamp

    out: dict[str, dict[str, Any]] = {}
    for target_id, rows in trend.table.groupby("target_id", sort=False):
        last = rows.iloc[-1]
        lamp = Lamp.parse(str(last["lamp"]))
        out[str(target_id)] = {
            "lamp": lamp.value, "lampLabel": lamp.label, "lampColour": lamp.colour,
            "expected": _number(last["expected_pct"]), "gap": _number(last["gap"]),
            "added": _number(last["added"]),
            "spark": [_number(v) for v in rows["pct_completed"]],
            "sparkExpected": [_number(v) for v in rows["expected_pct"]],
            "sparkLamps": [Lamp.parse(str(v)).colour for v in rows["lamp"]],
        }
    return out


def _progress_rows(table: pd.DataFrame, texts: dict[str, str],
                   trend: Trend | None = None,
                   language: Language = Language.ZH) -> dict[str, Any]:
    needed = {"title", "target_value", "completed"}
    missing = needed - set(table.columns)
    if missing:
        raise ConfigError(
            f"the progress table lacks the column(s) {', '.join(sorted(missing))}; it needs "
            "title, unit, target_value, planned, under_construction, completed, pct_completed "
            "(as county_gis progress() returns)"
        )
    rows = []
    trends = _trend_rows(trend) if trend is not None else {}
    for record in table.to_dict("records"):
        target = _number(record.get("target_value"))
        completed = _number(record.get("completed"))
        if str(record.get("has_data")) == "False":  # no layer of its kinds: 无数据, not 0 %
            rows.append({"title": str(record.get("title")), "noData": True,
                         "unit": _unit_label(record.get("unit")), "target": target})
            continue
        if completed is None:
            continue  # an indicator without map data (air quality days ...): no bar
        # the share is recomputed from the values shown, whatever scale pct_completed uses
        if target and completed is not None:
            pct: float | None = 100.0 * completed / target
        else:
            pct = _number(record.get("pct_completed"))
        notes = record.get("notes")
        greened = _number(record.get("greened"))
        rows.append({
            "title": str(record.get("title")),
            "unit": _unit_label(record.get("unit")),
            "target": target,
            "planned": _number(record.get("planned")),
            "under_construction": _number(record.get("under_construction")),
            "completed": completed,
            "pct": pct,
            "greened": greened,
            "greenShare": _number(record.get("green_share")) if greened is not None else None,
            "notes": None if notes is None or (isinstance(notes, float) and math.isnan(notes))
            else str(notes) or None,
        })
        if trend is not None:
            rows[-1].update(trends.get(str(record.get("target_id")), {}))
    rows.sort(key=lambda r: bool(r.get("noData")))  # the targets with data first
    return {
        "title": texts["progress"],
        "noDataText": texts.get("no_data", "无数据"),
        "completedText": texts["completed"],
        "greenText": texts["greened"],
        "collapseText": texts["collapse"],
        "statusLabels": {s.value: s.label for s in Status},
        "rows": rows,
        "trend": None if trend is None or not trend.dates else {
            **_TREND_TEXTS[language], "date": trend.dates[-1].isoformat(),
            "first": trend.dates[0].isoformat(), "synthetic": trend.synthetic,
            "syntheticText": _TREND_TEXTS[language]["synthetic"],
            "preset": trend.rules.preset.value},
    }


def _linked_targets(progress: ProgressDetails | None, targets: Sequence[Target],
                    unlinked: str) -> dict[str, list[str]]:
    """Per layer, the title(s) of the target(s) each feature counts toward (progress's links).

    A feature that links to nothing says ``unlinked``. Empty without progress results.
    """
    links = None if progress is None else progress.links
    if links is None or not len(links) or "layer" not in links:
        return {}
    titles = {t.id: t.title for t in targets}
    out: dict[str, list[str]] = {}
    for layer, rows in links.groupby("layer", sort=False):
        text = ["；".join(titles.get(i, str(i)) for i in ids) if ids else unlinked
                for ids in rows["target_ids"]]
        size = int(rows["row"].max()) + 1
        shown = [unlinked] * size
        for row, value in zip(rows["row"], text, strict=True):
            shown[int(row)] = value
        out[str(layer)] = shown
    return out


def _feature_checks(progress: ProgressDetails | None) -> dict[str, dict[int, dict[str, str]]]:
    """Per layer and row: the stated-vs-measured gap and the NDVI verdict progress found."""
    out: dict[str, dict[int, dict[str, str]]] = {}
    if progress is None or not len(progress.links) or "place" not in progress.links:
        return out
    where = {p: (str(layer), int(row)) for p, layer, row in zip(
        progress.links["place"], progress.links["layer"], progress.links["row"], strict=True)}
    for diff in progress.stated.to_dict("records") if len(progress.stated) else []:
        at = where.get(diff.get("place"))
        if at is not None:
            unit = _unit_label(diff.get("unit"))
            out.setdefault(at[0], {}).setdefault(at[1], {})["stated_gap"] = (
                f"填报 {diff['stated']:,.2f} {unit}, 实测 {diff['measured']:,.2f} {unit} "
                f"({diff['relative']:+.0%})")
    plots = progress.greening
    for plot in plots.to_dict("records") if plots is not None and len(plots) else []:
        at = where.get(plot.get("place"))
        if at is not None:
            out.setdefault(at[0], {}).setdefault(at[1], {})["ndvi_verdict"] = (
                f"{plot.get('verdict_label', plot.get('verdict'))} (NDVI "
                f"{plot.get('ndvi_change', float('nan')):+.3f})")
    return out


def _named_raster(item: RasterLayer | RasterLike, known: Mapping[str, Any]) -> Any:
    """A project raster named by its key gets its Chinese label (unless named already)."""
    key = item.source if isinstance(item, RasterLayer) else item
    if not isinstance(key, str) or key not in known:
        return item
    label = _style.raster_label(key, Path(str(known[key])).name)
    if isinstance(item, RasterLayer):
        return item if item.name else dataclasses.replace(item, name=label)
    return RasterLayer(key, name=label)


def _township_labels(townships: gpd.GeoDataFrame | None, *, gcj02: bool) -> list[list[Any]]:
    """[name, lat, lon, area rank] of each township's label point (inside its polygon)."""
    if townships is None or not len(townships) or "name" not in townships:
        return []
    towns = townships.to_crs(CGCS2000)
    towns = towns[towns.geometry.notna() & ~towns.geometry.is_empty]
    points = towns.geometry.representative_point()
    lon, lat = points.x.to_numpy(), points.y.to_numpy()
    if gcj02:
        from ..crs import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(lon, lat)
    area = geodesic_area(towns).to_numpy()
    order = (-area).argsort(kind="stable")  # big first
    return [[str(towns["name"].iloc[i]), round(float(lat[i]), 6), round(float(lon[i]), 6)]
            for i in order]


def make_map(
    project: Project,
    *,
    basemap: Basemap | str | None = Basemap.NONE,
    language: Language | str = Language.ZH,
    tianditu_key: str | None = None,
    local_tiles: str | os.PathLike[str] | None = None,
    kinds: list[LayerKind | str] | None = None,
    fields: Mapping[str, str] | None = None,
    progress: ProgressDetails | None = None,
    trend: Trend | None = None,
    show_progress: bool = True,
    simplify_m: float = 0.5,
    lazy_above: int = 20_000,
    detail_zoom: int = 13,
    lod_above: int = 2_000,
    rasters: Sequence[RasterLayer | RasterLike] | None = None,
    raster_max_pixels: int = DEFAULT_MAX_PIXELS,
    compliance: ComplianceResult | None = None,
) -> folium.Map:
    """The interactive map of a project: boundaries, a layer per kind, legend, progress.

    Parameters
    ----------
    project : Project
        A loaded project (:func:`county_gis.load_project`): ``boundary``, ``townships``
        and ``layers`` (kind → GeoDataFrame in the canonical schema) are drawn.
    progress : ProgressDetails, optional
        The project's progress, computed once (:func:`county_gis.progress_details`): its
        table feeds the progress panel and its links say in each popup which target the
        feature counts toward. The map never computes progress itself; without it there
        is no panel and popups name no target.
    trend : Trend, optional
        The project's trend over its history (:func:`county_gis.analysis.trend`): each
        bar of the progress panel gets its lamp (红黄绿灯), 序时进度, the gap and a
        sparkline of % completed by snapshot (inline SVG, offline).
    basemap : Basemap or str, default "none"
        ``none`` (neutral background, offline), ``tianditu_vec`` / ``tianditu_img``
        (天地图, needs a key), ``osm``, ``imagery``, ``local`` (``local_tiles``) or
        ``amap`` (高德; every overlay is shifted to GCJ-02).
    language : Language or str, default "zh"
        Language of the map's own texts.
    tianditu_key : str, optional
        天地图 key; default the ``TIANDITU_KEY`` environment variable. It is written
        into the page (天地图 keys are browser keys).
    local_tiles : path-like, optional
        Tile folder relative to the HTML file (``tiles`` → ``tiles/{z}/{x}/{y}.png``).
    kinds : list of LayerKind or str, optional
        Only these kinds (default: every layer of the project).
    fields : mapping, optional
        Column → label shown in popups (default :data:`DEFAULT_FIELDS`; measured 亩 /
        公里 are always added). Only the shown columns are embedded.
    show_progress : bool, default True
        Add the progress panel (when ``progress`` is given).
    simplify_m : float, default 0.5
        Display simplification tolerance in metres.
    lazy_above : int, default 20000
        Layers with more features are drawn bucket by bucket: aggregated below
        ``detail_zoom``, the features of the buckets in view above it.
    detail_zoom : int, default 13
        Zoom from which lazy layers show their features.
    lod_above : int, default 2000
        Layers with more features (drawn at once) also carry a coarse copy of their
        lines and polygons, simplified at half a pixel of ``detail_zoom``, shown below it.
    rasters : sequence of RasterLayer, path or str, optional
        Rasters drawn as image overlays below the project layers, each togglable in the
        layer control with a colour bar in the legend; a str may name one of the
        project's rasters (``"ndvi_after"``). Embedded in the page as PNG.
    raster_max_pixels : int, default 262,144 (512 × 512)
        Largest image per raster; each raster is averaged down to fit.
    compliance : ComplianceResult, optional
        The project's 三区三线 check, computed once (:func:`county_gis.compliance`): adds a
        layer per zone type and the overlaps layer (冲突 solid, on top), each named with the
        zones' label ("合成数据，非法定成果"), and popups with the rule and its clause.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (self-contained by default).

    Raises
    ------
    ConfigError
        Unknown basemap, language or kind; 天地图 without a key; a raster that is neither
        a file nor a project raster.

    Examples
    --------
    >>> from county_gis.render._demo import demo_project
    >>> m = make_map(demo_project(), show_progress=False)
    >>> type(m).__name__
    'Map'
    """
    lang = Language.parse(language)
    texts = _TEXTS[lang]
    spec = basemap_spec(basemap, tianditu_key=tianditu_key, local_tiles=local_tiles)
    gcj02 = bool(spec["gcj02"])
    try:
        wanted = None if kinds is None else {LayerKind.parse(k) for k in kinds}
    except ValueError as exc:
        raise ConfigError(f"kinds: {exc}") from None
    source_fields = fields is None  # by default every source attribute is in the popups
    if fields is None and lang is Language.EN:
        fields = {k: _EN_FIELDS[k] for k in DEFAULT_FIELDS}

    boundary = project.boundary
    townships = project.townships
    layers_in: Mapping[str, gpd.GeoDataFrame] = project.layers

    # half a pixel at detail_zoom near 42 °N: invisible below it
    coarse_m = 0.5 * 156_543.03 * math.cos(math.radians(42.0)) / 2**detail_zoom
    layers = []
    legend_kinds = []
    linked = _linked_targets(progress, project.targets, texts["unlinked"])
    checks = _feature_checks(progress)
    for key, gdf in layers_in.items():
        if key in linked and len(linked[key]) == len(gdf):  # popups say what it counts toward
            gdf = gdf.assign(target=linked[key])
        for column in ("stated_gap", "ndvi_verdict"):
            found = {row: c[column] for row, c in checks.get(key, {}).items() if column in c}
            if found:
                gdf = gdf.assign(**{column: [found.get(i) for i in range(len(gdf))]})
        kind = layer_kind(key, gdf)
        if wanted is not None and kind not in wanted:
            continue
        label = kind.label if kind is not None and lang is Language.ZH else (
            kind.value if kind is not None else str(key))
        colour = KIND_COLOURS.get(kind, "#555555") if kind is not None else "#555555"
        lod = lod_above < len(gdf) <= lazy_above
        data = prepare_layer(gdf, name=label, fields=fields, source_fields=source_fields,
                             simplify_m=simplify_m, gcj02=gcj02,
                             coarse_m=coarse_m if lod else None)
        data["colour"] = colour
        layers.append(data)
        dims = {g["dim"] for g in data["groups"]}
        legend_kinds.append({"label": label, "colour": colour, "dim": max(dims) if dims else 2})

    if compliance is not None:
        extra, extra_legend = compliance_layers(compliance, simplify_m=simplify_m, gcj02=gcj02)
        layers += extra
        legend_kinds += extra_legend

    reference = boundary if boundary is not None and len(boundary) else None
    if reference is None and townships is not None and len(townships):
        reference = townships
    if reference is not None:
        minx, miny, maxx, maxy = reference.to_crs(CGCS2000).total_bounds
    elif layers_in:
        bounds = [g.to_crs(CGCS2000).total_bounds for g in layers_in.values() if len(g)]
        minx = min(b[0] for b in bounds)
        miny = min(b[1] for b in bounds)
        maxx = max(b[2] for b in bounds)
        maxy = max(b[3] for b in bounds)
    else:
        raise ConfigError("the project has no boundary, townships or layers: nothing to map")

    if lang is Language.ZH:  # project rasters by their Chinese name (植被指数 NDVI ...)
        rasters = [_named_raster(r, project.rasters) for r in rasters or ()]
    raster_data = prepare_rasters(rasters, project_rasters=project.rasters,
                                  max_pixels=raster_max_pixels, gcj02=gcj02)

    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles=None,
                   prefer_canvas=True, zoom_snap=0.25)
    # Per instance: folium's class-level lists (Leaflet, jQuery, Bootstrap ... from CDNs)
    # are shared by every map of the process and stay untouched.
    m.default_js = []
    m.default_css = []
    PageFigure(lang="zh-CN" if lang is Language.ZH else "en").add_child(m)

    outline_fields = {"name": texts["townships"], "approximate": texts["approximate"]}
    page: dict[str, Any] = {
        "basemap": spec,
        "boundary": None if boundary is None or not len(boundary) else prepare_outline(
            boundary, name=texts["boundary"], fields={"name": texts["boundary"]},
            simplify_m=simplify_m, gcj02=gcj02),
        "townships": None if townships is None or not len(townships) else prepare_outline(
            townships, name=texts["townships"], fields=outline_fields, simplify_m=simplify_m,
            gcj02=gcj02),
        "layers": layers,
        "rasters": raster_data,
        "bounds": [round(float(v), 6) for v in (minx, miny, maxx, maxy)],
        "lazyAbove": int(lazy_above),
        "detailZoom": int(detail_zoom),
        "texts": {"approximate": texts["approximate"], "count": texts["count"],
                  "zoomIn": texts["zoom_in"], "layers": texts["layers"],
                  "metres": texts["metres"], "kilometres": texts["kilometres"]},
        "style": _style.page_style(),
        "townshipLabels": _township_labels(townships, gcj02=gcj02),
    }
    ProjectLayers(page).add_to(m)
    lazy = any(layer["count"] > lazy_above for layer in layers)
    Legend({
        "title": texts["legend"], "kindsTitle": texts["kinds"], "statusTitle": texts["statuses"],
        "collapseText": texts["collapse"],
        "aggregateNote": texts["aggregate"].format(zoom=detail_zoom) if lazy else None,
        "kinds": legend_kinds,
        "rasters": [{"name": r["name"], "stops": r["stops"]} for r in raster_data],
        "statuses": [{"key": s.value, "label": s.label if lang is Language.ZH else s.value}
                     for s in Status],
    }).add_to(m)
    if show_progress and progress is not None:
        ProgressPanel(_progress_rows(progress.table, texts, trend, lang)).add_to(m)
    SearchControl(
        {"placeholder": texts["search"], "noneText": texts["none"], "limit": 12}
    ).add_to(m)
    Fullscreen({"position": "topleft", "title": texts["fullscreen"],
                "titleCancel": texts["exit_fullscreen"], "forceSeparateButton": True}).add_to(m)
    MeasureControl({
        "lineText": texts["line"], "areaButtonText": texts["area"], "finishText": texts["finish"],
        "clearText": texts["clear"], "hintText": texts["hint"], "lengthText": texts["length"],
        "areaText": texts["area_result"], "perimeterText": texts["perimeter"],
    }).add_to(m)
    ScaleBar({"metres": texts["metres"], "kilometres": texts["kilometres"]}).add_to(m)
    name = project.name
    page_title = f"{name} · {texts['title']}" if name else texts["title"]
    MapTitle({"title": page_title}).add_to(m)
    figure = m.get_root()
    if isinstance(figure, Figure):
        figure.header.add_child(PageTitle(page_title), name="cg-title")
    return m


def render_overview(
    project: Project,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    basemap: Basemap | str | None = Basemap.NONE,
    progress: ProgressDetails | None = None,
    rasters: Sequence[RasterLayer | RasterLike] | None = None,
    file_name: str = "overview.html",
    trend: Trend | None = None,
) -> SavedMap:
    """Render the overview map of every kind with the progress panel into ``out_dir``.

    Parameters
    ----------
    project : Project
        A loaded project.
    out_dir : path-like
        Folder of the map (created if needed).
    overwrite : bool, default False
        Replace an existing ``overview.html``.
    basemap : Basemap or str, default "none"
        As :func:`make_map`.
    progress : ProgressDetails, optional
        The project's progress (:func:`county_gis.progress_details`), for the panel and the
        popups; none without it.
    rasters : sequence, optional
        Rasters to draw (as :func:`make_map`); default every raster of the project
        (``[rasters]`` of project.toml), listed in the layer control but switched off.
    file_name : str, default "overview.html"
    trend : Trend, optional
        Lamps and sparklines in the progress panel (as :func:`make_map`).

    Returns
    -------
    SavedMap
        ``.path`` is the HTML file (``out_dir/overview.html``).

    Examples
    --------
    >>> import tempfile
    >>> from county_gis.render._demo import demo_project
    >>> saved = render_overview(demo_project(), tempfile.mkdtemp())
    >>> saved.path.name, saved.offline
    ('overview.html', True)
    """
    if rasters is None:
        rasters = [RasterLayer(name, show=False) for name in project.rasters]
    m = make_map(project, basemap=basemap, progress=progress, rasters=rasters, trend=trend)
    return save_map(m, Path(out_dir) / file_name, overwrite=overwrite)
