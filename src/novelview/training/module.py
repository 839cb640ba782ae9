"""The Lightning module: one model and one objective, whatever their families.

It knows no model or objective by name: the objective runs each training step (its losses, its
optimisers, its schedule) through the hooks below, the model encodes its own pose, and
validation scores the image L1 on the validation pairs and draws a sample grid.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.loggers import TensorBoardLogger
from PIL import Image

from novelview.atomic import save_image
from novelview.images import make_grid, to_uint8, visual_to_uint8
from novelview.metrics.image import ssim_luma_masked
from novelview.metrics.registry import finite_mean
from novelview.models import build_model
from novelview.objectives import build_objective


class SynthesisModule(L.LightningModule):
    """``config`` is the resolved experiment config; ``model_options`` the model's options with
    the data set's geometry filled in (``ViewSynthesisModel.geometry_options``)."""

    def __init__(self, config: dict, model_options: dict):
        super().__init__()
        self.save_hyperparameters({"config": config, "model_options": model_options})
        self.config = config
        self.model = build_model(config["model"]["name"], **model_options)
        if config["model"].get("init"):
            self._start_from(config["model"]["init"])
        self.objective = build_objective(config["objective"]["name"], self.model,
                                         config["objective"].get("options"), config["optim"])
        self.automatic_optimization = False  # objectives step their own optimisers
        self.log_every = max(1, config["trainer"]["log_every_n_steps"] // config["trainer"]["steps_per_fetch"])
        self.channels_last = config["trainer"]["channels_last"]
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.sample_batch: dict | None = None
        self._validations = 0

    def _start_from(self, spec: str) -> None:
        """Fine-tuning: copy the weights of an export folder (or shipped model) of the same family."""
        from novelview.errors import NovelviewError
        from novelview.models.io import load_model

        source = load_model(spec)
        if source.model_name != self.model.model_name:
            raise NovelviewError(f"model.init {spec} holds a {source.model_name} model, but model.name is {self.model.model_name}")
        own, theirs = self.model.state_dict(), source.state_dict()
        wrong = [k for k in own if k not in theirs or theirs[k].shape != own[k].shape]
        if wrong:
            raise NovelviewError(f"model.init {spec} does not fit model.options ({len(wrong)} tensors differ, e.g. {wrong[0]}): "
                                 "use the options it was trained with")
        self.model.load_state_dict(theirs)

    @property
    def needs(self) -> set[str]:
        """Batch extras the model and the objective need (``visibility``, ``negatives``)."""
        return set(self.model.needs) | set(self.objective.needs)

    # -- hooks the objectives call --
    def pose_code(self, batch: dict) -> torch.Tensor:
        rotation = torch.remainder(batch["target_azimuth"] - batch["source_azimuth"], 360.0)
        return self.model.encode_pose(rotation, batch["source_elevation"], batch["target_elevation"])

    def run_model(self, batch: dict) -> dict:
        source = batch["source"]
        if self.channels_last:
            source = source.contiguous(memory_format=torch.channels_last)
        return self.model(source, self.pose_code(batch))

    # -- training --
    def configure_optimizers(self):
        return self.objective.configure_optimizers(self.model)

    def training_step(self, batch: dict, batch_idx: int):
        # A loader item may hold several batches (trainer.steps_per_fetch): one optimiser step each,
        # so the framework's per-item cost is paid once for all of them.
        size = self.config["data"]["batch_size"]
        items = len(batch["source"]) // size
        limit = self.trainer.max_steps if self._trainer is not None else -1
        for k in range(items):
            if limit >= 0 and self.global_step >= limit:
                break
            part = batch if items == 1 else {name: value[k * size:(k + 1) * size] for name, value in batch.items()}
            logs = self.objective.training_step(self, self.model, part)
        # Logging is a host sync on an accelerator: only every log_every items.
        if batch_idx % self.log_every == 0:
            # Straight to the loggers: through self.log, Lightning repeats a value logged at an earlier
            # step of the epoch (a discriminator's losses) at every later step that did not log it.
            values = {f"train/{k}": float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in logs.items()}
            for logger in self.loggers:
                logger.log_metrics({**values, "epoch": self.current_epoch}, step=self.global_step)
            progress = self.objective.PROGRESS
            if progress in logs:
                self.log(f"train/{progress}_epoch", logs[progress], on_step=False, on_epoch=True, batch_size=size)

    def on_before_optimizer_step(self, optimizer) -> None:
        # Under 16-mixed, the first point where the gradients are unscaled: the objective clips here.
        self.objective.clip_pending(optimizer)

    # The objectives draw soft labels and dropout masks from torch's generators: keep their state in
    # the checkpoint so that a resumed run draws what an uninterrupted one would have.
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["torch_rng_state"] = torch.get_rng_state()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            checkpoint["cuda_rng_state"] = torch.cuda.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        _count_the_unfinished_pass(checkpoint)
        if "torch_rng_state" in checkpoint:
            torch.set_rng_state(checkpoint["torch_rng_state"])
        if "cuda_rng_state" in checkpoint and torch.cuda.is_available():
            torch.cuda.set_rng_state(checkpoint["cuda_rng_state"])

    # -- validation and samples --
    def validation_step(self, batch: dict, batch_idx: int):
        image = self.run_model(batch)["image"]
        l1 = F.l1_loss(image.float(), batch["target"])
        self.log("val/l1", l1, prog_bar=True, on_epoch=True, sync_dist=True, batch_size=len(image))
        # The evaluation's masked luma SSIM beside L1, over the pairs with a foreground (the only
        # ones where it is defined), so a run's SSIM curve is seen without an evaluation.
        ssim = ssim_luma_masked(image.float(), batch["target"], batch["target_alpha"])
        mean, left_out = finite_mean(ssim)
        if left_out < len(ssim):
            self.log("val/masked_ssim", mean, on_epoch=True, sync_dist=True, batch_size=len(ssim) - left_out)
        if batch_idx == 0 and self.sample_batch is None:
            self.sample_batch = {k: v[:8].detach() for k, v in batch.items() if torch.is_tensor(v)}

    def on_validation_epoch_end(self):
        if self.sample_batch is None or self.trainer.sanity_checking or not self.trainer.is_global_zero:
            return
        self._validations += 1
        if (self._validations - 1) % self.config["trainer"]["sample_every_n_val"]:
            return
        b = self.sample_batch
        with torch.no_grad():
            outputs = self.run_model(b)
        rows = [list(to_uint8(t)) for t in (b["source"], b["target"], outputs["image"])]
        rows += [list(visual_to_uint8(outputs[name])) for name in self.model.visuals if name in outputs]
        grid = make_grid(rows)
        folder = Path(self.trainer.default_root_dir) / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        save_image(Image.fromarray(grid), folder / f"step_{self.global_step:07d}.png")
        for logger in self.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image("samples", grid, self.global_step, dataformats="HWC")


def _count_the_unfinished_pass(checkpoint: dict) -> None:
    """A run stopped mid-pass (by max_steps, max_time or a signal) is saved by Lightning as if that
    epoch had ended, so a resume would run one epoch too few under max_epochs. The data module's
    state says which pass was unfinished: count it as started, not completed."""
    state = checkpoint.get("PairDataModule") or {}
    loops = checkpoint.get("loops", {}).get("fit_loop", {})
    progress = loops.get("epoch_progress")
    if not state or progress is None or state["batches_done"] >= state.get("batches_per_pass", 0):
        return
    unfinished = int(state["pass"])
    for counters in (progress["total"], progress["current"]):
        counters.update(ready=unfinished + 1, started=unfinished + 1, processed=unfinished, completed=unfinished)
    checkpoint["epoch"] = unfinished
