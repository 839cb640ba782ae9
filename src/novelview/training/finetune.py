"""Fine-tuning's safety net: the model a run started from is scored on validation first, and the
run says so when what it exports is not better.

A fine-tune with too large a learning rate can ruin a shipped model in a few steps (measured: a
documented command took a car set's test L1 from 0.0391 to 0.0818, the same as copying the
input). Training keeps the best checkpoint by validation L1 anyway; with ``model.init`` set, the
starting weights' validation L1 is measured before the first step (written to
``start_score.json``, so a resumed run still knows it), and the result carries both figures and a
verdict line when the best fine-tuned weights do not beat the start.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

from novelview.data.files import write_json

SCORE_FILE = "start_score.json"


@torch.no_grad()
def validation_l1(module, data) -> float | None:
    """Mean L1 of ``module``'s model over the data module's validation pairs (as training's
    ``val/l1``), or None when the data set has no validation split."""
    loader = data.val_dataloader()
    if not loader:
        return None
    total, count = 0.0, 0
    training = module.model.training
    module.model.eval()
    try:
        for raw in loader:
            batch = data.on_after_batch_transfer(raw, 0)
            image = module.run_model(batch)["image"]
            total += float(F.l1_loss(image.float(), batch["target"], reduction="sum"))
            count += batch["target"].numel()
    finally:
        module.model.train(training)
    return total / max(1, count)


def record_start(out: Path, module, data, init: str) -> dict | None:
    """Score the starting weights once per run folder; the stored figure on a resume."""
    path = out / SCORE_FILE
    if path.exists():
        return json.loads(path.read_text())
    score = validation_l1(module, data)
    if score is None:
        return None
    record = {"init": init, "val_l1": score}
    write_json(path, record)
    return record


def verdict(start: dict | None, best_val_l1: float | None) -> str | None:
    """A line for the user when the export is not better than the model the run started from."""
    if start is None or best_val_l1 is None or best_val_l1 < start["val_l1"]:
        return None
    return (f"fine-tuning did not improve on {start['init']}: its validation L1 was {start['val_l1']:.4f}, the best "
            f"fine-tuned checkpoint's is {best_val_l1:.4f}; the export holds the fine-tuned weights, so keep using "
            f"{start['init']} (or lower optim.lr, or train longer)")
