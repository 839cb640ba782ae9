"""Triangles from AC3D surfaces: polygons (convex or not) and TORCS's triangle strips; ``Faces``
collects an object's polygons and cuts its quads.

Both return corner positions within the surface's own vertex refs, (K, 3) int arrays, keeping
the polygon's winding. A convex polygon is a fan; a concave one (an L-shaped panel, a wing root
outline) is cut into ears in its own plane, so no triangle covers the notch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EAR_CLIP_LIMIT = 1000  # longer outlines are fanned: ear clipping is quadratic in their length


def strip_triangles(refs: list[int]) -> np.ndarray:
    """A triangle strip over ``refs``: every other triangle flipped to keep one winding; the
    zero-area joins that strips use to jump (a repeated vertex) are dropped."""
    triangles = [(i, i + 1, i + 2) if i % 2 == 0 else (i + 1, i, i + 2) for i in range(len(refs) - 2)]
    kept = [t for t in triangles if len({refs[t[0]], refs[t[1]], refs[t[2]]}) == 3]
    return np.asarray(kept, np.int64).reshape(-1, 3)


def triangulate(points: np.ndarray) -> np.ndarray:
    """Triangles covering the planar polygon ``points`` (N, 3), in its order."""
    n = len(points)
    if n < 3:
        return np.zeros((0, 3), np.int64)
    if n == 3:
        return np.array([[0, 1, 2]], np.int64)
    flat = _in_plane(points)
    if flat is None or n > EAR_CLIP_LIMIT or _is_convex(flat):
        return fan(n)
    return _ear_clip(flat)


def fan(n: int) -> np.ndarray:
    return np.stack([np.zeros(n - 2, np.int64), np.arange(1, n - 1), np.arange(2, n)], axis=1)


def _in_plane(points: np.ndarray) -> np.ndarray | None:
    """2D coordinates in the polygon's plane, turned so the outline runs counter-clockwise;
    None when the polygon has no area (Newell's normal vanishes)."""
    following = np.roll(points, -1, axis=0)
    normal = np.array([
        np.sum((points[:, 1] - following[:, 1]) * (points[:, 2] + following[:, 2])),
        np.sum((points[:, 2] - following[:, 2]) * (points[:, 0] + following[:, 0])),
        np.sum((points[:, 0] - following[:, 0]) * (points[:, 1] + following[:, 1])),
    ])
    length = np.linalg.norm(normal)
    if not np.isfinite(length) or length < 1e-12:
        return None
    normal /= length
    helper = np.eye(3)[int(np.argmin(np.abs(normal)))]
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    return np.stack([points @ u, points @ v], axis=1)  # (u, v, normal) is right-handed: CCW about the normal


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def _is_convex(flat: np.ndarray) -> bool:
    previous, following = np.roll(flat, 1, axis=0), np.roll(flat, -1, axis=0)
    turns = (flat[:, 0] - previous[:, 0]) * (following[:, 1] - flat[:, 1]) - (flat[:, 1] - previous[:, 1]) * (following[:, 0] - flat[:, 0])
    scale = float(np.ptp(flat, axis=0).max()) ** 2
    return bool((turns >= -1e-9 * scale).all())


def _ear_clip(flat: np.ndarray) -> np.ndarray:
    """Cut ears off a counter-clockwise outline; falls back to a fan of what is left if none is found
    (a self-crossing outline)."""
    remaining = list(range(len(flat)))
    triangles = []
    scale = float(np.ptp(flat, axis=0).max()) ** 2
    while len(remaining) > 3:
        for k in range(len(remaining)):
            a, b, c = remaining[k - 1], remaining[k], remaining[(k + 1) % len(remaining)]
            if _cross(flat[a], flat[b], flat[c]) <= 1e-12 * scale:
                continue  # a reflex or straight corner is no ear
            if any(_inside(flat[p], flat[a], flat[b], flat[c]) for p in remaining if p not in (a, b, c)):
                continue
            triangles.append((a, b, c))
            del remaining[k]
            break
        else:
            triangles += [(remaining[0], remaining[i], remaining[i + 1]) for i in range(1, len(remaining) - 1)]
            return np.asarray(triangles, np.int64)
    triangles.append(tuple(remaining))
    return np.asarray(triangles, np.int64)


def _inside(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
    return _cross(a, b, p) >= 0 and _cross(b, c, p) >= 0 and _cross(c, a, p) >= 0


QUAD_CUTS = (((0, 1, 2), (0, 2, 3)), ((1, 2, 3), (1, 3, 0)))  # along the diagonal 0-2, along 1-3


def split_quads(quads: np.ndarray) -> np.ndarray:
    """For (Q, 4, 3) quads, 0 where the diagonal 0-2 lies inside, 1 where corner 1 or 3 is
    reflex (a dart-shaped quad), so only the diagonal 1-3 keeps the notch uncovered."""
    a, b, c, d = (quads[:, i] for i in range(4))
    normal = np.cross(c - a, d - b)
    reflex_b = np.einsum("ij,ij->i", np.cross(b - a, c - b), normal) < 0
    reflex_d = np.einsum("ij,ij->i", np.cross(d - c, a - d), normal) < 0
    return (reflex_b | reflex_d).astype(np.int64)


@dataclass
class Faces:
    """Polygons of one object as plain lists: vertex refs, UVs, material and texture of each."""

    refs: list = field(default_factory=list)
    uv: list = field(default_factory=list)
    material: list = field(default_factory=list)
    tex: list = field(default_factory=list)

    def add(self, refs, uv, material: int, tex: int) -> None:
        self.refs.append(refs)
        self.uv.append(uv)
        self.material.append(material)
        self.tex.append(tex)

    def extend(self, other: Faces) -> None:
        for name in ("refs", "uv", "material", "tex"):
            getattr(self, name).extend(getattr(other, name))

    def split(self, vertices: np.ndarray) -> Faces:
        """Quads -> two triangles each, cut along the diagonal that stays inside the quad."""
        refs, uv = np.asarray(self.refs), np.asarray(self.uv, np.float32)
        cut = split_quads(vertices[refs])
        out = Faces()
        for diagonal, corners in enumerate(QUAD_CUTS):
            for half in corners:
                chosen = cut == diagonal
                out.refs += refs[chosen][:, half].tolist()
                out.uv += uv[chosen][:, half].tolist()
                out.material += np.asarray(self.material)[chosen].tolist()
                out.tex += np.asarray(self.tex)[chosen].tolist()
        return out
