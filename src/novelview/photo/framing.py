"""Framing: crop a cut-out object, scale and centre it as the training renders frame objects.

The renders normalise each object to a unit bounding sphere seen from 2.6 radii with a margin of
0.96 (``novelview.data.render``), so the silhouette's size is not fixed: it depends on the shape
and the view. Which measure of the silhouette varies least was MEASURED on 1,152 renders of
unseen procedural objects (seed 1, 8 cars, 8 chairs and 8 mugs, azimuths every 30 degrees,
elevations 0/10/20/30, 128 px, alpha > 0.5; /tmp script in the issue-23 report):

    measure (share of the frame side)  median  coefficient of variation
    bounding-box longer side            0.773   0.125
    bounding-box diagonal               0.975   0.096
    smallest enclosing circle diameter  0.853   0.096
    sqrt(area)                          0.482   0.196

The enclosing circle is the 2D shadow of the bounding sphere the renderer normalises, and it
varies least (tied with the diagonal), so a photo's object is scaled to make its enclosing circle
span 0.853 of the frame. The bounding box's centre sat at x 0.500, y 0.527 (median; the camera
looks down from up to 30 degrees, so objects sit a little low): the object is centred there.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ENCLOSING_DIAMETER = 0.853  # share of the frame side, measured as above
CENTRE_X, CENTRE_Y = 0.500, 0.527  # where the bounding box's centre sits, as a share of the frame


@dataclass
class Framing:
    """How the object was placed: scale (output px per input px) and its source box (x0, y0, x1, y1)."""

    scale: float
    box: tuple[int, int, int, int]


def enclosing_circle(alpha: np.ndarray) -> tuple[float, float, float]:
    """(cx, cy, radius) in pixels of the smallest circle around the object (alpha > 0.5)."""
    solid = (alpha > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(solid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    points = np.concatenate([c.reshape(-1, 2) for c in contours]).astype(np.float32)
    (cx, cy), radius = cv2.minEnclosingCircle(points)
    return float(cx), float(cy), max(float(radius) + 0.5, 0.5)  # + half a pixel: contours run through centres


def object_box(alpha: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(alpha > 0.5)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def frame_square(alpha: np.ndarray) -> tuple[float, float, float, tuple[int, int, int, int]] | None:
    """(left, top, side, box): the square of the picture, in its pixels, that frames the object as
    the renders do (its enclosing circle ENCLOSING_DIAMETER of the side, its box centred at
    (CENTRE_X, CENTRE_Y) of it), and the object's box; None for an empty mask. Photos are framed by
    it here, and training sources by ``novelview.training.photo_framing``."""
    box = object_box(alpha)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    _, _, radius = enclosing_circle(alpha)
    side = 2.0 * radius / ENCLOSING_DIAMETER
    return (x0 + x1) / 2.0 - CENTRE_X * side, (y0 + y1) / 2.0 - CENTRE_Y * side, side, box


def frame_object(rgb: np.ndarray, alpha: np.ndarray, size: int) -> tuple[np.ndarray, Framing | None]:
    """(H, W, 3) uint8 and (H, W) alpha -> (size, size, 3) uint8 on white with the object framed as
    in the renders. With no object in the mask, the whole picture is fitted instead."""
    square = frame_square(alpha)
    if square is None:
        return fit_whole(rgb, alpha, size), None
    left, top, side, box = square
    return _resample(rgb, alpha, left, top, side, size), Framing(size / side, box)


def fit_whole(rgb: np.ndarray, alpha: np.ndarray, size: int) -> np.ndarray:
    """The whole picture, padded to a square (see-through padding) and resized: no reframing."""
    h, w = alpha.shape
    side = max(h, w)
    return _resample(rgb, alpha, (w - side) / 2.0, (h - side) / 2.0, float(side), size)


def _resample(rgb: np.ndarray, alpha: np.ndarray, left: float, top: float, side: float, size: int) -> np.ndarray:
    """The square (left, top, side) of the picture, resized to (size, size) and put on white.
    Colour is premultiplied by alpha before resizing so that the backdrop does not bleed in."""
    h, w = alpha.shape
    # Cut the integer square that holds the frame (padding with see-through where it leaves the picture),
    # resize it with area averaging, then shift by the sub-pixel remainder.
    x0, y0 = int(np.floor(left)), int(np.floor(top))
    n = int(np.ceil(side + (left - x0)))
    n = max(n, 1)
    premult = np.zeros((n, n, 4), np.float32)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + n, w), min(y0 + n, h)
    if sx1 > sx0 and sy1 > sy0:
        a = alpha[sy0:sy1, sx0:sx1, None].astype(np.float32)
        premult[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0, :3] = rgb[sy0:sy1, sx0:sx1].astype(np.float32) * a
        premult[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0, 3:] = a
    zoom = size / side
    matrix = np.float32([[zoom, 0, -(left - x0) * zoom], [0, zoom, -(top - y0) * zoom]])
    if zoom < 1.0:  # shrink by area first (warpAffine alone would alias), then place exactly
        shrunk_side = max(1, int(round(n * zoom)))
        factor = shrunk_side / n
        premult = cv2.resize(premult, (shrunk_side, shrunk_side), interpolation=cv2.INTER_AREA)
        matrix = np.float32([[zoom / factor, 0, matrix[0, 2]], [0, zoom / factor, matrix[1, 2]]])
    out = cv2.warpAffine(premult, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=(0, 0, 0, 0))
    coverage = np.clip(out[..., 3:], 0.0, 1.0)
    on_white = out[..., :3] + 255.0 * (1.0 - coverage)
    return np.clip(np.rint(on_white), 0, 255).astype(np.uint8)
