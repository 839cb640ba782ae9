"""The files around a mesh: MTL libraries and textures, from a folder or straight from a zip.

An OBJ names its MTL relative to itself and the MTL names textures relative to itself; either
path may climb out of the model's folder (ShapeNetCore.v2 writes ``../images/texture0.jpg``) but
never out of the data root. Textures written as absolute paths of the author's machine
(``C:/Users/.../wood.jpg``, common in Sweet Home 3D libraries) are looked up by file name beside
the MTL and the mesh. Every file that cannot be found is remembered with the path that was tried.

The data root is the folder the user named, as named: paths are made absolute without following
links (``absolute``), so a model folder that is a link to elsewhere still lies inside the root and
its ``../images/`` with it, while a path that climbs out of the named root is still refused.

Nothing read here may take unbounded memory: a file or zip member over ``MAX_FILE_BYTES`` (by
its declared size, or by what it really inflates to, read in chunks) is refused with ``TooLarge``
before it is held whole. A texture that cannot be used (Pillow cannot identify it, or it has more
pixels than Pillow opens safely) is left out with a notice naming it and why, in ``problems``.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import warnings
import zipfile
from pathlib import Path

import trimesh
from PIL import Image

TEXTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tga", ".gif", ".tif", ".tiff", ".webp")
MAX_FILE_BYTES = 512 * 2**20  # no mesh, material or texture of a real library comes near this
READ_CHUNK = 2**20


class TooLarge(ValueError):
    """A file or archive member over MAX_FILE_BYTES: the reason a model is skipped."""


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def _refuse_size(where: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise TooLarge(f"{where} inflates to {_mib(size)}, over the {_mib(MAX_FILE_BYTES)} novelview reads of one file "
                       f"(a zip bomb or a broken archive); left out")


def read_member(archive: zipfile.ZipFile, member: str, label: str) -> bytes:
    """A zip member's bytes, refused (TooLarge) when its declared or actual size is over the limit:
    read a chunk at a time, so a member whose header lies is stopped at the limit, not in memory."""
    where = f"{label}/{member.lstrip('/')}"
    _refuse_size(where, archive.getinfo(member).file_size)
    chunks, total = [], 0
    with archive.open(member) as stream:
        while chunk := stream.read(READ_CHUNK):
            total += len(chunk)
            _refuse_size(where, total)
            chunks.append(chunk)
    return b"".join(chunks)


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
        if not path.is_file():
            return None
        _refuse_size(str(path), path.stat().st_size)
        return path.read_bytes()


class ZipFiles:
    """Members of a zip archive (read on demand; nothing is extracted to disk)."""

    def __init__(self, archive: zipfile.ZipFile, label: str):
        self.archive, self.label = archive, label
        self.members = {name.lstrip("/"): name for name in archive.namelist()}

    def read(self, name: str) -> bytes | None:
        member = self.members.get(name)
        return None if member is None else read_member(self.archive, member, self.label)


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
        self.problems: list[tuple[str, str]] = []  # (kind, message) of files found but left out

    def get(self, name: str) -> bytes:
        try:
            return self._get(name)
        except TooLarge as exc:  # a material or texture too large to read: left out, said, the mesh goes on
            kind = "unreadable texture" if name.lower().strip().endswith(TEXTURE_SUFFIXES) else "unreadable file"
            self.problems.append((kind, f"{exc}; using the material colour" if kind == "unreadable texture" else str(exc)))
            raise FileNotFoundError(name) from None

    def _get(self, name: str) -> bytes:
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
        found = self._find(candidates, kind, name)
        data = self.files.read(found)
        problem = texture_problem(data) if kind == "missing texture" else None
        if problem:  # trimesh would drop it without a word: say which and why
            self.problems.append(("unreadable texture", f"texture {self.files.label}/{found} {problem}; "
                                                        "using the material colour"))
            raise FileNotFoundError(found)
        return data

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


def texture_problem(data: bytes) -> str | None:
    """Why Pillow cannot use these image bytes (None when it can): it cannot tell the format, or
    the image has more pixels than Pillow opens safely (a 15000x15000 PNG is 900 MB decoded).
    Only the header is read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        pixels = re.search(r"\((\d+) pixels\)", str(exc))  # Pillow says the size in its message
        size = f"has {int(pixels.group(1)):,} pixels, " if pixels else "has "
        return f"{size}more pixels than Pillow opens safely ({Image.MAX_IMAGE_PIXELS:,})"
    except Image.UnidentifiedImageError:
        return "cannot be decoded (not an image format Pillow knows: damaged, or not an image)"
    except Exception as exc:  # PIL raises many types for damaged image headers
        return f"cannot be decoded ({type(exc).__name__}: {str(exc)[:120]})"
    if width * height > Image.MAX_IMAGE_PIXELS:
        return f"is {width}x{height}, more pixels than Pillow opens safely ({Image.MAX_IMAGE_PIXELS:,})"
    return None


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
