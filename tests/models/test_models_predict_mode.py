"""predict runs batch norm on its running statistics (the original left it in training mode at test
time) and hands the model back in the mode it was in."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from novelview.models import MODELS, build_model

torch.set_num_threads(1)

# depth_warp splats with exp(-10 x depth) weights: the 1e-7 differences between a convolution run on
# a batch and on one image (the library picks other kernels) come out near 1e-5 in the warp.
TOLERANCE = {"depth_warp": 1e-4}
SMALL = {"flow": {"width": 0.5}, "flow_visibility": {"width": 0.5},
         "flow_completion": {"width": 0.5, "completion_width": 0.5}}


def images(n: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 64, 64, generator=g) * 2 - 1


def trained_statistics(name: str) -> nn.Module:
    """A model whose BN running statistics moved away from their initial 0 / 1."""
    torch.manual_seed(0)
    model = build_model(name, **SMALL.get(name, {})).train()
    zeros = torch.zeros(8, dtype=torch.float64)
    pose = model.encode_pose(torch.arange(8, dtype=torch.float64) * 10, zeros, zeros)
    with torch.no_grad():
        for seed in range(3):
            model(images(8, seed + 10) * 0.5 + 0.3, pose)
    return model


def a_rotation(model) -> float:
    grid = model.supported_rotations()
    return 45.0 if grid is None else grid[-1]


def batch_norms(model: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("start_training", [True, False])
def test_an_image_gives_the_same_prediction_alone_or_in_a_batch(name, start_training):
    model = trained_statistics(name).train(start_training)
    rotation = a_rotation(model)
    x = images(6)
    batch = model.predict(x, rotation)
    for i in (0, 3):
        alone = model.predict(x[i : i + 1], rotation)
        assert torch.allclose(batch[i : i + 1], alone, atol=TOLERANCE.get(name, 1e-5)), f"image {i} depends on its batch mates"
    # A different batch around the same image changes nothing either.
    other = torch.cat([x[:1], -x[1:]])
    assert torch.allclose(model.predict(other, rotation)[0], batch[0], atol=TOLERANCE.get(name, 1e-5))


@pytest.mark.parametrize("name", ["pose_encoder", "pose_gan"])
def test_predict_uses_the_running_statistics(name):
    model = trained_statistics(name).train()
    x = images(4)
    pose = nn.functional.one_hot(torch.full((4,), 9), 36).float()
    model.eval()
    with torch.no_grad():
        expected = model(x, pose)["image"]
    scratch = copy.deepcopy(model).train()  # a train-mode forward would move the running statistics
    with torch.no_grad():
        train_mode = scratch(x, pose)["image"]
    assert (expected - train_mode).abs().max() > 1e-3, "the statistics should matter for this test to mean anything"
    model.train()
    running = [bn.running_mean.clone() for bn in batch_norms(model)]
    assert torch.allclose(model.predict(x, 90), expected, atol=1e-6)
    # predict must not update the running statistics either (train-mode BN would).
    for bn, before in zip(batch_norms(model), running):
        assert torch.equal(bn.running_mean, before)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_predict_restores_the_training_flag(name):
    model = trained_statistics(name)
    rotation = a_rotation(model)
    x = images(2)
    model.train()
    model.predict(x, rotation)
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    model.predict(x, rotation)
    assert not model.training and not any(m.training for m in model.modules())


def test_predict_restores_a_partly_frozen_model():
    """A caller who froze batch norm (eval) inside a model in training keeps it that way."""
    model = trained_statistics("pose_gan").train()
    for bn in batch_norms(model):
        bn.eval()
    before = {name: m.training for name, m in model.named_modules()}
    model.predict(images(2), 40)
    assert {name: m.training for name, m in model.named_modules()} == before


def test_predict_restores_the_flag_when_it_raises():
    model = trained_statistics("pose_encoder").train()
    with pytest.raises(Exception):
        model.predict(torch.zeros(1, 3, 48, 48), 0)  # a 3x3 latent does not fit the 4x4 pose cube
    assert model.training and all(m.training for m in model.modules())
