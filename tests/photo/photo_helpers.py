"""Synthetic photos with a known answer: shapes drawn over backdrops, with noise and JPEG."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image


def disc_mask(h: int, w: int, cx: float, cy: float, radius: float) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def chair_like_mask(h: int, w: int) -> np.ndarray:
    """A seat, two legs and a back with a gap between slats: holes that must stay open."""
    mask = np.zeros((h, w), bool)
    mask[int(0.5 * h) : int(0.56 * h), int(0.3 * w) : int(0.7 * w)] = True  # seat
    mask[int(0.56 * h) : int(0.85 * h), int(0.31 * w) : int(0.34 * w)] = True  # legs
    mask[int(0.56 * h) : int(0.85 * h), int(0.66 * w) : int(0.69 * w)] = True
    mask[int(0.15 * h) : int(0.5 * h), int(0.3 * w) : int(0.34 * w)] = True  # back posts
    mask[int(0.15 * h) : int(0.5 * h), int(0.66 * w) : int(0.7 * w)] = True
    mask[int(0.15 * h) : int(0.22 * h), int(0.3 * w) : int(0.7 * w)] = True  # top rail
    return mask


def shaded_object(mask: np.ndarray, colour=(200, 40, 30)) -> np.ndarray:
    """(h, w, 3) float colour of an object lit from the top left (some shading, as a real one)."""
    h, w = mask.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 0.75 + 0.25 * (1 - (x / w + y / h) / 2)
    return np.asarray(colour, np.float32) * light[..., None]


def compose(mask: np.ndarray, backdrop: np.ndarray, colour=(200, 40, 30), noise: float = 3.0, seed: int = 0,
            jpeg: int | None = 85) -> np.ndarray:
    """The object over ``backdrop`` (h, w, 3 float), anti-aliased edge, noise, JPEG -> uint8 RGB."""
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.7)[..., None]
    picture = shaded_object(mask, colour) * soft + backdrop * (1 - soft)
    picture += np.random.default_rng(seed).normal(0, noise, picture.shape)
    rgb = np.clip(np.rint(picture), 0, 255).astype(np.uint8)
    if jpeg is None:
        return rgb
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=jpeg)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def plain(h: int, w: int, colour=(190, 195, 200)) -> np.ndarray:
    return np.broadcast_to(np.asarray(colour, np.float32), (h, w, 3)).copy()


def vertical_gradient(h: int, w: int, top=(230, 230, 240), bottom=(90, 110, 150)) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return (np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t) * np.ones((1, w, 1))


def busy(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (12, 12, 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))
