"""Every row of an evaluation table is scored on the same pairs, or the table says which differ and
why; ``--pairs offgrid`` on a set without off-grid rotations is refused in one line, not NaN.

Before: with ``--elevations any`` on a set at two elevations, a model trained at elevation 0 was
scored on its pairs and the baselines beside it on every pair; offgrid on a 36-azimuth set wrote
NaN for the off-grid rows and said nothing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from novelview.data.pairs import PairTable
from novelview.errors import NovelviewError
from novelview.evaluation import pair_choice
from novelview.evaluation.evaluate import evaluate
from novelview.evaluation.report import metric_rows
from novelview.models import build_model
from novelview.models.io import save_model

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def flow_at_elevation_0(tmp_path_factory):
    torch.manual_seed(0)
    return str(save_model(build_model("flow", width=0.5, image_size=32), tmp_path_factory.mktemp("m") / "flow"))


def test_baselines_are_scored_on_the_pairs_the_model_can_take(tiny_jittered, flow_at_elevation_0, tmp_path):
    """Set at elevations 0 and 20, elevations any: the model takes the 0->0 pairs only."""
    results = evaluate(tiny_jittered, [flow_at_elevation_0], tmp_path, elevations="any", grid_pairs=0,
                       progress=False, accuracy=False)
    requested = PairTable(tiny_jittered, "test", "from_zero", "any").all()
    same_zero = int(((requested.source_elevation == 0) & (requested.target_elevation == 0)).sum())
    model = next(iter(results["models"].values()))
    assert model["n_pairs"] == same_zero < len(requested)
    for name, baseline in results["baselines"].items():
        assert baseline["n_pairs"] == same_zero, name  # before: every requested pair
        assert baseline["pairs"] == model["pairs"], name
        assert list(baseline["by_elevation"]) == ["0->0"], name
    assert model["baselines_on_these_pairs"] == {b: e["overall"] for b, e in results["baselines"].items()}
    assert "table_note" not in results["settings"]
    _, rows = metric_rows(results)
    assert len({row[1] for row in rows}) == 1  # one pairs cell for every row
    assert "table_note" not in json.loads((tmp_path / "metrics.json").read_text())["settings"]


def test_two_models_share_the_pairs_both_can_take(tiny_jittered, flow_at_elevation_0, tmp_path):
    torch.manual_seed(1)
    wide = str(save_model(build_model("flow", width=0.5, image_size=32, elevation_range=(0.0, 20.0)), tmp_path / "w"))
    results = evaluate(tiny_jittered, [flow_at_elevation_0, wide], tmp_path / "e", elevations="any", grid_pairs=0,
                       progress=False, accuracy=False)
    counts = {e["n_pairs"] for e in [*results["models"].values(), *results["baselines"].values()]}
    assert len(counts) == 1  # the wide model is not scored on more pairs than the narrow one
    assert "table_note" not in results["settings"]


class Restricted:
    """A stand-in predictor that takes only the given rotations (as the autoencoder takes +30)."""

    def __init__(self, label, rotations):
        self.label, self.rotations = label, rotations

    def supports(self, pairs):
        return np.isin(np.round(pairs.rotation_deg), self.rotations)


def test_a_model_with_too_few_pairs_is_scored_apart_and_the_table_says_so(tiny_dataset):
    table = PairTable(tiny_dataset, "test", "from_zero")
    everything = lambda: PairTable(tiny_dataset, "test", "all").all()  # noqa: E731
    free, narrow = Restricted("free", np.arange(0, 360, 10)), Restricted("narrow", [30])
    shared, own, note = pair_choice.plan([free, narrow], table.all(), "from_zero", everything, None, 0)
    assert own["free"] is shared and len(shared.pairs) == len(table)
    assert set(np.round(own["narrow"].pairs.rotation_deg)) == {30} and own["narrow"].fallback
    assert note.startswith("rows differ in pairs: narrow:") and "as too few of the from_zero pairs suit it" in note
    # Models that share no pose at all: each on its own, and the note names both.
    other = Restricted("other", [40])
    shared, own, note = pair_choice.plan([narrow, other], table.all(), "from_zero", everything, None, 0)
    assert len(shared.pairs) == len(table) and "narrow:" in note and "other:" in note
    with pytest.raises(NovelviewError, match="nothing can take none of the poses"):
        pair_choice.plan([Restricted("nothing", [])], table.all(), "from_zero", everything, None, 0)


def test_offgrid_on_a_set_without_offgrid_rotations_is_one_line(tiny_dataset, flow_at_elevation_0, tmp_path):
    out = tmp_path / "offgrid"
    with pytest.raises(NovelviewError, match=r"--pairs offgrid: .* has no rotations off the 10-degree grid .*"
                                             r"--azimuths 72\) or --azimuth-jitter, or use --pairs from_zero"):
        evaluate(tiny_dataset, [flow_at_elevation_0], out, pairs="offgrid", progress=False)
    assert not out.exists()  # refused before any file is written
    with pytest.raises(NovelviewError, match="no rotations on the 365-degree grid to compare with"):
        evaluate(tiny_dataset, [flow_at_elevation_0], out, pairs="offgrid", grid_step=365.0, progress=False)


def test_cli_prints_the_note_under_the_table(novelview, tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(pair_choice, "plan", lambda *a: _plan_with_note(*a))
    torch.manual_seed(0)
    model = save_model(build_model("flow", width=0.5, image_size=32), tmp_path / "m")
    code, out, err = novelview("evaluate", "--data", tiny_dataset, "--model", model, "--out", tmp_path / "e",
                               "--no-accuracy", "--max-pairs", "4")
    assert code == 0, err
    assert "note: rows differ in pairs: because" in out


def _plan_with_note(predictors, requested, *rest):
    shared = pair_choice.Choice(requested, "from_zero")
    return shared, {p.label: shared for p in predictors}, "rows differ in pairs: because"
