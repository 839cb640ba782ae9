"""``flow_completion``: the flow/visibility stage, then a completion U-Net that repaints the view.

As TVSN: a second pose-conditioned U-Net sees what the first stage made of the view (the warped
source masked by the predicted visibility, the visibility itself, and the first stage's image),
and the first stage's bottleneck. It outputs corrections to the first stage's pixel and mix
logits; they start at zero, so an untrained completion network leaves the first stage's image
as it is and learns only what improves it. The image is then composed like the first stage's.

Losses: the objective's on the final image; the first stage's own terms (mask, visibility, warp)
and its image's L1 at ``coarse_weight``, so that the first stage keeps doing its job. TVSN trains
the completion with an adversarial term: use the ``adversarial`` objective for that.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from novelview.config.options import option
from novelview.models.base import ViewSynthesisModel
from novelview.models.flow import FlowOptions
from novelview.models.flow_visibility import FlowVisibilityModel
from novelview.models.registry import register
from novelview.models.unet import PoseUNet


@dataclass(frozen=True)
class FlowCompletionOptions(FlowOptions):
    visibility_weight: float = option(1.0, "weight of the visibility's cross-entropy", minimum=0.0, training=True)
    warp_weight: float = option(1.0, "weight of the warp's L1 on visible pixels", minimum=0.0, training=True)
    completion_width: float = option(1.5, "channel multiplier of the completion U-Net", minimum=0.0, exclusive=True)
    coarse_weight: float = option(0.5, "weight of the first stage's image L1", minimum=0.0, training=True)


@register("flow_completion")
class FlowCompletionModel(ViewSynthesisModel):
    """Options as ``flow_visibility``, plus ``completion_width`` and ``coarse_weight``."""

    visuals = ("coarse", "warped", "mix")  # the sample grid's extra rows

    needs = frozenset({"visibility"})

    Options = FlowCompletionOptions

    def __init__(self, options: FlowCompletionOptions | None = None, **kwargs):
        super().__init__()
        o = self.take_options(options, kwargs)
        first = FlowVisibilityModel.Options
        self.coarse = FlowVisibilityModel(first(**{f.name: getattr(o, f.name) for f in dataclasses.fields(first)
                                                   if hasattr(o, f.name)}))
        self.pose = self.coarse.pose
        self.coarse_weight = o.coarse_weight
        self.completion = PoseUNet(7, 32, self.pose.size, o.completion_width,
                                   extra_bottleneck=self.coarse.net.bottleneck_channels)
        self.correction = nn.Conv2d(self.completion.out_features, 4, 3, 1, 1)
        with torch.no_grad():
            self.correction.weight.zero_()
            self.correction.bias.zero_()

    def forward(self, source: torch.Tensor, pose_code: torch.Tensor) -> dict:
        first = self.coarse(source, pose_code)
        visibility, warped = first["visibility"], first["warped"]
        inputs = torch.cat([warped * visibility, visibility, first["image"]], dim=1)
        features, _ = self.completion(inputs, pose_code, extra=first["bottleneck"])
        pixel_fix, mix_fix = self.correction(features).split([3, 1], dim=1)
        mix = torch.sigmoid(first["visibility_logit"] + mix_fix)
        content = mix * warped + (1 - mix) * torch.tanh(first["pixel_logits"] + pixel_fix)
        mask = torch.sigmoid(first["mask_logit"])
        return {**first, "coarse": first["image"], "image": mask * content + (1 - mask), "mix": mix}

    def losses(self, outputs: dict, batch: dict) -> dict:
        terms = self.coarse.losses(outputs, batch)
        terms["coarse_l1"] = self.coarse_weight * F.l1_loss(outputs["coarse"].float(), batch["target"])
        return terms
