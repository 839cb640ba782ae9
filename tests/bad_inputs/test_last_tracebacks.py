"""The tracebacks left by hardening finding 8, each now one line and exit 2 (the corrupt library
and the model configs are in test_real_assets.py and test_model_folders.py; the locks in
tests/training/test_run_folder_safety.py).

Before: ``generate --frames 1000000`` asked the allocator for 49 GB (RuntimeError); a binary file
as ``--config`` was a UnicodeDecodeError; ``--accelerator gpu`` without a GPU was Lightning's
MisconfigurationException; ``render --models 100000000`` of a procedural source listed 10^8
models for minutes and gigabytes.
"""

from __future__ import annotations

import time

import torch
from PIL import Image

from bad_input_helpers import assert_one_error


def test_a_turntable_of_a_million_frames_is_refused(novelview, tmp_path):
    Image.new("RGB", (64, 64), (200, 40, 40)).save(tmp_path / "in.png")
    code, _, err = novelview("generate", "--image", tmp_path / "in.png", "--turntable", "--frames", "1000000",
                             "--out", tmp_path / "g")
    assert_one_error(code, err, r"--frames 1000000 is more than a turntable takes: give at most 360")
    assert not (tmp_path / "g").exists()


def test_a_binary_file_as_config_is_named(novelview, tmp_path, finished_set):
    binary = tmp_path / "weights.yaml"
    binary.write_bytes(bytes(range(256)) * 8)
    code, _, err = novelview("train", "--config", binary, "--data", finished_set, "--out", tmp_path / "run")
    assert_one_error(code, err, r"config .*weights.yaml is not a text file \(not UTF-8\): give a YAML config")
    assert not (tmp_path / "run").exists()


def test_a_gpu_asked_for_on_a_machine_without_one(novelview, tmp_path, finished_set, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for name in ("gpu", "cuda"):
        code, _, err = novelview("train", "--config", "flow", "--data", finished_set, "--out", tmp_path / "run",
                                 "--accelerator", name, "--max-steps", "1")
        assert_one_error(code, err, rf"--accelerator {name}: this machine has no GPU .* --accelerator cpu")
    assert not (tmp_path / "run").exists()


def test_a_hundred_million_procedural_models_are_refused_at_once(novelview):
    started = time.perf_counter()
    code, _, err = novelview("render", "--source", "procedural:chair", "--models", "100000000", "--list")
    assert_one_error(code, err, r"--models 100000000 is more procedural models per category .* at most 99999")
    assert time.perf_counter() - started < 10
    code, out, err = novelview("render", "--source", "procedural:chair", "--models", "99999", "--list")
    assert code == 0 and out.strip().endswith("99999 models in 1 categories: chair 99999"), err


def test_a_run_still_training_is_named_before_its_checkpoints_are_judged(novelview, tmp_path, finished_set):
    """Before: ``--resume`` of a run in its first steps said "nothing to resume", and a second train
    into a run writing its checkpoints said it "already holds a trained run" (pass --overwrite)."""
    from novelview.data.files import folder_lock

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    for extra in (["--resume"], []):
        with folder_lock(run, "training run"):
            code, _, err = novelview("train", "--config", "flow", "--data", finished_set, "--out", run, *extra)
        assert_one_error(code, err, r"another training run is writing here \(.*run\): wait for it to finish")
        (run / "checkpoints" / "last.ckpt").write_bytes(b"half written")
    assert sorted(p.name for p in run.rglob("*")) == ["checkpoints", "last.ckpt"]
