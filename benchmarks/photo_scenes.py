"""Photo-like pictures made from renders of unseen objects, with the true mask known.

Used by ``bench_photo.py``. Objects are rendered at ``RENDER_SIZE`` px (supersample 2) and
resized (mostly down; up by at most 1.35x for the largest 1024x768 placements) to their size in
the picture, composited over a backdrop, then given sensor noise and saved as JPEG q85.
Backdrops: plain colour, vertical gradient, plain with a soft cast shadow, busy texture.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

RENDER_SIZE = 512
BACKDROPS = ("plain", "gradient", "shadow", "busy")
# Plausible plain backdrops (walls, paper sweeps, tables), RGB.
PALETTE = np.array([(235, 235, 230), (200, 200, 205), (120, 125, 130), (60, 62, 66), (210, 190, 160),
                    (150, 180, 210), (110, 160, 110), (230, 210, 200), (40, 70, 120), (180, 60, 50)], np.float32)


def _contrasting(avoid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A palette colour at least 60 RGB units from every colour in ``avoid`` (as a photographer
    would not shoot a green car on a green sweep), jittered."""
    far = [c for c in PALETTE if np.linalg.norm(avoid - c, axis=1).min() >= 60.0] or list(PALETTE)
    return far[rng.integers(len(far))] + rng.uniform(-15, 15, 3)


def backdrop(kind: str, h: int, w: int, rng: np.random.Generator, avoid: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32 backdrop; ``avoid``: (k, 3) main colours of the object."""
    base = _contrasting(avoid, rng)
    if kind in ("plain", "shadow"):
        return np.broadcast_to(base, (h, w, 3)).astype(np.float32).copy()
    if kind == "gradient":
        other = _contrasting(avoid, rng)
        t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
        return (base * (1 - t) + other * t) * np.ones((1, w, 1), np.float32)
    if kind == "busy":  # multi-scale coloured noise, high contrast, plus stripes: a patterned cloth
        out = np.zeros((h, w, 3), np.float32)
        for cells in (6, 17, 40):
            small = rng.uniform(0, 255, (cells, max(2, cells * w // h), 3)).astype(np.float32)
            out += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / 3.0
        stripes = (np.sin(np.arange(w, dtype=np.float32) / (w / 60.0))[None, :, None] > 0) * 60.0
        return np.clip(out + stripes - 30.0, 0, 255)
    raise ValueError(kind)


def place(rgba: np.ndarray, h: int, w: int, fraction: float, rng: np.random.Generator):
    """Resize an RGBA render so its object's longer box side is ``fraction`` of the picture's
    shorter side, at a random position fully inside: (colour float32, alpha float32) at (h, w)."""
    alpha = rgba[..., 3]
    ys, xs = np.nonzero(alpha > 127)
    crop = rgba[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    longer = max(crop.shape[:2])
    scale = fraction * min(h, w) / longer
    ch, cw = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    premult = crop[..., :3].astype(np.float32) * (crop[..., 3:].astype(np.float32) / 255.0)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    premult = cv2.resize(premult, (cw, ch), interpolation=interp)
    a = np.clip(cv2.resize(crop[..., 3].astype(np.float32) / 255.0, (cw, ch), interpolation=interp), 0, 1)
    # Off-centre anywhere, leaving a margin of 5% of the picture (and room below for a shadow).
    mh, mw = int(0.05 * h), int(0.05 * w)
    top = int(rng.integers(mh, max(mh + 1, h - ch - mh - int(0.1 * ch))))
    left = int(rng.integers(mw, max(mw + 1, w - cw - mw)))
    colour = np.zeros((h, w, 3), np.float32)
    full_alpha = np.zeros((h, w), np.float32)
    colour[top : top + ch, left : left + cw] = premult
    full_alpha[top : top + ch, left : left + cw] = a
    return colour, full_alpha


def cast_shadow(ground: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft contact shadow: a blurred ellipse on the floor at the object's foot, offset sideways."""
    h, w = alpha.shape
    ys, xs = np.nonzero(alpha > 0.5)
    height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    centre = (int((xs.min() + xs.max()) / 2 + rng.uniform(0.05, 0.25) * width), int(ys.max()))
    shadow = np.zeros((h, w), np.float32)
    cv2.ellipse(shadow, centre, (max(2, int(0.6 * width)), max(2, int(0.1 * height))), 0, 0, 360, 1.0, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), max(1.5, 0.05 * height))
    darkness = rng.uniform(0.25, 0.45)
    return ground * (1.0 - darkness * np.clip(shadow, 0, 1))[..., None]


def main_colours(rgba: np.ndarray, count: int = 3) -> np.ndarray:
    """(count, 3) the commonest colours of the object (k-means on its opaque pixels)."""
    pixels = rgba[rgba[..., 3] > 200][:, :3].astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER + cv2.TERM_CRITERIA_EPS, 10, 1.0)
    _, labels, centres = cv2.kmeans(pixels[::7], count, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    shares = np.bincount(labels.ravel(), minlength=count) / len(labels)
    return centres[shares > 0.15]


def photo_like(rgba: np.ndarray, kind: str, h: int, w: int, fraction: float, seed: int):
    """-> (JPEG bytes of the picture, (h, w) true alpha)."""
    rng = np.random.default_rng(seed)
    colour, alpha = place(rgba, h, w, fraction, rng)
    ground = backdrop(kind, h, w, rng, main_colours(rgba))
    if kind == "shadow":
        ground = cast_shadow(ground, alpha, rng)
    picture = colour + ground * (1.0 - alpha[..., None])
    picture += rng.normal(0.0, 3.0, picture.shape).astype(np.float32)  # sensor noise
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.rint(picture), 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue(), alpha
