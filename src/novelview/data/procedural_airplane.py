"""Procedural airplanes: the nose towards +z, y up, the wings spread along x.

Three kinds: an airliner (low swept wings, two or four engines under them or two beside the
tail, a conventional or T tail), a light plane (high or low straight wings, a propeller, a
canopy) and a jet fighter (delta or swept wings far back, one or two fins, a bubble canopy).
The fuselage is a revolved profile with a rounded nose and a tapering tail cone.
"""

from __future__ import annotations

import numpy as np

from novelview.data.procedural_parts import Material, Part, box, colour, cylinder, hull, revolve


def _fuselage(length: float, radius: float, nose: float, tail: float, material: Material) -> Part:
    """A body of revolution along z from -length/2 (tail) to +length/2 (nose)."""
    t = np.linspace(0, 1, 8)
    tail_z = -length / 2 + tail * length * t
    tail_r = radius * (0.15 + 0.85 * np.sin(t * np.pi / 2))
    nose_z = length / 2 - nose * length * (1 - t)
    nose_r = radius * np.sqrt(np.clip(1 - t**2, 0, 1))
    profile = np.column_stack([np.concatenate([[0.0], tail_r, nose_r]),
                               np.concatenate([[-length / 2], tail_z, nose_z])])
    profile[-1, 0] = 0.0
    # revolve runs the profile's height along +y; along_z turns that to +z (the nose).
    return revolve(profile, material, sections=28, along_z=True)


def _wing(root_z: float, root_chord: float, tip_chord: float, span: float, sweep: float, dihedral: float,
          y: float, thickness: float, side: int, material: Material, x0: float = 0.0) -> Part:
    """One tapered, swept wing from the body (x = x0) outwards to x = side * span."""
    points = []
    for x, chord, dz, dy in ((x0, root_chord, 0.0, 0.0), (span, tip_chord, -sweep, dihedral)):
        lead = root_z + dz + root_chord / 2
        for z in (lead, lead - chord):
            for t in (-thickness / 2, thickness / 2):
                points.append([side * x, y + dy + t * (chord / root_chord), z])
    return hull(points, material)


def _fin(root_z: float, root_chord: float, tip_chord: float, height: float, sweep: float, y: float,
         thickness: float, material: Material, x: float = 0.0) -> Part:
    """A vertical tail surface rising from y."""
    points = []
    for dy, chord, dz in ((0.0, root_chord, 0.0), (height, tip_chord, -sweep)):
        lead = root_z + dz + root_chord / 2
        for z in (lead, lead - chord):
            for t in (-thickness / 2, thickness / 2):
                points.append([x + t, y + dy, z])
    return hull(points, material)


def make_airplane(rng: np.random.Generator) -> list[Part]:
    kind = rng.choice(["airliner", "light", "jet"])
    body = Material(colour(rng, sat=(0.0, 0.3), val=(0.7, 0.98)), "livery" if kind == "airliner" else "paint")
    wing_material = Material(colour(rng, sat=(0.0, 0.2), val=(0.5, 0.9)), "metal")
    trim = Material(colour(rng), "paint")
    glass = Material((0.12, 0.16, 0.22), "glass")
    if kind == "airliner":
        length, radius = rng.uniform(3.0, 4.0), rng.uniform(0.17, 0.24)
        parts = [_fuselage(length, radius, rng.uniform(0.07, 0.1), rng.uniform(0.2, 0.28), body)]
        span, sweep = length * rng.uniform(0.4, 0.52), rng.uniform(0.3, 0.6) * length * 0.3
        root, tip = length * rng.uniform(0.16, 0.22), length * rng.uniform(0.04, 0.07)
        wing_z, wing_y = length * rng.uniform(0.0, 0.08), -radius * 0.55
        for side in (-1, 1):
            parts.append(_wing(wing_z, root, tip, span, sweep, span * 0.08, wing_y, radius * 0.35, side, wing_material))
        engines = rng.choice(["two", "four", "rear"])
        nacelle_r, nacelle_l = radius * rng.uniform(0.45, 0.6), length * rng.uniform(0.1, 0.14)
        engine_material = Material(colour(rng, sat=(0.0, 0.2), val=(0.4, 0.9)), "metal")
        spots = {"two": [0.35], "four": [0.3, 0.62], "rear": []}[engines]
        for fraction in spots:
            for side in (-1, 1):
                x = side * span * fraction
                z = wing_z + root / 2 - sweep * fraction + nacelle_l * 0.35
                parts.append(cylinder(nacelle_r, nacelle_l, [x, wing_y - nacelle_r * 0.9, z], "z", engine_material, 20))
        if engines == "rear":
            for side in (-1, 1):
                z = -length * 0.3
                pod = [side * radius * 1.7, radius * 0.4, z]
                parts.append(cylinder(nacelle_r, nacelle_l, pod, "z", engine_material, 20))
                pylon = [side * radius * 1.0, radius * 0.4, z]
                parts.append(box([radius * 0.8, radius * 0.15, nacelle_l * 0.5], pylon, engine_material))
        fin_h, fin_root = length * rng.uniform(0.14, 0.2), length * rng.uniform(0.14, 0.2)
        tail_z = -length / 2 + fin_root * 0.55
        parts.append(_fin(tail_z, fin_root, fin_root * 0.45, fin_h, fin_root * 0.5, radius * 0.3, radius * 0.25, trim))
        t_tail = engines == "rear" or rng.uniform() < 0.25
        stab_y = radius * 0.3 + fin_h if t_tail else 0.0
        stab_z = tail_z - (fin_root * 0.45 if t_tail else 0.0)
        for side in (-1, 1):
            parts.append(_wing(stab_z, fin_root * 0.7, fin_root * 0.3, span * 0.35, fin_root * 0.35, span * 0.02,
                               stab_y, radius * 0.15, side, wing_material))
        return parts
    if kind == "light":
        length, radius = rng.uniform(2.2, 2.8), rng.uniform(0.2, 0.28)
        parts = [_fuselage(length, radius, rng.uniform(0.1, 0.15), rng.uniform(0.35, 0.45), body)]
        high = rng.uniform() < 0.6
        span, chord = length * rng.uniform(0.6, 0.75), length * rng.uniform(0.14, 0.18)
        wing_y = radius * 1.0 if high else -radius * 0.6
        wing_z = length * rng.uniform(0.05, 0.15)
        for side in (-1, 1):
            parts.append(_wing(wing_z, chord, chord * rng.uniform(0.7, 1.0), span, 0.0, 0.0 if high else span * 0.06,
                               wing_y, radius * 0.3, side, trim))
            if high:  # struts from the belly to the wing
                ends = ([side * radius * 0.6, -radius * 0.5], [side * span * 0.45, wing_y])
                parts.append(hull([[x, y, wing_z + dz] for x, y in ends for dz in (-0.02, 0.02)]
                                  + [[side * span * 0.45, wing_y - 0.02, wing_z]], wing_material))
        parts.append(hull([[x, y, z] for x in (-radius * 0.7, radius * 0.7) for y in (radius * 0.3, radius * 1.0)
                           for z in (wing_z - chord * 0.2, wing_z + chord * 0.7)], glass))
        nose_z = length / 2
        parts.append(cylinder(radius * 0.35, radius * 0.4, [0, 0, nose_z], "z", wing_material, 16))  # spinner
        blade = length * rng.uniform(0.09, 0.12)
        turn = rng.uniform(0, np.pi)
        propeller = [[np.cos(turn) * s * blade + dx, np.sin(turn) * s * blade, nose_z + radius * 0.2 + dz]
                     for s in (-1, 1) for dx in (0.03, -0.03) for dz in (0.0, 0.02)]
        parts.append(hull(propeller, Material((0.1, 0.1, 0.1), "paint")))
        fin_root = length * 0.16
        tail_z = -length / 2 + fin_root * 0.6
        fin_h = length * rng.uniform(0.12, 0.16)
        parts.append(_fin(tail_z, fin_root, fin_root * 0.55, fin_h, fin_root * 0.4, radius * 0.1, radius * 0.2, trim))
        for side in (-1, 1):
            parts.append(_wing(tail_z, fin_root * 0.8, fin_root * 0.6, span * 0.25, 0.0, 0.0, 0.0, radius * 0.12, side,
                               trim))
        return parts
    # jet: a slim body, wings set far back and sharply swept, a bubble canopy
    length, radius = rng.uniform(2.6, 3.4), rng.uniform(0.13, 0.18)
    parts = [_fuselage(length, radius, rng.uniform(0.18, 0.25), rng.uniform(0.08, 0.12), body)]
    delta = rng.uniform() < 0.5
    span = length * rng.uniform(0.25, 0.33)
    root = length * (rng.uniform(0.45, 0.55) if delta else rng.uniform(0.25, 0.32))
    tip = root * (0.05 if delta else rng.uniform(0.2, 0.35))
    wing_z = -length * rng.uniform(0.08, 0.15)
    sweep = root - tip if delta else root * rng.uniform(0.5, 0.9)
    for side in (-1, 1):
        parts.append(_wing(wing_z, root, tip, span, sweep, 0.0, 0.0, radius * 0.25, side, body, x0=radius * 0.5))
    canopy = revolve(np.column_stack([radius * 0.55 * np.sin(np.linspace(0, np.pi, 9)),
                                      np.linspace(0, length * 0.16, 9)]), glass, sections=16, along_z=True)
    canopy.vertices += [0.0, radius * 0.7, length * rng.uniform(0.18, 0.25)]
    parts.append(canopy)
    fins = 2 if rng.uniform() < 0.5 else 1
    fin_root = length * rng.uniform(0.14, 0.2)
    for k in range(fins):
        x = 0.0 if fins == 1 else (k * 2 - 1) * radius * 0.8
        parts.append(_fin(-length / 2 + fin_root * 0.7, fin_root, fin_root * 0.4, length * rng.uniform(0.13, 0.18),
                          fin_root * 0.6, radius * 0.5, radius * 0.12, trim, x=x))
    if not delta:
        for side in (-1, 1):
            parts.append(_wing(-length / 2 + fin_root * 0.5, fin_root * 0.8, fin_root * 0.3, span * 0.45,
                               fin_root * 0.5, 0.0, 0.0, radius * 0.1, side, body))
    parts.append(cylinder(radius * 0.7, length * 0.05, [0, 0, -length / 2 + length * 0.02], "z",
                          Material((0.2, 0.2, 0.22), "metal"), 18))  # exhaust
    return parts
