"""The original's phase 3: the pose encoder as generator, judged by a small discriminator.

The generator is a PoseEncoder with batch norm after decoder layers 1-3. The discriminator has
no batch norm and dropout 0.5 to keep it weak; its middle activation serves feature matching.
Training (losses, update ratio, skipping) lives in ``novelview.objectives.original_gan``.
"""

from __future__ import annotations

import torch
from torch import nn

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


@register("pose_gan")
class PoseGAN(OneHotGridModel):
    """Generator (used by ``predict``) plus discriminator (used only in training)."""

    def __init__(self, encoder_channels=(32, 48, 64, 92), decoder_channels=(64, 32, 16), kernel: int = 3,
                 image_size: int = 64, num_rotations: int = 36, disc_channels=(16, 32, 64),
                 disc_kernel: int = 5, disc_dropout: float = 0.5, elevation_range=(0.0, 0.0)):
        super().__init__()
        self.config = dict(encoder_channels=list(encoder_channels), decoder_channels=list(decoder_channels),
                           kernel=kernel, image_size=image_size, num_rotations=num_rotations,
                           disc_channels=list(disc_channels), disc_kernel=disc_kernel, disc_dropout=disc_dropout,
                           elevation_range=list(elevation_range))
        self.generator = PoseEncoder(encoder_channels, decoder_channels, kernel, encoder_batch_norm=True,
                                     decoder_batch_norm=True, image_size=image_size, num_rotations=num_rotations,
                                     elevation_range=elevation_range)
        self.pose = self.generator.pose
        self.discriminator = Discriminator(disc_channels, disc_kernel, disc_dropout, image_size)

    def forward(self, source: torch.Tensor, pose: torch.Tensor) -> dict:
        return self.generator(source, pose)
