"""The source registry: a spec string names a source, the source lists ModelRefs and loads them.

Each source module registers itself with ``@register("kind")``; a source is an object with
``list(location, selection, models, seed) -> list[ModelRef]`` and ``load(ref, texture_side) ->
LoadedModel`` (the surface before orientation, what happened to its textures). Listing is cheap
and ModelRefs are picklable, so workers load the models themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from novelview.data.surface import Surface
from novelview.errors import NovelviewError

SPEC_HELP = ("procedural:CATEGORY[,CATEGORY|all|every][?appearance=varied], shapenet:PATH[:CATEGORY], folder:PATH, "
             "sh3d:[PATH][:SELECTION], flightgear:[PATH] or torcs:[PATH]")
EMPTY_LOCATION_OK = ("sh3d", "flightgear", "torcs")  # an empty location means the Debian package's folder


@dataclass(frozen=True)
class ModelRef:
    """One model of a source: enough to load it in another process."""

    model_id: str
    category: str
    path: str = ""  # mesh file (shapenet, folder), or the OBJ's member name inside ``archive`` (sh3d)
    index: int = -1  # procedural index
    seed: int = 0  # procedural seed
    front: str = "+z"  # the source's convention: the side of the file that is the object's front
    root: str = ""  # the data root as the user named it: texture paths may leave the model's folder, not this one
    archive: str = ""  # sh3d: the .sh3f zip that holds ``path``
    base_rotation: tuple[float, ...] | None = None  # sh3d modelRotation (row-major 3x3), applied first
    turn: tuple[float, ...] | None = None  # set by orientation.orient_models: the final 3x3 turn
    info: dict = field(default_factory=dict, hash=False)  # catalogue facts (sh3d), kept in meta.json
    source: str = ""  # the registered kind that loads it (``source_of``); empty: told apart by the fields
    # set with ``turn``: up and front (or the rotation) and what decided each, kept in meta.json
    orientation: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class LoadedModel:
    """A surface as its source gave it, and what happened on the way.

    texturing: "textured" (every texture the model names was used), "fallback" (some texture
    was lost and its material colour used instead) or "untextured" (none named).
    notices: (kind, message) pairs, e.g. ("missing texture", "chair.obj: ../images/t.jpg not found").
    """

    surface: Surface
    texturing: str = "untextured"
    notices: list[tuple[str, str]] = field(default_factory=list)


class Source(Protocol):
    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]: ...

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel: ...


SOURCES: dict[str, Source] = {}


def package_folder(location: str, debian_folder: str, what: str, folder_of: str, install_hint: str) -> Path:
    """The folder a source reads: ``location``, or the Debian package's folder when it is empty;
    one line when it is not a folder (with how to install the package when none was given)."""
    root = Path(location or debian_folder).expanduser()
    if not root.is_dir():
        if not location:
            raise NovelviewError(f"no {what} in {debian_folder}: {install_hint}")
        raise NovelviewError(f"{root} is not a folder: give a folder of {folder_of}")
    return root


def register(kind: str):
    """Class decorator: make a source available as ``kind:...`` in a spec."""

    def add(cls):
        SOURCES[kind] = cls()
        return cls

    return add


def parse_source(spec: str) -> tuple[str, str, str]:
    """'kind:location[:selection]' -> (kind, location, selection). Raises NovelviewError on a bad spec.

    The selection (a ShapeNet category, an sh3d selection) follows the last colon, unless the
    whole rest names an existing path. sh3d, flightgear and torcs may leave the location empty (the Debian folder).
    """
    kind, _, rest = spec.partition(":")
    if kind not in SOURCES or (not rest and kind not in EMPTY_LOCATION_OK):
        raise NovelviewError(f"bad source {spec!r}: use {SPEC_HELP}")
    selection = ""
    if kind in ("shapenet", "sh3d") and ":" in rest and not Path(rest).exists():
        head, _, tail = rest.rpartition(":")
        if head or kind == "sh3d":
            rest, selection = head, tail
    return kind, rest, selection


def list_models(spec: str, models: int | None = None, seed: int = 0) -> list[ModelRef]:
    """The models of a source in a stable order; ``models`` keeps the first N (per category for procedural)."""
    kind, location, selection = parse_source(spec)
    return SOURCES[kind].list(location, selection, models, seed)


def source_of(ref: ModelRef) -> Source:
    """The source that loads ``ref``: its own kind; refs made before kinds were recorded are told
    apart by their fields."""
    if ref.source:
        return SOURCES[ref.source]
    if ref.index >= 0:
        return SOURCES["procedural"]
    return SOURCES["sh3d"] if ref.archive else SOURCES["folder"]
