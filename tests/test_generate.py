"""Generation from image files: any format and size in, the model's views out (one view at any
angle a model can draw, turntables of any frame count), clear one-line errors."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch
from console_script import novelview_command
from PIL import Image

from novelview.errors import NovelviewError
from novelview.generate import generate_views, load_image, save_turntable, turntable
from novelview.models import build_model
from novelview.models.io import load_model, save_model

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def pose_model_dir(tmp_path_factory):
    torch.manual_seed(0)
    return save_model(build_model("pose_encoder"), tmp_path_factory.mktemp("models") / "pose")


@pytest.fixture(scope="module")
def autoencoder_dir(tmp_path_factory):
    torch.manual_seed(0)
    return save_model(build_model("autoencoder"), tmp_path_factory.mktemp("models") / "ae")


@pytest.fixture(scope="module")
def continuous_dir(tmp_path_factory):
    """A continuous-pose model trained at elevations 0-30 (untrained weights: random, so the pose shows)."""
    torch.manual_seed(0)
    model = build_model("pose_encoder", pose="continuous", elevation_range=(0.0, 30.0))
    return save_model(model, tmp_path_factory.mktemp("models") / "continuous")


@pytest.fixture(scope="module")
def flow_dir(tmp_path_factory):
    """A flow-family model (continuous pose by default) whose heads are no longer zero."""
    torch.manual_seed(0)
    model = build_model("flow", width=0.5, elevation_range=(0.0, 30.0))
    with torch.no_grad():
        model.head.weight.normal_(0, 0.05)
    return save_model(model, tmp_path_factory.mktemp("models") / "flow")


def noise_image(size: int = 64) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[16:48, 16:48] = (200, 0, 0, 255)  # opaque red square on a transparent background
    Image.fromarray(rgba).save(tmp_path / "a.png")
    rgb, notices = load_image(tmp_path / "a.png", 64)
    assert rgb.shape == (64, 64, 3) and notices == []
    assert tuple(rgb[0, 0]) == (255, 255, 255)
    assert tuple(rgb[32, 32]) == (200, 0, 0)


def test_grayscale_becomes_rgb(tmp_path):
    Image.fromarray(np.full((64, 64), 90, np.uint8), mode="L").save(tmp_path / "g.png")
    rgb, _ = load_image(tmp_path / "g.png", 64)
    assert rgb.shape == (64, 64, 3) and (rgb == 90).all()


def test_odd_sized_jpeg_is_padded_and_resized_with_notices(tmp_path):
    Image.fromarray(np.full((30, 100, 3), 10, np.uint8)).save(tmp_path / "odd.jpg")
    rgb, notices = load_image(tmp_path / "odd.jpg", 64)
    assert rgb.shape == (64, 64, 3)
    assert any("padded" in n for n in notices) and any("resized" in n for n in notices)
    assert (rgb[0, 32] > 250).all() and (rgb[32, 32] < 40).all()  # white padding above, content in the middle


def test_not_an_image_is_a_clear_error(tmp_path):
    (tmp_path / "x.png").write_text("hello")
    with pytest.raises(NovelviewError, match="not an image"):
        load_image(tmp_path / "x.png", 64)
    with pytest.raises(NovelviewError, match="not found"):
        load_image(tmp_path / "missing.png", 64)


def test_turntable_writes_36_frame_gif_and_sheet(tmp_path, pose_model_dir):
    model = load_model(pose_model_dir)
    image = noise_image()
    views = turntable(model, image)
    assert views.shape == (36, 64, 64, 3) and views.dtype == np.uint8
    files = save_turntable(views, image, tmp_path)
    with Image.open(files["gif"]) as gif:
        assert gif.n_frames == 36
    # The input on a row of its own, then 6 views a row: 7 rows of 6 cells (64 pixels, 2 of padding).
    assert Image.open(files["sheet"]).size == (6 * 66 + 2, 7 * 66 + 2)


def test_a_72_frame_turntable_has_72_frames(tmp_path, continuous_dir):
    model = load_model(continuous_dir)
    image = noise_image()
    views = turntable(model, image, frames=72)
    assert views.shape == (72, 64, 64, 3)
    assert len({v.tobytes() for v in views}) == 72, "every 5 degrees gives another view"
    files = save_turntable(views, image, tmp_path, "t72")
    with Image.open(files["gif"]) as gif:
        assert gif.n_frames == 72
    # Over 36 frames the sheet has 12 views a row: the input's row and 6 rows of views.
    assert Image.open(files["sheet"]).size == (12 * 66 + 2, 7 * 66 + 2)
    # A turntable seen from above: the same frame count, other views.
    high = turntable(model, image, frames=72, elevation_deg=20)
    assert high.shape == views.shape and not np.array_equal(high, views)


def test_a_one_hot_model_makes_turntables_on_its_grid_only(pose_model_dir):
    model = load_model(pose_model_dir)
    image = noise_image()
    assert turntable(model, image, frames=12).shape == (12, 64, 64, 3)  # every 30 degrees: on the grid
    with pytest.raises(NovelviewError) as info:
        turntable(model, image, frames=72)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("pose_encoder cannot make a 72-frame turntable: it rotates by 0, 10, 20")
    assert "(not 5); use --frames 36" in message
    with pytest.raises(NovelviewError, match="at least one frame"):
        turntable(model, image, frames=0)


def test_a_continuous_pose_model_draws_any_azimuth_within_its_elevations(continuous_dir, flow_dir):
    for folder in (continuous_dir, flow_dir):
        model = load_model(folder)
        image = noise_image()
        views = generate_views(model, image, [45.0, 12.5, 405.0], elevation_deg=20)
        assert views.shape == (3, 64, 64, 3)
        assert not np.array_equal(views[0], views[1]) and np.array_equal(views[0], views[2])
        assert generate_views(model, image, [45.0], 30, source_elevation_deg=10).shape == (1, 64, 64, 3)
        with pytest.raises(NovelviewError, match="trained at elevation 0 to 30 degrees only, not at the target "
                                                 "elevation 45"):
            generate_views(model, image, [45.0], elevation_deg=45)


def test_autoencoder_refuses_turntable_and_other_rotations(autoencoder_dir):
    model = load_model(autoencoder_dir)
    image = np.full((64, 64, 3), 255, np.uint8)
    assert generate_views(model, image, [30.0]).shape == (1, 64, 64, 3)
    with pytest.raises(NovelviewError, match="rotates by 30 degrees only"):
        turntable(model, image)
    with pytest.raises(NovelviewError, match="rotates by 30 degrees only, not by 40"):
        generate_views(model, image, [40.0])


def one_error_line(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_cli_generate_at_45_degrees_with_a_continuous_pose_model(tmp_path, flow_dir, novelview):
    Image.fromarray(noise_image(48)).save(tmp_path / "in.png")
    out = tmp_path / "out"
    code, stdout, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--azimuth",
                                  "45", "--out", str(out), "--model", str(flow_dir))
    assert code == 0, err
    assert "resized" in stdout and f"wrote {out / 'in_az45.png'}" in stdout
    with Image.open(out / "in_az45.png") as written:
        assert written.size == (64, 64) and written.mode == "RGB"
    code, stdout, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--azimuth",
                                  "45", "--elevation", "20", "--source-elevation", "0", "--out", str(out),
                                  "--model", str(flow_dir))
    assert code == 0, err
    assert (out / "in_az45_el20.png").exists()
    code, _, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--azimuth", "45",
                             "--elevation", "40", "--out", str(out), "--model", str(flow_dir))
    line = one_error_line(code, err)
    assert "flow cannot draw that view: it was trained at elevation 0 to 30 degrees only, not at the target " \
           "elevation 40" in line
    assert not (out / "in_az45_el40.png").exists()


def test_cli_turntable_with_72_frames(tmp_path, continuous_dir, novelview):
    Image.fromarray(noise_image()).save(tmp_path / "in.png")
    code, stdout, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--turntable",
                                  "--frames", "72", "--elevation", "20", "--out", str(tmp_path / "out"),
                                  "--model", str(continuous_dir))
    assert code == 0, err
    with Image.open(tmp_path / "out" / "in_turntable_el20.gif") as gif:
        assert gif.n_frames == 72
    assert (tmp_path / "out" / "in_turntable_el20.png").exists()


def test_cli_a_one_hot_model_refuses_45_degrees_in_one_line(tmp_path, pose_model_dir, novelview):
    Image.fromarray(noise_image()).save(tmp_path / "in.png")
    code, stdout, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--azimuth",
                                  "45", "--out", str(tmp_path / "out"), "--model", str(pose_model_dir))
    line = one_error_line(code, err)
    assert line == ("error: pose_encoder cannot draw that view: it rotates by 0, 10, 20, 30, 40, 50 ... degrees only, "
                    "not by 45")
    assert stdout == "" and not (tmp_path / "out" / "in_az45.png").exists()
    code, _, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--turntable",
                             "--frames", "72", "--out", str(tmp_path / "out"), "--model", str(pose_model_dir))
    assert "cannot make a 72-frame turntable" in one_error_line(code, err)


def _cli(*args):
    return subprocess.run([*novelview_command(), *args], capture_output=True, text=True, timeout=120)


def test_cli_generate_one_view_and_errors(tmp_path, pose_model_dir, autoencoder_dir, novelview):
    Image.fromarray(np.full((48, 48, 3), 128, np.uint8)).save(tmp_path / "in.png")
    # The console script itself, once.
    done = _cli("generate", "--image", str(tmp_path / "in.png"), "--azimuth", "90", "--out",
                str(tmp_path / "out"), "--model", str(pose_model_dir))
    assert done.returncode == 0, done.stderr
    assert "resized" in done.stdout and (tmp_path / "out" / "in_az90.png").exists()

    code, _, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--azimuth", "90",
                             "--out", str(tmp_path / "out"), "--model", str(autoencoder_dir))
    assert "autoencoder cannot draw that view: it rotates by 30 degrees only, not by 90" in one_error_line(code, err)
    assert "Traceback" not in err

    code, _, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--turntable",
                             "--out", str(tmp_path / "out"), "--model", str(tmp_path / "nothing"))
    assert "no model at" in one_error_line(code, err)

    (tmp_path / "text.png").write_text("not really")
    code, _, err = novelview("generate", "--image", str(tmp_path / "text.png"), "--turntable",
                             "--out", str(tmp_path / "out"), "--model", str(pose_model_dir))
    assert "not an image" in one_error_line(code, err)

    code, _, err = novelview("generate", "--image", str(tmp_path / "in.png"), "--out",
                             str(tmp_path / "out"), "--model", str(pose_model_dir))
    assert "give exactly one of --azimuth DEG or --turntable" in one_error_line(code, err)


def test_demo_turntables_turn_by_each_views_true_azimuth_on_jittered_sets(tiny_jittered, tmp_path, monkeypatch):
    """With azimuth jitter the truth at frame k is not k grid steps round: each frame asks the
    model for the rotation the true view was rendered at."""
    from novelview import demo
    from novelview.data.viewstore import ViewStore

    asked = []

    def fake_views(model, source, rotations):
        asked.append(list(rotations))
        return np.zeros((len(rotations), *source.shape), np.uint8)

    monkeypatch.setattr(demo, "load_model", lambda name: object())
    monkeypatch.setattr(demo, "generate_views", fake_views)
    written = demo.write_turntables(tiny_jittered, ["any"], tmp_path, source_azimuth_index=1)
    store = ViewStore(tiny_jittered)
    assert len(written) == len(asked) >= 1
    for item, rotations in zip(written, asked):
        azimuths = store.view_azimuths()[store.model_ids.index(item["model_id"]), 0]
        expected = (np.roll(azimuths, -1) - azimuths[1]) % 360.0
        np.testing.assert_allclose(rotations, expected, atol=1e-9)
        assert not np.allclose(rotations, np.arange(len(azimuths)) * 360.0 / len(azimuths))  # jitter shows
