"""The files around a mesh: MTL libraries and textures, from a folder or straight from a zip.

An OBJ names its MTL relative to itself and the MTL names textures relative to itself; either
path may climb out of the model's folder (ShapeNetCore.v2 writes ``../images/texture0.jpg``) but
never out of the data root. Textures written as absolute paths of the author's machine
(``C:/Users/.../wood.jpg``, common in Sweet Home 3D libraries) are looked up by file name beside
the MTL and the mesh. Every file that cannot be found is remembered with the path that was tried.

The data root is the folder the user named, as named: paths are made absolute without following
links (``absolute``), so a model folder that is a link to elsewhere still lies inside the root and
its ``../images/`` with it, while a path that climbs out of the named root is still refused.
"""

from __future__ import annotations

import os
import posixpath
import zipfile
from pathlib import Path

import trimesh
from PIL import Image

TEXTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tga", ".gif", ".tif", ".tiff", ".webp")


def absolute(path: str | Path) -> Path:
    """``path`` made absolute and '..'-free by its text alone: ``Path.resolve`` would follow links
    and take a linked model folder out of the data root the user named."""
    return Path(os.path.abspath(path))


def lexically_inside(path: str | Path, root: str | Path) -> bool:
    """True when ``path`` lies below ``root`` as both are written (links not followed)."""
    return absolute(root) in absolute(path).parents


class FolderFiles:
    """Files under a folder on disk, named by posix paths relative to it."""

    def __init__(self, root: str | Path):
        self.root = absolute(root)
        self.label = str(self.root)

    def read(self, name: str) -> bytes | None:
        path = self.root / name
        return path.read_bytes() if path.is_file() else None


class ZipFiles:
    """Members of a zip archive (read on demand; nothing is extracted to disk)."""

    def __init__(self, archive: zipfile.ZipFile, label: str):
        self.archive, self.label = archive, label
        self.members = {name.lstrip("/"): name for name in archive.namelist()}

    def read(self, name: str) -> bytes | None:
        member = self.members.get(name)
        return None if member is None else self.archive.read(member)


def inside(folder: str, name: str) -> str | None:
    """``folder/name`` normalised, or None when it leaves the root (a leading '..')."""
    joined = posixpath.normpath(posixpath.join(folder, name.replace("\\", "/")))
    return None if joined == ".." or joined.startswith("../") or joined.startswith("/") else joined


class AssetResolver(trimesh.resolvers.Resolver):
    """What trimesh asks for while parsing a mesh: MTL files (relative to the mesh) and textures
    (relative to the MTL that names them). ``missing`` collects (kind, path tried) for the caller."""

    def __init__(self, files, mesh_name: str):
        self.files = files
        self.mesh_dir = posixpath.dirname(mesh_name)
        self.file_name = posixpath.basename(mesh_name)
        self.material_dirs: list[str] = []
        self.missing: list[tuple[str, str]] = []

    def get(self, name: str) -> bytes:
        name = _strip_map_options(name.strip())
        if name.lower().endswith(".mtl"):
            found = self._find([inside(self.mesh_dir, name)], "missing material file", name)
            self.material_dirs.append(posixpath.dirname(found))
            return self.files.read(found)
        base = posixpath.basename(name.replace("\\", "/"))
        dirs = [*reversed(self.material_dirs), self.mesh_dir]
        as_written = [] if _is_absolute(name) else [inside(dirs[0], name)]
        candidates = as_written + [inside(folder, base) for folder in dirs]
        kind = "missing texture" if name.lower().endswith(TEXTURE_SUFFIXES) else "missing file"
        return self.files.read(self._find(candidates, kind, name))

    def _find(self, candidates: list[str | None], kind: str, name: str) -> str:
        for candidate in candidates:
            if candidate is not None and self.files.read(candidate) is not None:
                return candidate
        if candidates and candidates[0] is None:  # the path as written climbs out of the data root
            where = f"{name} (outside the data root {self.files.label})"
        else:
            where = f"{self.files.label}/{next(c for c in candidates if c is not None)}"
        self.missing.append((kind, where))
        raise FileNotFoundError(where)  # trimesh catches it and goes on without the file

    def write(self, name, data):
        raise NotImplementedError("novelview only reads meshes")

    def namespaced(self, namespace):
        return self

    def keys(self):
        return iter(())


def _is_absolute(name: str) -> bool:
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")


def _strip_map_options(name: str) -> str:
    """'-s 1 1 1 -bm 0.5 wood.jpg' -> 'wood.jpg' (MTL map options come before the file name)."""
    if not name.startswith("-"):
        return name
    return name.split()[-1]


def texture_side_limit(size: int, supersample: int) -> int:
    """The largest texture side worth keeping: four texels per ray across the whole frame."""
    return max(64, 4 * size * supersample)


def shrink_texture(image: Image.Image, max_side: int | None) -> Image.Image:
    """Decode an image as RGB with its longer side at most ``max_side`` (None: as it is).

    JPEGs are decoded at 1/2, 1/4 or 1/8 scale straight from the file (PIL's draft mode), so a
    4096x4096 texture never exists at full size in memory.
    """
    if max_side is not None and max(image.size) > max_side:
        image.draft("RGB", (max_side, max_side))
        image.thumbnail((max_side, max_side), Image.Resampling.BOX)
    return image.convert("RGB")
