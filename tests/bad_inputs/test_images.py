"""Input images for `generate`: folders, damaged files and bombs are refused in one line; 16-bit
grey, EXIF-rotated photos and animated images are read as a person would expect."""

from __future__ import annotations

import numpy as np
import pytest
from bad_input_helpers import assert_one_error
from PIL import Image

from novelview.errors import NovelviewError
from novelview.generate import load_image


NOISE = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)  # compresses badly


@pytest.mark.parametrize("make, message", [
    (lambda p: p.mkdir(), r"is a folder, not an image file"),
    (lambda p: None, r"image .* not found"),
    (lambda p: p.write_bytes(b""), r"is empty \(0 bytes\)"),
    (lambda p: p.write_bytes(b"hello"), r"is not an image Pillow can read"),
    (lambda p: p.write_bytes(_png(NOISE)[:400]), r"is damaged or truncated"),
])
def test_bad_image_files_are_one_line(make, message, tmp_path, novelview):
    image = tmp_path / "object.png"
    make(image)
    code, _, err = novelview("generate", "--image", image, "--azimuth", "30", "--out", tmp_path / "out")
    assert_one_error(code, err, message)
    assert not (tmp_path / "out").exists()


def _png(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_decompression_bomb_is_refused(tmp_path, novelview):
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 400 million pixels in a few kB
    assert bomb.stat().st_size < 200_000
    code, _, err = novelview("generate", "--image", bomb, "--azimuth", "30", "--out", tmp_path / "out")
    assert_one_error(code, err, r"bomb\.png is too large to open safely .* give an image under")


def test_an_image_just_over_the_limit_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    Image.new("RGB", (120, 100)).save(tmp_path / "big.png")  # between 1x and 2x the limit: only a warning in Pillow
    with pytest.raises(NovelviewError, match="too large to open safely"):
        load_image(tmp_path / "big.png", 64)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "grey16.png")
    assert Image.open(tmp_path / "grey16.png").mode.startswith("I")
    rgb, _ = load_image(tmp_path / "grey16.png", 64)
    expected = np.rint(ramp / 257.0).astype(np.uint8)
    np.testing.assert_allclose(rgb[..., 0].astype(int), expected.astype(int), atol=1)
    assert (rgb == 255).mean() < 0.01  # was 99.6% white


def test_jpeg_exif_orientation_is_applied(tmp_path):
    picture = np.full((40, 80, 3), 255, np.uint8)
    picture[:, :40] = (200, 0, 0)  # red left half, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: show it rotated 90 degrees clockwise
    Image.fromarray(picture).save(tmp_path / "photo.jpg", exif=exif, quality=95)
    rgb, notices = load_image(tmp_path / "photo.jpg", 64)
    assert any("EXIF orientation" in n for n in notices)
    # upright the image is 40 wide, 80 tall: red on top, padded with white left and right
    top, bottom = rgb[8, 32], rgb[56, 32]
    assert top[0] > 150 and top[1] < 80 and bottom.min() > 200


def test_an_animated_gif_uses_frame_1_and_says_so(tmp_path):
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    rgb, notices = load_image(tmp_path / "anim.gif", 64)
    assert "anim.gif has 3 frames; using frame 1" in notices
    assert tuple(rgb[32, 32]) == (255, 0, 0)


def test_generate_refuses_a_nan_azimuth_and_an_out_file(tmp_path, novelview):
    Image.new("RGB", (64, 64), "white").save(tmp_path / "x.png")
    code, _, err = novelview("generate", "--image", tmp_path / "x.png", "--azimuth", "nan", "--out", tmp_path / "o")
    assert_one_error(code, err, r"--azimuth nan is not a finite number: give a rotation in degrees, e.g. 30")
    (tmp_path / "file").write_text("keep me")
    code, _, err = novelview("generate", "--image", tmp_path / "x.png", "--azimuth", "30", "--out", tmp_path / "file")
    assert_one_error(code, err, r"--out .*file is a file, not a folder")
    assert (tmp_path / "file").read_text() == "keep me"
