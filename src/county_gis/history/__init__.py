"""Progress over time: snapshots, as-of reads, changes, bureau updates, 序时进度 and lamps.

- :func:`snapshot` — record the state of a project's layers at a date, append-only, in a
  GeoPackage beside the project (``[history] store``); unchanged features cost nothing;
- :func:`as_of` — the project with its layers as recorded at a date (what
  ``county_gis.progress(project, as_of=...)`` measures);
- :func:`changes` — features added, removed, reshaped, re-statused between two dates, with
  their 亩 / 公里 (本月新增);
- :func:`apply_update` — a bureau's progress sheet applied to the latest state: status,
  dates and stated figures only, problems reported, never silently applied;
- :func:`expected_pct` — 序时进度 of a target at a date (linear, a monthly curve or
  milestones of the targets file); :func:`light` — 红黄绿灯 by :class:`LampRules`.

The trend of every target over the snapshots (with 序时进度, the gap and the lamp) is
:func:`county_gis.analysis.trend`.
"""

from .changes import CHANGE_COLUMNS, Change, changes, measure_features
from .lamps import PRESETS, Lamp, LampInput, LampRules, Preset, light, next_lamp
from .schedule import expected_pct, gap_points, months_elapsed
from .snapshots import (
    DEFAULT_STORE,
    HistoryConfig,
    Snapshot,
    as_of,
    feature_keys,
    history_config,
    list_snapshots,
    parse_date,
    snapshot,
    state_at,
)
from .updates import UPDATABLE, UpdateResult, apply_update, read_update_sheet

__all__ = [
    "CHANGE_COLUMNS",
    "DEFAULT_STORE",
    "PRESETS",
    "UPDATABLE",
    "Change",
    "HistoryConfig",
    "Lamp",
    "LampInput",
    "LampRules",
    "Preset",
    "Snapshot",
    "UpdateResult",
    "apply_update",
    "as_of",
    "changes",
    "expected_pct",
    "feature_keys",
    "gap_points",
    "history_config",
    "light",
    "list_snapshots",
    "measure_features",
    "months_elapsed",
    "next_lamp",
    "parse_date",
    "read_update_sheet",
    "snapshot",
    "state_at",
]
