"""Convolution blocks and initialisation shared by the models (the base class lives in base.py)."""

from __future__ import annotations

from torch import nn



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
