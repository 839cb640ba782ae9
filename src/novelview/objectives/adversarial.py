"""``adversarial``: L1 plus a pose-aware discriminator, for any generator (the original's future
work 1; TVSN's completion network was trained adversarially with feature matching).

D sees (source view, candidate view, pose) and must call real only the true target. Its negatives:
- the generator's output (fake);
- a real view of the same object at another azimuth (wrong pose), weight ``pose_negative_weight``;
- another object's real view at the target pose (wrong object), weight ``identity_negative_weight``.
The generator's loss: ``l1_weight * L1 + family terms + adversarial_weight * non-saturating GAN
+ feature_matching_weight * L1 between D's features of the output and of the target`` (layers
1-3, as TVSN). The original's tricks are switches: soft real labels (``real_label_range``), the skip
rule (``skip_threshold``; null turns it off), the G:D ratio (``g_steps_per_d``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from novelview.config.options import option
from novelview.objectives.base import Objective, adam, step_decay
from novelview.objectives.registry import register_objective


class PoseDiscriminator(nn.Module):
    """(source, candidate) (N, 3, H, W) each and a pose code (N, P) -> logit (N,), features (list)."""

    def __init__(self, pose_size: int, image_size: int, channels=(32, 64, 128, 256), dropout: float = 0.0):
        super().__init__()
        layers, prev = [], 6 + pose_size
        for out in channels:
            layers.append(nn.Sequential(nn.Conv2d(prev, out, 4, 2, 1), nn.LeakyReLU(0.2), nn.Dropout(dropout)))
            prev = out
        self.layers = nn.ModuleList(layers)
        side = image_size // 2 ** len(channels)
        self.head = nn.Linear(prev * side * side, 1)

    def forward(self, source, candidate, pose_code):
        h = source.shape[-1]
        code = pose_code.to(source.dtype)[:, :, None, None].expand(-1, -1, h, h)
        x = torch.cat([source, candidate, code], dim=1)
        features = []
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        return self.head(x.flatten(1)).squeeze(1), features


@dataclass(frozen=True)
class AdversarialOptions:
    l1_weight: float = option(1.0, "weight of the image L1", minimum=0.0)
    adversarial_weight: float = option(0.01, "weight of the non-saturating GAN loss", minimum=0.0)
    feature_matching_weight: float = option(0.1, "weight of the L1 between D's features of output and target",
                                            minimum=0.0)
    pose_negative_weight: float = option(0.5, "weight of D's wrong-pose negatives", minimum=0.0)
    identity_negative_weight: float = option(0.5, "weight of D's wrong-object negatives", minimum=0.0)
    lr_d: float = option(1.0e-4, "discriminator learning rate", minimum=0.0, exclusive=True)
    betas_d: tuple[float, float] = option((0.5, 0.999), "discriminator Adam betas", minimum=0.0)
    g_steps_per_d: int = option(1, "generator steps per discriminator step", minimum=1)
    skip_threshold: float | None = option(None, "skip D while its real and fake losses are both below this")
    real_label_range: tuple[float, float] = option((0.9, 1.0), "soft real labels drawn from this range")
    width: float = option(1.0, "channel multiplier of the discriminator", minimum=0.0, exclusive=True)
    dropout: float = option(0.0, "discriminator dropout", minimum=0.0)


@register_objective("adversarial")
class PoseAwareAdversarial(Objective):
    Options = AdversarialOptions
    needs = frozenset({"negatives"})

    def __init__(self, model, options: dict, optim: dict):
        super().__init__(model, options, optim)
        channels = [max(8, int(c * options["width"])) for c in (32, 64, 128, 256)]
        self.discriminator = PoseDiscriminator(model.pose.size, model.image_size, channels, options["dropout"])
        self.register_buffer("generator_steps", torch.zeros((), dtype=torch.long))

    def configure_optimizers(self, model):
        g = adam(model.parameters(), self.optim["lr"], self.optim["betas"])
        d = adam(self.discriminator.parameters(), self.options["lr_d"], self.options["betas_d"])
        return [g, d], [step_decay(g, self.optim), step_decay(d, self.optim)]

    def discriminator_loss(self, batch: dict, code: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, dict]:
        o, D, source = self.options, self.discriminator, batch["source"]
        real_logits, _ = D(source, batch["target"], code)
        lo, hi = o["real_label_range"]
        soft = torch.empty_like(real_logits).uniform_(lo, hi)
        d_real = F.binary_cross_entropy_with_logits(real_logits.float(), soft.float())

        def negative(candidate):
            logits, _ = D(source, candidate, code)
            return F.binary_cross_entropy_with_logits(logits.float(), torch.zeros_like(logits, dtype=torch.float32))

        d_fake = negative(fake.detach())
        d_pose, d_identity = negative(batch["wrong_pose"]), negative(batch["other_object"])
        loss = d_real + d_fake + o["pose_negative_weight"] * d_pose + o["identity_negative_weight"] * d_identity
        return loss, {"d_real": d_real.detach(), "d_fake": d_fake.detach(), "d_wrong_pose": d_pose.detach(),
                      "d_other_object": d_identity.detach()}

    def training_step(self, ctx, model, batch: dict) -> dict:
        o = self.options
        outputs = ctx.run_model(batch)
        fake, code = outputs["image"], ctx.pose_code(batch)
        logs = {}
        if int(self.generator_steps) % o["g_steps_per_d"] == 0:
            d_loss, logs = self.discriminator_loss(batch, code, fake)
            threshold = o["skip_threshold"]
            skip = threshold is not None and bool(logs["d_real"] < threshold) and bool(logs["d_fake"] < threshold)
            if not skip:
                self.update(ctx, 1, d_loss)
            logs["d_skipped"] = float(skip)
        fake_logits, fake_features = self.discriminator(batch["source"], fake, code)
        with torch.no_grad():
            _, real_features = self.discriminator(batch["source"], batch["target"], code)
        adversarial = F.binary_cross_entropy_with_logits(fake_logits.float(), torch.ones_like(fake_logits, dtype=torch.float32))
        matching = sum(F.l1_loss(f.float(), r.float()) for f, r in zip(fake_features[:3], real_features[:3])) / 3
        l1 = F.l1_loss(fake.float(), batch["target"])
        terms = model.losses(outputs, batch)
        loss = (o["l1_weight"] * l1 + sum(terms.values()) + o["adversarial_weight"] * adversarial
                + o["feature_matching_weight"] * matching)
        self.update(ctx, 0, loss, model.parameters(), self.optim["grad_clip"])
        self.generator_steps += 1
        return {"l1": l1, "loss": loss, "g_adv": adversarial.detach(), "feature_matching": matching.detach(),
                **terms, **logs}
