"""``folder:ROOT``: any folder of mesh files, flat or sorted into category folders.

In ROOT, each mesh file is a model, and so is each sub-folder that holds one model's files (its
first mesh file, in name order, is the model: multi-part and textured models live in folders).
A top-level folder that holds two or more models (files, or folders of files) is a category
folder: its name is the category of the models inside, whose ids are ``CATEGORY/NAME``. Models
directly in ROOT take ROOT's name as their category. The files are read by ``meshes.load_mesh``;
texture paths may leave a model's folder but not ROOT. Folders that are links (a model kept
elsewhere and linked in) are followed, and count as inside ROOT.
"""

from __future__ import annotations

import os
from pathlib import Path

from novelview.data.sources.assets import FolderFiles, absolute
from novelview.data.sources.meshes import MESH_SUFFIXES, load_mesh
from novelview.data.sources.registry import LoadedModel, ModelRef, register
from novelview.errors import NovelviewError


def existing_folder(location: str) -> Path:
    root = Path(location).expanduser()
    if not root.is_dir():
        raise NovelviewError(f"source folder {root} does not exist or is not a folder: check the path")
    return root


def is_mesh(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in MESH_SUFFIXES


def mesh_files(folder: Path) -> list[Path]:
    """Every mesh file below ``folder``, sorted; linked folders are followed (``Path.rglob`` does not
    descend into them), each real folder once, so a link to a folder above is no endless loop."""
    found, seen = [], set()
    for here, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(here)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        found += [Path(here) / name for name in files if is_mesh(Path(here) / name)]
    return sorted(found)


def models_in(folder: Path) -> list[tuple[str, Path]]:
    """(name, mesh file) of each model directly in ``folder``: its mesh files and its sub-folders
    that hold a mesh somewhere below (the first in name order)."""
    found = []
    for entry in sorted(folder.iterdir()):
        if is_mesh(entry):
            found.append((entry.stem, entry))
        elif entry.is_dir():
            meshes = mesh_files(entry)
            if meshes:
                found.append((entry.name, meshes[0]))
    return found


@register("folder")
class FolderSource:
    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        root = existing_folder(location)
        refs = []
        for entry in sorted(root.iterdir()):
            inner = models_in(entry) if entry.is_dir() else []
            if len(inner) >= 2:  # a category folder
                refs += [ModelRef(f"{entry.name}/{name}", entry.name, str(mesh), root=str(root), source="folder") for name, mesh in inner]
            elif is_mesh(entry):
                refs.append(ModelRef(entry.stem, root.name, str(entry), root=str(root), source="folder"))
            elif entry.is_dir():
                meshes = mesh_files(entry)
                if meshes:
                    refs.append(ModelRef(entry.name, root.name, str(meshes[0]), root=str(root), source="folder"))
        if not refs:
            raise NovelviewError(f"no meshes found under {root} (folder layout): check the path and layout")
        return refs if models is None else refs[:models]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        return load_file(ref, texture_side)


def load_file(ref: ModelRef, texture_side: int | None) -> LoadedModel:
    """A model stored as a file on disk; its textures may come from anywhere under ``ref.root``
    (the folder as the user named it: a linked model folder is inside it, see ``assets.absolute``)."""
    path = absolute(ref.path)
    root = absolute(ref.root) if ref.root else path.parent
    if root not in path.parents:
        root = path.parent
    return load_mesh(FolderFiles(root), path.relative_to(root).as_posix(), texture_side)
