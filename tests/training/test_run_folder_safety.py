"""A trained run is never lost to the next command: no overwrite without --overwrite, a resume
that finds the best checkpoint when the last is gone or damaged, and one job per folder."""

from __future__ import annotations

import pytest

from novelview.data.files import folder_lock
from novelview.errors import NovelviewError
from novelview.evaluation.evaluate import evaluate
from novelview.train import train

from training_helpers import config_for, load


def _trained(tiny_dataset_64, out):
    train(config_for("pose_encoder", "trainer.max_steps=4", "trainer.val_check_interval=2"), tiny_dataset_64, out)
    checkpoints = out / "checkpoints"
    assert (checkpoints / "best.ckpt").exists() and (out / "export" / "model.safetensors").exists()
    return {p: p.read_bytes() for p in [checkpoints / "best.ckpt", *sorted((out / "export").iterdir())]}


def test_a_new_run_never_replaces_a_trained_one_after_its_last_checkpoint_went(tiny_dataset_64, tmp_path):
    out = tmp_path / "run"
    kept = _trained(tiny_dataset_64, out)
    last = out / "checkpoints" / "last.ckpt"
    last.replace(last.with_name("last.ckpt.damaged"))  # what `doctor --repair` does with a damaged one
    with pytest.raises(NovelviewError, match="already holds a trained run .*best.ckpt.*--overwrite"):
        train(config_for("pose_encoder", "trainer.max_steps=2"), tiny_dataset_64, out)
    last.unlink(missing_ok=True)
    with pytest.raises(NovelviewError, match="already holds a trained run"):
        train(config_for("pose_encoder", "trainer.max_steps=2"), tiny_dataset_64, out)
    assert {p: p.read_bytes() for p in kept} == kept, "nothing of the trained run may change"


@pytest.mark.parametrize("damage", ["missing", "damaged"])
def test_resume_takes_the_best_checkpoint_when_the_last_is_missing_or_damaged(damage, tiny_dataset_64, tmp_path):
    out = tmp_path / "run"
    _trained(tiny_dataset_64, out)
    last = out / "checkpoints" / "last.ckpt"
    best_step = load(out / "checkpoints" / "best.ckpt")["global_step"]
    if damage == "missing":
        last.unlink()
    else:
        last.write_bytes(b"not a checkpoint")
    heard = []
    result = train(config_for("pose_encoder", "trainer.max_steps=6"), tiny_dataset_64, out, resume=True,
                   notify=heard.append)
    assert result["global_step"] == 6 and load(last)["global_step"] == 6
    assert len(heard) == 1 and f"is {damage}: resuming from best.ckpt" in heard[0]
    assert best_step <= 4


def test_overwrite_replaces_a_trained_run(tiny_dataset_64, tmp_path):
    out = tmp_path / "run"
    _trained(tiny_dataset_64, out)
    (out / "notes.txt").write_text("mine")
    result = train(config_for("pose_encoder", "trainer.max_steps=2"), tiny_dataset_64, out, overwrite=True)
    assert result["global_step"] == 2 and load(out / "checkpoints" / "last.ckpt")["global_step"] == 2
    assert (out / "notes.txt").read_text() == "mine", "files novelview did not write stay"


def test_a_second_job_in_a_busy_folder_stops_at_once(tiny_dataset_64, tmp_path):
    run, report = tmp_path / "run", tmp_path / "eval"
    run.mkdir()
    report.mkdir()
    with folder_lock(run, "training run"):
        with pytest.raises(NovelviewError, match="another training run is writing here"):
            train(config_for("pose_encoder", "trainer.max_steps=2"), tiny_dataset_64, run)
    assert not (run / "config.yaml").exists()
    with folder_lock(report, "evaluation"):
        with pytest.raises(NovelviewError, match="another evaluation is writing here"):
            evaluate(tiny_dataset_64, ["pose_encoder"], report, max_pairs=8, progress=False, accuracy=False)
    assert not (report / "metrics.json").exists()
