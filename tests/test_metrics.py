"""The metrics against values computed by hand on tiny images."""

from __future__ import annotations

import math

import pytest
import torch

from novelview import metrics as M

H = W = 16  # large enough for the 11x11 SSIM window


def gray(value01: float, n: int = 2) -> torch.Tensor:
    """A constant image of ``value01`` on [0, 1], returned on the models' [-1, 1] scale."""
    return torch.full((n, 3, H, W), value01 * 2 - 1, dtype=torch.float64)


def ones_alpha(n: int = 2) -> torch.Tensor:
    return torch.ones(n, 1, H, W, dtype=torch.float64)


def ssim_of_constants(a: float, b: float, data_range: float) -> float:
    """SSIM of two constant images: variances and covariance vanish, leaving the luminance term."""
    c1 = (0.01 * data_range) ** 2
    return (2 * a * b + c1) / (a * a + b * b + c1)


def test_identical_images():
    torch.manual_seed(0)
    x = torch.rand(3, 3, H, W) * 2 - 1
    alpha = (torch.rand(3, 1, H, W) > 0.3).float()
    values = M.compute_all(x, x.clone(), alpha)
    assert set(values) == set(M.METRICS)
    for name, v in values.items():
        assert v.shape == (3,), name
    assert torch.equal(values["l1_full"], torch.zeros(3))
    assert torch.equal(values["l1_masked"], torch.zeros(3))
    assert torch.allclose(values["ssim"], torch.ones(3))
    assert torch.allclose(values["ssim_luma_masked"], torch.ones(3))
    assert torch.isinf(values["psnr"]).all() and (values["psnr"] > 0).all()
    # A perfect prediction is left out of the PSNR mean, not turned into inf.
    mean, left_out = M.finite_mean(values["psnr"])
    assert math.isnan(mean) and left_out == 3


def test_constant_shift():
    target = gray(0.3)
    pred = target + 0.2  # 0.2 on [-1, 1] is 0.1 on [0, 1]
    assert torch.allclose(M.l1_full(pred, target), torch.full((2,), 0.2, dtype=torch.float64))
    # MSE on [0, 1] = 0.01 -> 10 log10(1 / 0.01) = 20 dB
    assert torch.allclose(M.psnr(pred, target), torch.full((2,), 20.0, dtype=torch.float64))
    # Whole-image SSIM of two constants 0.4 and 0.3 on [0, 1] (data range 1).
    expected = ssim_of_constants(0.4, 0.3, 1.0)
    assert torch.allclose(M.ssim(pred, target), torch.full((2,), expected, dtype=torch.float64))
    # The masked L1 with a full mask is on [0, 1]: half of l1_full.
    assert torch.allclose(M.l1_masked(pred, target, ones_alpha()), torch.full((2,), 0.1, dtype=torch.float64))


def test_psnr_matches_torchmetrics():
    from torchmetrics.functional.image import peak_signal_noise_ratio

    torch.manual_seed(1)
    pred, target = torch.rand(4, 3, H, W) * 2 - 1, torch.rand(4, 3, H, W) * 2 - 1
    reference = peak_signal_noise_ratio((pred + 1) / 2, (target + 1) / 2, data_range=1.0, reduction="none",
                                        dim=(1, 2, 3))
    assert torch.allclose(M.psnr(pred, target), reference, atol=1e-4)


def test_masked_l1_by_hand():
    target = gray(0.5, n=1)
    pred = target + 0.4  # 0.2 on [0, 1] everywhere
    pred[..., 12:, 12:] = -1.0  # a large error where the mask is empty: it must not count
    alpha = torch.zeros(1, 1, H, W, dtype=torch.float64)
    alpha[..., 0:4, 0:4] = 1.0  # 16 full pixels
    alpha[..., 8, 8] = 0.5  # 2 half-covered edge pixels: count in F, weighted 0.5 in the sum
    alpha[..., 8, 9] = 0.5
    # sum = 3 channels * (16 * 0.2 + 2 * 0.5 * 0.2) = 10.2;  F = 18 -> 10.2 / (3 * 18)
    expected = 10.2 / 54.0
    assert M.l1_masked(pred, target, alpha).item() == pytest.approx(expected, rel=1e-12)
    # Errors outside the mask do not change it; the full-image L1 sees them.
    assert M.l1_full(pred, target).item() > 0.4


def test_empty_mask_gives_nan_and_is_left_out():
    target = gray(0.5, n=3)
    pred = target + 0.2
    alpha = ones_alpha(3)
    alpha[1] = 0.0  # the second target has no foreground
    l1 = M.l1_masked(pred, target, alpha)
    s = M.ssim_luma_masked(pred, target, alpha)
    assert torch.isnan(l1[1]) and torch.isnan(s[1])
    assert torch.isfinite(l1[[0, 2]]).all() and torch.isfinite(s[[0, 2]]).all()
    summary = M.aggregate(M.compute_all(pred, target, alpha))
    assert summary["n_pairs"] == 3
    assert summary["l1_masked"] == pytest.approx(0.1)
    assert summary["left_out"] == {"l1_masked": 1, "ssim_luma_masked": 1}


@pytest.mark.parametrize("channel, weight", [(0, 0.299), (1, 0.587), (2, 0.114)])
def test_luma_weighting(channel, weight):
    target = gray(0.5, n=1)
    pred = target.clone()
    pred[:, channel] += 0.4  # +0.2 on [0, 1] in one channel only
    # luma on 0..255: target 127.5, prediction 127.5 + weight * 0.2 * 255
    a, b = 127.5, 127.5 + weight * 0.2 * 255
    expected = ssim_of_constants(b, a, 255.0)
    assert M.ssim_luma_masked(pred, target, ones_alpha(1)).item() == pytest.approx(expected, rel=1e-9)
    assert M.luma(torch.eye(3, dtype=torch.float64).view(3, 3, 1, 1)).flatten().tolist() == pytest.approx(
        [0.299, 0.587, 0.114])


def test_luma_blind_to_colour_change_with_equal_luma():
    # Shift red up and blue down so that the luma does not change: luma SSIM stays 1, RGB SSIM drops.
    target = gray(0.5, n=1)
    pred = target.clone()
    pred[:, 0] += 0.2 * 0.114 / 0.299 * 2
    pred[:, 2] -= 0.2 * 2
    assert M.ssim_luma_masked(pred, target, ones_alpha(1)).item() == pytest.approx(1.0, abs=1e-9)
    assert M.ssim(pred, target).item() < 0.99


def test_masking_multiplies_both_images_by_target_alpha():
    # With alpha 0.5 everywhere both images are halved before SSIM: constants 0.5*0.6 and 0.5*0.5.
    target, pred = gray(0.5, n=1), gray(0.6, n=1)
    alpha = ones_alpha(1) * 0.5
    expected = ssim_of_constants(0.5 * 0.6 * 255, 0.5 * 0.5 * 255, 255.0)
    assert M.ssim_luma_masked(pred, target, alpha).item() == pytest.approx(expected, rel=1e-9)
    # L1: sum = 3 * 256 * 0.5 * 0.1, F = 256 -> 0.05
    assert M.l1_masked(pred, target, alpha).item() == pytest.approx(0.05, rel=1e-9)


def test_shapes_checked_and_alpha_required():
    x = torch.zeros(2, 3, H, W)
    with pytest.raises(ValueError):
        M.l1_full(x, torch.zeros(2, 3, H, W + 1))
    with pytest.raises(ValueError):
        M.l1_masked(x, x, None)
    with pytest.raises(ValueError):
        M.l1_masked(x, x, torch.ones(2, 3, H, W))
    assert set(M.compute_all(x, x)) == {"l1_full", "psnr", "ssim"}


def test_ssim_equals_interior_of_torchmetrics_map():
    # Our SSIM averages the map over the pixels whose 11x11 window lies inside the image; torchmetrics'
    # full map (reflection padded) agrees with it there.
    from torchmetrics.functional.image import structural_similarity_index_measure

    torch.manual_seed(2)
    x = torch.rand(3, 3, 24, 20, dtype=torch.float64)
    y = (x + 0.2 * torch.randn_like(x)).clamp(0, 1)
    _, full = structural_similarity_index_measure(x, y, data_range=1.0, reduction="none", return_full_image=True)
    reference = full[..., 5:-5, 5:-5].flatten(1).mean(1)
    assert torch.allclose(M.ssim(x * 2 - 1, y * 2 - 1), reference, atol=1e-12)
    alpha = (torch.rand(3, 1, 24, 20, dtype=torch.float64) > 0.4).double()
    lx, ly = (M.luma(x * alpha) * 255, M.luma(y * alpha) * 255)
    _, full = structural_similarity_index_measure(lx, ly, data_range=255.0, reduction="none", return_full_image=True)
    reference = full[..., 5:-5, 5:-5].flatten(1).mean(1)
    assert torch.allclose(M.ssim_luma_masked(x * 2 - 1, y * 2 - 1, alpha), reference, atol=1e-12)
    with pytest.raises(ValueError):
        M.ssim(torch.zeros(1, 3, 10, 10), torch.zeros(1, 3, 10, 10))
