"""evaluate(): two untrained models side by side on the tiny 64x64 data set, checked against an
independent per-item recomputation through PairDataset."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from novelview import metrics as M
from novelview.data.pairs import PairDataset
from novelview.data.store import ViewStore
from novelview.evaluate import evaluate
from novelview.models import build_model
from novelview.models.io import load_model, save_model


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("models")
    return {
        "pose": str(save_model(build_model("pose_encoder"), folder / "pose_encoder")),
        "ae": str(save_model(build_model("autoencoder"), folder / "autoencoder")),
    }


@pytest.fixture(scope="module")
def evaluated(tiny_dataset_64, saved_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    results = evaluate(tiny_dataset_64, [saved_models["pose"], saved_models["ae"]], out, split="test",
                       pairs="from_zero", batch_size=32, grid_pairs=3, progress=False)
    return out, results


def _reference(data_dir, model_dir, mode):
    """Per-pair metrics the slow, obvious way: PairDataset items one by one, then one predict call."""
    store = ViewStore(data_dir)
    ds = PairDataset(store, split="test", mode=mode)
    items = [ds[i] for i in range(len(ds))]
    source = torch.stack([it["source"] for it in items])
    target = torch.stack([it["target"] for it in items])
    alpha = torch.stack([torch.from_numpy(store.views[it["model"], 0, (it["source_azimuth"] + it["rotation"])
                                                      % ds.num_azimuths, :, :, 3].astype(np.float32) / 255.0)
                         for it in items])[:, None]
    rotation = torch.tensor([it["rotation_deg"] for it in items])
    pred = load_model(model_dir).predict(source, rotation)
    values = M.compute_all(pred, target, alpha)
    cats = [store.categories[it["model"]] for it in items]
    return values, rotation.tolist(), cats


def test_files_written(evaluated):
    out, results = evaluated
    for name in ("metrics.json", "metrics.csv", "error_by_angle.png", "grid.png"):
        assert (out / name).stat().st_size > 0, name
    # The autoencoder restricts the shared rotations to +30: a second grid shows the requested pairs.
    assert (out / "grid_from_zero.png").exists()
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["settings"]["pairs"] == "from_zero" and saved["settings"]["split"] == "test"
    assert "pair_rule" in saved["settings"]
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["group"] for r in rows} == {"overall", "category", "rotation"}
    assert set(rows[0]) == {"model", "group", "key", "n_pairs", *M.METRICS}


def test_pose_encoder_numbers_match_direct_computation(evaluated, tiny_dataset_64, saved_models):
    out, results = evaluated
    saved = json.loads((out / "metrics.json").read_text())
    entry = next(v for v in saved["models"].values() if v["model"] == "pose_encoder")
    assert entry["pairs"] == "from_zero"
    values, rotations, cats = _reference(tiny_dataset_64, saved_models["pose"], "from_zero")
    n_test = len(ViewStore(tiny_dataset_64).indices("test"))
    assert entry["n_pairs"] == len(rotations) == 35 * n_test
    for name, v in values.items():
        assert entry["overall"][name] == pytest.approx(float(v.double().mean()), rel=1e-5, abs=1e-6), name
    # rotation keys 10..350, and one rotation's numbers
    assert sorted(entry["by_rotation"], key=float) == [f"{d}" for d in range(10, 360, 10)]
    sel = torch.tensor([r == 90.0 for r in rotations])
    assert entry["by_rotation"]["90"]["n_pairs"] == n_test
    assert entry["by_rotation"]["90"]["l1_full"] == pytest.approx(float(values["l1_full"][sel].double().mean()),
                                                                  rel=1e-5)
    # categories
    assert set(entry["by_category"]) == set(cats)
    for c in set(cats):
        sel = torch.tensor([x == c for x in cats])
        assert entry["by_category"][c]["l1_masked"] == pytest.approx(
            float(values["l1_masked"][sel].double().mean()), rel=1e-5)


def test_autoencoder_gets_its_fixed_pairs(evaluated, tiny_dataset_64, saved_models):
    out, results = evaluated
    entry = next(v for v in results["models"].values() if v["model"] == "autoencoder")
    assert entry["pairs"].startswith("fixed")
    assert list(entry["by_rotation"]) == ["30"]
    values, rotations, cats = _reference(tiny_dataset_64, saved_models["ae"], "fixed")
    assert set(rotations) == {30.0}
    assert entry["n_pairs"] == len(rotations)
    for name, v in values.items():
        assert entry["overall"][name] == pytest.approx(float(v.double().mean()), rel=1e-5, abs=1e-6), name
    assert set(entry["by_category"]) == set(cats)


def test_max_pairs_same_subsample_for_same_table(tiny_dataset_64, saved_models, tmp_path):
    results = evaluate(tiny_dataset_64, [saved_models["pose"], saved_models["pose"]], tmp_path, max_pairs=7,
                       grid_pairs=2, progress=False)
    a, b = results["models"].values()
    assert len(results["models"]) == 2  # the same model twice gets two labels
    assert a["n_pairs"] == b["n_pairs"] == 7
    assert a["overall"] == b["overall"]
