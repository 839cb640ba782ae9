"""Pose and identity accuracy: is the output the right view of the right object?

Both compare the output (L1 on [-1, 1]) with a gallery of true views:
- ``pose_accuracy``: among the same object's views at the target elevation (every azimuth), the
  nearest one lies within ``tolerance_deg`` (10 degrees) of the target azimuth, or looks the same
  (``TWIN_L1``) as a view that does. Without that rule a mug without a handle, the same from every
  side, would be scored by which of its identical views float noise puts first;
- ``identity_accuracy``: among every object of the split seen at the target's elevation and grid
  azimuth, the nearest one is the source's own object.
A blur that is nearest to nothing in particular fails both; copying the input passes identity but
fails pose.

The registered metrics read the split's views from ``ctx.gallery`` (``novelview.metrics.gallery``:
read once per evaluation, compared by ``torch.cdist``); ``pose_accuracy`` and ``identity_accuracy``
below compute the same from galleries given as tensors, as the definition reads, and the tests hold
the two ways equal. Both ways decide with ``pose_hits`` and ``identity_hits``.
"""

from __future__ import annotations

import torch

from novelview.metrics.gallery import TWIN_L1
from novelview.metrics.registry import MetricContext, metric

TOLERANCE_DEG = 10.0
# TWIN_L1 (0.005, in novelview.metrics.gallery): two true views closer than this (mean |difference|
# on [-1, 1], under one grey level in 255) are the same picture; procedural mugs without a handle
# give such twins 20 or more degrees apart.
__all__ = ["TOLERANCE_DEG", "TWIN_L1", "identity_accuracy", "identity_hits", "pose_accuracy", "pose_hits"]


def _flat(images: torch.Tensor) -> torch.Tensor:
    return images.float().flatten(1) if images.ndim == 4 else images.float().flatten(2)


def pose_hits(looks_the_same: torch.Tensor, gallery_azimuth: torch.Tensor, target_azimuth: torch.Tensor,
              tolerance_deg: float = TOLERANCE_DEG) -> torch.Tensor:
    """The pose rule: looks_the_same (N, K) which of K true views look the same as the nearest one (the
    nearest itself too), their azimuths (N, K) and the target azimuth (N,), degrees; (N,) 0/1."""
    off = torch.remainder(gallery_azimuth - target_azimuth[:, None] + 180.0, 360.0) - 180.0
    right_pose = off.abs() <= tolerance_deg + 1e-6  # (N, K)
    return (looks_the_same & right_pose).any(1).float()


def identity_hits(distance: torch.Tensor, own_index: torch.Tensor) -> torch.Tensor:
    """The identity rule: distance (N, C) to C objects' views, own_index (N,); (N,) 0/1."""
    return (distance.argmin(1) == own_index).float()


def pose_accuracy(pred: torch.Tensor, gallery: torch.Tensor, gallery_azimuth: torch.Tensor,
                  target_azimuth: torch.Tensor, tolerance_deg: float = TOLERANCE_DEG) -> torch.Tensor:
    """Nearest true view (L1) of the same object, or its twin, is within +-10 degrees of the target; (N,) 0/1.

    pred (N, 3, H, W); gallery (N, K, 3, H, W) each pair's object at K azimuths; azimuths in degrees.
    """
    views = _flat(gallery)  # (N, K, D)
    distance = (views - _flat(pred)[:, None]).abs().mean(-1)  # (N, K)
    nearest_view = views[torch.arange(len(views)), distance.argmin(1)]  # (N, D)
    looks_the_same = (views - nearest_view[:, None]).abs().mean(-1) <= TWIN_L1  # (N, K); the nearest itself too
    return pose_hits(looks_the_same, gallery_azimuth, target_azimuth, tolerance_deg)


def identity_accuracy(pred: torch.Tensor, candidates: torch.Tensor, own_index: torch.Tensor) -> torch.Tensor:
    """Nearest (L1) among every object's true view at the target pose is the object itself; (N,) 0/1.

    pred (N, 3, H, W) all at one target pose; candidates (C, 3, H, W); own_index (N,) into candidates.
    """
    return identity_hits(torch.cdist(_flat(pred), _flat(candidates), p=1), own_index)


@metric("pose_accuracy", "pose acc.", "{:.2f}", higher_is_better=True, kind="gallery")
def pose_accuracy_metric(ctx: MetricContext) -> torch.Tensor:
    """Nearest true view (L1) of the same object, or its twin, is within +-10 degrees of the target; (N,) 0/1."""
    distance, twins, azimuth = ctx.gallery.pose_distances(ctx.pred, ctx.targets)
    looks_the_same = twins[torch.arange(len(twins), device=twins.device), distance.argmin(1)]  # (N, K)
    return pose_hits(looks_the_same, azimuth, ctx.targets.azimuth_deg.to(distance.device).float())


@metric("identity_accuracy", "identity acc.", "{:.2f}", higher_is_better=True, kind="gallery")
def identity_accuracy_metric(ctx: MetricContext) -> torch.Tensor:
    """Nearest (L1) among every object's true view at the target pose is the object itself; (N,) 0/1."""
    distance = ctx.gallery.identity_distances(ctx.pred, ctx.targets)
    return identity_hits(distance, ctx.targets.object_row.to(distance.device))
