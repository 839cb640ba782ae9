"""Metrics: per-pair image metrics in a registry (``registry``: each a function of one
``MetricContext``), the protocols of the field (``image``), detail (``detail``: MS-SSIM,
sharpness), and pose / identity accuracy (``accuracy``) against the split's true views
(``gallery``, given by evaluation)."""

from novelview.metrics.registry import (METRICS, Metric, MetricContext, aggregate, compute, compute_all, finite_mean,
                                       metric, summary_names)

# Importing the metric files registers them, in this (report) order.
from novelview.metrics import image  # noqa: E402,I001
from novelview.metrics import detail  # noqa: E402
from novelview.metrics import accuracy  # noqa: E402
from novelview.metrics.image import l1_full, l1_masked, luma, psnr, ssim, ssim_luma_masked  # noqa: E402
from novelview.metrics.detail import ms_ssim, sharpness  # noqa: E402

HIGHER_IS_BETTER = {name: m.higher_is_better for name, m in METRICS.items()}

__all__ = ["METRICS", "Metric", "MetricContext", "HIGHER_IS_BETTER", "aggregate", "compute", "compute_all", "finite_mean",
           "metric", "summary_names",
           "l1_full", "l1_masked", "luma", "psnr", "ssim", "ssim_luma_masked", "ms_ssim", "sharpness",
           "accuracy", "detail", "image"]
