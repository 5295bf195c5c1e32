"""The trend of every target over the recorded snapshots: 序时进度, the gap and the lamp.

:func:`trend` measures the project as recorded at each snapshot of its history
(:func:`county_gis.history.as_of`, then :func:`progress_details`), and adds for each target
and date the expected share (序时进度, :func:`county_gis.history.expected_pct`), the gap in
percentage points, what was completed since the previous snapshot (本月新增) and the lamp
(:func:`county_gis.history.light`, by the project's ``[history.lamps]`` rules). Renderers and
report writers take the :class:`Trend` it returns.

Examples
--------
The bundled project's (synthetic) history, at two of its twelve month ends:

>>> from county_gis.project import load_project
>>> t = trend(load_project(), dates=["2023-08-31", "2023-10-31"])
>>> t.synthetic, t.rules.preset.value
(True, 'points')
>>> row = t.latest().set_index("target_id").loc["pv_capacity"]
>>> [round(float(row[c]), 2) for c in ("pct_completed", "expected_pct", "gap")]
[113.33, 83.33, 30.0]
>>> row["lamp"], row["lamp_label"]
('green', '绿灯')
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass

import pandas as pd

from ..history import (
    Lamp,
    LampInput,
    LampRules,
    as_of,
    expected_pct,
    history_config,
    light,
    list_snapshots,
    months_elapsed,
    parse_date,
)
from ..project import Project
from .progress import progress_details

__all__ = ["TREND_COLUMNS", "Trend", "trend"]

#: Columns of :attr:`Trend.table`.
TREND_COLUMNS = ["date", "target_id", "title", "unit", "target_value", "planned",
                 "under_construction", "completed", "pct_completed", "expected_pct", "gap",
                 "added", "lamp", "lamp_label"]


@dataclass
class Trend:
    """Progress of every target at every snapshot.

    Attributes
    ----------
    table : DataFrame
        :data:`TREND_COLUMNS`, one row per (date, target with map data), dates ascending.
        ``expected_pct`` is 序时进度 (%), ``gap`` = ``pct_completed`` − ``expected_pct``
        (points; negative: behind), ``added`` the amount completed since the previous
        snapshot (本月新增, in the target's unit), ``lamp`` green / yellow / red.
    dates : list of date
    rules : LampRules
    synthetic : bool
        The snapshots are synthetic demonstration data (say so wherever shown).
    """

    table: pd.DataFrame
    dates: list[dt.date]
    rules: LampRules
    synthetic: bool = False

    def latest(self) -> pd.DataFrame:
        """The rows of the last date."""
        if not self.dates:
            return self.table.iloc[:0]
        return self.table[self.table["date"] == self.dates[-1]].reset_index(drop=True)

    def series(self, target_id: str) -> pd.DataFrame:
        """The rows of one target, oldest first."""
        return self.table[self.table["target_id"] == target_id].reset_index(drop=True)


def trend(project: Project, *, dates: list[str | dt.date] | None = None,
          rules: LampRules | None = None,
          store: str | os.PathLike[str] | None = None) -> Trend:
    """Progress, 序时进度, gap, 本月新增 and lamp of every target at every snapshot.

    Parameters
    ----------
    project : Project
        A project with a history (``[history]`` of project.toml, or ``store``).
    dates : list of str or date, optional
        The dates to measure; default every snapshot recorded.
    rules : LampRules, optional
        Default: the project's ``[history.lamps]`` (preset ``points``).
    store : path-like, optional
        The history GeoPackage; default ``[history] store`` beside project.toml.

    Returns
    -------
    Trend

    Raises
    ------
    ConfigError
        If the project has no history, or a date is before its first snapshot.
    """
    config = history_config(project) if store is None else None
    rules = rules if rules is not None else LampRules.parse(
        config.lamps if config is not None else None)
    snaps = list_snapshots(project, store=store)
    days = [parse_date(d, "dates") for d in dates] if dates is not None else [
        s.date for s in snaps]
    days = sorted(set(days))
    synthetic = any(s.synthetic for s in snaps if s.date <= (days[-1] if days else s.date))
    targets = {t.id: t for t in project.targets}
    rows = []
    for day in days:
        table = progress_details(as_of(project, day, store=store)).table
        for record in table.to_dict("records"):
            completed = record["completed"]
            if completed is None or (isinstance(completed, float) and math.isnan(completed)):
                continue  # an indicator without map data
            target = targets[record["target_id"]]
            expected = expected_pct(target, day)
            rows.append({**{k: record[k] for k in TREND_COLUMNS[1:9] if k in record},
                         "date": day, "expected_pct": expected,
                         "gap": float(record["pct_completed"]) - expected})
    frame = pd.DataFrame(rows, columns=TREND_COLUMNS)
    frame["added"] = frame.groupby("target_id", sort=False)["completed"].diff()
    first = ~frame["target_id"].duplicated()
    frame.loc[first, "added"] = frame.loc[first, "completed"]
    lamps: dict[int, Lamp] = {}
    for target_id, group in frame.groupby("target_id", sort=False):
        target = targets[str(target_id)]
        steps = [LampInput(months_elapsed(target.year, r.date), float(r.gap),
                           bool((r.under_construction or 0) + (r.completed or 0) > 0))
                 for r in group.itertuples()]
        lamps.update(zip(group.index, light(steps, rules), strict=True))
    frame["lamp"] = [lamps[i].value for i in frame.index]
    frame["lamp_label"] = [lamps[i].label for i in frame.index]
    return Trend(frame, days, rules, synthetic)
