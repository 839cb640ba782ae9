"""Image conventions shared by every module: the one place where uint8 becomes float and back.

On disk, views are uint8 RGBA (straight alpha, sRGB). Models see float RGB in [-1, 1],
composited on a white background, channels first: (N, 3, H, W). ``views_to_model`` does that
conversion for training, evaluation and generation alike, on whatever device holds the views
(the accelerator when training on one), so the CPU never converts a batch to float for a GPU.
"""

from __future__ import annotations

import numpy as np
import torch

BACKGROUND = 255  # white, as the original renders


def composite_on_white(rgba_uint8: np.ndarray) -> np.ndarray:
    """(..., 4) uint8 straight-alpha RGBA -> (..., 3) uint8 RGB over white."""
    rgb = rgba_uint8[..., :3].astype(np.float32)
    alpha = rgba_uint8[..., 3:4].astype(np.float32) / 255.0
    out = rgb * alpha + BACKGROUND * (1.0 - alpha)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def views_to_model(views_uint8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, H, W, 4) uint8 RGBA, or (N, H, W, 3) RGB, on any device -> RGB (N, 3, H, W) float32 in
    [-1, 1] composited on white, and alpha (N, 1, H, W) float32 in [0, 1] (ones for RGB input).

    x * 2/255 - 1, as the original; compositing is ``white + alpha * (rgb - white)`` in float, in
    one pass over a channels-first copy (about 2.5x faster on a CPU than slicing channels-last).
    """
    channels = views_uint8.permute(0, 3, 1, 2).contiguous().float()
    if channels.shape[1] == 3:
        return channels.mul_(2.0 / 255.0).sub_(1.0), torch.ones_like(channels[:, :1])
    alpha = channels[:, 3:4].mul_(1.0 / 255.0)
    # Written into a contiguous tensor (a slice of the 4 channels would be strided, and convolutions
    # on a CPU take a much slower path on strided input): white + alpha * (rgb * 2/255 - 2).
    rgb = torch.empty_like(channels[:, :3], memory_format=torch.contiguous_format)
    torch.mul(channels[:, :3], 2.0 / 255.0, out=rgb)
    return rgb.sub_(2.0).mul_(alpha).add_(1.0), alpha


def to_model_input(images_uint8: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(N, H, W, 3 or 4) uint8 -> (N, 3, H, W) float32 in [-1, 1], composited on white."""
    if isinstance(images_uint8, np.ndarray):
        images_uint8 = torch.from_numpy(np.array(images_uint8, copy=True))  # mapped or read-only arrays
    return views_to_model(images_uint8)[0]


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) float in [-1, 1] -> (N, H, W, 3) uint8, shown as (y + 1) * 127.5."""
    array = images.detach().float().clamp(-1, 1).add(1).mul(127.5).round()
    return array.permute(0, 2, 3, 1).to(torch.uint8).cpu().numpy()


def visual_to_uint8(output: torch.Tensor) -> np.ndarray:
    """A model's named output as pictures for a sample grid: (N, 3, H, W) in [-1, 1] as images,
    (N, 1, H, W) in [0, 1] (a mix, visibility or coverage map) as grey, black = 0."""
    if output.shape[1] == 1:
        return to_uint8(output.detach().float().clamp(0, 1).mul(2).sub(1).expand(-1, 3, -1, -1))
    if output.shape[1] == 3:
        return to_uint8(output)
    raise ValueError(f"a visual has 1 or 3 channels, not {output.shape[1]}")


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], for metrics defined on that range."""
    return images.add(1.0).mul(0.5).clamp(0.0, 1.0)


def make_grid(rows: list[list[np.ndarray]], pad: int = 2) -> np.ndarray:
    """Tile equally sized (H, W, 3) uint8 images into one white-padded (H', W', 3) sheet."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    h, w = rows[0][0].shape[:2]
    sheet = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            y, x = pad + r * (h + pad), pad + c * (w + pad)
            sheet[y : y + h, x : x + w] = img[..., :3] if img.shape[-1] >= 3 else img
    return sheet
