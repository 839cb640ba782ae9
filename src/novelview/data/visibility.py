"""True visibility of a (source, target) pair from rendered depth: which target pixels the source
view also sees.

Each target pixel that shows the object is lifted to its 3D point (the depth along the pixel's
centre ray), projected into the source camera, and kept when the source's depth there is not
nearer than the point (a depth test with a tolerance of about two pixel footprints, against the
farthest of the four source pixels around the projection, so that edges and slanted surfaces are
not called hidden by rounding). Background target pixels count as visible: nothing there needs to
be invented. TVSN made the same map from rendered 3D coordinates and normals.

Everything is batched torch on any device, so training computes it per batch on the accelerator.
The camera is the renderer's (``novelview.data.camera``); ``camera_frames`` repeats its formula in
torch, and a test checks that both agree.
"""

from __future__ import annotations

import torch

from novelview.data.camera import half_extent


def camera_frames(azimuth_deg: torch.Tensor, elevation_deg: torch.Tensor, distance: float):
    """(N,) degrees -> eye, forward, right, up, each (N, 3): the orbit camera of the renderer."""
    az, el = torch.deg2rad(azimuth_deg.double()), torch.deg2rad(elevation_deg.double())
    eye = distance * torch.stack([el.cos() * az.sin(), el.sin(), el.cos() * az.cos()], dim=1)
    forward = -eye / distance
    # forward x (0, 1, 0), normalised, is (cos az, 0, -sin az) at every elevation but +-90.
    right = torch.stack([az.cos(), torch.zeros_like(az), -az.sin()], dim=1)
    up = torch.linalg.cross(right, forward, dim=1)
    return eye, forward, right, up


def pixel_directions(forward, right, up, size: int, half: float) -> torch.Tensor:
    """(N, 3) camera frames -> (N, size, size, 3) unit directions through the pixel centres."""
    ticks = ((torch.arange(size, dtype=torch.float64, device=forward.device) + 0.5) / size * 2 - 1) * half
    x = ticks.view(1, 1, size, 1)
    y = -ticks.view(1, size, 1, 1)  # image rows go downwards
    dirs = forward[:, None, None] + x * right[:, None, None] + y * up[:, None, None]
    return dirs / dirs.norm(dim=-1, keepdim=True)


def true_visibility(source_depth: torch.Tensor, target_depth: torch.Tensor,
                    source_azimuth: torch.Tensor, source_elevation: torch.Tensor,
                    target_azimuth: torch.Tensor, target_elevation: torch.Tensor,
                    camera_distance: float, margin: float, footprints: float = 2.0) -> torch.Tensor:
    """(N, H, W) depths (0 = background) and (N,) angles in degrees -> (N, 1, H, W) float 0/1.

    1 where the target pixel is background or its surface point is seen by the source camera.
    """
    n, size = target_depth.shape[0], target_depth.shape[-1]
    half = half_extent(camera_distance, margin)
    eye_t, fwd_t, right_t, up_t = camera_frames(target_azimuth, target_elevation, camera_distance)
    eye_s, fwd_s, right_s, up_s = camera_frames(source_azimuth, source_elevation, camera_distance)
    t_depth = target_depth.double()
    points = eye_t[:, None, None] + t_depth[..., None] * pixel_directions(fwd_t, right_t, up_t, size, half)
    rel = points - eye_s[:, None, None]
    along = (rel * fwd_s[:, None, None]).sum(-1)
    x = (rel * right_s[:, None, None]).sum(-1) / along
    y = (rel * up_s[:, None, None]).sum(-1) / along
    col = (x / half + 1) * size / 2 - 0.5
    row = (-y / half + 1) * size / 2 - 0.5
    distance = rel.norm(dim=-1)
    # The farthest surface among the four source pixels around the projection.
    flat = source_depth.double().reshape(n, -1)
    nearest_surface = torch.zeros_like(distance)
    inside_any = torch.zeros_like(distance, dtype=torch.bool)
    for dr in (0, 1):
        for dc in (0, 1):
            r = row.floor().long() + dr
            c = col.floor().long() + dc
            inside = (r >= 0) & (r < size) & (c >= 0) & (c < size) & (along > 0)
            index = (r.clamp(0, size - 1) * size + c.clamp(0, size - 1)).reshape(n, -1)
            depth = flat.gather(1, index).reshape(distance.shape)
            depth = torch.where(inside & (depth > 0), depth, torch.zeros_like(depth))
            nearest_surface = torch.maximum(nearest_surface, depth)
            inside_any |= inside & (depth > 0)
    footprint = 2 * half * distance / size  # one pixel's width at the point's distance
    seen = inside_any & (distance <= nearest_surface + footprints * footprint)
    visible = seen | (target_depth <= 0)
    return visible.unsqueeze(1).to(torch.float32)
