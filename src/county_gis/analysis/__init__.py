"""Analysis of a loaded project: progress against targets, per township, overlaps, checks.

- :func:`progress` — one row per target: planned / under construction / completed amounts
  (geodesic, overlap-aware), % completed, features, notes; ``by="township"`` splits them.
- :func:`progress_details` — the same table with the lists behind its notes: overlapping
  pairs, stated-vs-measured differences, features linked to no target or to two.
- :func:`link_features` — which feature counts toward which target, and why.
"""

from .linking import link_features
from .overlaps import overlapping_pairs, stated_differences
from .progress import By, ProgressDetails, progress, progress_details
from .townships import split_by_township

__all__ = [
    "By",
    "ProgressDetails",
    "link_features",
    "overlapping_pairs",
    "progress",
    "progress_details",
    "split_by_township",
    "stated_differences",
]
