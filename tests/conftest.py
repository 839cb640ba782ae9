"""Shared fixtures: tiny data sets rendered once per test session (a few seconds on one core)."""

from __future__ import annotations

import os
import sys

import pytest

# Tests run on 2-core CI machines: one torch thread keeps timing predictable.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def novelview(monkeypatch, capsys):
    """``novelview(*args)`` runs the console entry in this process: (exit status, stdout, stderr)."""
    from novelview import cli

    def run(*args) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["novelview", *map(str, args)])
        try:
            cli.main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """procedural:all, 4 models per category, 32x32, 36 azimuths, 20% test and 25% val by model."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    out = tmp_path_factory.mktemp("tiny") / "data"
    job = RenderJob("procedural:all", out, RenderSettings(size=32, supersample=1), models=4, seed=0,
                    workers=1, val_share=0.25, test_share=0.25)
    render_dataset(job, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_dataset_64(tmp_path_factory):
    """procedural:all, 2 models per category at the models' default 64x64, supersample 1."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    out = tmp_path_factory.mktemp("tiny64") / "data"
    job = RenderJob("procedural:all", out, RenderSettings(size=64, supersample=1), models=2, seed=0,
                    workers=1, val_share=0.34, test_share=0.34)
    render_dataset(job, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_jittered(tmp_path_factory):
    """procedural:all, 2 models per category, 32x32, 8 azimuths jittered by up to +-10 degrees,
    elevations 0 and 20, with depth: off-grid poses and elevation changes for continuous-pose models."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    out = tmp_path_factory.mktemp("jittered") / "data"
    settings = RenderSettings(size=32, azimuths=8, elevations=(0.0, 20.0), supersample=1, azimuth_jitter=20.0)
    job = RenderJob("procedural:all", out, settings, models=2, seed=0, workers=1, val_share=0.17, test_share=0.17)
    render_dataset(job, progress=False)
    return out
