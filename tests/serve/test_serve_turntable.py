"""The page's turntable button fits the model: a one-hot model draws the frames its grid allows, and
a model that can draw none (the autoencoder: +30 degrees only) is told so in the page's words,
not with command-line options."""

from __future__ import annotations

import numpy as np
from PIL import Image

from novelview.generate import turntable_frames
from novelview.models.io import load_model
from novelview.serve import make_turntable


def _state() -> np.ndarray:
    image = np.full((64, 64, 3), 255, np.uint8)
    image[20:44, 16:48] = (200, 40, 30)
    return image


def test_the_page_turntable_fits_the_model_or_says_why_not_without_cli_options():
    gif, download, message = make_turntable(_state(), 0.0, "autoencoder")
    assert gif is None and "cannot make a turntable" in message and "--" not in message
    assert turntable_frames(load_model("pose_encoder")) == 36 and turntable_frames(load_model("autoencoder")) is None
    gif, download, message = make_turntable(_state(), 0.0, "pose_encoder")
    assert gif == download and Image.open(gif).n_frames == 36 and message.startswith("turntable: 36 frames")
