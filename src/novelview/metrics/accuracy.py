"""Pose and identity accuracy: is the output the right view of the right object?

Both compare the output (L1 on [-1, 1]) with a gallery of true views:
- ``pose_accuracy``: among the same object's views at the target elevation (every azimuth), the
  nearest one lies within ``tolerance_deg`` (10 degrees) of the target azimuth, or looks the same
  (``TWIN_L1``) as a view that does. Without that rule a mug without a handle, the same from every
  side, would be scored by which of its identical views float noise puts first;
- ``identity_accuracy``: among every object of the split seen at the target's elevation and grid
  azimuth, the nearest one is the source's own object.
A blur that is nearest to nothing in particular fails both; copying the input passes identity but
fails pose. Evaluation gathers the galleries (``novelview.evaluation.evaluate``).
"""

from __future__ import annotations

import torch

from novelview.metrics.registry import metric

TOLERANCE_DEG = 10.0
# Two true views closer than this (mean |difference| on [-1, 1], under one grey level in 255) are
# the same picture; procedural mugs without a handle give such twins 20 or more degrees apart.
TWIN_L1 = 0.005


def _flat(images: torch.Tensor) -> torch.Tensor:
    return images.float().flatten(1) if images.ndim == 4 else images.float().flatten(2)


@metric("pose_accuracy", "pose acc.", "{:.2f}", higher_is_better=True, kind="gallery")
def pose_accuracy(pred: torch.Tensor, gallery: torch.Tensor, gallery_azimuth: torch.Tensor,
                  target_azimuth: torch.Tensor, tolerance_deg: float = TOLERANCE_DEG) -> torch.Tensor:
    """Nearest true view (L1) of the same object, or its twin, is within +-10 degrees of the target; (N,) 0/1.

    pred (N, 3, H, W); gallery (N, K, 3, H, W) each pair's object at K azimuths; azimuths in degrees.
    """
    views = _flat(gallery)  # (N, K, D)
    distance = (views - _flat(pred)[:, None]).abs().mean(-1)  # (N, K)
    nearest_view = views[torch.arange(len(views)), distance.argmin(1)]  # (N, D)
    looks_the_same = (views - nearest_view[:, None]).abs().mean(-1) <= TWIN_L1  # (N, K); the nearest itself too
    off = torch.remainder(gallery_azimuth - target_azimuth[:, None] + 180.0, 360.0) - 180.0
    right_pose = off.abs() <= tolerance_deg + 1e-6  # (N, K)
    return (looks_the_same & right_pose).any(1).float()


@metric("identity_accuracy", "identity acc.", "{:.2f}", higher_is_better=True, kind="gallery")
def identity_accuracy(pred: torch.Tensor, candidates: torch.Tensor, own_index: torch.Tensor) -> torch.Tensor:
    """Nearest (L1) among every object's true view at the target pose is the object itself; (N,) 0/1.

    pred (N, 3, H, W) all at one target pose; candidates (C, 3, H, W); own_index (N,) into candidates.
    """
    distance = torch.cdist(_flat(pred), _flat(candidates), p=1)  # (N, C)
    return (distance.argmin(1) == own_index).float()
