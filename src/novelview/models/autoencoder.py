"""The original's phase 1: an autoencoder with no pose input that always rotates by +30 degrees."""

from __future__ import annotations

import torch
from torch import nn

from novelview.models.layers import down, up, xavier_init
from novelview.models.pose_encoder import OneHotGridModel
from novelview.models.poses import OneHotAzimuth
from novelview.models.registry import register


@register("autoencoder")
class Autoencoder(OneHotGridModel):
    """conv 32 -> 64 -> 96 (64 -> 8 pixels), deconv 64 -> 32 -> 3, LeakyReLU, tanh; no batch norm.

    ``fixed_rotation_steps`` * (360 / num_rotations) is the one rotation it produces (+30 degrees).
    """

    def __init__(self, encoder_channels=(32, 64, 96), decoder_channels=(64, 32), kernel: int = 3,
                 image_size: int = 64, num_rotations: int = 36, fixed_rotation_steps: int = 3,
                 elevation_range=(0.0, 0.0)):
        super().__init__()
        self.config = dict(encoder_channels=list(encoder_channels), decoder_channels=list(decoder_channels),
                           kernel=kernel, image_size=image_size, num_rotations=num_rotations,
                           fixed_rotation_steps=fixed_rotation_steps, elevation_range=list(elevation_range))
        # The pose is not an input: the encoding only says which one rotation it draws.
        self.pose = OneHotAzimuth(num_rotations, [fixed_rotation_steps % num_rotations], elevation_range)
        chans = [3, *encoder_channels]
        self.encoder = nn.Sequential(*[down(a, b, kernel) for a, b in zip(chans[:-1], chans[1:])])
        dec = [encoder_channels[-1], *decoder_channels]
        blocks = [up(a, b, kernel) for a, b in zip(dec[:-1], dec[1:])]
        blocks.append(up(dec[-1], 3, kernel, last=True))
        self.decoder = nn.Sequential(*blocks)
        xavier_init(self)

    def forward(self, source: torch.Tensor, pose: torch.Tensor | None = None) -> dict:
        """(N, 3, H, W) -> {"image": (N, 3, H, W)}; ``pose`` is ignored (the rotation is built in)."""
        return {"image": self.decoder(self.encoder(source))}
