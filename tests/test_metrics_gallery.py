"""Pose and identity accuracy from the Gallery (the split's views read once, compared by cdist) equal
the definitions computed the slow way, on galleries with twins, two elevations and jittered azimuths;
and MS-SSIM equals the pytorch-msssim package's."""

from __future__ import annotations

import pytest
import torch

from novelview import metrics as M
from novelview.metrics.accuracy import identity_accuracy, pose_accuracy
from novelview.metrics.gallery import TWIN_L1, Gallery, Targets

OBJECTS, ELEVATIONS, AZIMUTHS = 5, 2, 8


def make_views(seed: int = 0) -> torch.Tensor:
    """(objects, elevations, azimuths, 3, 6, 6) on [-1, 1]; object 0 the same from every side but for
    noise far under the twin threshold, object 1 with one view repeated 3 steps (135 degrees) on."""
    g = torch.Generator().manual_seed(seed)
    views = torch.rand(OBJECTS, ELEVATIONS, AZIMUTHS, 3, 6, 6, generator=g) * 2 - 1
    views[0] = views[0, :, :1] + 1e-4 * torch.randn(ELEVATIONS, AZIMUTHS, 3, 6, 6, generator=g)
    views[1, :, 3] = views[1, :, 0] + TWIN_L1 / 10
    return views


def test_gallery_accuracy_equals_the_definitions():
    views = make_views()
    g = torch.Generator().manual_seed(1)
    step = 360.0 / AZIMUTHS
    azimuth_deg = torch.arange(AZIMUTHS) * step + torch.rand(OBJECTS, ELEVATIONS, AZIMUTHS, generator=g) * 8 - 4
    reads = []

    def read(elevation, rows):
        reads.append(elevation)
        return views[list(rows), elevation]

    gallery = Gallery(read, OBJECTS, azimuth_deg)
    n = 60
    obj = torch.randint(0, OBJECTS, (n,), generator=g)
    elevation = torch.sort(torch.randint(0, ELEVATIONS, (n,), generator=g)).values  # sorted, as evaluation visits
    azimuth = torch.randint(0, AZIMUTHS, (n,), generator=g)
    # Outputs near a true view of the object (often not the target's), or noise: hits and misses.
    shown = torch.randint(0, AZIMUTHS, (n,), generator=g)
    pred = views[obj, elevation, shown] + 0.05 * torch.randn(n, 3, 6, 6, generator=g)
    pred[::7] = torch.rand(len(pred[::7]), 3, 6, 6, generator=g) * 2 - 1
    target_deg = azimuth * step + torch.rand(n, generator=g) * 6 - 3
    targets = Targets(obj, elevation, azimuth, target_deg)
    ctx = M.MetricContext(pred, pred, None, gallery, targets)
    values = {name: M.METRICS[name].fn(ctx) for name in ("pose_accuracy", "identity_accuracy")}

    expected_pose = pose_accuracy(pred, views[obj, elevation], azimuth_deg[obj, elevation], target_deg)
    candidates = views[:, elevation, azimuth].transpose(0, 1)  # (n, objects, 3, 6, 6): every object at the target view
    expected_identity = torch.stack([identity_accuracy(pred[i:i + 1], candidates[i], obj[i:i + 1])[0] for i in range(n)])
    assert torch.equal(values["pose_accuracy"], expected_pose)
    assert torch.equal(values["identity_accuracy"], expected_identity)
    assert 0 < expected_pose.sum() < n and 0 < expected_identity.sum() < n  # the test can tell right from wrong
    # Each elevation was read once (in chunks of objects), whatever the number of groups.
    assert sorted(set(reads)) == [0, 1] and reads == sorted(reads)


def test_twins_count_as_the_right_pose():
    views = make_views()
    azimuth_deg = (torch.arange(AZIMUTHS) * 45.0).expand(OBJECTS, ELEVATIONS, -1)
    gallery = Gallery(lambda e, rows: views[list(rows), e], OBJECTS, azimuth_deg)
    # Object 0 drawn exactly as seen from azimuth 0, asked for 180: its views all look the same, right.
    # Object 1 drawn as its view 0, asked for its view 3 (135 degrees): a twin, right; asked for 2 (90): wrong.
    pred = torch.stack([views[0, 0, 0], views[1, 0, 0], views[1, 0, 0]])
    targets = Targets(torch.tensor([0, 1, 1]), torch.zeros(3, dtype=torch.long), torch.tensor([4, 3, 2]),
                      torch.tensor([180.0, 135.0, 90.0]))
    ctx = M.MetricContext(pred, pred, None, gallery, targets)
    assert M.METRICS["pose_accuracy"].fn(ctx).tolist() == [1.0, 1.0, 0.0]


def test_ms_ssim_equals_the_pytorch_msssim_package():
    from pytorch_msssim import ms_ssim as package_ms_ssim

    torch.manual_seed(5)
    x = torch.rand(6, 3, 64, 48) * 2 - 1
    noisy = (x + 0.3 * torch.randn_like(x)).clamp(-1, 1)
    blurred = torch.nn.functional.avg_pool2d(x, 3, 1, 1)
    weights = torch.tensor(M.detail.MS_SSIM_WEIGHTS)
    weights = (weights / weights.sum()).tolist()
    for a, b in ((x, noisy), (x, blurred), (torch.ones_like(x), x), (x[:, :, :63, :45], noisy[:, :, :63, :45])):
        expected = package_ms_ssim(M.luma((a + 1) / 2), M.luma((b + 1) / 2), data_range=1.0, size_average=False,
                                   win_size=3, weights=weights)
        assert M.ms_ssim(a, b) == pytest.approx(expected.tolist(), abs=1e-5)
