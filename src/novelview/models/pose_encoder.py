"""The original's phase 2: an encoder-decoder told the rotation as a one-hot cube in its latent."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from novelview.config.options import option
from novelview.models.base import ViewSynthesisModel
from novelview.models.layers import down, up, xavier_init
from novelview.models.poses import build_pose, pose_names
from novelview.models.registry import register


class OneHotGridModel(ViewSynthesisModel):
    """The original models' pose: a one-hot of the relative azimuth on the data set's grid (the
    pose encoder may take the continuous pose instead, with ``pose: continuous``)."""

    fixed_pose = "onehot"


@dataclass(frozen=True)
class PoseEncoderOptions:
    encoder_channels: tuple[int, ...] = option((32, 48, 64, 92), "encoder conv channels (each halves the size)",
                                               minimum=1)
    decoder_channels: tuple[int, ...] = option((64, 32, 16), "decoder deconv channels, one fewer than the encoder's",
                                               minimum=1)
    kernel: int = option(3, "convolution kernel size", minimum=1)
    encoder_batch_norm: bool = option(True, "batch norm after each encoder layer but the last")
    decoder_batch_norm: bool = option(False, "batch norm after each decoder layer but the last")
    image_size: int = option(64, "image side in pixels", from_data=True, minimum=1)
    num_rotations: int = option(36, "azimuth steps in a full turn, for the one-hot pose", from_data=True, minimum=1)
    elevation_range: tuple[float, float] = option((0.0, 0.0), "elevations trained at, degrees", from_data=True)
    pose: str = option("onehot", "pose encoding", choices=pose_names)


@register("pose_encoder")
class PoseEncoder(OneHotGridModel):
    """Image -> (N, 92, 4, 4) latent; one-hot rotation (N, 36) broadcast to (N, 36, 4, 4);
    concatenated (N, 128, 4, 4) -> transposed convolutions -> (N, 3, 64, 64), tanh.

    Defaults are the original's: encoder 32(BN) -> 48(BN) -> 64(BN) -> 92, decoder 64 -> 32 -> 16 -> 3.
    ``decoder_batch_norm`` adds batch norm after each decoder layer but the last (the GAN's generator).
    ``pose: continuous`` broadcasts the 4-number continuous pose instead of the one-hot.
    """

    Options = PoseEncoderOptions

    def __init__(self, options: PoseEncoderOptions | None = None, **kwargs):
        super().__init__()
        o = self.take_options(options, kwargs)
        encoder_channels, decoder_channels, kernel = o.encoder_channels, o.decoder_channels, o.kernel
        image_size, encoder_batch_norm, decoder_batch_norm = o.image_size, o.encoder_batch_norm, o.decoder_batch_norm
        self.pose = build_pose(o.pose, self.config, elevation_range=o.elevation_range)
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
