"""One `novelview serve` app on a free local port for the serve tests (skipped without gradio)."""

from __future__ import annotations

import socket

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    pytest.importorskip("gradio", reason='gradio is not installed: pip install "novelview[serve]"')
    import torch

    from novelview.serve import serve

    torch.set_num_threads(1)
    app = serve(port=free_port(), block=False)  # the defaults otherwise: 127.0.0.1, never shared
    yield app
    app.close()
