"""Every model's tensor contract: shapes, output range, the pose cube, and which rotations predict accepts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from novelview.errors import NovelviewError
from novelview.models import MODELS, build_model

torch.set_num_threads(1)

POSE_MODELS = ["pose_encoder", "pose_gan"]


def images(n: int = 4, seed: int = 0) -> torch.Tensor:
    """Images in [-1, 1] that differ from each other, including the extremes."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 64, 64, generator=g) * 2 - 1
    x[0, :, :8] = 1.0
    x[-1, :, -8:] = -1.0
    return x


def make(name: str) -> nn.Module:
    torch.manual_seed(0)
    return build_model(name)


def test_the_registry_holds_the_three_models():
    assert {"autoencoder", "pose_encoder", "pose_gan"} <= set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_and_predict_give_n_3_64_64_within_minus1_plus1(name):
    model = make(name)
    x = images(3)
    pose = nn.functional.one_hot(torch.tensor([3, 3, 3]), model.num_rotations).float()
    out = model(x, pose)
    assert out.shape == (3, 3, 64, 64)
    assert out.dtype == torch.float32
    # Far-out inputs saturate the network; the output must still stay on the image scale.
    loud = model(x * 50, pose)
    for y in (out, loud):
        assert torch.isfinite(y).all()
        assert y.min() >= -1.0 and y.max() <= 1.0
    rotation = model.supported_rotations()[0]
    pred = model.predict(x, rotation)
    assert pred.shape == (3, 3, 64, 64)
    assert pred.min() >= -1.0 and pred.max() <= 1.0
    assert not pred.requires_grad


@pytest.mark.parametrize("name", POSE_MODELS)
def test_latent_is_92x4x4_and_the_pose_cube_makes_128x4x4(name):
    model = make(name)
    net = model.generator if name == "pose_gan" else model
    seen = {}
    net.encoder.register_forward_hook(lambda m, inp, out: seen.__setitem__("latent", out.shape))
    net.decoder.register_forward_pre_hook(lambda m, inp: seen.__setitem__("cube", inp[0].shape))
    x = images(2)
    pose = nn.functional.one_hot(torch.tensor([5, 7]), 36).float()
    model(x, pose)
    assert seen["latent"] == (2, 92, 4, 4)
    assert seen["cube"] == (2, 128, 4, 4)


@pytest.mark.parametrize("name", POSE_MODELS)
def test_the_cube_carries_the_one_hot_rotation(name):
    model = make(name)
    net = model.generator if name == "pose_gan" else model
    seen = {}
    net.decoder.register_forward_pre_hook(lambda m, inp: seen.__setitem__("cube", inp[0].detach()))
    model.predict(images(2), torch.tensor([20.0, 350.0]))
    pose_part = seen["cube"][:, 92:]
    expected = torch.zeros(2, 36, 4, 4)
    expected[0, 2] = 1.0
    expected[1, 35] = 1.0
    assert torch.equal(pose_part, expected)


@pytest.mark.parametrize("name", POSE_MODELS)
def test_predict_accepts_every_rotation_from_0_to_350(name):
    model = make(name).eval()
    x = images(2)
    outputs = []
    for k in range(36):
        out = model.predict(x, 10 * k)
        onehot = nn.functional.one_hot(torch.full((2,), k), 36).float()
        with torch.no_grad():
            assert torch.allclose(out, model(x, onehot), atol=1e-6), f"rotation {10 * k}"
        outputs.append(out)
    # The pose reaches the output: 0 and 180 degrees give different images.
    assert (outputs[0] - outputs[18]).abs().max() > 1e-4
    # Angles wrap around: 360 is 0, -10 is 350; ints, floats and 0-d tensors all work.
    assert torch.equal(model.predict(x, 360), outputs[0])
    assert torch.equal(model.predict(x, -10.0), outputs[35])
    assert torch.equal(model.predict(x, torch.tensor(90.0)), outputs[9])


@pytest.mark.parametrize("name", POSE_MODELS)
def test_predict_takes_one_rotation_per_image(name):
    model = make(name).eval()
    x = images(4)
    rotations = torch.tensor([0.0, 10.0, 180.0, 350.0])
    together = model.predict(x, rotations)
    for i, r in enumerate(rotations.tolist()):
        alone = model.predict(x[i : i + 1], r)
        assert torch.allclose(together[i : i + 1], alone, atol=1e-5), f"image {i}, rotation {r}"
    assert torch.equal(model.predict(x, [0, 10, 180, 350]), together)
    with pytest.raises(NovelviewError, match="3 rotations for 4 images"):
        model.predict(x, torch.tensor([0.0, 10.0, 20.0]))


@pytest.mark.parametrize("name", POSE_MODELS)
@pytest.mark.parametrize("bad", [5, 12.5, 359, 0.5])
def test_pose_models_refuse_rotations_off_the_10_degree_grid(name, bad):
    model = make(name)
    with pytest.raises(NovelviewError, match=f"cannot rotate by {bad:g} degrees"):
        model.predict(images(2), bad)
    with pytest.raises(NovelviewError):
        model.predict(images(2), torch.tensor([10.0, bad]))


def test_autoencoder_predicts_30_degrees_only():
    model = make("autoencoder").eval()
    x = images(2)
    out = model.predict(x, 30)
    with torch.no_grad():
        assert torch.equal(out, model(x))
    assert torch.equal(model.predict(x, torch.tensor([30.0, 30.0])), out)
    assert torch.equal(model.predict(x, 390), out)
    assert model.supported_rotations() == [30.0]
    for bad in (0, 10, 40, 350, 15):
        with pytest.raises(NovelviewError) as info:
            model.predict(x, bad)
        message = str(info.value)
        assert "autoencoder" in message and f"{bad:g} degrees" in message
        assert "supports 30" in message  # says what it can do


def test_predict_refuses_images_that_are_not_n_3_h_w():
    model = make("pose_encoder")
    for shape in [(3, 64, 64), (1, 4, 64, 64), (1, 64, 64, 3)]:
        with pytest.raises(NovelviewError, match=r"\(N, 3, H, W\)"):
            model.predict(torch.zeros(shape), 0)


def test_pose_encoder_refuses_an_image_size_its_layers_cannot_halve():
    with pytest.raises(NovelviewError, match="bad options for model 'pose_encoder'"):
        build_model("pose_encoder", image_size=60)
    with pytest.raises(NovelviewError, match="bad options for model 'autoencoder'"):
        build_model("autoencoder", no_such_option=1)
    with pytest.raises(NovelviewError, match="unknown model 'unet'") as info:
        build_model("unet")
    assert all(name in str(info.value) for name in MODELS)
