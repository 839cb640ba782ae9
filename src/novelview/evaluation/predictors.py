"""What evaluation scores: trained models and two trivial baselines, behind one interface.

A predictor says which pairs it can draw (``supports``) and draws them (``predict``):
- ``ModelPredictor``: a trained model through its public ``predict``;
- ``CopyInput``: the source view itself, unchanged (what a model must beat to have learnt to turn);
- ``MeanView``: the mean training view at the target's elevation and grid azimuth; it ignores the
  input (what a model must beat to have used it). A data set without a training split (a test set,
  ``--test-share 1``) has only the evaluated models to average: ``mean_of`` says so, and the tables
  name it beside the row, since a mean of the very models scored is an easier bar;
- ``BlankView``: an all-white image, shown because the masked SSIM of the TVSN protocol scores it
  well (it compares only the object's pixels, after masking both images with the target's alpha).
A model that does not beat both has learnt nothing a user can use, whatever its numbers look like.
"""

from __future__ import annotations

import numpy as np
import torch

from novelview.data.pairs import Pairs
from novelview.data.viewstore import ViewStore
from novelview.images import views_to_model
from novelview.models.poses import as_pose_batch


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
        chosen = store.indices(split)
        self.split = split if chosen else "all"
        models = np.asarray(chosen or store.indices("all"), np.int64)
        self.models = models
        total = None
        for start in range(0, len(models), chunk):
            views = torch.from_numpy(np.ascontiguousarray(store.views[models[start:start + chunk]]))
            m, e, a = views.shape[:3]
            rgb, _ = views_to_model(views.flatten(0, 2))
            part = rgb.double().reshape(m, e, a, *rgb.shape[1:]).sum(0)
            total = part if total is None else total + part
        self.means = (total / len(models)).float()  # (E, A, 3, H, W)
        self.split_models = len(models)

    def mean_of(self, evaluated_models, evaluated_split: str) -> dict:
        """Which views were averaged, for metrics.json: the split, how many models, whether the
        evaluated ones are among them, and (only without a training split) a note for the row name."""
        own = set(np.asarray(evaluated_models).tolist())
        averaged = set(self.models.tolist())
        about = {"split": self.split, "n_models": len(averaged), "includes_evaluated_models": bool(own & averaged)}
        if self.split != "train":
            which = (f"the {evaluated_split} models themselves" if averaged == own
                     else f"all {len(averaged)} models, the {evaluated_split} ones included")
            about["note"] = f"of {which}: no training split"
        return about

    def supports(self, pairs: Pairs) -> np.ndarray:
        return np.ones(len(pairs), bool)

    def predict(self, source: torch.Tensor, pairs: Pairs) -> torch.Tensor:
        index = (torch.from_numpy(pairs.target_elevation_index), torch.from_numpy(pairs.target_azimuth_index))
        return self.means[index].to(source.device)


class BlankView:
    kind, label = "baseline", "blank"

    def supports(self, pairs: Pairs) -> np.ndarray:
        return np.ones(len(pairs), bool)

    def predict(self, source: torch.Tensor, pairs: Pairs) -> torch.Tensor:
        return torch.ones_like(source)


def baselines(store: ViewStore) -> list:
    """The baselines every evaluation scores: the one list of them (their names are their ``label``)."""
    return [CopyInput(), MeanView(store, "train"), BlankView()]
