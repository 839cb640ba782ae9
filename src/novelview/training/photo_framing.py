"""Training sources framed as photos are (``data.photo_framing``, a share of the pairs).

A render frames an object by its 3D bounding sphere; a photo cannot show that sphere, so
``novelview.photo.framing`` places a photo's object by its outline instead (enclosing circle 0.853
of the frame, box centre at 0.500 / 0.527). The two framings differ by about 12% in size and 2 px in
position, and a model that only ever saw the renderer's exact framing draws its views that much off
(issue 23: L1 from a photo 1.29x that from the clean render; 1.005x when the photo is framed
as the render was). With this option, that share of the training pairs get their source view
re-framed exactly as a photo would be, while the target keeps the render's framing: the model
learns to draw the rendered views from photo-framed inputs.

The choice of pairs is seeded by the run's seed, the step and the process's rank, so a resumed run
re-frames the same pairs. Families that lift the source through the data set's camera
(``depth_warp``) cannot follow a re-framed source and refuse the option before training.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from novelview.photo.framing import frame_square


def photo_frame_theta(alpha: np.ndarray) -> np.ndarray:
    """(H, W) alpha -> the (2, 3) ``affine_grid`` matrix that frames the object as a photo's is
    framed (normalised coordinates, align_corners=False); identity for an empty mask."""
    square = frame_square(alpha)
    if square is None:
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
    left, top, side, _ = square
    size = alpha.shape[-1]
    # An output pixel at normalised x samples the source at side/size * x + (2 * left + side) / size - 1.
    zoom = side / size
    return np.array([[zoom, 0.0, (2.0 * left + side) / size - 1.0],
                     [0.0, zoom, (2.0 * top + side) / size - 1.0]], np.float32)


def reframe(images: torch.Tensor, alphas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 3, H, W) views on white in [-1, 1] and their (N, 1, H, W) alpha -> both framed as photos."""
    theta = torch.from_numpy(np.stack([photo_frame_theta(a[0]) for a in alphas.detach().cpu().numpy()]))
    grid = F.affine_grid(theta.to(images.device, images.dtype), list(images.shape), align_corners=False)

    def sample(x: torch.Tensor) -> torch.Tensor:
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # The image is sampled as an offset from white, so that what comes in from outside the frame is white.
    return sample(images - 1.0) + 1.0, sample(alphas)


def reframe_share_of_sources(batch: dict, share: float, seed: int, step: int, rank: int = 0) -> None:
    """Re-frame ``share`` of the batch's source views (and their alpha) as photos, in place; the
    rest stay as rendered. The choice depends on the run's seed, the step and the process's rank, so
    a resumed run re-frames the same pairs and the processes of a multi-GPU run draw apart (with
    ``trainer.steps_per_fetch`` k the choice is made once for the k batches of a loader item)."""
    source = batch["source"]
    generator = torch.Generator().manual_seed((int(seed) * 1_000_003 + int(step)) * 1_009 + int(rank))
    chosen = (torch.rand(source.shape[0], generator=generator) < share).to(source.device)
    if chosen.any():
        source, alpha = source.clone(), batch["source_alpha"].clone()
        source[chosen], alpha[chosen] = reframe(source[chosen], alpha[chosen])
        batch["source"], batch["source_alpha"] = source, alpha
