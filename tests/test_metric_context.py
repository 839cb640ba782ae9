"""A metric is one function of a MetricContext, and it appears in every table by its registry entry.

A toy metric registered here, outside the package, must reach metrics.json, metrics.csv and the
printed table of `novelview evaluate` with no other edit; a metric with ``summary=False`` reaches
metrics.json but no summary column.
"""

from __future__ import annotations

import csv
import dataclasses
import json

import pytest
import torch

from novelview import metrics as M
from novelview.evaluation import report, suite
from novelview.metrics.registry import metric


@pytest.fixture
def toy_metrics():
    """Registers two toy metrics for one test, then removes them (the registry is global)."""

    @metric("toy_brightness", "toy brightness", "{:.4f}", higher_is_better=True)
    def toy_brightness(ctx):
        """Mean of the output on [-1, 1]; (N,)."""
        return ctx.pred.flatten(1).mean(dim=1)

    @metric("toy_hidden", "toy hidden", "{:.4f}", higher_is_better=True, summary=False)
    def toy_hidden(ctx):
        """Mean of the target on [-1, 1]; (N,)."""
        return ctx.target.flatten(1).mean(dim=1)

    yield
    for name in ("toy_brightness", "toy_hidden"):
        M.METRICS.pop(name, None)


def test_a_metric_reads_one_context():
    torch.manual_seed(0)
    pred, target = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    ctx = M.MetricContext(pred, target)
    assert torch.equal(M.METRICS["l1_full"].fn(ctx), M.l1_full(pred, target))
    values = M.compute(ctx)
    # Without a mask or a gallery, the metrics that need them are left out.
    assert set(values) == {n for n, m in M.METRICS.items() if not m.needs_mask and m.kind == "pair"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.pred = target  # frozen: a metric cannot change what the next one reads


def test_the_summary_columns_are_the_registry_entries_in_order(toy_metrics):
    names = M.summary_names()
    assert names[:8] == ["l1_full", "l1_masked", "ssim_luma_masked", "psnr", "ms_ssim", "sharpness", "pose_accuracy",
                         "identity_accuracy"]  # the columns of today's tables, in their order
    assert names[-1] == "toy_brightness" and "toy_hidden" not in names and "ssim" not in names


def test_a_toy_metric_appears_in_metrics_json_csv_and_the_printed_table(toy_metrics, tiny_dataset_64, tmp_path,
                                                                         novelview):
    code, out, err = novelview("evaluate", "--data", tiny_dataset_64, "--model", "default", "--out", tmp_path,
                               "--max-pairs", "12", "--threads", "1")
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.startswith("model |")).split(" | ")
    assert "toy brightness" in header and "toy hidden" not in header
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved["metrics"]) >= {"toy_brightness", "toy_hidden"}
    blank = saved["baselines"]["blank"]["overall"]
    assert blank["toy_brightness"] == pytest.approx(1.0)  # all white is 1 on [-1, 1]
    assert blank["toy_hidden"] < 1.0
    with open(tmp_path / "metrics.csv") as f:
        row = next(csv.DictReader(f))
    assert {"toy_brightness", "toy_hidden"} <= set(row)
    # The Markdown and HTML tables of the report take the same columns.
    header, rows = report.metric_rows(saved)
    assert "toy brightness" in report.markdown_table(header, rows) and "toy brightness" in report.html_table(header, rows)
    # And the suite's summary.
    suite.write_summary(tmp_path / "suite", suite.summary_rows("tiny", "same elevation", saved), [])
    with open(tmp_path / "suite" / "summary.csv") as f:
        row = next(csv.DictReader(f))
    assert float(row["toy_brightness"]) == pytest.approx(saved["models"]["default"]["overall"]["toy_brightness"], abs=1e-4)
    assert "toy_hidden" not in row and "toy_brightness" in (tmp_path / "suite" / "summary.md").read_text()
