"""Building blocks shared by the models, and the base class that gives every model ``predict``."""

from __future__ import annotations

import torch
from torch import nn

from novelview.errors import NovelviewError


def down(in_ch: int, out_ch: int, kernel: int = 3, batch_norm: bool = False) -> nn.Sequential:
    """Stride-2 'same' convolution (halves H and W), optional batch norm, LeakyReLU(0.2)."""
    layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, kernel, stride=2, padding=kernel // 2)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_ch))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def up(in_ch: int, out_ch: int, kernel: int = 3, batch_norm: bool = False, last: bool = False) -> nn.Sequential:
    """Stride-2 transposed convolution (doubles H and W); the last one ends in tanh."""
    layers: list[nn.Module] = [
        nn.ConvTranspose2d(in_ch, out_ch, kernel, stride=2, padding=kernel // 2, output_padding=1)
    ]
    if last:
        layers.append(nn.Tanh())
        return nn.Sequential(*layers)
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_ch))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def xavier_init(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every (transposed) convolution and linear layer."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class ViewSynthesisModel(nn.Module):
    """Base of every model: ``forward(source, pose_onehot)`` for training, ``predict`` for users.

    Subclasses set ``self.config`` (the constructor's keyword arguments, JSON-able) and
    ``self.num_rotations``, and may restrict ``supported_rotations``.
    """

    model_name = "base"
    config: dict
    num_rotations: int = 36

    @property
    def step_deg(self) -> float:
        return 360.0 / self.num_rotations

    def supported_rotations(self) -> list[float]:
        """Rotations (degrees) this model can produce."""
        return [k * self.step_deg for k in range(self.num_rotations)]

    def rotation_index(self, rotation_deg, batch: int, device) -> torch.Tensor:
        """Degrees (scalar or (N,)) -> (N,) long indices; unsupported angles raise NovelviewError."""
        deg = torch.as_tensor(rotation_deg, dtype=torch.float64).reshape(-1).cpu() % 360.0
        if deg.numel() == 1:
            deg = deg.expand(batch)
        if deg.numel() != batch:
            raise NovelviewError(f"got {deg.numel()} rotations for {batch} images")
        index = torch.round(deg / self.step_deg)
        supported = torch.tensor(self.supported_rotations(), dtype=torch.float64)
        ok = (torch.abs(index * self.step_deg - deg) < 1e-6) & torch.isin(
            torch.round(index * self.step_deg % 360.0, decimals=6), torch.round(supported, decimals=6)
        )
        if not bool(ok.all()):
            bad = float(deg[~ok][0])
            choices = ", ".join(f"{r:g}" for r in self.supported_rotations()[:6])
            more = " ..." if len(self.supported_rotations()) > 6 else ""
            raise NovelviewError(
                f"{self.model_name} cannot rotate by {bad:g} degrees: it supports {choices}{more}"
            )
        return (index.long() % self.num_rotations).to(device)

    def forward(self, source: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, source_images: torch.Tensor, rotation_deg) -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] and a rotation in degrees (scalar or (N,)) -> (N, 3, H, W) in [-1, 1].

        Runs in eval mode (batch norm uses its running statistics) and restores the previous mode.
        """
        if source_images.ndim != 4 or source_images.shape[1] != 3:
            raise NovelviewError(f"expected images of shape (N, 3, H, W), got {tuple(source_images.shape)}")
        index = self.rotation_index(rotation_deg, source_images.shape[0], source_images.device)
        pose = nn.functional.one_hot(index, self.num_rotations).to(source_images.dtype)
        # Every submodule's own flag, so a caller's partly frozen model (e.g. BN kept in eval) stays so.
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            return self(source_images, pose)
        finally:
            for m, training in modes:
                m.training = training
