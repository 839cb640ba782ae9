"""Train / val / test splits by model: made from seeded shares or a user's file, and checked on read.

``split.json`` holds model indices into views.npy. A split that names an index out of range, a
negative one (which numpy would quietly read from the end) or one model in two parts is refused,
since it would put training models into the test set.

Some sources ship a fixed split by model id (``splits/``; for ``sh3d`` the whole Sweet Home 3D
library, written by benchmarks/sh3d_objects_split.py), so that every release tests on the same
unseen models: without ``--split-file`` a model named there goes to its part, whatever the seed and
shares, and only the models it does not name (a newer library) are split by the seeded shares.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from novelview.errors import NovelviewError

SPLIT_NAMES = ("train", "val", "test")
SHIPPED_SPLIT_FOLDER = Path(__file__).resolve().parent / "splits"
SHIPPED_SPLITS = {"sh3d": "sh3d_objects.json"}  # source kind -> its fixed split by model id


def read_split_file(path: str, known_ids: list[str]) -> dict[str, list[str]]:
    """The user's split file as {train, val, test: [model ids]}, checked against the source's models."""
    try:
        given = json.loads(Path(path).read_text(encoding="utf-8-sig"))  # a BOM, as Notepad writes it, is fine
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NovelviewError(f"cannot read split file {path}: {exc}") from None
    if not isinstance(given, dict) or not set(given) & set(SPLIT_NAMES) or not all(
        isinstance(given.get(name, []), list) and all(isinstance(m, str) for m in given.get(name, []))
        for name in SPLIT_NAMES
    ):
        raise NovelviewError(f"split file {path} must be JSON like {{\"train\": [model ids], \"val\": [...], \"test\": [...]}}")
    known = set(known_ids)
    seen: dict[str, str] = {}
    for name in SPLIT_NAMES:
        for m in given.get(name, []):
            if m not in known:
                raise NovelviewError(f"split file {path} names models not in the data set, e.g. {m!r}")
            if seen.setdefault(m, name) != name:
                raise NovelviewError(f"split file {path} puts model {m!r} in both {seen[m]} and {name}")
    return {name: list(given.get(name, [])) for name in SPLIT_NAMES}


def make_split(model_ids: list[str], job, source_ids: list[str] | None = None) -> dict:
    """Indices of train / val / test: a seeded shuffle by model, or the user's split file of model ids.

    ``job`` is a RenderJob (seed, val_share, test_share, split_file). ``source_ids`` (all models of
    the source, skipped ones included) may be named in the split file; the skipped ones are left
    out, as they have no views.
    """
    if job.split_file:
        given = read_split_file(job.split_file, source_ids if source_ids is not None else model_ids)
        index = {m: i for i, m in enumerate(model_ids)}
        return {name: sorted(index[m] for m in ids if m in index) for name, ids in given.items()}
    shipped = shipped_split(job.source)
    if shipped:
        rest = [i for i, m in enumerate(model_ids) if m not in shipped]
        seeded = _seeded_split(len(rest), job)
        return {name: sorted([i for i, m in enumerate(model_ids) if shipped.get(m) == name]
                             + [rest[j] for j in seeded[name]]) for name in SPLIT_NAMES}
    return _seeded_split(len(model_ids), job)


def _seeded_split(count: int, job) -> dict:
    order = np.random.default_rng(job.seed).permutation(count)
    n_test = int(round(len(order) * job.test_share))
    n_val = int(round(len(order) * job.val_share))
    return {
        "train": sorted(order[n_test + n_val :].tolist()),
        "val": sorted(order[n_test : n_test + n_val].tolist()),
        "test": sorted(order[:n_test].tolist()),
    }


def shipped_split(source: str) -> dict[str, str]:
    """Model id -> part for the split shipped with the source's kind ({} when it has none)."""
    name = SHIPPED_SPLITS.get(source.partition(":")[0])
    path = SHIPPED_SPLIT_FOLDER / name if name else None
    if path is None or not path.is_file():
        return {}
    given = json.loads(path.read_text())
    return {m: part for part in SPLIT_NAMES for m in given.get(part, [])}


def split_problem(split: dict, num_models: int) -> str | None:
    """Why ``split`` (as read from split.json) is unusable for ``num_models`` models, or None."""
    unknown = sorted(set(split) - set(SPLIT_NAMES))
    if unknown:
        return f"unknown part {unknown[0]!r}: only train, val and test"
    if "train" not in split:
        return "no train list"
    owner: dict[int, str] = {}
    for name in SPLIT_NAMES:
        indices = split.get(name, [])
        if not isinstance(indices, list):
            return f"{name} is not a list of model indices"
        for i in indices:
            if not isinstance(i, int) or isinstance(i, bool):
                return f"{name} holds {i!r}, not a model index"
            if not 0 <= i < num_models:
                return f"{name} index {i} is out of range: the data set has {num_models} models, 0..{num_models - 1}"
            if owner.setdefault(i, name) != name:
                return f"model {i} is in both {owner[i]} and {name}"
    return None
