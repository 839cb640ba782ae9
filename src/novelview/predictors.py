"""What evaluation scores: trained models and two trivial baselines, behind one interface.

A predictor says which pairs it can draw (``supports``) and draws them (``predict``):
- ``ModelPredictor``: a trained model through its public ``predict``;
- ``CopyInput``: the source view itself, unchanged (what a model must beat to have learnt to turn);
- ``MeanView``: the mean training view at the target's elevation and grid azimuth; it ignores the
  input (what a model must beat to have used it).
A model that does not beat both has learnt nothing a user can use, whatever its numbers look like.
"""

from __future__ import annotations

import numpy as np
import torch

from novelview.data.pairs import Pairs
from novelview.data.store import ViewStore
from novelview.images import views_to_model
from novelview.models.poses import as_pose_batch

BASELINES = ("copy_input", "mean_view")


class ModelPredictor:
    kind = "model"

    def __init__(self, label: str, model, device="cpu"):
        self.label, self.model, self.device = label, model, device

    def supports(self, pairs: Pairs) -> np.ndarray:
        poses = as_pose_batch(pairs.rotation_deg, pairs.source_elevation, pairs.target_elevation, len(pairs))
        return self.model.pose.accepted(*poses).numpy()

    def predict(self, source: torch.Tensor, pairs: Pairs) -> torch.Tensor:
        return self.model.predict(source, torch.from_numpy(pairs.rotation_deg),
                                  torch.from_numpy(pairs.target_elevation), torch.from_numpy(pairs.source_elevation))


class CopyInput:
    kind, label = "baseline", "copy_input"

    def supports(self, pairs: Pairs) -> np.ndarray:
        return np.ones(len(pairs), bool)

    def predict(self, source: torch.Tensor, pairs: Pairs) -> torch.Tensor:
        return source.clone()


class MeanView:
    """Mean of the training split's views (composited, on [-1, 1]) per elevation and grid azimuth."""

    kind, label = "baseline", "mean_view"

    def __init__(self, store: ViewStore, split: str = "train", chunk: int = 32):
        models = np.asarray(store.indices(split) or store.indices("all"), np.int64)
        total = None
        for start in range(0, len(models), chunk):
            views = torch.from_numpy(np.ascontiguousarray(store.views[models[start:start + chunk]]))
            m, e, a = views.shape[:3]
            rgb, _ = views_to_model(views.flatten(0, 2))
            part = rgb.double().reshape(m, e, a, *rgb.shape[1:]).sum(0)
            total = part if total is None else total + part
        self.means = (total / len(models)).float()  # (E, A, 3, H, W)
        self.split_models = len(models)

    def supports(self, pairs: Pairs) -> np.ndarray:
        return np.ones(len(pairs), bool)

    def predict(self, source: torch.Tensor, pairs: Pairs) -> torch.Tensor:
        index = (torch.from_numpy(pairs.target_elevation_index), torch.from_numpy(pairs.target_azimuth_index))
        return self.means[index].to(source.device)


def baselines(store: ViewStore) -> list:
    return [CopyInput(), MeanView(store, "train")]
