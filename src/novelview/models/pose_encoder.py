"""The original's phase 2: an encoder-decoder told the rotation as a one-hot cube in its latent."""

from __future__ import annotations

import torch
from torch import nn

from novelview.models.base import ViewSynthesisModel
from novelview.models.layers import down, up, xavier_init
from novelview.models.poses import OneHotAzimuth, build_pose
from novelview.models.registry import register


class OneHotGridModel(ViewSynthesisModel):
    """The original models' pose: a one-hot of the relative azimuth on the data set's grid (the
    pose encoder may take the continuous pose instead, with ``pose: continuous``)."""

    takes_pose_option = False

    @classmethod
    def geometry_options(cls, geometry, options: dict) -> dict:
        options = super().geometry_options(geometry, {**options, "pose": options.get("pose", "onehot")})
        if not cls.takes_pose_option:
            options.pop("pose")
        return options


@register("pose_encoder")
class PoseEncoder(OneHotGridModel):
    """Image -> (N, 92, 4, 4) latent; one-hot rotation (N, 36) broadcast to (N, 36, 4, 4);
    concatenated (N, 128, 4, 4) -> transposed convolutions -> (N, 3, 64, 64), tanh.

    Defaults are the original's: encoder 32(BN) -> 48(BN) -> 64(BN) -> 92, decoder 64 -> 32 -> 16 -> 3.
    ``decoder_batch_norm`` adds batch norm after each decoder layer but the last (the GAN's generator).
    ``pose: continuous`` broadcasts the 4-number continuous pose instead of the one-hot.
    """

    takes_pose_option = True

    def __init__(self, encoder_channels=(32, 48, 64, 92), decoder_channels=(64, 32, 16), kernel: int = 3,
                 encoder_batch_norm: bool = True, decoder_batch_norm: bool = False, image_size: int = 64,
                 num_rotations: int = 36, elevation_range=(0.0, 0.0), pose: str = "onehot"):
        super().__init__()
        self.config = dict(encoder_channels=list(encoder_channels), decoder_channels=list(decoder_channels),
                           kernel=kernel, encoder_batch_norm=encoder_batch_norm,
                           decoder_batch_norm=decoder_batch_norm, image_size=image_size,
                           num_rotations=num_rotations, elevation_range=list(elevation_range), pose=pose)
        self.pose = (OneHotAzimuth(num_rotations, elevation_range=elevation_range) if pose == "onehot"
                     else build_pose(pose, elevation_range=elevation_range))
        if image_size % (2 ** len(encoder_channels)) or len(decoder_channels) + 1 != len(encoder_channels):
            raise ValueError("image_size must be divisible by 2**len(encoder_channels), and the decoder "
                             "needs one layer fewer than the encoder (its last layer makes the 3 colours)")
        self.latent_size = image_size // 2 ** len(encoder_channels)
        chans = [3, *encoder_channels]
        # Batch norm on every encoder layer but the one that makes the latent.
        self.encoder = nn.Sequential(*[
            down(a, b, kernel, batch_norm=encoder_batch_norm and i < len(encoder_channels) - 1)
            for i, (a, b) in enumerate(zip(chans[:-1], chans[1:]))
        ])
        dec = [encoder_channels[-1] + self.pose.size, *decoder_channels]
        blocks = [up(a, b, kernel, batch_norm=decoder_batch_norm) for a, b in zip(dec[:-1], dec[1:])]
        blocks.append(up(dec[-1], 3, kernel, last=True))
        self.decoder = nn.Sequential(*blocks)
        xavier_init(self)

    def forward(self, source: torch.Tensor, pose: torch.Tensor) -> dict:
        """source (N, 3, H, W) in [-1, 1], pose (N, num_rotations) one-hot -> {"image": (N, 3, H, W)}."""
        latent = self.encoder(source)
        cube = pose[:, :, None, None].expand(-1, -1, self.latent_size, self.latent_size)
        return {"image": self.decoder(torch.cat([latent, cube.to(latent.dtype)], dim=1))}
