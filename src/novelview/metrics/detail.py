"""Metrics of detail: multi-scale SSIM and sharpness (is the output as crisp as the truth?).

``ms_ssim``: MS-SSIM (Wang et al. 2003) as the maintained ``pytorch-msssim`` package computes it,
on the luma (BT.601) of images in [0, 1], as the original method was defined for grey images. At
64x64 the standard 5 scales with an 11-pixel window do not fit (the package needs the image side
above 16 x (window - 1)), so it uses three scales (64, 32, 16 pixels) with the first three
standard weights renormalised, and a 3-pixel Gaussian window (sigma 1.5). Images of 32 pixels or
fewer get NaN. The package filters with 2-D convolutions, which take a slow path on a CPU for a
one-channel image and a 3-tap window (most of an evaluation's metric time); ``ms_ssim`` here does
the same sums as three shifted slices, in one pass over the five local statistics, and the tests
hold it equal to the package's (within 1e-5).

``sharpness``: inside the target's mask, the mean gradient magnitude (finite differences of luma)
of the output over that of the target: 1 is right, a blur is below 1, noise or ringing above.
NaN where the target has no foreground or no gradient.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from novelview.images import to_unit
from novelview.metrics.image import _check, _need_alpha, luma
from novelview.metrics.registry import MetricContext, metric

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001)
MS_SSIM_MIN_SIDE = 32  # pytorch-msssim needs a side above 16 * (window - 1)
MS_SSIM_C1, MS_SSIM_C2 = 0.01 ** 2, 0.03 ** 2  # (K1 * data range)^2, (K2 * data range)^2 on [0, 1]


def ms_ssim(pred: torch.Tensor, target: torch.Tensor, target_alpha: torch.Tensor | None = None) -> torch.Tensor:
    """Multi-scale SSIM of the luma on [0, 1], 3 scales, 3-pixel Gaussian window (pytorch-msssim); (N,)."""
    _check(pred, target)
    if min(pred.shape[-2:]) <= MS_SSIM_MIN_SIDE:  # the package cannot: NaN, left out of means and counted
        return torch.full(pred.shape[:1], float("nan"), dtype=pred.dtype, device=pred.device)
    weights = torch.tensor(MS_SSIM_WEIGHTS, dtype=torch.float32, device=pred.device)
    weights = weights / weights.sum()
    x, y = luma(to_unit(pred).float()), luma(to_unit(target).float())
    terms = []
    for scale in range(len(weights)):
        mu_x, mu_y, xx, yy, xy = _blur3(torch.cat([x, y, x * x, y * y, x * y], dim=1)).unbind(1)
        mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
        cs_map = (2 * (xy - mu_xy) + MS_SSIM_C2) / ((xx - mu_xx) + (yy - mu_yy) + MS_SSIM_C2)
        if scale < len(weights) - 1:
            terms.append(torch.relu(cs_map.flatten(1).mean(-1)))
            padding = [side % 2 for side in x.shape[2:]]
            x, y = F.avg_pool2d(x, kernel_size=2, padding=padding), F.avg_pool2d(y, kernel_size=2, padding=padding)
        else:
            ssim_map = (2 * mu_xy + MS_SSIM_C1) / (mu_xx + mu_yy + MS_SSIM_C1) * cs_map
            terms.append(torch.relu(ssim_map.flatten(1).mean(-1)))
    return torch.prod(torch.stack(terms) ** weights[:, None], dim=0)


def _blur3(images: torch.Tensor) -> torch.Tensor:
    """The 3-tap Gaussian (sigma 1.5) over rows, then columns, 'valid' region: (N, C, H, W) -> (N, C, H-2, W-2)."""
    g0, g1, g2 = _gauss3(images.dtype, images.device)
    rows = g0 * images[:, :, :-2] + g1 * images[:, :, 1:-1] + g2 * images[:, :, 2:]
    return g0 * rows[..., :-2] + g1 * rows[..., 1:-1] + g2 * rows[..., 2:]


def _gauss3(dtype, device) -> torch.Tensor:
    offsets = torch.tensor([-1.0, 0.0, 1.0])
    g = torch.exp(-(offsets ** 2) / (2 * 1.5 ** 2))
    return (g / g.sum()).to(dtype=dtype, device=device)


def gradient_magnitude(images: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) -> (N, 1, H-1, W-1): sqrt(dx^2 + dy^2) of forward differences."""
    dx = images[..., :-1, 1:] - images[..., :-1, :-1]
    dy = images[..., 1:, :-1] - images[..., :-1, :-1]
    return torch.sqrt(dx * dx + dy * dy)


def sharpness(pred: torch.Tensor, target: torch.Tensor, target_alpha: torch.Tensor | None = None) -> torch.Tensor:
    """Mean luma gradient magnitude of the output over the target's, inside the target mask; (N,)."""
    alpha = _need_alpha("sharpness", target_alpha)
    _check(pred, target, alpha)
    inside = (alpha[..., :-1, :-1] > 0).to(pred.dtype)
    own = (gradient_magnitude(luma(to_unit(pred))) * inside).flatten(1).sum(1)
    truth = (gradient_magnitude(luma(to_unit(target))) * inside).flatten(1).sum(1)
    return torch.where(truth > 0, own / truth.clamp(min=1e-12), torch.full_like(own, float("nan")))


@metric("ms_ssim", "MS-SSIM", "{:.3f}", higher_is_better=True)
def ms_ssim_metric(ctx: MetricContext) -> torch.Tensor:
    """Multi-scale SSIM of the luma on [0, 1], 3 scales, 3-pixel Gaussian window (pytorch-msssim); (N,)."""
    return ms_ssim(ctx.pred, ctx.target)


@metric("sharpness", "sharpness (1 = as sharp as the truth)", "{:.3f}", higher_is_better=True, needs_mask=True)
def sharpness_metric(ctx: MetricContext) -> torch.Tensor:
    """Mean luma gradient magnitude of the output over the target's, inside the target mask; (N,)."""
    return sharpness(ctx.pred, ctx.target, ctx.target_alpha)
