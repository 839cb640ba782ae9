"""The metrics against values computed by hand on tiny images, and the registry's metadata."""

from __future__ import annotations

import math

import pytest
import torch

from novelview import metrics as M
from novelview.metrics.accuracy import TWIN_L1, identity_accuracy, pose_accuracy

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
    assert set(values) == {name for name, m in M.METRICS.items() if m.kind == "pair"}
    for name, v in values.items():
        assert v.shape == (3,), name
    assert torch.equal(values["l1_full"], torch.zeros(3))
    assert torch.equal(values["l1_masked"], torch.zeros(3))
    assert torch.allclose(values["ssim"], torch.ones(3))
    assert torch.allclose(values["ssim_luma_masked"], torch.ones(3))
    assert torch.allclose(values["sharpness"], torch.ones(3))
    assert torch.isnan(values["ms_ssim"]).all()  # 16 pixels are too few for MS-SSIM's scales
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
    # Constant images: no gradient for sharpness, too small for MS-SSIM; both left out of every mean.
    assert summary["left_out"] == {"l1_masked": 1, "ssim_luma_masked": 1, "sharpness": 3, "ms_ssim": 3}


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
    assert set(M.compute_all(x, x)) == {"l1_full", "psnr", "ssim", "ms_ssim"}
    with pytest.raises(ValueError):
        M.sharpness(x, x, None)


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


# -- the registry --

def test_the_registry_describes_every_metric():
    assert list(M.METRICS)[:5] == ["l1_full", "l1_masked", "ssim_luma_masked", "psnr", "ssim"]
    assert {"ms_ssim", "sharpness", "pose_accuracy", "identity_accuracy"} <= set(M.METRICS)
    lower = {name for name, m in M.METRICS.items() if not m.higher_is_better}
    assert lower == {"l1_full", "l1_masked"}
    assert {name for name, m in M.METRICS.items() if m.needs_mask} == {"l1_masked", "ssim_luma_masked", "sharpness"}
    assert {name for name, m in M.METRICS.items() if m.kind == "gallery"} == {"pose_accuracy", "identity_accuracy"}
    for name, m in M.METRICS.items():
        assert m.name == name and m.label and m.description, name
        assert m.format(None) == "n/a" and m.format(0.5) != "n/a"
    assert M.HIGHER_IS_BETTER["sharpness"] is True and M.HIGHER_IS_BETTER["l1_full"] is False


# -- MS-SSIM --

def test_ms_ssim_of_identical_images_is_1_and_of_constants_the_luminance_term():
    torch.manual_seed(3)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    assert torch.allclose(M.ms_ssim(x, x.clone()), torch.ones(2), atol=1e-6)
    noisy = (x + 0.3 * torch.randn_like(x)).clamp(-1, 1)
    assert (M.ms_ssim(noisy, x) < 0.95).all()
    # Constants: every contrast-structure term is 1, leaving the coarsest scale's luminance term
    # raised to that scale's weight (the three standard weights, renormalised).
    a, b = 0.4, 0.3
    weight = 0.3001 / (0.0448 + 0.2856 + 0.3001)
    expected = ((2 * a * b + 1e-4) / (a * a + b * b + 1e-4)) ** weight
    pred = torch.full((2, 3, 64, 64), a * 2 - 1, dtype=torch.float64)
    target = torch.full((2, 3, 64, 64), b * 2 - 1, dtype=torch.float64)
    assert M.ms_ssim(pred, target).double() == pytest.approx([expected] * 2, rel=1e-4)  # float32 inside


def test_ms_ssim_is_nan_below_its_smallest_side_and_left_out_of_means():
    x = torch.zeros(2, 3, 32, 32)
    assert torch.isnan(M.ms_ssim(x, x)).all()
    summary = M.aggregate(M.compute_all(x, x))
    assert math.isnan(summary["ms_ssim"]) and summary["left_out"]["ms_ssim"] == 2


# -- sharpness --

def line_image(column_values: dict[int, float], size: int = 8) -> torch.Tensor:
    """(1, 3, size, size) on [-1, 1]: black (0 on [0, 1]) with the given columns set to grey levels."""
    unit = torch.zeros(1, 3, size, size, dtype=torch.float64)
    for column, value in column_values.items():
        unit[..., column] = value
    return unit * 2 - 1


def test_sharpness_by_hand_a_thin_line_and_its_blur():
    target = line_image({4: 1.0})  # a one-pixel white line: per row |+1| + |-1| = 2
    blurred = line_image({3: 0.25, 4: 0.5, 5: 0.25})  # per row 0.25 + 0.25 + 0.25 + 0.25 = 1
    alpha = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    assert M.sharpness(target, target, alpha).item() == pytest.approx(1.0, rel=1e-12)
    assert M.sharpness(blurred, target, alpha).item() == pytest.approx(0.5, rel=1e-9)
    # Twice the contrast is twice as "sharp" (noise and ringing score above 1).
    brighter = line_image({3: 0.5, 4: 1.0, 5: 0.5})
    assert M.sharpness(brighter, target, alpha).item() == pytest.approx(1.0, rel=1e-9)


def test_sharpness_counts_only_inside_the_target_mask():
    target = line_image({2: 1.0, 5: 1.0})  # two lines
    pred = line_image({2: 1.0})  # only the first one drawn
    alpha = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    alpha[..., :4] = 1.0  # the mask covers the first line only
    assert M.sharpness(pred, target, alpha).item() == pytest.approx(1.0, rel=1e-12)
    full = torch.ones_like(alpha)
    assert M.sharpness(pred, target, full).item() == pytest.approx(0.5, rel=1e-12)


def test_sharpness_of_a_blurred_copy_is_below_1_and_nan_without_detail():
    torch.manual_seed(4)
    x = torch.rand(2, 3, 16, 16, dtype=torch.float64) * 2 - 1
    kernel = torch.full((3, 1, 3, 3), 1 / 9, dtype=torch.float64)
    blurred = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=3)
    alpha = torch.ones(2, 1, 16, 16, dtype=torch.float64)
    assert torch.allclose(M.sharpness(x, x, alpha), torch.ones(2, dtype=torch.float64))
    assert (M.sharpness(blurred, x, alpha) < 0.6).all()
    flat = gray(0.5)
    assert torch.isnan(M.sharpness(x, flat, ones_alpha())).all()  # a flat target has no gradient
    assert torch.isnan(M.sharpness(x, x, torch.zeros(2, 1, 16, 16, dtype=torch.float64))).all()  # empty mask


# -- pose and identity accuracy --

def gallery_views(n_objects: int = 2, azimuths=(0.0, 90.0, 180.0, 270.0)) -> torch.Tensor:
    """(n_objects, K, 3, 4, 4): each view a distinct constant image."""
    levels = torch.linspace(-0.9, 0.9, n_objects * len(azimuths)).reshape(n_objects, len(azimuths))
    return levels[:, :, None, None, None].expand(-1, -1, 3, 4, 4).clone()


def test_pose_accuracy_on_a_hand_made_gallery():
    gallery = gallery_views()
    angles = torch.tensor([[0.0, 90.0, 180.0, 270.0]] * 2)
    # Object 0's output is its view at 90 (plus a little noise), object 1's its view at 0.
    pred = torch.stack([gallery[0, 1] + 0.01, gallery[1, 0] - 0.01])
    cases = [([90.0, 0.0], [1.0, 1.0]),  # right
             ([95.0, 355.0], [1.0, 1.0]),  # within 10 degrees, also across 0/360
             ([100.0, 10.0], [1.0, 1.0]),  # exactly 10 degrees off still counts
             ([101.0, 180.0], [0.0, 0.0])]  # too far
    for target, expected in cases:
        accuracy = pose_accuracy(pred, gallery, angles, torch.tensor(target))
        assert accuracy.tolist() == expected, target
    # A jittered gallery: the nearest view's own (exact) azimuth counts.
    jittered = torch.tensor([[3.0, 95.0, 182.0, 268.0]] * 2)
    assert pose_accuracy(pred, gallery, jittered, torch.tensor([104.0, 353.0])).tolist() == [1.0, 1.0]
    assert pose_accuracy(pred, gallery, jittered, torch.tensor([84.0, 353.0])).tolist() == [0.0, 1.0]


def test_pose_accuracy_counts_a_view_that_looks_the_same_as_the_target():
    # Object 0 is the same from every side (a mug without a handle), but for float noise;
    # object 1's views at 0 and 180 differ by more than the twin threshold.
    gallery = gallery_views()
    gallery[0] = gallery[0, 0] + torch.tensor([0.0, 1e-4, -1e-4, 2e-4])[:, None, None, None]
    gallery[1, 2] = gallery[1, 0] + 2 * TWIN_L1
    angles = torch.tensor([[0.0, 90.0, 180.0, 270.0]] * 2)
    pred = torch.stack([gallery[0, 0], gallery[1, 0]])  # nearest to the view at azimuth 0 in both
    assert pose_accuracy(pred, gallery, angles, torch.tensor([180.0, 0.0])).tolist() == [1.0, 1.0]
    assert pose_accuracy(pred, gallery, angles, torch.tensor([270.0, 180.0])).tolist() == [1.0, 0.0]


def test_identity_accuracy_on_a_hand_made_gallery():
    candidates = gallery_views(3)[:, 1]  # three objects seen at one pose: (3, 3, 4, 4)
    pred = torch.stack([candidates[2] + 0.02, candidates[0] - 0.02, candidates[1]])
    assert identity_accuracy(pred, candidates, torch.tensor([2, 0, 1])).tolist() == [1.0, 1.0, 1.0]
    assert identity_accuracy(pred, candidates, torch.tensor([0, 0, 2])).tolist() == [0.0, 1.0, 0.0]
    # A blur (the mean of all candidates) is nearest to the middle object only.
    blur = candidates.mean(0, keepdim=True).expand(3, -1, -1, -1)
    assert identity_accuracy(blur, candidates, torch.tensor([0, 1, 2])).tolist() == [0.0, 1.0, 0.0]
