"""``sh3d:[PATH][:SELECTION]``: Sweet Home 3D furniture libraries (.sh3f zips), read in place.

PATH is a .sh3f file, a folder of them, or Sweet Home 3D's own ``sweethome3d.jar`` (the
application's catalogue, GPL-2.0-or-later). Empty means where Debian's ``sweethome3d-furniture``
puts its libraries; with the selection ``objects`` it means the whole installed library: those and,
when Debian's ``sweethome3d`` is installed, the application's jar. SELECTION is a comma list of
terms; a piece is taken when a term is its catalogue category (``Kitchen``) or a word or phrase of
its name or tags (``chair,armchair,stool``); ``objects`` takes every piece but people, doors and
windows and staircases (see sh3d_selection). With terms, a model's category is the first term it
matched; otherwise its catalogue category. Each piece is turned by its catalogue ``modelRotation``
and scaled to its catalogue size (width along x, height along y, depth along z), as Sweet Home 3D
shows it: upright, front towards +z. Nothing is extracted to disk. In a folder, a library that
cannot be read is left out and its reason kept in ``Sh3dSource.unreadable``; a selected piece the
catalogue gives no ``model#N`` is left out with its reason in ``Sh3dSource.left_out`` (``render``,
``--list`` and ``--check`` print both); a single file that cannot be read is an error. A
``modelRotation`` that is no rotation (malformed, stretching, or a reflection that would mirror
the piece) is not applied: the piece is kept unrotated, as its file has it, and says why in
``--list`` and in its render notes (meta.json), so ``--check`` and ``--orientation`` can fix it.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from novelview.data.sources.assets import ZipFiles
from novelview.data.sources.meshes import load_mesh
from novelview.data.sources.registry import LoadedModel, ModelRef, register
from novelview.data.sources.sh3d_catalog import APPLICATION_CATALOG, CATALOG, model_rotation, read_library
from novelview.data.sources.sh3d_jar import NamedMaterialFiles
from novelview.data.sources.sh3d_selection import is_objects, matching_term, not_an_object, parse_selection
from novelview.errors import NovelviewError

DEBIAN_FOLDER = "/usr/share/sweethome3d/furniture"
DEBIAN_JAR = "/usr/share/sweethome3d/sweethome3d.jar"  # the application's own catalogue and models
INSTALL_HINT = "install it with `sudo apt-get install sweethome3d-furniture` (Debian, Ubuntu) or give sh3d:PATH"
_open_archives: dict[tuple[int, str], zipfile.ZipFile] = {}


def library_files(location: str, whole_library: bool = False) -> list[Path]:
    """The .sh3f files at ``location`` (a file or a folder; empty: the Debian folder, and with
    ``whole_library`` the application's jar too when it is installed)."""
    path = Path(location or DEBIAN_FOLDER).expanduser()
    jar = [Path(DEBIAN_JAR)] if whole_library and not location and Path(DEBIAN_JAR).is_file() else []
    if not path.exists():
        if not location:
            if jar:
                return jar
            raise NovelviewError(f"no Sweet Home 3D furniture in {DEBIAN_FOLDER}: {INSTALL_HINT}")
        raise NovelviewError(f"{path} does not exist: give a .sh3f file or a folder of them")
    files = [path] if path.is_file() else sorted(path.glob("*.sh3f"))
    if not files and not jar:
        raise NovelviewError(f"no .sh3f files in {path}: {INSTALL_HINT}")
    return files + jar


def open_library(path: Path):
    """The catalogue of one .sh3f or jar; NovelviewError (one line) when it cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            library = read_library(str(path), archive)
            return library, {name.lstrip("/"): archive.getinfo(name) for name in archive.namelist()}
    except KeyError as exc:
        raise NovelviewError(f"{path} is not a Sweet Home 3D library: it has {exc.args[0]} (a .sh3f holds "
                             f"{CATALOG}, sweethome3d.jar {APPLICATION_CATALOG}); give another path") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as exc:
        raise NovelviewError(f"{path} is not a Sweet Home 3D library ({type(exc).__name__}: {exc}); "
                             "remove it from the folder or give another path") from None


@register("sh3d")
class Sh3dSource:
    def __init__(self) -> None:
        self.unreadable: dict[str, str] = {}  # library file -> why the last listing left it out
        self.left_out: dict[str, str] = {}  # piece ("Library.sh3f piece #N") -> why the last listing left it out

    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        objects = is_objects(selection)
        terms = [] if objects else parse_selection(selection)
        files = library_files(location, whole_library=objects)
        refs, seen, models_seen, categories = [], Counter(), set(), set()
        self.unreadable, self.left_out = {}, {}
        for path in files:
            try:
                library, members = open_library(path)
            except NovelviewError as exc:
                if len(files) == 1:
                    raise
                self.unreadable[str(path)] = str(exc)  # one bad library must not hide the others
                continue
            for piece in library.pieces:
                categories.add(piece.get("category") or "uncategorised")
                if objects:
                    category = None if not_an_object(piece) else piece.get("category") or "uncategorised"
                else:
                    category = matching_term(piece, terms) if terms else piece.get("category", "uncategorised")
                if category is None:
                    continue
                if not piece.get("model"):  # selected, but nothing to draw: say so rather than drop it
                    label = f"{path.name} piece #{piece['number']} ({piece.get('name') or piece['id']})"
                    self.left_out[label] = (f"the catalogue gives it no model#{piece['number']} (the OBJ to draw); "
                                            "add that line to the library's catalogue to take it")
                    continue
                member = piece["model"].lstrip("/")
                if objects:  # the same model file offered twice is one model
                    info = members.get(member)
                    key = (info.CRC, info.file_size) if info is not None else (str(path), member)
                    if key in models_seen:
                        continue
                    models_seen.add(key)
                model_id = f"{path.stem}/{piece['id'].split('#')[-1].strip() or piece['number']}"
                seen[model_id] += 1
                if seen[model_id] > 1:  # catalogues may repeat an id; keep every piece, apart
                    model_id += f"-{seen[model_id]}"
                rotation, problem = _rotation_and_problem(piece)
                info = _attribution(library, piece)
                if problem:
                    info["model_rotation_problem"] = problem
                refs.append(ModelRef(model_id, category, member, archive=str(path),
                                     base_rotation=rotation, info=info, source="sh3d"))
        if not refs:
            if self.unreadable:
                raise NovelviewError("no Sweet Home 3D library could be read: " + next(iter(self.unreadable.values())))
            if self.left_out:
                label, reason = next(iter(self.left_out.items()))
                raise NovelviewError(f"every piece selected was left out, e.g. {label}: {reason}")
            raise NovelviewError(f"no furniture matches {selection!r}: try objects, a word of a name or a catalogue "
                                 f"category ({', '.join(sorted(categories))}); `novelview render --source sh3d: "
                                 "--list` lists every piece")
        return refs if models is None else refs[:models]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        try:
            # the application's OBJs name colours without a material library: give them ours
            files = NamedMaterialFiles(ZipFiles(_archive(ref.archive), Path(ref.archive).name), ref.path)
            loaded = load_mesh(files, ref.path, texture_side)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:  # also a bad CRC or a truncated member
            raise ValueError(f"unreadable zip member {ref.path}: {type(exc).__name__}: {exc}") from None
        if ref.base_rotation is not None:
            loaded.surface.vertices = loaded.surface.vertices @ np.asarray(ref.base_rotation).reshape(3, 3).T
        if ref.info.get("model_rotation_problem"):  # recorded in the render notes, so meta.json says it
            loaded.notices.append(("modelRotation not applied", f"{ref.model_id}: {ref.info['model_rotation_problem']}"))
        size_cm = ref.info.get("size_cm")
        if size_cm:
            loaded.surface.vertices = _scaled_to(loaded.surface.vertices, size_cm)
        return loaded


def _rotation_and_problem(piece: dict) -> tuple[tuple[float, ...] | None, str | None]:
    """(the modelRotation, None), or (None, why it is not applied) for one that is not a rotation:
    the piece is then kept as its file has it, never mirrored or stretched."""
    try:
        return model_rotation(piece), None
    except ValueError as exc:
        return None, (f"{exc} (modelRotation#{piece['number']}); kept unrotated, as its file has it: check it with "
                      "render --check and turn it with --orientation")


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
