"""The web app through its API, as the page uses it: an example in, a cut-out and a view out,
the view redrawn at another azimuth, a turntable GIF; bad uploads give a message, not a traceback,
and the server keeps serving; it binds 127.0.0.1, sends no analytics and is never shared."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from novelview.errors import NovelviewError
from novelview.serve import EXAMPLES, VIEW_SCALE, prepare_upload


def _client(server):
    from gradio_client import Client

    return Client(server.local_url, verbose=False, download_files=True)


def test_local_only_no_analytics_never_shared(server):
    assert server.local_url.startswith("http://127.0.0.1:")
    assert server.share is False and server.analytics_enabled is False


def test_an_example_gives_a_cutout_and_views_that_follow_the_azimuth(server, tmp_path):
    from gradio_client import handle_file

    client = _client(server)
    example = sorted(EXAMPLES.glob("*.png"))[0]
    cutout, prepared, message = client.predict(handle_file(str(example)), "default", False, api_name="/prepare")
    assert "error" not in message
    assert Image.open(prepared).size == (64 * VIEW_SCALE, 64 * VIEW_SCALE)
    at_30, _ = client.predict(30, 0, "default", api_name="/view")
    at_150, _ = client.predict(150, 0, "default", api_name="/view")
    first, second = np.asarray(Image.open(at_30)), np.asarray(Image.open(at_150))
    assert first.shape[:2] == (64 * VIEW_SCALE, 64 * VIEW_SCALE)
    assert np.abs(first.astype(int) - second).mean() > 2  # another azimuth, another view


def test_the_turntable_button_gives_a_36_frame_gif_to_download(server):
    from gradio_client import handle_file

    client = _client(server)
    client.predict(handle_file(str(sorted(EXAMPLES.glob("*.png"))[0])), "default", False, api_name="/prepare")
    gif, download, _ = client.predict(0, "default", api_name="/turntable")
    with Image.open(download) as animation:
        assert animation.n_frames == 36


def test_bad_uploads_are_messages_and_the_server_keeps_serving(server, tmp_path):
    from gradio_client import handle_file

    (tmp_path / "notes.png").write_text("not a picture")
    client = _client(server)
    _, _, message = client.predict(handle_file(str(tmp_path / "notes.png")), "default", False, api_name="/prepare")
    assert message.startswith("**error:**") and "not an image" in message and "Traceback" not in message
    example = sorted(EXAMPLES.glob("*.png"))[-1]
    _, prepared, message = client.predict(handle_file(str(example)), "default", False, api_name="/prepare")
    assert prepared is not None and "error" not in message


def test_empty_and_huge_uploads_are_refused_in_the_page(tmp_path, monkeypatch):
    (tmp_path / "empty.png").write_bytes(b"")
    assert "is empty" in prepare_upload(str(tmp_path / "empty.png"), "default")[3]
    monkeypatch.setattr("novelview.serve.MAX_UPLOAD_PIXELS", 1000)
    Image.new("RGB", (100, 100)).save(tmp_path / "big.png")
    assert "megapixels" in prepare_upload(str(tmp_path / "big.png"), "default")[3]
    assert "no image yet" in prepare_upload(None, "default")[3]


def test_without_gradio_the_app_says_how_to_install_it(monkeypatch, novelview):
    from novelview.serve import build_app

    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio now fails
    with pytest.raises(NovelviewError, match=r'pip install "novelview\[serve\]"'):
        build_app()
    code, _, err = novelview("serve", "--port", "1")
    assert code == 2 and err.strip().splitlines() == ['error: the web app needs gradio: pip install "novelview[serve]"']
