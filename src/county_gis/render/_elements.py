"""Map elements: small declarative branca classes with a template and declared assets.

Each element (like ``folium/plugins/minimap.py``) names the assets it needs in
``assets`` and carries its data in ``data``. On render it

1. adds each asset to the page header once (inlined, or linked when the page is saved
   with ``offline=False``);
2. writes its data as a ``<script type="application/json">`` block, serialised by
   :func:`~county_gis.render._escape.script_json` and added as a raw element, so the
   values never pass through Jinja (branca renders the *output* of a macro again as a
   template; see :mod:`county_gis.render._escape`);
3. renders its ``script`` macro, which holds only names and our JavaScript calls.

Examples
--------
>>> import folium
>>> from county_gis.render._elements import ScaleBar
>>> m = folium.Map(tiles=None)
>>> m.default_js, m.default_css = [], []
>>> _ = ScaleBar().add_to(m)
>>> html = m.get_root().render()
>>> "CountyGis.scale(" in html and "cdn.jsdelivr" not in html
True
"""

from __future__ import annotations

from typing import Any, ClassVar

from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from ._assets import ASSETS, AssetType, asset_text, asset_url
from ._escape import html_text, script_json

__all__ = [
    "CountyElement",
    "Fullscreen",
    "Legend",
    "MapTitle",
    "MeasureControl",
    "PageFigure",
    "PageTitle",
    "ProgressPanel",
    "ProjectLayers",
    "ScaleBar",
    "SearchControl",
    "offline_mode",
    "set_offline_mode",
]

#: Attribute of the root Figure that says how assets are written (True: inlined).
_MODE_ATTR = "_county_gis_offline"
#: id prefix of the JSON data blocks (the offline URL check skips their text values).
DATA_PREFIX = "cg-data-"


def set_offline_mode(figure: Element, offline: bool) -> None:
    """Inline the assets (``True``, the default) or link them from a CDN (``False``)."""
    setattr(figure, _MODE_ATTR, bool(offline))


def offline_mode(figure: Element) -> bool:
    """How ``figure`` writes its assets (inline unless told otherwise)."""
    return bool(getattr(figure, _MODE_ATTR, True))


class _Raw(Element):
    """Text written into the page exactly as given (no template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class PageTitle(Element):
    """The page's ``<title>``, HTML-escaped and rendered without a template.

    Examples
    --------
    >>> PageTitle("<b>{{ x }}</b>").render()
    '<title>&lt;b&gt;&#123;&#123; x &#125;&#125;&lt;/b&gt;</title>'
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return f"<title>{html_text(self.text)}</title>"


class PageFigure(Figure):
    """The page, with its language on ``<html lang>`` (zh-CN: Chinese fonts and line breaks).

    Examples
    --------
    >>> PageFigure(lang="zh-CN").render().splitlines()[1]
    '<html lang="zh-CN">'
    """

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n"
        "    {{this.header.render(**kwargs)}}\n"
        "</head>\n"
        "<body>\n"
        "    {{this.html.render(**kwargs)}}\n"
        "</body>\n"
        "<script>\n"
        "    {{this.script.render(**kwargs)}}\n"
        "</script>\n"
        "</html>\n",
    )

    def __init__(self, *, lang: str = "zh-CN") -> None:
        super().__init__()
        if lang not in ("zh-CN", "en"):
            raise ValueError(f"lang was {lang!r} but is expected to be one of 'zh-CN', 'en'")
        self.lang = lang


class _AssetTag(Element):
    """One asset: ``<script>``/``<style>`` with its content, or a link when online."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.asset_name = name

    def render(self, **kwargs: Any) -> str:
        asset = ASSETS[self.asset_name]
        url = None if offline_mode(self.get_root()) else asset_url(self.asset_name)
        is_js = asset.type is AssetType.JS
        if url is not None:
            if is_js:
                return f'<script src="{html_text(url)}"></script>'
            return f'<link rel="stylesheet" href="{html_text(url)}"/>'
        text = asset_text(self.asset_name)
        label = html_text(self.asset_name)
        if is_js:
            return f'<script data-asset="{label}">\n{text}\n</script>'
        return f'<style data-asset="{label}">\n{text}\n</style>'


class CountyElement(MacroElement):
    """Base class: declared assets, data as a JSON block, a ``script`` macro.

    Subclasses set ``assets`` (names in :data:`~county_gis.render._assets.ASSETS`) and
    ``_template``; the data given to the constructor is available to the script as
    ``CountyGis.data(this.data_id)``.
    """

    assets: ClassVar[tuple[str, ...]] = ("leaflet.css", "leaflet.js", "county_map.css",
                                         "county_map.js")
    _template = Template("")

    def __init__(self, data: Any = None) -> None:
        super().__init__()
        self._name = type(self).__name__
        self.data = data

    @property
    def data_id(self) -> str:
        """The id of this element's JSON block."""
        return DATA_PREFIX + self.get_name()

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} must be added to a map before rendering")
        for name in (*CountyElement.assets, *self.assets):
            figure.header.add_child(_AssetTag(name), name=f"cg-asset-{name}")
        if self.data is not None:
            block = (
                f'<script type="application/json" id="{self.data_id}">'
                f"{script_json(self.data)}</script>"
            )
            figure.html.add_child(_Raw(block), name=self.data_id)
        super().render(**kwargs)


_DATA_SCRIPT = """
{% macro script(this, kwargs) %}
    var {{ this.get_name() }} = CountyGis.FUNCTION(
        {{ this._parent.get_name() }}, CountyGis.data({{ this.data_id|tojson }})
    );
{% endmacro %}
"""


def _data_template(function: str) -> Template:
    return Template(_DATA_SCRIPT.replace("FUNCTION", function))


class ProjectLayers(CountyElement):
    """Basemap, county boundary, townships, one layer per kind, and the layer control.

    ``data`` holds ``basemap`` (:func:`~county_gis.render._basemaps.basemap_spec`),
    ``boundary`` / ``townships`` (:func:`~county_gis.render._layers.prepare_outline`),
    ``layers`` (:func:`~county_gis.render._layers.prepare_layer` plus ``colour``),
    ``lazyAbove``, ``detailZoom`` and ``texts``.
    """

    _template = _data_template("projectMap")


class Legend(CountyElement):
    """Legend of kinds (colour) and statuses (fill and dash), built with ``textContent``."""

    _template = _data_template("legend")


class MapTitle(CountyElement):
    """The map's title on the page, above the map; the top controls move below it."""

    _template = _data_template("title")


class ProgressPanel(CountyElement):
    """A bar per target: completed, under construction and planned against the target."""

    _template = _data_template("progress")


class SearchControl(CountyElement):
    """Search by project name across every project layer; a hit zooms and opens the popup."""

    _template = _data_template("search")


class MeasureControl(CountyElement):
    """Measure a line (公里) or an area (亩) geodesically on GRS80 (GeographicLib)."""

    assets: ClassVar[tuple[str, ...]] = ("geodesic.js",)
    _template = _data_template("measure")


class Fullscreen(CountyElement):
    """Full-screen button (the ``leaflet.fullscreen`` plugin)."""

    assets: ClassVar[tuple[str, ...]] = ("fullscreen.css", "fullscreen.js")
    _template = Template("""
{% macro script(this, kwargs) %}
    var {{ this.get_name() }} = new L.Control.FullScreen(
        CountyGis.data({{ this.data_id|tojson }})
    ).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")


class ScaleBar(CountyElement):
    """A metric scale bar, in 米 / 公里 (``data``: the two unit words)."""

    _template = _data_template("scale")

    def __init__(self, data: Any = None) -> None:
        super().__init__(data if data is not None else {"metres": "米", "kilometres": "公里"})
