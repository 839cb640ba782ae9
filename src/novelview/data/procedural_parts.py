"""Building blocks of the procedural models: parts (a mesh and its material) and the primitives.

A maker returns a list of ``Part``s. Each part names its material (a colour and a kind such as
"wood" or "paint") and how texture coordinates are laid on it, so the plain appearance paints
each part its colour (exactly as before parts existed) and the varied appearance
(``novelview.data.appearance``) gives each kind of material a seeded texture.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import trimesh


class Material(NamedTuple):
    """A part's plain colour (sRGB in [0, 1]) and what it is made of (picks its varied texture)."""

    rgb: tuple
    kind: str


@dataclass
class Part:
    """One piece of a model. mapping: how UVs are laid for textures: "box" (per-face planar along
    the dominant axis), "cyl_y" or "cyl_z" (around a vertical or a front-back axis)."""

    vertices: np.ndarray
    faces: np.ndarray
    material: Material
    mapping: str = "box"


def colour(rng: np.random.Generator, sat=(0.35, 0.9), val=(0.35, 0.95), hue=None) -> tuple:
    h = rng.uniform(0, 1) if hue is None else hue
    return colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))


def part(mesh: trimesh.Trimesh, material: Material, mapping: str = "box") -> Part:
    return Part(np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces, np.int64), material, mapping)


def translate(t) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = t
    return m


def rotation(axis, angle_rad) -> np.ndarray:
    return trimesh.transformations.rotation_matrix(angle_rad, axis)


def box(extents, centre, material: Material) -> Part:
    return part(trimesh.creation.box(extents=extents, transform=translate(centre)), material)


def cylinder(radius, height, centre, axis, material: Material, sections=24) -> Part:
    """Cylinder along 'x', 'y' or 'z' centred at ``centre``."""
    rot = {"x": rotation([0, 1, 0], np.pi / 2), "y": rotation([1, 0, 0], np.pi / 2), "z": np.eye(4)}[axis]
    mesh = trimesh.creation.cylinder(radius=radius, height=height, sections=sections)
    mesh.apply_transform(translate(centre) @ rot)
    mapping = {"y": "cyl_y", "z": "cyl_z"}.get(axis, "box")
    return part(mesh, material, mapping)


def rod(start, end, radius, material: Material, sections=12) -> Part:
    """A cylinder from point ``start`` to point ``end`` (poles, bent arms, struts)."""
    mesh = trimesh.creation.cylinder(radius=radius, segment=np.array([start, end], np.float64), sections=sections)
    return part(mesh, material)


def frustum(bottom, top, y0, y1, z_shift_top, material: Material) -> Part:
    """A box whose top face is smaller and shifted along z: (width, length) at bottom and top."""
    (bw, bl), (tw, tl) = bottom, top
    corners = []
    for y, (w, l), dz in ((y0, (bw, bl), 0.0), (y1, (tw, tl), z_shift_top)):
        for sx in (-1, 1):
            for sz in (-1, 1):
                corners.append([sx * w / 2, y, sz * l / 2 + dz])
    return part(trimesh.convex.convex_hull(np.array(corners)), material)


def hull(points, material: Material) -> Part:
    """The convex hull of ``points`` (wings, fins, tapered slabs)."""
    return part(trimesh.convex.convex_hull(np.asarray(points, np.float64)), material)


def revolve_mesh(profile_xy: np.ndarray, sections: int = 40) -> trimesh.Trimesh:
    """Revolve a (radius, height) polyline about the y axis."""
    mesh = trimesh.creation.revolve(profile_xy, sections=sections)  # about z, profile in x-z
    mesh.apply_transform(rotation([1, 0, 0], -np.pi / 2))  # z up -> y up
    return mesh


def revolve(profile_xy, material: Material, sections: int = 40, along_z: bool = False) -> Part:
    """A revolved part about y (or about z, the profile's height running towards +z)."""
    mesh = revolve_mesh(np.asarray(profile_xy, np.float64), sections)
    if along_z:
        mesh.apply_transform(rotation([1, 0, 0], np.pi / 2))  # y -> z
    return part(mesh, material, "cyl_z" if along_z else "cyl_y")


def smooth_profile(points, samples: int = 6) -> np.ndarray:
    """A (radius, height) polyline through ``points`` with each bend eased by a cosine blend."""
    points = np.asarray(points, np.float64)
    out = [points[0]]
    for a, b in zip(points[:-1], points[1:]):
        t = (1 - np.cos(np.linspace(0, np.pi, samples + 1)[1:])) / 2
        steps = np.linspace(0, 1, samples + 1)[1:]
        out.extend(np.column_stack([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * steps]))
    return np.array(out)
