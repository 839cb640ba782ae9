"""Every model's tensor contract: named outputs, shapes, output range, the pose each model encodes,
and which poses ``predict`` accepts (one-hot grid models, continuous-pose models)."""

from __future__ import annotations

import pytest
import torch

from novelview.errors import NovelviewError
from novelview.models import MODELS, build_model
from novelview.models.poses import ContinuousPose, OneHotAzimuth
from novelview.models.unet import warp

torch.set_num_threads(1)

POSE_MODELS = ["pose_encoder", "pose_gan"]
FLOW_MODELS = ["flow", "flow_visibility", "flow_completion"]
# Small widths keep the U-Nets fast; the contract does not depend on the width.
SMALL = {"flow": {"width": 0.5}, "flow_visibility": {"width": 0.5},
         "flow_completion": {"width": 0.5, "completion_width": 0.5}}


def images(n: int = 4, seed: int = 0, size: int = 64) -> torch.Tensor:
    """Images in [-1, 1] that differ from each other, including the extremes."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    x[0, :, :8] = 1.0
    x[-1, :, -8:] = -1.0
    return x


def make(name: str, **options) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(name, **{**SMALL.get(name, {}), **options})


def code(model, rotation_deg, n: int, source_elevation=0.0, target_elevation=None) -> torch.Tensor:
    """The model's own pose code for n images turned by ``rotation_deg``."""
    def batch(value):
        return torch.as_tensor(value, dtype=torch.float64).reshape(-1).expand(n)

    target = source_elevation if target_elevation is None else target_elevation
    return model.encode_pose(batch(rotation_deg) % 360.0, batch(source_elevation), batch(target))


def a_rotation(model) -> float:
    grid = model.supported_rotations()
    return 45.0 if grid is None else grid[-1]


def test_the_registry_holds_the_original_models_and_the_flow_families():
    assert {"autoencoder", "pose_encoder", "pose_gan", *FLOW_MODELS} <= set(MODELS)


def test_the_original_models_keep_the_one_hot_pose_and_the_flow_families_default_to_continuous():
    for name in ("autoencoder", *POSE_MODELS):
        assert isinstance(make(name).pose, OneHotAzimuth), name
    for name in FLOW_MODELS:
        model = make(name)
        assert isinstance(model.pose, ContinuousPose) and model.supported_rotations() is None, name
        assert isinstance(make(name, pose="onehot").pose, OneHotAzimuth), name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_returns_named_outputs_and_predict_an_image_within_minus1_plus1(name):
    model = make(name)
    x = images(3)
    outputs = model(x, code(model, a_rotation(model), 3))
    assert isinstance(outputs, dict) and outputs["image"].shape == (3, 3, 64, 64)
    assert outputs["image"].dtype == torch.float32
    checked = [outputs["image"]]
    if name not in (*FLOW_MODELS, "depth_warp"):  # tanh outputs: far-out inputs saturate, the output stays on the scale
        checked.append(model(x * 50, code(model, a_rotation(model), 3))["image"])
    # (A flow or depth-warp model mixes its warped input, its tanh pixels and white: within [-1, 1]
    # for inputs within it.)
    for y in checked:
        assert torch.isfinite(y).all()
        assert y.min() >= -1.0 and y.max() <= 1.0
    pred = model.predict(x, a_rotation(model))
    assert pred.shape == (3, 3, 64, 64)
    assert pred.min() >= -1.0 and pred.max() <= 1.0
    assert not pred.requires_grad


@pytest.mark.parametrize("name", FLOW_MODELS)
def test_flow_families_name_their_extra_outputs(name):
    model = make(name)
    outputs = model(images(2), code(model, 90.0, 2))
    assert outputs["flow"].shape == (2, 2, 64, 64) and outputs["warped"].shape == (2, 3, 64, 64)
    assert outputs["mask_logit"].shape == (2, 1, 64, 64)
    if name != "flow":
        visibility = outputs["visibility"]
        assert visibility.shape == (2, 1, 64, 64) and 0 <= visibility.min() and visibility.max() <= 1
    if name == "flow_completion":
        assert outputs["coarse"].shape == (2, 3, 64, 64)
        # The completion network starts at zero corrections: the first stage's image comes through.
        assert torch.allclose(outputs["image"], outputs["coarse"], atol=1e-6)


def test_flow_visibility_mix_residual_starts_as_the_visibility_mix_and_then_only_moves_the_mix():
    plain, residual = make("flow_visibility"), make("flow_visibility", mix_residual=True)
    residual.load_state_dict(plain.state_dict(), strict=False)  # same network; the extra head is zero
    x, pose = images(2), code(plain, 90.0, 2)
    before = residual(x, pose)
    assert torch.allclose(before["image"], plain(x, pose)["image"], atol=1e-6)
    assert residual.config["mix_residual"] is True and plain.config["mix_residual"] is False
    with torch.no_grad():
        residual.mix_fix.bias.fill_(-3.0)  # lean on the pixel head everywhere
    after = residual(x, pose)
    assert torch.equal(after["visibility"], before["visibility"])  # what is supervised is unchanged
    assert (after["mix"] < before["mix"]).all() and not torch.allclose(after["image"], before["image"])


@pytest.mark.parametrize("size", [32, 64])
def test_warp_with_zero_offsets_reproduces_its_input_exactly(size):
    x = images(3, size=size)
    assert torch.equal(warp(x, torch.zeros(3, 2, size, size)), x)


def test_warp_by_one_pixel_of_offset_shifts_by_one_pixel():
    x = images(2, size=16)
    flow = torch.zeros(2, 2, 16, 16)
    flow[:, 0] = 2.0 / 16  # one pixel to the right in normalised coordinates (x first)
    shifted = warp(x, flow)
    assert torch.allclose(shifted[..., :-1], x[..., 1:], atol=1e-6)
    assert torch.allclose(shifted[..., -1], x[..., -1], atol=1e-6)  # beyond the edge: the border pixel
    flow = torch.zeros(2, 2, 16, 16)
    flow[:, 1] = -2.0 / 16  # one pixel up
    assert torch.allclose(warp(x, flow)[..., 1:, :], x[..., :-1, :], atol=1e-6)


@pytest.mark.parametrize("name", FLOW_MODELS)
def test_an_untrained_flow_model_warps_with_zero_offsets_so_its_warp_is_its_input(name):
    model = make(name)
    x = images(2)
    outputs = model(x, code(model, 170.0, 2))
    assert torch.equal(outputs["flow"], torch.zeros_like(outputs["flow"]))
    assert torch.equal(outputs["warped"], x)


@pytest.mark.parametrize("name", POSE_MODELS)
def test_latent_is_92x4x4_and_the_pose_cube_makes_128x4x4(name):
    model = make(name)
    net = model.generator if name == "pose_gan" else model
    seen = {}
    net.encoder.register_forward_hook(lambda m, inp, out: seen.__setitem__("latent", out.shape))
    net.decoder.register_forward_pre_hook(lambda m, inp: seen.__setitem__("cube", inp[0].shape))
    model(images(2), code(model, torch.tensor([50.0, 70.0]), 2))
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
        onehot = torch.nn.functional.one_hot(torch.full((2,), k), 36).float()
        assert torch.equal(code(model, 10 * k, 2), onehot)
        with torch.no_grad():
            assert torch.allclose(out, model(x, onehot)["image"], atol=1e-6), f"rotation {10 * k}"
        outputs.append(out)
    # The pose reaches the output: 0 and 180 degrees give different images.
    assert (outputs[0] - outputs[18]).abs().max() > 1e-4
    # Angles wrap around: 360 is 0, -10 is 350; ints, floats and 0-d tensors all work.
    assert torch.equal(model.predict(x, 360), outputs[0])
    assert torch.equal(model.predict(x, -10.0), outputs[35])
    assert torch.equal(model.predict(x, torch.tensor(90.0)), outputs[9])


@pytest.mark.parametrize("name", [*POSE_MODELS, "flow"])
def test_predict_takes_one_rotation_per_image(name):
    model = make(name).eval()
    x = images(4)
    rotations = torch.tensor([0.0, 10.0, 180.0, 350.0])
    together = model.predict(x, rotations)
    for i, r in enumerate(rotations.tolist()):
        alone = model.predict(x[i : i + 1], r)
        assert torch.allclose(together[i : i + 1], alone, atol=1e-5), f"image {i}, rotation {r}"
    assert torch.equal(model.predict(x, [0, 10, 180, 350]), together)
    with pytest.raises(NovelviewError, match="got 3 angles for 4 images"):
        model.predict(x, torch.tensor([0.0, 10.0, 20.0]))


@pytest.mark.parametrize("name", POSE_MODELS)
@pytest.mark.parametrize("bad", [5, 12.5, 359, 0.5, 45])
def test_pose_models_refuse_rotations_off_the_10_degree_grid(name, bad):
    model = make(name)
    with pytest.raises(NovelviewError, match=f"{name} cannot draw that view: it rotates by 0, 10, 20.* "
                                             f"degrees only, not by {bad:g}$"):
        model.predict(images(2), bad)
    with pytest.raises(NovelviewError):
        model.predict(images(2), torch.tensor([10.0, bad]))


def test_one_hot_models_refuse_a_change_of_elevation_and_elevations_they_never_saw():
    model = make("pose_encoder", elevation_range=(0.0, 20.0))
    assert model.predict(images(2), 10, elevation_deg=20, source_elevation_deg=20).shape == (2, 3, 64, 64)
    with pytest.raises(NovelviewError, match="cannot change the elevation \\(from 0 to 20 degrees\\)"):
        model.predict(images(2), 10, elevation_deg=20)
    with pytest.raises(NovelviewError, match="elevation 0 to 20 degrees only, not at the source elevation 30"):
        model.predict(images(2), 10, elevation_deg=30, source_elevation_deg=30)


def test_autoencoder_predicts_30_degrees_only():
    model = make("autoencoder").eval()
    x = images(2)
    out = model.predict(x, 30)
    with torch.no_grad():
        assert torch.equal(out, model(x)["image"])
    assert torch.equal(model.predict(x, torch.tensor([30.0, 30.0])), out)
    assert torch.equal(model.predict(x, 390), out)
    assert model.supported_rotations() == [30.0]
    for bad in (0, 10, 40, 350, 15):
        with pytest.raises(NovelviewError) as info:
            model.predict(x, bad)
        message = str(info.value)
        assert "\n" not in message
        assert message == f"autoencoder cannot draw that view: it rotates by 30 degrees only, not by {bad:g}"


# -- the continuous pose --

def test_the_continuous_encoding_is_periodic_in_azimuth():
    pose = ContinuousPose(elevation_range=(0.0, 30.0))
    zeros = torch.zeros(4, dtype=torch.float64)
    turns = torch.tensor([0.0, 360.0, -360.0, 720.0], dtype=torch.float64)
    codes = pose.encode(turns, zeros, zeros)
    assert torch.allclose(codes, codes[:1].expand(4, -1), atol=1e-6)
    assert torch.allclose(pose.encode(torch.tensor([-90.0]), zeros[:1], zeros[:1]),
                          pose.encode(torch.tensor([270.0]), zeros[:1], zeros[:1]), atol=1e-6)
    # sin, cos of the azimuth and both elevations in radians
    assert torch.allclose(pose.encode(torch.tensor([90.0]), torch.tensor([0.0]), torch.tensor([30.0])),
                          torch.tensor([[1.0, 0.0, 0.0, torch.pi / 6]]), atol=1e-6)


@pytest.mark.parametrize("name", FLOW_MODELS)
def test_a_continuous_pose_model_gives_the_same_view_a_full_turn_apart(name):
    model = make(name, elevation_range=(0.0, 30.0))
    x = images(2)
    assert torch.equal(model.predict(x, 0), model.predict(x, 360))
    assert torch.equal(model.predict(x, -10), model.predict(x, 350))
    assert torch.equal(model.predict(x, 45, elevation_deg=20), model.predict(x, 405, elevation_deg=20))


def test_a_continuous_pose_model_takes_any_azimuth_and_elevations_within_its_range():
    model = make("flow", elevation_range=(0.0, 30.0))
    x = images(2)
    for azimuth in (0.5, 45, 123.25, 359.9):
        assert model.predict(x, azimuth).shape == (2, 3, 64, 64)
    views = model.predict(x, 45, elevation_deg=torch.tensor([0.0, 30.0]), source_elevation_deg=12.5)
    assert views.shape == (2, 3, 64, 64)
    # The pose reaches the features the heads read (the heads themselves start at zero).
    features = [model.net(x, code(model, r, 2))[0] for r in (0.0, 90.0)]
    assert (features[0] - features[1]).abs().max() > 1e-6


@pytest.mark.parametrize("kwargs, message", [
    ({"elevation_deg": 40}, "not at the target elevation 40"),
    ({"elevation_deg": -5}, "not at the target elevation -5"),
    ({"source_elevation_deg": 31, "elevation_deg": 10}, "not at the source elevation 31"),
])
def test_an_out_of_range_elevation_is_a_one_line_error(kwargs, message):
    model = make("flow", elevation_range=(0.0, 30.0))
    with pytest.raises(NovelviewError) as info:
        model.predict(images(2), 45, **kwargs)
    text = str(info.value)
    assert "\n" not in text and text.startswith("flow cannot draw that view: ")
    assert "trained at elevation 0 to 30 degrees only" in text and message in text


def test_predict_refuses_images_that_are_not_n_3_h_w():
    model = make("pose_encoder")
    for shape in [(3, 64, 64), (1, 4, 64, 64), (1, 64, 64, 3)]:
        with pytest.raises(NovelviewError, match=r"\(N, 3, H, W\)"):
            model.predict(torch.zeros(shape), 0)


def test_models_refuse_options_they_cannot_take():
    with pytest.raises(NovelviewError, match="bad options for model 'pose_encoder'"):
        build_model("pose_encoder", image_size=60)
    with pytest.raises(NovelviewError, match="bad options for model 'flow'.*multiple of 16"):
        build_model("flow", image_size=40)
    with pytest.raises(NovelviewError, match="bad options for model 'autoencoder'"):
        build_model("autoencoder", no_such_option=1)
    with pytest.raises(NovelviewError, match="bad options for model 'flow': model.options.pose is 'polar': "
                                             "choose from continuous, onehot"):
        build_model("flow", pose="polar")
    with pytest.raises(NovelviewError, match="unknown model 'unet'") as info:
        build_model("unet")
    assert all(name in str(info.value) for name in MODELS)
