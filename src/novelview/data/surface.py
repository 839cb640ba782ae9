"""The renderer's input: a triangle mesh whose colour is known at every point of every face."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Lighting:
    """A per-model light: ambient level, the key light's share of the direct light, and where the
    key light stands in the camera frame (right, up, towards the camera; normalised by the renderer)."""

    ambient: float
    key_light: float
    key_direction: tuple[float, float, float]


@dataclass
class Surface:
    """A coloured triangle mesh.

    vertices: (V, 3) float64, y-up; the object's front faces +z (the azimuth-0 camera).
    faces: (F, 3) int64 vertex indices.
    corner_colors: (F, 3, 3) float32 sRGB in [0, 1], the colour at each face corner (flat
        faces repeat one colour; per-vertex colours differ and are interpolated).
    corner_uv: (F, 3, 2) float32 texture coordinates, or None when nothing is textured.
    face_texture: (F,) int32 index into ``textures`` (-1: not textured), or None.
    textures: list of (H, W, 3) float32 sRGB images in [0, 1].
    lighting: this model's own light, used instead of the render settings' (None: the settings').
    """

    vertices: np.ndarray
    faces: np.ndarray
    corner_colors: np.ndarray
    corner_uv: np.ndarray | None = None
    face_texture: np.ndarray | None = None
    textures: list[np.ndarray] = field(default_factory=list)
    lighting: Lighting | None = None

    @property
    def is_flat(self) -> bool:
        """True when every face has one colour and no texture: shading needs no barycentrics."""
        if self.face_texture is not None and (self.face_texture >= 0).any():
            return False
        return bool((self.corner_colors == self.corner_colors[:, :1]).all())


def solid(vertices: np.ndarray, faces: np.ndarray, rgb: tuple[float, float, float]) -> Surface:
    """One-coloured surface (rgb: sRGB in [0, 1])."""
    faces = np.asarray(faces, np.int64)
    colors = np.broadcast_to(np.asarray(rgb, np.float32), (len(faces), 3, 3)).copy()
    return Surface(np.asarray(vertices, np.float64), faces, colors)


def concatenate(parts: list[Surface]) -> Surface:
    """Join surfaces into one (textures are re-indexed)."""
    vertices, faces, colors, uvs, tex_ids, textures = [], [], [], [], [], []
    offset = 0
    any_uv = any(p.corner_uv is not None for p in parts)
    for part in parts:
        vertices.append(part.vertices)
        faces.append(part.faces + offset)
        colors.append(part.corner_colors)
        offset += len(part.vertices)
        if any_uv:
            n = len(part.faces)
            uvs.append(part.corner_uv if part.corner_uv is not None else np.zeros((n, 3, 2), np.float32))
            ids = part.face_texture if part.face_texture is not None else np.full(n, -1, np.int32)
            tex_ids.append(np.where(ids >= 0, ids + len(textures), -1).astype(np.int32))
            textures.extend(part.textures)
    return Surface(
        np.concatenate(vertices),
        np.concatenate(faces),
        np.concatenate(colors),
        np.concatenate(uvs) if any_uv else None,
        np.concatenate(tex_ids) if any_uv else None,
        textures,
    )
