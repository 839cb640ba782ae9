"""The original's phase 1: an autoencoder with no pose input that always rotates by +30 degrees."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from novelview.config.options import option
from novelview.models.layers import down, up, xavier_init
from novelview.models.pose_encoder import OneHotGridModel
from novelview.models.poses import OneHotAzimuth
from novelview.models.registry import register


@dataclass(frozen=True)
class AutoencoderOptions:
    encoder_channels: tuple[int, ...] = option((32, 64, 96), "encoder conv channels (each halves the size)", minimum=1)
    decoder_channels: tuple[int, ...] = option((64, 32), "decoder deconv channels, one fewer than the encoder's",
                                               minimum=1)
    kernel: int = option(3, "convolution kernel size", minimum=1)
    image_size: int = option(64, "image side in pixels", from_data=True, minimum=1)
    num_rotations: int = option(36, "azimuth steps in a full turn", from_data=True, minimum=1)
    fixed_rotation_steps: int = option(3, "the one rotation it draws, in azimuth steps", minimum=0)
    elevation_range: tuple[float, float] = option((0.0, 0.0), "elevations trained at, degrees", from_data=True)


@register("autoencoder")
class Autoencoder(OneHotGridModel):
    """conv 32 -> 64 -> 96 (64 -> 8 pixels), deconv 64 -> 32 -> 3, LeakyReLU, tanh; no batch norm.

    ``fixed_rotation_steps`` * (360 / num_rotations) is the one rotation it produces (+30 degrees).
    """

    Options = AutoencoderOptions

    def __init__(self, options: AutoencoderOptions | None = None, **kwargs):
        super().__init__()
        o = self.take_options(options, kwargs)
        encoder_channels, decoder_channels, kernel = o.encoder_channels, o.decoder_channels, o.kernel
        num_rotations, fixed_rotation_steps, elevation_range = o.num_rotations, o.fixed_rotation_steps, o.elevation_range
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
