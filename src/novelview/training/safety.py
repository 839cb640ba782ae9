"""What keeps a run's files whole and its stops clean: atomic checkpoints loaded without running
code, a CSV log that a resume appends to, and a graceful stop on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import csv
import os
import pickle
import re
import signal
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.plugins.io import TorchCheckpointIO

from novelview.atomic import atomic_file
from novelview.errors import NovelviewError


def load_checkpoint_safely(path: str | Path, map_location="cpu") -> dict:
    """torch.load with ``weights_only=True``: tensors, numbers, strings and containers only, so a
    crafted checkpoint cannot run code. A damaged or foreign file is a NovelviewError."""
    path = Path(path)
    if path.is_dir():
        raise NovelviewError(f"{path} is a folder, not a checkpoint file")
    if not path.is_file():
        raise NovelviewError(f"checkpoint {path} not found")
    if path.stat().st_size == 0:
        raise NovelviewError(f"{path} is empty (0 bytes; damaged by an interrupted write): delete it, "
                             "or run `novelview doctor` on the run folder")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's message advises loading with weights_only=False: exactly what must not happen here.
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        what = f" ({found.group(1)})" if found else ""
        raise NovelviewError(f"{path} holds objects other than tensors and numbers{what}: novelview loads no "
                             "code from a file, so it refuses it; use a checkpoint written by novelview train") from None
    except Exception as exc:  # zip, EOF or format errors: damage
        first = re.sub(r"\x1b\[[0-9;]*m", "", (str(exc).strip().splitlines() or [type(exc).__name__])[0])
        raise NovelviewError(f"{path} is damaged or not a checkpoint ({type(exc).__name__}: {first[:160]}); "
                             "`novelview doctor` on the run folder says what to do") from None


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes a checkpoint to a temporary file beside it, syncs it, then renames it over the old
    one: a kill at any moment leaves the previous complete checkpoint or the new one, never a stub."""

    def save_checkpoint(self, checkpoint, path, storage_options=None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # novelview.atomic syncs and renames the file (and its folder); a full disk is one line.
        with atomic_file(path, _tensor_bytes(checkpoint), path.with_name(f".{path.name}.tmp")) as tmp, \
                open(tmp, "wb") as handle:
            torch.save(checkpoint, handle)

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict:
        return load_checkpoint_safely(path, map_location or "cpu")


def _tensor_bytes(value) -> int:
    """The bytes of the tensors in a checkpoint: what its file needs, near enough, for a full-disk message."""
    if torch.is_tensor(value):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        return sum(_tensor_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


class _AppendingWriter(ExperimentWriter):
    """Lightning's CSV writer deletes metrics.csv when the folder exists; a resume appends instead."""

    def _check_log_dir_exists(self) -> None:
        if os.path.isfile(self.metrics_file_path):
            with open(self.metrics_file_path, newline="") as handle:
                header = next(csv.reader(handle), [])
            self.metrics_keys = sorted(header)


class AppendingCSVLogger(CSVLogger):
    @property
    def experiment(self):
        if self._experiment is None:
            os.makedirs(self.log_dir, exist_ok=True)
            self._experiment = _AppendingWriter(log_dir=self.log_dir)
        return self._experiment


class GracefulStop(L.Callback):
    """The first Ctrl-C or SIGTERM asks the trainer to stop after the current batch (so a checkpoint
    of exactly that step can be written); a second Ctrl-C interrupts at once."""

    def __init__(self):
        self.signal: int | None = None
        self._previous: dict = {}
        # What was there before training, put back by ``restore`` (Lightning re-installs the handlers
        # it found at fit start, ours, which would swallow a Ctrl-C during the export).
        self._original = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore(self) -> None:
        for signum, handler in self._original.items():
            try:
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
            except ValueError:  # not the main thread
                pass

    def _handle(self, signum, frame) -> None:
        self.signal = signum
        signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))  # a second one is not gentle

    def on_fit_start(self, trainer, pl_module) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread (some launchers): keep the default handling
                pass

    def on_train_start(self, trainer, pl_module) -> None:
        # Lightning puts its own SIGTERM handler in front of ours after fit start; it would end the run
        # at the epoch's end with exit status 0 and no checkpoint of the step: take SIGTERM back.
        if signal.SIGTERM in self._previous:
            signal.signal(signal.SIGTERM, self._handle)

    def on_train_batch_end(self, trainer, *args) -> None:
        if self.signal is not None:
            trainer.should_stop = True

    def on_fit_end(self, trainer, pl_module) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
