"""The one public pair table: which (source view, target view) pairs a split offers, for training,
evaluation and the benchmarks alike.

Modes (within one object):
- ``fixed``: every source azimuth j with target j + ``fixed_step`` at the same elevation (the
  autoencoder's task: +30 degrees with 36 azimuths and the default step of 3);
- ``from_zero``: the original protocol: source azimuth index 0, every other view as target;
- ``all``: any view to any other ("an object in an arbitrary pose").

Elevations: ``same`` pairs views of one elevation only (one group per object and elevation);
``any`` lets source and target be at any elevations of the set (one group per object). With
``elevation_index`` a single elevation of the set is used.

A table with millions of pairs costs no memory: pair ``p`` is decoded arithmetically into
(object, source view, target view) on demand (``decode``), a batch at a time. Angles are the
exact ones of the views (``ViewStore.view_azimuths``), so jittered renders give off-grid poses.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError

MODES = ("fixed", "from_zero", "all")
ELEVATION_MODES = ("same", "any")


@dataclass(frozen=True)
class Geometry:
    """What a data set tells a model before training: image size, azimuth grid, the elevations
    the pairs use, and whether azimuths are off the grid (rendered with jitter)."""

    image_size: int
    num_azimuths: int
    elevation_range: tuple[float, float]
    jittered: bool
    camera: tuple[float, float] = (2.6, 0.96)  # the renderer's camera_distance and margin

    def describe(self) -> str:
        lo, hi = self.elevation_range
        elevations = f"elevation {lo:g}" if lo == hi else f"elevations {lo:g}-{hi:g}"
        grid = "jittered azimuths" if self.jittered else f"{self.num_azimuths} azimuths"
        return f"{self.image_size}x{self.image_size} images, {grid}, {elevations}"


@dataclass
class Pairs:
    """Decoded pairs, each field a (P,) array. ``*_view`` index the views reshaped to
    (models * elevations * azimuths, H, W, 4); angles are degrees."""

    model: np.ndarray
    source_view: np.ndarray
    target_view: np.ndarray
    source_azimuth_index: np.ndarray
    target_azimuth_index: np.ndarray
    source_elevation_index: np.ndarray
    target_elevation_index: np.ndarray
    source_azimuth: np.ndarray
    target_azimuth: np.ndarray
    source_elevation: np.ndarray
    target_elevation: np.ndarray

    def __len__(self) -> int:
        return len(self.model)

    @property
    def rotation_deg(self) -> np.ndarray:
        """Relative azimuth (target - source) in [0, 360)."""
        return np.mod(self.target_azimuth - self.source_azimuth, 360.0)

    def subset(self, keep) -> "Pairs":
        return Pairs(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})


class PairTable:
    """The pairs of one split of a data set, decoded on demand."""

    def __init__(self, store: ViewStore | str, split: str = "train", mode: str = "all",
                 elevations: str = "same", fixed_step: int = 3, elevation_index: int | None = None):
        self.store = store if isinstance(store, ViewStore) else ViewStore(store)
        if mode not in MODES:
            raise NovelviewError(f"unknown pair mode {mode!r}: choose from {', '.join(MODES)}")
        if elevations not in ELEVATION_MODES:
            raise NovelviewError(f"unknown elevation mode {elevations!r}: choose from {', '.join(ELEVATION_MODES)}")
        if mode == "fixed" and elevations == "any":
            raise NovelviewError("fixed pairs turn by a fixed azimuth step at one elevation: use elevations 'same'")
        self.models = np.asarray(self.store.indices(split), np.int64)
        _, num_elevations, num_azimuths = self.store.views.shape[:3]
        if elevation_index is not None and not 0 <= elevation_index < num_elevations:
            raise NovelviewError(f"elevation index {elevation_index} out of range: the data set has "
                                 f"{num_elevations} elevation(s)")
        self.split, self.mode, self.elevations, self.fixed_step = split, mode, elevations, fixed_step
        self.elevation_slots = (np.arange(num_elevations) if elevation_index is None
                                else np.array([elevation_index]))
        self.num_elevations, self.num_azimuths = num_elevations, num_azimuths
        self._azimuths = self.store.view_azimuths()
        self._elevation_deg = np.asarray(self.store.elevation_degrees, np.float64)
        per_group = num_azimuths * (len(self.elevation_slots) if elevations == "any" else 1)
        self.views_per_group = per_group
        self.groups = len(self.models) * (1 if elevations == "any" else len(self.elevation_slots))
        self.sources_per_group, self.targets_per_source = {
            "all": (per_group, per_group - 1),
            "from_zero": (per_group // num_azimuths, per_group - 1),
            "fixed": (num_azimuths, 1),
        }[mode]
        if per_group < 2:
            raise NovelviewError("a data set needs at least two views per object to make pairs")

    def __len__(self) -> int:
        return self.groups * self.sources_per_group * self.targets_per_source

    # Pickled (for DataLoader workers) as the store plus the table's own numbers; the per-view angles
    # are read again from the store, which itself travels as its folder (``ViewStore.__getstate__``).
    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_azimuths", "_elevation_deg")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._azimuths = self.store.view_azimuths()
        self._elevation_deg = np.asarray(self.store.elevation_degrees, np.float64)

    def decode(self, ids) -> Pairs:
        """Pair numbers (P,) in [0, len) -> the pairs."""
        ids = np.asarray(ids, np.int64)
        per_group = self.sources_per_group * self.targets_per_source
        group, rest = np.divmod(ids, per_group)
        s, t = np.divmod(rest, self.targets_per_source)
        a = self.num_azimuths
        if self.mode == "all":
            src_local, tgt_local = s, t + (t >= s)
        elif self.mode == "from_zero":
            src_local = s * a  # azimuth 0 of each elevation of the group
            tgt_local = t + (t >= src_local)
        else:
            src_local, tgt_local = s, (s + self.fixed_step) % a
        if self.elevations == "any":
            slot = self.models[group]
            src_e = self.elevation_slots[src_local // a]
            tgt_e = self.elevation_slots[tgt_local // a]
        else:
            per_model = len(self.elevation_slots)
            slot = self.models[group // per_model]
            src_e = tgt_e = self.elevation_slots[group % per_model]
        src_a, tgt_a = src_local % a, tgt_local % a
        return Pairs(
            model=slot,
            source_view=(slot * self.num_elevations + src_e) * a + src_a,
            target_view=(slot * self.num_elevations + tgt_e) * a + tgt_a,
            source_azimuth_index=src_a, target_azimuth_index=tgt_a,
            source_elevation_index=src_e, target_elevation_index=tgt_e,
            source_azimuth=self._azimuths[slot, src_e, src_a],
            target_azimuth=self._azimuths[slot, tgt_e, tgt_a],
            source_elevation=self._elevation_deg[src_e],
            target_elevation=self._elevation_deg[tgt_e],
        )

    def all(self) -> Pairs:
        return self.decode(np.arange(len(self)))

    def sample(self, count: int, seed: int = 0) -> Pairs:
        """At most ``count`` pairs, a seeded choice without replacement, in table order."""
        if len(self) <= count:
            return self.all()
        return self.decode(np.sort(np.random.default_rng(seed).choice(len(self), size=count, replace=False)))

    def geometry(self) -> Geometry:
        used = self._elevation_deg[self.elevation_slots]
        jittered = "view_azimuth_degrees" in self.store.meta
        settings = self.store.settings
        return Geometry(self.store.image_size, self.num_azimuths, (float(used.min()), float(used.max())), jittered,
                        (float(settings.camera_distance), float(settings.margin)))

    def describe(self) -> str:
        return (f"{self.mode} pairs, elevations {self.elevations}, {len(self.models)} {self.split} objects, "
                f"{len(self):,} pairs")
