"""序时进度: the share of a target expected done at a date, and the gap in points.

By default the schedule is linear over the target's year, month by month: the end of month
*m* expects *m*/12 (the end of August 8/12 = 66.67 %), and a day inside a month its share of
that month. A target may instead carry a monthly curve (``schedule``: 12 cumulative
percentages, one per month end; linear inside a month) or ``milestones`` (date -> %;
linear in between, from 0 % at the start of the year) in the targets file.

Examples
--------
The published arithmetic: 74 % done after 8 months is 7.33 points ahead of 序时进度, 97.2 %
after 10 months 13.87 points ahead:

>>> from county_gis.targets import Measure, Target
>>> t = Target("roads", "修路", "六", Measure.LENGTH, "公里", 200.0, 2023)
>>> round(expected_pct(t, "2023-08-31"), 2), round(gap_points(74.0, t, "2023-08-31"), 2)
(66.67, 7.33)
>>> round(expected_pct(t, "2023-10-31"), 2), round(gap_points(97.2, t, "2023-10-31"), 2)
(83.33, 13.87)
>>> expected_pct(t, "2022-12-31"), expected_pct(t, "2024-01-15")
(0.0, 100.0)
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools

from ..targets import Target
from .snapshots import DateLike, parse_date

__all__ = ["expected_pct", "gap_points", "months_elapsed"]


def months_elapsed(year: int, date: DateLike) -> float:
    """Months of ``year`` elapsed at the end of ``date`` (0–12; fractional inside a month).

    Examples
    --------
    >>> months_elapsed(2023, "2023-08-31"), months_elapsed(2023, "2023-02-14")
    (8.0, 1.5)
    """
    day = parse_date(date)
    if day.year < year:
        return 0.0
    if day.year > year:
        return 12.0
    days = calendar.monthrange(day.year, day.month)[1]
    return day.month - 1 + day.day / days


def _interpolate(points: list[tuple[float, float]], x: float) -> float:
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def expected_pct(target: Target, date: DateLike) -> float:
    """序时进度: the cumulative % of ``target`` expected done at the end of ``date``.

    Examples
    --------
    >>> from county_gis.targets import Measure, Target
    >>> curve = Target("trees", "造林", "七", Measure.AREA, "亩", 100.0, 2023,
    ...                schedule=(0, 0, 10, 30, 45, 50, 52, 55, 65, 85, 95, 100))
    >>> expected_pct(curve, "2023-04-30"), expected_pct(curve, "2023-04-15")
    (30.0, 20.0)
    >>> steps = Target("x", "x", "七", Measure.AREA, "亩", 1.0, 2023,
    ...                milestones=((dt.date(2023, 6, 30), 40.0), (dt.date(2023, 12, 31), 100.0)))
    >>> round(expected_pct(steps, "2023-03-31"), 2), expected_pct(steps, "2023-06-30")
    (19.89, 40.0)
    """
    day = parse_date(date)
    if target.milestones:
        start = dt.date(target.year, 1, 1)
        points = [(0.0, 0.0)] + [((d - start).days + 1.0, v) for d, v in target.milestones]
        if day.year < target.year:
            return 0.0
        return _interpolate(points, (day - start).days + 1.0)
    months = months_elapsed(target.year, day)
    if target.schedule:
        return _interpolate([(0.0, 0.0)] + [(m + 1.0, v) for m, v in
                                            enumerate(target.schedule)], months)
    return 100.0 * months / 12.0


def gap_points(pct_completed: float, target: Target, date: DateLike) -> float:
    """% completed minus 序时进度, in percentage points (negative: behind schedule)."""
    return float(pct_completed) - expected_pct(target, date)
