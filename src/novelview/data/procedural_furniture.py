"""Procedural tables and sofas (y up, front towards +z, the floor at y = 0).

Tables: a rectangular, square, round or oval top on four legs (square or round, with or without
an apron and a shelf), a pedestal (disc or spider foot) or two trestles. Sofas: a plinth on short
legs or on the floor, one to three seat cushions, a back of cushions or one block, arms that are
square, rolled, thin or absent.
"""

from __future__ import annotations

import numpy as np

from novelview.data.procedural_parts import Material, Part, box, colour, cylinder, hull, rod, rotation


def _wood(rng: np.random.Generator) -> Material:
    return Material(colour(rng, sat=(0.3, 0.8), val=(0.3, 0.8), hue=rng.uniform(0.04, 0.12)), "wood")


def _metal(rng: np.random.Generator) -> Material:
    return Material(colour(rng, sat=(0.0, 0.15), val=(0.15, 0.8)), "metal")


def _table_top(shape: str, width: float, depth: float, y: float, thick: float, material: Material) -> Part:
    if shape in ("round", "oval"):
        top = cylinder(width / 2, thick, [0, y, 0], "y", material, sections=40)
        top.vertices[:, 2] *= depth / width  # an oval is a squashed disc
        return top
    return box([width, thick, depth], [0, y, 0], material)


def make_table(rng: np.random.Generator) -> list[Part]:
    shape = rng.choice(["rect", "square", "round", "oval"])
    base = rng.choice(["legs", "legs", "pedestal", "trestle"])
    width = rng.uniform(1.0, 2.0) if shape in ("rect", "oval") else rng.uniform(0.8, 1.3)
    depth = width * (rng.uniform(0.5, 0.75) if shape in ("rect", "oval") else 1.0)
    height = rng.uniform(0.65, 0.95) * (rng.uniform(0.45, 0.6) if rng.uniform() < 0.2 else 1.0)  # some coffee tables
    thick = rng.uniform(0.03, 0.08)
    top_material = _wood(rng) if rng.uniform() < 0.75 else Material(colour(rng, sat=(0.0, 0.2)), "stone")
    frame = _wood(rng) if rng.uniform() < 0.6 else _metal(rng)  # stained or painted apart from the top
    parts = [_table_top(shape, width, depth, height - thick / 2, thick, top_material)]
    under = height - thick
    round_top = shape in ("round", "oval")
    if base == "legs":
        leg = rng.uniform(0.04, 0.08)
        round_legs = rng.uniform() < 0.5
        inset = 0.3 if round_top else rng.uniform(0.02, 0.1)
        half_x, half_z = width / 2 * (1 - inset) - leg, depth / 2 * (1 - inset) - leg
        splay = rng.uniform(0.0, 0.06) if round_legs else 0.0
        for sx in (-1, 1):
            for sz in (-1, 1):
                top, foot = [sx * half_x, under, sz * half_z], [sx * (half_x + splay), 0, sz * (half_z + splay)]
                if round_legs:
                    parts.append(rod(foot, top, leg / 2, frame))
                else:
                    parts.append(box([leg, under, leg], [sx * half_x, under / 2, sz * half_z], frame))
        if rng.uniform() < 0.6:  # an apron under the top
            apron_h = rng.uniform(0.06, 0.12)
            y = under - apron_h / 2
            parts.append(box([2 * half_x, apron_h, leg * 0.6], [0, y, half_z], frame))
            parts.append(box([2 * half_x, apron_h, leg * 0.6], [0, y, -half_z], frame))
            parts.append(box([leg * 0.6, apron_h, 2 * half_z], [half_x, y, 0], frame))
            parts.append(box([leg * 0.6, apron_h, 2 * half_z], [-half_x, y, 0], frame))
        if rng.uniform() < 0.3:  # a low shelf
            shelf_y = under * rng.uniform(0.15, 0.3)
            parts.append(box([2 * half_x, thick * 0.7, 2 * half_z], [0, shelf_y, 0], top_material))
    elif base == "pedestal":
        column = rng.uniform(0.05, 0.12)
        parts.append(cylinder(column, under, [0, under / 2, 0], "y", frame, sections=20))
        if rng.uniform() < 0.5:
            foot = min(width, depth) * rng.uniform(0.25, 0.4)
            parts.append(cylinder(foot, 0.04, [0, 0.02, 0], "y", frame, sections=32))
        else:  # a spider foot: three to five splayed feet
            feet = int(rng.integers(3, 6))
            reach = min(width, depth) * rng.uniform(0.3, 0.45)
            for k in range(feet):
                spoke = hull([[x, y, 0] for x in (-0.03, 0.03) for y in (0, 0.12)]
                             + [[x, y, reach] for x in (-0.025, 0.025) for y in (0, 0.04)], frame)
                turn = rotation([0, 1, 0], 2 * np.pi * k / feet + np.pi / feet)
                spoke.vertices = spoke.vertices @ turn[:3, :3].T
                parts.append(spoke)
    else:  # trestle: an upright plank and a foot at each end, a stretcher between
        plank_w = depth * rng.uniform(0.15, 0.3)
        x = width / 2 * rng.uniform(0.65, 0.8)
        for sx in (-1, 1):
            parts.append(box([0.06, under, plank_w], [sx * x, under / 2, 0], frame))
            parts.append(box([0.09, 0.06, depth * 0.8], [sx * x, 0.03, 0], frame))
            parts.append(box([0.08, 0.05, depth * 0.7], [sx * x, under - 0.025, 0], frame))
        parts.append(box([2 * x, 0.07, 0.05], [0, under * rng.uniform(0.25, 0.5), 0], frame))
    return parts


def _rolled_arm(length: float, radius: float, x: float, y: float, material: Material) -> Part:
    return cylinder(radius, length, [x, y, 0], "z", material, sections=20)


def _tapered_leg(foot, radius: float, height: float, material: Material) -> Part:
    """A round leg, thicker at the top, standing on ``foot`` (x, 0, z)."""
    angles = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    ring = np.column_stack([np.cos(angles), np.zeros_like(angles), np.sin(angles)])
    points = np.concatenate([ring * radius * 0.5, ring * radius + [0, height, 0]]) + np.asarray(foot)
    return hull(points, material)


def make_sofa(rng: np.random.Generator) -> list[Part]:
    seats = int(rng.choice([1, 2, 2, 3, 3]))
    seat_w = rng.uniform(0.55, 0.75)
    arm_kind = rng.choice(["square", "rolled", "thin", "none"])
    arm_w = {"square": rng.uniform(0.15, 0.25), "rolled": rng.uniform(0.15, 0.22), "thin": 0.06, "none": 0.0}[arm_kind]
    depth = rng.uniform(0.8, 1.0)
    legs = rng.choice(["block", "tapered", "none"])
    leg_h = 0.0 if legs == "none" else rng.uniform(0.06, 0.16)
    plinth_h = rng.uniform(0.15, 0.25)
    cushion_h = rng.uniform(0.1, 0.18)
    back_h = rng.uniform(0.45, 0.7)
    back_t = rng.uniform(0.15, 0.25)
    inner_w = seats * seat_w
    total_w = inner_w + 2 * arm_w
    upholstery = Material(colour(rng, sat=(0.1, 0.7), val=(0.25, 0.85)), "fabric" if rng.uniform() < 0.7 else "leather")
    # Cushions: the cover's colour or another; always a material of their own (the varied look
    # may cover them in a different fabric).
    cushion_rgb = upholstery.rgb if rng.uniform() < 0.6 else colour(rng, sat=(0.1, 0.7), val=(0.3, 0.9))
    cushion = Material(cushion_rgb, "cushion")
    leg_material = Material(colour(rng, sat=(0.3, 0.8), val=(0.2, 0.6), hue=rng.uniform(0.04, 0.12)), "wood") \
        if rng.uniform() < 0.6 else Material(colour(rng, sat=(0.0, 0.1), val=(0.1, 0.7)), "metal")
    seat_top = leg_h + plinth_h
    parts = [box([total_w, plinth_h, depth], [0, leg_h + plinth_h / 2, 0], upholstery)]
    cushion_d = depth - back_t
    for k in range(seats):  # seat cushions, with a small gap between them
        x = -inner_w / 2 + (k + 0.5) * seat_w
        parts.append(box([seat_w - 0.02, cushion_h, cushion_d - 0.02],
                         [x, seat_top + cushion_h / 2, depth / 2 - cushion_d / 2], cushion))
    back_base = seat_top
    back_z = -depth / 2 + back_t / 2
    if rng.uniform() < 0.5:  # one upholstered block
        block_h = back_h + cushion_h
        parts.append(box([inner_w, block_h, back_t], [0, back_base + block_h / 2, back_z], upholstery))
    else:  # a cushion per seat leaning on a lower frame
        parts.append(box([inner_w, cushion_h + back_h * 0.5, back_t * 0.6],
                         [0, back_base + (cushion_h + back_h * 0.5) / 2, -depth / 2 + back_t * 0.3], upholstery))
        for k in range(seats):
            x = -inner_w / 2 + (k + 0.5) * seat_w
            c = hull([[x - seat_w / 2 + 0.01, back_base + cushion_h, -depth / 2 + back_t * 0.6],
                      [x + seat_w / 2 - 0.01, back_base + cushion_h, -depth / 2 + back_t * 0.6],
                      [x - seat_w / 2 + 0.01, back_base + cushion_h, -depth / 2 + back_t * 1.6],
                      [x + seat_w / 2 - 0.01, back_base + cushion_h, -depth / 2 + back_t * 1.6],
                      [x - seat_w / 2 + 0.01, back_base + cushion_h + back_h, -depth / 2 + back_t * 0.8],
                      [x + seat_w / 2 - 0.01, back_base + cushion_h + back_h, -depth / 2 + back_t * 0.8],
                      [x - seat_w / 2 + 0.01, back_base + cushion_h + back_h, -depth / 2],
                      [x + seat_w / 2 - 0.01, back_base + cushion_h + back_h, -depth / 2]], cushion)
            parts.append(c)
    if arm_kind != "none":
        arm_h = cushion_h + rng.uniform(0.1, 0.25)
        for sx in (-1, 1):
            x = sx * (inner_w / 2 + arm_w / 2)
            if arm_kind == "rolled":
                low = arm_h - arm_w / 2  # the box under the roll
                parts.append(box([arm_w, low, depth], [x, seat_top + low / 2, 0], upholstery))
                parts.append(_rolled_arm(depth, arm_w * 0.6, x, seat_top + arm_h - arm_w / 2, upholstery))
            else:
                parts.append(box([arm_w, arm_h, depth], [x, seat_top + arm_h / 2, 0], upholstery))
    if legs != "none":
        leg_t = rng.uniform(0.04, 0.07)
        for sx in (-1, 1):
            for sz in (-1, 1):
                foot = [sx * (total_w / 2 - leg_t * 1.5), 0, sz * (depth / 2 - leg_t * 1.5)]
                if legs == "block":
                    parts.append(box([leg_t, leg_h, leg_t], [foot[0], leg_h / 2, foot[2]], leg_material))
                else:
                    parts.append(_tapered_leg(foot, leg_t * 0.6, leg_h, leg_material))
    return parts
