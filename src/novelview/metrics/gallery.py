"""The true views of a split, held once per evaluation, that pose and identity accuracy compare outputs with.

Pose accuracy compares each output with its own object's views at the target elevation (every
azimuth); identity accuracy with every object's view at the target elevation and grid azimuth
(``novelview.metrics.accuracy`` defines both). Both are L1 distances (mean |difference| on
[-1, 1]) over whole images, so the old way, one object's 36 views stacked per pair and compared
element by element, copied and compared the same views again for every pair and every predictor.

Here the views of one elevation (every object of the split at every azimuth) are read once, as
one float32 matrix per object, (objects, azimuths, 3 * H * W), and kept while the evaluation's
pairs target that elevation (the last two elevations used are kept); evaluation visits pairs
sorted by target view, so a set of one or two elevations is read once per evaluation, whatever
the number of predictors, and a set of more once per predictor. Each batch of outputs is then compared
with ``torch.cdist(p=1)``, one call per object (pose) or per target view (identity), without copies.
Which true views look the same (``TWIN_L1``) depends on the views alone: it is worked out once per
elevation, for every object, instead of once per pair.

Memory: objects x azimuths x 3 x H x W x 4 bytes per elevation kept (141 MB for 80 objects of 36
views at 64x64), plus the float copy of READ_CHUNK objects while one is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

TWIN_L1 = 0.005  # see novelview.metrics.accuracy: two true views closer than this are the same picture
READ_CHUNK = 16  # objects read and converted at once: the float copy of a chunk is all that is extra
# Elevations kept: a batch of pairs sorted by target view spans at most two, and pose and identity
# accuracy each visit both; keeping two reads each elevation once per predictor.
KEEP = 2


@dataclass(frozen=True)
class Targets:
    """Each pair's target: its object (a row of the gallery), elevation and grid azimuth (indices into
    the data set's grid) and its exact azimuth in degrees; all (N,) tensors."""

    object_row: torch.Tensor
    elevation_index: torch.Tensor
    azimuth_index: torch.Tensor
    azimuth_deg: torch.Tensor


class Gallery:
    """Every object's true views, one elevation at a time; see the module docstring.

    ``read(elevation, object_rows)`` -> (len(object_rows), A, 3, H, W) float32 views on [-1, 1];
    ``azimuth_deg`` (objects, elevations, A): each view's exact azimuth.
    """

    def __init__(self, read: Callable[[int, range], torch.Tensor], num_objects: int, azimuth_deg: torch.Tensor):
        self.read, self.num_objects = read, num_objects
        self.azimuth_deg = azimuth_deg.float()
        self._views: dict[int, torch.Tensor] = {}  # elevation -> (objects, A, D), the last KEEP used
        self._twins: dict[int, torch.Tensor] = {}  # elevation -> (objects, A, A) bool: views that look the same

    def views(self, elevation: int) -> torch.Tensor:
        """(objects, A, D) float32: every object's views at one elevation, read on the first call for it."""
        if elevation not in self._views:
            while len(self._views) >= KEEP:  # the least recently used elevation's memory first
                oldest = next(iter(self._views))
                del self._views[oldest]
                self._twins.pop(oldest, None)
            block = None
            for start in range(0, self.num_objects, READ_CHUNK):
                part = self.read(elevation, range(start, min(start + READ_CHUNK, self.num_objects))).float()
                if block is None:
                    block = torch.empty((self.num_objects, part.shape[1], part[0, 0].numel()), device=part.device)
                block[start:start + len(part)] = part.flatten(2)
            self._views[elevation] = block
        self._views[elevation] = self._views.pop(elevation)  # most recently used last
        return self._views[elevation]

    def twins(self, elevation: int) -> torch.Tensor:
        """(objects, A, A) bool: view i of an object looks the same as its view j (the diagonal too)."""
        views = self.views(elevation)
        if elevation not in self._twins:
            self._twins[elevation] = torch.stack([torch.cdist(v, v, p=1) / v.shape[-1] <= TWIN_L1 for v in views])
        return self._twins[elevation]

    def pose_distances(self, pred: torch.Tensor, targets: Targets) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each output against its own object's views at the target elevation: L1 distance (N, A),
        which of those views look the same as each one (N, A, A) and their azimuths (N, A)."""
        flat = pred.float().flatten(1)
        a = self.azimuth_deg.shape[-1]
        distance = torch.empty((len(flat), a), device=flat.device)
        twins = torch.empty((len(flat), a, a), dtype=torch.bool, device=flat.device)
        elevation_index, object_row = targets.elevation_index.cpu().long(), targets.object_row.cpu().long()
        for elevation in torch.unique(elevation_index).tolist():
            rows = torch.nonzero(elevation_index == elevation).flatten()
            rows = rows[torch.argsort(object_row[rows], stable=True)]  # runs of one object
            objects = object_row[rows]
            views, outputs = self.views(elevation), flat[rows]
            part = torch.empty((len(rows), a), device=flat.device)
            # One cdist per run of rows of one object, on slices: no copy of any object's views.
            bounds = torch.nonzero(objects[1:] != objects[:-1]).flatten().add(1).tolist()
            for start, stop in zip([0, *bounds], [*bounds, len(rows)]):
                part[start:stop] = torch.cdist(outputs[start:stop], views[int(objects[start])], p=1)
            distance[rows] = part / views.shape[-1]
            twins[rows] = self.twins(elevation)[objects]
        azimuth = self.azimuth_deg[object_row, elevation_index].to(flat.device)
        return distance, twins, azimuth

    def identity_distances(self, pred: torch.Tensor, targets: Targets) -> torch.Tensor:
        """Each output against every object's view at its target elevation and grid azimuth: (N, objects)."""
        flat = pred.float().flatten(1)
        distance = torch.empty((len(flat), self.num_objects), device=flat.device)
        for elevation, azimuth, rows in _groups(targets.elevation_index, targets.azimuth_index):
            candidates = self.views(elevation)[:, azimuth]  # (objects, D), strided: cdist reads it as it is
            distance[rows] = torch.cdist(flat[rows], candidates, p=1)
        return distance


def _groups(first: torch.Tensor, second: torch.Tensor):
    """(first, second, rows) for each distinct pair of values, sorted by first then second: one elevation's
    views are read once for all its groups."""
    first, second = first.cpu().long(), second.cpu().long()
    key = first * (int(second.max()) + 1 if len(second) else 1) + second
    for value in torch.unique(key).tolist():
        rows = torch.nonzero(key == value).flatten()
        yield int(first[rows[0]]), int(second[rows[0]]), rows
