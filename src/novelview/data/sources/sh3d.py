"""``sh3d:[PATH][:SELECTION]``: Sweet Home 3D furniture libraries (.sh3f zips), read in place.

PATH is a .sh3f file or a folder of them; empty means where Debian's ``sweethome3d-furniture``
puts them. SELECTION is a comma list of terms; a piece is taken when a term is its catalogue
category (``Kitchen``) or a word or phrase of its name or tags (``chair,armchair,stool``).
With a selection, a model's category is the first term it matched; without, its catalogue
category. Each piece is turned by its catalogue ``modelRotation`` and scaled to its catalogue
size (width along x, height along y, depth along z), as Sweet Home 3D shows it: upright, front
towards +z. Nothing is extracted to disk.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from novelview.data.sources.assets import ZipFiles
from novelview.data.sources.meshes import load_mesh
from novelview.data.sources.registry import LoadedModel, ModelRef, register
from novelview.data.sources.sh3d_catalog import model_rotation, piece_phrases, read_library
from novelview.errors import NovelviewError

DEBIAN_FOLDER = "/usr/share/sweethome3d/furniture"
INSTALL_HINT = "install it with `sudo apt-get install sweethome3d-furniture` (Debian, Ubuntu) or give sh3d:PATH"
_open_archives: dict[tuple[int, str], zipfile.ZipFile] = {}


def library_files(location: str) -> list[Path]:
    """The .sh3f files at ``location`` (a file or a folder; empty: the Debian folder)."""
    path = Path(location or DEBIAN_FOLDER).expanduser()
    if not path.exists():
        if not location:
            raise NovelviewError(f"no Sweet Home 3D furniture in {DEBIAN_FOLDER}: {INSTALL_HINT}")
        raise NovelviewError(f"{path} does not exist: give a .sh3f file or a folder of them")
    files = [path] if path.is_file() else sorted(path.glob("*.sh3f"))
    if not files:
        raise NovelviewError(f"no .sh3f files in {path}: {INSTALL_HINT}")
    return files


def parse_selection(selection: str) -> list[list[str]]:
    """'chair, Living room' -> [['chair'], ['living', 'room']] (lower-case words of each term)."""
    terms = [re.findall(r"[a-z0-9]+", term.lower()) for term in selection.split(",")]
    return [term for term in terms if term]


def matching_term(piece: dict, terms: list[list[str]]) -> str | None:
    """The first term naming the piece's catalogue category or a phrase of its name or tags."""
    category = re.findall(r"[a-z0-9]+", piece.get("category", "").lower())
    phrases = piece_phrases(piece)
    for term in terms:
        if term == category:
            return piece.get("category", " ".join(term))
        if any(phrase[i : i + len(term)] == term for phrase in phrases for i in range(len(phrase))):
            return " ".join(term)
    return None


@register("sh3d")
class Sh3dSource:
    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        terms = parse_selection(selection)
        refs, seen = [], Counter()
        for path in library_files(location):
            try:
                with zipfile.ZipFile(path) as archive:
                    library = read_library(str(path), archive)
            except (zipfile.BadZipFile, KeyError, OSError) as exc:
                raise NovelviewError(f"{path} is not a Sweet Home 3D library ({type(exc).__name__}: {exc}); "
                                     "remove it from the folder or give another path") from None
            for piece in library.pieces:
                category = matching_term(piece, terms) if terms else piece.get("category", "uncategorised")
                if category is None or not piece.get("model"):
                    continue
                model_id = f"{path.stem}/{piece['id'].split('#')[-1].strip() or piece['number']}"
                seen[model_id] += 1
                if seen[model_id] > 1:  # catalogues may repeat an id; keep every piece, apart
                    model_id += f"-{seen[model_id]}"
                refs.append(ModelRef(model_id, category, piece["model"].lstrip("/"), archive=str(path),
                                     base_rotation=_rotation_or_none(piece), info=_attribution(library, piece), source="sh3d"))
        if not refs:
            raise NovelviewError(f"no furniture matches {selection!r}: try a catalogue category or a word of a "
                                 "name, and list what there is with `novelview render --source sh3d: --list`")
        return refs if models is None else refs[:models]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        try:
            files = ZipFiles(_archive(ref.archive), Path(ref.archive).name)
            loaded = load_mesh(files, ref.path, texture_side)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:  # also a bad CRC or a truncated member
            raise ValueError(f"unreadable zip member {ref.path}: {type(exc).__name__}: {exc}") from None
        if ref.base_rotation is not None:
            loaded.surface.vertices = loaded.surface.vertices @ np.asarray(ref.base_rotation).reshape(3, 3).T
        size_cm = ref.info.get("size_cm")
        if size_cm:
            loaded.surface.vertices = _scaled_to(loaded.surface.vertices, size_cm)
        return loaded


def _rotation_or_none(piece: dict) -> tuple[float, ...] | None:
    try:
        return model_rotation(piece)
    except ValueError:
        return None  # a malformed rotation: the model is shown as its file has it


def _attribution(library, piece: dict) -> dict:
    """What meta.json keeps of a piece, for credit under its licence (see novelview.attribution)."""
    try:
        size_cm = [float(piece[k]) for k in ("width", "height", "depth")]
    except (KeyError, ValueError):
        size_cm = None
    return {
        "catalog_id": piece.get("id", ""), "name": piece.get("name", ""), "catalog_category": piece.get("category", ""),
        "tags": piece.get("tags", ""), "creator": piece.get("creator", ""), "library": library.name,
        "library_file": Path(library.path).name, "licence": library.licence, "licence_url": library.licence_url,
        "licence_notice": library.licence_notice, "size_cm": size_cm,
    }


def _scaled_to(vertices: np.ndarray, size_cm: list[float]) -> np.ndarray:
    """Stretch the bounding box to the catalogue's width, height and depth (x, y, z), as Sweet Home 3D does."""
    extent = np.ptp(vertices, axis=0)
    target = np.asarray(size_cm, float)
    scale = np.where((extent > 1e-9) & (target > 0), target / np.where(extent > 1e-9, extent, 1.0), 1.0)
    if not np.all(scale > 0):
        return vertices
    return vertices * (scale / scale.max())  # keep the numbers small; the renderer normalises anyway


def _archive(path: str) -> zipfile.ZipFile:
    """An open zip per process: a zip opened before a fork would share its file position."""
    key = (os.getpid(), path)
    if key not in _open_archives:
        _open_archives[key] = zipfile.ZipFile(path)
    return _open_archives[key]
