"""The metric registry: each metric is a decorated function of one ``MetricContext``, with its metadata.

``@metric(name, label, fmt, higher_is_better, needs_mask=False, kind="pair", summary=True)``
registers ``fn(ctx) -> (N,)``. ``ctx`` (``MetricContext``) holds the batch's outputs and true
views (images on [-1, 1], alpha on [0, 1]) and, for metrics of kind ``gallery``, the true views of
the whole split (``ctx.gallery``, see ``novelview.metrics.gallery``) with each pair's target pose
(``ctx.targets``). Evaluation, every table (printed, CSV, Markdown, HTML, the suite's) and the
figures read names, labels, formats, directions and columns from the registry entries: a metric
with ``summary=True`` is a column of the summary tables, in registration order; every metric is in
metrics.json and metrics.csv. Adding a metric is adding a decorated function in a module that is
imported (by ``novelview.metrics``, or a plugin named in NOVELVIEW_PLUGINS).

Aggregation (``aggregate`` / ``finite_mean``): the mean over the images whose value is finite;
NaN (empty masks) and +inf (PSNR of a perfect prediction) are left out, and how many were left
out is reported beside the mean, so a perfect prediction never turns a PSNR mean into inf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

KINDS = ("pair", "gallery")


@dataclass(frozen=True)
class MetricContext:
    """What a metric may read about one batch of N pairs.

    pred, target (N, 3, H, W) on [-1, 1]; target_alpha (N, 1, H, W) on [0, 1] or None; gallery and
    targets (``novelview.metrics.gallery``): the split's true views, read and compared lazily, and
    each pair's object and target pose; None when evaluation skips pose and identity accuracy.
    """

    pred: torch.Tensor
    target: torch.Tensor
    target_alpha: torch.Tensor | None = None
    gallery: Any = None
    targets: Any = None


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[MetricContext], torch.Tensor]
    label: str
    fmt: str
    higher_is_better: bool
    needs_mask: bool = False
    kind: str = "pair"  # pair: needs pred and target; gallery: also ctx.gallery and ctx.targets
    summary: bool = True  # a column of the summary tables (else only in metrics.json and metrics.csv)

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0]

    def format(self, value) -> str:
        try:
            return self.fmt.format(float(value))
        except (TypeError, ValueError):
            return "n/a"

    def applies(self, ctx: MetricContext) -> bool:
        """Whether ``ctx`` holds what this metric reads (a mask, a gallery)."""
        return ((ctx.target_alpha is not None or not self.needs_mask)
                and (self.kind != "gallery" or ctx.gallery is not None))


METRICS: dict[str, Metric] = {}


def metric(name: str, label: str, fmt: str, higher_is_better: bool, needs_mask: bool = False, kind: str = "pair",
           summary: bool = True):
    """Registers ``fn(ctx: MetricContext) -> (N,) tensor`` under ``name``; returns ``fn`` unchanged."""
    if kind not in KINDS:
        raise ValueError(f"metric {name!r}: kind must be one of {KINDS}, not {kind!r}")

    def wrap(fn):
        METRICS[name] = Metric(name, fn, label, fmt, higher_is_better, needs_mask, kind, summary)
        return fn

    return wrap


def summary_names() -> list[str]:
    """The metrics shown as columns of the summary tables, in registration order."""
    return [name for name, m in METRICS.items() if m.summary]


@torch.no_grad()
def compute(ctx: MetricContext) -> dict[str, torch.Tensor]:
    """Every registered metric that ``ctx`` holds enough for: {name: (N,) tensor}."""
    return {name: m.fn(ctx) for name, m in METRICS.items() if m.applies(ctx)}


@torch.no_grad()
def compute_all(pred: torch.Tensor, target: torch.Tensor,
                target_alpha: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Every registered per-pair metric on one batch: {name: (N,) tensor}; without ``target_alpha``
    the metrics that need a mask are left out (and the gallery metrics always)."""
    return compute(MetricContext(pred.float(), target.float(), target_alpha))


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
