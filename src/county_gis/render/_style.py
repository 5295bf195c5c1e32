"""The style vocabulary both renderers read: colours, status symbols, outlines, labels.

One source for the HTML map (:func:`~county_gis.render.make_map`, whose page script gets
:func:`page_style`) and the printed map (:func:`~county_gis.render.print_map`): a kind
has one colour, a status one fill / dash / weight, in a browser and on paper.

The kind colours are colour-blind safe in the sense that matters for a legend: no two
kinds are closer than :data:`MIN_DELTA_E` (CIEDE2000) for normal vision and
:data:`MIN_DELTA_E_CVD` for simulated deuteranopia and protanopia (Machado, Oliveira &
Fernandes 2009, severity 1.0). The palette starts from Okabe & Ito's eight colours.
:func:`palette_delta_e` recomputes both numbers (the tests do).

Examples
--------
>>> from county_gis.vocabulary import LayerKind, Status
>>> KIND_COLOURS[LayerKind.AFFORESTATION]
'#009e73'
>>> STATUS_STYLES[Status.PLANNED].fill_opacity
0.06
>>> round(delta_e2000("#ffffff", "#000000"), 1)
100.0
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..vocabulary import LayerKind, Status

__all__ = [
    "BOUNDARY",
    "KIND_COLOURS",
    "MIN_DELTA_E",
    "MIN_DELTA_E_CVD",
    "POINT",
    "POINT_DETAIL_ZOOM",
    "STATUS_STYLES",
    "TOWNSHIPS",
    "TOWNSHIP_LABEL_ZOOM",
    "OutlineStyle",
    "StatusStyle",
    "delta_e2000",
    "page_style",
    "palette_delta_e",
    "raster_label",
]

#: One colour per layer kind (Okabe-Ito first; see the module text for the ΔE).
KIND_COLOURS: dict[LayerKind, str] = {
    LayerKind.ROAD_REBUILD: "#d55e00",       # vermilion
    LayerKind.STREET_RENOVATION: "#cc79a7",  # reddish purple
    LayerKind.MINE_RESTORATION: "#8c510a",   # brown
    LayerKind.AFFORESTATION: "#009e73",      # bluish green
    LayerKind.SOIL_CONSERVATION: "#e69f00",  # orange
    LayerKind.PV_STATION: "#f0e442",         # yellow (points, dark outline)
    LayerKind.SCHOOL: "#0072b2",             # blue
    LayerKind.OUTFALL: "#882255",            # wine
    LayerKind.WASTEWATER_PLANT: "#56b4e9",   # sky blue
    LayerKind.POWER_LINE: "#332288",         # indigo
    LayerKind.WATER_SUPPLY: "#80cdc1",       # pale teal
}
#: Colour of a layer whose kind is not known.
OTHER_COLOUR = "#555555"
#: Smallest CIEDE2000 difference between two kind colours, normal vision.
MIN_DELTA_E = 17.0
#: Smallest CIEDE2000 difference under simulated deuteranopia and protanopia.
MIN_DELTA_E_CVD = 10.0


@dataclass(frozen=True)
class StatusStyle:
    """How a status looks: polygon fill and dash, line dash and weight, point fill.

    Dashes are on / off lengths in pixels (points on paper); weights in pixels (points).
    """

    fill_opacity: float
    polygon_dash: tuple[float, ...] | None
    line_dash: tuple[float, ...] | None
    line_weight: float
    point_fill: float


#: Planned: outline only, dashed; under construction: half filled; completed: filled.
STATUS_STYLES: dict[Status, StatusStyle] = {
    Status.PLANNED: StatusStyle(0.06, (5, 4), (2, 6), 2.5, 0.15),
    Status.UNDER_CONSTRUCTION: StatusStyle(0.3, None, (9, 5), 3.5, 0.55),
    Status.COMPLETED: StatusStyle(0.7, None, None, 4.5, 1.0),
}


@dataclass(frozen=True)
class _PointStyle:
    """Point symbols: small at the county view so they do not drown the plots."""

    radius_county: float  # px below POINT_DETAIL_ZOOM (pt on printed pages above 1:10万)
    radius_detail: float  # px from POINT_DETAIL_ZOOM on
    stroke: str
    stroke_weight: float


POINT = _PointStyle(radius_county=3.5, radius_detail=6.0, stroke="#333333", stroke_weight=1.0)


@dataclass(frozen=True)
class OutlineStyle:
    """A reference outline (county boundary, townships)."""

    colour: str
    weight: float
    dash: tuple[float, ...] | None


BOUNDARY = OutlineStyle("#303030", 2.5, None)
TOWNSHIPS = OutlineStyle("#7a7a7a", 1.0, (3, 3))
#: Zoom from which the HTML map shows township names (those that collide are left out).
TOWNSHIP_LABEL_ZOOM = 9
#: Zoom from which points are drawn at ``POINT.radius_detail``; below it they stay small.
POINT_DETAIL_ZOOM = 12


def _dash(dash: tuple[float, ...] | None) -> str | None:
    return None if dash is None else " ".join(f"{d:g}" for d in dash)


def page_style() -> dict[str, Any]:
    """The style as the page script reads it (``CountyGis.STATUS_STYLE`` and friends).

    Examples
    --------
    >>> s = page_style()
    >>> s["status"]["completed"]["fillOpacity"], s["point"]["radiusCounty"], s["labelZoom"]
    (0.7, 3.5, 9)
    """
    return {
        "status": {
            status.value: {"fillOpacity": s.fill_opacity, "dashArray": _dash(s.polygon_dash),
                           "lineDash": _dash(s.line_dash), "lineWeight": s.line_weight,
                           "pointFill": s.point_fill}
            for status, s in STATUS_STYLES.items()
        },
        "point": {"radiusCounty": POINT.radius_county, "radiusDetail": POINT.radius_detail,
                  "stroke": POINT.stroke, "weight": POINT.stroke_weight},
        "boundary": {"color": BOUNDARY.colour, "weight": BOUNDARY.weight},
        "townships": {"color": TOWNSHIPS.colour, "weight": TOWNSHIPS.weight,
                      "dashArray": _dash(TOWNSHIPS.dash)},
        "labelZoom": TOWNSHIP_LABEL_ZOOM,
        "pointZoom": POINT_DETAIL_ZOOM,
    }


_RASTER_WORDS = (("ndvi", "植被指数 NDVI"), ("dem", "数字高程模型 DEM"),
                 ("slope", "坡度"), ("landcover", "土地覆盖"), ("image", "影像"))
_RASTER_WHEN = (("before", "前期"), ("after", "后期"), ("pre", "前期"), ("post", "后期"))


def raster_label(key: str, file_name: str | None = None) -> str:
    """The Chinese name of a project raster (its key in ``[rasters]``), with its year if any.

    Examples
    --------
    >>> raster_label("ndvi_after", "ndvi_2023.tif"), raster_label("dem")
    ('植被指数 NDVI（后期，2023年）', '数字高程模型 DEM')
    >>> raster_label("土壤侵蚀")
    '土壤侵蚀'
    """
    import re

    lower = key.lower()
    base = next((label for word, label in _RASTER_WORDS if word in lower), key)
    notes = [label for word, label in _RASTER_WHEN if re.search(rf"(^|_){word}($|_)", lower)]
    year = re.search(r"(19|20)\d{2}", f"{key} {file_name or ''}")
    if year:
        notes.append(f"{year.group(0)}年")
    return f"{base}（{'，'.join(notes)}）" if notes and base != key else base


# --- colour difference ------------------------------------------------------------------

_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                 [0.0193339, 0.1191920, 0.9503041]])
_WHITE = np.array([0.95047, 1.0, 1.08883])
#: Machado et al. (2009) simulation matrices, severity 1.0, on linear RGB.
_CVD = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}


def _linear(colour: str) -> np.ndarray:
    rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> tuple[float, float, float]:
    t = (_XYZ @ np.clip(linear, 0, 1)) / _WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return float(116 * f[1] - 16), float(500 * (f[0] - f[1])), float(200 * (f[1] - f[2]))


def _de2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1 = np.degrees(np.arctan2(b1, a1p)) % 360
    h2 = np.degrees(np.arctan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2 - h1 + 180) % 360 - 180
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = (h1 + h2) / 2
    else:
        h_bar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.2 * np.cos(np.radians(4 * h_bar - 63)))
    theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2 * theta)) * r_c
    return float(np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2
                         + r_t * (d_c / s_c) * (d_h / s_h)))


def delta_e2000(colour_a: str, colour_b: str, *, vision: str = "normal") -> float:
    """CIEDE2000 colour difference of two ``#rrggbb`` colours (sRGB, D65).

    ``vision`` is ``normal``, ``deuteranopia`` or ``protanopia`` (simulated first).

    Examples
    --------
    >>> round(delta_e2000("#d55e00", "#8c510a"), 1)
    17.0
    >>> delta_e2000("#d55e00", "#8c510a", vision="tritanopia")
    Traceback (most recent call last):
    ...
    ValueError: vision was 'tritanopia' but is expected to be one of normal, deuteranopia,
    protanopia
    """
    if vision != "normal" and vision not in _CVD:
        raise ValueError(f"vision was {vision!r} but is expected to be one of normal, "
                         f"{', '.join(_CVD)}")
    a, b = _linear(colour_a), _linear(colour_b)
    if vision != "normal":
        a, b = _CVD[vision] @ a, _CVD[vision] @ b
    return _de2000(_lab(a), _lab(b))


def palette_delta_e(colours: dict[Any, str] | None = None) -> dict[str, float]:
    """The smallest CIEDE2000 difference between two colours, per kind of vision.

    Examples
    --------
    >>> {k: round(v, 1) for k, v in palette_delta_e().items()}
    {'normal': 17.0, 'deuteranopia': 10.3, 'protanopia': 10.0}
    """
    values = list((colours or KIND_COLOURS).values())
    return {vision: min(delta_e2000(a, b, vision=vision)
                        for a, b in itertools.combinations(values, 2))
            for vision in ("normal", *_CVD)}


def status_dict() -> dict[str, dict[str, Any]]:
    """:data:`STATUS_STYLES` as plain dicts (for reports and checks)."""
    return {status.value: asdict(style) for status, style in STATUS_STYLES.items()}
