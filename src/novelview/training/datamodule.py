"""The Lightning data module: training pairs in whole batches, fed where the model trains.

Where the views live (``data.device``): ``auto`` puts the split's uint8 views on the accelerator
when they take at most ``data.device_share`` of its free memory (a 126k-view set is 2 GB), else
reads them per batch from the file (``host``; pinned memory and background workers on a GPU,
``data.num_workers``). On a CPU ``auto`` means ``host``, which keeps resident memory small.
The pass order is ``novelview.data.order.PassSampler``: exact resume, disjoint shares per rank.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from novelview.data.batches import FileViews, PairBatches, ResidentViews, pack, read_pixels, to_training_batch
from novelview.data.order import PassSampler
from novelview.data.pairs import PairTable
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError
from novelview.training.batch_extras import extras_for
from novelview.training.photo_framing import reframe_share_of_sources


class PairDataModule(L.LightningDataModule):
    def __init__(self, data_dir: str | Path, config: dict, needs: set[str] = frozenset()):
        super().__init__()
        self.data_dir, self.config, self.needs = Path(data_dir), config, set(needs)
        d = config["data"]
        self.store = store = ViewStore(self.data_dir)
        self.table = PairTable(store, "train", d["pairs"], d["elevations"], d["fixed_step"], d["elevation_index"])
        per_item = d["batch_size"] * config["trainer"]["steps_per_fetch"]
        if len(self.table) < per_item:
            raise NovelviewError(f"{self.data_dir} offers {len(self.table)} training pairs ({self.table.describe()}), "
                                 f"fewer than one loader item (data.batch_size={d['batch_size']} x "
                                 f"trainer.steps_per_fetch={config['trainer']['steps_per_fetch']}): render more models "
                                 "or lower the batch size")
        if self.uses_depth and store.depth is None:
            depth_extras = [e.name for e in self.extras if e.reads_depth]
            raise NovelviewError(f"the model needs depth ({', '.join(depth_extras)}), but "
                                 f"{self.data_dir} was rendered without depth.npy: render it again with this "
                                 "version (depth is on by default)")
        if d["photo_framing"] and any(extra.keeps_depth for extra in self.extras):
            raise NovelviewError(f"data.photo_framing={d['photo_framing']} re-frames the source view, but this model "
                                 "lifts the source through the data set's camera (it keeps depth), which a re-framed "
                                 "view no longer matches: set data.photo_framing=0 for it")
        self.val_table = None
        if store.split.get("val"):
            self.val_table = PairTable(store, "val", d["val_pairs"] or d["pairs"], d["elevations"],
                                       d["fixed_step"], d["elevation_index"])
        self.sampler: PassSampler | None = None
        self._resume_at: tuple[int, int] | None = None
        self.views = self.depth = None  # ResidentViews when the views live on the accelerator

    @property
    def extras(self):
        """The batch extras the model and objective need (``batch_extras``), checked by name."""
        return extras_for(self.needs)

    @property
    def uses_depth(self) -> bool:
        return any(extra.reads_depth for extra in self.extras)

    # -- where the views live --
    def setup(self, stage: str) -> None:
        device = self.trainer.strategy.root_device if self.trainer is not None else torch.device("cpu")
        self.resident = self._resident(device)
        if self.resident and self.views is None:
            self.views = ResidentViews(self.store.views, self.table.models, device)
        if self.resident and self.uses_depth and self.depth is None:
            self.depth = ResidentViews(self.store.depth, self.table.models, device)

    def _resident(self, device: torch.device) -> bool:
        d = self.config["data"]
        if d["device"] == "host" or (d["device"] == "auto" and device.type != "cuda"):
            return False
        need = ResidentViews.nbytes(self.store.views, self.table.models)
        if self.uses_depth:
            need += ResidentViews.nbytes(self.store.depth, self.table.models)
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            if need > d["device_share"] * free:
                if d["device"] == "accelerator":
                    raise NovelviewError(f"the training views take {need / 2**30:.1f} GiB, more than data.device_share="
                                         f"{d['device_share']} of the {free / 2**30:.1f} GiB free on {device}: "
                                         "use data.device=host or a larger share")
                return False
        return True

    def items_per_pass(self) -> int:
        """Loader items in one pass over the training pairs (one process)."""
        c = self.config
        return len(self.table) // (c["data"]["batch_size"] * c["trainer"]["steps_per_fetch"])

    # -- loaders --
    def train_dataloader(self):
        d = self.config["data"]
        rank, world = (self.trainer.global_rank, self.trainer.world_size) if self.trainer is not None else (0, 1)
        # k batches per loader item: the same pairs in the same order as k items of one batch each
        # (and, under DDP, each step's batches of all ranks together are one process's batch).
        self.sampler = PassSampler(len(self.table), d["batch_size"], self.config["seed"], rank, world,
                                   self.config["trainer"]["steps_per_fetch"])
        if self._resume_at is not None:
            self.sampler.resume(*self._resume_at)
        files = None if self.resident else FileViews(self.store.views)
        depth = None if self.resident or not self.uses_depth else FileViews(self.store.depth)
        negatives = any(extra.gathers_negatives for extra in self.extras)
        batches = PairBatches(self.table, self.sampler, files, depth, negatives, self.config["seed"])
        cuda = self.trainer is not None and self.trainer.strategy.root_device.type == "cuda"
        # Its own generator: a loader draws a seed from torch's global one at every new pass otherwise,
        # and a resumed run (which starts a pass the uninterrupted one was in) would draw differently.
        return DataLoader(batches, sampler=self.sampler, batch_size=None, num_workers=d["num_workers"],
                          persistent_workers=d["num_workers"] > 0, pin_memory=cuda and not self.resident,
                          generator=torch.Generator())

    def val_dataloader(self):
        if self.val_table is None:
            return []
        d = self.config["data"]
        pairs = self.val_table.sample(d["max_val_pairs"], seed=0)
        # A seeded shuffle, so that the sample grid (the first batch) shows several objects.
        pairs = pairs.subset(np.random.default_rng(0).permutation(len(pairs)))
        files = FileViews(self.store.views)
        size = max(d["batch_size"], 64)
        batches = [read_pixels(pack(pairs.subset(slice(start, start + size))), files)
                   for start in range(0, len(pairs), size)]
        return DataLoader([{k: torch.from_numpy(v) for k, v in b.items()} for b in batches], batch_size=None,
                          generator=torch.Generator())

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        out = to_training_batch(batch, self.views, self.depth)
        extras = self.extras
        for extra in extras:
            if extra.add is not None:
                extra.add(out, self.store)
        share = self.config["data"]["photo_framing"]
        if share and self.trainer is not None and self.trainer.training:
            trainer = self.trainer
            reframe_share_of_sources(out, share, self.config["seed"], trainer.global_step, trainer.global_rank)
        if not any(extra.keeps_depth for extra in extras):  # the depth maps are large: keep them only for who asked
            out.pop("source_depth", None)
            out.pop("target_depth", None)
        return out

    # Saved in and restored from checkpoints: which pass, and how far into it.
    def state_dict(self) -> dict:
        if self.sampler is None or self.sampler.current_pass < 0:
            return {}
        done = self.trainer.fit_loop.epoch_loop.batch_progress.current.processed
        return {"pass": self.sampler.current_pass, "batches_done": int(done), "batches_per_pass": len(self.sampler)}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self._resume_at = (int(state["pass"]), int(state["batches_done"]))
            if self.sampler is not None:
                self.sampler.resume(*self._resume_at)
