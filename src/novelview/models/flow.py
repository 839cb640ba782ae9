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

import torch
import torch.nn.functional as F
from torch import nn

from novelview.models.base import ViewSynthesisModel
from novelview.models.poses import build_pose
from novelview.models.registry import register
from novelview.models.unet import PoseUNet, warp


@register("flow")
class FlowModel(ViewSynthesisModel):
    """Options: ``width`` (channel multiplier), ``pose`` (``continuous`` or ``onehot``), ``mask_weight``."""

    heads = {"flow": 2, "pixels": 3, "mix": 1, "mask": 1}

    def __init__(self, width: float = 3, pose: str = "continuous", image_size: int = 64,
                 elevation_range=(0.0, 0.0), num_rotations: int = 36, mask_weight: float = 0.1):
        super().__init__()
        if image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16, not {image_size}")
        self.config = dict(width=width, pose=pose, image_size=image_size, elevation_range=list(elevation_range),
                           num_rotations=num_rotations, mask_weight=mask_weight)
        pose_options = {"num_rotations": num_rotations} if pose == "onehot" else {}
        self.pose = build_pose(pose, elevation_range=elevation_range, **pose_options)
        self.mask_weight = mask_weight
        self.net = PoseUNet(3, 32, self.pose.size, width)
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
