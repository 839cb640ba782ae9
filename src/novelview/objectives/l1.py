"""``l1``: regression to the target view: L1 on [-1, 1] images plus the model family's own terms
(for example a mask's cross-entropy). One Adam optimiser, the original's decay and clipping."""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F

from novelview.config.options import option
from novelview.objectives.base import Objective, adam, step_decay
from novelview.objectives.registry import register_objective


@dataclass(frozen=True)
class L1Options:
    l1_weight: float = option(1.0, "weight of the image L1", minimum=0.0)


@register_objective("l1")
class L1Objective(Objective):
    Options = L1Options

    def configure_optimizers(self, model):
        optimizer = adam(model.parameters(), self.optim["lr"], self.optim["betas"])
        return [optimizer], [step_decay(optimizer, self.optim)]

    def training_step(self, ctx, model, batch: dict) -> dict:
        outputs = ctx.run_model(batch)
        image = outputs["image"].float()
        l1 = F.l1_loss(image, batch["target"])
        terms = {**self.image_terms(image, batch), **model.losses(outputs, batch)}
        loss = self.options["l1_weight"] * l1 + sum(terms.values())
        self.update(ctx, 0, loss, model.parameters(), self.optim["grad_clip"])
        return {"l1": l1, "loss": loss, **terms}

    def image_terms(self, image, batch: dict) -> dict:
        """Weighted loss terms on the output image besides L1, by name (logged as they are added):
        none here; an objective that adds one (``l1_ssim``) overrides this."""
        return {}
