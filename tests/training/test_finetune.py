"""Fine-tuning from an export: the starting model is scored on validation first, and a run whose
best checkpoint does not beat it says so."""

from __future__ import annotations

import json

import pytest

from novelview.config.load import load_config
from novelview.train import train

from training_helpers import CONFIGS, config_for


def _ruinous(steps: int) -> dict:
    """The shipped pose encoder (it fits the 64x64, 36-azimuth set) at a learning rate that ruins it."""
    return config_for("pose_encoder", "model.init=pose_encoder", "optim.lr=5.0", "optim.grad_clip=null",
                      f"trainer.max_steps={steps}", "trainer.val_check_interval=2")


def test_a_finetune_that_makes_things_worse_says_so(tiny_dataset_64, tmp_path):
    out = tmp_path / "tuned"
    config = _ruinous(4)
    heard = []
    result = train(config, tiny_dataset_64, out, notify=heard.append)
    start = json.loads((out / "start_score.json").read_text())
    assert start["init"] == "pose_encoder" and result["start_val_l1"] == start["val_l1"] > 0
    assert result["val_l1"] >= start["val_l1"], "lr 5 is meant to make it worse"
    assert len(heard) == 1 and heard[0].startswith("fine-tuning did not improve on pose_encoder")
    # A resumed run compares with the same start, without scoring it again.
    (out / "start_score.json").write_text(json.dumps({**start, "val_l1": 1e-9}))
    again = train(_ruinous(6), tiny_dataset_64, out, resume=True, notify=heard.append)
    assert again["start_val_l1"] == 1e-9 and len(heard) == 2


def test_a_run_from_scratch_has_no_start_score(tiny_dataset_64, tmp_path):
    result = train(config_for("pose_encoder", "trainer.max_steps=2"), tiny_dataset_64, tmp_path / "run")
    assert "start_val_l1" not in result and not (tmp_path / "run" / "start_score.json").exists()


def test_the_finetune_config_starts_from_the_default_gently():
    config = load_config(CONFIGS / "finetune.yaml")
    assert config["model"]["init"] == "default" and config["model"]["name"] == "flow_completion"
    assert config["optim"]["lr"] <= 3e-4 and config["data"]["batch_size"] <= 64
    assert config["trainer"]["max_time"] == "00:00:20:00"
