"""Generation from image files: any format and size in, the model's views out, clear errors."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

from novelview.errors import NovelviewError
from novelview.generate import generate_views, load_image, save_turntable, turntable
from novelview.models import build_model
from novelview.models.io import save_model


@pytest.fixture(scope="module")
def pose_model_dir(tmp_path_factory):
    return save_model(build_model("pose_encoder"), tmp_path_factory.mktemp("models") / "pose")


@pytest.fixture(scope="module")
def autoencoder_dir(tmp_path_factory):
    return save_model(build_model("autoencoder"), tmp_path_factory.mktemp("models") / "ae")


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
    from novelview.models.io import load_model

    model = load_model(pose_model_dir)
    image = np.full((64, 64, 3), 255, np.uint8)
    views = turntable(model, image)
    assert views.shape == (36, 64, 64, 3) and views.dtype == np.uint8
    files = save_turntable(views, image, tmp_path)
    with Image.open(files["gif"]) as gif:
        assert gif.n_frames == 36
    assert Image.open(files["sheet"]).size[0] > 6 * 64


def test_autoencoder_refuses_turntable_and_other_rotations(autoencoder_dir):
    from novelview.models.io import load_model

    model = load_model(autoencoder_dir)
    image = np.full((64, 64, 3), 255, np.uint8)
    assert generate_views(model, image, [30.0]).shape == (1, 64, 64, 3)
    with pytest.raises(NovelviewError, match="rotates by 30 degrees only"):
        turntable(model, image)
    with pytest.raises(NovelviewError, match="rotates by 30 degrees only"):
        generate_views(model, image, [40.0])


def _cli(*args):
    return subprocess.run(["novelview", *args], capture_output=True, text=True, timeout=120)


def test_cli_generate_one_view_and_errors(tmp_path, pose_model_dir, autoencoder_dir):
    Image.fromarray(np.full((48, 48, 3), 128, np.uint8)).save(tmp_path / "in.png")
    done = _cli("generate", "--image", str(tmp_path / "in.png"), "--azimuth", "90", "--out",
                str(tmp_path / "out"), "--model", str(pose_model_dir))
    assert done.returncode == 0, done.stderr
    assert "resized" in done.stdout and (tmp_path / "out" / "in_az90.png").exists()

    bad_rotation = _cli("generate", "--image", str(tmp_path / "in.png"), "--azimuth", "90", "--out",
                        str(tmp_path / "out"), "--model", str(autoencoder_dir))
    assert bad_rotation.returncode == 2
    assert bad_rotation.stderr.strip().startswith("error:") and "rotates by 30 degrees only" in bad_rotation.stderr
    assert "Traceback" not in bad_rotation.stderr

    missing = _cli("generate", "--image", str(tmp_path / "in.png"), "--turntable", "--out",
                   str(tmp_path / "out"), "--model", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no model at" in missing.stderr

    (tmp_path / "text.png").write_text("not really")
    not_image = _cli("generate", "--image", str(tmp_path / "text.png"), "--turntable", "--out",
                     str(tmp_path / "out"), "--model", str(pose_model_dir))
    assert not_image.returncode == 2 and "not an image" in not_image.stderr
