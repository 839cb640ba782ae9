"""Metrics of detail: multi-scale SSIM and sharpness (is the output as crisp as the truth?).

``ms_ssim``: MS-SSIM (Wang et al. 2003) from the maintained ``pytorch-msssim`` package, on the
luma (BT.601) of images in [0, 1], as the original method was defined for grey images (and three
times cheaper than on RGB: the package's filtering is slow on a CPU). At 64x64 the standard 5 scales with an 11-pixel window do not fit (the package needs the
image side above 16 x (window - 1)), so it uses three scales (64, 32, 16 pixels) with the first
three standard weights renormalised, and a 3-pixel Gaussian window (sigma 1.5). Images of 32
pixels or fewer get NaN.

``sharpness``: inside the target's mask, the mean gradient magnitude (finite differences of luma)
of the output over that of the target: 1 is right, a blur is below 1, noise or ringing above.
NaN where the target has no foreground or no gradient.
"""

from __future__ import annotations

import torch
from pytorch_msssim import ms_ssim as _ms_ssim

from novelview.images import to_unit
from novelview.metrics.image import _check, _need_alpha, luma
from novelview.metrics.registry import metric

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001)
MS_SSIM_MIN_SIDE = 32  # pytorch-msssim needs a side above 16 * (window - 1)


@metric("ms_ssim", "MS-SSIM", "{:.3f}", higher_is_better=True)
def ms_ssim(pred: torch.Tensor, target: torch.Tensor, target_alpha: torch.Tensor | None = None) -> torch.Tensor:
    """Multi-scale SSIM of the luma on [0, 1], 3 scales, 3-pixel Gaussian window (pytorch-msssim); (N,)."""
    _check(pred, target)
    if min(pred.shape[-2:]) <= MS_SSIM_MIN_SIDE:  # the package cannot: NaN, left out of means and counted
        return torch.full(pred.shape[:1], float("nan"), dtype=pred.dtype, device=pred.device)
    weights = torch.tensor(MS_SSIM_WEIGHTS, dtype=torch.float32)
    weights = (weights / weights.sum()).tolist()
    return _ms_ssim(luma(to_unit(pred).float()), luma(to_unit(target).float()), data_range=1.0, size_average=False,
                    win_size=3, weights=weights)


def gradient_magnitude(images: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) -> (N, 1, H-1, W-1): sqrt(dx^2 + dy^2) of forward differences."""
    dx = images[..., :-1, 1:] - images[..., :-1, :-1]
    dy = images[..., 1:, :-1] - images[..., :-1, :-1]
    return torch.sqrt(dx * dx + dy * dy)


@metric("sharpness", "sharpness (1 = as sharp as the truth)", "{:.3f}", higher_is_better=True, needs_mask=True)
def sharpness(pred: torch.Tensor, target: torch.Tensor, target_alpha: torch.Tensor | None = None) -> torch.Tensor:
    """Mean luma gradient magnitude of the output over the target's, inside the target mask; (N,)."""
    alpha = _need_alpha("sharpness", target_alpha)
    _check(pred, target, alpha)
    inside = (alpha[..., :-1, :-1] > 0).to(pred.dtype)
    own = (gradient_magnitude(luma(to_unit(pred))) * inside).flatten(1).sum(1)
    truth = (gradient_magnitude(luma(to_unit(target))) * inside).flatten(1).sum(1)
    return torch.where(truth > 0, own / truth.clamp(min=1e-12), torch.full_like(own, float("nan")))
