"""``flow``: appearance flow (Zhou et al. 2016) with a pixel head and a foreground mask.

A pose-conditioned U-Net predicts, at every target pixel:
- ``flow`` (2 channels): where to sample the source, as offsets from the identity grid
  (zero-initialised, so an untrained model copies its input);
- ``pixels`` (3, tanh): colours for what the source cannot show;
- ``mix`` (1, sigmoid): how much of the warped source to use;
- ``mask`` (1, logit): the target's silhouette.
The image is ``mask * (mix * warped + (1 - mix) * pixels) + (1 - mask) * white``. The family's
own loss is the mask's cross-entropy against the target's alpha (weight 0.1, as appearance flow).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from novelview.config.options import option
from novelview.models.base import ViewSynthesisModel
from novelview.models.poses import build_pose, pose_names
from novelview.models.registry import register
from novelview.models.unet import PoseUNet, warp


@dataclass(frozen=True)
class FlowOptions:
    width: float = option(3, "channel multiplier of the U-Net (1: the original pose encoder's)", minimum=0.0,
                          exclusive=True)
    pose: str = option("continuous", "pose encoding", choices=pose_names)
    image_size: int = option(64, "image side in pixels, a multiple of 16", from_data=True, minimum=16)
    elevation_range: tuple[float, float] = option((0.0, 0.0), "elevations trained at, degrees", from_data=True)
    num_rotations: int = option(36, "azimuth steps in a full turn, for the one-hot pose", from_data=True, minimum=1)
    mask_weight: float = option(0.1, "weight of the mask's cross-entropy", minimum=0.0, training=True)


@register("flow")
class FlowModel(ViewSynthesisModel):
    """Options: ``width`` (channel multiplier), ``pose`` (``continuous`` or ``onehot``), ``mask_weight``."""

    visuals = ("warped", "mix")  # the sample grid's extra rows

    heads = {"flow": 2, "pixels": 3, "mix": 1, "mask": 1}

    Options = FlowOptions

    def __init__(self, options: FlowOptions | None = None, **kwargs):
        super().__init__()
        o = self.take_options(options, kwargs)
        if o.image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16, not {o.image_size}")
        self.pose = build_pose(o.pose, self.config, elevation_range=o.elevation_range)
        self.mask_weight = o.mask_weight
        self.net = PoseUNet(3, 32, self.pose.size, o.width)
        self.head = nn.Conv2d(self.net.out_features, sum(self.heads.values()), 3, 1, 1)
        with torch.no_grad():  # start as "copy the input": no flow, (almost) all warp, all foreground
            self.head.weight.zero_()
            self.head.bias.zero_()
            self.head.bias[5:7] = 4.0  # the mix and mask logits

    def split_heads(self, features: torch.Tensor) -> dict:
        return dict(zip(self.heads, self.head(features).split(list(self.heads.values()), dim=1)))

    def forward(self, source: torch.Tensor, pose_code: torch.Tensor) -> dict:
        features, bottleneck = self.net(source, pose_code)
        out = self.split_heads(features)
        warped = warp(source, out["flow"])
        mix = torch.sigmoid(out["mix"])
        content = mix * warped + (1 - mix) * torch.tanh(out["pixels"])
        mask = torch.sigmoid(out["mask"])
        image = mask * content + (1 - mask)
        return {"image": image, "flow": out["flow"], "warped": warped, "mix": mix,
                "mask_logit": out["mask"], "pixel_logits": out["pixels"], "bottleneck": bottleneck}

    def losses(self, outputs: dict, batch: dict) -> dict:
        mask = F.binary_cross_entropy_with_logits(outputs["mask_logit"].float(), batch["target_alpha"])
        return {"mask_bce": self.mask_weight * mask}
