"""NaN and infinities, on the command line and in the Python API: refused by name with a good example,
never drawn (a NaN angle used to give a NaN image, written as a PNG, or a one-hot of some rotation)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from bad_input_helpers import RENDER, assert_one_error

from novelview import generate as gen
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, render_dataset
from novelview.errors import NovelviewError
from novelview.evaluation.evaluate import evaluate
from novelview.models.io import load_model

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("args, message", [
    (["--azimuth", "30", "--elevation", "nan"], r"--elevation nan is not a finite number: give degrees, e.g. 20"),
    (["--azimuth", "30", "--source-elevation", "nan"], r"--source-elevation nan is not a finite number: give degrees"),
    (["--azimuth", "inf"], r"--azimuth inf is not a finite number: give a rotation in degrees, e.g. 30"),
    (["--azimuth", "-inf"], r"--azimuth -inf is not a finite number"),
    (["--turntable", "--elevation", "-inf"], r"--elevation -inf is not a finite number"),
])
def test_generate_refuses_non_finite_angles_before_any_work(args, message, tmp_path, novelview):
    """Before: --elevation nan drew NaN views into NAME_az30_elnan.png; --azimuth inf was caught by name only."""
    out = tmp_path / "out"
    code, _, err = novelview("generate", "--image", tmp_path / "missing.png", *args, "--out", out)
    assert_one_error(code, err, message)
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--azimuth-jitter", "nan"], r"--azimuth-jitter nan is not a finite number: give degrees, e.g. 10"),
    (["--val-share", "inf"], r"--val-share inf is not a finite number: give a share from 0 to 1"),
    (["--test-share", "nan"], r"--test-share nan is not a finite number: give a share from 0 to 1, e.g. 0.2"),
])
def test_render_refuses_non_finite_options_by_name(args, message, tmp_path, novelview):
    out = tmp_path / "data"
    code, _, err = novelview("render", *RENDER, *args, "--out", out)
    assert_one_error(code, err, message)
    assert not out.exists()


@pytest.mark.parametrize("value, message", [
    ("nan", r"--grid-step nan is not a finite number: give degrees, e.g. 10"),
    ("inf", r"--grid-step inf is not a finite number"),
    ("0", r"grid_step \(--grid-step\) must be above 0 degrees, e.g. 10, not 0"),
    ("-10", r"grid_step \(--grid-step\) must be above 0 degrees"),
])
def test_evaluate_refuses_a_grid_step_it_cannot_divide_by(value, message, dataset, tmp_path, novelview):
    out = tmp_path / "eval"
    code, _, err = novelview("evaluate", "--data", dataset, "--model", "pose_encoder", "--out", out,
                             "--pairs", "offgrid", "--grid-step", value)
    assert_one_error(code, err, message)
    assert not out.exists()


@pytest.fixture(scope="module")
def models():
    return {name: load_model(name) for name in ("pose_encoder", "default", "default+mirror")}


@pytest.mark.parametrize("name", ["pose_encoder", "default", "default+mirror"])
@pytest.mark.parametrize("args, message", [
    ((NAN,), r"azimuth_deg nan is not a finite number: give a rotation in degrees, e.g. 30"),
    ((torch.tensor([30.0, INF]),), r"azimuth_deg inf is not a finite number"),
    ((30.0, NAN), r"elevation_deg nan is not a finite number: give degrees, e.g. 20"),
    ((30.0, None, -INF), r"source_elevation_deg -inf is not a finite number: give degrees, e.g. 0"),
    ((np.array([30.0, 60.0]), np.array([0.0, NAN])), r"elevation_deg nan is not a finite number"),
])
def test_predict_refuses_non_finite_angles(name, args, message, models):
    """Before: the continuous-pose default drew an all-NaN image; the one-hot pose encoder drew some rotation."""
    with pytest.raises(NovelviewError, match=message):
        models[name].predict(torch.zeros(2, 3, 64, 64), *args)


def test_predict_still_takes_finite_angles_of_every_kind(models):
    x, default = torch.zeros(2, 3, 64, 64), models["default"]
    same = [default.predict(x, a, e) for a, e in ((30, 10), (30.0, np.float32(10)), (torch.tensor([30.0, 30.0]), 10.0))]
    assert torch.equal(same[0], same[1]) and torch.equal(same[0], same[2])
    assert torch.isfinite(same[0]).all()


@pytest.mark.parametrize("call, message", [
    (lambda m, rgb: gen.generate_views(m, rgb, [30, NAN]), r"rotations_deg nan is not a finite number"),
    (lambda m, rgb: gen.generate_views(m, rgb, [30], INF), r"elevation_deg inf is not a finite number"),
    (lambda m, rgb: gen.generate_views(m, rgb, [30], 10, NAN), r"source_elevation_deg nan is not a finite number"),
    (lambda m, rgb: gen.turntable(m, rgb, 4, NAN), r"elevation_deg nan is not a finite number"),
])
def test_generate_functions_name_their_own_argument(call, message, models):
    rgb = np.full((64, 64, 3), 255, np.uint8)
    with pytest.raises(NovelviewError, match=message):
        call(models["default"], rgb)


@pytest.mark.parametrize("settings, message", [
    (dict(azimuth_jitter=NAN), r"--azimuth-jitter must be in \[0, 360\) degrees, not nan"),
    (dict(azimuth_jitter=-5.0), r"--azimuth-jitter must be in \[0, 360\) degrees, not -5"),
    (dict(ambient=INF), r"render setting ambient inf is not a finite number: give one, e.g. 0.35"),
    (dict(camera_distance=NAN), r"render setting camera_distance nan is not a finite number"),
])
def test_the_render_api_refuses_what_the_command_line_refuses(settings, message, tmp_path):
    """Before: RenderJob took a NaN jitter or light (only the command line checked the jitter)."""
    job = RenderJob("procedural:mug", tmp_path / "data", RenderSettings(size=16, azimuths=4, supersample=1, **settings),
                    models=1, workers=1)
    with pytest.raises(NovelviewError, match=message):
        render_dataset(job, progress=False)
    assert not (tmp_path / "data").exists()


def test_the_evaluate_api_refuses_a_non_finite_grid_step(tmp_path):
    with pytest.raises(NovelviewError, match="grid_step nan is not a finite number"):
        evaluate(tmp_path / "no_data", ["pose_encoder"], tmp_path / "eval", pairs="offgrid", grid_step=NAN)


@pytest.mark.parametrize("model", ["pose_encoder", "default"])
def test_the_web_page_says_so_instead_of_drawing(model):
    """Before: `novelview serve`'s view endpoint drew a NaN picture (default) or some rotation (pose encoder)."""
    from novelview import serve

    image, message = serve.draw_view(np.full((64, 64, 3), 255, np.uint8), NAN, 0.0, model)
    assert image is None and message.startswith("**error:** rotations_deg nan is not a finite number")
