"""Framing and the whole preparation: an object anywhere and at any size in a photo reaches the
model at the size and place of the training renders; alpha or a mask file is used when given;
any picture format reads; `generate` saves the input it fed and takes --mask, --keep-background
and --no-reframe."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from photo_helpers import compose, disc_mask, plain

from novelview.errors import NovelviewError
from novelview.photo import prepare_photo
from novelview.photo.framing import CENTRE_X, CENTRE_Y, ENCLOSING_DIAMETER, enclosing_circle, frame_object


def _object_of(image: np.ndarray) -> np.ndarray:
    return (image < 200).any(axis=2)


@pytest.mark.parametrize("cx, cy, radius, h, w", [(60, 50, 20, 240, 320), (250, 150, 90, 300, 400)])
def test_a_disc_anywhere_is_scaled_and_centred_as_in_the_renders(cx, cy, radius, h, w):
    rgb = np.full((h, w, 3), 255, np.uint8)
    alpha = disc_mask(h, w, cx, cy, radius).astype(np.float32)
    rgb[alpha > 0] = (20, 20, 200)
    framed, framing = frame_object(rgb, alpha, 64)
    assert framed.shape == (64, 64, 3)
    solid = _object_of(framed)
    ys, xs = np.nonzero(solid)
    assert abs((xs.max() - xs.min() + 1) - ENCLOSING_DIAMETER * 64) <= 1.5
    assert abs((xs.min() + xs.max() + 1) / 2 - CENTRE_X * 64) <= 1.0
    assert abs((ys.min() + ys.max() + 1) / 2 - CENTRE_Y * 64) <= 1.0
    assert tuple(framed[0, 0]) == (255, 255, 255)  # the rest is white, whatever the photo was
    assert framing.scale == pytest.approx(ENCLOSING_DIAMETER * 64 / (2 * enclosing_circle(alpha)[2]))


def test_a_photo_on_grey_reaches_the_model_on_white(tmp_path):
    truth = disc_mask(240, 320, 250, 70, 40)
    Image.fromarray(compose(truth, plain(240, 320, (120, 130, 140)))).save(tmp_path / "p.jpg", quality=90)
    prepared = prepare_photo(tmp_path / "p.jpg", 64)
    assert prepared.mask_source == "cut-out" and prepared.warnings == []
    assert (prepared.image[:4, :4] == 255).all() and (prepared.image[-4:, -4:] == 255).all()
    assert 0.4 < _object_of(prepared.image).mean() < 0.7  # a disc spanning 0.853 of the frame: 57%


def test_meaningful_alpha_is_used_and_an_opaque_alpha_is_not(tmp_path):
    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[..., :3] = (0, 255, 0)  # green everywhere, but only the square is opaque
    rgba[30:60, 30:60, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "cut.png")
    prepared = prepare_photo(tmp_path / "cut.png", 64)
    assert prepared.mask_source == "alpha"
    assert tuple(prepared.image[0, 0]) == (255, 255, 255) and tuple(prepared.image[32, 32]) == (0, 255, 0)
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "opaque.png")
    assert prepare_photo(tmp_path / "opaque.png", 64).mask_source == "cut-out"


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16", "LA", "RGBA"])
def test_every_common_mode_reads(mode, tmp_path):
    truth = disc_mask(120, 160, 80, 60, 30)
    rgb = compose(truth, plain(120, 160), jpeg=None)
    img = Image.fromarray(rgb)
    if mode == "I;16":  # 16-bit grey, the full range used
        img = Image.fromarray(np.asarray(img.convert("L")).astype(np.uint16) * 257)
    else:
        img = img.convert(mode)
    path = tmp_path / f"photo.{'tif' if mode == 'CMYK' else 'png'}"
    img.save(path)
    prepared = prepare_photo(path, 64)
    assert prepared.image.shape == (64, 64, 3) and prepared.image.dtype == np.uint8
    assert 0.3 < _object_of(prepared.image).mean() < 0.8


def test_a_mask_of_another_shape_is_refused_in_one_line(tmp_path):
    Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(tmp_path / "p.png")
    Image.fromarray(np.zeros((50, 80), np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(NovelviewError, match=r"--mask m.png is 80x50 but the image is 100x100"):
        prepare_photo(tmp_path / "p.png", 64, mask=tmp_path / "m.png")


def test_generate_saves_the_input_and_takes_mask_keep_background_and_no_reframe(tmp_path, novelview):
    truth = disc_mask(120, 160, 40, 40, 25)
    Image.fromarray(compose(truth, plain(120, 160), jpeg=None)).save(tmp_path / "cup.png")
    Image.fromarray((truth * 255).astype(np.uint8)).save(tmp_path / "cup_mask.png")
    runs = {"cut": [], "mask": ["--mask", tmp_path / "cup_mask.png"], "keep": ["--keep-background"],
            "noframe": ["--no-reframe"]}
    inputs = {}
    for name, extra in runs.items():
        code, out, err = novelview("generate", "--image", tmp_path / "cup.png", "--azimuth", "30",
                                   "--out", tmp_path / name, *extra)
        assert code == 0, err
        assert (tmp_path / name / "cup_az30.png").exists()
        inputs[name] = np.asarray(Image.open(tmp_path / name / "cup_input.png"))
    assert inputs["cut"].shape == (64, 64, 3)
    cut, masked = _object_of(inputs["cut"]), _object_of(inputs["mask"])
    assert (cut & masked).sum() / (cut | masked).sum() > 0.9  # the cut-out found the mask's disc
    assert (inputs["keep"][32, 2] < 250).all()  # the grey backdrop stays (white only pads it to a square)
    assert (inputs["noframe"][0, 0] == 255).all() and _object_of(inputs["noframe"]).mean() < 0.25  # small, as shot
