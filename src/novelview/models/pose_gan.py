"""The original's phase 3: the pose encoder as generator, judged by a small discriminator.

The generator is a PoseEncoder with batch norm after decoder layers 1-3. The discriminator has
no batch norm and dropout 0.5 to keep it weak; its middle activation serves feature matching.
Training (losses, update ratio, skipping) lives in ``novelview.objectives.original_gan``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from novelview.config.options import option
from novelview.models.layers import xavier_init
from novelview.models.pose_encoder import OneHotGridModel, PoseEncoder
from novelview.models.registry import register


class Discriminator(nn.Module):
    """conv 5x5 16 -> 32 -> dropout -> 64 -> dropout -> linear -> 1 logit; all stride 2, LeakyReLU."""

    def __init__(self, channels=(16, 32, 64), kernel: int = 5, dropout: float = 0.5, image_size: int = 64):
        super().__init__()
        c1, c2, c3 = channels
        act = nn.LeakyReLU(0.2)
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, kernel, 2, kernel // 2), act,
            nn.Conv2d(c1, c2, kernel, 2, kernel // 2), act, nn.Dropout(dropout),
            nn.Conv2d(c2, c3, kernel, 2, kernel // 2), act,
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Flatten(), nn.Linear(c3 * (image_size // 8) ** 2, 1))
        xavier_init(self)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 3, H, W) in [-1, 1] -> logits (N,), features (N, C, H/8, W/8) for feature matching."""
        features = self.features(images)
        return self.head(features).squeeze(1), features


@dataclass(frozen=True)
class PoseGANOptions:
    encoder_channels: tuple[int, ...] = option((32, 48, 64, 92), "generator encoder channels", minimum=1)
    decoder_channels: tuple[int, ...] = option((64, 32, 16), "generator decoder channels", minimum=1)
    kernel: int = option(3, "generator kernel size", minimum=1)
    image_size: int = option(64, "image side in pixels", from_data=True, minimum=1)
    num_rotations: int = option(36, "azimuth steps in a full turn", from_data=True, minimum=1)
    disc_channels: tuple[int, int, int] = option((16, 32, 64), "discriminator conv channels", minimum=1)
    disc_kernel: int = option(5, "discriminator kernel size", minimum=1)
    disc_dropout: float = option(0.5, "discriminator dropout", minimum=0.0)
    elevation_range: tuple[float, float] = option((0.0, 0.0), "elevations trained at, degrees", from_data=True)


@register("pose_gan")
class PoseGAN(OneHotGridModel):
    """Generator (used by ``predict``) plus discriminator (used only in training)."""

    Options = PoseGANOptions

    def __init__(self, options: PoseGANOptions | None = None, **kwargs):
        super().__init__()
        o = self.take_options(options, kwargs)
        self.generator = PoseEncoder(encoder_channels=o.encoder_channels, decoder_channels=o.decoder_channels,
                                     kernel=o.kernel, encoder_batch_norm=True, decoder_batch_norm=True,
                                     image_size=o.image_size, num_rotations=o.num_rotations,
                                     elevation_range=o.elevation_range)
        self.pose = self.generator.pose
        self.discriminator = Discriminator(o.disc_channels, o.disc_kernel, o.disc_dropout, o.image_size)

    def forward(self, source: torch.Tensor, pose: torch.Tensor) -> dict:
        return self.generator(source, pose)
