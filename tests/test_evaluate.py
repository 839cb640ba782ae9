"""evaluate(): untrained models side by side with the trivial baselines on the tiny data sets,
checked against an independent recomputation from views.npy (compositing done here by hand)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from novelview import metrics as M
from novelview.data.pairs import PairTable
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError
from novelview.evaluation.evaluate import evaluate
from novelview.models import build_model
from novelview.models.io import load_model, save_model

torch.set_num_threads(1)

BASELINES = {"copy_input", "mean_view", "blank"}


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("models")
    return {
        "pose": str(save_model(build_model("pose_encoder"), folder / "pose_encoder")),
        "ae": str(save_model(build_model("autoencoder"), folder / "autoencoder")),
        # A continuous-pose model for the 32x32 set: any rotation.
        "flow": str(save_model(build_model("flow", width=0.5, image_size=32), folder / "flow")),
    }


@pytest.fixture(scope="module")
def evaluated(tiny_dataset_64, saved_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    results = evaluate(tiny_dataset_64, [saved_models["pose"], saved_models["ae"]], out, split="test",
                       pairs="from_zero", batch_size=32, grid_pairs=3, progress=False)
    return out, results


def on_white(views_uint8: np.ndarray) -> torch.Tensor:
    """(N, H, W, 4) uint8 straight-alpha RGBA -> (N, 3, H, W) on [-1, 1] over white, by the textbook formula."""
    rgb = views_uint8[..., :3].astype(np.float64) / 255.0
    alpha = views_uint8[..., 3:].astype(np.float64) / 255.0
    unit = rgb * alpha + 1.0 * (1.0 - alpha)
    return torch.from_numpy(unit * 2 - 1).permute(0, 3, 1, 2)


def reference(data_dir, mode: str):
    """The pairs of a mode and their images, read straight from views.npy: (pairs, source, target, alpha)."""
    store = ViewStore(data_dir)
    pairs = PairTable(store, "test", mode).all()
    flat = np.asarray(store.views).reshape(-1, *store.views.shape[3:])
    source, target = on_white(flat[pairs.source_view]), on_white(flat[pairs.target_view])
    alpha = torch.from_numpy(flat[pairs.target_view][..., 3].astype(np.float64) / 255.0)[:, None]
    return pairs, source, target, alpha


def model_metrics(data_dir, model_dir, mode: str):
    pairs, source, target, alpha = reference(data_dir, mode)
    pred = load_model(model_dir).predict(source.float(), torch.from_numpy(pairs.rotation_deg))
    return pairs, M.compute_all(pred.double(), target, alpha)


def mean_l1(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().flatten(1).mean(1).mean())


def test_files_written(evaluated):
    out, results = evaluated
    for name in ("metrics.json", "metrics.csv", "error_by_angle.png", "grid.png"):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["settings"]["pairs"] == "from_zero" and saved["settings"]["split"] == "test"
    assert "pair_rule" in saved["settings"] and "aggregation" in saved["settings"]
    assert set(saved["baselines"]) == BASELINES
    assert set(saved["metrics"]) == set(M.METRICS)
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["group"] for r in rows} == {"overall", "category", "rotation", "elevation"}
    assert set(rows[0]) == {"model", "group", "key", "n_pairs", *M.METRICS}
    assert {r["model"] for r in rows} >= {f"baseline:{b}" for b in BASELINES}


def test_pose_encoder_numbers_match_direct_computation(evaluated, tiny_dataset_64, saved_models):
    out, results = evaluated
    saved = json.loads((out / "metrics.json").read_text())
    entry = next(v for v in saved["models"].values() if v["model"] == "pose_encoder")
    assert entry["pairs"] == "from_zero"
    pairs, values = model_metrics(tiny_dataset_64, saved_models["pose"], "from_zero")
    n_test = len(ViewStore(tiny_dataset_64).indices("test"))
    assert entry["n_pairs"] == len(pairs) == 35 * n_test
    for name, v in values.items():
        expected = M.finite_mean(v)[0]
        if np.isnan(expected):
            assert entry["overall"][name] is None, name  # NaN is written as null
        else:
            assert entry["overall"][name] == pytest.approx(expected, rel=1e-4, abs=1e-6), name
    # rotation keys 10..350, and one rotation's numbers
    assert sorted(entry["by_rotation"], key=float) == [f"{d}" for d in range(10, 360, 10)]
    sel = torch.from_numpy(pairs.rotation_deg == 90.0)
    assert entry["by_rotation"]["90"]["n_pairs"] == n_test
    assert entry["by_rotation"]["90"]["l1_full"] == pytest.approx(float(values["l1_full"][sel].mean()), rel=1e-4)
    # categories
    store = ViewStore(tiny_dataset_64)
    cats = np.asarray(store.categories)[pairs.model]
    assert set(entry["by_category"]) == set(cats)
    for c in set(cats):
        sel = torch.from_numpy(cats == c)
        assert entry["by_category"][c]["l1_masked"] == pytest.approx(float(values["l1_masked"][sel].mean()), rel=1e-4)
    # elevations: one set at elevation 0
    assert list(entry["by_elevation"]) == ["0->0"] and entry["by_elevation"]["0->0"]["n_pairs"] == len(pairs)
    assert 0.0 <= entry["overall"]["pose_accuracy"] <= 1.0 and 0.0 <= entry["overall"]["identity_accuracy"] <= 1.0


def test_autoencoder_gets_its_30_degree_pairs(evaluated, tiny_dataset_64, saved_models):
    out, results = evaluated
    entry = next(v for v in results["models"].values() if v["model"] == "autoencoder")
    assert entry["pairs"] == "all, filtered to rotations 30"
    assert list(entry["by_rotation"]) == ["30"]
    # The +30 pairs of the 'all' table are the fixed pairs (every source azimuth, target 3 steps on).
    pairs, values = model_metrics(tiny_dataset_64, saved_models["ae"], "fixed")
    assert set(np.round(pairs.rotation_deg, 6).tolist()) == {30.0}
    assert entry["n_pairs"] == len(pairs) == 36 * len(ViewStore(tiny_dataset_64).indices("test"))
    for name, v in values.items():
        expected = M.finite_mean(v)[0]
        if not np.isnan(expected):
            assert entry["overall"][name] == pytest.approx(expected, rel=1e-4, abs=1e-6), name


def test_baselines_match_hand_computed_values_on_the_requested_pairs(evaluated, tiny_dataset_64):
    _, results = evaluated
    pairs, source, target, _ = reference(tiny_dataset_64, "from_zero")
    base = results["baselines"]
    for name in BASELINES:
        assert base[name]["n_pairs"] == len(pairs) and base[name]["pairs"] == "from_zero", name
    # copy_input: the source itself.
    assert base["copy_input"]["overall"]["l1_full"] == pytest.approx(mean_l1(source, target), rel=1e-5)
    # Its nearest true view is the source view (azimuth 0): right only for targets at 10 and 350.
    assert base["copy_input"]["overall"]["pose_accuracy"] == pytest.approx(2 / 35)
    # mean_view: the mean of the train split's views at the target's view, whatever the input.
    store = ViewStore(tiny_dataset_64)
    train = np.asarray(store.views)[store.indices("train")]  # (M, E, A, H, W, 4)
    means = torch.stack([torch.stack([on_white(train[:, e, a]).mean(0) for a in range(train.shape[2])])
                         for e in range(train.shape[1])])  # (E, A, 3, H, W)
    predicted = means[pairs.target_elevation_index, pairs.target_azimuth_index]
    assert base["mean_view"]["overall"]["l1_full"] == pytest.approx(mean_l1(predicted, target), rel=1e-5)
    rotation_90 = pairs.rotation_deg == 90.0
    assert base["mean_view"]["by_rotation"]["90"]["l1_full"] == pytest.approx(
        mean_l1(predicted[rotation_90], target[rotation_90]), rel=1e-5)
    # blank: all white.
    assert base["blank"]["overall"]["l1_full"] == pytest.approx(mean_l1(torch.ones_like(target), target), rel=1e-5)


def test_each_model_is_compared_with_the_baselines_on_its_own_pairs(evaluated, tiny_dataset_64):
    _, results = evaluated
    pose = next(v for v in results["models"].values() if v["model"] == "pose_encoder")
    ae = next(v for v in results["models"].values() if v["model"] == "autoencoder")
    # The pose encoder takes the requested pairs: its baselines are the requested ones.
    assert pose["baselines_on_these_pairs"] == {b: results["baselines"][b]["overall"] for b in BASELINES}
    # The autoencoder's baselines are scored again on its +30 pairs.
    pairs, source, target, _ = reference(tiny_dataset_64, "fixed")
    own = ae["baselines_on_these_pairs"]
    assert set(own) == BASELINES and own["copy_input"]["n_pairs"] == len(pairs)
    assert own["copy_input"]["l1_full"] == pytest.approx(mean_l1(source, target), rel=1e-5)
    assert own["copy_input"]["l1_full"] != pytest.approx(results["baselines"]["copy_input"]["overall"]["l1_full"])
    for entry in (pose, ae):
        assert set(entry["beats_baselines"]) == BASELINES
        for b, won in entry["beats_baselines"].items():
            assert won == (entry["overall"]["l1_full"] < entry["baselines_on_these_pairs"][b]["l1_full"]), b


def test_max_pairs_same_subsample_for_same_table(tiny_dataset_64, saved_models, tmp_path):
    results = evaluate(tiny_dataset_64, [saved_models["pose"], saved_models["pose"]], tmp_path, max_pairs=7,
                       grid_pairs=2, progress=False, accuracy=False)
    a, b = results["models"].values()
    assert len(results["models"]) == 2  # the same model twice gets two labels
    assert a["n_pairs"] == b["n_pairs"] == 7
    assert a["overall"] == b["overall"]
    assert results["baselines"]["copy_input"]["n_pairs"] == 7
    assert "pose_accuracy" not in a["overall"]  # accuracy=False skips the galleries


def test_offgrid_pairs_compare_rotations_off_the_grid_with_those_on_it(tiny_dataset, saved_models, tmp_path):
    """On a 10-degree set with a 20-degree training grid: 20, 40, ... are on it; 10, 30, ... off it."""
    results = evaluate(tiny_dataset, [saved_models["flow"]], tmp_path, pairs="offgrid", grid_step=20.0,
                       grid_pairs=0, progress=False, accuracy=False)
    entry = next(iter(results["models"].values()))
    assert entry["pairs"] == "offgrid"
    n_test = len(ViewStore(tiny_dataset).indices("test"))
    offgrid = entry["offgrid"]
    assert offgrid["grid_step"] == 20.0
    assert offgrid["on_grid"]["n_pairs"] == 17 * n_test and offgrid["off_grid"]["n_pairs"] == 18 * n_test
    l1 = {float(k): v["l1_full"] for k, v in entry["by_rotation"].items()}
    on = [r for r in l1 if r % 20 == 0]
    assert offgrid["on_grid"]["l1_full"] == pytest.approx(np.mean([l1[r] for r in on]), rel=1e-6)
    # Each off-grid rotation against the mean of its on-grid neighbours (10 has only 20; 350 only 340).
    ratios = [l1[r] / np.mean([l1[n % 360] for n in (r - 10, r + 10) if n % 360 in l1]) for r in l1 if r % 20]
    assert offgrid["off_over_neighbours"] == pytest.approx(np.mean(ratios), rel=1e-6)
    assert "offgrid" in results["baselines"]["copy_input"]


def test_models_that_do_not_fit_the_data_set_are_refused(tiny_dataset, saved_models, tmp_path):
    with pytest.raises(NovelviewError, match="draws 64x64 images but .* holds 32x32 ones"):
        evaluate(tiny_dataset, [saved_models["pose"]], tmp_path, progress=False)
    with pytest.raises(NovelviewError, match="unknown pairs 'sideways'"):
        evaluate(tiny_dataset, [saved_models["flow"]], tmp_path, pairs="sideways", progress=False)
    with pytest.raises(NovelviewError, match="at least one model"):
        evaluate(tiny_dataset, [], tmp_path, progress=False)
