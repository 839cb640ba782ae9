"""Training: check data against model, then let Lightning run the objective; export the result.

``train(config, data_dir, out)`` does, in order, before anything is written:
1. read the pair table of the data set and its geometry (image size, azimuths, elevations);
2. fill the model's options from that geometry and build model and objective (a clash names
   both sides);
3. check that the model can take every pose the training pairs ask for.
Then it writes the run folder (``config.yaml``, ``checkpoints/``, ``tensorboard/``, ``csv/``,
``samples/``, ``export/``) and trains. Ctrl-C or SIGTERM stop after the current step with a
checkpoint of that step (``TrainingInterrupted``); ``--resume`` continues exactly.
"""

from __future__ import annotations

import os
import warnings
from contextlib import ExitStack
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only

from novelview.config import load as cfg
from novelview.data.files import folder_lock
from novelview.errors import NovelviewError
from novelview.models import MODELS
from novelview.models.io import save_model
from novelview.training.datamodule import PairDataModule
from novelview.training.module import SynthesisModule
from novelview.training.processes import check_processes
from novelview.training.finetune import record_start, verdict
from novelview.training.run_folder import check_new_run, clear_old_run, resume_checkpoint
from novelview.training.safety import AppendingCSVLogger, AtomicCheckpointIO, GracefulStop, load_checkpoint_safely


class TrainingInterrupted(Exception):
    """Training stopped on a signal; a checkpoint of ``step`` was written."""

    def __init__(self, step: int, signum: int):
        super().__init__(f"interrupted at step {step}: continue with --resume")
        self.step, self.signum = step, signum


def prepare(config: dict, data_dir: str | Path) -> tuple[PairDataModule, SynthesisModule]:
    """The data module and the Lightning module, or a NovelviewError naming the mismatch."""
    cfg.check(config)  # also for configs built in code rather than read by load_config
    _check_devices(config["trainer"])
    check_processes(config["trainer"], torch.cuda.is_available())  # several processes or machines
    model_class = MODELS[config["model"]["name"]]
    data = PairDataModule(data_dir, config, set(model_class.needs))
    geometry = data.table.geometry()
    options = model_class.geometry_options(geometry, config["model"].get("options", {}))
    module = SynthesisModule(config, options)  # builds model and objective: their own checks
    data.needs = module.needs
    sample = data.table.sample(200_000, seed=0)
    try:
        module.model.pose.check(module.model.model_name, sample.rotation_deg, sample.source_elevation,
                                sample.target_elevation)
    except NovelviewError as exc:
        raise NovelviewError(f"the training pairs ({data.table.describe()}; {geometry.describe()}) ask for poses "
                             f"the model cannot take: {exc}") from None
    return data, module


def _check_devices(trainer: dict) -> None:
    """More CPU processes than cores is never what a user wants: say so instead of starting them.
    A GPU asked for on a machine without one is one line, not Lightning's traceback."""
    if trainer["accelerator"] in ("gpu", "cuda") and not torch.cuda.is_available():
        raise NovelviewError(f"--accelerator {trainer['accelerator']}: this machine has no GPU that torch can use "
                             f"(torch {torch.__version__}, CUDA {torch.version.cuda or 'not built in'}): train with "
                             "--accelerator cpu (or auto), or install a CUDA build of torch on a GPU machine")
    on_cpu = trainer["accelerator"] == "cpu" or (trainer["accelerator"] == "auto" and not torch.cuda.is_available())
    cores = os.cpu_count() or 1
    if on_cpu and isinstance(trainer["devices"], int) and trainer["devices"] > cores:
        raise NovelviewError(f"--devices {trainer['devices']} on the CPU would start {trainer['devices']} processes on "
                             f"{cores} cores: use at most {cores} (or train on a GPU)")


def build_trainer(config: dict, out: Path, has_val: bool, stop: GracefulStop | None = None,
                  items_per_pass: int | None = None, monitor: tuple[str, str] = ("val/l1", "min")) -> L.Trainer:
    t = config["trainer"]
    per_item = t["steps_per_fetch"]  # Lightning counts loader items; the config counts optimiser steps
    interval = t["val_check_interval"]
    if isinstance(interval, int):
        interval = max(1, interval // per_item)
        if items_per_pass:  # Lightning refuses an interval longer than a pass: validate each pass instead
            interval = min(interval, items_per_pass)
    # ``last`` is rewritten at every epoch end / validation (and by ``train`` when fit returns); a
    # second callback keeps the best by the objective's monitor, validation L1 unless it names another
    # (Lightning refreshes a monitoring callback's
    # last.ckpt only on improvement, so one callback cannot do both).
    callbacks = [ModelCheckpoint(dirpath=out / "checkpoints", filename="last", save_top_k=1,
                                 enable_version_counter=False),
                 TQDMProgressBar(refresh_rate=max(1, t["log_every_n_steps"] // per_item))]
    if has_val:
        callbacks.insert(0, ModelCheckpoint(dirpath=out / "checkpoints", monitor=monitor[0], mode=monitor[1],
                                            save_top_k=1, filename="best", enable_version_counter=False))
    if t["save_every_n_steps"]:
        callbacks.append(ModelCheckpoint(dirpath=out / "checkpoints", filename="step_{step}", save_top_k=-1,
                                         every_n_train_steps=t["save_every_n_steps"], auto_insert_metric_name=False,
                                         enable_version_counter=False))
    if stop is not None:
        callbacks.append(stop)
    return L.Trainer(
        default_root_dir=str(out), max_epochs=t["max_epochs"], max_steps=t["max_steps"], max_time=t["max_time"],
        accelerator=t["accelerator"], devices=t["devices"], strategy=t["strategy"], num_nodes=t["num_nodes"],
        precision=t["precision"], log_every_n_steps=max(1, t["log_every_n_steps"] // per_item),
        val_check_interval=interval, check_val_every_n_epoch=t["check_val_every_n_epoch"],
        callbacks=callbacks, plugins=[AtomicCheckpointIO()], use_distributed_sampler=False,
        logger=[TensorBoardLogger(str(out), name="", version="tensorboard"),
                AppendingCSVLogger(str(out), name="", version="csv")],
        num_sanity_val_steps=0 if not has_val else 1,
    )


def _threads(config: dict) -> None:
    threads = config["trainer"]["threads"]
    if threads is None:  # processes on one machine share its cores rather than each taking all
        devices = config["trainer"]["devices"]
        per_machine = devices if isinstance(devices, int) and devices > 0 else 1
        threads = max(1, (os.cpu_count() or 1) // per_machine)
    torch.set_num_threads(threads)


def train(config: dict, data_dir: str | Path, out: str | Path, resume: bool = False, overwrite: bool = False,
          notify=None) -> dict:
    """Train as configured; writes the resolved config, checkpoints, logs, samples and ``export/``.

    A run folder holding a trained run is refused unless ``resume`` (continue it) or ``overwrite``
    (replace it); ``notify`` (a function of one line) hears which checkpoint a resume takes when
    ``last.ckpt`` is missing or damaged."""
    out = Path(out)
    last = out / "checkpoints" / "last.ckpt"
    start_from = None
    # A run still training here: say that, not what its half-written checkpoints look like. Only the
    # first process checks: the others of a multi-process run find the lock it holds, rightly.
    if out.is_dir() and getattr(rank_zero_only, "rank", 0) == 0:
        with folder_lock(out, "training run"):
            pass
    if resume:  # damaged or foreign: say so before anything runs
        start_from, notice = resume_checkpoint(out)
        if notice and notify is not None:
            notify(notice)
    else:
        check_new_run(out, overwrite)
    _threads(config)
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels once
    L.seed_everything(config["seed"], workers=True, verbose=False)
    data, module = prepare(config, data_dir)
    stop = GracefulStop()
    trainer = build_trainer(config, out, data.val_table is not None, stop, data.items_per_pass(),
                            module.objective.MONITOR)
    with ExitStack() as held:
        if trainer.is_global_zero:
            out.mkdir(parents=True, exist_ok=True)
            held.enter_context(folder_lock(out, "training run"))  # a second train or --resume here stops at once
            if not resume:  # checked again under the lock: another run may have finished meanwhile
                check_new_run(out, overwrite)
                clear_old_run(out)
            cfg.dump({**config, "data_dir": str(Path(data_dir).resolve())}, out / "config.yaml")
        init = config["model"].get("init")
        start = record_start(out, module, data, init) if init and trainer.is_global_zero else None
        result = _fit_and_export(trainer, module, data, data_dir, out, last, start_from, stop)
    if start is not None:
        result["start_val_l1"] = start["val_l1"]
        line = verdict(start, result.get("val_l1"))
        if line and notify is not None:
            notify(line)
    return result


def _fit_and_export(trainer, module, data, data_dir, out: Path, last: Path, start_from: Path | None,
                    stop: GracefulStop) -> dict:
    with warnings.catch_warnings():
        # PassSampler continues an interrupted pass exactly, which Lightning cannot know.
        warnings.filterwarnings("ignore", message=".*resuming from a checkpoint that ended before the epoch ended")
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        # The state after the step is the one wanted: it goes with the step count and the data position.
        warnings.filterwarnings("ignore", message=".*manual optimization and every_n_train_steps.*")
        try:
            trainer.fit(module, datamodule=data, ckpt_path=str(start_from) if start_from else None)
        finally:
            stop.restore()
    # The final state, wherever in an epoch the run stopped: what --resume continues from.
    # Every rank calls it (it ends in a barrier); rank 0 writes.
    trainer.save_checkpoint(last, weights_only=False)  # the whole state (optimisers too), for --resume
    if stop.signal is not None:
        raise TrainingInterrupted(trainer.global_step, stop.signal)
    if trainer.global_step == 0:
        raise NovelviewError("training ended before its first step (max_steps or max_time too small?): "
                             "nothing was learnt, so nothing was exported")
    result = {"out": str(out), "global_step": trainer.global_step}
    if trainer.is_global_zero:
        monitor = module.objective.MONITOR[0]
        watch = next((c for c in trainer.checkpoint_callbacks if getattr(c, "monitor", None) == monitor), None)
        best = (watch.best_model_path if watch is not None else "") or str(last)
        export = export_checkpoint(best, out / "export", data_dir=str(data_dir))
        score = watch.best_model_score if watch is not None else None
        score = None if score is None else float(score)
        result.update(export=str(export), best_checkpoint=best, monitor=monitor, best_score=score,
                      val_l1=score if monitor == "val/l1" else None)
    return result


def export_checkpoint(checkpoint: str | Path, folder: str | Path, **extra) -> Path:
    """A training checkpoint -> ``config.json`` + ``model.safetensors`` (the model only, for
    inference) + ``training.json`` (the loss weights and the objective it was trained with)."""
    ckpt = load_checkpoint_safely(checkpoint)
    try:
        hyper = ckpt["hyper_parameters"]
        config, options = hyper["config"], hyper["model_options"]
        state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    except (KeyError, TypeError):
        raise NovelviewError(f"{checkpoint} is not a novelview training checkpoint") from None
    from novelview.models import build_model

    model = build_model(config["model"]["name"], **options)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise NovelviewError(f"{checkpoint} does not match its own model config ({len(missing)} missing, "
                             f"{len(unexpected)} unexpected tensors)")
    trained = {"global_step": int(ckpt.get("global_step", 0)), "epoch": int(ckpt.get("epoch", 0)),
               "pairs": config["data"]["pairs"], "elevations": config["data"]["elevations"],
               "objective": config["objective"]["name"], **extra}
    # Loss weights are not part of the inference config: they go to training.json beside it.
    training = {"model_options": model.training_config, "objective": config["objective"]}
    return save_model(model, folder, {"trained": trained}, training=training)


__all__ = ["train", "prepare", "build_trainer", "export_checkpoint", "TrainingInterrupted"]
