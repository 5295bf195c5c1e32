"""The vocabulary every module shares: layer kinds, statuses, geometry families, columns.

- :class:`LayerKind` and :class:`Status` are enums backed by the data file
  ``data/kinds.toml``, with their Chinese labels. Bureaus name the same thing many ways
  (完工, 已完成, 竣工 ...); :meth:`Status.parse` and :meth:`LayerKind.parse` map every
  declared alias onto the canonical value and refuse anything else with the list of valid
  names. Adding an alias never touches Python.
- :class:`GeometryFamily` groups shapely's geometry types into points, lines and polygons
  (the family a target measures, the family a layer should hold).
- :data:`LAYER_COLUMNS`, :data:`CANONICAL_COLUMNS` and :data:`TOWNSHIP_COLUMNS` name the
  columns of a project layer and of the townships.

Examples
--------
>>> from county_gis.vocabulary import LayerKind, Status
>>> Status.parse("竣工")
<Status.COMPLETED: 'completed'>
>>> LayerKind.parse("矿山复绿").label
'矿山复绿'
>>> Status.parse("maybe")
Traceback (most recent call last):
...
ValueError: status was 'maybe' but is expected to be one of planned (计划), ...
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import shapely

from ._choice import Choice, normalise_name

__all__ = ["CANONICAL_COLUMNS", "LAYER_COLUMNS", "STATUSES", "TOWNSHIP_COLUMNS",
           "GeometryFamily", "LayerKind", "Status", "normalise_name"]

#: The columns every project layer carries (None where the source has nothing).
LAYER_COLUMNS = ("project_id", "name", "kind", "status", "township", "target", "year",
                 "work_type")
#: Every canonical column a source field can map onto (:data:`LAYER_COLUMNS` plus the
#: kind-specific and stated-amount ones).
CANONICAL_COLUMNS = (*LAYER_COLUMNS, "capacity_kw", "floor_area_m2", "stated_area_mu",
                     "stated_length_km")
#: The columns of a project's townships (besides the geometry).
TOWNSHIP_COLUMNS = ("code", "name", "kind", "approximate")


@cache
def _registry() -> dict[str, Any]:
    text = resources.files("county_gis").joinpath("data/kinds.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


class _Named(Choice):
    """An enum whose members carry a Chinese label and aliases from ``kinds.toml``."""

    @classmethod
    def _section(cls) -> str:
        raise NotImplementedError

    @property
    def label(self) -> str:
        """Chinese label."""
        return str(_registry()[self._section()][self.value]["label"])

    @property
    def aliases(self) -> tuple[str, ...]:
        """Declared alternative names."""
        return tuple(_registry()[self._section()][self.value].get("aliases", ()))

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {name: m.value for m in cls for name in (m.label, *m.aliases)}

    @classmethod
    def _allowed(cls) -> str:
        return ", ".join(f"{m.value} ({m.label})" for m in cls)

    @classmethod
    def _hint(cls) -> str:
        return " or an alias of them"


class LayerKind(_Named):
    """What a project layer holds; one kind per target family."""

    @classmethod
    def _section(cls) -> str:
        return "kinds"

    ROAD_REBUILD = "road_rebuild"
    STREET_RENOVATION = "street_renovation"
    MINE_RESTORATION = "mine_restoration"
    AFFORESTATION = "afforestation"
    SOIL_CONSERVATION = "soil_conservation"
    PV_STATION = "pv_station"
    SCHOOL = "school"
    OUTFALL = "outfall"
    WASTEWATER_PLANT = "wastewater_plant"
    POWER_LINE = "power_line"
    WATER_SUPPLY = "water_supply"

    @property
    def geometry(self) -> str:
        """Expected geometry: line, polygon, point, line_or_polygon, point_or_polygon or any."""
        return str(_registry()["kinds"][self.value]["geometry"])

    @classmethod
    def _what(cls) -> str:
        return "kind"


class Status(_Named):
    """Where a project stands: planned, under construction or completed."""

    @classmethod
    def _section(cls) -> str:
        return "statuses"

    PLANNED = "planned"
    UNDER_CONSTRUCTION = "under_construction"
    COMPLETED = "completed"


#: The status values, least advanced first: planned, under_construction, completed.
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)


class GeometryFamily(Choice):
    """Points, lines or polygons: the shapely geometry types grouped by dimension.

    Examples
    --------
    >>> from shapely.geometry import LineString, Point, Polygon, box
    >>> geoms = [LineString([(0, 0), (1, 0)]), Point(0, 0), box(0, 0, 1, 1), Polygon(), None]
    >>> GeometryFamily.LINE.mask(geoms).tolist()
    [True, False, False, False, False]
    >>> GeometryFamily.POLYGON.mask(geoms, nonempty=False).tolist()
    [False, False, True, True, False]
    >>> [GeometryFamily.of(g).value for g in geoms[:3]]
    ['line', 'point', 'polygon']
    """

    POINT = "point"
    LINE = "line"
    POLYGON = "polygon"

    @classmethod
    def _what(cls) -> str:
        return "geometry"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"points": "point", "点": "point", "lines": "line", "线": "line",
                "polygons": "polygon", "面": "polygon"}

    @property
    def type_ids(self) -> tuple[int, ...]:
        """The shapely type ids of the family (single and multi-part)."""
        return _TYPE_IDS[self]

    @property
    def label(self) -> str:
        """Chinese label (点 / 线 / 面)."""
        return {"point": "点", "line": "线", "polygon": "面"}[self.value]

    def mask(self, geoms: Any, *, nonempty: bool = True) -> np.ndarray:
        """Which of ``geoms`` belong to the family (and, by default, are not empty)."""
        geoms = np.asarray(geoms, dtype=object)
        out = np.isin(shapely.get_type_id(geoms), self.type_ids)
        return out & ~shapely.is_empty(geoms) if nonempty else out

    def only(self, geoms: Any) -> np.ndarray:
        """The part of each geometry in the family (an empty one of the family when none).

        Collections keep their members of the family (as one multi-part geometry): a
        GeometryCollection of a line and a polygon measures its line as length and its
        polygon as area; intersections of touching polygons (lines, points) have no area.

        Examples
        --------
        >>> from shapely.geometry import GeometryCollection, LineString, box
        >>> mixed = GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (2, 2)])])
        >>> out = GeometryFamily.POLYGON.only([box(0, 0, 1, 1), LineString([(0, 0), (1, 1)]),
        ...                                    mixed])
        >>> [g.geom_type for g in out], [g.is_empty for g in out]
        (['Polygon', 'Polygon', 'MultiPolygon'], [False, True, False])
        >>> GeometryFamily.LINE.only([mixed])[0].wkt
        'MULTILINESTRING ((0 0, 2 2))'
        """
        geoms = np.asarray(geoms, dtype=object)
        out = geoms.copy()
        build, empty = _BUILD[self]
        for i in np.flatnonzero(~np.isin(shapely.get_type_id(geoms), self.type_ids)):
            geom = geoms[i]
            parts = [] if geom is None else [
                p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in self.type_ids]
            out[i] = build(parts) if parts else empty()
        return out

    @classmethod
    def of(cls, geom: Any) -> GeometryFamily | None:
        """The family of one geometry (None for a collection, a missing geometry ...)."""
        type_id = int(shapely.get_type_id(geom))
        return next((f for f in cls if type_id in f.type_ids), None)


_TYPE_IDS = {
    GeometryFamily.POINT: (int(shapely.GeometryType.POINT), int(shapely.GeometryType.MULTIPOINT)),
    GeometryFamily.LINE: (int(shapely.GeometryType.LINESTRING),
                          int(shapely.GeometryType.LINEARRING),
                          int(shapely.GeometryType.MULTILINESTRING)),
    GeometryFamily.POLYGON: (int(shapely.GeometryType.POLYGON),
                             int(shapely.GeometryType.MULTIPOLYGON)),
}
_BUILD: dict[GeometryFamily, tuple[Any, Any]] = {
    GeometryFamily.POINT: (shapely.multipoints, shapely.Point),
    GeometryFamily.LINE: (shapely.multilinestrings, shapely.LineString),
    GeometryFamily.POLYGON: (shapely.multipolygons, shapely.Polygon),
}
