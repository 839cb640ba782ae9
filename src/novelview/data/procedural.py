"""The built-in data: seeded, parametric objects, so everything runs with no download.

Every model is a function of (category, seed, index) alone, built from numpy arithmetic and
trimesh primitives, so the same command gives the same bytes. Frame: y up, the object's front
towards +z. The parts that make a new view hard to predict are all here: a mug's handle (present
or not, on either side, round or square), a chair's back, arms and legs, a car's cabin position,
lights (front white, rear red) and wheels. Tables, sofas, bottles, lamps and airplanes live in
``procedural_furniture``, ``procedural_household`` and ``procedural_airplane``.

Two appearances: "plain" (each part one flat colour; what every existing data set and the shipped
weights were made with, kept byte-identical) and "varied" (seeded textures per material and a
per-model lighting, ``novelview.data.appearance``; the same shapes, drawn from a separate stream).
"""

from __future__ import annotations

import numpy as np
import trimesh

from novelview.data import appearance
from novelview.data.procedural_airplane import make_airplane
from novelview.data.procedural_furniture import make_sofa, make_table
from novelview.data.procedural_household import make_bottle, make_lamp
from novelview.data.procedural_parts import (Material, Part, box, colour, cylinder, frustum, part, revolve, rotation,
                                             translate)
from novelview.data.surface import Surface, concatenate, solid

# ``procedural:all`` means these three (the shipped weights' provenance names it); their codes,
# and so their seeds, never change. New categories take new codes after them.
CATEGORIES = ("car", "chair", "mug")
NEW_CATEGORIES = ("table", "sofa", "bottle", "lamp", "airplane")
EVERY_CATEGORY = CATEGORIES + NEW_CATEGORIES
_CATEGORY_CODE = {name: i + 1 for i, name in enumerate(EVERY_CATEGORY)}
APPEARANCES = ("plain", "varied")
HEADLIGHT = Material((1.0, 0.95, 0.6), "light")
TAIL_LIGHT = Material((0.85, 0.05, 0.05), "light")


def _rng(category: str, seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), _CATEGORY_CODE[category], int(index)])


def make_car(rng: np.random.Generator) -> list[Part]:
    kind = rng.choice(["sedan", "hatchback", "pickup", "van", "sports"])
    length = rng.uniform(1.7, 2.4)
    width = rng.uniform(0.78, 0.95)
    wheel_r = rng.uniform(0.15, 0.23)
    clearance = wheel_r * rng.uniform(0.55, 0.8)
    body_h = rng.uniform(0.25, 0.42) * (0.8 if kind == "sports" else 1.0)
    paint = Material(colour(rng), "paint")
    glass = Material((0.12, 0.16, 0.22), "glass")
    parts = [box([width, body_h, length], [0, clearance + body_h / 2, 0], paint)]
    top = clearance + body_h
    cabin_h = {"sedan": 0.3, "hatchback": 0.32, "pickup": 0.33, "van": 0.5, "sports": 0.22}[kind]
    cabin_h *= rng.uniform(0.85, 1.15)
    if kind == "van":
        cab_len, cab_z = length * rng.uniform(0.75, 0.85), -length * 0.06
    elif kind == "pickup":
        cab_len, cab_z = length * rng.uniform(0.3, 0.38), length * 0.12
        wall = 0.04
        bed_z = -length / 2 + (length / 2 + cab_z - cab_len / 2) / 2
        bed_span = length / 2 + cab_z - cab_len / 2
        for sx in (-1, 1):
            parts.append(box([wall, 0.14, bed_span], [sx * (width / 2 - wall / 2), top + 0.07, bed_z], paint))
        parts.append(box([width, 0.14, wall], [0, top + 0.07, -length / 2 + wall / 2], paint))
    elif kind == "hatchback":
        cab_len, cab_z = length * rng.uniform(0.45, 0.55), -length * rng.uniform(0.08, 0.14)
    else:
        cab_len, cab_z = length * rng.uniform(0.4, 0.52), -length * rng.uniform(-0.02, 0.08)
    taper = rng.uniform(0.55, 0.85) if kind != "van" else rng.uniform(0.85, 0.95)
    parts.append(
        frustum((width * 0.92, cab_len), (width * 0.8, cab_len * taper), top, top + cabin_h * 0.9,
                 -cab_len * (1 - taper) * rng.uniform(0.0, 0.5), glass)
    )
    parts.append(box([width * 0.8, cabin_h * 0.1, cab_len * taper * 0.95],
                      [0, top + cabin_h * 0.95, cab_z - cab_len * (1 - taper) * 0.2], paint))
    parts[-2].vertices[:, 2] += cab_z
    # Lights make front and back distinguishable: white-yellow front, red rear.
    light_y = clearance + body_h * 0.7
    for sx in (-1, 1):
        parts.append(box([width * 0.18, body_h * 0.2, 0.03], [sx * width * 0.33, light_y, length / 2 + 0.01], HEADLIGHT))
        parts.append(box([width * 0.18, body_h * 0.2, 0.03], [sx * width * 0.33, light_y, -length / 2 - 0.01], TAIL_LIGHT))
    tyre, hub = Material((0.08, 0.08, 0.08), "rubber"), Material((0.75, 0.75, 0.78), "metal")
    axle = length / 2 - wheel_r * rng.uniform(1.3, 1.8)
    tread = rng.uniform(0.14, 0.22)
    for z in (axle, -axle):
        for sx in (-1, 1):
            x = sx * (width / 2 - tread / 2 + 0.02)
            parts.append(cylinder(wheel_r, tread, [x, wheel_r, z], "x", tyre, sections=20))
            parts.append(cylinder(wheel_r * 0.55, 0.02, [x + sx * tread / 2, wheel_r, z], "x", hub, sections=16))
    return parts


def make_chair(rng: np.random.Generator) -> list[Part]:
    seat_w, seat_d = rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.1)
    seat_h, seat_t = rng.uniform(0.8, 1.1), rng.uniform(0.06, 0.14)
    wood = Material(colour(rng, sat=(0.3, 0.8), val=(0.3, 0.8), hue=rng.uniform(0.04, 0.12)), "wood")
    fabric = Material(colour(rng), "fabric")
    frame = wood if rng.uniform() < 0.6 else Material(colour(rng, sat=(0.0, 0.3), val=(0.15, 0.6)), "metal")
    parts = [box([seat_w, seat_t, seat_d], [0, seat_h, 0], fabric)]
    legs = rng.choice(["four", "four_round", "pedestal", "sled"])
    leg_t = rng.uniform(0.05, 0.1)
    leg_len = seat_h - seat_t / 2
    if legs in ("four", "four_round"):
        for sx in (-1, 1):
            for sz in (-1, 1):
                c = [sx * (seat_w / 2 - leg_t), leg_len / 2, sz * (seat_d / 2 - leg_t)]
                if legs == "four":
                    parts.append(box([leg_t, leg_len, leg_t], c, frame))
                else:
                    parts.append(cylinder(leg_t / 2, leg_len, c, "y", frame, sections=10))
    elif legs == "pedestal":
        parts.append(cylinder(leg_t * 0.7, leg_len, [0, leg_len / 2, 0], "y", frame, sections=12))
        arms = int(rng.integers(4, 6))
        for k in range(arms):
            angle = 2 * np.pi * k / arms
            spoke = trimesh.creation.box(extents=[0.06, 0.05, seat_w * 0.5])
            spoke.apply_transform(rotation([0, 1, 0], angle) @ translate([0, 0.05, seat_w * 0.25]))
            parts.append(part(spoke, frame))
    else:  # sled: two side frames
        for sx in (-1, 1):
            x = sx * (seat_w / 2 - leg_t / 2)
            parts.append(box([leg_t, leg_t, seat_d], [x, leg_t / 2, 0], frame))
            for sz in (-1, 1):
                parts.append(box([leg_t, leg_len, leg_t], [x, leg_len / 2, sz * (seat_d / 2 - leg_t)], frame))
    back = rng.choice(["solid", "slats", "ladder", "low"])
    back_h = rng.uniform(0.35, 0.5) if back == "low" else rng.uniform(0.7, 1.3)
    back_t = rng.uniform(0.05, 0.1)
    back_z = -seat_d / 2 + back_t / 2
    base = seat_h + seat_t / 2
    if back in ("solid", "low"):
        parts.append(box([seat_w, back_h, back_t], [0, base + back_h / 2, back_z], fabric))
    else:
        for sx in (-1, 1):
            parts.append(box([0.07, back_h, back_t], [sx * (seat_w / 2 - 0.035), base + back_h / 2, back_z], frame))
        parts.append(box([seat_w, 0.1, back_t], [0, base + back_h - 0.05, back_z], frame))
        count = int(rng.integers(2, 5))
        for k in range(count):
            if back == "slats":
                x = (k + 1) / (count + 1) * seat_w - seat_w / 2
                parts.append(box([0.05, back_h, back_t * 0.8], [x, base + back_h / 2, back_z], frame))
            else:
                y = base + (k + 1) / (count + 1) * back_h * 0.9
                parts.append(box([seat_w, 0.05, back_t * 0.8], [0, y, back_z], frame))
    if rng.uniform() < 0.4:  # arms
        arm_h = rng.uniform(0.2, 0.35)
        for sx in (-1, 1):
            x = sx * (seat_w / 2 + 0.04)
            parts.append(box([0.08, 0.06, seat_d * 0.9], [x, base + arm_h, 0], frame))
            parts.append(box([0.06, arm_h, 0.06], [x, base + arm_h / 2, seat_d * 0.35], frame))
    return parts


def make_mug(rng: np.random.Generator) -> list[Part]:
    radius, height = rng.uniform(0.3, 0.5), rng.uniform(0.6, 1.2)
    wall = rng.uniform(0.03, 0.06)
    taper = rng.uniform(0.8, 1.15)  # top radius / bottom radius
    body = Material(colour(rng), "ceramic")
    inner = Material(colour(rng, sat=(0.0, 0.2), val=(0.7, 1.0)), "glaze")
    r_top = radius * taper
    # Closed profile in (radius, height) revolved about the vertical axis: outer wall, rim, inner wall.
    outer = np.array([[0, 0], [radius, 0], [r_top, height]])
    inside = np.array([[r_top - wall, height], [radius - wall, wall], [0, wall]])
    parts = [
        revolve(outer, body),
        revolve(np.array([[r_top, height], [r_top - wall, height]]), body),
        revolve(inside, inner),
    ]
    if rng.uniform() < 0.5:  # a band of another colour
        y0 = rng.uniform(0.2, 0.6) * height
        band_h = rng.uniform(0.08, 0.2) * height
        r0 = radius + (r_top - radius) * y0 / height
        r1 = radius + (r_top - radius) * (y0 + band_h) / height
        parts.append(revolve(np.array([[r0 * 1.01, y0], [r1 * 1.01, y0 + band_h]]), Material(colour(rng), "label")))
    if rng.uniform() < 0.8:  # most mugs have a handle, on either side, round or square
        side = rng.choice([-1.0, 1.0])
        handle_r = rng.uniform(0.16, 0.3) * height
        thick = rng.uniform(0.03, 0.06)
        y = height * rng.uniform(0.45, 0.55)
        r_mid = radius + (r_top - radius) * y / height
        if rng.uniform() < 0.6:
            torus = trimesh.creation.torus(handle_r, thick, major_sections=24, minor_sections=8)
            # trimesh's torus lies in the xy plane: upright, radial, half inside the wall.
            torus.apply_transform(translate([side * r_mid, y, 0]))
            parts.append(part(torus, body))
        else:
            reach = handle_r * 1.1
            for dy in (-handle_r, handle_r):
                parts.append(box([reach, thick * 2, thick * 2], [side * (r_mid + reach / 2 - 0.02), y + dy * 0.8, 0], body))
            parts.append(box([thick * 2, handle_r * 1.6 + thick * 2, thick * 2], [side * (r_mid + reach), y, 0], body))
    return parts




_MAKERS = {"car": make_car, "chair": make_chair, "mug": make_mug, "table": make_table, "sofa": make_sofa,
           "bottle": make_bottle, "lamp": make_lamp, "airplane": make_airplane}


def make_model(category: str, seed: int, index: int, appearance_name: str = "plain") -> Surface:
    """The ``index``-th model of a procedural category for ``seed``, in the given appearance."""
    if category not in _MAKERS:
        raise ValueError(f"unknown procedural category {category!r}; choose from {', '.join(EVERY_CATEGORY)}")
    if appearance_name not in APPEARANCES:
        raise ValueError(f"unknown procedural appearance {appearance_name!r}; choose from {', '.join(APPEARANCES)}")
    parts = _MAKERS[category](_rng(category, seed, index))
    if appearance_name == "plain":
        return concatenate([solid(p.vertices, p.faces, p.material.rgb) for p in parts])
    # A stream of its own: the varied look never moves a shape's draws.
    look = np.random.default_rng([int(seed), _CATEGORY_CODE[category], int(index), 0xA11CE])
    return appearance.dress(parts, look)
