"""Scoring one predictor on a set of pairs: every registered metric, per pair.

Each batch of outputs becomes one ``MetricContext`` (``novelview.metrics.registry``) and every
registered metric reads what it needs from it. Pose and identity accuracy compare outputs with the
split's true views: the ``Gallery`` (``novelview.metrics.gallery``) reads them once per elevation
and evaluation, as float32 matrices, and compares each batch with ``torch.cdist``; the Scorer keeps
it, so every predictor scored by one Scorer uses the same read. Pairs are visited in full batches
sorted by target view (elevation, then grid azimuth), so each elevation's views are read once;
the model draws each batch in chunks of ``PREDICT_CHUNK`` pairs, which bounds its memory.
Views come from the file by plain reads (``FileViews``), as in training.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from novelview import metrics as M
from novelview.data.batches import FileViews
from novelview.data.pairs import Pairs, PairTable
from novelview.images import views_to_model
from novelview.metrics.gallery import Gallery, Targets

# Pairs a model draws at once within a batch: its activations for a whole batch of 256 were most of
# an evaluation's memory (about 5 MB a pair for the default model). The metrics take the whole
# batch: on a CPU they were three times slower in chunks of 64.
PREDICT_CHUNK = 64


class Scorer:
    """Reads views of one split for scoring; ``score(predictor, pairs)`` -> {metric: (P,) array}."""

    def __init__(self, table: PairTable, batch_size: int = 256, device="cpu", accuracy: bool = True):
        self.table, self.batch_size, self.device, self.accuracy = table, batch_size, device, accuracy
        self.files = FileViews(table.store.views)
        self.azimuths = table.store.view_azimuths()  # (M, E, A) exact angles
        split_azimuths = torch.from_numpy(np.asarray(self.azimuths)[table.models])  # (objects, E, A)
        self.gallery = Gallery(self._read_views, len(table.models), split_azimuths) if accuracy else None

    def images(self, view_ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        rgb, alpha = views_to_model(torch.from_numpy(self.files.gather(view_ids)))
        return rgb.to(self.device), alpha.to(self.device)

    def _view_id(self, model, elevation, azimuth):
        t = self.table
        return (np.asarray(model) * t.num_elevations + elevation) * t.num_azimuths + azimuth

    def _read_views(self, elevation: int, object_rows: range) -> torch.Tensor:
        """(objects, A, 3, H, W): some objects of the split (rows of table.models) at every azimuth."""
        models = self.table.models[np.asarray(object_rows)]
        ids = self._view_id(models[:, None], elevation, np.arange(self.table.num_azimuths)[None])
        rgb = self.images(ids.reshape(-1))[0]
        return rgb.reshape(len(models), self.table.num_azimuths, *rgb.shape[1:])

    @torch.no_grad()
    def score(self, predictor, pairs: Pairs, desc: str = "", progress: bool = False) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        groups = pairs.target_elevation_index * self.table.num_azimuths + pairs.target_azimuth_index
        order = np.argsort(groups, kind="stable")  # by target view: each elevation's views are read once
        bar = tqdm(total=len(pairs), desc=desc, unit="pair", disable=not progress, leave=False)
        for start in range(0, len(pairs), self.batch_size):
            index = order[start:start + self.batch_size]
            values = self._score_batch(predictor, pairs.subset(index))
            for name, v in values.items():
                out.setdefault(name, np.empty(len(pairs)))[index] = v
            bar.update(len(index))
        bar.close()
        return out

    def _score_batch(self, predictor, batch: Pairs) -> dict[str, np.ndarray]:
        source, _ = self.images(batch.source_view)
        target, alpha = self.images(batch.target_view)
        pred = torch.cat([predictor.predict(source[start:start + PREDICT_CHUNK],
                                            batch.subset(slice(start, start + PREDICT_CHUNK))).float()
                          for start in range(0, len(batch), PREDICT_CHUNK)])
        targets = None
        if self.gallery is not None:
            targets = Targets(object_row=torch.from_numpy(np.searchsorted(self.table.models, batch.model)),
                              elevation_index=torch.from_numpy(np.asarray(batch.target_elevation_index)),
                              azimuth_index=torch.from_numpy(np.asarray(batch.target_azimuth_index)),
                              azimuth_deg=torch.from_numpy(np.asarray(batch.target_azimuth, np.float32)))
        ctx = M.MetricContext(pred, target.float(), alpha, self.gallery, targets)
        return {name: v.double().cpu().numpy() for name, v in M.compute(ctx).items()}
