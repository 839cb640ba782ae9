"""A finished short run that several training tests read."""

from __future__ import annotations

import pytest
from training_helpers import config_for, render_cars_without_depth

from novelview.train import train


@pytest.fixture(scope="session")
def short_run(tiny_dataset_64, tmp_path_factory):
    """A finished 3-step pose encoder run folder (treat as read-only)."""
    out = tmp_path_factory.mktemp("short") / "run"
    train(config_for("pose_encoder", "trainer.max_steps=3"), tiny_dataset_64, out)
    return out



@pytest.fixture(scope="session")
def tiny_no_depth(tmp_path_factory):
    """procedural:car, 4 models, 32x32, 8 azimuths, rendered with --no-depth."""
    return render_cars_without_depth(tmp_path_factory.mktemp("nodepth") / "data", 4, 0.25, 0.25)
