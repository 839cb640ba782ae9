"""Data-set objects sent to other processes (spawned DataLoader workers, ``ddp_spawn``) travel as
their folder path, not as the memory-mapped views: a pickle stays small whatever the data set's size,
and the copy reads the same pairs and views as the original."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from novelview.config.load import load_config
from novelview.data.batches import FileViews, PairBatches
from novelview.data.order import PassSampler
from novelview.data.pairs import PairTable
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError
from novelview.training.datamodule import PairDataModule

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

SMALL = 64 * 1024  # bytes: a path, a split and a few numbers; the views are megabytes


@pytest.fixture(scope="module")
def store(tiny_dataset):
    store = ViewStore(tiny_dataset)
    assert store.views.nbytes + store.depth.nbytes > 2_000_000  # what a copying pickle would carry
    return store


def test_store_pickles_its_folder_not_its_views(store):
    blob = pickle.dumps(store)
    assert len(blob) < SMALL
    copy = pickle.loads(blob)
    assert copy.path == store.path and copy.split == store.split
    assert isinstance(copy.views, np.memmap) and not copy.views.flags.writeable  # re-opened read-only
    np.testing.assert_array_equal(copy.views, store.views)
    np.testing.assert_array_equal(copy.depth, store.depth)


def test_pair_table_pickles_small_and_decodes_the_same_pairs(store):
    table = PairTable(store, "train", "all")
    blob = pickle.dumps(table)
    assert len(blob) < SMALL
    copy = pickle.loads(blob)
    ids = np.arange(0, len(table), 7)
    original, copied = table.decode(ids), copy.decode(ids)
    for name in ("model", "source_view", "target_view", "source_azimuth", "target_elevation"):
        np.testing.assert_array_equal(getattr(copied, name), getattr(original, name))


def test_the_training_data_module_pickles_small(tiny_dataset):
    # what ddp_spawn sends to each process, beside the loaders' data sets
    data = PairDataModule(tiny_dataset, load_config(CONFIGS / "pose_encoder.yaml", ["data.batch_size=8"]))
    copy = pickle.loads(pickle.dumps(data))
    assert len(pickle.dumps(data)) < SMALL and len(copy.table) == len(data.table)


def test_a_store_rewritten_after_opening_is_refused_on_unpickling(tiny_dataset, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(tiny_dataset, folder)
    blob = pickle.dumps(ViewStore(folder))
    stat = (folder / "views.npy").stat()
    os.utime(folder / "views.npy", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(NovelviewError, match="changed after it was opened"):
        pickle.loads(blob)


def first_batch(batches: PairBatches, sampler: PassSampler, workers: int) -> dict:
    context = "spawn" if workers else None
    loader = DataLoader(batches, sampler=sampler, batch_size=None, num_workers=workers,
                        multiprocessing_context=context, generator=torch.Generator())
    return next(iter(loader))


def test_a_spawned_worker_yields_the_batch_of_the_main_process(store):
    table = PairTable(store, "train", "all")
    batches = PairBatches(table, PassSampler(len(table), 8, seed=0), FileViews(store.views),
                          FileViews(store.depth), with_negatives=True, seed=0)
    assert len(pickle.dumps(batches)) < SMALL
    here = first_batch(batches, PassSampler(len(table), 8, seed=0), workers=0)
    spawned = first_batch(batches, PassSampler(len(table), 8, seed=0), workers=1)
    assert here.keys() == spawned.keys() == {"views", "angles", "pixels", "depth"}
    for key in here:
        assert torch.equal(here[key], spawned[key]), key


def test_an_iterator_dropped_unused_uses_up_no_pass_and_no_resume():
    # A DataLoader with workers calls iter(sampler) twice and drops the first iterator unused.
    sampler = PassSampler(100, 10, seed=0)
    sampler.resume(3, 4)
    iter(sampler)
    assert next(iter(sampler)) == (3, 4)
