"""Evaluate trained models on a data set folder: metrics overall, per category and per rotation, and figures.

``evaluate(data_dir, models, out_dir)`` writes into ``out_dir``:

- ``metrics.json``: the settings, and for each model its pairs and every metric of
  ``novelview.metrics`` overall, per category and per rotation angle (degrees, as strings);
- ``metrics.csv``: one row per (model, group, key): group is ``overall``, ``category`` or
  ``rotation``; columns ``n_pairs`` and each metric;
- ``error_by_angle.png``: full-image L1 against the rotation angle, one line per model (a model that
  produces a single rotation, like the autoencoder, is one marker);
- ``grid.png``: rows = test pairs, columns = input, target and each model's output (and, see below,
  sometimes ``grid_<pairs>.png``).

Which pairs a model is evaluated on (the rule, also written to metrics.json as ``pair_rule``):

1. The pair table of the requested mode (``novelview.data.pairs``: ``fixed``, ``from_zero`` or
   ``all``) over the split's models, at one elevation, is built once.
2. A model that supports every rotation in that table (the pose encoder and the GAN: 0..350) is
   evaluated on it as it is.
3. A model that supports only some rotations (the autoencoder: +30 degrees) is evaluated on every
   (source, target) pair of the split whose rotation it supports, i.e. the ``all`` table filtered
   to its rotations. For a single rotation this is exactly the ``fixed`` mode (every source azimuth
   j -> j + 30 degrees, 36 pairs per object): the autoencoder's own task as the original trained it,
   with about as many pairs per object as the pose models get from ``from_zero`` (35), instead of
   the single 0 -> 30 pair per object that filtering ``from_zero`` would leave. Each model's JSON
   entry says which pairs it got (``pairs``) and how many (``n_pairs``).
4. ``max_pairs`` subsamples each model's table (seeded by ``seed``, without replacement, kept in
   table order); models with the same table get the same subsample.

Grids: ``grid.png`` shows every model side by side on ``grid_pairs`` pairs that every model
supports, chosen (seeded) from the table rule 1-3 gives for the rotations all models share, one
pair per object where there are enough objects. With the autoencoder among the models that means
+30 degree pairs from random source azimuths; then, because +30 says little about a pose model,
``grid_<pairs>.png`` also shows the requested pairs (e.g. 0 -> 10..350) for the models that support
them. If the models share no rotation, ``grid.png`` uses the requested pairs and leaves a grey
"n/a" cell where a model cannot produce the pair.

Aggregation: every number is the mean over the pairs of the group of the per-pair metric
(``novelview.metrics.aggregate``): NaN (target without foreground, masked metrics) and +inf (PSNR of
a perfect prediction) are left out and counted in ``left_out``.
"""

from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from novelview import figures
from novelview import metrics as M
from novelview.data.pairs import MODES, pair_table
from novelview.data.store import ViewStore
from novelview.errors import NovelviewError
from novelview.images import alpha_of, to_model_input
from novelview.models.io import load_model, resolve

PAIR_RULE = (
    "A model that supports every rotation of the requested pair mode is evaluated on that mode's pairs. "
    "A model that supports only some rotations (the autoencoder: +30 degrees) is evaluated on every "
    "(source, target) pair of the split whose rotation it supports (the 'all' table filtered to its "
    "rotations; for one rotation that is the 'fixed' mode: every source azimuth j -> j + rotation). "
    "max_pairs subsamples each model's table, seeded, the same subsample for models with the same table."
)
AGGREGATION = (
    "Mean over pairs of the per-pair metric; NaN (empty target mask, masked metrics) and +inf (PSNR of "
    "identical images) are left out and counted in 'left_out'. PSNR is the mean of per-image PSNR."
)


def _angle_key(deg: float) -> str:
    return f"{deg:g}"


def _rot_set(rotations) -> set[float]:
    return {round(float(r) % 360.0, 6) for r in rotations}


class _Pairs:
    """Pair tables over one split of a store, at one elevation."""

    def __init__(self, store: ViewStore, split: str, mode: str, elevation_index: int):
        if mode not in MODES:
            raise NovelviewError(f"unknown pair mode {mode!r}: choose from {', '.join(MODES)}")
        self.store = store
        self.rows = np.asarray(store.indices(split), np.int64)
        if len(self.rows) == 0:
            raise NovelviewError(f"the {split!r} split of {store.path} holds no models: choose another --split")
        if not 0 <= elevation_index < store.views.shape[1]:
            raise NovelviewError(f"elevation index {elevation_index} out of range: the data set has "
                                 f"{store.views.shape[1]} elevations")
        self.mode = mode
        self.azimuths = store.num_azimuths
        self.step = 360.0 / self.azimuths
        self.requested = self.table(mode)

    def table(self, mode: str) -> np.ndarray:
        t = pair_table(len(self.rows), self.azimuths, mode)
        t[:, 0] = self.rows[t[:, 0]]
        return t

    def rotation_deg(self, table: np.ndarray) -> np.ndarray:
        return ((table[:, 2] - table[:, 1]) % self.azimuths) * self.step

    def for_rotations(self, supported) -> tuple[np.ndarray, str]:
        """The pair rule (module docstring) for a model supporting ``supported`` degrees."""
        supported = _rot_set(supported)
        rot = np.round(self.rotation_deg(self.requested), 6)
        if all(r in supported for r in np.unique(rot)):
            return self.requested, self.mode
        full = self.table("all")
        keep = np.isin(np.round(self.rotation_deg(full), 6), sorted(supported))
        table = full[keep]
        kept = sorted({float(r) for r in np.round(self.rotation_deg(table), 6)})
        if len(kept) == 1:
            return table, f"fixed (every source azimuth -> +{kept[0]:g} deg)"
        return table, "all, filtered to rotations " + ", ".join(f"{r:g}" for r in kept)


def _subsample(table: np.ndarray, max_pairs: int | None, seed: int) -> np.ndarray:
    if max_pairs is None or len(table) <= max_pairs:
        return table
    if max_pairs < 1:
        raise NovelviewError("max_pairs must be at least 1")
    pick = np.sort(np.random.default_rng(seed).choice(len(table), size=max_pairs, replace=False))
    return table[pick]


def _gather(store: ViewStore, table: np.ndarray, elevation_index: int):
    """A batch of pairs at once by fancy indexing of the memory-mapped views."""
    src = np.asarray(store.views[table[:, 0], elevation_index, table[:, 1]])
    tgt = np.asarray(store.views[table[:, 0], elevation_index, table[:, 2]])
    return to_model_input(src), to_model_input(tgt), alpha_of(tgt)


@torch.no_grad()
def _run_model(model, store, pairs: _Pairs, table, elevation_index, batch_size, device, desc, progress):
    """Per-pair metric values, {name: (P,) float64 array}."""
    rot = pairs.rotation_deg(table)
    chunks: dict[str, list[np.ndarray]] = {}
    starts = range(0, len(table), batch_size)
    for s in tqdm(starts, desc=desc, unit="batch", disable=not progress, leave=False):
        batch = table[s : s + batch_size]
        source, target, alpha = _gather(store, batch, elevation_index)
        source, target, alpha = source.to(device), target.to(device), alpha.to(device)
        pred = model.predict(source, torch.from_numpy(rot[s : s + batch_size]))
        for name, values in M.compute_all(pred, target, alpha).items():
            chunks.setdefault(name, []).append(values.double().cpu().numpy())
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


def _group(per_pair: dict, keys: np.ndarray, order) -> dict:
    out = {}
    for key in order:
        sel = keys == key
        out[str(key)] = M.aggregate({n: torch.from_numpy(v[sel]) for n, v in per_pair.items()})
    return out


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


def _json_safe(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return _json_safe(float(obj))
    return obj


def _write_csv(path: Path, results: dict, names: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "group", "key", "n_pairs", *names])
        for label, r in results["models"].items():
            groups = [("overall", {"all": r["overall"]}), ("category", r["by_category"]),
                      ("rotation", r["by_rotation"])]
            for group, entries in groups:
                for key, vals in entries.items():
                    w.writerow([label, group, key, vals["n_pairs"],
                                *[f"{vals[n]:.6g}" if n in vals else "" for n in names]])


def _grid(path: Path, store: ViewStore, pairs: _Pairs, rows_table, loaded, labels, elevation_index, device, title):
    """Gather the grid's pairs and hand them to ``figures.draw_grid``."""
    source, target, _ = _gather(store, rows_table, elevation_index)
    rot = pairs.rotation_deg(rows_table)
    row_labels = [f"{store.categories[int(m)]}\n{store.azimuth_degrees[int(s)]:g}° → "
                  f"{store.azimuth_degrees[int(t)]:g}°\n(+{rot[r]:g}°)" for r, (m, s, t) in enumerate(rows_table)]
    figures.draw_grid(path, source, target, rot, row_labels, loaded, labels, device, title)


def evaluate(data_dir, models: list[str], out_dir, split: str = "test", pairs: str = "from_zero",
             batch_size: int = 256, max_pairs: int | None = None, seed: int = 0, grid_pairs: int = 8,
             progress: bool = True, *, elevation_index: int = 0, device: str = "cpu") -> dict:
    """Evaluate each model (shipped name or export folder) on the split's pairs; write the report files.

    Returns the results (the content of metrics.json, with non-finite numbers as floats where the
    file holds null). See the module docstring for which pairs each model gets and how numbers are
    aggregated.
    """
    if not models:
        raise NovelviewError("give at least one model to evaluate")
    if batch_size < 1:
        raise NovelviewError("batch_size must be at least 1")
    started = time.perf_counter()
    store = ViewStore(data_dir)
    pair_sets = _Pairs(store, split, pairs, elevation_index)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = _labels([str(m) for m in models])
    categories = np.asarray(store.categories)

    loaded = []
    for spec in models:
        model = load_model(spec, device=device)
        size = model.config.get("image_size")
        if size is not None and size != store.image_size:
            raise NovelviewError(f"model {spec} was built for {size}x{size} images but {store.path} holds "
                                 f"{store.image_size}x{store.image_size} ones")
        loaded.append(model)

    results: dict = {
        "settings": {
            "data_dir": str(Path(data_dir).resolve()),
            "split": split,
            "pairs": pairs,
            "elevation_index": elevation_index,
            "elevation_deg": store.elevation_degrees[elevation_index],
            "azimuths": store.num_azimuths,
            "image_size": store.image_size,
            "split_models": int(len(pair_sets.rows)),
            "batch_size": batch_size,
            "max_pairs": max_pairs,
            "seed": seed,
            "grid_pairs": grid_pairs,
            "device": str(device),
            "pair_rule": PAIR_RULE,
            "aggregation": AGGREGATION,
        },
        "metrics": {name: (fn.__doc__ or "").strip().splitlines()[0] for name, fn in M.METRICS.items()},
        "higher_is_better": dict(M.HIGHER_IS_BETTER),
        "models": {},
    }
    for label, spec, model in zip(labels, models, loaded):
        table, mode_used = pair_sets.for_rotations(model.supported_rotations())
        table = _subsample(table, max_pairs, seed)
        t0 = time.perf_counter()
        per_pair = _run_model(model, store, pair_sets, table, elevation_index, batch_size, device,
                              f"evaluate {label}", progress)
        seconds = time.perf_counter() - t0
        rot = np.round(pair_sets.rotation_deg(table), 6)
        rot_keys = np.asarray([_angle_key(r) for r in rot])
        rot_order = [_angle_key(r) for r in sorted(set(rot.tolist()))]
        cats = categories[table[:, 0]]
        results["models"][label] = {
            "spec": str(spec),
            "path": str(resolve(spec).resolve()),
            "model": model.model_name,
            "info": getattr(model, "info", {}),
            "supported_rotations": [float(r) for r in model.supported_rotations()],
            "pairs": mode_used,
            "n_pairs": int(len(table)),
            "n_objects": int(len(np.unique(table[:, 0]))),
            "seconds": round(seconds, 3),
            "pairs_per_second": round(len(table) / seconds, 1) if seconds > 0 else None,
            "overall": M.aggregate({n: torch.from_numpy(v) for n, v in per_pair.items()}),
            "by_category": _group(per_pair, cats, sorted(set(cats.tolist()))),
            "by_rotation": _group(per_pair, rot_keys, rot_order),
        }

    # Figures.
    title = f"{Path(data_dir).name} / {split} / pairs {pairs}"
    files = {"metrics_json": "metrics.json", "metrics_csv": "metrics.csv",
             "error_by_angle": "error_by_angle.png", "grid": "grid.png"}
    figures.plot_error_by_angle(out / "error_by_angle.png", results, title)
    common = set.intersection(*[_rot_set(m.supported_rotations()) for m in loaded])
    requested_rots = _rot_set(pair_sets.rotation_deg(pair_sets.requested))
    if common:
        grid_table, grid_mode = pair_sets.for_rotations(common)
    else:
        grid_table, grid_mode = pair_sets.requested, pairs
    grid_info = {"pairs": grid_mode}
    if grid_pairs > 0:
        rows = figures.choose_grid_rows(grid_table, grid_pairs, seed)
        _grid(out / "grid.png", store, pair_sets, rows, loaded, labels, elevation_index, device,
              f"{title}; grid pairs: {grid_mode}")
        grid_info["rows"] = rows.tolist()
        if common and not requested_rots <= common:
            # Some model is restricted (the autoencoder): also show the requested pairs for the others.
            keep = [i for i, m in enumerate(loaded) if requested_rots <= _rot_set(m.supported_rotations())]
            if keep:
                name = f"grid_{pairs}.png"
                rows2 = figures.choose_grid_rows(pair_sets.requested, grid_pairs, seed)
                _grid(out / name, store, pair_sets, rows2, [loaded[i] for i in keep],
                      [labels[i] for i in keep], elevation_index, device, f"{title}; grid pairs: {pairs}")
                files["grid_requested_pairs"] = name
                grid_info["requested_pairs_rows"] = rows2.tolist()
    else:
        files.pop("grid")
    results["grid"] = grid_info
    results["files"] = files
    results["seconds"] = round(time.perf_counter() - started, 3)

    (out / "metrics.json").write_text(json.dumps(_json_safe(results), indent=2, allow_nan=False))
    _write_csv(out / "metrics.csv", results, list(M.METRICS))
    return results
