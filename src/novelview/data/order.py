"""The order in which training visits pairs: a fresh seeded shuffle per pass, with no memory cost,
resumable mid-pass, and split into disjoint shares when several processes train (DDP).

A pair table can hold tens of millions of pairs, so a pass is not a stored permutation: position
``i`` of pass ``e`` maps to pair ``shuffle(i)`` through a seeded Feistel network on the next
power of four, cycle-walked into [0, size). That is a true bijection, computed a batch at a time.
"""

from __future__ import annotations

import numpy as np
from torch.utils.data import Sampler

_MIX1, _MIX2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)


def _round(half: np.ndarray, key: np.uint64, mask: np.uint64) -> np.ndarray:
    h = (half ^ key) * _MIX1
    h ^= h >> np.uint64(29)
    h *= _MIX2
    h ^= h >> np.uint64(32)
    return h & mask


def shuffled(positions: np.ndarray, size: int, seed: tuple[int, ...]) -> np.ndarray:
    """Positions in [0, size) -> their images under the seeded permutation of [0, size)."""
    half_bits = max(1, (int(size - 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half_bits) - 1)
    keys = np.random.default_rng(list(seed)).integers(0, 2**63, 4, dtype=np.uint64)

    def feistel(x: np.ndarray) -> np.ndarray:
        left, right = x >> np.uint64(half_bits), x & mask
        for key in keys:
            left, right = right, left ^ _round(right, key, mask)
        return (left << np.uint64(half_bits)) | right

    with np.errstate(over="ignore"):  # the round function multiplies modulo 2**64 on purpose
        out = feistel(np.asarray(positions, np.uint64))
        outside = out >= size
        while outside.any():  # cycle-walking: at most a few rounds, the domain is < 4 * size
            out[outside] = feistel(out[outside])
            outside = out >= size
    return out.astype(np.int64)


class PassSampler(Sampler):
    """Yields ``(pass, batch)`` keys of this process's batches; ``batch_ids`` turns a key into pair ids.

    Each pass draws a new permutation from (seed, pass number) alone, so a resumed run continues an
    interrupted pass where it stopped. The pass is cut into optimiser steps of ``batch_size * world``
    positions, and rank r takes the r-th ``batch_size`` of each step: the ranks' shares are disjoint,
    and at every step their union is the batch one process with ``batch_size * world`` would take (so
    DDP, which averages the ranks' gradients, takes the same steps as one process). A batch (loader
    item) holds ``steps_per_item`` such steps. The last partial batch is dropped.
    """

    BLOCK = 64  # batches shuffled at once: numpy's per-call cost spread over many batches

    def __init__(self, size: int, batch_size: int, seed: int, rank: int = 0, world: int = 1, steps_per_item: int = 1):
        self.size, self.batch_size, self.seed, self.rank, self.world = size, batch_size, seed, rank, world
        self.steps_per_item = steps_per_item
        self.batches_per_pass = size // (batch_size * steps_per_item * world)
        self.current_pass = -1
        self._next_pass, self._skip = 0, 0
        self._block_key, self._block = None, None

    def resume(self, finished_pass: int, batches_done: int) -> None:
        """Continue pass ``finished_pass`` after its first ``batches_done`` batches."""
        if batches_done >= self.batches_per_pass:
            finished_pass, batches_done = finished_pass + 1, 0
        self._next_pass, self._skip = finished_pass, batches_done

    def __len__(self) -> int:
        return self.batches_per_pass

    def __iter__(self):
        # A generator, so a pass begins at the first key drawn: a DataLoader with workers calls
        # iter() twice and drops the first iterator unused, which must not use up a pass (or a resume).
        self.current_pass, self._next_pass = self._next_pass, self._next_pass + 1
        start, self._skip = self._skip, 0
        yield from [(self.current_pass, b) for b in range(start, self.batches_per_pass)]

    def batch_ids(self, key: tuple[int, int]) -> np.ndarray:
        pass_number, batch = key
        block = (pass_number, batch // self.BLOCK)
        if self._block_key != block:
            first = batch - batch % self.BLOCK
            batches = np.arange(first, min(first + self.BLOCK, self.batches_per_pass))
            # One process (world 1) reads each item as one contiguous run of positions, as before.
            steps = batches[:, None] * self.steps_per_item + np.arange(self.steps_per_item)
            starts = (steps * self.world + self.rank) * self.batch_size
            positions = (starts[..., None] + np.arange(self.batch_size)).reshape(-1)
            self._block = shuffled(positions, self.size, (self.seed, pass_number)).reshape(len(batches), -1)
            self._block_key = block
        return self._block[batch % self.BLOCK]
