"""Evaluate trained models on a data set folder, always beside two trivial baselines.

``evaluate(data_dir, models, out_dir)`` writes into ``out_dir``:
- ``metrics.json``: settings, and for every model and baseline its pairs and every registered
  metric (``novelview.metrics``) overall, per category, per rotation angle and per elevation pair;
  each model's entry also holds the baselines scored on exactly its pairs and whether it beats them;
- ``metrics.csv``: one row per (row, group, key);
- ``error_by_angle.png`` (models and baselines) and ``grid.png`` (input, target, each model).

Which pairs (``pair_rule`` in metrics.json): the pair table of the requested mode and elevations
over the split (``novelview.data.pairs``), subsampled to ``max_pairs`` (seeded). Every row of the
table, models and baselines, is scored on the same pairs: those every model can take
(``pair_choice``); a model that cannot take two per object even alone (the autoencoder: +30
degrees only) is scored apart on every pair of the ``all`` table it can take, and
``settings.table_note`` says so. ``pairs="offgrid"`` scores ``from_zero`` pairs of a set rendered
on a finer grid and compares rotations off the ``grid_step`` grid with those on it; a set without
both is refused.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from novelview.evaluation import figures, pair_choice
from novelview import metrics as M
from novelview.data.pairs import MODES, Pairs, PairTable
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError
from novelview.models.io import load_model, resolve
from novelview.numbers import require_finite
from novelview.evaluation.predictors import ModelPredictor, baselines
from novelview.data.files import folder_lock, write_text_atomic
from novelview.evaluation.report import write_csv
from novelview.evaluation.scoring import Scorer

PAIR_RULE = ("Every row is scored on the same pairs: the requested pair table (seeded subsample of max_pairs), "
             "restricted to the pairs every model can take if there are two or more per object, else every pair of "
             "the 'all' table every model can take (same subsample rule). A model that cannot take two requested "
             "pairs per object even alone is scored apart on every pair of the 'all' table it can take, and "
             "settings.table_note says so; its baselines are scored again on its pairs (baselines_on_these_pairs).")
AGGREGATION = ("Mean over pairs of the per-pair metric; NaN (empty target mask, masked metrics) and +inf (PSNR of "
               "identical images) are left out and counted in 'left_out'. Accuracies are shares of pairs.")


def _group(per_pair: dict, keys: np.ndarray) -> dict:
    return {str(k): M.aggregate({n: torch.from_numpy(v[keys == k]) for n, v in per_pair.items()})
            for k in sorted(set(keys.tolist()), key=_sort_key)}


def _sort_key(key):
    try:
        return (0, float(str(key).split("->")[0]), str(key))
    except ValueError:
        return (1, 0.0, str(key))


def summarise(per_pair: dict, pairs: Pairs, categories: np.ndarray, grid_step: float | None = None) -> dict:
    rotation = np.round(pairs.rotation_deg, 3)
    elevation = np.asarray([f"{s:g}->{t:g}" for s, t in zip(pairs.source_elevation, pairs.target_elevation)])
    entry = {"n_pairs": len(pairs), "n_objects": int(len(np.unique(pairs.model))),
             "overall": M.aggregate({n: torch.from_numpy(v) for n, v in per_pair.items()}),
             "by_category": _group(per_pair, categories[pairs.model]),
             "by_rotation": _group(per_pair, np.asarray([f"{r:g}" for r in rotation])),
             "by_elevation": _group(per_pair, elevation)}
    changed = np.abs(pairs.source_elevation - pairs.target_elevation) > 1e-6
    if changed.any() and (~changed).any():
        entry["elevation_change"] = {"same": _mean(per_pair, ~changed), "changed": _mean(per_pair, changed)}
    if grid_step:
        off = np.abs((rotation + grid_step / 2) % grid_step - grid_step / 2) > 1e-3
        entry["offgrid"] = {"grid_step": grid_step, "on_grid": _mean(per_pair, ~off), "off_grid": _mean(per_pair, off),
                            "off_over_neighbours": _off_grid_ratio(per_pair["l1_full"], rotation, off, grid_step)}
    return entry


def _mean(per_pair: dict, keep: np.ndarray) -> dict:
    return M.aggregate({n: torch.from_numpy(v[keep]) for n, v in per_pair.items()})


def _off_grid_ratio(l1: np.ndarray, rotation: np.ndarray, off: np.ndarray, step: float) -> float | None:
    """Mean L1 of off-grid rotations over the mean L1 of the on-grid rotations on either side."""
    on_mean = {r: l1[(rotation == r) & ~off].mean() for r in np.unique(rotation[~off])}
    ratios = []
    for r in np.unique(rotation[off]):
        below, above = np.floor(r / step) * step, np.ceil(r / step) * step
        neighbours = [on_mean[x] for x in (below % 360, above % 360) if x in on_mean]
        if neighbours:
            ratios.append(l1[rotation == r].mean() / np.mean(neighbours))
    return float(np.mean(ratios)) if ratios else None


def _json_safe(obj):
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.integer, np.floating)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _labels(specs: list[str]) -> list[str]:
    """Short unique labels: a shipped name as it is, a path as its last two parts."""
    labels = []
    for spec in specs:
        p = Path(str(spec))
        label = str(spec) if len(p.parts) <= 1 else "/".join(p.parts[-2:])
        base, k = label, 2
        while label in labels:
            label, k = f"{base}#{k}", k + 1
        labels.append(label)
    return labels


def beats(model_overall: dict, baseline_overall: dict) -> bool:
    """Lower full-image L1 than the baseline on the same pairs."""
    return bool(model_overall["l1_full"] < baseline_overall["l1_full"])


def evaluate(data_dir, models: list[str], out_dir, split: str = "test", pairs: str = "from_zero",
             elevations: str = "same", batch_size: int = 256, max_pairs: int | None = None, seed: int = 0,
             grid_pairs: int = 8, progress: bool = True, *, elevation_index: int | None = None,
             device: str = "cpu", accuracy: bool = True, grid_step: float = 10.0) -> dict:
    """Score each model (shipped name or export folder) and the baselines; write the report files."""
    if not models:
        raise NovelviewError("give at least one model to evaluate")
    if batch_size < 1 or (max_pairs is not None and max_pairs < 1):
        raise NovelviewError("batch_size and max_pairs must be at least 1")
    if pairs not in (*MODES, "offgrid"):
        raise NovelviewError(f"unknown pairs {pairs!r}: choose from {', '.join(MODES)}, offgrid")
    require_finite("grid_step", grid_step, "degrees, e.g. 10")
    if grid_step <= 0:  # the off-grid test divides by it
        raise NovelviewError(f"grid_step (--grid-step) must be above 0 degrees, e.g. 10, not {grid_step:g}")
    started = time.perf_counter()
    store = ViewStore(data_dir)
    mode = "from_zero" if pairs == "offgrid" else pairs
    table = PairTable(store, split, mode, elevations, elevation_index=elevation_index)
    if len(table.models) == 0:
        raise NovelviewError(f"the {split!r} split of {store.path} holds no models: choose another --split")
    sample = lambda t: t.sample(max_pairs, seed) if max_pairs else t.all()  # noqa: E731
    requested = sample(table)
    if pairs == "offgrid":  # refused before any file is written: the off-grid test would be NaN
        pair_choice.check_offgrid(requested, grid_step, store.path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # One evaluation per folder at a time: a second would interleave its files with this one's.
    with folder_lock(out, "evaluation"):
        categories = np.asarray(store.categories)
        scorer = Scorer(table, batch_size, device, accuracy)
        step = grid_step if pairs == "offgrid" else None

        predictors = []
        for label, spec in zip(_labels([str(m) for m in models]), models):
            model = load_model(spec, device=device)
            if model.image_size != store.image_size:
                raise NovelviewError(f"model {spec} draws {model.image_size}x{model.image_size} images but {store.path} "
                                     f"holds {store.image_size}x{store.image_size} ones")
            predictors.append((spec, ModelPredictor(label, model, device)))
        rows = baselines(store)
        results: dict = {"settings": {"data_dir": str(Path(data_dir).resolve()), "split": split, "pairs": pairs,
                                      "elevations": elevations, "elevation_index": elevation_index,
                                      "table": table.describe(), "image_size": store.image_size,
                                      "batch_size": batch_size, "max_pairs": max_pairs, "seed": seed,
                                      "device": str(device), "pair_rule": PAIR_RULE, "aggregation": AGGREGATION},
                         "metrics": {n: {"label": m.label, "description": m.description, "higher_is_better": m.higher_is_better}
                                     for n, m in M.METRICS.items()},
                         "models": {}, "baselines": {}}

        def run(predictor, chosen: Pairs, name: str) -> dict:
            t0 = time.perf_counter()
            entry = summarise(scorer.score(predictor, chosen, name, progress), chosen, categories, step)
            entry["seconds"] = round(time.perf_counter() - t0, 3)
            return entry

        # Every row on the same pairs when the models allow it; else the table says which differ (pair_choice).
        all_pairs = lambda: PairTable(store, split, "all", elevations, elevation_index=elevation_index).all()  # noqa: E731
        baseline_pairs, own, note = pair_choice.plan([p for _, p in predictors], requested, pairs, all_pairs,
                                                     max_pairs, seed)
        if note:
            results["settings"]["table_note"] = note
        for baseline in rows:
            results["baselines"][baseline.label] = {"pairs": baseline_pairs.used,
                                                    **run(baseline, baseline_pairs.pairs, baseline.label)}
            if hasattr(baseline, "mean_of"):  # what the mean view averaged (no training split: the scored models)
                results["baselines"][baseline.label]["mean_of"] = baseline.mean_of(table.models, split)
        pair_sets = {}
        for spec, predictor in predictors:
            choice = own[predictor.label]
            chosen, used = choice.pairs, choice.used
            entry = {"spec": str(spec), "path": str(resolve(spec).resolve()), "model": predictor.model.model_name,
                     "info": getattr(predictor.model, "info", {}), "pairs": used, **run(predictor, chosen, predictor.label)}
            if choice is baseline_pairs:  # the baseline rows' pairs: their numbers stand
                own_baselines = {b: results["baselines"][b]["overall"] for b in results["baselines"]}
            else:
                key = used
                if key not in pair_sets:
                    pair_sets[key] = {b.label: run(b, chosen, b.label)["overall"] for b in rows}
                own_baselines = pair_sets[key]
            entry["baselines_on_these_pairs"] = own_baselines
            entry["beats_baselines"] = {b: beats(entry["overall"], v) for b, v in own_baselines.items()}
            results["models"][predictor.label] = entry

        title = f"{Path(data_dir).name} / {split} / pairs {pairs}, elevations {elevations}"
        figures.plot_error_by_angle(out / "error_by_angle.png", results, title)
        files = {"metrics_json": "metrics.json", "metrics_csv": "metrics.csv", "error_by_angle": "error_by_angle.png"}
        if grid_pairs > 0:
            common = np.ones(len(requested), bool)
            for _, p in predictors:
                common &= p.supports(requested)
            shown = requested.subset(common) if common.any() else requested
            chosen = figures.choose_grid_rows(shown, grid_pairs, seed)
            figures.draw_grid(out / "grid.png", scorer, chosen, [p for _, p in predictors], store, title)
            files["grid"] = "grid.png"
        results["files"] = files
        results["seconds"] = round(time.perf_counter() - started, 3)
        safe = _json_safe(results)
        write_text_atomic(out / "metrics.json", json.dumps(safe, indent=2, allow_nan=False))
        write_csv(out / "metrics.csv", results)
        return results
