"""The built-in data: seeded, parametric cars, chairs and mugs, so everything runs with no download.

Every model is a function of (category, seed, index) alone, built from numpy arithmetic and
trimesh primitives, so the same command gives the same bytes. Frame: y up, the object's front
towards +z. The parts that make a new view hard to predict are all here: a mug's handle (present
or not, on either side, round or square), a chair's back, arms and legs, a car's cabin position,
lights (front white, rear red) and wheels.
"""

from __future__ import annotations

import colorsys

import numpy as np
import trimesh

from novelview.data.surface import Surface, concatenate, solid

CATEGORIES = ("car", "chair", "mug")
_CATEGORY_CODE = {name: i + 1 for i, name in enumerate(CATEGORIES)}


def _rng(category: str, seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), _CATEGORY_CODE[category], int(index)])


def _colour(rng: np.random.Generator, sat=(0.35, 0.9), val=(0.35, 0.95), hue=None) -> tuple:
    h = rng.uniform(0, 1) if hue is None else hue
    return colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))


def _part(mesh: trimesh.Trimesh, rgb) -> Surface:
    return solid(mesh.vertices, mesh.faces, rgb)


def _box(extents, centre, rgb) -> Surface:
    return _part(trimesh.creation.box(extents=extents, transform=_translate(centre)), rgb)


def _translate(t) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = t
    return m


def _rotation(axis, angle_rad) -> np.ndarray:
    return trimesh.transformations.rotation_matrix(angle_rad, axis)


def _cylinder(radius, height, centre, axis, rgb, sections=24) -> Surface:
    """Cylinder along 'x', 'y' or 'z' centred at ``centre``."""
    rot = {"x": _rotation([0, 1, 0], np.pi / 2), "y": _rotation([1, 0, 0], np.pi / 2), "z": np.eye(4)}[axis]
    mesh = trimesh.creation.cylinder(radius=radius, height=height, sections=sections)
    mesh.apply_transform(_translate(centre) @ rot)
    return _part(mesh, rgb)


def _frustum(bottom, top, y0, y1, z_shift_top, rgb) -> Surface:
    """A box whose top face is smaller and shifted along z: (width, length) at bottom and top."""
    (bw, bl), (tw, tl) = bottom, top
    corners = []
    for y, (w, l), dz in ((y0, (bw, bl), 0.0), (y1, (tw, tl), z_shift_top)):
        for sx in (-1, 1):
            for sz in (-1, 1):
                corners.append([sx * w / 2, y, sz * l / 2 + dz])
    return _part(trimesh.convex.convex_hull(np.array(corners)), rgb)


def make_car(rng: np.random.Generator) -> Surface:
    kind = rng.choice(["sedan", "hatchback", "pickup", "van", "sports"])
    length = rng.uniform(1.7, 2.4)
    width = rng.uniform(0.78, 0.95)
    wheel_r = rng.uniform(0.15, 0.23)
    clearance = wheel_r * rng.uniform(0.55, 0.8)
    body_h = rng.uniform(0.25, 0.42) * (0.8 if kind == "sports" else 1.0)
    paint = _colour(rng)
    glass = (0.12, 0.16, 0.22)
    parts = [_box([width, body_h, length], [0, clearance + body_h / 2, 0], paint)]
    top = clearance + body_h
    cabin_h = {"sedan": 0.3, "hatchback": 0.32, "pickup": 0.33, "van": 0.5, "sports": 0.22}[kind]
    cabin_h *= rng.uniform(0.85, 1.15)
    if kind == "van":
        cab_len, cab_z = length * rng.uniform(0.75, 0.85), -length * 0.06
    elif kind == "pickup":
        cab_len, cab_z = length * rng.uniform(0.3, 0.38), length * 0.12
        bed_len = length / 2 - cab_z - cab_len / 2
        wall = 0.04
        bed_z = -length / 2 + (length / 2 + cab_z - cab_len / 2) / 2
        bed_span = length / 2 + cab_z - cab_len / 2
        for sx in (-1, 1):
            parts.append(_box([wall, 0.14, bed_span], [sx * (width / 2 - wall / 2), top + 0.07, bed_z], paint))
        parts.append(_box([width, 0.14, wall], [0, top + 0.07, -length / 2 + wall / 2], paint))
        del bed_len
    elif kind == "hatchback":
        cab_len, cab_z = length * rng.uniform(0.45, 0.55), -length * rng.uniform(0.08, 0.14)
    else:
        cab_len, cab_z = length * rng.uniform(0.4, 0.52), -length * rng.uniform(-0.02, 0.08)
    taper = rng.uniform(0.55, 0.85) if kind != "van" else rng.uniform(0.85, 0.95)
    parts.append(
        _frustum((width * 0.92, cab_len), (width * 0.8, cab_len * taper), top, top + cabin_h * 0.9,
                 -cab_len * (1 - taper) * rng.uniform(0.0, 0.5), glass)
    )
    parts.append(_box([width * 0.8, cabin_h * 0.1, cab_len * taper * 0.95],
                      [0, top + cabin_h * 0.95, cab_z - cab_len * (1 - taper) * 0.2], paint))
    parts[-2].vertices[:, 2] += cab_z
    # Lights make front and back distinguishable: white-yellow front, red rear.
    light_y = clearance + body_h * 0.7
    for sx in (-1, 1):
        parts.append(_box([width * 0.18, body_h * 0.2, 0.03], [sx * width * 0.33, light_y, length / 2 + 0.01], (1.0, 0.95, 0.6)))
        parts.append(_box([width * 0.18, body_h * 0.2, 0.03], [sx * width * 0.33, light_y, -length / 2 - 0.01], (0.85, 0.05, 0.05)))
    tyre, hub = (0.08, 0.08, 0.08), (0.75, 0.75, 0.78)
    axle = length / 2 - wheel_r * rng.uniform(1.3, 1.8)
    tread = rng.uniform(0.14, 0.22)
    for z in (axle, -axle):
        for sx in (-1, 1):
            x = sx * (width / 2 - tread / 2 + 0.02)
            parts.append(_cylinder(wheel_r, tread, [x, wheel_r, z], "x", tyre, sections=20))
            parts.append(_cylinder(wheel_r * 0.55, 0.02, [x + sx * tread / 2, wheel_r, z], "x", hub, sections=16))
    return concatenate(parts)


def make_chair(rng: np.random.Generator) -> Surface:
    seat_w, seat_d = rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.1)
    seat_h, seat_t = rng.uniform(0.8, 1.1), rng.uniform(0.06, 0.14)
    wood = _colour(rng, sat=(0.3, 0.8), val=(0.3, 0.8), hue=rng.uniform(0.04, 0.12))
    fabric = _colour(rng)
    frame = wood if rng.uniform() < 0.6 else _colour(rng, sat=(0.0, 0.3), val=(0.15, 0.6))
    parts = [_box([seat_w, seat_t, seat_d], [0, seat_h, 0], fabric)]
    legs = rng.choice(["four", "four_round", "pedestal", "sled"])
    leg_t = rng.uniform(0.05, 0.1)
    leg_len = seat_h - seat_t / 2
    if legs in ("four", "four_round"):
        for sx in (-1, 1):
            for sz in (-1, 1):
                c = [sx * (seat_w / 2 - leg_t), leg_len / 2, sz * (seat_d / 2 - leg_t)]
                if legs == "four":
                    parts.append(_box([leg_t, leg_len, leg_t], c, frame))
                else:
                    parts.append(_cylinder(leg_t / 2, leg_len, c, "y", frame, sections=10))
    elif legs == "pedestal":
        parts.append(_cylinder(leg_t * 0.7, leg_len, [0, leg_len / 2, 0], "y", frame, sections=12))
        arms = int(rng.integers(4, 6))
        for k in range(arms):
            angle = 2 * np.pi * k / arms
            spoke = trimesh.creation.box(extents=[0.06, 0.05, seat_w * 0.5])
            spoke.apply_transform(_rotation([0, 1, 0], angle) @ _translate([0, 0.05, seat_w * 0.25]))
            parts.append(_part(spoke, frame))
    else:  # sled: two side frames
        for sx in (-1, 1):
            x = sx * (seat_w / 2 - leg_t / 2)
            parts.append(_box([leg_t, leg_t, seat_d], [x, leg_t / 2, 0], frame))
            for sz in (-1, 1):
                parts.append(_box([leg_t, leg_len, leg_t], [x, leg_len / 2, sz * (seat_d / 2 - leg_t)], frame))
    back = rng.choice(["solid", "slats", "ladder", "low"])
    back_h = rng.uniform(0.35, 0.5) if back == "low" else rng.uniform(0.7, 1.3)
    back_t = rng.uniform(0.05, 0.1)
    back_z = -seat_d / 2 + back_t / 2
    base = seat_h + seat_t / 2
    if back in ("solid", "low"):
        parts.append(_box([seat_w, back_h, back_t], [0, base + back_h / 2, back_z], fabric))
    else:
        for sx in (-1, 1):
            parts.append(_box([0.07, back_h, back_t], [sx * (seat_w / 2 - 0.035), base + back_h / 2, back_z], frame))
        parts.append(_box([seat_w, 0.1, back_t], [0, base + back_h - 0.05, back_z], frame))
        count = int(rng.integers(2, 5))
        for k in range(count):
            if back == "slats":
                x = (k + 1) / (count + 1) * seat_w - seat_w / 2
                parts.append(_box([0.05, back_h, back_t * 0.8], [x, base + back_h / 2, back_z], frame))
            else:
                y = base + (k + 1) / (count + 1) * back_h * 0.9
                parts.append(_box([seat_w, 0.05, back_t * 0.8], [0, y, back_z], frame))
    if rng.uniform() < 0.4:  # arms
        arm_h = rng.uniform(0.2, 0.35)
        for sx in (-1, 1):
            x = sx * (seat_w / 2 + 0.04)
            parts.append(_box([0.08, 0.06, seat_d * 0.9], [x, base + arm_h, 0], frame))
            parts.append(_box([0.06, arm_h, 0.06], [x, base + arm_h / 2, seat_d * 0.35], frame))
    return concatenate(parts)


def make_mug(rng: np.random.Generator) -> Surface:
    radius, height = rng.uniform(0.3, 0.5), rng.uniform(0.6, 1.2)
    wall = rng.uniform(0.03, 0.06)
    taper = rng.uniform(0.8, 1.15)  # top radius / bottom radius
    body, inner = _colour(rng), _colour(rng, sat=(0.0, 0.2), val=(0.7, 1.0))
    r_top = radius * taper
    # Closed profile in (radius, height) revolved about the vertical axis: outer wall, rim, inner wall.
    outer = np.array([[0, 0], [radius, 0], [r_top, height]])
    inside = np.array([[r_top - wall, height], [radius - wall, wall], [0, wall]])
    parts = [
        _part(_revolve(outer), body),
        _part(_revolve(np.array([[r_top, height], [r_top - wall, height]])), body),
        _part(_revolve(inside), inner),
    ]
    if rng.uniform() < 0.5:  # a band of another colour
        y0 = rng.uniform(0.2, 0.6) * height
        band_h = rng.uniform(0.08, 0.2) * height
        r0 = radius + (r_top - radius) * y0 / height
        r1 = radius + (r_top - radius) * (y0 + band_h) / height
        parts.append(_part(_revolve(np.array([[r0 * 1.01, y0], [r1 * 1.01, y0 + band_h]])), _colour(rng)))
    if rng.uniform() < 0.8:  # most mugs have a handle, on either side, round or square
        side = rng.choice([-1.0, 1.0])
        handle_r = rng.uniform(0.16, 0.3) * height
        thick = rng.uniform(0.03, 0.06)
        y = height * rng.uniform(0.45, 0.55)
        r_mid = radius + (r_top - radius) * y / height
        if rng.uniform() < 0.6:
            torus = trimesh.creation.torus(handle_r, thick, major_sections=24, minor_sections=8)
            # trimesh's torus lies in the xy plane: upright, radial, half inside the wall.
            torus.apply_transform(_translate([side * r_mid, y, 0]))
            parts.append(_part(torus, body))
        else:
            reach = handle_r * 1.1
            for dy in (-handle_r, handle_r):
                parts.append(_box([reach, thick * 2, thick * 2], [side * (r_mid + reach / 2 - 0.02), y + dy * 0.8, 0], body))
            parts.append(_box([thick * 2, handle_r * 1.6 + thick * 2, thick * 2], [side * (r_mid + reach), y, 0], body))
    return concatenate(parts)


def _revolve(profile_xy: np.ndarray, sections: int = 40) -> trimesh.Trimesh:
    """Revolve a (radius, height) polyline about the y axis."""
    mesh = trimesh.creation.revolve(profile_xy, sections=sections)  # about z, profile in x-z
    mesh.apply_transform(_rotation([1, 0, 0], -np.pi / 2))  # z up -> y up
    return mesh


_MAKERS = {"car": make_car, "chair": make_chair, "mug": make_mug}


def make_model(category: str, seed: int, index: int) -> Surface:
    """The ``index``-th model of a procedural category for ``seed``."""
    if category not in _MAKERS:
        raise ValueError(f"unknown procedural category {category!r}; choose from {', '.join(CATEGORIES)}")
    return _MAKERS[category](_rng(category, seed, index))
