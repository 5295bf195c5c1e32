"""Interactive maps that open anywhere: self-contained, safe, fast.

:func:`make_map` draws a project (county boundary, townships, a layer per kind styled by
status, legend, progress panel, search, fullscreen, measure tool in 亩 / 公里, scale bar)
into a :class:`folium.Map`; :func:`save_map` writes it as one HTML file with every
script, style sheet and font inlined from the npm packages installed by ``npm ci``, and
refuses the page if an external URL remains. :func:`render_overview` is the main job's
overview map. :func:`trend_charts` draws a PNG per target of a project's trend (序时进度,
lamps).

Attribute values never pass through a template and reach the page through
``textContent`` only, so HTML and Jinja syntax in them stay literal text.

Examples
--------
>>> import tempfile, pathlib
>>> from county_gis.render import make_map, save_map
>>> from county_gis.render._demo import demo_project
>>> m = make_map(demo_project(), show_progress=False)
>>> saved = save_map(m, pathlib.Path(tempfile.mkdtemp()) / "map.html")
>>> saved.offline, saved.online_tiles
(True, ())
"""

from ._basemaps import Basemap
from ._build import Language, make_map, render_overview
from ._print import Orientation, Paper, PrintedMap, print_atlas, print_map
from ._raster_png import Colormap, png_data_uri, raster_to_png_overlay
from ._rasters import RasterLayer
from ._save import SavedMap, external_urls, save_map
from .trend_chart import trend_chart, trend_charts

__all__ = [
    "Basemap",
    "Colormap",
    "Language",
    "Orientation",
    "Paper",
    "PrintedMap",
    "RasterLayer",
    "SavedMap",
    "external_urls",
    "make_map",
    "png_data_uri",
    "print_atlas",
    "print_map",
    "raster_to_png_overlay",
    "render_overview",
    "save_map",
    "trend_chart",
    "trend_charts",
]
