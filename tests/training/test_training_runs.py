"""Training through Lightning: the loss falls, every family trains, exports and reloads, and the
original GAN's rules (G:D ratio, the skip rule) hold.

Runs are a few optimiser steps on the tiny data sets of ``tests/conftest.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from novelview.config.load import load_config
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError
from novelview.images import to_model_input
from novelview.models import build_model
from novelview.models.io import load_model
from novelview.models.pose_gan import Discriminator
from novelview.train import build_trainer, export_checkpoint, prepare, train

from training_helpers import (CONFIGS, QUICK, SMALL_FLOW, column, config_for, count_steps, fit,
                              mark_discriminator, metrics, val_l1, val_pairs)


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
    # Validation also reports the evaluation's masked luma SSIM (defined, in (0, 1]).
    ssim = column(metrics(out), "val/masked_ssim")
    assert ssim and all(0.0 < s <= 1.0 for s in ssim)
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
    ("depth_warp", "l1", ["train/depth_l1", "train/mask_bce", "train/warp_l1"]),
    ("flow_completion", "l1_ssim", ["train/coarse_l1", "train/ssim_loss"]),
    ("flow_completion", "adversarial", ["train/coarse_l1", "train/g_adv", "train/feature_matching",
                                        "train/d_real", "train/d_fake", "train/d_wrong_pose", "train/d_other_object"]),
]


def family_config(name: str, objective: str, *overrides: str) -> dict:
    extra = ["model.options.completion_width=0.5"] if name in ("flow_completion", "depth_warp") else []
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
