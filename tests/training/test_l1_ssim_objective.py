"""The l1_ssim objective's structural term: zero for a perfect image, the evaluation's own figure
otherwise, pairs without a foreground left out, and a gradient that moves the image towards the
target."""

from __future__ import annotations

import torch

from novelview.metrics.image import ssim_luma_masked
from novelview.objectives import resolve_options
from novelview.objectives.l1_ssim import masked_ssim_loss


def _pair(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(3, 3, 24, 24, generator=g) * 2 - 1
    alpha = torch.zeros(3, 1, 24, 24)
    alpha[:, :, 4:20, 6:18] = 1.0
    return target, alpha


def test_a_perfect_image_costs_nothing():
    target, alpha = _pair()
    assert masked_ssim_loss(target.clone(), target, alpha).item() == 0.0


def test_the_term_is_one_minus_the_reported_masked_ssim_over_defined_pairs():
    target, alpha = _pair()
    image = (target + 0.3 * torch.randn(target.shape, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    alpha[2] = 0.0  # no foreground: the metric is NaN there and the term must leave the pair out
    expected = 1.0 - ssim_luma_masked(image, target, alpha)[:2].mean()
    assert torch.isclose(masked_ssim_loss(image, target, alpha), expected, atol=1e-6)
    assert 0.0 < expected.item() < 1.0


def test_no_foreground_anywhere_gives_zero_with_a_gradient_graph():
    target, alpha = _pair()
    image = torch.zeros_like(target, requires_grad=True)
    loss = masked_ssim_loss(image, target, torch.zeros_like(alpha))
    loss.backward()
    assert loss.item() == 0.0 and torch.count_nonzero(image.grad) == 0


def test_a_gradient_step_on_the_term_raises_the_masked_ssim():
    target, alpha = _pair()
    image = torch.zeros_like(target, requires_grad=True)
    before = masked_ssim_loss(image, target, alpha)
    before.backward()
    with torch.no_grad():
        stepped = image - 50.0 * image.grad
    assert masked_ssim_loss(stepped, target, alpha) < before


def test_its_weight_is_a_typed_option_beside_l1s():
    assert resolve_options("l1_ssim", {"ssim_weight": 0.5}) == {"l1_weight": 1.0, "ssim_weight": 0.5}
