"""``l1_ssim``: the ``l1`` objective plus a structural term, ``ssim_weight * (1 - masked luma SSIM)``.

Why: L1 alone is minimised by the per-pixel median of what the target could be, which keeps
edges and texture soft where the model is unsure; SSIM compares local means, contrasts and
structure, so it rewards getting the object's edges and shading in the right places (Zhao et al.,
"Loss Functions for Image Restoration with Neural Networks", 2017, mix L1 with MS-SSIM for the
same reason). The SSIM here is the evaluation's own masked luma SSIM
(``novelview.metrics.image.ssim_luma_masked``: the images multiplied by the target's alpha, BT.601
luma, Gaussian 11x11 window), so training and the reported figure measure the same thing. Pairs
whose target has no foreground pixel contribute no SSIM term (the metric is undefined there).
The term is logged weighted, as the model families log theirs (``train/ssim_loss``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from novelview.config.options import option
from novelview.metrics.image import ssim_luma_masked
from novelview.objectives.l1 import L1Objective, L1Options
from novelview.objectives.registry import register_objective


def masked_ssim_loss(image: torch.Tensor, target: torch.Tensor, target_alpha: torch.Tensor) -> torch.Tensor:
    """Mean of 1 - masked luma SSIM over the pairs whose target has a foreground; 0 if none has."""
    value = ssim_luma_masked(image, target, target_alpha)
    defined = torch.isfinite(value)
    if not bool(defined.any()):
        return image.sum() * 0.0  # keeps the graph (and the loss's device and dtype) for backward
    return (1.0 - value[defined]).mean()


@dataclass(frozen=True)
class L1SSIMOptions(L1Options):
    ssim_weight: float = option(0.3, "weight of 1 - masked luma SSIM", minimum=0.0)


@register_objective("l1_ssim")
class L1SSIMObjective(L1Objective):
    Options = L1SSIMOptions

    def image_terms(self, image, batch: dict) -> dict:
        loss = masked_ssim_loss(image, batch["target"], batch["target_alpha"])
        return {"ssim_loss": self.options["ssim_weight"] * loss}
