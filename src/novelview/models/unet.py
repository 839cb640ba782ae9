"""The pose-conditioned U-Net the sharp-view families are built from, and the warp they share.

``PoseUNet``: a stride-2 encoder from H x W down to H/16, the pose (an encoding vector, through a
small MLP) broadcast over the bottleneck, and a decoder that upsamples back to H x W, taking the
encoder's features of each scale (skip connections) so that detail does not have to squeeze
through the bottleneck. Channels scale with ``width`` (1 = the original pose encoder's
16-32-64-92 budget; 4 = the "4x wide" network of the measurements in the anchors).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BASE_CHANNELS = (16, 32, 64, 92)  # the original pose encoder's widths, scaled by ``width``


def conv(in_ch: int, out_ch: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, stride, 1), nn.LeakyReLU(0.2))


def warp(source: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``source`` (N, C, H, W) bilinearly at the identity grid plus ``flow`` (N, 2, H, W),
    offsets in normalised coordinates ([-1, 1] spans the image; x first). Zero flow returns the
    source (exactly at power-of-two sizes, to float rounding at others); samples outside the image take the nearest border pixel (the white background)."""
    n, _, h, w = source.shape
    ys = (torch.arange(h, device=source.device, dtype=flow.dtype) * 2 + 1) / h - 1
    xs = (torch.arange(w, device=source.device, dtype=flow.dtype) * 2 + 1) / w - 1
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (H, W, 2) as (x, y)
    grid = grid.unsqueeze(0) + flow.permute(0, 2, 3, 1)
    return F.grid_sample(source, grid.to(source.dtype), mode="bilinear", padding_mode="border", align_corners=False)


class PoseUNet(nn.Module):
    """(N, in_channels, H, W) and a pose vector (N, pose_size) -> features (N, out_features, H, W)
    and the bottleneck (N, bottleneck_channels, H/16, W/16).

    ``extra_bottleneck`` channels (for example another network's bottleneck) may be concatenated
    at the bottleneck.
    """

    def __init__(self, in_channels: int, out_channels: int, pose_size: int, width: float = 4,
                 pose_features: int = 64, extra_bottleneck: int = 0):
        super().__init__()
        c = [max(8, int(round(b * width))) for b in BASE_CHANNELS]
        stem = c[0] // 2
        self.stem = conv(in_channels, stem)
        self.down = nn.ModuleList([conv(a, b, stride=2) for a, b in zip([stem, *c[:-1]], c)])
        self.pose_mlp = nn.Sequential(nn.Linear(pose_size, pose_features), nn.LeakyReLU(0.2),
                                      nn.Linear(pose_features, pose_features), nn.LeakyReLU(0.2))
        self.middle = conv(c[-1] + pose_features + extra_bottleneck, c[-1])
        skips = [stem, *c[:-1]]  # features at H, H/2, H/4, H/8
        ups, prev = [], c[-1]
        for skip, out in zip(reversed(skips), [c[2], c[1], c[0], max(out_channels, stem)]):
            ups.append(conv(prev + skip, out))
            prev = out
        self.up = nn.ModuleList(ups)
        self.out_features = prev
        self.bottleneck_channels = c[-1]

    def forward(self, images: torch.Tensor, pose: torch.Tensor,
                extra: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.stem(images)
        skips = [h]
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        skips.pop()  # the deepest features are the bottleneck itself
        code = self.pose_mlp(pose.to(h.dtype))[:, :, None, None].expand(-1, -1, *h.shape[-2:])
        parts = [h, code] + ([extra] if extra is not None else [])
        bottleneck = h = self.middle(torch.cat(parts, dim=1))
        for layer, skip in zip(self.up, reversed(skips)):
            h = F.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = layer(torch.cat([h, skip], dim=1))
        return h, bottleneck
