"""The metric registry: each per-pair metric is a decorated function with its metadata.

``@metric(name, label, fmt, higher_is_better, needs_mask=False)`` registers
``fn(pred, target, target_alpha) -> (N,)`` (images on [-1, 1], alpha on [0, 1]); evaluation, the
report and the figures read names, labels, formats and directions from here. Adding a metric is
adding a decorated function in a module imported by ``novelview.metrics``. Metrics of kind
``gallery`` compare an output with many true views instead of one target; evaluation computes
them (``novelview.metrics.accuracy``), ``compute_all`` leaves them out.

Aggregation (``aggregate`` / ``finite_mean``): the mean over the images whose value is finite;
NaN (empty masks) and +inf (PSNR of a perfect prediction) are left out, and how many were left
out is reported beside the mean, so a perfect prediction never turns a PSNR mean into inf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable
    label: str
    fmt: str
    higher_is_better: bool
    needs_mask: bool = False
    kind: str = "pair"  # pair: fn(pred, target, alpha); gallery: see novelview.metrics.accuracy

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0]

    def format(self, value) -> str:
        try:
            return self.fmt.format(float(value))
        except (TypeError, ValueError):
            return "n/a"


METRICS: dict[str, Metric] = {}


def metric(name: str, label: str, fmt: str, higher_is_better: bool, needs_mask: bool = False, kind: str = "pair"):
    def wrap(fn):
        METRICS[name] = Metric(name, fn, label, fmt, higher_is_better, needs_mask, kind)
        return fn

    return wrap


@torch.no_grad()
def compute_all(pred: torch.Tensor, target: torch.Tensor,
                target_alpha: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Every registered per-pair metric on one batch: {name: (N,) tensor}; without ``target_alpha``
    the metrics that need a mask are left out."""
    pred, target = pred.float(), target.float()
    return {name: m.fn(pred, target, target_alpha) for name, m in METRICS.items()
            if m.kind == "pair" and (target_alpha is not None or not m.needs_mask)}


def finite_mean(values) -> tuple[float, int]:
    """Mean of the finite entries (NaN and +-inf left out) and how many were left out.

    The mean is NaN when no entry is finite.
    """
    values = torch.as_tensor(values, dtype=torch.float64).reshape(-1)
    ok = torch.isfinite(values)
    n_ok = int(ok.sum())
    mean = float(values[ok].mean()) if n_ok else float("nan")
    return mean, int(values.numel() - n_ok)


def aggregate(per_image: dict[str, torch.Tensor]) -> dict:
    """{name: (N,)} -> {"n_pairs": N, name: finite mean, ..., "left_out": {name: count}} (counts > 0 only)."""
    result: dict = {"n_pairs": int(next(iter(per_image.values())).numel()) if per_image else 0}
    left_out = {}
    for name, values in per_image.items():
        result[name], skipped = finite_mean(values)
        if skipped:
            left_out[name] = skipped
    result["left_out"] = left_out
    return result
