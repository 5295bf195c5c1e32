"""Is the completed regreening green from above? The NDVI check of area targets, per target.

For every area target drawing on ``mine_restoration`` or ``afforestation`` features, the
plots that count toward it (:func:`~county_gis.analysis.link_features`, the linking progress
uses) and are *completed* get an NDVI verdict from
:func:`~county_gis.raster.change.vegetation_change` (coverage-weighted mean NDVI before and
after, greened / unchanged / degraded / no data). The areas are overlap-aware like progress:
the union of the plots, and where plots with different verdicts overlap the shared area goes
to the first verdict of greened, unchanged, degraded, no data
(:func:`~county_gis.analysis.counting.priority_pieces`). So the area checked is exactly the
completed amount of the progress table, and the verdict areas add up to it.

Used by :func:`county_gis.progress` (``greening=True``: columns ``greened`` and
``green_share``) and by :func:`greening_summary` (a table in 亩); both go through
:func:`select_plots` and :func:`check_plots`, so they cannot disagree.

Examples
--------
Two plots on a 100 m grid in Gauss-Krüger zone 41 (at the central meridian a 100 m pixel is
15 亩): A (2 pixels) greened by 0.3, B (2 pixels) did not change.

>>> import numpy as np, geopandas as gpd, rasterio, tempfile, os
>>> from rasterio.transform import Affine
>>> from county_gis.project import Project
>>> from shapely.geometry import box
>>> folder = tempfile.mkdtemp()
>>> def tif(name, data):
...     path = os.path.join(folder, name)
...     with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1,
...                        dtype="float32", crs="EPSG:4550",
...                        transform=Affine(100, 0, 500000, 0, -100, 4650000)) as dst:
...         dst.write(np.array(data, dtype="float32"), 1)
...     return path
>>> before, after = tif("b.tif", [[0.2, 0.2], [0.2, 0.2]]), tif("a.tif", [[0.5, 0.5], [0.2, 0.2]])
>>> plots = gpd.GeoDataFrame({"project_id": ["A", "B"], "kind": ["mine_restoration"] * 2,
...     "status": ["completed"] * 2}, geometry=[box(500000, 4649900, 500200, 4650000),
...     box(500000, 4649800, 500200, 4649900)], crs="EPSG:4550").to_crs("EPSG:4490")
>>> project = Project.from_layers({"mines": plots}, targets=kind_targets())
>>> (target, chosen), = select_plots(project)
>>> check = check_plots(chosen, Ndvi(before, after))
>>> checked, areas = check.areas("亩")
>>> check.plots["verdict"].tolist(), round(checked, 2), {k: round(v, 2) for k, v in areas.items()}
(['greened', 'unchanged'], 60.0, {'greened': 30.0, 'unchanged': 30.0, 'degraded': 0.0,
'no_data': 0.0})
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..crs import CGCS2000
from ..measure import geodesic_area
from ..project import Project
from ..raster import DEFAULT_THRESHOLD, RasterLike, Verdict, check_threshold, vegetation_change
from ..targets import Measure, Target
from ..units import AreaUnit
from ..vocabulary import GeometryFamily, LayerKind, Status
from .counting import priority_pieces
from .linking import link_features, linked_features

__all__ = ["GREENING_KINDS", "SUMMARY_COLUMNS", "VERDICTS", "Ndvi", "PlotCheck", "by_kind",
           "check_plots", "greening_summary", "greening_targets", "kind_targets",
           "plots_with_status", "select_plots", "summary_table"]

logger = logging.getLogger(__name__)

#: The layer kinds that should look green once completed.
GREENING_KINDS: tuple[LayerKind, ...] = (LayerKind.MINE_RESTORATION, LayerKind.AFFORESTATION)

#: The verdicts, in the order that settles overlaps (greened first).
VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)
#: Columns of :func:`summary_table` (and of :func:`greening_summary`).
SUMMARY_COLUMNS = ["title", "kind", "features", "checked_mu",
                   *(f"{v}_mu" for v in VERDICTS), "green_share"]
_PLOT_COLUMNS = ["target_id", "layer", "place", "project_id", "name", "ndvi_before",
                 "ndvi_after", "ndvi_change", "verdict", "verdict_label", "area_mu",
                 "coverage_fraction"]


@dataclass(frozen=True)
class Ndvi:
    """The NDVI rasters before and after, and the change that counts.

    Attributes
    ----------
    before, after : path or rasterio dataset
        NDVI rasters (any grid and CRS).
    threshold : float, default 0.05
        As :func:`~county_gis.raster.change.vegetation_change`; checked on creation.
    """

    before: RasterLike
    after: RasterLike
    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_threshold(self.threshold))


def greening_targets(targets: Iterable[Target],
                     kinds: Iterable[LayerKind | str] = GREENING_KINDS) -> list[Target]:
    """The area targets that draw on at least one of ``kinds``, in registry order.

    Examples
    --------
    >>> from county_gis.targets import load_targets
    >>> [t.id for t in greening_targets(load_targets())]
    ['afforestation', 'mine_regreening']
    """
    wanted = {LayerKind.parse(k) for k in kinds}
    return [t for t in targets if t.measure is Measure.AREA and wanted & set(t.kinds)]


def kind_targets(kinds: Iterable[LayerKind | str] = GREENING_KINDS) -> list[Target]:
    """One area target (in 亩, no value) per kind, named after it: for layers with no registry.

    Examples
    --------
    >>> [(t.id, t.title) for t in kind_targets()]
    [('mine_restoration', '矿山复绿'), ('afforestation', '造林、抚育、草原补播')]
    """
    out = []
    for kind in dict.fromkeys(LayerKind.parse(k) for k in kinds):
        out.append(Target(kind.value, kind.label, "", Measure.AREA, "亩", math.nan, 0,
                          kinds=(kind,)))
    return out


def plots_with_status(feats: gpd.GeoDataFrame, status: Status | str) -> np.ndarray:
    """Mask of the non-empty polygons of ``feats`` with ``status`` (what progress measures).

    Examples
    --------
    >>> from shapely.geometry import Point, Polygon, box
    >>> feats = gpd.GeoDataFrame({"status": ["completed", "completed", "planned", "completed"]},
    ...     geometry=[box(0, 0, 1, 1), Point(0, 0), box(0, 0, 1, 1), Polygon()])
    >>> plots_with_status(feats, "完工").tolist()
    [True, False, False, False]
    """
    wanted = Status.parse(status).value
    return GeometryFamily.POLYGON.mask(feats.geometry.values) & (
        feats["status"].to_numpy(dtype=object) == wanted)


def select_plots(
    project: Project,
    *,
    kinds: Iterable[LayerKind | str] = GREENING_KINDS,
    status: Status | str = Status.COMPLETED,
    links: pd.DataFrame | None = None,
) -> list[tuple[Target, gpd.GeoDataFrame]]:
    """The plots to check, per greening target: linked to it, polygons, of ``status``.

    Parameters
    ----------
    project : Project
        ``layers``, ``targets`` (``reports`` optional).
    kinds : iterable of LayerKind or str, default mine_restoration, afforestation
        Which targets: the area targets drawing on one of these kinds.
    status : Status or str, default completed
        Which plots.
    links : DataFrame, optional
        :func:`~county_gis.analysis.link_features` of ``project``, when already made.

    Returns
    -------
    list of (Target, GeoDataFrame)
        Targets with at least one plot to check, in registry order; the plots as
        :func:`~county_gis.analysis.linked_features` gives them.
    """
    links = link_features(project) if links is None else links
    out = []
    for target in greening_targets(project.targets, kinds):
        feats = linked_features(project, links, target)
        chosen = feats[plots_with_status(feats, status)]
        if len(chosen):
            out.append((target, chosen))
    return out


@dataclass
class PlotCheck:
    """The NDVI check of the plots of one target.

    Attributes
    ----------
    plots : DataFrame
        One row per plot: its labels (``layer, place, project_id, name``) and the columns of
        :func:`~county_gis.raster.change.vegetation_change`.
    checked : ndarray of shapely geometries
        The union of the plots (EPSG:4490) as non-overlapping pieces: the area checked.
    parts : dict of str to ndarray of shapely geometries
        Verdict value -> the pieces of ``checked`` with that verdict (overlap-aware,
        greened first); the parts do not overlap and make up ``checked``.
    """

    plots: pd.DataFrame
    checked: np.ndarray
    parts: dict[str, np.ndarray]

    def areas(self, unit: AreaUnit | str = AreaUnit.MU) -> tuple[float, dict[str, float]]:
        """The area checked and, per verdict value, the area of its part, in ``unit``.

        The parts come from cutting the plots where they overlap, which puts new vertices on
        the straight lon/lat chord of the edges cut, a little off the geodesics they stand
        for; measured separately they add up to the whole to ~1e-5. They are scaled to the
        area checked (measured whole), so they add up to it exactly.
        """
        unit = AreaUnit.parse(unit)
        checked = math.fsum(_area(self.checked, unit))
        parts = [math.fsum(_area(pieces, unit)) for pieces in self.parts.values()]
        total = sum(parts)
        factor = checked / total if total > 0 else 0.0
        return checked, {v: a * factor for v, a in zip(self.parts, parts, strict=True)}

    def plot_table(self, target_id: str) -> pd.DataFrame:
        """:attr:`plots` with ``target_id`` first (the columns of the per-plot report)."""
        return self.plots.assign(target_id=target_id).reindex(columns=_PLOT_COLUMNS)

    def note(self) -> str:
        """A line for the progress table: how many plots got each verdict.

        Examples
        --------
        >>> check = PlotCheck(pd.DataFrame({"verdict": ["greened", "greened", "degraded"]}),
        ...                   None, {})
        >>> check.note()
        'NDVI 核查: 完工地块 3 块, 变绿 2 块, 退化 1 块'
        """
        counts = self.plots["verdict"].value_counts()
        words = [f"{Verdict(v).label} {int(counts[v])} 块" for v in VERDICTS if v in counts]
        return f"NDVI 核查: 完工地块 {len(self.plots)} 块, " + ", ".join(words)


def _area(geoms: Sequence[Any] | np.ndarray, unit: AreaUnit) -> list[float]:
    series = gpd.GeoSeries(list(geoms), crs=CGCS2000)
    out = np.zeros(len(series))
    full = ~(series.isna() | series.is_empty).to_numpy()
    if full.any():
        out[full] = geodesic_area(series[full], unit=unit).to_numpy()
    return [float(v) for v in out]


def check_plots(plots: gpd.GeoDataFrame, ndvi: Ndvi) -> PlotCheck:
    """NDVI verdict of each plot and the overlap-aware area of each verdict.

    Parameters
    ----------
    plots : GeoDataFrame
        Polygons in EPSG:4490 with ``status`` (and label columns), e.g. from
        :func:`select_plots`.
    ndvi : Ndvi
        The rasters and the threshold.

    Returns
    -------
    PlotCheck
    """
    geoms = np.asarray(plots.geometry.values, dtype=object)
    change = vegetation_change(plots, ndvi.before, ndvi.after, threshold=ndvi.threshold)
    labels = plots[[c for c in ("layer", "place", "project_id", "name") if c in plots]]
    table = pd.concat([labels.reset_index(drop=True), change.reset_index(drop=True)], axis=1)
    status = plots["status"].to_numpy(dtype=object)
    checked, _ = priority_pieces(geoms, status, [str(status[0])])
    pieces, keys = priority_pieces(geoms, table["verdict"].to_numpy(dtype=object), VERDICTS)
    return PlotCheck(table, checked, {v: pieces[keys == v] for v in VERDICTS})


def summary_table(selected: list[tuple[Target, gpd.GeoDataFrame]], ndvi: Ndvi | None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per target: area checked and of each verdict (亩), green share; and the plots.

    Parameters
    ----------
    selected : list of (Target, GeoDataFrame)
        From :func:`select_plots`.
    ndvi : Ndvi or None
        The rasters and the threshold (None only when ``selected`` is empty).

    Returns
    -------
    summary : DataFrame
        Indexed by target id (``target``): :data:`SUMMARY_COLUMNS` — ``title``, ``kind`` (the
        target's kinds, comma-separated), ``features`` (plots checked), ``checked_mu`` (their
        union), ``greened_mu``, ``unchanged_mu``, ``degraded_mu``, ``no_data_mu`` (adding up
        to ``checked_mu``) and ``green_share`` (greened / checked, 0–1).
    plots : DataFrame
        One row per plot checked, with ``target_id`` first.
    """
    rows, plot_tables = [], []
    for target, chosen in selected:
        if ndvi is None:
            raise ValueError("summary_table needs the NDVI rasters (ndvi=Ndvi(before, after))")
        check = check_plots(chosen, ndvi)
        checked, areas = check.areas(AreaUnit.MU)
        rows.append({"target": target.id, "title": target.title,
                     "kind": ",".join(k.value for k in target.kinds),
                     "features": len(chosen), "checked_mu": checked,
                     **{f"{v}_mu": areas[v] for v in VERDICTS},
                     "green_share": areas[Verdict.GREENED.value] / checked if checked else
                     math.nan})
        plot_tables.append(check.plot_table(target.id))
    summary = pd.DataFrame(rows, columns=["target", *SUMMARY_COLUMNS]).set_index("target")
    plots = (pd.concat(plot_tables, ignore_index=True) if plot_tables
             else pd.DataFrame(columns=_PLOT_COLUMNS))
    return summary, plots


def by_kind(project: Project, kinds: Iterable[LayerKind | str] = GREENING_KINDS) -> Project:
    """The project's features linked by kind alone: one target per kind, no registry.

    For features without a targets registry (a layer file). ``kind`` and ``status`` are read
    leniently (labels and aliases; unknown values count as none); ``year`` and ``target`` are
    left out, so every plot links through its kind.

    Raises
    ------
    ValueError
        If ``kind`` or ``status`` is missing from every layer.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> plots = gpd.GeoDataFrame({"kind": ["矿山复绿", "造林"], "status": ["竣工", "maybe"]},
    ...     geometry=[box(121.6, 42.3, 121.61, 42.31)] * 2, crs="EPSG:4490")
    >>> linked = by_kind(Project.from_layers({"plots": plots}, targets=[]))
    >>> linked.layers["features"][["kind", "status"]].values.tolist()
    [['mine_restoration', 'completed'], ['afforestation', nan]]
    >>> [t.id for t in linked.targets]
    ['mine_restoration', 'afforestation']
    """
    features = project.features()
    if len(features) and not features[["kind", "status"]].notna().any().all():
        raise ValueError(
            "the project features lack kind or status values; load them with "
            "county_gis.read_layer(..., kind=...) so they follow the canonical schema"
        )
    frame = features.drop(columns=[c for c in ("year", "target") if c in features.columns])
    frame = frame.assign(kind=features["kind"].map(lambda v: _lenient(LayerKind, v)),
                         status=features["status"].map(lambda v: _lenient(Status, v)))
    return Project.from_layers({"features": frame}, targets=kind_targets(kinds),
                               name=project.name, root=project.root, rasters=project.rasters)


def greening_summary(
    project: Project,
    before: RasterLike | None = None,
    after: RasterLike | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    kinds: Iterable[LayerKind | str] = GREENING_KINDS,
    status: Status | str = Status.COMPLETED,
) -> pd.DataFrame:
    """How much of the completed regreening / afforestation area is green from above.

    Features are linked to targets by :func:`~county_gis.analysis.link_features`, the linking
    :func:`county_gis.progress` uses, and measured the same way (the union of the plots), so
    ``checked_mu`` of a target is its ``completed`` amount in the progress table and
    ``greened_mu`` its ``greened`` (``progress(project, greening=True)``), in 亩.

    Parameters
    ----------
    project : Project
        One row per area target drawing on ``kinds``. A project without targets (a layer
        file given to :func:`county_gis.load_project`) is checked per kind: one row per
        kind, every plot of the kind linked to it (:func:`by_kind`).
    before, after : path or rasterio dataset, optional
        NDVI rasters; by default :meth:`Project.ndvi_rasters` (the project's
        ``ndvi_before`` / ``ndvi_after`` rasters, or ``rasters/ndvi_2022.tif`` /
        ``ndvi_2023.tif`` in its folder).
    threshold : float, default 0.05
        As :func:`~county_gis.raster.vegetation_change`.
    kinds : iterable of LayerKind or str, default mine_restoration, afforestation
        The kinds whose targets are checked.
    status : Status or str, default completed
        Only plots with this status are checked (what the progress table calls done).

    Returns
    -------
    pandas.DataFrame
        Indexed by target id (``target``; the kind without targets): ``title``, ``kind``,
        ``features`` (plots checked), ``checked_mu`` (the union of the plots, 亩),
        ``greened_mu``, ``unchanged_mu``, ``degraded_mu``, ``no_data_mu`` (overlap-aware:
        a shared area goes to the first of these verdicts; they add up to ``checked_mu``)
        and ``green_share`` (greened / checked, 0–1). Targets with nothing to check are
        left out.

    Raises
    ------
    ThresholdError
        If ``threshold`` is not a number in (0, 2).
    ConfigError
        If no NDVI rasters are given or found.

    Examples
    --------
    >>> empty = gpd.GeoDataFrame({"kind": [], "status": []}, geometry=[], crs="EPSG:4490")
    >>> project = Project.from_layers({"plots": empty}, targets=[])
    >>> greening_summary(project, "before.tif", "after.tif").empty  # nothing to check, no reads
    True
    """
    threshold = check_threshold(threshold)
    kinds = [LayerKind.parse(k) for k in kinds]
    linkable = project if project.targets else by_kind(project, kinds)
    selected = select_plots(linkable, kinds=kinds, status=status)
    ndvi = None
    if selected:  # read (and look for) the rasters only when there is something to check
        if before is None or after is None:
            default_before, default_after = project.ndvi_rasters()
            before = default_before if before is None else before
            after = default_after if after is None else after
        ndvi = Ndvi(before, after, threshold)
    summary, _ = summary_table(selected, ndvi)
    logger.info("greening_summary: %d target(s) checked", len(summary))
    return summary


def _lenient(enum_type: type[LayerKind] | type[Status], value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return enum_type.parse(str(value)).value
    except ValueError:
        return None
