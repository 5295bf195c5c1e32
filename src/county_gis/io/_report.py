"""The load report: every decision, assumption, repair and problem met while reading a layer.

A :class:`LoadReport` travels with the layer as ``gdf.attrs["load_report"]``. Each entry is a
:class:`Note` with a code (``crs.inferred``, ``encoding.detected``, ``geometry.repaired`` ...),
a severity, a message, and where it applies (feature id and field) with the measure before and
after a repair. ``strict=True`` turns every assumption into an error at the moment it is made.

Examples
--------
>>> report = LoadReport(source="roads.shp", layer="roads")
>>> report.add("geometry.empty", "empty geometry", severity=Severity.PROBLEM, fid=3)
>>> report.to_frame()[["code", "severity", "fid", "message"]]
             code severity  fid        message
0  geometry.empty  problem    3  empty geometry
>>> print(report.notes[0])
roads.shp:roads#3: empty geometry
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from ..errors import CountyGisError, DataError, Place

__all__ = ["LoadReport", "Note", "Severity"]


class Severity(enum.Enum):
    """How much a note matters.

    ``info``: a fact (the format, the CRS read from the file). ``warning``: a fact that needs a
    look but contradicts nothing stated (a layer with a declared CRS lying outside the county,
    and how far). ``assumption``: a decision the
    data did not state (an inferred CRS, a detected encoding); refused under ``strict=True``.
    ``repair``: a change made to the data because ``repair=`` asked for it. ``problem``:
    something wrong that was kept as it is (invalid geometry, an undecodable cell).
    """

    INFO = "info"
    WARNING = "warning"
    ASSUMPTION = "assumption"
    REPAIR = "repair"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Note:
    """One entry of a :class:`LoadReport`."""

    code: str
    severity: Severity
    message: str
    file: str
    layer: str | None = None
    fid: int | None = None
    field: str | None = None
    before: float | None = None
    after: float | None = None
    unit: str | None = None

    @property
    def place(self) -> Place:
        """Where the note applies, as ``file:layer#fid (field)``."""
        return Place(self.file, self.layer, self.fid, self.field)

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


@dataclass
class LoadReport:
    """What happened while a layer was read; attached to it as ``attrs["load_report"]``.

    Attributes
    ----------
    source : str
        The path as given.
    layer : str or None
        The layer read.
    driver, engine : str
        The format (GDAL driver name or ``CSV`` / ``XLSX`` / ``KML``) and the read engine.
    feature_count : int
        Features returned.
    geometry_types : list of str
        Geometry types found.
    crs_decision, crs_evidence : str
        The CRS the coordinates were taken to be in, and why.
    encoding, encoding_evidence : str or None
        The text encoding used, and why.
    notes : list of Note
        Every assumption, repair and problem, in the order met.
    strict : bool
        Whether assumptions raise.
    status_values : dict of str to tuple
        Each distinct text of the status field -> (the status it was read as, or None when
        none; how many features hold it): the status mapping used, for review.
    """

    source: str
    layer: str | None = None
    driver: str | None = None
    engine: str | None = None
    feature_count: int = 0
    geometry_types: list[str] = field(default_factory=list)
    crs_decision: str | None = None
    crs_evidence: str | None = None
    encoding: str | None = None
    encoding_evidence: str | None = None
    notes: list[Note] = field(default_factory=list)
    strict: bool = False
    status_values: dict[str, tuple[str | None, int]] = field(default_factory=dict)

    def add(
        self,
        code: str,
        message: str,
        *,
        severity: Severity = Severity.INFO,
        fid: int | None = None,
        field: str | None = None,
        before: float | None = None,
        after: float | None = None,
        unit: str | None = None,
        error: type[CountyGisError] = DataError,
    ) -> None:
        """Record a note; under ``strict`` an assumption raises ``error`` instead.

        Raises
        ------
        CountyGisError
            ``error`` (with the place) if ``severity`` is an assumption and the report is strict.
        """
        note = Note(code, severity, message, self.source, self.layer, fid, field,
                    before, after, unit)
        if self.strict and severity is Severity.ASSUMPTION:
            text = f"{message} (strict=True refuses assumptions; declare it explicitly)"
            if issubclass(error, DataError):
                raise error(text, note.place)
            raise error(f"{note.place}: {text}")
        self.notes.append(note)

    def select(self, code: str | None = None, *, severity: Severity | None = None) -> list[Note]:
        """Notes whose code starts with ``code`` and have ``severity`` (both optional)."""
        return [
            n for n in self.notes
            if (code is None or n.code == code or n.code.startswith(code + "."))
            and (severity is None or n.severity is severity)
        ]

    @property
    def problems(self) -> list[Note]:
        """Notes of severity ``problem``."""
        return self.select(severity=Severity.PROBLEM)

    @property
    def warnings(self) -> list[Note]:
        """Notes of severity ``warning``."""
        return self.select(severity=Severity.WARNING)

    @property
    def assumptions(self) -> list[Note]:
        """Notes of severity ``assumption``."""
        return self.select(severity=Severity.ASSUMPTION)

    @property
    def repairs(self) -> list[Note]:
        """Notes of severity ``repair``."""
        return self.select(severity=Severity.REPAIR)

    def to_frame(self) -> pd.DataFrame:
        """The notes as a table, one row per note (columns code, severity, place, message ...)."""
        columns = ["code", "severity", "file", "layer", "fid", "field", "message",
                   "before", "after", "unit"]
        rows = [
            {**asdict(n), "severity": n.severity.value} for n in self.notes
        ]
        frame = pd.DataFrame(rows, columns=columns)
        frame["fid"] = frame["fid"].astype("Int64")
        for name in ("before", "after"):
            frame[name] = frame[name].astype(float)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the report."""
        data = asdict(self)
        data["notes"] = [{**asdict(n), "severity": n.severity.value} for n in self.notes]
        return data

    def to_json(self, **kwargs: Any) -> str:
        """The report as JSON text (``ensure_ascii=False`` by default)."""
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    def summary(self) -> str:
        """One line per decision and a count of notes by severity."""
        counts: dict[str, int] = {}
        for n in self.notes:
            counts[n.severity.value] = counts.get(n.severity.value, 0) + 1
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no notes"
        return (
            f"{self.source}:{self.layer} [{self.driver}, {self.engine}] "
            f"{self.feature_count} features; CRS {self.crs_decision}; "
            f"encoding {self.encoding}; {parts}"
        )

    def __repr__(self) -> str:
        return f"<LoadReport {self.summary()}>"
