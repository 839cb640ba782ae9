"""Batch extras are registered by name: a new one reaches the batch without touching the data
module, and an unknown name is one line listing the known ones."""

from __future__ import annotations

import pytest
import torch

from novelview.errors import NovelviewError
from novelview.training.batch_extras import BATCH_EXTRAS, BatchExtra, register_extra
from novelview.training.datamodule import PairDataModule

from training_helpers import config_for


def _brightness(batch: dict, store) -> None:
    batch["source_brightness"] = batch["source"].mean(dim=(1, 2, 3))


if "source_brightness" not in BATCH_EXTRAS:
    register_extra(BatchExtra("source_brightness", add=_brightness))


def _first_batch(data_dir, needs) -> dict:
    data = PairDataModule(data_dir, config_for("pose_encoder"), needs)
    data.setup("fit")
    return data.on_after_batch_transfer(next(iter(data.train_dataloader())), 0)


def test_a_registered_extra_reaches_the_batch_and_depth_stays_only_for_who_keeps_it(tiny_dataset_64):
    batch = _first_batch(tiny_dataset_64, {"source_brightness"})
    assert torch.allclose(batch["source_brightness"], batch["source"].mean(dim=(1, 2, 3)))
    assert "source_depth" not in batch and "visibility" not in batch
    with_visibility = _first_batch(tiny_dataset_64, {"visibility"})
    assert "visibility" in with_visibility and "source_depth" not in with_visibility  # used, then dropped
    assert "source_depth" in _first_batch(tiny_dataset_64, {"depth"})


def test_an_unknown_extra_names_the_known_ones(tiny_dataset_64):
    with pytest.raises(NovelviewError, match="unknown batch extra 'normals'.*known are .*visibility"):
        PairDataModule(tiny_dataset_64, config_for("pose_encoder"), {"normals"}).extras
