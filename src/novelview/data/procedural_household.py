"""Procedural bottles and lamps (y up, front towards +z, standing on y = 0).

Bottles are revolved profiles: wine (tall, rounded shoulder, long neck), beer (short with a
sloping shoulder), soda (a waist), jug (round belly, short neck) or flask (conical); a label band
and a cap or cork. Lamps: a floor lamp (straight or an arc that hangs its shade forward), a table
lamp (a turned or round body under the shade) or a desk lamp (an arm of two segments with a head
facing +z); shades are cones, drums, bells or domes.
"""

from __future__ import annotations

import numpy as np

from novelview.data.procedural_parts import Material, Part, colour, cylinder, revolve, rod, rotation, smooth_profile


def _bottle_profile(rng: np.random.Generator, kind: str) -> tuple[np.ndarray, float, float, tuple[float, float]]:
    """Outer (radius, height) profile from the base centre to the lip, the neck radius, the lip
    height, and the straight stretch (y0, y1) a label can wrap."""
    radius = rng.uniform(0.28, 0.4)
    if kind == "wine":
        body, shoulder, neck_r, neck = radius * rng.uniform(3.2, 4.0), radius * 1.1, radius * 0.3, radius * 1.6
    elif kind == "beer":
        body, shoulder, neck_r, neck = radius * rng.uniform(2.2, 2.8), radius * 1.6, radius * 0.33, radius * 0.9
    elif kind == "soda":
        body, shoulder, neck_r, neck = radius * rng.uniform(2.4, 3.0), radius * 1.2, radius * 0.4, radius * 0.7
    elif kind == "jug":
        body, shoulder, neck_r, neck = radius * rng.uniform(1.2, 1.6), radius * 0.9, radius * 0.45, radius * 0.6
        radius *= 1.3
    else:  # flask
        body, shoulder, neck_r, neck = radius * rng.uniform(1.6, 2.2), radius * 1.8, radius * 0.25, radius * 0.8
    waist = 0.85 if kind == "soda" else 1.0
    corners = [[radius * 0.9, 0.0], [radius, body * 0.05], [radius * waist, body * 0.5], [radius, body * 0.95],
               [neck_r, body + shoulder], [neck_r, body + shoulder + neck]]
    if kind == "jug":  # a round belly: bulge out between base and shoulder
        corners[2] = [radius * 1.15, body * 0.5]
    outline = smooth_profile(corners, samples=5)
    top = body + shoulder + neck
    profile = np.vstack([[[0.0, 0.0]], outline, [[neck_r * 1.15, top], [0.0, top]]])
    label_span = (body * 0.2, body * 0.75) if kind != "soda" else (body * 0.55, body * 0.9)
    return profile, neck_r, top, label_span


def make_bottle(rng: np.random.Generator) -> list[Part]:
    kind = rng.choice(["wine", "beer", "soda", "jug", "flask"])
    profile, neck_r, top, (y0, y1) = _bottle_profile(rng, kind)
    tint = colour(rng, sat=(0.2, 0.8), val=(0.2, 0.7), hue=rng.choice([0.3, 0.08, 0.58]))
    parts = [revolve(profile, Material(tint, "tinted_glass"), sections=32)]
    if rng.uniform() < 0.85:  # a label wraps the straight part of the body
        radii = np.interp([y0, y1], profile[1:-2, 1], profile[1:-2, 0])
        band = np.array([[radii[0] * 1.01, y0], [radii[1] * 1.01, y1]])
        parts.append(revolve(band, Material(colour(rng, val=(0.6, 1.0)), "label"), sections=32))
    cap_h = rng.uniform(0.08, 0.2)
    if kind == "wine" and rng.uniform() < 0.5:  # a cork standing a little proud
        cork = Material((0.72, 0.55, 0.35), "wood")
        parts.append(cylinder(neck_r * 0.9, cap_h, [0, top + cap_h * 0.3, 0], "y", cork, 16))
    else:
        cap = Material(colour(rng), "metal" if rng.uniform() < 0.5 else "plastic")
        parts.append(cylinder(neck_r * 1.2, cap_h, [0, top - cap_h / 2 + 0.02, 0], "y", cap, 16))
    return parts


def _shade(rng: np.random.Generator, shape: str, radius: float, height: float, y: float, material: Material,
           centre=(0.0, 0.0)) -> Part:
    """An open shade from y to y + height (two-sided rendering shows its inside)."""
    if shape == "cone":
        profile = [[radius, 0.0], [radius * rng.uniform(0.4, 0.7), height]]
    elif shape == "drum":
        profile = [[radius, 0.0], [radius, height]]
    elif shape == "bell":
        profile = smooth_profile([[radius, 0.0], [radius * 0.75, height * 0.35], [radius * 0.35, height]], 5)
    else:  # dome: a quarter circle, closed at the top
        t = np.linspace(0, np.pi / 2, 9)
        profile = np.column_stack([radius * np.cos(t), height * np.sin(t)])
        profile[-1, 0] = 0.0
    shade = revolve(np.asarray(profile, np.float64), material, sections=32)
    shade.vertices += [centre[0], y, centre[1]]
    return shade


def make_lamp(rng: np.random.Generator) -> list[Part]:
    kind = rng.choice(["floor", "arc", "table", "desk"])
    metal = Material(colour(rng, sat=(0.0, 0.5), val=(0.2, 0.85), hue=rng.uniform(0.05, 0.15)), "metal")
    shade_material = Material(colour(rng, sat=(0.05, 0.6), val=(0.6, 0.98)), "shade")
    shape = rng.choice(["cone", "drum", "bell", "dome"])
    base_r = rng.uniform(0.15, 0.3)
    parts = [cylinder(base_r, 0.04, [0, 0.02, 0], "y", metal, sections=28)]
    if kind == "floor":
        height = rng.uniform(1.3, 1.8)
        parts.append(cylinder(0.02, height, [0, height / 2, 0], "y", metal, sections=10))
        shade_r = rng.uniform(0.18, 0.3)
        shade_h = shade_r * rng.uniform(0.8, 1.4)
        parts.append(_shade(rng, shape, shade_r, shade_h, height - shade_h * 0.6, shade_material))
    elif kind == "arc":  # the pole rises and arcs forward, the shade hangs over the front
        height, reach = rng.uniform(1.4, 1.9), rng.uniform(0.7, 1.2)
        t = np.linspace(0, np.pi / 2, 9)
        points = np.column_stack([np.zeros_like(t), height * 0.55 + height * 0.45 * np.sin(t), reach * (1 - np.cos(t))])
        parts.append(rod([0, 0, 0], points[0], 0.025, metal))
        parts.extend(rod(a, b, 0.025, metal) for a, b in zip(points[:-1], points[1:]))
        shade_r = rng.uniform(0.15, 0.25)
        drop = shade_r * 1.1
        parts.append(_shade(rng, "dome" if shape == "drum" else shape, shade_r, drop, height - drop * 1.2,
                            shade_material, centre=(0.0, reach)))
        parts[0] = cylinder(base_r * 1.2, 0.05, [0, 0.025, 0], "y", metal, sections=28)  # heavier, to carry the arc
    elif kind == "table":
        body_h = rng.uniform(0.35, 0.6)
        body_material = Material(colour(rng), "ceramic")
        if rng.uniform() < 0.5:  # a turned body
            r = base_r * rng.uniform(0.6, 1.0)
            profile = smooth_profile([[0.0, 0.04], [r, 0.04], [r * 1.3, body_h * 0.4], [r * 0.4, body_h * 0.9],
                                      [r * 0.3, body_h], [0.0, body_h]], 5)
            parts.append(revolve(profile, body_material, sections=28))
        else:  # a ball on a stem
            r = body_h * 0.35
            t = np.linspace(-np.pi / 2, np.pi / 2, 11)
            profile = np.column_stack([r * np.cos(t), body_h * 0.5 + r * np.sin(t)])
            profile[[0, -1], 0] = 0.0
            parts.append(revolve(profile, body_material, sections=28))
            parts.append(cylinder(0.03, body_h, [0, body_h / 2, 0], "y", metal, sections=10))
        shade_r = rng.uniform(0.2, 0.32)
        shade_h = shade_r * rng.uniform(0.7, 1.2)
        parts.append(cylinder(0.015, shade_h * 0.8, [0, body_h + shade_h * 0.4, 0], "y", metal, sections=8))
        parts.append(_shade(rng, shape, shade_r, shade_h, body_h + shade_h * 0.2, shade_material))
    else:  # desk: an arm of two segments; the head looks down at +z
        lower, upper = rng.uniform(0.35, 0.55), rng.uniform(0.3, 0.5)
        lean = np.radians(rng.uniform(-20, 15))
        elbow = np.array([0.0, 0.04 + lower * np.cos(lean), -lower * np.sin(lean)])
        reach = np.radians(rng.uniform(20, 70))
        wrist = elbow + [0.0, upper * np.sin(reach) * 0.4, upper * np.cos(reach)]
        parts.append(rod([0, 0.04, 0], elbow, 0.02, metal))
        parts.append(rod(elbow, wrist, 0.02, metal))
        head_r = rng.uniform(0.08, 0.14)
        head_paint = Material(colour(rng, sat=(0.4, 0.9), val=(0.3, 0.9)), "paint")
        head = _shade(rng, "cone" if shape == "drum" else shape, head_r, head_r * 1.2, 0.0, head_paint)
        # Tip the open side (down, -y) towards the front, then hang the narrow end on the wrist.
        tilt = rotation([1, 0, 0], -rng.uniform(0.3, 0.9))[:3, :3]
        head.vertices = head.vertices @ tilt.T
        head.vertices += wrist - tilt @ [0.0, head_r * 1.2, 0.0]
        parts.append(head)
    return parts
