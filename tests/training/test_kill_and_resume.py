"""A run killed with SIGKILL (no handler, no final checkpoint) and resumed ends with the weights and
the step count of a run that never stopped: killed after a periodic checkpoint, or in the middle of
writing one (the previous sound checkpoint is then used), bounded by max_steps or by epochs.

The uninterrupted runs train in this process and the killed ones in another, from the same config
(``kill_helpers.train_command`` passes ``training_helpers.QUICK`` on the command line).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import time

import pytest
import torch
from kill_helpers import kill_once_written, train_in_background
from training_helpers import config_for, load

from novelview.data.files import folder_lock
from novelview.errors import NovelviewError
from novelview.train import train

EVERY = "trainer.save_every_n_steps=2"
# 8 batches a pass on the 64x64 set: a validation (best.ckpt, last.ckpt) ends each pass.
BOUNDS = {
    "max_steps": ("trainer.max_steps=14", "trainer.max_epochs=-1"),
    # A loader worker: the loader then asks the sampler for a pass twice, which once cost a resume
    # its place in the pass (and, bounded by epochs, its last steps).
    "epochs": ("trainer.max_epochs=2", "data.num_workers=1"),
}


@pytest.fixture(scope="module")
def uninterrupted(tiny_dataset_64, tmp_path_factory):
    """bound -> the final checkpoint of a run that never stopped (trained on first use)."""
    done = {}

    def get(bound: str) -> dict:
        if bound not in done:
            out = tmp_path_factory.mktemp(f"straight_{bound}") / "run"
            train(config_for("pose_encoder", *BOUNDS[bound], EVERY), tiny_dataset_64, out)
            done[bound] = load(out / "checkpoints" / "last.ckpt")
        return done[bound]

    return get


def resume_and_compare(out, data_dir, bound: str, expected: dict) -> list[str]:
    heard = []
    result = train(config_for("pose_encoder", *BOUNDS[bound], EVERY), data_dir, out, resume=True,
                   notify=heard.append)
    assert result["global_step"] == expected["global_step"], "the resumed run took another number of steps"
    resumed = load(out / "checkpoints" / "last.ckpt")["state_dict"]
    assert resumed.keys() == expected["state_dict"].keys()
    differ = [k for k, v in expected["state_dict"].items() if not torch.equal(v, resumed[k])]
    assert not differ, f"{len(differ)} tensors differ from the uninterrupted run, e.g. {differ[0]}"
    return heard


def test_kill_9_after_a_periodic_checkpoint_in_the_first_pass(tiny_dataset_64, uninterrupted, tmp_path):
    """No last.ckpt yet: the newest step checkpoint is all there is."""
    out = tmp_path / "run"
    kill_once_written(train_in_background(out, tiny_dataset_64, *BOUNDS["max_steps"], EVERY),
                      out / "checkpoints" / "step_4.ckpt")
    assert not (out / "checkpoints" / "last.ckpt").exists() and not (out / "export").exists()
    heard = resume_and_compare(out, tiny_dataset_64, "max_steps", uninterrupted("max_steps"))
    assert len(heard) == 1 and "last.ckpt is missing: resuming from step_" in heard[0]


def test_kill_9_in_the_second_pass_resumes_from_the_newest_checkpoint(tiny_dataset_64, uninterrupted, tmp_path):
    """last.ckpt is of the first pass's end (step 8), step_10.ckpt is newer: the run continues from
    the newest, with a loader worker, and still ends at the epoch limit's step count."""
    out = tmp_path / "run"
    kill_once_written(train_in_background(out, tiny_dataset_64, *BOUNDS["epochs"], EVERY),
                      out / "checkpoints" / "step_10.ckpt")
    last = load(out / "checkpoints" / "last.ckpt")["global_step"]
    newest = max(int(p.stem.split("_")[1]) for p in (out / "checkpoints").glob("step_*.ckpt"))
    heard = resume_and_compare(out, tiny_dataset_64, "epochs", uninterrupted("epochs"))
    if newest > last:  # always, unless the run got past the next validation before the kill landed
        assert len(heard) == 1 and f"resuming from step_{newest}.ckpt, newer than last.ckpt (step {last})" in heard[0]
    else:
        assert heard == []


@pytest.mark.parametrize("bound, save, leftover", [("max_steps", 3, ".step_6.ckpt.tmp"),
                                                    ("epochs", 6, ".last.ckpt.tmp")])
def test_kill_9_while_a_checkpoint_is_written_resumes_from_the_previous_one(bound, save, leftover, tiny_dataset_64,
                                                                            uninterrupted, tmp_path):
    """Killed with half of a checkpoint on the disk (saves: step_2, step_4, step_6, step_8, best,
    last, ...): the half-written file is a temporary one, the checkpoints before it are whole."""
    out = tmp_path / "run"
    process = train_in_background(out, tiny_dataset_64, *BOUNDS[bound], EVERY, kill_on_save=save)
    assert process.wait(timeout=120) == -9, (out.parent / "run.err").read_text()[-2000:]
    half = out / "checkpoints" / leftover
    assert half.is_file() and half.stat().st_size > 0, sorted(p.name for p in (out / "checkpoints").iterdir())
    assert not (out / "checkpoints" / leftover[1:-4]).exists(), "the checkpoint being written is not in place"
    resume_and_compare(out, tiny_dataset_64, bound, uninterrupted(bound))


def test_a_forked_loader_worker_does_not_keep_the_run_folder_locked(tmp_path):
    """A loader worker outlives a parent killed with SIGKILL by a few seconds; it must not hold
    the run folder's lock meanwhile, or the --resume right after is refused as a second run."""
    ready, started = os.pipe()
    with folder_lock(tmp_path, "training run"):
        child = os.fork()
        if child == 0:  # the stand-in for a worker: alive, doing nothing with the lock
            os.write(started, b"1")
            time.sleep(5)
            os._exit(0)
        os.read(ready, 1)  # the child is running (its fork hooks have run)
    try:
        with folder_lock(tmp_path, "training run"):
            pass
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_a_full_disk_while_a_checkpoint_is_written_is_one_line_and_keeps_the_earlier_ones(tiny_dataset_64, tmp_path,
                                                                                           monkeypatch):
    real_save, calls = torch.save, []

    def save(obj, handle, *args, **kwargs):  # the third checkpoint (step_6) meets a full disk half way
        calls.append(1)
        if len(calls) < 3:
            return real_save(obj, handle, *args, **kwargs)
        handle.write(b"\0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", save)
    out = tmp_path / "run"
    with pytest.raises(NovelviewError) as raised:
        train(config_for("pose_encoder", *BOUNDS["max_steps"], EVERY), tiny_dataset_64, out)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"the disk is full at {out / 'checkpoints'}: free some space"), message
    assert re.search(r"the write needs \d+\.\d MiB", message), message
    monkeypatch.undo()
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step_2.ckpt", "step_4.ckpt"]
    assert load(out / "checkpoints" / "step_4.ckpt")["global_step"] == 4
