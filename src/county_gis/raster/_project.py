"""Finding a project's features and its NDVI rasters (plumbing for :func:`greening_summary`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._paths import bundled_layers_dir
from ..errors import ConfigError

__all__ = ["AFTER_NAMES", "BEFORE_NAMES", "project_features", "project_ndvi"]

#: Names under which a project (``[rasters]`` of project.toml) or its ``rasters/`` folder
#: holds the NDVI before / after rasters, tried in order.
BEFORE_NAMES = ("ndvi_before", "ndvi_2022")
AFTER_NAMES = ("ndvi_after", "ndvi_2023")


def _load(project: Any) -> Any:
    """A path or None (the bundled project) becomes a loaded project."""
    if project is None or isinstance(project, str | os.PathLike):
        path = None if project is None else Path(project)
        if path is not None and path.is_file() and path.suffix.lower() != ".toml":
            return _load_gpkg(path)  # a layer file (GeoPackage...), not a project
        try:
            from ..project import load_project
        except ImportError:  # no project module (yet): read the project's layer file
            return _load_gpkg(path)
        return load_project(path)
    return project


def _load_gpkg(project: Path | None) -> dict[str, gpd.GeoDataFrame]:
    from ..io import read_layers

    folder = bundled_layers_dir() if project is None else project
    path = folder / "fumeng.gpkg" if folder.is_dir() else folder
    layers = read_layers(path)
    layers = {name: frame for name, frame in layers.items() if name != "county_boundary"}
    layers["__folder__"] = path.parent  # type: ignore[assignment]
    return layers


def project_features(project: Any) -> gpd.GeoDataFrame:
    """The project's features as one GeoDataFrame (``kind``, ``status``, ``target``...)."""
    project = _load(project)
    if isinstance(project, gpd.GeoDataFrame):
        return project
    for attribute in ("features", "layers"):
        value = getattr(project, attribute, None)
        value = value() if callable(value) else value
        if isinstance(value, gpd.GeoDataFrame):
            return value
        if isinstance(value, Mapping):
            project = value
            break
    if isinstance(project, Mapping):
        frames = [f for f in project.values() if isinstance(f, gpd.GeoDataFrame) and len(f)]
        if frames:
            crs = frames[0].crs
            return gpd.GeoDataFrame(
                pd.concat([f.to_crs(crs) for f in frames], ignore_index=True), crs=crs
            )
        return gpd.GeoDataFrame({"kind": [], "status": []}, geometry=[], crs="EPSG:4490")
    raise TypeError(
        f"project was a {type(project).__name__}; expected a Project, a project path, a mapping "
        "of layer name -> GeoDataFrame, or one GeoDataFrame with 'kind' and 'status' columns"
    )


def project_ndvi(project: Any) -> tuple[Path, Path]:
    """The NDVI before / after rasters of a project: its declared rasters, else its folder.

    Raises
    ------
    ConfigError
        If neither is found; the message lists the names tried.
    """
    loaded = _load(project)
    declared = getattr(loaded, "rasters", None)
    if isinstance(loaded, Mapping) and "__folder__" in loaded:
        folder = Path(loaded["__folder__"])
    else:
        root = getattr(loaded, "root", None) or getattr(loaded, "folder", None)
        if root is None and isinstance(project, str | os.PathLike):
            given = Path(project)  # the project's own folder, not the bundled one
            root = given if given.is_dir() else given.parent
        folder = Path(root) if root is not None else bundled_layers_dir()
    found: list[Path] = []
    for names in (BEFORE_NAMES, AFTER_NAMES):
        path = None
        for name in names:
            if isinstance(declared, Mapping) and declared.get(name):
                path = Path(declared[name])
                path = path if path.is_absolute() else folder / path
                break
            candidate = folder / "rasters" / f"{name}.tif"
            if candidate.exists():
                path = candidate
                break
        if path is None:
            raise ConfigError(
                f"no NDVI raster {' or '.join(names)} declared in the project or found in "
                f"{folder / 'rasters'}; pass before= and after= (CLI: --before, --after)"
            )
        found.append(path)
    return found[0], found[1]
