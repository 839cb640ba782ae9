"""Moving pixels between two orbit cameras with known depth: lift, turn, and splat forward.

The camera is the renderer's (``novelview.data.camera``; ``novelview.data.visibility`` has the
batched torch version used here): the object sits in a unit sphere at the origin, the camera
orbits at ``distance`` radii, and depth is the distance along each pixel's centre ray. Only the
relative turn matters, so the source camera stands at azimuth 0 and the target at the rotation.

``splat`` is a differentiable forward warp. Every source pixel lands at a real-valued target
position and is shared among the four pixels around it with bilinear weights; where several land
on one pixel, a soft depth test weighs them by ``exp(-sharpness * depth)`` (softmax splatting, Niklaus
and Liu 2020), so the nearest surface wins but gradients reach every depth. Coverage is the
splatted source alpha (how much of the target pixel the source explains), clipped to 1.
"""

from __future__ import annotations

import torch

from novelview.data.camera import half_extent
from novelview.data.visibility import camera_frames, pixel_directions


def lift(depth: torch.Tensor, azimuth_deg: torch.Tensor, elevation_deg: torch.Tensor,
         distance: float, margin: float) -> torch.Tensor:
    """(N, H, W) depth along each pixel's ray and (N,) camera angles -> (N, H, W, 3) object points."""
    eye, forward, right, up = camera_frames(azimuth_deg, elevation_deg, distance)
    dirs = pixel_directions(forward, right, up, depth.shape[-1], half_extent(distance, margin))
    return (eye[:, None, None] + depth.double()[..., None] * dirs).to(depth.dtype)


def project(points: torch.Tensor, azimuth_deg: torch.Tensor, elevation_deg: torch.Tensor,
            distance: float, margin: float, size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, H, W, 3) points -> their (row, column) in a camera's image and their depth along its
    axis, each (N, H, W); rows and columns are pixel units, 0 at the first pixel's centre."""
    eye, forward, right, up = (t.to(points.dtype) for t in camera_frames(azimuth_deg, elevation_deg, distance))
    half = half_extent(distance, margin)
    rel = points - eye[:, None, None]
    along = (rel * forward[:, None, None]).sum(-1)
    safe = along.clamp_min(1e-3)  # points behind the camera do not occur inside the unit sphere
    x = (rel * right[:, None, None]).sum(-1) / safe
    y = (rel * up[:, None, None]).sum(-1) / safe
    col = (x / half + 1) * size / 2 - 0.5
    row = (-y / half + 1) * size / 2 - 0.5
    return row, col, along


def splat(values: torch.Tensor, alpha: torch.Tensor, row: torch.Tensor, col: torch.Tensor,
          depth: torch.Tensor, sharpness: float = 10.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward-splat source pixels to their target positions.

    values (N, C, H, W), alpha (N, 1, H, W) in [0, 1] (what is object), row/col/depth (N, H, W)
    from ``project``. Returns the splatted values (N, C, H, W), a depth-weighted mean where
    anything landed and 0 elsewhere, and the coverage (N, 1, H, W) in [0, 1].
    """
    n, c, h, w = values.shape
    # Relative to the nearest object point of each image, so the exponential stays in range.
    object_depth = torch.where(alpha[:, 0] > 0.01, depth.detach(), torch.full_like(depth, float("inf")))
    nearest = object_depth.flatten(1).min(1).values
    nearest = torch.where(torch.isfinite(nearest), nearest, torch.zeros_like(nearest))[:, None, None]
    importance = alpha[:, 0] * torch.exp(-sharpness * (depth - nearest).clamp(-5, 20))
    numerator = values.new_zeros(n, c, h * w)
    denominator = values.new_zeros(n, 1, h * w)
    coverage = values.new_zeros(n, 1, h * w)
    r0, c0 = row.detach().floor(), col.detach().floor()
    flat_values = values.flatten(2)
    for dr in (0, 1):
        for dc in (0, 1):
            r, cc = r0 + dr, c0 + dc
            bilinear = (1 - (row - r).abs()).clamp_min(0) * (1 - (col - cc).abs()).clamp_min(0)
            inside = (r >= 0) & (r < h) & (cc >= 0) & (cc < w)
            index = (r.clamp(0, h - 1) * w + cc.clamp(0, w - 1)).long().flatten(1)
            share = (bilinear * inside).flatten(1)
            weight = (share * importance.flatten(1))[:, None]
            numerator.scatter_add_(2, index[:, None].expand(-1, c, -1), flat_values * weight)
            denominator.scatter_add_(2, index[:, None], weight)
            coverage.scatter_add_(2, index[:, None], (share * alpha[:, 0].flatten(1))[:, None])
    splatted = numerator / (denominator + 1e-8)
    return splatted.view(n, c, h, w), coverage.clamp(max=1.0).view(n, 1, h, w)


def warp_to_target(source: torch.Tensor, source_alpha: torch.Tensor, source_depth: torch.Tensor,
                   rotation_deg: torch.Tensor, source_elevation: torch.Tensor, target_elevation: torch.Tensor,
                   distance: float, margin: float, sharpness: float = 10.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The source view (N, C, H, W) with its alpha (N, 1, H, W) and depth (N, H, W), seen from the
    camera turned by ``rotation_deg`` and raised to ``target_elevation``: (warped, coverage)."""
    zero = torch.zeros_like(rotation_deg)
    points = lift(source_depth, zero, source_elevation, distance, margin)
    row, col, along = project(points, rotation_deg, target_elevation, distance, margin, source.shape[-1])
    return splat(source, source_alpha, row, col, along, sharpness)
