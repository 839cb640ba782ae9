"""optim.grad_clip under 16-mixed: the global norm is clipped in true units, after the GradScaler's
loss scale is taken off the gradients, never on the scaled gradients (which it would always cut to
the limit, whatever their true size).

A CPU trainer makes no GradScaler of its own, so these tests hand Lightning's 16-mixed plugin a CPU
GradScaler: the same code path as 16-mixed on a GPU."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from lightning.pytorch.plugins.precision import MixedPrecision
from training_helpers import config_for

from novelview.objectives.base import clip_unscaled
from novelview.train import prepare

SCALE = 2.0 ** 12


def clip_norms_seen(monkeypatch) -> list[float]:
    """The total norms clip_grad_norm_ measures (before clipping), one per call."""
    seen, real = [], torch.nn.utils.clip_grad_norm_

    def recording(parameters, max_norm, *args, **kwargs):
        norm = real(parameters, max_norm, *args, **kwargs)
        seen.append(float(norm))
        return norm
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording)
    return seen


def one_step(data_dir, monkeypatch, scaler=None) -> float:
    torch.manual_seed(0)
    data, module = prepare(config_for("pose_encoder", "optim.grad_clip=0.001"), data_dir)
    plugins = [MixedPrecision("16-mixed", "cpu", scaler=scaler)] if scaler is not None else []
    trainer = L.Trainer(accelerator="cpu", devices=1, max_steps=1, plugins=plugins, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        limit_val_batches=0)
    seen = clip_norms_seen(monkeypatch)
    trainer.fit(module, datamodule=data)
    monkeypatch.undo()
    assert len(seen) == 1, seen
    return seen[0]


def test_16_mixed_clips_the_unscaled_gradients(tiny_dataset_64, monkeypatch):
    true_norm = one_step(tiny_dataset_64, monkeypatch)
    scaled_run = one_step(tiny_dataset_64, monkeypatch, torch.amp.GradScaler("cpu", init_scale=SCALE))
    # half-precision activations move the norm a little; the loss scale would multiply it by 4096
    assert scaled_run == pytest.approx(true_norm, rel=0.1)


@pytest.mark.parametrize("fused", [False, True])
def test_clip_unscaled_takes_the_scale_off_first_for_any_adam(fused):
    weights = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    optimizer = torch.optim.Adam([weights], lr=0.1, fused=fused)
    scaler = torch.amp.GradScaler("cpu", init_scale=SCALE)
    scaler.scale((weights * weights).sum() / 2).backward()  # true gradient (3, 4): norm 5
    if not fused:
        scaler.unscale_(optimizer)  # what Lightning's 16-mixed step does before the hook for these
    assert float(clip_unscaled(optimizer, [weights], 1.0, scaler)) == pytest.approx(5.0)
    assert torch.allclose(weights.grad, torch.tensor([0.6, 0.8]))
    scaler.step(optimizer)  # sees the gradients already unscaled: no second division, no error
    scaler.update()
    assert torch.allclose(weights.detach(), torch.tensor([2.9, 3.9]))
