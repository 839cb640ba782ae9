"""Training through Lightning: the loss falls, every family trains and exports, the GAN's rules
hold, checkpoints export, load safely and resume exactly, signals stop cleanly, DDP on CPU works,
and bad configs or data that do not fit the model fail with one clear line before anything is written.

Runs are a few optimiser steps on the tiny data sets of ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch.optim.optimizer import register_optimizer_step_post_hook

from novelview import cli
from novelview.config import load_config
from novelview.data.pairs import PairTable
from novelview.data.store import ViewStore
from novelview.errors import NovelviewError
from novelview.images import to_model_input
from novelview.models import MODELS, build_model
from novelview.models.io import load_model
from novelview.models.pose_gan import Discriminator
from novelview.train import build_trainer, export_checkpoint, prepare, train
from novelview.training.safety import load_checkpoint_safely

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
QUICK = ["data.batch_size=8", "trainer.log_every_n_steps=1", "trainer.accelerator=cpu", "trainer.devices=1",
         "trainer.threads=1"]
# The flow families at a small width, on the 32x32 jittered set (validation at epoch ends only).
SMALL_FLOW = ["data.batch_size=4", "model.options.width=0.5", "trainer.val_check_interval=null"]


def config_for(name: str, *overrides: str) -> dict:
    return load_config(CONFIGS / f"{name}.yaml", [*QUICK, *overrides])


def metrics(run: Path) -> list[dict]:
    with open(run / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def column(rows: list[dict], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key) not in (None, "")]


@contextlib.contextmanager
def count_steps():
    """Counts optimizer.step() calls, by which parameters the optimiser holds ('D' or 'G')."""
    counts = {"D": 0, "G": 0}

    def hook(optimizer, args, kwargs):
        first = optimizer.param_groups[0]["params"][0]
        counts["D" if getattr(first, "_is_disc", False) else "G"] += 1

    handle = register_optimizer_step_post_hook(hook)
    try:
        yield counts
    finally:
        handle.remove()


def mark_discriminator(module) -> None:
    for p in module.model.discriminator.parameters():
        p._is_disc = True


def fit(config: dict, data_dir: Path, out: Path):
    """prepare + build_trainer + fit, as ``train`` does, but handing back the trained module."""
    data, module = prepare(config, data_dir)
    trainer = build_trainer(config, out, data.val_table is not None)
    trainer.fit(module, datamodule=data)
    return data, module, trainer


def val_pairs(data_dir: Path, pairs: str, split: str = "val"):
    """The split's pairs and their source and target images, read straight from views.npy."""
    store = ViewStore(data_dir)
    chosen = PairTable(store, split, pairs).all()
    flat = np.asarray(store.views).reshape(-1, *store.views.shape[3:])
    return chosen, to_model_input(flat[chosen.source_view]), to_model_input(flat[chosen.target_view])


def val_l1(model, data_dir: Path, pairs: str) -> float:
    chosen, source, target = val_pairs(data_dir, pairs)
    prediction = model.predict(source, torch.from_numpy(chosen.rotation_deg))
    return float((prediction - target).abs().mean())


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


# -- the loss falls --

@pytest.mark.parametrize("name,pairs", [("pose_encoder", "from_zero"), ("autoencoder", "fixed")])
def test_a_short_run_lowers_train_and_val_l1(name, pairs, tiny_dataset_64, tmp_path):
    config = config_for(name, "trainer.max_steps=20")
    out = tmp_path / "run"
    result = train(config, tiny_dataset_64, out)
    assert result["global_step"] == 20
    l1 = column(metrics(out), "train/l1")
    assert len(l1) == 20
    start, end = sum(l1[:3]) / 3, sum(l1[-3:]) / 3
    assert end < 0.8 * start, f"train L1 went from {start:.3f} to {end:.3f}"
    # The exported model beats an untrained one on the held-out models.
    exported = load_model(result["export"], expect=name)
    torch.manual_seed(0)
    fresh = build_model(name)
    before, after = val_l1(fresh, tiny_dataset_64, pairs), val_l1(exported, tiny_dataset_64, pairs)
    assert after < before - 0.1, f"val L1 {before:.3f} -> {after:.3f}"
    assert result["val_l1"] is not None and abs(result["val_l1"] - after) < 0.05
    # The run folder holds what the docs promise.
    for path in ("config.yaml", "checkpoints/last.ckpt", "checkpoints/best.ckpt", "export/config.json",
                 "export/model.safetensors", "csv/metrics.csv", "tensorboard"):
        assert (out / path).exists(), path
    assert list((out / "samples").glob("step_*.png"))
    assert not list(out.glob("checkpoints/.*.tmp")), "an atomic write leaves no temporary file behind"
    # The export says how it was trained.
    trained = json.loads((out / "export" / "config.json").read_text())["trained"]
    assert trained["pairs"] == pairs and trained["objective"] == "l1" and trained["elevations"] == "same"
    # The resolved config.yaml can be handed back as a config.
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["data_dir"] == str(Path(tiny_dataset_64).resolve())
    assert load_config(out / "config.yaml") == config


def test_the_data_set_fills_in_the_model_geometry(tiny_dataset, tiny_jittered):
    _, module = prepare(config_for("pose_encoder"), tiny_dataset)
    assert module.model.image_size == 32 and module.model.pose.num_rotations == 36
    assert module.hparams["model_options"]["image_size"] == 32
    config = load_config(CONFIGS / "flow.yaml", [*QUICK, *SMALL_FLOW])
    _, module = prepare(config, tiny_jittered)
    assert module.model.image_size == 32 and module.model.pose.elevation_range == (0.0, 20.0)
    assert module.model.supported_rotations() is None


def test_an_exported_checkpoint_predicts_exactly_as_the_trained_module(tiny_dataset_64, tmp_path):
    config = config_for("pose_encoder", "trainer.max_steps=5")
    data, module, trainer = fit(config, tiny_dataset_64, tmp_path)
    trainer.save_checkpoint(tmp_path / "now.ckpt")
    folder = export_checkpoint(tmp_path / "now.ckpt", tmp_path / "export")
    loaded = load_model(folder, expect="pose_encoder")
    assert json.loads((folder / "config.json").read_text())["trained"]["global_step"] == 5
    _, x, _ = val_pairs(tiny_dataset_64, "from_zero")
    for rotation in (10, 170, 350):
        assert torch.equal(loaded.predict(x[:6], rotation), module.model.predict(x[:6], rotation))


def test_export_refuses_missing_damaged_and_foreign_files(tmp_path):
    with pytest.raises(NovelviewError, match="not found"):
        export_checkpoint(tmp_path / "missing.ckpt", tmp_path / "x")
    (tmp_path / "empty.ckpt").write_bytes(b"")
    with pytest.raises(NovelviewError, match="is empty \\(0 bytes"):
        export_checkpoint(tmp_path / "empty.ckpt", tmp_path / "x")
    (tmp_path / "junk.ckpt").write_bytes(b"junk")
    with pytest.raises(NovelviewError, match="is damaged or not a checkpoint"):
        export_checkpoint(tmp_path / "junk.ckpt", tmp_path / "x")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.ckpt")
    with pytest.raises(NovelviewError, match="not a novelview training checkpoint"):
        export_checkpoint(tmp_path / "foreign.ckpt", tmp_path / "x")
    assert not (tmp_path / "x").exists()


# -- every family --

FAMILIES = [
    ("flow", "l1", ["train/mask_bce"]),
    ("flow_visibility", "l1", ["train/mask_bce", "train/visibility_bce", "train/warp_l1"]),
    ("flow_completion", "l1", ["train/coarse_l1", "train/visibility_bce"]),
    ("flow_completion", "adversarial", ["train/coarse_l1", "train/g_adv", "train/feature_matching",
                                        "train/d_real", "train/d_fake", "train/d_wrong_pose", "train/d_other_object"]),
]


def family_config(name: str, objective: str, *overrides: str) -> dict:
    extra = ["model.options.completion_width=0.5"] if name == "flow_completion" else []
    if objective == "adversarial":
        extra.append("objective.options.width=0.25")
    return load_config(CONFIGS / f"{name}.yaml", [*QUICK, *SMALL_FLOW, *extra, f"objective.name={objective}",
                                                  *overrides])


@pytest.mark.parametrize("name,objective,terms", FAMILIES)
def test_each_family_trains_exports_reloads_and_predicts_the_same(name, objective, terms, tiny_jittered, tmp_path):
    steps = 6 if objective == "adversarial" else 3  # Lightning counts G and D steps alike: 3 batches either way
    config = family_config(name, objective, f"trainer.max_steps={steps}")
    data, module = prepare(config, tiny_jittered)
    initial = {k: v.clone() for k, v in module.model.state_dict().items()}
    trainer = build_trainer(config, tmp_path, data.val_table is not None)
    trainer.fit(module, datamodule=data)
    assert trainer.global_step == steps
    assert any(not torch.equal(initial[k], v) for k, v in module.model.state_dict().items()), "nothing learnt"
    rows = metrics(tmp_path)
    assert len(column(rows, "train/l1")) == 3 and all(np.isfinite(column(rows, "train/l1")))
    for term in terms:
        assert column(rows, term) and all(np.isfinite(column(rows, term))), term
    trainer.save_checkpoint(tmp_path / "now.ckpt")
    folder = export_checkpoint(tmp_path / "now.ckpt", tmp_path / "export")
    loaded = load_model(folder, expect=name)
    assert json.loads((folder / "config.json").read_text())["trained"]["objective"] == objective
    assert not any(k.startswith("objective.") or "discriminator" in k for k in loaded.state_dict())
    x = to_model_input(np.asarray(ViewStore(tiny_jittered).views[:2, 0, 0]))
    for azimuth, elevation, source_elevation in ((45.0, 0.0, 0.0), (123.5, 20.0, 0.0), (300.0, 5.0, 20.0)):
        expected = module.model.predict(x, azimuth, elevation, source_elevation)
        assert torch.equal(loaded.predict(x, azimuth, elevation, source_elevation), expected)


def test_the_adversarial_objective_works_for_a_one_hot_generator_too(tiny_dataset, tmp_path):
    config = config_for("pose_encoder", "objective.name=adversarial", "trainer.max_steps=4", "data.batch_size=4",
                        "objective.options.width=0.25")
    _, module, trainer = fit(config, tiny_dataset, tmp_path)
    assert trainer.global_step == 4 and column(metrics(tmp_path), "train/d_wrong_pose")


# -- the original GAN (objective original_gan) --

def test_gan_trains_logs_and_exports_with_g_steps_per_d(tiny_dataset_64, tmp_path):
    """Threshold 0 never skips D, so 12 optimiser steps are 10 G steps and 2 D steps (5 G per D)."""
    config = config_for("pose_gan", "trainer.max_steps=12", "objective.options.skip_threshold=0")
    seen = []  # (min, max) of every discriminator input
    marked = []

    def on_forward(module, args):
        if isinstance(module, Discriminator):
            seen.append((float(args[0].detach().min()), float(args[0].detach().max())))
            if not marked:
                for p in module.parameters():
                    p._is_disc = True
                marked.append(True)

    handle = torch.nn.modules.module.register_module_forward_pre_hook(on_forward)
    try:
        with count_steps() as steps:
            result = train(config, tiny_dataset_64, tmp_path / "gan")
    finally:
        handle.remove()
    assert steps == {"G": 10, "D": 2}
    assert result["global_step"] == 12  # Lightning counts both optimisers' steps
    rows = metrics(tmp_path / "gan")
    assert column(rows, "train/d_skipped") == [0.0, 0.0]
    assert len(column(rows, "train/d_real")) == 2 and len(column(rows, "train/d_fake")) == 2
    assert len(column(rows, "train/l1")) == 10 and column(rows, "train/g_adv")
    # Real and generated images reach D on the [-1, 1] scale (the original fed it 0..255).
    assert seen
    assert all(-1.0 <= lo and hi <= 1.0 for lo, hi in seen), max(hi for _, hi in seen)
    assert min(lo for lo, _ in seen) < -0.5, "the real images' dark pixels should show up below 0"
    gan = load_model(result["export"], expect="pose_gan")
    assert gan.predict(torch.zeros(2, 3, 64, 64), 90).shape == (2, 3, 64, 64)


@pytest.mark.parametrize("g_steps_per_d", [1, 3])
def test_gan_update_ratio_follows_the_config(g_steps_per_d, tiny_dataset_64, tmp_path):
    config = config_for("pose_gan", "trainer.max_steps=8", "objective.options.skip_threshold=0",
                        f"objective.options.g_steps_per_d={g_steps_per_d}")
    data, module = prepare(config, tiny_dataset_64)
    mark_discriminator(module)
    trainer = build_trainer(config, tmp_path, data.val_table is not None)
    with count_steps() as steps:
        trainer.fit(module, datamodule=data)
    assert steps["G"] == int(module.objective.generator_steps)
    assert steps["D"] == -(-steps["G"] // g_steps_per_d)  # one D step at G steps 0, k, 2k, ...
    assert steps["G"] + steps["D"] == trainer.global_step == 8


@pytest.mark.parametrize("threshold,confident,d_changes", [
    (1e9, False, False),  # both losses below: always skipped
    (0.0, False, True),  # neither below: never skipped
    (0.2, True, True),  # D calls everything real: d_real ~ 0 but d_fake ~ 20, so D must still learn
])
def test_gan_skips_d_only_when_both_losses_are_below_the_threshold(threshold, confident, d_changes,
                                                                   tiny_dataset_64, tmp_path):
    config = config_for("pose_gan", "trainer.max_steps=7", f"objective.options.skip_threshold={threshold}",
                        "objective.options.g_steps_per_d=2")
    data, module = prepare(config, tiny_dataset_64)
    mark_discriminator(module)
    if confident:
        head = module.model.discriminator.head[-1]
        with torch.no_grad():
            head.weight.zero_()
            head.bias.fill_(20.0)  # logit 20 for every image, whatever the input
    before = {k: v.clone() for k, v in module.model.discriminator.state_dict().items()}
    g_before = {k: v.clone() for k, v in module.model.generator.state_dict().items()}
    trainer = build_trainer(config, tmp_path, data.val_table is not None)
    with count_steps() as steps:
        trainer.fit(module, datamodule=data)
    after = module.model.discriminator.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert bool(changed) == d_changes
    assert (steps["D"] > 0) == d_changes
    skipped = column(metrics(tmp_path), "train/d_skipped")
    assert skipped and set(skipped) == {0.0 if d_changes else 1.0}
    # The generator learns either way.
    g_after = module.model.generator.state_dict()
    assert any(not torch.equal(g_before[k], g_after[k]) for k in g_before)


def test_gan_checkpoint_exports_the_generator_and_discriminator_exactly(tiny_dataset_64, tmp_path):
    config = config_for("pose_gan", "trainer.max_steps=4")
    _, module, trainer = fit(config, tiny_dataset_64, tmp_path)
    trainer.save_checkpoint(tmp_path / "gan.ckpt")
    loaded = load_model(export_checkpoint(tmp_path / "gan.ckpt", tmp_path / "export"))
    for key, value in module.model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    assert torch.equal(loaded.predict(x, 200), module.model.predict(x, 200))


# -- resume --

def test_resume_continues_from_the_saved_step_and_appends_to_the_log(tiny_dataset_64, tmp_path):
    out = tmp_path / "run"
    first = train(config_for("pose_encoder", "trainer.max_steps=6"), tiny_dataset_64, out)
    assert first["global_step"] == 6
    last = out / "checkpoints" / "last.ckpt"
    assert load(last)["global_step"] == 6
    before = metrics(out)
    assert len(column(before, "train/l1")) == 6
    with pytest.raises(NovelviewError, match="already holds a run.*--resume"):
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


@pytest.fixture(scope="module")
def short_run(tiny_dataset_64, tmp_path_factory):
    """A finished 3-step pose encoder run folder (treat as read-only)."""
    out = tmp_path_factory.mktemp("short") / "run"
    train(config_for("pose_encoder", "trainer.max_steps=3"), tiny_dataset_64, out)
    return out


def test_a_planted_payload_is_live_when_unpickled_unsafely(short_run, tmp_path):
    """The control for the two tests below: the payload really does run when pickle is trusted."""
    marker = tmp_path / "ran"
    planted = plant(short_run / "checkpoints" / "last.ckpt", marker, tmp_path / "planted.ckpt")
    torch.load(planted, map_location="cpu", weights_only=False)
    assert marker.exists()


def test_export_refuses_a_checkpoint_with_a_planted_payload(short_run, monkeypatch, capsys, tmp_path):
    marker = tmp_path / "pwned"
    planted = plant(short_run / "checkpoints" / "last.ckpt", marker, tmp_path / "planted.ckpt")
    code, out, err = run_cli(monkeypatch, capsys, "export", "--checkpoint", str(planted), "--out",
                             str(tmp_path / "export"))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "holds objects other than tensors and numbers" in lines[0] and "refuses it" in lines[0], err
    assert not marker.exists(), "loading the checkpoint ran its payload"
    assert not (tmp_path / "export").exists()


def test_resume_refuses_a_checkpoint_with_a_planted_payload(short_run, tiny_dataset_64, monkeypatch, capsys,
                                                            tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(short_run, out)
    marker = tmp_path / "pwned"
    plant(short_run / "checkpoints" / "last.ckpt", marker, out / "checkpoints" / "last.ckpt")
    log = (out / "csv" / "metrics.csv").read_text()
    code, _, err = run_cli(monkeypatch, capsys, "train", "--config", str(CONFIGS / "pose_encoder.yaml"),
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

def novelview_command() -> list[str]:
    script = Path(sys.executable).parent / "novelview"
    return [str(script)] if script.exists() else [sys.executable, "-m", "novelview.cli"]


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


# -- bad configs --

def test_config_defaults_extends_and_overrides(tmp_path):
    config = load_config(CONFIGS / "pose_gan.yaml", ["optim.lr=0.002", "model.options.disc_dropout=0.3",
                                                      "objective.options.beta=0.5"])
    assert config["model"]["name"] == "pose_gan" and config["optim"]["lr"] == 0.002
    assert config["model"]["options"] == {"disc_dropout": 0.3}
    assert config["objective"]["name"] == "original_gan" and config["objective"]["options"]["beta"] == 0.5
    assert config["objective"]["options"]["g_steps_per_d"] == 5  # from the file
    assert config["data"]["batch_size"] == 36  # from the defaults
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {CONFIGS / 'autoencoder.yaml'}\noptim:\n  lr: 0.01\n")
    config = load_config(child)
    assert config["model"]["name"] == "autoencoder" and config["optim"]["lr"] == 0.01
    assert config["data"]["pairs"] == "fixed" and config["objective"]["name"] == "l1"
    gan = load_config(CONFIGS / "flow_completion_gan.yaml")  # two levels of extends
    assert gan["model"]["name"] == "flow_completion" and gan["objective"]["name"] == "adversarial"
    assert gan["data"]["elevations"] == "any" and gan["model"]["options"]["completion_width"] == 1.5


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


BAD_CONFIGS = [
    # (file text or None for the pose encoder's, overrides, message)
    ("nonsense:\n  a: 1\n", [], "unknown config section 'nonsense'"),
    ("optim:\n  learning_rate: 0.1\n", [], "unknown key 'learning_rate' in section 'optim'"),
    (None, ["optim.learnig_rate=0.1"], "unknown config key 'optim.learnig_rate'"),
    (None, ["optimizer.lr=0.1"], "unknown config key 'optimizer.lr'"),
    (None, ["model.nme=unet"], "unknown config key 'model.nme'"),
    ("model:\n  name: unet\n", [], "unknown model 'unet'.*autoencoder, flow, .*pose_encoder, pose_gan"),
    (None, ["model.name=unet"], "unknown model 'unet'"),
    (None, ["model.options=3"], "model.options must be a mapping"),
    ("optim: [1, 2\n", [], "is not valid YAML"),
    ("- just\n- a list\n", [], "must be a mapping"),
    ("data: 5\n", [], "section 'data' must be a mapping"),
    (None, ["optim.lr"], "bad override 'optim.lr'"),
    (None, ["=3"], "bad override '=3'"),
    (None, ["optim.betas=[0.9,"], "bad override 'optim.betas=\\[0.9,': the value is not valid YAML"),
    (None, ["data.batch_size=0"], "data.batch_size must be"),
    (None, ["data.batch_size=many"], "data.batch_size must be"),
    (None, ["data.pairs=random"], "data.pairs is 'random'"),
    (None, ["data.elevations=above"], "data.elevations must be same or any, not 'above'"),
    (None, ["data.device=gpu"], "data.device must be auto, accelerator or host"),
    (None, ["optim.betas=[0.9]"], "optim.betas must be two numbers"),
    (None, ["trainer.channels_last=maybe"], "trainer.channels_last must be true or false, not 'maybe'"),
    (None, ["trainer.max_time=5min"], "trainer.max_time must be null or DD:HH:MM:SS"),
    (None, ["trainer.steps_per_fetch=0"], "trainer.steps_per_fetch must be a whole number of at least 1"),
    (None, ["trainer.precision=8-true"], "trainer.precision must be one of"),
    # The old `gan:` section is now the objective's options.
    (None, ["gan.skip_threshold=0"], "unknown config key 'gan.skip_threshold': no section 'gan'"),
    (None, ["objective.name=wgan"], "unknown objective 'wgan'.*adversarial, l1, original_gan"),
    (None, ["objective.options.lr_g=1"], "unknown option 'lr_g' for objective 'l1': known are l1_weight"),
    ("model:\n  name: pose_gan\nobjective:\n  name: original_gan\n  options:\n    g_steps_per_d: 2.5\n", [],
     "objective.options.g_steps_per_d must be a number, not 2.5"),
    ("model:\n  name: pose_gan\nobjective:\n  name: original_gan\n", ["objective.options.real_label_range=[0.8]"],
     "objective.options.real_label_range must be a list of 2 numbers"),
    ("model:\n  name: pose_gan\nobjective:\n  name: original_gan\n", ["objective.options.feature_matching=1"],
     "objective.options.feature_matching must be true or false"),
]


@pytest.mark.parametrize("text,overrides,message", BAD_CONFIGS)
def test_bad_configs_raise_a_clear_error(text, overrides, message, tmp_path):
    path = CONFIGS / "pose_encoder.yaml" if text is None else write(tmp_path, text)
    with pytest.raises(NovelviewError, match=message) as info:
        load_config(path, overrides)
    assert "\n" not in str(info.value)


def test_configs_built_in_code_are_checked_too(tiny_dataset_64, tmp_path):
    config = config_for("pose_encoder")
    config["trainer"]["channels_last"] = "yes"
    with pytest.raises(NovelviewError, match="trainer.channels_last must be true or false"):
        train(config, tiny_dataset_64, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_missing_config_file_and_extends_cycle(tmp_path):
    with pytest.raises(NovelviewError, match="config file .*nope.yaml not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(NovelviewError, match="nests too deep"):
        load_config(tmp_path / "a.yaml")


def run_cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["novelview", *args])
    with pytest.raises(SystemExit) as info:
        cli.main()
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


CLI_CASES = [
    (["--config", "{missing}"], "config file .* not found"),
    (["--config", "{bad_yaml}"], "is not valid YAML"),
    (["--config", "{pose}", "nonsense.key=1"], "unknown config key 'nonsense.key'"),
    (["--config", "{pose}", "model.name=unet"], "unknown model 'unet'"),
    (["--config", "{pose}", "objective.name=wgan"], "unknown objective 'wgan'"),
    (["--config", "{pose}", "optim.lr"], "bad override"),
    (["--config", "{pose}", "--resume"], "nothing to resume"),
]


@pytest.mark.parametrize("args,message", CLI_CASES)
def test_cli_prints_one_error_line_and_exits_2(args, message, monkeypatch, capsys, tmp_path):
    bad_yaml = write(tmp_path, "data: {batch_size: 3\n")
    paths = {"missing": tmp_path / "missing.yaml", "bad_yaml": bad_yaml, "pose": CONFIGS / "pose_encoder.yaml"}
    args = [a.format(**paths) for a in args]
    code, out, err = run_cli(monkeypatch, capsys, "train", *args, "--data", str(tmp_path / "nodata"),
                             "--out", str(tmp_path / "run"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "run").exists()


def test_cli_missing_data_set_is_one_line(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "train", "--config", str(CONFIGS / "pose_encoder.yaml"),
                           "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "run"))
    assert code == 2 and err.startswith("error: ") and "not a finished data set" in err
    assert len(err.strip().splitlines()) == 1


# -- data that does not fit the model: one line naming both sides, nothing written --

MISMATCHES = [
    # (config, data fixture, overrides, what the line must say: the model's side ... the data's side)
    ("pose_encoder", "tiny_dataset", ["model.options.image_size=64"],
     r"model.options.image_size is 64 but the data set has 32"),
    ("pose_encoder", "tiny_dataset", ["model.options.num_rotations=72"],
     r"model.options.num_rotations is 72 but the data set has 36"),
    ("flow", "tiny_jittered", ["model.options.pose=onehot", *SMALL_FLOW],
     r"flow with a one-hot pose takes rotations on an azimuth grid, but the data set was rendered with "
     r"--azimuth-jitter"),
    ("pose_encoder", "tiny_jittered", [], r"pose_encoder with a one-hot pose .*--azimuth-jitter"),
    ("autoencoder", "tiny_dataset", ["data.pairs=all"],
     r"the training pairs \(all pairs, .*; 32x32 images, 36 azimuths, elevation 0\) ask for poses the model "
     r"cannot take: autoencoder cannot draw that view: it rotates by 30 degrees only, not by 10"),
    ("autoencoder", "tiny_dataset", ["data.fixed_step=5"], r"fixed pairs.*autoencoder .*30 degrees only, not by 50"),
    ("pose_encoder", "tiny_jittered", ["model.options.pose=continuous", "data.elevations=any",
                                       "model.options.elevation_range=[0, 10]"],
     r"model.options.elevation_range is \[0, 10\] but the data set has \[0.0, 20.0\]"),
    ("pose_encoder", "tiny_dataset", ["objective.name=original_gan"],
     r"the original_gan objective trains a model that holds its discriminator \(pose_gan\), not pose_encoder"),
    ("pose_encoder", "tiny_dataset_64", ["data.batch_size=100"],
     r"offers 70 training pairs \(from_zero pairs.*\), fewer than one loader item \(data.batch_size=100"),
    ("pose_encoder", "tiny_dataset_64", ["trainer.steps_per_fetch=10"],
     r"offers 70 training pairs .* x trainer.steps_per_fetch=10\)"),
]


@pytest.mark.parametrize("name,data_fixture,overrides,message", MISMATCHES)
def test_data_that_does_not_fit_the_model_stops_before_anything_is_written(name, data_fixture, overrides, message,
                                                                           request, monkeypatch, capsys, tmp_path):
    data_dir = request.getfixturevalue(data_fixture)
    code, out, err = run_cli(monkeypatch, capsys, "train", "--config", str(CONFIGS / f"{name}.yaml"),
                             "--data", str(data_dir), "--out", str(tmp_path / "run"), "--threads", "1",
                             "--accelerator", "cpu", "--max-steps", "2", *overrides)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "run").exists(), "nothing may be written before the data is checked"


def test_console_script_exits_2_on_a_bad_config(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*novelview_command(), "train", "--config", str(CONFIGS / "pose_encoder.yaml"),
                           "--data", str(tmp_path), "--out", str(tmp_path / "run"), "optim.lrr=1"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: unknown config key 'optim.lrr': known keys here are betas, decay_rate, decay_steps, grad_clip, lr"
    ]


def test_shipped_configs_load():
    paths = sorted(CONFIGS.glob("**/*.yaml"))
    assert {"flow.yaml", "flow_visibility.yaml", "flow_completion.yaml", "flow_completion_gan.yaml"} <= {
        p.name for p in paths}
    for path in paths:
        config = load_config(path)
        assert config["model"]["name"] in MODELS, path


def test_model_init_starts_from_an_exports_weights(short_run, tiny_dataset_64, tmp_path):
    """Fine-tuning: ``model.init`` copies an export's weights before the first step; another family
    or other options are refused in one line."""
    export = short_run / "export"
    _, module = prepare(config_for("pose_encoder", f"model.init={export}"), tiny_dataset_64)
    trained = load_model(export).state_dict()
    assert all(torch.equal(value, trained[key]) for key, value in module.model.state_dict().items())
    _, fresh = prepare(config_for("pose_encoder"), tiny_dataset_64)
    assert not all(torch.equal(value, trained[key]) for key, value in fresh.model.state_dict().items())
    with pytest.raises(NovelviewError, match="holds a pose_encoder model, but model.name is autoencoder"):
        prepare(config_for("autoencoder", f"model.init={export}"), tiny_dataset_64)
    with pytest.raises(NovelviewError, match="does not fit model.options"):
        prepare(config_for("pose_encoder", f"model.init={export}", "model.options.encoder_channels=[8,8,8,8]",
                           "model.options.decoder_channels=[8,8,8]"), tiny_dataset_64)
