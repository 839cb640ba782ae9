"""Training through Lightning: the loss falls, the GAN's rules hold, checkpoints export and resume,
DDP on CPU works, and bad configs fail with one clear line.

Every run is a few optimiser steps on the 64x64 tiny data set (6 models, 2 of them for training).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from torch.optim.optimizer import register_optimizer_step_post_hook

from novelview import cli
from novelview.config import load_config
from novelview.data.pairs import PairDataset
from novelview.errors import NovelviewError
from novelview.models import MODELS, build_model
from novelview.models.io import load_model
from novelview.models.pose_gan import Discriminator
from novelview.train import PairDataModule, SynthesisModule, build_trainer, export_checkpoint, train

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
QUICK = ["data.batch_size=8", "trainer.log_every_n_steps=1", "trainer.accelerator=cpu", "trainer.devices=1"]


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


def mark_discriminator(module: SynthesisModule) -> None:
    for p in module.model.discriminator.parameters():
        p._is_disc = True


def val_l1(model, data_dir: Path, pairs: str) -> float:
    dataset = PairDataset(data_dir, "val", pairs)
    batch = torch.utils.data.default_collate([dataset[i] for i in range(len(dataset))])
    prediction = model.predict(batch["source"], batch["rotation_deg"])
    return float((prediction - batch["target"]).abs().mean())


# -- the loss falls --

@pytest.mark.parametrize("name,pairs", [("pose_encoder", "from_zero"), ("autoencoder", "fixed")])
def test_a_short_run_lowers_train_and_val_l1(name, pairs, tiny_dataset_64, tmp_path):
    config = config_for(name, "trainer.max_steps=20")
    out = tmp_path / "run"
    result = train(config, tiny_dataset_64, out)
    assert result["global_step"] == 20
    l1 = column(metrics(out), "train/l1_step")
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
    for path in ("config.yaml", "checkpoints/last.ckpt", "export/config.json", "export/model.safetensors",
                 "csv/metrics.csv", "tensorboard"):
        assert (out / path).exists(), path
    assert list((out / "samples").glob("step_*.png"))
    # The resolved config.yaml can be handed back as a config.
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["data_dir"] == str(Path(tiny_dataset_64).resolve())
    assert load_config(out / "config.yaml") == config


def test_an_exported_checkpoint_predicts_exactly_as_the_trained_module(tiny_dataset_64, tmp_path):
    config = config_for("pose_encoder", "trainer.max_steps=5")
    data = PairDataModule(tiny_dataset_64, config)
    module = SynthesisModule(config)
    trainer = build_trainer(config, tmp_path, data.val_set is not None)
    trainer.fit(module, datamodule=data)
    trainer.save_checkpoint(tmp_path / "now.ckpt")
    folder = export_checkpoint(tmp_path / "now.ckpt", tmp_path / "export")
    loaded = load_model(folder, expect="pose_encoder")
    assert json.loads((folder / "config.json").read_text())["trained"]["global_step"] == 5
    x = torch.utils.data.default_collate([data.val_set[i] for i in range(6)])["source"]
    for rotation in (10, 170, 350):
        assert torch.equal(loaded.predict(x, rotation), module.model.predict(x, rotation))
    with pytest.raises(NovelviewError, match="not found"):
        export_checkpoint(tmp_path / "missing.ckpt", tmp_path / "x")
    (tmp_path / "junk.ckpt").write_bytes(b"junk")
    with pytest.raises(NovelviewError, match="not a novelview training checkpoint"):
        export_checkpoint(tmp_path / "junk.ckpt", tmp_path / "x")


# -- the GAN --

def test_gan_trains_logs_and_exports_with_g_steps_per_d(tiny_dataset_64, tmp_path, monkeypatch):
    """Threshold 0 never skips D, so 12 optimiser steps are 10 G steps and 2 D steps (5 G per D)."""
    config = config_for("pose_gan", "trainer.max_steps=12", "gan.skip_threshold=0")
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
    assert len(column(rows, "train/l1_step")) == 10 and column(rows, "train/g_adv")
    # Real and generated images reach D on the [-1, 1] scale (the original fed it 0..255).
    assert seen
    assert all(-1.0 <= lo and hi <= 1.0 for lo, hi in seen), max(hi for _, hi in seen)
    assert min(lo for lo, _ in seen) < -0.5, "the real images' dark pixels should show up below 0"
    gan = load_model(result["export"], expect="pose_gan")
    x = torch.zeros(2, 3, 64, 64)
    assert gan.predict(x, 90).shape == (2, 3, 64, 64)


@pytest.mark.parametrize("g_steps_per_d", [1, 3])
def test_gan_update_ratio_follows_the_config(g_steps_per_d, tiny_dataset_64, tmp_path):
    config = config_for("pose_gan", "trainer.max_steps=8", "gan.skip_threshold=0", f"gan.g_steps_per_d={g_steps_per_d}")
    data = PairDataModule(tiny_dataset_64, config)
    module = SynthesisModule(config)
    mark_discriminator(module)
    trainer = build_trainer(config, tmp_path, data.val_set is not None)
    with count_steps() as steps:
        trainer.fit(module, datamodule=data)
    assert steps["G"] == int(module.gan_step)
    assert steps["D"] == -(-steps["G"] // g_steps_per_d)  # one D step at G steps 0, k, 2k, ...
    assert steps["G"] + steps["D"] == trainer.global_step == 8


@pytest.mark.parametrize("threshold,confident,d_changes", [
    (1e9, False, False),  # both losses below: always skipped
    (0.0, False, True),  # neither below: never skipped
    (0.2, True, True),  # D calls everything real: d_real ~ 0 but d_fake ~ 20, so D must still learn
])
def test_gan_skips_d_only_when_both_losses_are_below_the_threshold(threshold, confident, d_changes,
                                                                   tiny_dataset_64, tmp_path):
    config = config_for("pose_gan", "trainer.max_steps=7", f"gan.skip_threshold={threshold}",
                        "gan.g_steps_per_d=2")
    data = PairDataModule(tiny_dataset_64, config)
    module = SynthesisModule(config)
    mark_discriminator(module)
    if confident:
        head = module.model.discriminator.head[-1]
        with torch.no_grad():
            head.weight.zero_()
            head.bias.fill_(20.0)  # logit 20 for every image, whatever the input
    before = {k: v.clone() for k, v in module.model.discriminator.state_dict().items()}
    g_before = {k: v.clone() for k, v in module.model.generator.state_dict().items()}
    trainer = build_trainer(config, tmp_path, data.val_set is not None)
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
    data = PairDataModule(tiny_dataset_64, config)
    module = SynthesisModule(config)
    trainer = build_trainer(config, tmp_path, data.val_set is not None)
    trainer.fit(module, datamodule=data)
    trainer.save_checkpoint(tmp_path / "gan.ckpt")
    loaded = load_model(export_checkpoint(tmp_path / "gan.ckpt", tmp_path / "export"))
    for key, value in module.model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    assert torch.equal(loaded.predict(x, 200), module.model.predict(x, 200))


# -- resume --

def test_resume_continues_from_the_saved_step(tiny_dataset_64, tmp_path):
    out = tmp_path / "run"
    first = train(config_for("pose_encoder", "trainer.max_steps=6"), tiny_dataset_64, out)
    assert first["global_step"] == 6
    last = out / "checkpoints" / "last.ckpt"
    assert torch.load(last, map_location="cpu", weights_only=False)["global_step"] == 6
    with pytest.raises(NovelviewError, match="already holds a run.*--resume"):
        train(config_for("pose_encoder", "trainer.max_steps=10"), tiny_dataset_64, out)
    with count_steps() as steps:
        second = train(config_for("pose_encoder", "trainer.max_steps=10"), tiny_dataset_64, out, resume=True)
    assert second["global_step"] == 10
    assert steps["G"] == 4, "a resumed run only takes the remaining steps"
    assert torch.load(last, map_location="cpu", weights_only=False)["global_step"] == 10
    assert Path(second["export"], "model.safetensors").exists()


@pytest.mark.parametrize("name, stop, end", [("pose_encoder", 6, 12), ("pose_gan", 7, 14)])
def test_resume_mid_epoch_gives_the_same_weights_as_an_uninterrupted_run(tiny_dataset_64, tmp_path, name, stop, end):
    """8 batches an epoch here: stopping mid-pass and resuming must use the batches left of that
    pass, then the next pass, and (for the GAN's dropout and soft labels) the same random draws,
    exactly as a run that never stopped."""
    straight = train(config_for(name, f"trainer.max_steps={end}"), tiny_dataset_64, tmp_path / "a")
    train(config_for(name, f"trainer.max_steps={stop}"), tiny_dataset_64, tmp_path / "b")
    resumed = train(config_for(name, f"trainer.max_steps={end}"), tiny_dataset_64, tmp_path / "b", resume=True)
    assert straight["global_step"] == resumed["global_step"] == end
    a = torch.load(tmp_path / "a" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    b = torch.load(tmp_path / "b" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key


def test_resume_with_nothing_to_resume_raises(tiny_dataset_64, tmp_path):
    with pytest.raises(NovelviewError, match="nothing to resume"):
        train(config_for("pose_encoder", "trainer.max_steps=2"), tiny_dataset_64, tmp_path / "empty", resume=True)
    assert not (tmp_path / "empty" / "checkpoints").exists()


def test_training_on_a_folder_that_is_not_a_data_set_raises(tmp_path):
    with pytest.raises(NovelviewError, match="not a finished data set"):
        train(config_for("pose_encoder", "trainer.max_steps=2"), tmp_path / "nodata", tmp_path / "run")


# -- DDP on CPU --

def novelview_command() -> list[str]:
    script = Path(sys.executable).parent / "novelview"
    return [str(script)] if script.exists() else [sys.executable, "-m", "novelview.cli"]


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
    assert load_model(out / "export", expect="pose_encoder").predict(torch.zeros(1, 3, 64, 64), 10).shape == (1, 3, 64, 64)


# -- bad configs --

def test_config_defaults_extends_and_overrides(tmp_path):
    config = load_config(CONFIGS / "pose_gan.yaml", ["optim.lr=0.002", "model.options.disc_dropout=0.3"])
    assert config["model"]["name"] == "pose_gan" and config["optim"]["lr"] == 0.002
    assert config["model"]["options"] == {"disc_dropout": 0.3}
    assert config["data"]["batch_size"] == 36  # from the defaults
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {CONFIGS / 'autoencoder.yaml'}\noptim:\n  lr: 0.01\n")
    config = load_config(child)
    assert config["model"]["name"] == "autoencoder" and config["optim"]["lr"] == 0.01
    assert config["data"]["pairs"] == "fixed"


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
    ("model:\n  name: unet\n", [], "unknown model 'unet'.*autoencoder, pose_encoder, pose_gan"),
    (None, ["model.name=unet"], "unknown model 'unet'"),
    ("optim: [1, 2\n", [], "is not valid YAML"),
    ("- just\n- a list\n", [], "must be a mapping"),
    ("data: 5\n", [], "section 'data' must be a mapping"),
    ("model:\n  name: autoencoder\ndata:\n  pairs: from_zero\n", [], "autoencoder only learns \\+30 degree pairs"),
    (None, ["model.name=autoencoder"], "data.pairs=fixed"),
    (None, ["optim.lr"], "bad override 'optim.lr'"),
    (None, ["=3"], "bad override '=3'"),
    (None, ["optim.betas=[0.9,"], "bad override 'optim.betas=\\[0.9,': the value is not valid YAML"),
    (None, ["data.batch_size=0"], "data.batch_size must be"),
    (None, ["data.batch_size=many"], "data.batch_size must be"),
    (None, ["data.pairs=random"], "data.pairs is 'random'"),
]


@pytest.mark.parametrize("text,overrides,message", BAD_CONFIGS)
def test_bad_configs_raise_a_clear_error(text, overrides, message, tmp_path):
    path = CONFIGS / "pose_encoder.yaml" if text is None else write(tmp_path, text)
    with pytest.raises(NovelviewError, match=message):
        load_config(path, overrides)


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
    (["--config", "{auto}", "data.pairs=all"], "data.pairs=fixed"),
    (["--config", "{pose}", "optim.lr"], "bad override"),
    (["--config", "{pose}", "--resume"], "nothing to resume"),
]


@pytest.mark.parametrize("args,message", CLI_CASES)
def test_cli_prints_one_error_line_and_exits_2(args, message, monkeypatch, capsys, tmp_path):
    bad_yaml = write(tmp_path, "data: {batch_size: 3\n")
    paths = {"missing": tmp_path / "missing.yaml", "bad_yaml": bad_yaml, "pose": CONFIGS / "pose_encoder.yaml",
             "auto": CONFIGS / "autoencoder.yaml"}
    args = [a.format(**paths) for a in args]
    code, out, err = run_cli(monkeypatch, capsys, "train", *args, "--data", str(tmp_path / "nodata"),
                             "--out", str(tmp_path / "run"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in err and out == ""


def test_cli_missing_data_set_is_one_line(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "train", "--config", str(CONFIGS / "pose_encoder.yaml"),
                           "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "run"))
    assert code == 2 and err.startswith("error: ") and "not a finished data set" in err
    assert len(err.strip().splitlines()) == 1


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
    for path in sorted(CONFIGS.glob("**/*.yaml")):
        config = load_config(path)
        assert config["model"]["name"] in MODELS, path
