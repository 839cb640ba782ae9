"""The orbiting camera shared by the renderer and by visibility: where it stands, where it looks,
and which ray each pixel sees.

Conventions (tested in tests/data/test_render.py):
- y is up; azimuth 0 looks at the object's front (+z side); increasing azimuth moves the camera
  counter-clockwise seen from above, so azimuth 90 looks from +x; elevation raises the camera.
- The object fills a unit bounding sphere at the origin; the camera stands ``distance`` radii
  away and its field of view fits that sphere into ``margin`` of the half-frame.
- Image rows go downwards; pixel (row i, column j) looks through the centre of its square.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """One view's camera: eye position and orthonormal basis (float64), and the image-plane half
    extent at unit distance (tan of the half field of view)."""

    eye: np.ndarray
    forward: np.ndarray
    right: np.ndarray
    up: np.ndarray
    half_extent: float


def half_extent(distance: float, margin: float) -> float:
    """The unit sphere's silhouette has half-angle asin(1/distance); fit it into ``margin``."""
    return math.tan(math.asin(1.0 / distance)) / margin


def orbit_camera(azimuth_deg: float, elevation_deg: float, distance: float, margin: float) -> Camera:
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    eye = distance * np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])
    forward = -eye / np.linalg.norm(eye)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    if np.linalg.norm(right) < 1e-8:  # looking straight down or up
        right = np.array([math.cos(az), 0.0, -math.sin(az)])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return Camera(eye, forward, right, up, half_extent(distance, margin))


def pixel_ticks(n: int, half: float) -> np.ndarray:
    """Image-plane coordinates (at unit distance) of the centres of ``n`` pixels across."""
    return ((np.arange(n) + 0.5) / n * 2.0 - 1.0) * half


def pixel_rays(camera: Camera, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Origins and unit directions of an n x n grid of rays, row-major from the top: (n*n, 3) each."""
    ticks = pixel_ticks(n, camera.half_extent)
    xs, ys = np.meshgrid(ticks, -ticks)  # image rows go downwards
    dirs = camera.forward + xs[..., None] * camera.right + ys[..., None] * camera.up
    dirs = dirs.reshape(-1, 3)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return np.broadcast_to(camera.eye, dirs.shape).copy(), dirs
