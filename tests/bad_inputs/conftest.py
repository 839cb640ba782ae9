"""Fixtures of the bad-input suite: a small finished data set (the console entry, ``novelview``, is in
tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def finished_set(tmp_path_factory) -> Path:
    """A finished data set made once; tests damage copies of it (``dataset``)."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    out = tmp_path_factory.mktemp("finished") / "data"
    job = RenderJob("procedural:mug", out, RenderSettings(size=16, azimuths=4, supersample=1), models=3,
                    workers=1, test_share=0.34)
    render_dataset(job, progress=False)
    return out


@pytest.fixture
def dataset(finished_set, tmp_path) -> Path:
    """A fresh copy of ``finished_set`` to damage."""
    return Path(shutil.copytree(finished_set, tmp_path / "data"))
