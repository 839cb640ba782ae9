"""Training pairs over a data set folder: (source view, target view, rotation).

Modes:
- ``fixed``: every source azimuth j with target j + ``fixed_step`` (default 3 steps = +30 degrees),
  the autoencoder's task; 36 pairs per model.
- ``from_zero``: the original protocol, source azimuth 0 and targets 1..35; 35 pairs per model.
- ``all``: any source azimuth to any other target azimuth ("an object in an arbitrary pose");
  36 * 35 pairs per model.

The rotation is the relative one, (target - source) mod azimuths, given as an index, in degrees
and as a one-hot vector. Images become float only here, per item.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from novelview.data.store import ViewStore
from novelview.errors import NovelviewError
from novelview.images import to_model_input

MODES = ("fixed", "from_zero", "all")


def pair_table(num_models: int, num_azimuths: int, mode: str, fixed_step: int = 3) -> np.ndarray:
    """(P, 3) int array of (model row, source azimuth index, target azimuth index)."""
    a = num_azimuths
    if mode == "fixed":
        src = np.arange(a)
        tgt = (src + fixed_step) % a
    elif mode == "from_zero":
        src = np.zeros(a - 1, np.int64)
        tgt = np.arange(1, a)
    elif mode == "all":
        src, tgt = np.meshgrid(np.arange(a), np.arange(a), indexing="ij")
        keep = src != tgt
        src, tgt = src[keep], tgt[keep]
    else:
        raise NovelviewError(f"unknown pair mode {mode!r}: choose from {', '.join(MODES)}")
    per_model = np.stack([src, tgt], axis=1)
    rows = np.repeat(np.arange(num_models), len(per_model))
    return np.concatenate([rows[:, None], np.tile(per_model, (num_models, 1))], axis=1).astype(np.int64)


class PairDataset(Dataset):
    """Pairs of one split of a data set folder, at one elevation.

    Each item is a dict: ``source``, ``target`` (3, H, W) float32 in [-1, 1]; ``rotation`` (int
    index of the relative rotation), ``rotation_deg`` (float), ``pose`` (A,) one-hot float32;
    ``model`` (row in views.npy) and ``source_azimuth`` (index).
    """

    def __init__(self, store: ViewStore | str, split: str = "train", mode: str = "from_zero",
                 fixed_step: int = 3, elevation_index: int = 0):
        self.store = store if isinstance(store, ViewStore) else ViewStore(store)
        self.models = np.asarray(self.store.indices(split), np.int64)
        self.num_azimuths = self.store.num_azimuths
        if not 0 <= elevation_index < self.store.views.shape[1]:
            raise NovelviewError(
                f"elevation index {elevation_index} out of range: the data set has {self.store.views.shape[1]} elevation(s)"
            )
        self.elevation_index = elevation_index
        self.mode = mode
        table = pair_table(len(self.models), self.num_azimuths, mode, fixed_step)
        table[:, 0] = self.models[table[:, 0]] if len(self.models) else table[:, 0]
        self.table = table
        self.step_deg = 360.0 / self.num_azimuths

    def __len__(self) -> int:
        return len(self.table)

    def _read_views(self, model: int, azimuths: tuple[int, ...]) -> np.ndarray:
        """(len(azimuths), H, W, C) uint8 views of one model.

        Read with plain file reads, not through the memory map: mapped pages count in the
        process's RSS, so a training epoch would otherwise show the whole views.npy as resident
        memory (in every DataLoader worker). The bytes are the same either way.
        """
        views = self.store.views
        filename = getattr(views, "filename", None)
        if filename is None or not views.flags.c_contiguous:
            return np.stack([views[model, self.elevation_index, a] for a in azimuths])
        out = np.empty((len(azimuths), *views.shape[3:]), np.uint8)
        step = views.strides[2]
        start = views.offset + model * views.strides[0] + self.elevation_index * views.strides[1]
        with open(filename, "rb", buffering=0) as f:
            for k, a in enumerate(azimuths):
                f.seek(start + a * step)
                if f.readinto(memoryview(out[k]).cast("B")) != step:
                    raise NovelviewError(f"{filename} is truncated: render the data set again")
        return out

    def __getitem__(self, i: int) -> dict:
        model, src, tgt = (int(v) for v in self.table[i])
        images = to_model_input(self._read_views(model, (src, tgt)))
        rotation = (tgt - src) % self.num_azimuths
        pose = torch.zeros(self.num_azimuths)
        pose[rotation] = 1.0
        return {
            "source": images[0],
            "target": images[1],
            "rotation": rotation,
            "rotation_deg": rotation * self.step_deg,
            "pose": pose,
            "model": model,
            "source_azimuth": src,
        }
