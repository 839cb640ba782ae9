"""Scoring one predictor on a set of pairs: every registered metric, per pair.

Pairs are visited in full batches sorted by target view (elevation and grid azimuth), so the
identity gallery (every object of the split at that view) is read about once per view; the pose
galleries (an object at every azimuth of one elevation) are converted once and kept. Views come
from the file by plain reads (``FileViews``), as in training.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from tqdm import tqdm

from novelview import metrics as M
from novelview.data.batches import FileViews
from novelview.data.pairs import Pairs, PairTable
from novelview.images import views_to_model
from novelview.metrics.accuracy import identity_accuracy, pose_accuracy

GALLERY_CHUNK = 32  # pairs whose pose galleries are compared at once (36 views each)
GALLERY_CACHE = 400  # objects x elevations whose galleries are kept converted (~1.8 MB each at 64x64)


class Scorer:
    """Reads views of one split for scoring; ``score(predictor, pairs)`` -> {metric: (P,) array}."""

    def __init__(self, table: PairTable, batch_size: int = 256, device="cpu", accuracy: bool = True):
        self.table, self.batch_size, self.device, self.accuracy = table, batch_size, device, accuracy
        self.files = FileViews(table.store.views)
        self.azimuths = table.store.view_azimuths()  # (M, E, A) exact angles
        # Every predictor is scored against the same galleries: convert each object's once.
        self._galleries: OrderedDict[tuple[int, int], torch.Tensor] = OrderedDict()
        self._candidate_cache: OrderedDict[int, torch.Tensor] = OrderedDict()

    def images(self, view_ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        rgb, alpha = views_to_model(torch.from_numpy(self.files.gather(view_ids)))
        return rgb.to(self.device), alpha.to(self.device)

    def _view_id(self, model, elevation, azimuth):
        t = self.table
        return (np.asarray(model) * t.num_elevations + elevation) * t.num_azimuths + azimuth

    @torch.no_grad()
    def score(self, predictor, pairs: Pairs, desc: str = "", progress: bool = False) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        groups = pairs.target_elevation_index * self.table.num_azimuths + pairs.target_azimuth_index
        order = np.argsort(groups, kind="stable")  # by target view: each identity gallery is read once
        bar = tqdm(total=len(pairs), desc=desc, unit="pair", disable=not progress, leave=False)
        for start in range(0, len(pairs), self.batch_size):
            index = order[start:start + self.batch_size]
            values = self._score_batch(predictor, pairs.subset(index), groups[index])
            for name, v in values.items():
                out.setdefault(name, np.empty(len(pairs)))[index] = v
            bar.update(len(index))
        bar.close()
        return out

    def _score_batch(self, predictor, batch: Pairs, groups: np.ndarray) -> dict[str, np.ndarray]:
        source, _ = self.images(batch.source_view)
        target, alpha = self.images(batch.target_view)
        pred = predictor.predict(source, batch).float()
        values = {k: v.double().cpu().numpy() for k, v in M.compute_all(pred, target, alpha).items()}
        if self.accuracy:
            identity = np.empty(len(batch))
            for group in np.unique(groups):
                rows = np.flatnonzero(groups == group)
                candidates = self._candidates(int(group))
                own = torch.from_numpy(np.searchsorted(self.table.models, batch.model[rows])).to(pred.device)
                identity[rows] = identity_accuracy(pred[torch.from_numpy(rows)], candidates, own).cpu().numpy()
            values["identity_accuracy"] = identity
            values["pose_accuracy"] = self._pose_accuracy(pred, batch)
        return values

    def _candidates(self, group: int) -> torch.Tensor:
        """Every object of the split at one target view (elevation, grid azimuth), the last few kept."""
        if group not in self._candidate_cache:
            e, a = divmod(group, self.table.num_azimuths)
            self._candidate_cache[group] = self.images(self._view_id(self.table.models, e, a))[0]
            if len(self._candidate_cache) > 4:
                self._candidate_cache.popitem(last=False)
        return self._candidate_cache[group]

    def _gallery(self, model: int, elevation: int) -> torch.Tensor:
        """(A, 3, H, W): one object's views at every azimuth of one elevation."""
        key = (model, elevation)
        if key not in self._galleries:
            ids = self._view_id(model, elevation, np.arange(self.table.num_azimuths))
            self._galleries[key] = self.images(ids)[0]
            if len(self._galleries) > GALLERY_CACHE:
                self._galleries.popitem(last=False)
        self._galleries.move_to_end(key)
        return self._galleries[key]

    def _pose_accuracy(self, pred: torch.Tensor, batch: Pairs) -> np.ndarray:
        result = []
        for start in range(0, len(batch), GALLERY_CHUNK):
            part = batch.subset(slice(start, start + GALLERY_CHUNK))
            gallery = torch.stack([self._gallery(int(m), int(e)) for m, e in
                                   zip(part.model, part.target_elevation_index)]).to(pred.device)
            angles = torch.from_numpy(self.azimuths[part.model, part.target_elevation_index]).to(pred.device)
            target = torch.from_numpy(part.target_azimuth).to(pred.device)
            chunk = pose_accuracy(pred[start:start + GALLERY_CHUNK], gallery, angles.float(), target.float())
            result.append(chunk.cpu().numpy())
        return np.concatenate(result)
