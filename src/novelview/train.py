"""Lightning wiring: the training module (all three models), the data module and the trainer.

Lightning owns the loop, devices, DDP, precision, checkpoints, resume, loggers and progress bar.
The autoencoder and pose encoder use automatic optimisation; the pose GAN uses manual
optimisation for its two optimisers and the original's stabilising tricks.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from PIL import Image
from torch.utils.data import DataLoader, Sampler, Subset

from novelview import config as cfg
from novelview.data.pairs import PairDataset
from novelview.data.store import ViewStore
from novelview.errors import NovelviewError
from novelview.images import make_grid, to_uint8
from novelview.models import build_model
from novelview.models.io import save_model


def _decay(config: dict):
    rate, steps = config["optim"]["decay_rate"], config["optim"]["decay_steps"]
    return lambda step: rate ** (step / steps)


class SynthesisModule(L.LightningModule):
    """Trains any registered model on (source, target, pose) batches with L1 on [-1, 1] images."""

    def __init__(self, config: dict):
        super().__init__()
        self.save_hyperparameters({"config": config})
        self.config = config
        self.model = build_model(config["model"]["name"], **config["model"].get("options", {}))
        self.is_gan = config["model"]["name"] == "pose_gan"
        self.automatic_optimization = not self.is_gan
        # Counts generator steps in the GAN; a buffer, so it is saved and resumed exactly.
        self.register_buffer("gan_step", torch.zeros((), dtype=torch.long))
        self.sample_batch: dict | None = None

    def forward(self, source, pose):
        return self.model(source, pose)

    # The GAN draws dropout masks and soft labels from torch's global generator: keep its state in
    # the checkpoint so that a resumed run draws what an uninterrupted one would have.
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["torch_rng_state"] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "torch_rng_state" in checkpoint:
            torch.set_rng_state(checkpoint["torch_rng_state"])

    # -- automatic optimisation (autoencoder, pose encoder) --
    def training_step(self, batch, batch_idx):
        if self.is_gan:
            return self._gan_step(batch)
        output = self.model(batch["source"], batch["pose"])
        loss = F.l1_loss(output, batch["target"])
        self.log("train/l1", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=len(output))
        return loss

    def configure_optimizers(self):
        o = self.config["optim"]
        if not self.is_gan:
            opt = torch.optim.Adam(self.model.parameters(), lr=o["lr"], betas=tuple(o["betas"]))
            sched = torch.optim.lr_scheduler.LambdaLR(opt, _decay(self.config))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
        g = torch.optim.Adam(self.model.generator.parameters(), lr=o["lr"], betas=tuple(o["betas"]))
        d = torch.optim.Adam(self.model.discriminator.parameters(), lr=self.config["gan"]["lr_d"],
                             betas=tuple(o["betas"]))
        return [g, d], [torch.optim.lr_scheduler.LambdaLR(g, _decay(self.config)),
                        torch.optim.lr_scheduler.LambdaLR(d, _decay(self.config))]

    # -- manual optimisation (pose GAN) --
    def _gan_step(self, batch):
        gan, clip = self.config["gan"], self.config["optim"]["grad_clip"]
        opt_g, opt_d = self.optimizers()
        sched_g, sched_d = self.lr_schedulers()
        source, target, pose = batch["source"], batch["target"], batch["pose"]
        G, D = self.model.generator, self.model.discriminator
        fake = G(source, pose)
        n = len(fake)
        if int(self.gan_step) % gan["g_steps_per_d"] == 0:
            real_logits, _ = D(target)  # real images normalised like the generator's output
            fake_logits, _ = D(fake.detach())
            lo, hi = gan["real_label_range"]
            soft = torch.empty_like(real_logits).uniform_(lo, hi)
            d_real = F.binary_cross_entropy_with_logits(real_logits, soft)
            d_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
            # The skip rule watches the loss against the plain label 1, which is bounded below by 0.
            d_real_hard = F.binary_cross_entropy_with_logits(real_logits.detach(), torch.ones_like(real_logits))
            skip = bool(d_real_hard < gan["skip_threshold"]) and bool(d_fake < gan["skip_threshold"])
            if not skip:
                opt_d.zero_grad()
                self.manual_backward(d_real + d_fake)
                opt_d.step()
                sched_d.step()
            self._log_discriminator({"train/d_real": float(d_real_hard), "train/d_fake": float(d_fake),
                                     "train/d_skipped": float(skip)})
        l1 = F.l1_loss(fake, target)
        if gan["feature_matching"]:
            _, fake_features = D(fake)
            with torch.no_grad():
                _, real_features = D(target)
            adversarial = F.mse_loss(fake_features.mean(0), real_features.mean(0))
        else:
            fake_logits, _ = D(fake)
            adversarial = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        loss = gan["alpha"] * l1 + gan["beta"] * adversarial
        opt_g.zero_grad()
        self.manual_backward(loss)
        if clip:
            self.clip_gradients(opt_g, gradient_clip_val=clip, gradient_clip_algorithm="norm")
        opt_g.step()
        sched_g.step()
        self.gan_step += 1
        self.log("train/l1", l1, prog_bar=True, on_step=True, on_epoch=True, batch_size=n)
        self.log("train/g_adv", adversarial.detach(), on_step=True, batch_size=n)
        return loss

    def _log_discriminator(self, values: dict) -> None:
        """Straight to the loggers, once per D evaluation (every ``g_steps_per_d`` batches).

        ``self.log`` would repeat these stale values on every step until the epoch ends (Lightning
        keeps a step metric's last value), as if D ran every step. The step is the one Lightning
        logs its own metrics at, so the rows line up.
        """
        if self._trainer is None:
            return
        step = getattr(self.trainer.fit_loop.epoch_loop, "_batches_that_stepped", self.global_step)
        for logger in self.loggers:
            logger.log_metrics(values, step=step)

    # -- validation and samples --
    def validation_step(self, batch, batch_idx):
        output = self.model(batch["source"], batch["pose"])
        l1 = F.l1_loss(output, batch["target"])
        self.log("val/l1", l1, prog_bar=True, on_epoch=True, sync_dist=True, batch_size=len(output))
        if batch_idx == 0 and self.sample_batch is None:
            self.sample_batch = {k: v[:8].detach() for k, v in batch.items() if torch.is_tensor(v)}

    def on_validation_epoch_end(self):
        if self.sample_batch is None or self.trainer.sanity_checking or not self.trainer.is_global_zero:
            return
        b = self.sample_batch
        with torch.no_grad():
            output = self.model(b["source"], b["pose"])
        rows = [list(to_uint8(t)) for t in (b["source"], b["target"], output)]
        grid = make_grid(rows)
        folder = Path(self.trainer.default_root_dir) / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(grid).save(folder / f"step_{self.global_step:07d}.png")
        for logger in self.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image("samples", grid, self.global_step, dataformats="HWC")


class EpochShuffleSampler(Sampler[int]):
    """Shuffles the training pairs anew at each pass from (seed, pass number) alone, so that a
    resumed run can continue the interrupted pass where it stopped (single-process training).

    It counts its own passes: Lightning renumbers the epoch that a ``max_steps`` stop interrupted.
    """

    def __init__(self, size: int, seed: int, batch_size: int):
        self.size, self.seed, self.batch_size = size, seed, batch_size
        self.epoch = -1  # the pass being drawn
        self._next_epoch, self._skip_batches = 0, 0

    def resume(self, epoch: int, batches_done: int) -> None:
        """Continue pass ``epoch`` after its first ``batches_done`` batches."""
        if batches_done >= self.size // self.batch_size:  # that pass was complete
            epoch, batches_done = epoch + 1, 0
        self._next_epoch, self._skip_batches = epoch, batches_done

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        self.epoch, self._next_epoch = self._next_epoch, self._next_epoch + 1
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size)
        order = order[self._skip_batches * self.batch_size :]
        self._skip_batches = 0
        return iter(order.tolist())


class PairDataModule(L.LightningDataModule):
    """Train and validation pairs of a data set folder, as the config's ``data`` section says."""

    def __init__(self, data_dir: str | Path, config: dict):
        super().__init__()
        self.data_dir, self.config = Path(data_dir), config
        d = config["data"]
        store = ViewStore(self.data_dir)
        self.train_set = PairDataset(store, "train", d["pairs"], d["fixed_step"], d["elevation_index"])
        if len(self.train_set) == 0:
            raise NovelviewError(f"{self.data_dir} has no training models: render more models")
        val_split = "val" if store.split.get("val") else None
        self.val_set = None
        if val_split:
            full = PairDataset(store, val_split, d["val_pairs"] or d["pairs"], d["fixed_step"], d["elevation_index"])
            # A seeded sample in shuffled order, so the logged sample grid shows several models.
            keep = np.random.default_rng(0).permutation(len(full))[: d["max_val_pairs"]]
            self.val_set = Subset(full, keep.tolist())
        self.sampler: EpochShuffleSampler | None = None
        self._resume_at: tuple[int, int] | None = None

    def train_dataloader(self):
        d = self.config["data"]
        common = dict(batch_size=d["batch_size"], drop_last=True, num_workers=d["num_workers"],
                      persistent_workers=d["num_workers"] > 0)
        if self.trainer is not None and self.trainer.world_size > 1:
            # Lightning puts a DistributedSampler (shuffled per epoch) in place of shuffle=True.
            return DataLoader(self.train_set, shuffle=True, **common)
        self.sampler = EpochShuffleSampler(len(self.train_set), self.config["seed"], d["batch_size"])
        if self._resume_at is not None:
            self.sampler.resume(*self._resume_at)
        # Its own generator, so starting a pass draws nothing from the global one (see above).
        generator = torch.Generator().manual_seed(self.config["seed"])
        return DataLoader(self.train_set, sampler=self.sampler, generator=generator, **common)

    # Saved in and restored from Lightning checkpoints: which pass, and how far into it.
    def state_dict(self) -> dict:
        if self.sampler is None or self.sampler.epoch < 0:
            return {}
        return {"epoch": self.sampler.epoch,
                "batches_done": self.trainer.fit_loop.epoch_loop.batch_progress.current.processed}

    def load_state_dict(self, state: dict) -> None:
        if not state:
            return
        self._resume_at = (int(state["epoch"]), int(state["batches_done"]))
        if self.sampler is not None:
            self.sampler.resume(*self._resume_at)

    def val_dataloader(self):
        if self.val_set is None:
            return []
        d = self.config["data"]
        return DataLoader(self.val_set, batch_size=max(d["batch_size"], 64), num_workers=d["num_workers"])


def build_trainer(config: dict, out: Path, has_val: bool) -> L.Trainer:
    t = config["trainer"]
    # Two callbacks: Lightning (2.6) only refreshes a monitoring callback's last.ckpt when the monitored
    # value improves, so a run whose val L1 stalled would resume from its best step, not its last.
    # ``last`` is rewritten at every epoch end / validation (and by ``train`` when fit returns).
    latest = ModelCheckpoint(dirpath=out / "checkpoints", filename="last", save_top_k=1,
                             enable_version_counter=False)
    callbacks = [latest]
    if has_val:
        callbacks.insert(0, ModelCheckpoint(dirpath=out / "checkpoints", monitor="val/l1", mode="min",
                                            save_top_k=1, filename="best"))
    return L.Trainer(
        default_root_dir=str(out),
        max_epochs=t["max_epochs"],
        max_steps=t["max_steps"],
        accelerator=t["accelerator"],
        devices=t["devices"],
        strategy=t["strategy"],
        num_nodes=t["num_nodes"],
        precision=t["precision"],
        log_every_n_steps=t["log_every_n_steps"],
        val_check_interval=t["val_check_interval"],
        check_val_every_n_epoch=t["check_val_every_n_epoch"],
        gradient_clip_val=None if config["model"]["name"] == "pose_gan" else config["optim"]["grad_clip"],
        callbacks=callbacks,
        logger=[TensorBoardLogger(str(out), name="", version="tensorboard"), CSVLogger(str(out), name="", version="csv")],
        num_sanity_val_steps=0 if not has_val else 1,
    )


def train(config: dict, data_dir: str | Path, out: str | Path, resume: bool = False) -> dict:
    """Train as configured; writes the resolved config, checkpoints, logs, samples and ``export/``."""
    out = Path(out)
    last = out / "checkpoints" / "last.ckpt"
    if resume and not last.exists():
        raise NovelviewError(f"nothing to resume: {last} does not exist")
    if not resume and last.exists():
        raise NovelviewError(f"{out} already holds a run: pass --resume to continue it or choose another --out")
    cfg.check(config)  # also for configs built in code rather than read by load_config
    L.seed_everything(config["seed"], workers=True, verbose=False)
    data = PairDataModule(data_dir, config)
    module = SynthesisModule(config)
    trainer = build_trainer(config, out, data.val_set is not None)
    if trainer.is_global_zero:
        out.mkdir(parents=True, exist_ok=True)
        cfg.dump({**config, "data_dir": str(Path(data_dir).resolve())}, out / "config.yaml")
    with warnings.catch_warnings():
        if trainer.world_size == 1:  # EpochShuffleSampler continues an interrupted pass exactly
            warnings.filterwarnings("ignore", message=".*resuming from a checkpoint that ended before the epoch ended")
        trainer.fit(module, datamodule=data, ckpt_path=str(last) if resume else None)
    if not trainer.interrupted:
        # The final state, wherever in an epoch max_steps stopped: what --resume continues from.
        # Every rank calls it (it ends in a barrier); rank 0 writes.
        trainer.save_checkpoint(last)
    result = {"out": str(out), "global_step": trainer.global_step}
    if trainer.is_global_zero:
        watch = next((c for c in trainer.checkpoint_callbacks if getattr(c, "monitor", None) == "val/l1"), None)
        best = (watch.best_model_path if watch is not None else "") or str(last)
        export = export_checkpoint(best, out / "export", data_dir=str(data_dir))
        result.update(export=str(export), best_checkpoint=best,
                      val_l1=_float(watch.best_model_score if watch is not None else None))
    return result


def _float(value) -> float | None:
    return None if value is None else float(value)


def export_checkpoint(checkpoint: str | Path, folder: str | Path, **extra) -> Path:
    """A Lightning checkpoint -> ``config.json`` + ``model.safetensors`` (the model only)."""
    path = Path(checkpoint)
    if not path.is_file():
        raise NovelviewError(f"checkpoint {path} not found")
    try:
        # Our own training checkpoints; the exported folder is what users load without pickle.
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        config = ckpt["hyper_parameters"]["config"]
    except Exception as exc:
        raise NovelviewError(f"{path} is not a novelview training checkpoint ({type(exc).__name__})") from None
    model = build_model(config["model"]["name"], **config["model"].get("options", {}))
    state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    model.load_state_dict(state)
    step = int(ckpt.get("global_step", 0))
    epoch = int(ckpt.get("epoch", 0))
    return save_model(model, folder, {"trained": {"global_step": step, "epoch": epoch,
                                                  "pairs": config["data"]["pairs"], **extra}})
