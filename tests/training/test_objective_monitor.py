"""An objective names the validation metric that picks the best checkpoint, and its own progress
log: nothing in training assumes that it returns "l1"."""

from __future__ import annotations

import csv

import torch.nn.functional as F

from novelview.objectives.l1 import L1Objective
from novelview.objectives.registry import OBJECTIVES, register_objective
from novelview.train import train

from training_helpers import config_for


class SsimPicked(L1Objective):
    """L1 training, but the best checkpoint is the one with the highest validation masked SSIM, and
    the step's logs call the loss "fit", not "l1"."""

    MONITOR = ("val/masked_ssim", "max")
    PROGRESS = "fit"

    def training_step(self, ctx, model, batch: dict) -> dict:
        image = ctx.run_model(batch)["image"].float()
        loss = F.l1_loss(image, batch["target"])
        self.update(ctx, 0, loss, model.parameters(), self.optim["grad_clip"])
        return {"fit": loss}


if "ssim_picked" not in OBJECTIVES:  # the registry refuses a name twice (a test run may import twice)
    register_objective("ssim_picked")(SsimPicked)


def test_the_best_checkpoint_follows_the_objectives_monitor(tiny_dataset_64, tmp_path):
    config = config_for("pose_encoder", "objective.name=ssim_picked", "trainer.max_steps=4",
                        "trainer.val_check_interval=2")
    result = train(config, tiny_dataset_64, tmp_path / "run")
    assert result["monitor"] == "val/masked_ssim" and result["val_l1"] is None
    assert result["best_score"] is not None and result["best_checkpoint"].endswith("best.ckpt")
    with open(tmp_path / "run" / "csv" / "metrics.csv") as f:
        logged = [r for r in csv.DictReader(f)]
    assert any(r.get("train/fit_epoch") for r in logged) and not any(r.get("train/l1_epoch") for r in logged)
    best = max(float(r["val/masked_ssim"]) for r in logged if r.get("val/masked_ssim"))
    assert result["best_score"] == best  # the highest, not the lowest
