"""The pair table (modes, elevations, angles), the pass order, and whole-batch gathers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from novelview.data.batches import FileViews, PairBatches, ResidentViews, pack, read_pixels, to_training_batch
from novelview.data.order import PassSampler, shuffled
from novelview.data.pairs import PairTable
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, render_dataset
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError
from novelview.images import to_model_input


@pytest.fixture(scope="module")
def store(tiny_dataset):
    return ViewStore(tiny_dataset)


@pytest.fixture(scope="module")
def two_elevations(tmp_path_factory):
    out = tmp_path_factory.mktemp("elev") / "d"
    settings = RenderSettings(size=16, azimuths=4, elevations=(0.0, 30.0), supersample=1)
    render_dataset(RenderJob("procedural:mug,car", out, settings, models=2, workers=1, test_share=0.0), progress=False)
    return ViewStore(out)


def test_pair_counts_per_mode(store):
    train = len(store.indices("train"))
    assert train == 6  # 12 models, 25% val, 25% test
    assert len(PairTable(store, "train", "fixed")) == train * 36
    assert len(PairTable(store, "train", "from_zero")) == train * 35
    assert len(PairTable(store, "train", "all")) == train * 36 * 35
    assert len(PairTable(store, "test", "from_zero")) == len(store.indices("test")) * 35


@pytest.mark.parametrize("mode", ["fixed", "from_zero", "all"])
def test_decoded_pairs_are_the_modes_pairs(store, mode):
    table = PairTable(store, "train", mode, fixed_step=5)
    pairs = table.all()
    assert set(pairs.model.tolist()) == set(store.indices("train"))
    assert (pairs.source_view != pairs.target_view).all()
    rotation = pairs.rotation_deg
    if mode == "fixed":
        np.testing.assert_allclose(rotation, 50.0)
    if mode == "from_zero":
        assert (pairs.source_azimuth_index == 0).all()
        assert sorted(set(pairs.target_azimuth_index.tolist())) == list(range(1, 36))
    if mode == "all":
        per_object = {(int(m), int(s), int(t)) for m, s, t in zip(pairs.model, pairs.source_view, pairs.target_view)}
        assert len(per_object) == len(pairs)  # every pair once
    # View numbers index views reshaped to (objects * elevations * azimuths): they name the same view.
    flat = store.views.reshape(-1, *store.views.shape[3:])
    i = len(pairs) // 2
    np.testing.assert_array_equal(flat[pairs.target_view[i]],
                                  store.views[pairs.model[i], 0, pairs.target_azimuth_index[i]])


def test_elevations_same_and_any(two_elevations):
    same = PairTable(two_elevations, "train", "all", "same").all()
    assert (same.source_elevation == same.target_elevation).all() and len(same) == 4 * 2 * 4 * 3
    anywhere = PairTable(two_elevations, "train", "all", "any").all()
    assert len(anywhere) == 4 * 8 * 7
    changed = anywhere.source_elevation != anywhere.target_elevation
    assert changed.sum() == 4 * 2 * 4 * 4
    assert set(zip(anywhere.source_elevation[changed], anywhere.target_elevation[changed])) == {(0.0, 30.0), (30.0, 0.0)}
    only_high = PairTable(two_elevations, "train", "all", elevation_index=1).all()
    assert (only_high.target_elevation == 30.0).all()
    start = PairTable(two_elevations, "train", "from_zero", "any").all()
    assert (start.source_azimuth_index == 0).all() and set(start.source_elevation.tolist()) == {0.0, 30.0}


def test_bad_modes_are_refused(store):
    with pytest.raises(NovelviewError, match="unknown pair mode 'sideways'"):
        PairTable(store, "train", "sideways")
    with pytest.raises(NovelviewError, match="unknown split"):
        PairTable(store, "holdout", "fixed")
    with pytest.raises(NovelviewError, match="elevation index 1 out of range"):
        PairTable(store, "train", "fixed", elevation_index=1)
    with pytest.raises(NovelviewError, match="fixed pairs"):
        PairTable(store, "train", "fixed", "any")


def test_geometry_is_what_the_data_set_holds(two_elevations):
    geometry = PairTable(two_elevations, "train", "all", "any").geometry()
    assert (geometry.image_size, geometry.num_azimuths, geometry.elevation_range, geometry.jittered) == (16, 4, (0.0, 30.0), False)
    assert PairTable(two_elevations, "train", "all", elevation_index=0).geometry().elevation_range == (0.0, 0.0)


@pytest.mark.parametrize("size", [1, 2, 7, 1000, 4097])
def test_the_shuffle_is_a_permutation(size):
    order = shuffled(np.arange(size), size, (3, 1))
    assert sorted(order.tolist()) == list(range(size))
    assert size < 7 or not np.array_equal(order, np.arange(size))
    assert not np.array_equal(order, shuffled(np.arange(size), size, (3, 2))) or size < 3


def test_passes_and_ranks_cover_each_pair_once():
    size, batch = 1000, 16
    single = PassSampler(size, batch, seed=0)
    keys = list(iter(single))
    assert len(keys) == 1000 // 16 and keys[0] == (0, 0)
    seen = np.concatenate([single.batch_ids(k) for k in keys])
    assert len(set(seen.tolist())) == len(seen)  # one pass: no pair twice
    shares = [PassSampler(size, batch, seed=0, rank=r, world=2) for r in range(2)]
    ids = [np.concatenate([s.batch_ids(k) for k in iter(s)]) for s in shares]
    assert not set(ids[0].tolist()) & set(ids[1].tolist())  # ranks draw disjoint shares
    assert len(ids[0]) == len(ids[1]) == (1000 // 32) * 16
    again = PassSampler(size, batch, seed=0)
    again.resume(0, 5)
    assert next(iter(again)) == (0, 5)  # a resumed pass continues where it stopped
    np.testing.assert_array_equal(again.batch_ids((0, 5)), single.batch_ids((0, 5)))
    second = list(iter(single))
    assert second[0] == (1, 0) and not np.array_equal(single.batch_ids((1, 0)), single.batch_ids((0, 0)))


def test_a_batch_read_from_the_file_is_the_views(two_elevations):
    table = PairTable(two_elevations, "train", "all", "any")
    pairs = table.decode(np.arange(0, len(table), 7))
    item = read_pixels(pack(pairs), FileViews(two_elevations.views), FileViews(two_elevations.depth))
    flat = two_elevations.views.reshape(-1, *two_elevations.views.shape[3:])
    np.testing.assert_array_equal(item["pixels"][0], flat[pairs.source_view])
    np.testing.assert_array_equal(item["pixels"][1], flat[pairs.target_view])
    depth = two_elevations.depth.reshape(-1, 16, 16)
    np.testing.assert_array_equal(item["depth"][1], depth[pairs.target_view])
    batch = to_training_batch({k: torch.from_numpy(v) for k, v in item.items()})
    assert torch.equal(batch["source"], to_model_input(flat[pairs.source_view]))
    assert batch["source"].is_contiguous() and batch["target"].is_contiguous()  # the fast convolution path
    assert batch["target_alpha"].shape == (len(pairs), 1, 16, 16)
    np.testing.assert_allclose(batch["target_elevation"].numpy(), pairs.target_elevation)
    np.testing.assert_allclose(batch["source_azimuth"].numpy(), pairs.source_azimuth)


def test_resident_views_give_the_same_batch(two_elevations):
    table = PairTable(two_elevations, "train", "all", "any")
    sampler = PassSampler(len(table), 8, seed=0)
    key = next(iter(sampler))
    from_file = PairBatches(table, sampler, FileViews(two_elevations.views), FileViews(two_elevations.depth), True, 0)[key]
    resident = PairBatches(table, sampler, None, None, True, 0)[key]
    assert "pixels" not in resident and resident["views"].shape == (8, 5)  # object + 4 views
    views = ResidentViews(two_elevations.views, table.models, "cpu")
    depth = ResidentViews(two_elevations.depth, table.models, "cpu")
    a, b = to_training_batch(from_file), to_training_batch(resident, views, depth)
    for name in ("source", "target", "target_alpha", "wrong_pose", "other_object", "source_depth", "target_depth"):
        assert torch.equal(a[name], b[name]), name


def test_negatives_are_the_same_object_elsewhere_and_another_object_here(two_elevations):
    table = PairTable(two_elevations, "train", "all", "any")
    sampler = PassSampler(len(table), 64, seed=0)
    item = PairBatches(table, sampler, None, None, True, 0)[next(iter(sampler))]["views"].numpy()
    model, target, wrong_pose, other = item[:, 0], item[:, 2], item[:, 3], item[:, 4]
    per_object, per_elevation = 2 * 4, 4
    assert (wrong_pose // per_object == model).all()  # the same object ...
    assert ((wrong_pose % per_object) // per_elevation == (target % per_object) // per_elevation).all()  # elevation
    assert (wrong_pose % per_elevation != target % per_elevation).all()  # ... at another azimuth
    assert (other // per_object != model).all()  # another object ...
    assert (other % per_object == target % per_object).all()  # ... at the target's view
    assert set((other // per_object).tolist()) <= set(table.models.tolist())
