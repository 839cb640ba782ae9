"""Checkpoints: resume continues exactly, checkpoints that carry code are refused, Ctrl-C and
SIGTERM stop with a checkpoint, and two-process DDP on CPU exports once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from novelview.errors import NovelviewError
from novelview.models.io import load_model
from novelview.train import train
from novelview.training.safety import load_checkpoint_safely

from training_helpers import (CONFIGS, SMALL_FLOW, column, config_for, count_steps, load, metrics,
                              novelview_command)

# -- resume --

def test_resume_continues_from_the_saved_step_and_appends_to_the_log(tiny_dataset_64, tmp_path):
    out = tmp_path / "run"
    first = train(config_for("pose_encoder", "trainer.max_steps=6"), tiny_dataset_64, out)
    assert first["global_step"] == 6
    last = out / "checkpoints" / "last.ckpt"
    assert load(last)["global_step"] == 6
    before = metrics(out)
    assert len(column(before, "train/l1")) == 6
    with pytest.raises(NovelviewError, match="already holds a trained run.*--resume"):
        train(config_for("pose_encoder", "trainer.max_steps=10"), tiny_dataset_64, out)
    with count_steps() as steps:
        second = train(config_for("pose_encoder", "trainer.max_steps=10"), tiny_dataset_64, out, resume=True)
    assert second["global_step"] == 10
    assert steps["G"] == 4, "a resumed run only takes the remaining steps"
    assert load(last)["global_step"] == 10
    assert Path(second["export"], "model.safetensors").exists()
    # The log of the first run is kept, and the resumed run's rows follow it.
    after = metrics(out)
    assert [{k: row[k] for k in before[0]} for row in after[:len(before)]] == before
    assert len(column(after, "train/l1")) == 10
    steps_logged = [int(r["step"]) for r in after if r.get("train/l1")]
    assert steps_logged == sorted(steps_logged) and len(set(steps_logged)) == 10


RESUME_CASES = [
    # (model config, data fixture, extra overrides, stop, end)
    ("pose_encoder", "tiny_dataset_64", [], 6, 12),
    ("pose_gan", "tiny_dataset_64", [], 7, 14),
    ("flow_completion_gan", "tiny_jittered", [*SMALL_FLOW, "model.options.completion_width=0.5",
                                               "objective.options.width=0.25"], 4, 8),
]


@pytest.mark.parametrize("name, data_fixture, extra, stop, end", RESUME_CASES, ids=[c[0] for c in RESUME_CASES])
def test_resume_mid_epoch_gives_the_same_weights_as_an_uninterrupted_run(name, data_fixture, extra, stop, end,
                                                                         request, tmp_path):
    """8 batches an epoch on the 64x64 set (240 on the jittered one): stopping mid-pass and resuming
    must use the batches left of that pass, then the next pass, and (for the GANs' dropout, soft
    labels and negatives) the same random draws, exactly as a run that never stopped."""
    data_dir = request.getfixturevalue(data_fixture)
    straight = train(config_for(name, *extra, f"trainer.max_steps={end}"), data_dir, tmp_path / "a")
    train(config_for(name, *extra, f"trainer.max_steps={stop}"), data_dir, tmp_path / "b")
    resumed = train(config_for(name, *extra, f"trainer.max_steps={end}"), data_dir, tmp_path / "b", resume=True)
    assert straight["global_step"] == resumed["global_step"] == end
    a = load(tmp_path / "a" / "checkpoints" / "last.ckpt")
    b = load(tmp_path / "b" / "checkpoints" / "last.ckpt")
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key


def test_resume_after_a_step_limit_still_runs_every_epoch(tiny_dataset_64, tmp_path):
    """Stopped by max_steps in the middle of the second of three epochs (8 batches each), then
    resumed with a larger max_steps: the epoch limit must still mean three whole epochs, as in a
    run that never stopped, not one fewer (Lightning saves the cut epoch as if it had ended)."""
    epochs = ("trainer.max_epochs=3",)
    straight = train(config_for("pose_encoder", *epochs, "trainer.max_steps=1000"), tiny_dataset_64, tmp_path / "a")
    train(config_for("pose_encoder", *epochs, "trainer.max_steps=11"), tiny_dataset_64, tmp_path / "b")
    resumed = train(config_for("pose_encoder", *epochs, "trainer.max_steps=1000"), tiny_dataset_64, tmp_path / "b",
                    resume=True)
    assert straight["global_step"] == resumed["global_step"] == 24
    a = load(tmp_path / "a" / "checkpoints" / "last.ckpt")["state_dict"]
    b = load(tmp_path / "b" / "checkpoints" / "last.ckpt")["state_dict"]
    assert all(torch.equal(value, b[key]) for key, value in a.items())


def test_resume_with_nothing_to_resume_raises(tiny_dataset_64, tmp_path):
    with pytest.raises(NovelviewError, match="nothing to resume"):
        train(config_for("pose_encoder", "trainer.max_steps=2"), tiny_dataset_64, tmp_path / "empty", resume=True)
    assert not (tmp_path / "empty").exists()


def test_training_on_a_folder_that_is_not_a_data_set_raises(tmp_path):
    with pytest.raises(NovelviewError, match="not a finished data set"):
        train(config_for("pose_encoder", "trainer.max_steps=2"), tmp_path / "nodata", tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_run_that_takes_no_step_exports_nothing(tiny_dataset_64, tmp_path):
    with pytest.raises(NovelviewError, match="before its first step.*nothing was exported"):
        train(config_for("pose_encoder", "trainer.max_steps=0"), tiny_dataset_64, tmp_path / "run")
    assert not (tmp_path / "run" / "export").exists()


# -- checkpoints that carry code --

class Payload:
    """Unpickling this object calls open(marker, "w"): a stand-in for any code a crafted file could run."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def plant(checkpoint: Path, marker: Path, into: Path) -> Path:
    """A copy of a real checkpoint with a pickle payload planted among its entries."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    state["callbacks_extra"] = Payload(marker)
    torch.save(state, into)
    return into


def test_a_planted_payload_is_live_when_unpickled_unsafely(short_run, tmp_path):
    """The control for the two tests below: the payload really does run when pickle is trusted."""
    marker = tmp_path / "ran"
    planted = plant(short_run / "checkpoints" / "last.ckpt", marker, tmp_path / "planted.ckpt")
    torch.load(planted, map_location="cpu", weights_only=False)
    assert marker.exists()


def test_export_refuses_a_checkpoint_with_a_planted_payload(short_run, novelview, tmp_path):
    marker = tmp_path / "pwned"
    planted = plant(short_run / "checkpoints" / "last.ckpt", marker, tmp_path / "planted.ckpt")
    code, out, err = novelview("export", "--checkpoint", str(planted), "--out",
                               str(tmp_path / "export"))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "holds objects other than tensors and numbers" in lines[0] and "refuses it" in lines[0], err
    assert not marker.exists(), "loading the checkpoint ran its payload"
    assert not (tmp_path / "export").exists()


def test_resume_refuses_a_checkpoint_with_a_planted_payload(short_run, tiny_dataset_64, novelview,
                                                            tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(short_run, out)
    marker = tmp_path / "pwned"
    plant(short_run / "checkpoints" / "last.ckpt", marker, out / "checkpoints" / "last.ckpt")
    log = (out / "csv" / "metrics.csv").read_text()
    code, _, err = novelview("train", "--config", str(CONFIGS / "pose_encoder.yaml"),
                             "--data", str(tiny_dataset_64), "--out", str(out), "--resume", "--max-steps", "5",
                             "--threads", "1", "--accelerator", "cpu", "data.batch_size=8")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "last.ckpt holds objects other than tensors and numbers" in lines[0], err
    assert not marker.exists(), "resuming ran the checkpoint's payload"
    assert (out / "csv" / "metrics.csv").read_text() == log
    with pytest.raises(NovelviewError, match="holds objects other than tensors and numbers"):
        load_checkpoint_safely(out / "checkpoints" / "last.ckpt")
    assert not marker.exists()


# -- Ctrl-C and SIGTERM --

PROGRESS = re.compile(r"Epoch (\d+):\s+\d+%\|[^|]*\|\s*(\d+)/\d+")


def steps_taken(output: str) -> bool:
    """The progress bar has moved on since it first showed (a resumed bar starts at the restored count)."""
    return len(set(PROGRESS.findall(output))) >= 2


def interrupt_training(out: Path, data_dir: Path, signum: int, *extra: str) -> tuple[int, str]:
    """Start `novelview train` (endless), send ``signum`` once it has taken optimiser steps; (exit, stderr)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    stdout, stderr = out.parent / f"{out.name}.{signum}.out", out.parent / f"{out.name}.{signum}.err"
    command = [*novelview_command(), "train", "--config", str(CONFIGS / "pose_encoder.yaml"), "--data", str(data_dir),
               "--out", str(out), "--accelerator", "cpu", "--threads", "1", "--max-steps", "100000",
               "trainer.max_epochs=-1", "data.batch_size=8", "trainer.log_every_n_steps=1", *extra]
    with open(stdout, "w") as so, open(stderr, "w") as se:
        process = subprocess.Popen(command, env=env, stdout=so, stderr=se)
        try:
            deadline = time.monotonic() + 120
            while not steps_taken(stdout.read_text(errors="replace")):
                assert process.poll() is None, f"training ended early: {stderr.read_text()[-2000:]}"
                assert time.monotonic() < deadline, "training never started"
                time.sleep(0.2)
            process.send_signal(signum)
            code = process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    return code, stderr.read_text()


def stopped_at(err: str) -> int:
    found = re.findall(r"^interrupted at step (\d+): continue with --resume$", err, flags=re.M)
    assert len(found) == 1, err[-2000:]
    assert "Traceback" not in err, err[-3000:]
    return int(found[0])


def test_sigterm_and_ctrl_c_stop_with_a_checkpoint_and_resume_continues(tiny_dataset_64, tmp_path):
    out = tmp_path / "run"
    code, err = interrupt_training(out, tiny_dataset_64, signal.SIGTERM)
    assert code == 143, err[-2000:]
    first = stopped_at(err)
    assert first >= 1 and load(out / "checkpoints" / "last.ckpt")["global_step"] == first
    assert not (out / "export").exists()
    logged = len(column(metrics(out), "train/l1"))
    assert logged >= 1

    code, err = interrupt_training(out, tiny_dataset_64, signal.SIGINT, "--resume")
    assert code == 130, err[-2000:]
    second = stopped_at(err)
    assert second > first and load(out / "checkpoints" / "last.ckpt")["global_step"] == second
    assert len(column(metrics(out), "train/l1")) > logged, "the resumed run's log follows the first one's"

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*novelview_command(), "train", "--config", str(CONFIGS / "pose_encoder.yaml"),
                           "--data", str(tiny_dataset_64), "--out", str(out), "--accelerator", "cpu", "--threads", "1",
                           "--max-steps", str(second + 2), "--resume", "data.batch_size=8"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout[done.stdout.index("{\n"):])
    assert result["global_step"] == second + 2 and load(out / "checkpoints" / "last.ckpt")["global_step"] == second + 2
    # The export is the best checkpoint by validation L1, whichever step that was.
    exported = load_model(out / "export", expect="pose_encoder").info["trained"]["global_step"]
    assert exported == load(Path(result["best_checkpoint"]))["global_step"] <= second + 2


# -- DDP on CPU --

def test_two_process_cpu_ddp_trains_and_exports_once(tiny_dataset_64, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("LOCAL_RANK", None)
    command = [*novelview_command(), "train", "--config", str(CONFIGS / "pose_encoder.yaml"),
               "--data", str(tiny_dataset_64), "--out", str(out), "--max-steps", "4", "--accelerator", "cpu",
               "--devices", "2", "--strategy", "ddp", "data.batch_size=4"]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "GLOBAL_RANK: 1" in done.stderr, "the second process never started"
    assert (out / "export" / "config.json").exists() and (out / "export" / "model.safetensors").exists()
    assert (out / "config.yaml").exists() and (out / "checkpoints" / "last.ckpt").exists()
    # Only rank 0 reports (and exports): one JSON result on stdout.
    result = json.loads(done.stdout[done.stdout.index("{"):])
    assert result["global_step"] == 4
    assert done.stdout.count('"export"') == 1
    exported = load_model(out / "export", expect="pose_encoder")
    assert exported.predict(torch.zeros(1, 3, 64, 64), 10).shape == (1, 3, 64, 64)
