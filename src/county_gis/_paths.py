"""Where the bundled county project lives."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import LayerReadError

__all__ = ["bundled_layers_dir"]


def bundled_layers_dir() -> Path:
    """The folder of the bundled county project (``layers/`` of the source tree).

    ``COUNTY_GIS_LAYERS`` overrides it. The project is installed editable (``bash dev.sh``),
    so the folder sits two levels above the package.

    Raises
    ------
    LayerReadError
        If the folder cannot be found.
    """
    override = os.environ.get("COUNTY_GIS_LAYERS")
    folder = Path(override) if override else Path(__file__).resolve().parents[2] / "layers"
    if not folder.is_dir():
        raise LayerReadError(
            f"the bundled project folder {folder} does not exist; set COUNTY_GIS_LAYERS to "
            "the layers/ folder of a county_gis source tree"
        )
    return folder
