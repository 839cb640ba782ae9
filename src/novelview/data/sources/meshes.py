"""One mesh file (obj, glb/gltf, ply, stl, off) -> a Surface, from a folder or a zip.

Shared by the folder, ShapeNet and sh3d sources. Colours come from textures through UVs,
per-vertex or per-face colours, or the material colour; what went wrong on the way (a missing
MTL or texture, an undecodable image) comes back as notices rather than log lines, so a render
can sum them up at the end instead of printing through its progress bar.
"""

from __future__ import annotations

import io
import warnings
from pathlib import PurePosixPath

import numpy as np
import trimesh

from novelview.data.render import linear_to_srgb, srgb_to_linear
from novelview.data.sources.ac3d import AC3D_SUFFIXES, load_ac_in
from novelview.data.sources.assets import AssetResolver, shrink_texture
from novelview.data.sources.registry import LoadedModel
from novelview.data.surface import Surface, concatenate

MESH_SUFFIXES = (".obj", ".glb", ".gltf", ".ply", ".stl", ".off", *AC3D_SUFFIXES)
DEFAULT_GREY = (0.7, 0.7, 0.7)
INVISIBLE = 0.05  # materials at most this opaque (MTL d, glTF alpha) are left out
WHITE = np.ones(3, np.float32)


def load_mesh(files, mesh_name: str, texture_side: int | None = None) -> LoadedModel:
    """Read ``mesh_name`` (a posix path inside ``files``) with its materials; raises ValueError
    with the reason for unreadable or empty meshes. Textures are shrunk to ``texture_side``."""
    if PurePosixPath(mesh_name).suffix.lower() in AC3D_SUFFIXES:  # trimesh does not read AC3D
        return load_ac_in(files, mesh_name, texture_side)
    data = files.read(mesh_name)
    if data is None:
        raise ValueError(f"missing mesh file {mesh_name} in {files.label}")
    resolver = AssetResolver(files, mesh_name)
    # as the listing decides (Path.suffix): '..obj' is an OBJ, though posixpath.splitext says no suffix
    file_type = PurePosixPath(mesh_name).suffix.lower().lstrip(".")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # trimesh and PIL warn about things we report ourselves
            scene = trimesh.load(io.BytesIO(data), file_type=file_type, resolver=resolver, force="scene", process=False)
    except Exception as exc:  # trimesh raises many types for bad files
        raise ValueError(f"unreadable mesh: {type(exc).__name__}: {exc}".strip()) from None
    notices = [(kind, f"{mesh_name}: {kind.removeprefix('missing ')} {path} not found"
                + ("; using the material colour" if kind == "missing texture" else "")) for kind, path in resolver.missing]
    notices += resolver.problems  # found but unusable (undecodable, too large): named, not dropped silently
    try:
        notices += _shrink_textures(scene, texture_side, mesh_name)
        meshes = [m for m in scene.dump() if isinstance(m, trimesh.Trimesh) and len(m.faces)]
        parts = [mesh_to_surface(mesh) for mesh in meshes if opacity(mesh.visual) > INVISIBLE]
    except Exception as exc:  # broken indices, colours or materials inside a file that parsed
        raise ValueError(f"unreadable mesh: {type(exc).__name__}: {exc}".strip()) from None
    if not parts:
        raise ValueError("empty mesh: no triangles")
    surface = concatenate(parts)
    notices = list(dict.fromkeys(notices))  # one notice per file, however many materials share it
    lost = any(kind in ("missing texture", "unreadable texture") for kind, _ in notices)
    textured = surface.face_texture is not None and bool((surface.face_texture >= 0).any())
    texturing = "fallback" if lost else ("textured" if textured else "untextured")
    return LoadedModel(surface, texturing, notices)


def _shrink_textures(scene, max_side: int | None, mesh_name: str) -> list[tuple[str, str]]:
    """Decode every texture at most ``max_side`` texels wide, before anything copies it at full
    size; textures that cannot be decoded (truncated, corrupt) are dropped with a notice."""
    notices = []
    for geometry in scene.geometry.values():
        visual = getattr(geometry, "visual", None)
        if not isinstance(visual, trimesh.visual.TextureVisuals) or visual.material is None:
            continue
        material = visual.material
        image = _material_image(material)
        if image is None:
            continue
        try:
            image = shrink_texture(image, max_side)
        except Exception as exc:  # PIL decodes lazily: a broken file fails only here
            image = None
            name = getattr(material, "name", None) or "?"
            notices.append(("unreadable texture", f"{mesh_name}: texture of material {name!r} cannot be "
                            f"decoded ({type(exc).__name__}: {exc}); using the material colour"))
        if _is_pbr(material):
            material.baseColorTexture = image
        else:
            material.image = image
    return notices


def mesh_to_surface(mesh: trimesh.Trimesh) -> Surface:
    """Colours from a trimesh visual: texture through UVs, per-vertex or per-face colours, material colour."""
    faces = np.asarray(mesh.faces, np.int64)
    vertices = np.asarray(mesh.vertices, np.float64)
    n = len(faces)
    visual = mesh.visual
    if isinstance(visual, trimesh.visual.ColorVisuals):
        if visual.kind == "vertex":
            rgb = np.asarray(visual.vertex_colors)[:, :3] / 255.0
            return Surface(vertices, faces, rgb[faces].astype(np.float32))
        if visual.kind == "face":
            rgb = np.asarray(visual.face_colors)[:, :3] / 255.0
            return Surface(vertices, faces, np.repeat(rgb[:, None], 3, axis=1).astype(np.float32))
        return Surface(vertices, faces, np.full((n, 3, 3), DEFAULT_GREY, np.float32))
    if isinstance(visual, trimesh.visual.TextureVisuals):
        material = visual.material
        # The renderer draws every surface opaque: glass and other see-through materials take
        # the white background's colour in proportion to their transparency, so a glass door
        # reads as pale glass instead of a solid dark panel hiding what is behind it.
        see_through = 1.0 - opacity(visual)
        base = tuple((1.0 - see_through) * np.asarray(_material_colour(material)) + see_through * WHITE)
        colors = np.full((n, 3, 3), base, np.float32)
        image = _material_image(material)
        uv = getattr(visual, "uv", None)
        if image is not None and uv is not None and len(uv) == len(vertices):
            texture = np.asarray(image.convert("RGB"), np.float32) / 255.0
            if _is_pbr(material):  # glTF: the factor multiplies the texture in linear light
                factor = srgb_to_linear(np.asarray(base, np.float32))
                texture = linear_to_srgb(srgb_to_linear(texture) * factor).astype(np.float32)
            corner_uv = np.asarray(uv, np.float32)[faces]
            return Surface(vertices, faces, colors, corner_uv, np.zeros(n, np.int32), [texture])
        return Surface(vertices, faces, colors)
    return Surface(vertices, faces, np.full((n, 3, 3), DEFAULT_GREY, np.float32))


def opacity(visual) -> float:
    """1 for opaque; the MTL's ``d`` (or 1 - ``Tr``), or a blended glTF material's alpha."""
    material = getattr(visual, "material", None)
    if material is None:
        return 1.0
    if _is_pbr(material):
        factor = material.baseColorFactor
        if getattr(material, "alphaMode", None) != "BLEND" or factor is None:
            return 1.0
        alpha = float(np.asarray(factor)[3])
        return alpha / 255.0 if np.asarray(factor).dtype == np.uint8 else alpha
    kwargs = {str(k).lower(): v for k, v in (getattr(material, "kwargs", None) or {}).items()}
    try:
        if "d" in kwargs:
            return float(np.clip(float(np.ravel(kwargs["d"])[0]), 0.0, 1.0))
        if "tr" in kwargs:
            return float(np.clip(1.0 - float(np.ravel(kwargs["tr"])[0]), 0.0, 1.0))
    except (TypeError, ValueError, IndexError):
        pass  # an unreadable value: opaque, as most viewers do
    return 1.0


def _is_pbr(material) -> bool:
    return isinstance(material, trimesh.visual.material.PBRMaterial)


def _material_colour(material) -> tuple[float, float, float]:
    if material is None:
        return DEFAULT_GREY
    if _is_pbr(material):
        factor = material.baseColorFactor
        if factor is None:
            return (1.0, 1.0, 1.0) if material.baseColorTexture is not None else DEFAULT_GREY
        linear = np.asarray(factor, np.float64)[:3] / (255.0 if np.asarray(factor).dtype == np.uint8 else 1.0)
        return tuple(float(c) for c in linear_to_srgb(linear))  # glTF factors are linear, Surface is sRGB
    diffuse = getattr(material, "diffuse", None)
    if diffuse is None:
        return DEFAULT_GREY
    return tuple(np.asarray(diffuse, np.float64)[:3] / 255.0)


def _material_image(material):
    if material is None:
        return None
    return material.baseColorTexture if _is_pbr(material) else getattr(material, "image", None)
