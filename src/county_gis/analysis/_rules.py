"""三区三线 vocabulary, the rules file and the overrides file of :mod:`.compliance`.

- :class:`ZoneType` — 生态保护红线 / 永久基本农田 / 城镇开发边界, with their usual layer codes
  (``STBHHX``, ``YJJBNTBHTB``, ``CZKFBJ``);
- :class:`Verdict` — 禁止 / 需论证 / 允许, what a rule says an overlap means;
- :class:`CheckStatus` — 冲突 / 无冲突 / 未核查, the result per feature × zone type;
- :func:`load_rules` — the rules data file (``data/compliance_rules.toml`` by default), validated:
  every rule cites its clause, every zone type has a ``"*"`` rule;
- :func:`load_overrides` — reviewed false positives waived with a reason and a 依据.

Examples
--------
>>> ZoneType.parse("YJJBNTBHTB").label, ZoneType.parse("stbhhx").code
('永久基本农田', 'STBHHX')
>>> rules = load_rules()
>>> rule = rules.rule_for(ZoneType.ECOLOGICAL_REDLINE, "road_rebuild")
>>> rule.verdict.value, rule.citation[:19]
('需论证', '自然资发〔2022〕142号 一(一)')
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .._choice import Choice
from ..errors import ConfigError, unknown_keys
from ..vocabulary import LayerKind

__all__ = ["CheckStatus", "Override", "Rule", "RuleBook", "Verdict", "ZoneType",
           "load_overrides", "load_rules"]

#: The bundled rules file (inside the package).
BUNDLED_RULES = "data/compliance_rules.toml"
#: The overrides file looked for beside project.toml.
OVERRIDES_FILE = "compliance_overrides.toml"


class ZoneType(Choice):
    """The three control lines (三区三线; 厅字〔2019〕48号).

    Examples
    --------
    >>> ZoneType.parse("城镇开发边界")
    <ZoneType.URBAN_BOUNDARY: '城镇开发边界'>
    >>> ZoneType.parse("red")
    Traceback (most recent call last):
    ...
    county_gis.errors.ConfigError: zone type was 'red' but is expected to be one of 生态保护红线 \
(STBHHX), 永久基本农田 (YJJBNTBHTB), 城镇开发边界 (CZKFBJ)
    """

    ECOLOGICAL_REDLINE = "生态保护红线"
    FARMLAND = "永久基本农田"
    URBAN_BOUNDARY = "城镇开发边界"

    @property
    def code(self) -> str:
        """The usual layer code (国土空间规划 database)."""
        return _CODES[self]

    @property
    def label(self) -> str:
        """Chinese name."""
        return self.value

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        red, farm, urban = "生态保护红线", "永久基本农田", "城镇开发边界"
        return {"STBHHX": red, "ecological_redline": red, "redline": red, "红线": red,
                "生态红线": red, "YJJBNTBHTB": farm, "YJJBNT": farm, "farmland": farm,
                "permanent_basic_farmland": farm, "基本农田": farm, "永久基本农田保护图斑": farm,
                "CZKFBJ": urban, "urban_boundary": urban, "urban": urban, "开发边界": urban}

    @classmethod
    def _what(cls) -> str:
        return "zone type"

    @classmethod
    def _allowed(cls) -> str:
        return ", ".join(f"{m.value} ({m.code})" for m in cls)

    @classmethod
    def _error(cls) -> type[Exception]:
        return ConfigError


_CODES = {ZoneType.ECOLOGICAL_REDLINE: "STBHHX", ZoneType.FARMLAND: "YJJBNTBHTB",
          ZoneType.URBAN_BOUNDARY: "CZKFBJ"}


class Verdict(Choice):
    """What a rule says an overlap of a kind with a zone type means."""

    FORBIDDEN = "禁止"
    REVIEW = "需论证"
    ALLOWED = "允许"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"forbidden": "禁止", "review": "需论证", "allowed": "允许"}

    @classmethod
    def _error(cls) -> type[Exception]:
        return ConfigError


class CheckStatus(Choice):
    """The result per feature × zone type: 冲突 / 无冲突 / 未核查.

    冲突: an overlap (beyond the sliver thresholds) whose rule is 禁止 or 需论证. 无冲突: no
    overlap, or an overlap the rule allows (its area is still listed). 未核查: the project holds
    no data of that zone type — never reported as 无冲突.
    """

    CONFLICT = "冲突"
    CLEAR = "无冲突"
    UNCHECKED = "未核查"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"conflict": "冲突", "clear": "无冲突", "no_conflict": "无冲突",
                "unchecked": "未核查", "not_checked": "未核查"}

    @classmethod
    def _error(cls) -> type[Exception]:
        return ConfigError


@dataclass(frozen=True)
class Rule:
    """One row of the rules file."""

    zone: ZoneType
    kind: str  # a LayerKind value or "*"
    verdict: Verdict
    citation: str
    note: str = ""

    @property
    def text(self) -> str:
        """``生态保护红线 × 农村公路新改建、维修改造 → 需论证``.

        Examples
        --------
        >>> load_rules().rule_for("永久基本农田", "afforestation").text
        '永久基本农田 × 造林、抚育、草原补播 → 禁止'
        """
        kind = "其他类型" if self.kind == "*" else LayerKind.parse(self.kind).label
        return f"{self.zone.value} × {kind} → {self.verdict.value}"


@dataclass(frozen=True)
class RuleBook:
    """The rules of a run and the file they came from."""

    rules: tuple[Rule, ...]
    source: str
    title: str = ""
    version: str = ""

    def rule_for(self, zone: ZoneType | str, kind: Any) -> Rule:
        """The rule for ``kind`` in ``zone``: the kind's own rule, else the zone's ``"*"``."""
        zone = ZoneType.parse(zone)
        try:
            key = LayerKind.parse(kind).value
        except ValueError:
            key = "*"
        found = {r.kind: r for r in self.rules if r.zone is zone}
        return found.get(key, found["*"])


_RULE_KEYS = {"zone", "kind", "verdict", "citation", "note"}


def load_rules(path: str | os.PathLike[str] | None = None) -> RuleBook:
    """Read and validate a rules file (default: the bundled ``data/compliance_rules.toml``).

    Raises
    ------
    ConfigError
        Every problem at once: unknown keys, an unknown zone / kind / verdict, a rule without
        citation, a duplicate, a zone type without a ``"*"`` rule.
    """
    if path is None:
        text = resources.files("county_gis").joinpath(BUNDLED_RULES).read_text(encoding="utf-8")
        source = f"county_gis/{BUNDLED_RULES}"
    else:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"rules file {file} does not exist; pass an existing TOML file "
                              "([compliance] rules = ... in project.toml, CLI --rules)")
        text, source = file.read_text(encoding="utf-8"), str(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    problems: list[str] = []
    rules: list[Rule] = []
    seen: set[tuple[ZoneType, str]] = set()
    entries = data.get("rule", [])
    if not isinstance(entries, list) or not entries:
        problems.append("no [[rule]] tables")
        entries = []
    for number, entry in enumerate(entries, start=1):
        where = f"[[rule]] #{number}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where} must be a table")
            continue
        unknown = unknown_keys(entry, _RULE_KEYS)
        if unknown:
            problems.append(f"{where}: {unknown}")
        try:
            zone = ZoneType.parse(entry.get("zone"))
            verdict = Verdict.parse(entry.get("verdict"))
            kind = str(entry.get("kind", ""))
            kind = "*" if kind == "*" else LayerKind.parse(kind).value
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        citation = str(entry.get("citation", "")).strip()
        if not citation:
            problems.append(f"{where} ({zone.value} × {kind}): citation is missing; every rule "
                            "cites the clause it relies on (citation = \"...\")")
            continue
        if (zone, kind) in seen:
            problems.append(f"{where}: a second rule for {zone.value} × {kind}; keep one")
            continue
        seen.add((zone, kind))
        rules.append(Rule(zone, kind, verdict, citation, str(entry.get("note", ""))))
    for zone in ZoneType:
        if entries and (zone, "*") not in seen:
            problems.append(f"{zone.value} has no kind = \"*\" rule (the rule for every other "
                            "kind); add one")
    if problems:
        raise ConfigError(f"{source}: {len(problems)} problem(s): " + "; ".join(problems))
    return RuleBook(tuple(rules), source, str(data.get("title", "")),
                    str(data.get("version", "")))


@dataclass(frozen=True)
class Override:
    """A reviewed false positive: the feature × zone type whose result is waived."""

    zone: ZoneType
    status: CheckStatus
    reason: str
    basis: str
    project_id: str | None = None
    place: str | None = None
    layer: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def matches(self, *, zone: ZoneType, project_id: Any, place: str, layer: str) -> bool:
        """Whether this override names that feature × zone type."""
        if zone is not self.zone:
            return False
        if self.layer is not None and self.layer != layer:
            return False
        if self.place is not None:
            return self.place == place
        return self.project_id is not None and str(project_id) == self.project_id


_OVERRIDE_KEYS = {"zone", "status", "reason", "basis", "依据", "project_id", "place", "layer",
                  "reviewed_by", "date"}


def load_overrides(path: str | os.PathLike[str]) -> tuple[Override, ...]:
    """Read an overrides file (``[[override]]`` tables); every problem at once.

    Each override names the feature (``project_id`` or ``place`` = ``file:layer#fid``,
    optionally ``layer``), the ``zone`` type, the new ``status`` (default 无冲突), a
    ``reason`` and its ``basis`` (依据: the document or review that supports it).

    Raises
    ------
    ConfigError
        If the file is missing or invalid.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"overrides file {file} does not exist; pass an existing TOML file "
                          "([compliance] overrides = ... in project.toml, CLI --overrides)")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}") from None
    problems: list[str] = []
    out: list[Override] = []
    for number, entry in enumerate(data.get("override", []), start=1):
        where = f"{file.name} [[override]] #{number}"
        unknown = unknown_keys(entry, _OVERRIDE_KEYS)
        if unknown:
            problems.append(f"{where}: {unknown}")
        try:
            zone = ZoneType.parse(entry.get("zone"))
            status = CheckStatus.parse(entry.get("status", "无冲突"))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        reason = str(entry.get("reason", "")).strip()
        basis = str(entry.get("basis", entry.get("依据", ""))).strip()
        if not reason or not basis:
            problems.append(f"{where}: an override needs reason = \"...\" and basis = \"...\" "
                            "(依据: the review or document that supports it)")
            continue
        if "project_id" not in entry and "place" not in entry:
            problems.append(f"{where}: name the feature with project_id = \"...\" or place = "
                            "\"file:layer#fid\"")
            continue
        out.append(Override(
            zone, status, reason, basis,
            project_id=None if "project_id" not in entry else str(entry["project_id"]),
            place=entry.get("place"), layer=entry.get("layer"),
            extra={k: str(entry[k]) for k in ("reviewed_by", "date") if k in entry}))
    if problems:
        raise ConfigError(f"{file}: {len(problems)} problem(s): " + "; ".join(problems))
    return tuple(out)
