"""Seeded texture images for the varied procedural look: wood grain, fabric weave, checks,
stripes, dots, brushed metal, glaze, glass, printed labels and an airliner's livery.

Each maker takes a numpy Generator and colours (sRGB in [0, 1]) and returns a small (side, side, 3)
float32 sRGB image. Tiling textures wrap seamlessly (their noise is periodic), so they can repeat
across a part; labels and liveries are drawn once across a part (see ``appearance``).
"""

from __future__ import annotations

import colorsys

import numpy as np

TILE_SIDE = 64  # repeating textures: small, so a model's textures stay under a few hundred kB
PRINT_SIDE = 128  # labels and liveries, drawn once across a part, need more texels


def periodic_noise(rng: np.random.Generator, side: int, cells: int) -> np.ndarray:
    """Smooth value noise in [0, 1] that wraps at the image edges: (side, side) float64."""
    grid = rng.random((cells, cells))
    t = np.arange(side) * cells / side
    i0 = np.floor(t).astype(np.int64)
    f = t - i0
    f = f * f * (3 - 2 * f)
    i1 = (i0 + 1) % cells
    rows = grid[i0] * (1 - f)[:, None] + grid[i1] * f[:, None]
    return rows[:, i0] * (1 - f)[None] + rows[:, i1] * f[None]


def fractal_noise(rng: np.random.Generator, side: int, cells: int = 4, octaves: int = 3) -> np.ndarray:
    total, weight = np.zeros((side, side)), 0.0
    for octave in range(octaves):
        amplitude = 0.5**octave
        total += amplitude * periodic_noise(rng, side, min(cells * 2**octave, side))
        weight += amplitude
    return total / weight


def _mix(a, b, t: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a + (b - a) * t[..., None]


def _shade(rgb, factor: float) -> tuple:
    h, s, v = colorsys.rgb_to_hsv(*rgb)
    return colorsys.hsv_to_rgb(h, s, float(np.clip(v * factor, 0, 1)))


def _done(image: np.ndarray) -> np.ndarray:
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def mottled(rng: np.random.Generator, base, amount: float = 0.12) -> np.ndarray:
    """A colour with soft blotches (paint, glaze, plastic, rubber)."""
    noise = fractal_noise(rng, TILE_SIDE, cells=4)
    return _done(np.asarray(base) * (1 + amount * (noise[..., None] - 0.5) * 2))


def wood(rng: np.random.Generator, base) -> np.ndarray:
    """Grain running along v (image rows): warped growth rings, darker late wood, fine pores."""
    side = TILE_SIDE
    x = np.arange(side)[None, :] / side
    warp = periodic_noise(rng, side, 4) * rng.uniform(0.6, 1.4) + 0.15 * periodic_noise(rng, side, 16)
    rings = int(rng.integers(3, 8))
    phase = (x * rings + warp * 2.0) % 1.0
    late = np.clip((phase - 0.65) / 0.35, 0, 1) ** 1.5
    pores = periodic_noise(rng, side, 32) * 0.25
    t = np.clip(late + pores * 0.5, 0, 1)
    return _done(_mix(_shade(base, 1.15), _shade(base, 0.6), t))


def stripes(rng: np.random.Generator, first, second, vertical: bool | None = None) -> np.ndarray:
    """Bands of two colours (an even count, so the pattern tiles), with a thin third-colour line."""
    side = TILE_SIDE
    count = int(rng.choice([2, 4, 8]))
    along = np.arange(side) / side
    band = ((along * count) % 1.0 < rng.uniform(0.3, 0.7)).astype(np.float64)
    edge = (np.abs((along * count) % 1.0 - 0.02) < 0.02).astype(np.float64) * 0.35
    t = np.clip(band - edge, 0, 1)
    vertical = bool(rng.integers(2)) if vertical is None else vertical
    t = np.broadcast_to(t[None, :] if vertical else t[:, None], (side, side))
    return _done(_mix(first, second, t))


def pinstripe(rng: np.random.Generator, base, accent) -> np.ndarray:
    """A painted body with one or two accent lines running round it (drawn once across a part)."""
    side = TILE_SIDE
    v = np.arange(side)[:, None] / side
    centre, width = rng.uniform(0.35, 0.6), rng.uniform(0.03, 0.08)
    t = (np.abs(v - centre) < width).astype(np.float64)
    if rng.uniform() < 0.5:
        t = np.maximum(t, (np.abs(v - centre - 2.5 * width) < width / 2).astype(np.float64))
    return _done(_mix(base, accent, np.broadcast_to(t, (side, side))))


def checks(rng: np.random.Generator, first, second) -> np.ndarray:
    """Gingham or tartan: crossing bands whose overlaps are darker."""
    side = TILE_SIDE
    count = int(rng.choice([2, 4, 8]))
    along = np.arange(side) / side
    band = ((along * count) % 1.0 < 0.5).astype(np.float64)
    t = (band[None, :] + band[:, None]) / 2
    return _done(_mix(first, second, t))


def dots(rng: np.random.Generator, ground, dot) -> np.ndarray:
    side = TILE_SIDE
    count = int(rng.choice([4, 8]))
    cell = (np.arange(side) / side * count) % 1.0 - 0.5
    distance = np.hypot(cell[None, :], cell[:, None])
    return _done(_mix(ground, dot, (distance < rng.uniform(0.15, 0.32)).astype(np.float64)))


def weave(rng: np.random.Generator, base) -> np.ndarray:
    """Plain-weave fabric: threads over and under every 4 texels, with slubby noise."""
    side = TILE_SIDE
    i = np.arange(side)
    warp_up = ((i[None, :] // 4 + i[:, None] // 4) % 2).astype(np.float64)
    across = np.abs(((i % 4) - 1.5) / 1.5)  # thread profile: bright centre, dark edges
    profile = np.where(warp_up > 0, across[None, :], across[:, None])
    slub = periodic_noise(rng, side, 16)
    t = 0.85 + 0.12 * (1 - profile) + 0.1 * (slub - 0.5)
    return _done(np.asarray(base)[None, None] * t[..., None])


def brushed(rng: np.random.Generator, base) -> np.ndarray:
    """Brushed metal: fine streaks along u."""
    side = TILE_SIDE
    rows = rng.random(side)
    streaks = np.broadcast_to((rows - 0.5)[:, None], (side, side)) * 0.18
    sheen = periodic_noise(rng, side, 2) * 0.2
    return _done(np.asarray(base)[None, None] * (0.9 + streaks + sheen)[..., None])


def glass(rng: np.random.Generator, base) -> np.ndarray:
    """Dark glass with a diagonal pale reflection."""
    side = TILE_SIDE
    y, x = np.mgrid[0:side, 0:side] / side
    diagonal = ((x + y * rng.uniform(0.6, 1.4)) % 1.0)
    streak = np.exp(-(((diagonal - 0.5) / rng.uniform(0.05, 0.12)) ** 2)) * rng.uniform(0.25, 0.45)
    return _done(_mix(base, (0.85, 0.9, 0.95), streak))


def marble(rng: np.random.Generator, base) -> np.ndarray:
    side = TILE_SIDE
    noise = fractal_noise(rng, side, cells=4, octaves=4)
    x = np.arange(side)[None, :] / side
    veins = np.abs(np.sin((x * 2 + noise * 3.0) * np.pi)) ** 0.3
    return _done(_mix(_shade(base, 0.55), base, veins))


def label(rng: np.random.Generator, ground, ink) -> np.ndarray:
    """A printed label: borders top and bottom, an emblem in the middle and lines of 'text'."""
    side = PRINT_SIDE
    image = np.broadcast_to(np.asarray(ground, np.float64), (side, side, 3)).copy()
    border = int(rng.integers(6, 16))
    image[:border], image[-border:] = ink, ink
    y, x = np.mgrid[0:side, 0:side]
    for centre_u in (0.25, 0.75):  # two faces of a bottle or mug: each side shows one
        cx, cy, r = centre_u * side, side * rng.uniform(0.55, 0.65), side * rng.uniform(0.08, 0.14)
        shape = np.hypot(x - cx, y - cy) < r if rng.uniform() < 0.5 else (np.abs(x - cx) + np.abs(y - cy)) < r * 1.3
        image[shape] = _shade(ink, 0.7)
        for line in range(int(rng.integers(2, 4))):  # "text": dark dashes under the emblem
            row = int(cy - side * 0.25 - line * side * 0.07)
            width = int(side * rng.uniform(0.08, 0.18))
            if row > border + 2:
                image[row:row + 3, int(cx) - width:int(cx) + width] = (0.1, 0.1, 0.1)
    return _done(image)


def livery(rng: np.random.Generator, top, belly, accent) -> np.ndarray:
    """An airliner's fuselage wrapped around z: u is the angle (top at 0.5), v the length.
    White or coloured upper body, a cheatline, a coloured belly and a row of windows."""
    side = PRINT_SIDE
    u = np.arange(side)[None, :] / side
    from_top = np.abs(u - 0.5) * 2  # 0 on top, 1 underneath
    split = rng.uniform(0.45, 0.6)
    image = _mix(top, belly, (from_top > split).astype(np.float64) * np.ones((side, 1)))
    line = np.abs(from_top - split) < 0.03
    image[np.broadcast_to(line, (side, side))] = accent
    v = np.arange(side)[:, None] / side
    windows = (np.abs(from_top - split * 0.75) < 0.025) & ((v * 48) % 1.0 < 0.5) & (v > 0.12) & (v < 0.85)
    image[windows] = (0.1, 0.12, 0.16)
    return _done(image)
