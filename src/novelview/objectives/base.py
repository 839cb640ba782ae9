"""What every objective shares: optimisers with the original's step decay, and one update step.

``ctx`` below is the Lightning module that runs the objective: it provides ``optimizers()``,
``lr_schedulers()``, ``manual_backward(loss)`` and ``run_model(batch)`` (the model's named
outputs for a batch, with the pose encoded by the model's own encoding).
"""

from __future__ import annotations

import torch
from torch import nn


def adam(parameters, lr: float, betas) -> torch.optim.Adam:
    parameters = [p for p in parameters if p.requires_grad]
    # The fused kernel does the whole update in a few launches on a GPU; the CPU keeps the default.
    fused = bool(parameters) and parameters[0].is_cuda
    return torch.optim.Adam(parameters, lr=lr, betas=tuple(betas), fused=fused or None)


def step_decay(optimizer, optim: dict) -> torch.optim.lr_scheduler.LambdaLR:
    """lr * decay_rate ** (step / decay_steps), as the original (0.96 per 1000 steps)."""
    rate, steps = optim["decay_rate"], optim["decay_steps"]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: rate ** (step / steps))


def as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Objective(nn.Module):
    """Base class: ``OPTIONS`` (typed defaults), ``needs`` (batch extras such as ``negatives``),
    ``configure_optimizers(model, optim)`` and ``training_step(ctx, model, batch) -> logs``."""

    objective_name = "base"
    OPTIONS: dict = {}
    needs: frozenset = frozenset()
    # The validation metric that picks the best checkpoint (what is exported), and its direction;
    # an objective that optimises something else may name another logged val/ metric.
    MONITOR: tuple[str, str] = ("val/l1", "min")
    # The training log averaged over each epoch (train/<key>_epoch), when the step's logs have it.
    PROGRESS = "l1"

    def __init__(self, model, options: dict, optim: dict):
        super().__init__()
        self.options, self.optim = options, optim

    def configure_optimizers(self, model) -> tuple[list, list]:  # pragma: no cover
        raise NotImplementedError

    def training_step(self, ctx, model, batch: dict) -> dict:  # pragma: no cover
        raise NotImplementedError

    def update(self, ctx, index: int, loss: torch.Tensor, parameters=None, clip: float | None = None) -> None:
        """Zero, backward, clip (global norm), step the optimiser ``index`` and its schedule."""
        optimizer = as_list(ctx.optimizers())[index]
        optimizer.zero_grad(set_to_none=True)
        ctx.manual_backward(loss)
        if clip:
            torch.nn.utils.clip_grad_norm_(list(parameters), clip, foreach=True)
        optimizer.step()
        as_list(ctx.lr_schedulers())[index].step()
