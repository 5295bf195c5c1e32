"""The house rules of docs/architecture.md, checked on the source: one-way flow, no cycles.

Every import between county_gis modules (module level and inside functions) is an arrow.
The packages stand in layers, in the order of the flow::

    foundation (errors, units, kinds, crs, measure, targets ...) → io → project
      → raster → analysis → render / report → cli

An arrow may point down the flow or stay in its layer, never up; no package imports a
private module (``_name``) of another package; and no two packages import each other.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "county_gis"

#: layer of each package / top-level module (the root package's own modules are foundation)
LAYERS = {"io": 1, "project": 2, "project_init": 3, "raster": 3, "history": 3, "analysis": 4,
          "render": 5, "report": 5, "compliance_report": 5, "tongbao": 5, "store": 5, "scale": 5,
          "cli": 6,
          "__main__": 7}
FOUNDATION = 0


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported county_gis module, line) for every import in ``path``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("county_gis"):
                continue
            for alias in node.names:  # `from . import x` may import a submodule
                candidate = f"{module}.{alias.name}"
                found = _exists(candidate)
                out.append((candidate if found else module, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("county_gis")]
    return out


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def _unit(module: str) -> str:
    """The package (io, analysis ...) or top-level module a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer(module: str) -> int:
    return LAYERS.get(_unit(module), FOUNDATION)


def _arrows() -> list[tuple[str, str, int]]:
    arrows = []
    for path in sorted(SRC.rglob("*.py")):
        source = _module_name(path)
        if source == "county_gis":
            continue  # the root __init__ is the public façade over every layer
        arrows += [(source, target, line) for target, line in _imports(path)]
    return arrows


def test_the_import_scan_sees_the_flow():
    arrows = {(s, t) for s, t, _ in _arrows()}
    # sanity: the scan finds arrows we know exist, relative and inside functions
    assert ("county_gis.analysis.progress", "county_gis.project") in arrows
    assert ("county_gis.cli.progress", "county_gis.analysis") in arrows
    assert len(arrows) > 80


def test_no_import_points_up_the_flow():
    up = [f"{s} → {t} (line {line})" for s, t, line in _arrows()
          if _layer(t) > _layer(s) and _unit(t) != _unit(s)]
    assert up == []


def test_no_package_imports_another_packages_private_module():
    private = []
    for source, target, line in _arrows():
        parts = target.split(".")
        owner = _unit(target)
        if owner in LAYERS and owner != _unit(source) and any(p.startswith("_")
                                                               for p in parts[2:]):
            private.append(f"{source} → {target} (line {line})")
    assert private == []


def test_no_cycles_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target, _ in _arrows():
        if _unit(source) != _unit(target):
            graph[_unit(source) or "county_gis"].add(_unit(target) or "county_gis")
    cycles = [f"{a} ⇄ {b}" for a in graph for b in graph[a] if a < b and a in graph.get(b, ())]
    assert cycles == []


@pytest.mark.parametrize("module", ["county_gis.raster"])
def test_raster_holds_primitives_only(module):
    """raster imports nothing from project, analysis or render."""
    bad = [f"{s} → {t}" for s, t, _ in _arrows()
           if s.startswith(module) and _unit(t) in {"project", "analysis", "render", "report",
                                                     "cli", "io"}]
    assert bad == []
