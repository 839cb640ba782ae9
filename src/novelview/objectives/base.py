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
    """Base class: ``Options`` (a frozen dataclass of ``novelview.config.options.option`` fields;
    the objective reads them as the dict ``self.options``), ``needs`` (batch extras such as ``negatives``),
    ``configure_optimizers(model, optim)`` and ``training_step(ctx, model, batch) -> logs``."""

    objective_name = "base"
    Options = None  # the objective's options dataclass (an ``OPTIONS`` dict of defaults also works)
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
        scaler = grad_scaler(ctx)
        if clip and scaler is None:
            torch.nn.utils.clip_grad_norm_(list(parameters), clip, foreach=True)
        elif clip:
            # Under a GradScaler (16-mixed) the gradients are still multiplied by the loss scale here:
            # the clip waits for ``clip_pending``, which the step calls once they are unscaled.
            self._pending_clip = (list(parameters), clip, scaler)
        optimizer.step()
        if getattr(self, "_pending_clip", None) is not None:
            raise RuntimeError("the optimiser stepped without clipping: the Lightning module must call "
                               "objective.clip_pending(optimizer) in on_before_optimizer_step")
        as_list(ctx.lr_schedulers())[index].step()

    def clip_pending(self, optimizer) -> None:
        """Clip the gradients ``update`` left to clip, in their true units (called by the Lightning
        module's ``on_before_optimizer_step``)."""
        pending, self._pending_clip = getattr(self, "_pending_clip", None), None
        if pending is not None:
            parameters, clip, scaler = pending
            clip_unscaled(optimizer, parameters, clip, scaler)


def grad_scaler(ctx):
    """The GradScaler of the trainer running ``ctx`` (16-mixed on a GPU), or None."""
    plugin = getattr(getattr(ctx, "_trainer", None), "precision_plugin", None)
    return getattr(plugin, "scaler", None)


def clip_unscaled(optimizer, parameters, max_norm: float, scaler) -> torch.Tensor:
    """Clip the global gradient norm to ``max_norm`` in true units, before ``scaler.step``.

    Lightning's 16-mixed step unscales an optimiser's gradients before ``on_before_optimizer_step``,
    except for optimisers that unscale inside their own step (fused Adam, on a GPU): those are
    unscaled here, which their step then sees (the scaler passes them no scale)."""
    if scaler is not None and getattr(optimizer, "_step_supports_amp_scaling", False):
        scaler.unscale_(optimizer)
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm, foreach=True)
