"""Where models come from: the procedural set, ShapeNet, any folder of meshes, Sweet Home 3D libraries.

A source spec is a string: ``procedural:CATEGORY[,CATEGORY...]`` (or ``procedural:all``),
``shapenet:PATH[:CATEGORY]``, ``folder:PATH``, ``sh3d:[PATH][:SELECTION]``, ``flightgear:[PATH]`` or
``torcs:[PATH]``. ``list_models``
turns it into ModelRefs (cheap, picklable); ``orient_models`` gives each its turn to our frame
(y up, front +z); ``load_model`` turns one ModelRef into a Surface for the renderer, with what
happened to its textures; ``load_surface`` is the same, logging those notices as warnings.

One module per source (``procedural``, ``shapenet``, ``folder``, ``sh3d``, ``flightgear``, ``torcs``),
registered in ``registry``; ``meshes`` and ``assets`` read mesh files and their materials for all
of them, ``ac3d`` the AC3D models of FlightGear and TORCS.
"""

from __future__ import annotations

import logging

import numpy as np

from novelview.data.sources import flightgear, folder, procedural, sh3d, shapenet, torcs  # noqa: F401  (they register)
from novelview.data.sources.assets import texture_side_limit
from novelview.data.sources.meshes import MESH_SUFFIXES
from novelview.data.sources.orientation import orient_models, orient_vertices, parse_axis
from novelview.data.sources.registry import LoadedModel, ModelRef, list_models, parse_source, source_of
from novelview.data.sources.shapenet import SHAPENET_SYNSETS
from novelview.data.surface import Surface

__all__ = ["MESH_SUFFIXES", "SHAPENET_SYNSETS", "LoadedModel", "ModelRef", "list_models", "load_model",
           "load_surface", "orient_models", "parse_axis", "parse_source", "texture_side_limit"]

log = logging.getLogger(__name__)


def load_model(ref: ModelRef, up_axis: str = "y", texture_side: int | None = None) -> LoadedModel:
    """Load one model in our frame; raises ValueError (with the reason) for unreadable, empty or
    degenerate meshes. ``up_axis`` applies to refs not passed through ``orient_models``."""
    loaded = source_of(ref).load(ref, texture_side)
    surface = loaded.surface
    surface.vertices = orient_vertices(surface.vertices, ref, up_axis)
    if not np.isfinite(surface.vertices).all() or not _has_area(surface.vertices, surface.faces):
        raise ValueError("degenerate mesh: non-finite vertices or no area")
    return loaded


def load_surface(ref: ModelRef, up_axis: str = "y", texture_side: int | None = None) -> Surface:
    """``load_model``'s surface; its notices (missing textures, ...) are logged as warnings."""
    loaded = load_model(ref, up_axis, texture_side)
    for _, message in loaded.notices:
        log.warning("%s", message)
    return loaded.surface


def _has_area(vertices: np.ndarray, faces: np.ndarray) -> bool:
    """True when some triangle has an area that is not rounding noise (collinear meshes have none)."""
    extent = float(np.ptp(vertices, axis=0).max())
    if extent <= 0:
        return False
    tri = (vertices[faces] - vertices.min(0)) / extent
    area2 = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return bool(area2.max() > 1e-9)
