"""Whole training batches from a pair table: one vectorised gather of uint8 views per batch.

Two places the views can live (``data.device`` in a config):
- ``accelerator``: the split's uint8 views are copied once into the training device's memory
  (``ResidentViews``); the loader then only hands over view numbers and angles, and the gather,
  the compositing and the scaling to [-1, 1] run on the device.
- ``host``: views are read per batch with plain file reads (``FileViews``), never through the
  memory map, so a pass over a data set larger than RAM keeps the process's resident memory small;
  with DataLoader workers the reads overlap the training step.

Either way ``to_training_batch`` (called on the training device) makes the batch the objectives
see: ``source``, ``target`` (N, 3, H, W) in [-1, 1], ``source_alpha``, ``target_alpha`` (N, 1, H, W), source and
target azimuth/elevation in degrees (N,), ``model`` (N,), and on request ``source_depth`` /
``target_depth`` (N, H, W) and the negatives ``wrong_pose`` / ``other_object`` (N, 3, H, W).
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import Dataset

from novelview.data.order import PassSampler
from novelview.data.pairs import PairTable, Pairs
from novelview.errors import NovelviewError
from novelview.images import views_to_model

ANGLES = ("source_azimuth", "target_azimuth", "source_elevation", "target_elevation")


class FileViews:
    """Views (or depth maps) of a memory-mapped .npy, read view by view with ``os.preadv``."""

    def __init__(self, mapped: np.ndarray):
        if not mapped.flags.c_contiguous or getattr(mapped, "filename", None) is None:
            raise ValueError("FileViews needs a C-contiguous memory-mapped array")
        self.filename, self.offset = mapped.filename, mapped.offset
        self.view_shape, self.dtype = mapped.shape[3:], mapped.dtype
        self.view_bytes = int(np.prod(self.view_shape)) * mapped.dtype.itemsize
        self._fd, self._pid = None, None

    def gather(self, view_ids: np.ndarray) -> np.ndarray:
        if self._pid != os.getpid():  # a descriptor opened before a DataLoader worker forked is shared
            self._fd, self._pid = os.open(self.filename, os.O_RDONLY), os.getpid()
        out = np.empty((len(view_ids), *self.view_shape), self.dtype)
        flat = out.reshape(len(view_ids), -1).view(np.uint8)
        for k, view in enumerate(np.asarray(view_ids).tolist()):
            if os.preadv(self._fd, [flat[k]], self.offset + view * self.view_bytes) != self.view_bytes:
                raise NovelviewError(f"{self.filename} is truncated: render the data set again")
        return out

    def __getstate__(self):  # file descriptors do not travel to worker processes
        return {**self.__dict__, "_fd": None, "_pid": None}


class ResidentViews:
    """The views of some objects held as one tensor on a device; gathered by global view number."""

    def __init__(self, mapped: np.ndarray, models: np.ndarray, device, chunk: int = 64):
        self.per_model = int(np.prod(mapped.shape[1:3]))
        lookup = np.full(mapped.shape[0], -1, np.int64)
        lookup[models] = np.arange(len(models))
        self.lookup = torch.from_numpy(lookup).to(device)
        parts = [torch.from_numpy(np.ascontiguousarray(mapped[models[i:i + chunk]])).to(device)
                 for i in range(0, len(models), chunk)]
        self.tensor = torch.cat(parts).flatten(0, 2)  # (objects * elevations * azimuths, H, W[, 4])

    def gather(self, view_ids: torch.Tensor) -> torch.Tensor:
        """Views by global number; every number must belong to an object held here."""
        local = self.lookup[view_ids // self.per_model] * self.per_model + view_ids % self.per_model
        return self.tensor.index_select(0, local)

    @staticmethod
    def nbytes(mapped: np.ndarray, models: np.ndarray) -> int:
        return int(len(models) * np.prod(mapped.shape[1:]) * mapped.dtype.itemsize)


def negatives(table: PairTable, pairs: Pairs, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """View numbers of a discriminator's two kinds of real negatives for each pair:
    the same object at a clearly different azimuth (30 degrees or more away on the grid), and
    another object of the split at the target's own elevation and azimuth."""
    a, e = table.num_azimuths, table.num_elevations
    far = max(1, a // 12)
    shift = rng.integers(far, a - far + 1, size=len(pairs)) if a > 2 * far else np.full(len(pairs), a // 2)
    wrong_azimuth = (pairs.target_azimuth_index + shift) % a
    wrong_pose = (pairs.model * e + pairs.target_elevation_index) * a + wrong_azimuth
    others = table.models
    pick = rng.integers(0, max(1, len(others) - 1), size=len(pairs))
    other = others[pick]
    other = np.where(other == pairs.model, others[(pick + 1) % len(others)], other)
    other_object = (other * e + pairs.target_elevation_index) * a + pairs.target_azimuth_index
    return wrong_pose, other_object


VIEW_COLUMNS = ("source", "target", "wrong_pose", "other_object")  # after the object number in ``views``


def pack(pairs: Pairs, negative_views: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """Pairs -> the loader's item: ``views`` int64 (N, 1 + V) of object number then view numbers
    (source, target[, wrong pose, other object]) and ``angles`` float32 (N, 4) in the order of
    ``ANGLES``; two arrays, so that a batch reaches the device in two copies."""
    columns = [pairs.model, pairs.source_view, pairs.target_view, *(negative_views or ())]
    return {"views": np.stack(columns, axis=1).astype(np.int64),
            "angles": np.stack([getattr(pairs, name) for name in ANGLES], axis=1).astype(np.float32)}


def read_pixels(item: dict, views: FileViews, depth: FileViews | None = None) -> dict:
    """Add the item's views read from the file: ``pixels`` uint8 (V, N, H, W, 4), view-major so
    that each kind of view (source, target, ...) is one contiguous block (convolutions on a CPU
    take a much slower path on strided input), and with depth ``depth`` (2, N, H, W)."""
    ids = item["views"][:, 1:].T
    item["pixels"] = views.gather(ids.reshape(-1)).reshape(*ids.shape, *views.view_shape)
    if depth is not None:
        item["depth"] = depth.gather(ids[:2].reshape(-1)).reshape(2, ids.shape[1], *depth.view_shape)
    return item


class PairBatches(Dataset):
    """Map-style data set whose items are whole batches, keyed by the sampler's (pass, batch).

    ``views``/``depth`` None means they are resident on the training device: the item then holds
    view numbers only, and ``to_training_batch`` gathers there.
    """

    def __init__(self, table: PairTable, sampler: PassSampler, views: FileViews | None,
                 depth: FileViews | None, with_negatives: bool, seed: int):
        self.table, self.sampler, self.views, self.depth = table, sampler, views, depth
        self.with_negatives, self.seed = with_negatives, seed

    def __len__(self) -> int:
        return len(self.sampler)

    def __getitem__(self, key) -> dict:
        pairs = self.table.decode(self.sampler.batch_ids(key))
        extra = None
        if self.with_negatives:
            extra = negatives(self.table, pairs, np.random.default_rng([self.seed, *key, 0x4E47]))
        item = pack(pairs, extra)
        if self.views is not None:
            item = read_pixels(item, self.views, self.depth)
        return {k: torch.from_numpy(v) for k, v in item.items()}


def to_training_batch(raw: dict, views: ResidentViews | None = None, depth: ResidentViews | None = None) -> dict:
    """A loader item already on the training device -> the batch objectives see (module docstring)."""
    ids = raw["views"]
    batch = dict(zip(ANGLES, raw["angles"].float().unbind(1)))
    batch["model"] = ids[:, 0]
    n, count = ids.shape[0], ids.shape[1] - 1
    # View-major (all sources, then all targets, ...): each kind of view stays one contiguous block.
    pixels = raw["pixels"] if "pixels" in raw else views.gather(ids[:, 1:].T.reshape(-1))
    rgb, alpha = views_to_model(pixels.reshape(count * n, *pixels.shape[-3:]))
    rgb, alpha = rgb.unflatten(0, (count, n)), alpha.unflatten(0, (count, n))
    for k, name in enumerate(VIEW_COLUMNS[:count]):
        batch[name] = rgb[k]
    batch["source_alpha"], batch["target_alpha"] = alpha[0], alpha[1]
    if "depth" in raw:
        batch["source_depth"], batch["target_depth"] = raw["depth"].float()
    elif depth is not None and "pixels" not in raw:  # items read from the file bring their own depth
        batch["source_depth"], batch["target_depth"] = depth.gather(ids[:, 1:3].T.reshape(-1)).float().unflatten(0, (2, n))
    return batch
