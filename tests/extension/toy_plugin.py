"""A plugin that lives outside the package, as a user's would: one toy of each kind of component.

- ``toy_boxes:N``, a source of N coloured boxes of different proportions;
- ``toy_tint``, a model family: the source image, shifted by a learnt pose-dependent tint, with
  the tint declared as a visual of the sample grid;
- ``toy_huber``, an objective: a Huber loss on the image;
- ``toy_dark_share``, a metric: the share of the output's pixels darker than mid-grey.

tests/extension/test_components_from_outside.py imports it through NOVELVIEW_PLUGINS.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from novelview.data.sources.registry import LoadedModel, ModelRef, register
from novelview.data.surface import solid
from novelview.metrics.registry import metric
from novelview.models.base import ViewSynthesisModel
from novelview.models.poses import build_pose
from novelview.models.registry import register as register_model
from novelview.objectives.base import Objective, adam, step_decay
from novelview.objectives.registry import register_objective

CUBE_FACES = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                       [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])


@register("toy_boxes")
class ToyBoxes:
    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        count = int(location) if models is None else min(int(location), models)
        return [ModelRef(model_id=f"box_{i}", category="box", index=i, seed=seed, source="toy_boxes")
                for i in range(count)]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        size = np.array([1.0, 0.5 + 0.25 * ref.index, 0.4])  # each box its own proportions
        corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float) * size / 2
        colour = [(0.8, 0.2, 0.2), (0.2, 0.6, 0.9), (0.9, 0.8, 0.1)][ref.index % 3]
        return LoadedModel(solid(corners, CUBE_FACES, colour))


@register_model("toy_tint")
class ToyTint(ViewSynthesisModel):
    visuals = ("tint_map",)

    def __init__(self, image_size: int = 32, elevation_range=(0.0, 0.0), pose: str = "continuous"):
        super().__init__()
        self.config = dict(image_size=image_size, elevation_range=list(elevation_range), pose=pose)
        self.pose = build_pose(pose, elevation_range=elevation_range)
        self.tint = nn.Linear(self.pose.size, 3)

    def forward(self, source, pose_code) -> dict:
        tint = torch.tanh(self.tint(pose_code))[:, :, None, None]
        image = (source + 0.1 * tint).clamp(-1, 1)
        return {"image": image, "tint_map": tint.expand_as(source)}


@register_objective("toy_huber")
class ToyHuber(Objective):
    OPTIONS = {"delta": 0.1}

    def configure_optimizers(self, model):
        optimizer = adam(model.parameters(), self.optim["lr"], self.optim["betas"])
        return [optimizer], [step_decay(optimizer, self.optim)]

    def training_step(self, ctx, model, batch) -> dict:
        image = ctx.run_model(batch)["image"].float()
        loss = F.huber_loss(image, batch["target"], delta=self.options["delta"])
        self.update(ctx, 0, loss, model.parameters(), self.optim["grad_clip"])
        return {"l1": F.l1_loss(image, batch["target"]), "loss": loss}


@metric("toy_dark_share", "dark share", "{:.3f}", higher_is_better=False)
def toy_dark_share(ctx):
    """Share of the prediction's pixels darker than mid-grey; (N,)."""
    return (ctx.pred.mean(dim=1) < 0).float().flatten(1).mean(dim=1)
