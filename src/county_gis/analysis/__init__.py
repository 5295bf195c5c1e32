"""Analysis of a loaded project: progress against targets, per township, overlaps, checks.

- :func:`progress` — one row per target: planned / under construction / completed amounts
  (geodesic, overlap-aware), % completed, features, notes; ``by="township"`` splits them;
  ``greening=True`` adds how much of the completed regreening is green on NDVI.
- :func:`progress_details` — the same table with the lists behind its notes: overlapping
  pairs, stated-vs-measured differences, features linked to no target or to two, townships
  without a polygon, the NDVI verdict of each completed plot.
- :func:`link_features`, :func:`linked_features` — which feature counts toward which
  target, and why (progress and :func:`greening_summary` both use them).
- :func:`greening_summary` — how much of the completed regreening is green on NDVI.
- :func:`trend` — every target at every snapshot of the project's history: 序时进度, the gap
  in points, 本月新增 and the 红黄绿灯 lamp.
- :func:`compliance` — 三区三线: every feature against every zone, area / length inside,
  rule and citation, 冲突 / 无冲突 / 未核查 (a :class:`ComplianceResult`).
"""

from .compliance import ComplianceResult, ZoneLayer, compliance
from .counting import (
    Counted,
    clip_to,
    clusters,
    count_geometry,
    priority_pieces,
    repeated_points,
)
from .greening import (
    GREENING_KINDS,
    Ndvi,
    PlotCheck,
    check_plots,
    greening_summary,
    greening_targets,
    select_plots,
)
from .linking import filter_gaps, link_features, linked_features, unlinked_summary
from .overlaps import overlapping_pairs, stated_differences
from .progress import GREENING_COLUMNS, By, ProgressDetails, progress, progress_details
from .townships import split_by_township
from .trend import TREND_COLUMNS, Trend, trend

__all__ = [
    "GREENING_COLUMNS",
    "GREENING_KINDS",
    "TREND_COLUMNS",
    "By",
    "ComplianceResult",
    "Counted",
    "Ndvi",
    "PlotCheck",
    "ProgressDetails",
    "Trend",
    "ZoneLayer",
    "check_plots",
    "clip_to",
    "clusters",
    "compliance",
    "count_geometry",
    "filter_gaps",
    "greening_summary",
    "greening_targets",
    "link_features",
    "linked_features",
    "overlapping_pairs",
    "priority_pieces",
    "progress",
    "progress_details",
    "repeated_points",
    "select_plots",
    "split_by_township",
    "stated_differences",
    "trend",
    "unlinked_summary",
]
