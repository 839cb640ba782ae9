"""AC3D models (``.ac``, and TORCS's ``.acc``) -> a Surface, in pure Python.

An AC3D file is text: MATERIAL lines, then a tree of OBJECTs (world, group, poly). Each object
may carry ``loc`` and ``rot`` (a row-major 3x3), which place it in its parent's frame, so a
vertex of a nested object reaches the file's frame through every ancestor's ``rot`` and ``loc``.
Surfaces are polygons (triangulated here), closed or open lines (dropped: they have no area) or,
in TORCS's ``.acc``, triangle strips; ``.acc`` also writes a normal after each vertex and up to
four UV pairs per reference (one per ``texture`` line: base, tiled, skids, shadow), of which
only the first, the base texture, is used. Coordinates stay as the file has them (AC3D is y-up).

Materials whose ``trans`` is near 1 are left out; partly transparent ones (glass) are lightened
towards a pale tint, as meshes.py does for MTL glass: the renderer draws every surface opaque.
What could not be read comes back as notices, a damaged file as ValueError(reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from novelview.data.sources.ac3d_geometry import Faces, strip_triangles, triangulate
from novelview.data.sources.ac3d_textures import load_textures, shown_colour
from novelview.data.sources.registry import LoadedModel
from novelview.data.surface import Surface

AC3D_SUFFIXES = (".ac", ".acc")
# Reading takes about 30 bytes of memory per byte of file (a 12 MB file peaked at 460 MB): 8 MB
# keeps a worker under 500 MB; the largest AC3D file in FlightGear's and TORCS's data is 4.2 MB.
MAX_FILE_BYTES = 8 * 2**20
MAX_CORNERS = 1_500_000  # triangle corners kept (500k triangles): about 60 MB of arrays
MAX_DEPTH = 64  # nesting of OBJECTs
INVISIBLE_TRANS = 0.95
DEFAULT_GREY = (0.7, 0.7, 0.7)


@dataclass
class _Build:
    """What the object tree has produced so far, in the file's frame."""

    materials: list[tuple[np.ndarray, float]]
    texture_index: dict[tuple, int] = field(default_factory=dict)  # (texture name, material) -> index
    vertices: list[np.ndarray] = field(default_factory=list)
    faces: list[np.ndarray] = field(default_factory=list)
    colours: list[np.ndarray] = field(default_factory=list)
    uvs: list[np.ndarray] = field(default_factory=list)
    face_texture: list[np.ndarray] = field(default_factory=list)
    offset: int = 0
    corners: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    hidden: re.Pattern | None = None


def load_ac(path: str | Path, texture_side: int | None = None, texture_dirs: list[Path] | None = None,
            root: Path | None = None, hidden: re.Pattern | None = None) -> LoadedModel:
    """Read an AC3D file; textures are looked up in ``texture_dirs`` (default: the file's folder)
    and must lie under ``root`` (default: the file's folder). Objects whose name ``hidden``
    matches are left out with their kids. Raises ValueError(reason)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"AC3D file too large ({size / 2**20:.0f} MB, limit {MAX_FILE_BYTES >> 20} MB)")
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise ValueError(f"unreadable AC3D file: {exc}") from None
    lines = text.splitlines()
    del text  # the lines are all that is needed from here on
    if not lines or not lines[0].startswith("AC3D"):
        raise ValueError("not an AC3D file: the first line does not start with AC3D")
    build = _Build(materials=[], hidden=hidden)
    try:
        pos = _read_materials(lines, 1, build)
        while pos < len(lines):
            if lines[pos].startswith("OBJECT"):
                pos = _read_object(lines, pos, np.eye(3), np.zeros(3), build, 0)
            else:
                pos += 1
    except (IndexError, ValueError, OverflowError) as exc:  # a short line, a word where a number belongs, our own checks
        detail = "it ends in the middle of an object (cut short?)" if isinstance(exc, IndexError) else str(exc).removeprefix("damaged AC3D file: ")
        raise ValueError(f"damaged AC3D file {path.name}: {detail}") from None
    if not build.faces:
        raise ValueError("empty mesh: no polygons")
    names = sorted(build.texture_index, key=build.texture_index.get)
    textures, notices, lost = load_textures(names, build.materials, path, texture_side, texture_dirs or [path.parent], root or path.parent)
    notices += [("dropped surfaces", f"{path.name}: {count} {kind} left out") for kind, count in build.dropped.items()]
    face_texture = np.concatenate(build.face_texture)
    order = np.full(len(names) + 1, -1, np.int32)  # lost textures -> -1: the face shows its material colour
    kept = []
    for i, image in enumerate(textures):
        if image is not None:
            order[i] = len(kept)
            kept.append(image)
    face_texture = order[face_texture]
    surface = Surface(np.concatenate(build.vertices), np.concatenate(build.faces), np.concatenate(build.colours),
                      np.concatenate(build.uvs) if kept else None, face_texture if kept else None, kept)
    texturing = "fallback" if lost else ("textured" if kept else "untextured")
    return LoadedModel(surface, texturing, notices)


def load_ac_in(files, mesh_name: str, texture_side: int | None = None) -> LoadedModel:
    """An AC3D file among a folder's files (meshes.load_mesh's ``files``); textures may come from
    anywhere under that folder."""
    root = getattr(files, "root", None)
    if root is None:
        raise ValueError(f"{mesh_name}: AC3D models are read from folders, not from archives")
    path = Path(root) / mesh_name
    return load_ac(path, texture_side, [path.parent], Path(root))


def _numbers(tokens: list[str], count: int, what: str) -> list[float]:
    if len(tokens) < count:
        raise ValueError(f"damaged AC3D file: {what} needs {count} numbers")
    return [float(t) for t in tokens[:count]]


def _read_materials(lines: list[str], pos: int, build: _Build) -> int:
    """MATERIAL lines (and AC3D 'MAT ... ENDMAT' blocks) up to the first OBJECT."""
    while pos < len(lines) and not lines[pos].startswith("OBJECT"):
        line = lines[pos]
        if line.startswith("MATERIAL") or line.startswith("MAT "):
            block = line
            if line.startswith("MAT "):  # the multi-line form of AC3D 7+
                while pos + 1 < len(lines) and not lines[pos].startswith("ENDMAT"):
                    pos += 1
                    block += " " + lines[pos]
            body = re.sub(r'"[^"]*"', " ", block).split()
            values = {body[i]: body[i + 1:i + 4] for i in range(len(body)) if body[i] in ("rgb", "trans")}
            rgb = np.clip(_numbers(values.get("rgb", list(map(str, DEFAULT_GREY))), 3, "rgb"), 0, 1)
            trans = float(np.clip(_numbers(values.get("trans", ["0"]), 1, "trans")[0], 0, 1))
            build.materials.append((np.asarray(rgb, np.float32), trans))
        pos += 1
    return pos


def _read_object(lines: list[str], pos: int, parent_rot: np.ndarray, parent_loc: np.ndarray, build: _Build, depth: int,
                 shown: bool = True) -> int:
    """One OBJECT and its kids; returns the line after them. Hidden objects are read past, not kept."""
    if depth > MAX_DEPTH:
        raise ValueError(f"damaged AC3D file: objects nested deeper than {MAX_DEPTH}")
    rot, loc = np.eye(3), np.zeros(3)
    texture, texrep, texoff = None, (1.0, 1.0), (0.0, 0.0)
    vertices = np.zeros((0, 3))
    surfaces: list[tuple[int, int, list[int], list[tuple[float, float]]]] = []
    pos += 1
    while pos < len(lines):
        tokens = lines[pos].split()
        pos += 1
        if not tokens:
            continue
        key = tokens[0]
        if key == "name" and shown and build.hidden is not None:
            match = re.search(r'"([^"]*)"', lines[pos - 1])
            if build.hidden.search(match.group(1) if match else " ".join(tokens[1:])):
                shown = False
                build.dropped["effect objects (flames, chutes, halos...)"] = build.dropped.get("effect objects (flames, chutes, halos...)", 0) + 1
        elif key == "texture" and texture is None:  # .acc: the first (base) of up to four
            match = re.search(r'"([^"]*)"', lines[pos - 1])
            texture = match.group(1) if match else (tokens[1] if len(tokens) > 1 else "")
            texture = None if texture in ("", "empty_texture_no_mapping") else texture
        elif key == "texrep":
            texrep = tuple(_numbers(tokens[1:], 2, "texrep"))
        elif key == "texoff":
            texoff = tuple(_numbers(tokens[1:], 2, "texoff"))
        elif key == "rot":
            rot = np.asarray(_numbers(tokens[1:], 9, "rot")).reshape(3, 3)
        elif key == "loc":
            loc = np.asarray(_numbers(tokens[1:], 3, "loc"))
        elif key == "data":  # free text of a given length, possibly over several lines
            length, taken = int(tokens[1]), 0
            while taken < length and pos < len(lines):
                taken += len(lines[pos]) + 1
                pos += 1
        elif key == "numvert":
            count = int(tokens[1])
            rows, pos = _take(lines, pos, count)
            block = " ".join(rows).split()
            if len(rows) < count or (count and len(block) % count) or (count and len(block) < 3 * count):
                raise ValueError("damaged AC3D file: vertex list cut short or uneven")
            vertices = np.asarray(block, np.float64).reshape(count, -1)[:, :3] if count else vertices
        elif key == "numsurf":
            pos = _read_surfaces(lines, pos, int(tokens[1]), surfaces)
        elif key == "kids":
            world_rot, world_loc = parent_rot @ rot, parent_rot @ loc + parent_loc
            if shown:
                _add_object(vertices @ world_rot.T + world_loc, surfaces, texture, texrep, texoff, build)
            for _ in range(int(tokens[1])):
                while pos < len(lines) and not lines[pos].startswith("OBJECT"):
                    pos += 1
                if pos >= len(lines):
                    return pos  # fewer kids than announced (FlightGear's Cub): keep what is there
                pos = _read_object(lines, pos, world_rot, world_loc, build, depth + 1, shown)
            return pos
    raise ValueError("damaged AC3D file: an object has no 'kids' line (file cut short?)")


def _read_surfaces(lines: list[str], pos: int, count: int, surfaces: list) -> int:
    """``count`` SURF blocks: (flags, material, vertex refs, first UV pair of each ref)."""
    for _ in range(count):
        flags, material, refs = None, 0, None
        while refs is None:
            tokens = lines[pos].split()
            pos += 1
            if not tokens:
                continue
            if tokens[0] == "SURF":
                flags = int(tokens[1], 16)
            elif tokens[0] == "mat":
                material = int(tokens[1])
            elif tokens[0] == "refs":
                n = int(tokens[1])
                text_rows, pos = _take(lines, pos, n)
                rows = [line.split() for line in text_rows]
                if len(rows) < n or any(len(row) < 3 for row in rows):
                    raise ValueError("damaged AC3D file: a surface's refs are cut short")
                refs = [int(row[0]) for row in rows]
                surfaces.append((flags or 0, material, refs, [(float(r[1]), float(r[2])) for r in rows]))
            else:
                raise ValueError(f"damaged AC3D file: unexpected {tokens[0]!r} inside a surface")
    return pos


def _take(lines: list[str], pos: int, count: int) -> tuple[list[str], int]:
    """The next ``count`` non-blank lines (some exporters leave blank lines inside lists)."""
    if count < 0:
        raise ValueError("damaged AC3D file: a negative count")
    rows = lines[pos:pos + count]
    if all(row.strip() for row in rows):
        return rows, pos + len(rows)
    rows = []
    while len(rows) < count and pos < len(lines):
        if lines[pos].strip():
            rows.append(lines[pos])
        pos += 1
    return rows, pos


def _add_object(vertices: np.ndarray, surfaces: list, texture: str | None, texrep, texoff, build: _Build) -> None:
    """Triangulate one object's surfaces into ``build``: faces, corner colours, UVs, texture ids.

    Triangles and quads (nearly all of a real model) are gathered and split in bulk; longer
    polygons and strips one by one."""
    triangles, quads = Faces(), Faces()
    for flags, material, refs, uv in surfaces:
        kind = flags & 0xF
        if kind in (1, 2):
            build.dropped["line surfaces"] = build.dropped.get("line surfaces", 0) + 1
            continue
        if kind not in (0, 4):
            build.dropped[f"surfaces of unknown type {kind}"] = build.dropped.get(f"surfaces of unknown type {kind}", 0) + 1
            continue
        if min(refs, default=0) < 0 or max(refs, default=0) >= len(vertices):
            raise ValueError("damaged AC3D file: a surface names a vertex that does not exist")
        material = material if 0 <= material < len(build.materials) else -1
        trans = build.materials[material][1] if material >= 0 else 0.0
        if trans >= INVISIBLE_TRANS:
            continue
        # see-through textured faces get their own, lightened copy of the image; others share one
        key = (texture, material if trans > 0.05 else -1)
        tex = -1 if not texture else build.texture_index.setdefault(key, len(build.texture_index))
        if kind == 0 and len(refs) == 4:
            quads.add(refs, uv, material, tex)
            continue
        corners = strip_triangles(refs) if kind == 4 else triangulate(vertices[refs]) if len(refs) > 3 else [(0, 1, 2)] * (len(refs) == 3)
        for corner in corners:
            triangles.add([refs[i] for i in corner], [uv[i] for i in corner], material, tex)
    if quads.refs:
        triangles.extend(quads.split(vertices))
    if not triangles.refs:
        return
    build.corners += 3 * len(triangles.refs)
    if build.corners > MAX_CORNERS:
        raise ValueError(f"damaged AC3D file: more than {MAX_CORNERS // 3} triangles")
    colours = np.stack([shown_colour(*m) for m in build.materials] + [np.asarray(DEFAULT_GREY, np.float32)])
    build.vertices.append(vertices)
    build.faces.append(np.asarray(triangles.refs, np.int64) + build.offset)
    build.colours.append(np.repeat(colours[np.asarray(triangles.material)][:, None], 3, axis=1))
    build.uvs.append(np.asarray(triangles.uv, np.float32) * np.float32(texrep) + np.float32(texoff))
    build.face_texture.append(np.asarray(triangles.tex, np.int32))
    build.offset += len(vertices)


