"""Which pairs each row of an evaluation table is scored on.

A table that compares rows scored on different pairs compares nothing: a model able to take only
21 of 60 pairs (say, small elevation changes) must not sit beside a ``copy_input`` row scored on
all 60. So every row of a table is scored on the same pairs whenever the models allow it:

- ``shared``: the requested pairs every model can take, when there are at least two per object;
  else every pair of the ``all`` table every model can take (seeded subsample of ``max_pairs``).
  Every model and every baseline is scored on exactly these.
- A model that cannot take two requested pairs per object even alone (the autoencoder: +30
  degrees only) would shrink every other row to its few rotations; it is left out of the shared
  pairs and scored on its own (every pair of the ``all`` table it can take). The table then counts
  each row's pairs and a note (``table_note``) says which rows differ and why; its mark compares
  it with the baselines scored again on its pairs.

``offgrid`` needs rotations both on and off the training grid: ``check_offgrid`` refuses a set
that has none off it (a 36-azimuth set with a 10-degree grid) instead of reporting NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from novelview.data.pairs import Pairs
from novelview.errors import NovelviewError

ENOUGH_PER_OBJECT = 2  # fewer usable pairs per object than this: use the 'all' table instead


@dataclass
class Choice:
    pairs: Pairs
    used: str  # how they were chosen, as the table and metrics.json say it
    fallback: bool = False  # too few requested pairs: taken from the 'all' table instead


def _supported(predictors: list, pairs: Pairs) -> np.ndarray:
    keep = np.ones(len(pairs), bool)
    for predictor in predictors:
        keep &= np.asarray(predictor.supports(pairs), bool)
    return keep


def _rotations(pairs: Pairs) -> str:
    rotations = sorted({round(float(r), 3) for r in pairs.rotation_deg})
    return ", ".join(f"{r:g}" for r in rotations[:8]) + (", ..." if len(rotations) > 8 else "")


def choose(predictors: list, requested: Pairs, mode: str, all_pairs: Callable[[], Pairs],
           max_pairs: int | None, seed: int, who: str = "every model") -> Choice | None:
    """The pairs ``predictors`` can all take by the rule above, or None when they share none."""
    keep = _supported(predictors, requested)
    if keep.all():
        return Choice(requested, mode)
    per_object = keep.sum() / max(1, len(np.unique(requested.model)))
    if per_object >= ENOUGH_PER_OBJECT:
        return Choice(requested.subset(keep), f"{mode}, the {int(keep.sum())} of {len(keep)} pairs {who} can take")
    everything = all_pairs()
    chosen = everything.subset(_supported(predictors, everything))
    if len(chosen) == 0:
        return None
    if max_pairs and len(chosen) > max_pairs:
        pick = np.sort(np.random.default_rng(seed).choice(len(chosen), max_pairs, replace=False))
        chosen = chosen.subset(pick)
    return Choice(chosen, "all, filtered to rotations " + _rotations(chosen), fallback=True)


def plan(predictors: list, requested: Pairs, mode: str, all_pairs: Callable[[], Pairs], max_pairs: int | None,
         seed: int) -> tuple[Choice, dict[str, Choice], str | None]:
    """(the baselines' pairs, each model's pairs by label, a note when the rows differ) by the rule above."""
    own = {p.label: choose([p], requested, mode, all_pairs, max_pairs, seed, "it") for p in predictors}
    for p in predictors:
        if own[p.label] is None:
            raise NovelviewError(f"{p.label} can take none of the poses of the requested pairs or of the 'all' pairs "
                                 f"of this split")
    regular = [p for p in predictors if not own[p.label].fallback] or predictors
    shared = choose(regular, requested, mode, all_pairs, max_pairs, seed, "it" if len(regular) == 1 else "every model")
    if shared is None:  # the models share no pair at all: each on its own, the baselines on the requested ones
        shared = Choice(requested, mode)
        apart = predictors
    else:
        apart = [p for p in predictors if p not in regular]
        own.update({p.label: shared for p in regular})
    if not apart:
        return shared, own, None
    described = "; ".join(f"{p.label}: {len(own[p.label].pairs)} pairs ({own[p.label].used})" for p in apart)
    note = (f"rows differ in pairs: {described}, as too few of the {mode} pairs suit "
            f"{'it' if len(apart) == 1 else 'them'}; every other row is scored on the same "
            f"{len(shared.pairs)} pairs ({shared.used}), and the mark of a row apart compares it with the baselines "
            f"scored again on its own pairs (baselines_on_these_pairs in metrics.json)")
    return shared, own, note


def check_offgrid(requested: Pairs, grid_step: float, data_dir) -> None:
    """Refuse offgrid pairs on a set without rotations both off and on the grid (else the test is NaN)."""
    rotation = np.round(requested.rotation_deg, 3)
    off = np.abs((rotation + grid_step / 2) % grid_step - grid_step / 2) > 1e-3
    if not off.any():
        raise NovelviewError(
            f"--pairs offgrid: {data_dir} has no rotations off the {grid_step:g}-degree grid to compare: render a set "
            f"with a finer grid (e.g. --azimuths {round(720 / grid_step)}) or --azimuth-jitter, or use --pairs "
            f"from_zero here")
    if off.all():
        raise NovelviewError(
            f"--pairs offgrid: {data_dir} has no rotations on the {grid_step:g}-degree grid to compare with: give the "
            f"--grid-step the model was trained on, or use --pairs from_zero here")
