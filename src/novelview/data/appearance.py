"""The varied procedural look: a seeded texture and colour per material, UVs on every part, and a
per-model light.

``dress(parts, rng)`` turns a maker's parts into a textured Surface. Parts that share a Material
share one texture, so a chair's legs and back rails show the same wood. What each kind of material
may become (wood grain, weave, checks, brushed metal, a printed label, ...) is in ``_look``. UVs
are planar per face ("box", along the face's dominant axis) or cylindrical ("cyl_y", "cyl_z");
repeating textures are laid in object units (``tile``), prints once across the part (``fit``).
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from novelview.data import appearance_textures as tex
from novelview.data.procedural_parts import Material, Part
from novelview.data.surface import Lighting, Surface, concatenate, solid

# The light varies per model within these ranges (the settings' defaults sit inside them).
AMBIENT_RANGE = (0.22, 0.5)
KEY_LIGHT_RANGE = (0.2, 0.65)
KEY_AZIMUTH_RANGE_DEG = (-70.0, 40.0)  # negative: the key stands left of the camera
KEY_ELEVATION_RANGE_DEG = (20.0, 70.0)


@dataclass
class Look:
    """How one material renders: its flat colour, and a texture laid once across a part (fit) or
    repeated every ``tile`` object units."""

    rgb: tuple
    texture: np.ndarray | None = None
    fit: bool = False
    tile: float = 0.5


def _hue_colour(rng: np.random.Generator, sat=(0.35, 0.9), val=(0.4, 0.95)) -> tuple:
    return colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(*sat), rng.uniform(*val))


def _wood_colour(rng: np.random.Generator) -> tuple:
    return colorsys.hsv_to_rgb(rng.uniform(0.04, 0.11), rng.uniform(0.35, 0.75), rng.uniform(0.35, 0.85))


def _metal_colour(rng: np.random.Generator) -> tuple:
    if rng.uniform() < 0.75:  # steel or aluminium; otherwise brass, copper or bronze
        grey = rng.uniform(0.45, 0.85)
        return (grey, grey, grey * rng.uniform(1.0, 1.06))
    return colorsys.hsv_to_rgb(rng.uniform(0.06, 0.13), rng.uniform(0.4, 0.7), rng.uniform(0.55, 0.85))


def _fabric(rng: np.random.Generator, base) -> Look:
    pattern = rng.choice(["weave", "weave", "checks", "stripes", "dots"])
    second = _hue_colour(rng, sat=(0.1, 0.6), val=(0.6, 0.95))
    if pattern == "weave":
        return Look(base, tex.weave(rng, base), tile=0.3)
    if pattern == "checks":
        return Look(base, tex.checks(rng, base, second), tile=0.5)
    if pattern == "stripes":
        return Look(base, tex.stripes(rng, base, second), tile=0.6)
    return Look(base, tex.dots(rng, base, second), tile=0.4)


def _ceramic(rng: np.random.Generator, base) -> Look:
    pattern = rng.choice(["glaze", "stripes", "dots", "label"])
    second = _hue_colour(rng, sat=(0.0, 0.5), val=(0.75, 1.0))
    if pattern == "glaze":
        return Look(base, tex.mottled(rng, base, 0.18), tile=0.5)
    if pattern == "stripes":
        return Look(base, tex.stripes(rng, base, second, vertical=False), fit=True)
    if pattern == "dots":
        return Look(base, tex.dots(rng, second, base), tile=0.4)
    return Look(base, tex.label(rng, second, base), fit=True)


def _look(material: Material, rng: np.random.Generator) -> Look:
    """A seeded colour and texture for one material; its kind says what it may become."""
    kind = material.kind
    if kind == "light":  # car lights keep their colours: they tell front from back
        return Look(material.rgb)
    if kind == "wood":
        base = _wood_colour(rng)
        return Look(base, tex.wood(rng, base), tile=rng.uniform(0.4, 0.8))
    if kind == "metal":
        base = _metal_colour(rng)
        return Look(base, tex.brushed(rng, base), tile=0.5)
    if kind == "glass":
        base = tuple(np.array(material.rgb) * rng.uniform(0.7, 1.3))
        return Look(base, tex.glass(rng, base), fit=True)
    if kind == "tinted_glass":  # bottles: green, brown, blue or clear
        base = colorsys.hsv_to_rgb(rng.choice([0.3, 0.08, 0.58, 0.5]), rng.uniform(0.35, 0.85), rng.uniform(0.3, 0.8))
        return Look(base, tex.glass(rng, base), fit=True)
    if kind == "rubber":
        return Look(material.rgb, tex.mottled(rng, material.rgb, 0.4), tile=0.3)
    if kind in ("fabric", "shade", "cushion"):
        return _fabric(rng, _hue_colour(rng, sat=(0.15, 0.8), val=(0.35, 0.95)))
    if kind == "leather":
        base = _hue_colour(rng, sat=(0.3, 0.8), val=(0.2, 0.6))
        return Look(base, tex.mottled(rng, base, 0.3), tile=0.2)
    if kind in ("ceramic", "paint_print"):
        return _ceramic(rng, _hue_colour(rng))
    if kind == "label":
        return Look(material.rgb, tex.label(rng, _hue_colour(rng, val=(0.8, 1.0)), _hue_colour(rng)), fit=True)
    if kind == "stone":
        base = _hue_colour(rng, sat=(0.0, 0.2), val=(0.55, 0.95))
        return Look(base, tex.marble(rng, base), tile=rng.uniform(0.6, 1.2))
    if kind == "livery":
        top = (0.95, 0.95, 0.95) if rng.uniform() < 0.6 else _hue_colour(rng)
        return Look(top, tex.livery(rng, top, _hue_colour(rng), _hue_colour(rng)), fit=True)
    base = _hue_colour(rng)  # paint, glaze, plastic and anything else: a new colour, softly mottled
    if kind == "paint" and rng.uniform() < 0.35:
        return Look(base, tex.pinstripe(rng, base, _hue_colour(rng, sat=(0.0, 0.3), val=(0.85, 1.0))), fit=True)
    return Look(base, tex.mottled(rng, base, 0.1), tile=0.5)


def _box_uv(tri: np.ndarray, lo: np.ndarray, span: np.ndarray, look: Look) -> np.ndarray:
    """Per face, project on the plane across its dominant normal axis: x faces take (z, y), y faces
    (x, z), z faces (x, y)."""
    normal = np.abs(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]))
    axis = normal.argmax(1)
    pick = np.array([[2, 1], [0, 2], [0, 1]])[axis]  # (F, 2) coordinates used as (u, v)
    coords = np.take_along_axis(tri, np.broadcast_to(pick[:, None, :], (len(tri), 3, 2)), axis=2)
    if look.fit:
        return (coords - lo[pick][:, None]) / span[pick][:, None]
    return coords / look.tile


def _cylinder_uv(tri: np.ndarray, lo: np.ndarray, span: np.ndarray, axis: int, look: Look) -> np.ndarray:
    """u: the angle around the part's axis (0.5 on top for z, at +z for y); v: along the axis."""
    centre = lo + span / 2
    across = (0, 2) if axis == 1 else (0, 1)
    offset = tri - centre
    u = np.arctan2(offset[..., across[0]], offset[..., across[1]]) / (2 * np.pi) + 0.5
    # A face across the seam would run backwards through the whole image: unwrap it.
    wraps = (u.max(1) - u.min(1)) > 0.5
    u = np.where(wraps[:, None] & (u < 0.5), u + 1.0, u)
    along = tri[..., axis]
    if look.fit:
        return np.stack([u, (along - lo[axis]) / span[axis]], axis=-1)
    radius = float(np.hypot(span[across[0]], span[across[1]])) / 2
    repeats = max(1, round(2 * np.pi * radius / look.tile))  # whole repeats: no seam
    return np.stack([u * repeats, along / look.tile], axis=-1)


def part_uv(part: Part, look: Look) -> np.ndarray:
    """(F, 3, 2) float32 texture coordinates of a part's face corners."""
    tri = part.vertices[part.faces]
    lo = part.vertices.min(0)
    span = np.maximum(np.ptp(part.vertices, axis=0), 1e-9)
    if part.mapping == "cyl_y":
        return _cylinder_uv(tri, lo, span, 1, look).astype(np.float32)
    if part.mapping == "cyl_z":
        return _cylinder_uv(tri, lo, span, 2, look).astype(np.float32)
    return _box_uv(tri, lo, span, look).astype(np.float32)


def random_lighting(rng: np.random.Generator) -> Lighting:
    azimuth = np.radians(rng.uniform(*KEY_AZIMUTH_RANGE_DEG))
    elevation = np.radians(rng.uniform(*KEY_ELEVATION_RANGE_DEG))
    direction = (np.sin(azimuth) * np.cos(elevation), np.sin(elevation), np.cos(azimuth) * np.cos(elevation))
    return Lighting(float(rng.uniform(*AMBIENT_RANGE)), float(rng.uniform(*KEY_LIGHT_RANGE)),
                    tuple(float(c) for c in direction))


def dress(parts: list[Part], rng: np.random.Generator) -> Surface:
    """The parts as one textured Surface with its own lighting (materials in first-use order)."""
    looks: dict[Material, Look] = {}
    for p in parts:
        if p.material not in looks:
            looks[p.material] = _look(p.material, rng)
    textured = [m for m, look in looks.items() if look.texture is not None]
    texture_index = {m: i for i, m in enumerate(textured)}
    surface = concatenate([solid(p.vertices, p.faces, looks[p.material].rgb) for p in parts])
    surface.corner_uv = np.concatenate([part_uv(p, looks[p.material]) for p in parts])
    surface.face_texture = np.concatenate(
        [np.full(len(p.faces), texture_index.get(p.material, -1), np.int32) for p in parts])
    surface.textures = [looks[m].texture for m in textured]
    surface.lighting = random_lighting(rng)
    return surface
