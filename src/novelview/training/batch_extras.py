"""Batch extras: what a model family or objective may ask for beside a pair's two images.

A family or objective lists the extras it needs by name (``needs = frozenset({"visibility"})``);
each extra is registered here and says what it takes from the data set, so the data module holds
no switch on names:

- ``reads_depth``: the pair's rendered depth maps are read with its views;
- ``gathers_negatives``: a real view of the same object at another azimuth and another object's
  view at the target pose are gathered with the pair (``wrong_pose``, ``other_object``);
- ``keeps_depth``: the depth maps stay in the batch (``source_depth``, ``target_depth``; they are
  large, so they are dropped unless an extra keeps them);
- ``add(batch, store)``: computes the extra on the device from what the batch holds.

A new kind of input is one ``register_extra(BatchExtra(...))``, in this file or the family's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from novelview.data.visibility import true_visibility
from novelview.errors import NovelviewError


@dataclass(frozen=True)
class BatchExtra:
    name: str
    reads_depth: bool = False
    gathers_negatives: bool = False
    keeps_depth: bool = False
    add: Callable[[dict, object], None] | None = None


BATCH_EXTRAS: dict[str, BatchExtra] = {}


def register_extra(extra: BatchExtra) -> BatchExtra:
    if extra.name in BATCH_EXTRAS:
        raise ValueError(f"batch extra {extra.name!r} is registered twice")
    BATCH_EXTRAS[extra.name] = extra
    return extra


def extras_for(needs) -> list[BatchExtra]:
    """The registered extras named in ``needs``; one line naming the known ones for an unknown name."""
    unknown = sorted(set(needs) - set(BATCH_EXTRAS))
    if unknown:
        raise NovelviewError(f"unknown batch extra {unknown[0]!r} in a model's or objective's needs: "
                             f"known are {', '.join(sorted(BATCH_EXTRAS))} (novelview.training.batch_extras)")
    return [BATCH_EXTRAS[name] for name in sorted(set(needs))]


def _visibility(batch: dict, store) -> None:
    """Which source pixels the target view sees, reprojected through the data set's camera."""
    if "source_depth" in batch:
        settings = store.settings
        batch["visibility"] = true_visibility(
            batch["source_depth"], batch["target_depth"], batch["source_azimuth"], batch["source_elevation"],
            batch["target_azimuth"], batch["target_elevation"], settings.camera_distance, settings.margin)


register_extra(BatchExtra("depth", reads_depth=True, keeps_depth=True))
register_extra(BatchExtra("visibility", reads_depth=True, add=_visibility))
register_extra(BatchExtra("negatives", gathers_negatives=True))
