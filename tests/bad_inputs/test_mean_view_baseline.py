"""The mean-view baseline of a data set without a training split (a test set: --val-share 0
--test-share 1) can only average the scored models themselves, an easier bar than a mean of other
objects: the table and metrics.json say so. With a training split, the row keeps its name."""

from __future__ import annotations

import json

import pytest

from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, render_dataset
from novelview.evaluation.evaluate import evaluate
from novelview.models import build_model
from novelview.models.io import save_model
from novelview.evaluation.report import category_rows, metric_rows, text_table


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """An untrained pose encoder for the 16x16, 4-azimuth sets of this suite (only the baselines matter)."""
    model = build_model("pose_encoder", encoder_channels=[4, 4, 4, 4], decoder_channels=[4, 4, 4], image_size=16,
                        num_rotations=4)
    return save_model(model, tmp_path_factory.mktemp("model") / "tiny")


def render(folder, val_share, test_share):
    job = RenderJob("procedural:mug", folder, RenderSettings(size=16, azimuths=4, supersample=1), models=2,
                    workers=1, val_share=val_share, test_share=test_share)
    render_dataset(job, progress=False)
    return folder


@pytest.mark.parametrize("shares, n_models, note", [
    ((0.0, 1.0), 2, "of the test models themselves: no training split"),
    ((0.5, 0.5), 2, "of all 2 models, the test ones included: no training split"),
])
def test_a_mean_of_the_scored_models_is_named(shares, n_models, note, tiny_model, tmp_path):
    """Before: 'baseline: mean_view', as if it were the mean of training views; nothing in metrics.json."""
    data = render(tmp_path / "data", *shares)
    results = evaluate(data, [str(tiny_model)], tmp_path / "eval", grid_pairs=0, progress=False, accuracy=False)
    header, rows = metric_rows(results)
    names = [row[0] for row in rows]
    assert f"baseline: mean_view ({note})" in names
    assert "baseline: copy_input" in names and "baseline: blank" in names
    assert f"baseline: mean_view ({note})" in [row[0] for row in category_rows(results)[1]]
    assert f"baseline: mean_view ({note})" in text_table(header, rows)
    saved = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert saved["baselines"]["mean_view"]["mean_of"] == {"split": "all", "n_models": n_models,
                                                          "includes_evaluated_models": True, "note": note}
    # The key stays: the suite and scripts read baselines["mean_view"].
    assert "mean_view" in saved["models"][next(iter(saved["models"]))]["baselines_on_these_pairs"]


def test_a_mean_of_training_views_keeps_its_row_name(finished_set, tiny_model, tmp_path):
    results = evaluate(finished_set, [str(tiny_model)], tmp_path / "eval", grid_pairs=0, progress=False,
                       accuracy=False)
    assert "baseline: mean_view" in [row[0] for row in metric_rows(results)[1]]
    saved = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert saved["baselines"]["mean_view"]["mean_of"] == {"split": "train", "n_models": 2,
                                                          "includes_evaluated_models": False}


def test_the_suite_summary_says_which_mean_it_compared_with(tiny_model, tmp_path):
    from novelview.evaluation.suite import run_suite

    data = render(tmp_path / "data", 0.0, 1.0)
    rows = run_suite([str(tiny_model)], tmp_path / "root", tmp_path / "out", ["procedural"], {"procedural": data},
                     max_pairs=8, log=lambda line: None)
    assert rows and rows[0]["mean_view_l1"] > 0
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "- procedural: mean_view is the mean view of the test models themselves: no training split" in summary
