"""``flow_visibility``: appearance flow whose mix is a visibility map supervised from geometry.

As TVSN's first stage (DOAFN): the network also predicts, per target pixel, whether the source
can see it. That prediction is the mix of the warped source and the pixel head, and it is
trained with cross-entropy against the true visibility of the pair (reprojected depth, see
``novelview.data.visibility``), so the model warps where warping is right and paints elsewhere.
A second term is the warp's own L1 on the truly visible pixels (TVSN weighs it 2x; here 1x
beside the image L1), which teaches the flow directly where it has an answer.

``mix_residual`` (off by default, as the shipped weights were trained): a zero-initialised head
adds a correction to the visibility logit before it mixes, as the completion stage of
``flow_completion`` does. Visibility stays supervised and reported, but the image may still lean
on the pixel head where warping a visible pixel is not yet right (early in training, thin parts).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from novelview.config.options import option
from novelview.models.flow import FlowModel, FlowOptions
from novelview.models.registry import register
from novelview.models.unet import warp


@dataclass(frozen=True)
class FlowVisibilityOptions(FlowOptions):
    visibility_weight: float = option(1.0, "weight of the visibility's cross-entropy", minimum=0.0, training=True)
    warp_weight: float = option(1.0, "weight of the warp's L1 on visible pixels", minimum=0.0, training=True)
    mix_residual: bool = option(False, "a zero-initialised correction of the visibility before it mixes")


@register("flow_visibility")
class FlowVisibilityModel(FlowModel):
    """Options as ``flow``, plus ``visibility_weight``, ``warp_weight`` and ``mix_residual``."""

    visuals = ("warped", "visibility")  # the sample grid's extra rows

    needs = frozenset({"visibility"})

    Options = FlowVisibilityOptions

    def __init__(self, options: FlowVisibilityOptions | None = None, **kwargs):
        super().__init__(self.parse_options(kwargs) if options is None else options)
        o = self.options
        self.visibility_weight, self.warp_weight = o.visibility_weight, o.warp_weight
        self.mix_fix = None
        if o.mix_residual:
            self.mix_fix = nn.Conv2d(self.net.out_features, 1, 3, 1, 1)
            nn.init.zeros_(self.mix_fix.weight)
            nn.init.zeros_(self.mix_fix.bias)

    def forward(self, source: torch.Tensor, pose_code: torch.Tensor) -> dict:
        features, bottleneck = self.net(source, pose_code)
        out = self.split_heads(features)
        warped = warp(source, out["flow"])
        visibility = torch.sigmoid(out["mix"])  # the mix head, read as visibility
        mix = visibility if self.mix_fix is None else torch.sigmoid(out["mix"] + self.mix_fix(features))
        content = mix * warped + (1 - mix) * torch.tanh(out["pixels"])
        mask = torch.sigmoid(out["mask"])
        return {"image": mask * content + (1 - mask), "flow": out["flow"], "warped": warped, "mix": mix,
                "visibility": visibility, "visibility_logit": out["mix"], "mask_logit": out["mask"],
                "pixel_logits": out["pixels"], "bottleneck": bottleneck}

    def losses(self, outputs: dict, batch: dict) -> dict:
        terms = super().losses(outputs, batch)
        seen = batch["visibility"]
        terms["visibility_bce"] = self.visibility_weight * F.binary_cross_entropy_with_logits(
            outputs["visibility_logit"].float(), seen)
        # Only object pixels the source sees: background is visible by definition and trivial.
        where = seen * (batch["target_alpha"] > 0)
        warp_error = ((outputs["warped"].float() - batch["target"]).abs() * where).sum() / (3 * where.sum() + 1)
        terms["warp_l1"] = self.warp_weight * warp_error
        return terms
