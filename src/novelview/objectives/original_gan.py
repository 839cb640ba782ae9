"""``original_gan``: the original's phase-3 recipe for the ``pose_gan`` model (which holds its
generator and its small discriminator).

Loss ``alpha * L1 + beta * adversarial``; the adversarial term is feature matching on D's middle
activation (or the plain non-saturating loss). D updates once per ``g_steps_per_d`` generator
steps, with real labels drawn from ``real_label_range``, and is skipped while its real and fake
losses are both below ``skip_threshold``. The original's bugs are not repeated: D sees real
images on the generator's [-1, 1] scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from novelview.config.options import option
from novelview.errors import NovelviewError
from novelview.objectives.base import Objective, adam, step_decay
from novelview.objectives.registry import register_objective


@dataclass(frozen=True)
class OriginalGANOptions:
    alpha: float = option(1.0, "weight of the image L1", minimum=0.0)
    beta: float = option(0.2, "weight of the adversarial term", minimum=0.0)
    lr_d: float = option(5.0e-5, "discriminator learning rate", minimum=0.0, exclusive=True)
    g_steps_per_d: int = option(5, "generator steps per discriminator step", minimum=1)
    skip_threshold: float = option(0.2, "skip D while its real and fake losses are both below this")
    real_label_range: tuple[float, float] = option((0.8, 1.2), "soft real labels drawn from this range")
    feature_matching: bool = option(True, "adversarial term as feature matching on D's middle activation")


@register_objective("original_gan")
class OriginalGAN(Objective):
    Options = OriginalGANOptions

    def __init__(self, model, options: dict, optim: dict):
        super().__init__(model, options, optim)
        if not hasattr(model, "discriminator"):
            raise NovelviewError(f"the original_gan objective trains a model that holds its discriminator "
                                 f"(pose_gan), not {model.model_name}: use objective l1 or adversarial")
        if options["g_steps_per_d"] < 1:
            raise NovelviewError("objective.options.g_steps_per_d must be at least 1")
        # Counts generator steps; a buffer, so it is saved and resumed exactly.
        self.register_buffer("generator_steps", torch.zeros((), dtype=torch.long))

    def configure_optimizers(self, model):
        betas = self.optim["betas"]
        g = adam(model.generator.parameters(), self.optim["lr"], betas)
        d = adam(model.discriminator.parameters(), self.options["lr_d"], betas)
        return [g, d], [step_decay(g, self.optim), step_decay(d, self.optim)]

    def training_step(self, ctx, model, batch: dict) -> dict:
        o = self.options
        G, D = model.generator, model.discriminator
        target = batch["target"]
        fake = ctx.run_model(batch)["image"]
        logs = {}
        if int(self.generator_steps) % o["g_steps_per_d"] == 0:
            real_logits, _ = D(target)
            fake_logits, _ = D(fake.detach())
            lo, hi = o["real_label_range"]
            soft = torch.empty_like(real_logits).uniform_(lo, hi)
            d_real = F.binary_cross_entropy_with_logits(real_logits, soft)
            d_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
            # The skip rule watches the loss against the plain label 1, which is bounded below by 0.
            d_real_hard = F.binary_cross_entropy_with_logits(real_logits.detach(), torch.ones_like(real_logits))
            skip = bool(d_real_hard < o["skip_threshold"]) and bool(d_fake < o["skip_threshold"])
            if not skip:
                self.update(ctx, 1, d_real + d_fake)
            logs.update(d_real=d_real_hard.detach(), d_fake=d_fake.detach(), d_skipped=float(skip))
        l1 = F.l1_loss(fake, target)
        if o["feature_matching"]:
            _, fake_features = D(fake)
            with torch.no_grad():
                _, real_features = D(target)
            adversarial = F.mse_loss(fake_features.mean(0), real_features.mean(0))
        else:
            fake_logits, _ = D(fake)
            adversarial = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        loss = o["alpha"] * l1 + o["beta"] * adversarial
        self.update(ctx, 0, loss, G.parameters(), self.optim["grad_clip"])
        self.generator_steps += 1
        return {"l1": l1, "g_adv": adversarial.detach(), **logs}
