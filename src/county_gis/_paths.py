"""Where the bundled county project lives."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import LayerReadError

__all__ = ["bundled_layers_dir", "packaged_layers_dir"]


def packaged_layers_dir() -> Path:
    """Where an installed wheel carries the bundled project: ``county_gis/data/layers``.

    The wheel's build (``setup.py``) copies the built ``layers/`` there; a development
    checkout has no such folder.

    Examples
    --------
    >>> packaged_layers_dir().parts[-2:]
    ('data', 'layers')
    """
    return Path(__file__).resolve().parent / "data" / "layers"


def bundled_layers_dir() -> Path:
    """The folder of the bundled county project.

    In this order: ``COUNTY_GIS_LAYERS``; the copy inside the installed package
    (:func:`packaged_layers_dir`, in a wheel); ``layers/`` of the source tree, two levels
    above the package (a checkout installed editable by ``bash dev.sh``).

    Raises
    ------
    LayerReadError
        If the folder cannot be found.
    """
    override = os.environ.get("COUNTY_GIS_LAYERS")
    if override:
        folder = Path(override)
    elif (packaged_layers_dir() / "project.toml").is_file():
        folder = packaged_layers_dir()
    else:
        folder = Path(__file__).resolve().parents[2] / "layers"
    if not folder.is_dir():
        raise LayerReadError(
            f"the bundled project folder {folder} does not exist; set COUNTY_GIS_LAYERS to "
            "the layers/ folder of a county_gis source tree, or install county_gis from a "
            "wheel (it carries the bundled project)"
        )
    return folder
