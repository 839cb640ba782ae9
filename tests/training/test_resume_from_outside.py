"""Resuming as a user does it: with the command `novelview doctor` prints for a run with checkpoints
and no export, and with DataLoader workers (data.num_workers > 0).

The printed command gives back config.yaml (the resolved config, every command-line option in it)
as --config, with the data set it recorded and --resume. A loader with workers asks its sampler for
an iterator twice and drops the first one, which must not use up the pass (or the place in it) that
a resumed run continues."""

from __future__ import annotations

import shlex
import shutil

import torch
from training_helpers import config_for, load

from novelview.train import train


def test_doctor_prints_the_command_that_resumes_an_unfinished_run(short_run, tmp_path, novelview):
    run = tmp_path / "run"
    shutil.copytree(short_run, run)
    shutil.rmtree(run / "export")  # as if stopped before exporting
    recorded = (run / "config.yaml").read_text()
    code, report, err = novelview("doctor", run)
    assert code == 0, report + err
    command = report.split("the run has not finished (no export/): `", 1)[1].split("`", 1)[0]
    assert "--resume" in command and f"--config {run / 'config.yaml'}" in command
    code, _, err = novelview(*shlex.split(command)[1:])
    assert code == 0, err
    assert (run / "config.yaml").read_text() == recorded  # the same config, options and data set
    assert (run / "export" / "model.safetensors").exists()
    code, report, _ = novelview("doctor", run)
    assert code == 0 and "has not finished" not in report


def test_resume_mid_pass_with_a_worker_gives_the_weights_of_an_uninterrupted_run(tiny_dataset_64, tmp_path):
    quick = ["data.num_workers=1", "trainer.val_check_interval=null"]
    train(config_for("pose_encoder", *quick, "trainer.max_steps=12"), tiny_dataset_64, tmp_path / "a")
    train(config_for("pose_encoder", *quick, "trainer.max_steps=6"), tiny_dataset_64, tmp_path / "b")
    train(config_for("pose_encoder", *quick, "trainer.max_steps=12"), tiny_dataset_64, tmp_path / "b", resume=True)
    a = load(tmp_path / "a" / "checkpoints" / "last.ckpt")
    b = load(tmp_path / "b" / "checkpoints" / "last.ckpt")
    assert a["global_step"] == b["global_step"] == 12
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
