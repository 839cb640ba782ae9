"""Training pairs: the three modes, the relative rotation and the model-input image convention."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from novelview.data.pairs import PairDataset, pair_table
from novelview.data.store import ViewStore
from novelview.errors import NovelviewError


@pytest.fixture(scope="module")
def store(tiny_dataset):
    return ViewStore(tiny_dataset)


def test_pair_counts_per_mode(store):
    train = len(store.indices("train"))
    assert train == 6  # 12 models, 25% val, 25% test
    assert len(PairDataset(store, "train", "fixed")) == train * 36
    assert len(PairDataset(store, "train", "from_zero")) == train * 35
    assert len(PairDataset(store, "train", "all")) == train * 36 * 35
    assert len(PairDataset(store, "test", "from_zero")) == len(store.indices("test")) * 35


def test_pair_tables():
    fixed = pair_table(2, 36, "fixed")
    assert fixed.shape == (72, 3)
    np.testing.assert_array_equal(fixed[:36, 1], np.arange(36))
    np.testing.assert_array_equal(fixed[:36, 2], (np.arange(36) + 3) % 36)
    np.testing.assert_array_equal(fixed[:, 0], np.repeat([0, 1], 36))
    step5 = pair_table(1, 36, "fixed", fixed_step=5)
    np.testing.assert_array_equal((step5[:, 2] - step5[:, 1]) % 36, 5)
    zero = pair_table(1, 36, "from_zero")
    assert (zero[:, 1] == 0).all() and zero[:, 2].tolist() == list(range(1, 36))
    every = pair_table(1, 36, "all")
    pairs = {(s, t) for _, s, t in every.tolist()}
    assert len(pairs) == 36 * 35 and all(s != t for s, t in pairs)
    with pytest.raises(NovelviewError, match="unknown pair mode"):
        pair_table(1, 36, "random")


def test_unknown_mode_is_refused(store):
    with pytest.raises(NovelviewError, match="unknown pair mode 'sideways'"):
        PairDataset(store, "train", "sideways")
    with pytest.raises(NovelviewError, match="unknown split"):
        PairDataset(store, "holdout", "fixed")


@pytest.mark.parametrize("mode", ["fixed", "from_zero", "all"])
def test_items_carry_the_relative_rotation(store, mode):
    data = PairDataset(store, "train", mode)
    rng = np.random.default_rng(0)
    for i in rng.choice(len(data), size=12, replace=False).tolist() + [0, len(data) - 1]:
        item = data[i]
        model, src, tgt = (int(v) for v in data.table[i])
        assert item["model"] == model and item["source_azimuth"] == src
        assert item["model"] in store.indices("train")
        rotation = (tgt - src) % 36
        assert item["rotation"] == rotation
        assert item["rotation_deg"] == pytest.approx(10.0 * rotation)
        assert item["pose"].dtype == torch.float32 and item["pose"].shape == (36,)
        assert item["pose"].sum() == 1 and item["pose"][rotation] == 1
        if mode == "fixed":
            assert rotation == 3
        if mode == "from_zero":
            assert src == 0 and rotation == tgt


def test_images_are_float_in_minus_one_one_on_white(store):
    data = PairDataset(store, "train", "from_zero")
    item = data[4]
    for key in ("source", "target"):
        image = item[key]
        assert image.dtype == torch.float32 and image.shape == (3, 32, 32)
        assert image.min() >= -1 and image.max() <= 1
    model, src, tgt = (int(v) for v in data.table[4])
    views = store.views[model, 0]
    # transparent background -> white -> exactly +1
    background = views[tgt][..., 3] == 0
    assert background.any()
    assert (item["target"].permute(1, 2, 0)[torch.from_numpy(background)] == 1.0).all()
    # fully covered pixels: x * 2/255 - 1 of their colour
    solid = views[src][..., 3] == 255
    expected = views[src][solid][:, :3].astype(np.float32) * 2 / 255 - 1
    np.testing.assert_allclose(item["source"].permute(1, 2, 0).numpy()[solid], expected, atol=1e-6)
    assert item["source"].min() < 0.5  # there is an object in it


def test_a_data_loader_batches_pairs(store):
    loader = torch.utils.data.DataLoader(PairDataset(store, "val", "fixed"), batch_size=36)
    batch = next(iter(loader))
    assert batch["source"].shape == (36, 3, 32, 32) and batch["pose"].shape == (36, 36)
    assert (batch["rotation"] == 3).all() and len(set(batch["model"].tolist())) == 1


def test_elevation_index_out_of_range_is_refused(store):
    with pytest.raises(NovelviewError, match="elevation index 1 out of range"):
        PairDataset(store, "train", "fixed", elevation_index=1)


def test_items_read_the_right_bytes_at_every_elevation(tmp_path):
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    settings = RenderSettings(size=16, azimuths=4, elevations=(0.0, 30.0), supersample=1)
    render_dataset(RenderJob("procedural:mug,car", tmp_path / "d", settings, models=2, workers=1,
                             test_share=0.0), progress=False)
    store = ViewStore(tmp_path / "d")
    for elevation in (0, 1):
        data = PairDataset(store, "train", "all", elevation_index=elevation)
        assert len(data) == 4 * 4 * 3
        for i in range(len(data)):
            item = data[i]
            model, src, tgt = (int(v) for v in data.table[i])
            from novelview.images import to_model_input

            expected = to_model_input(np.asarray(store.views[model, elevation, [src, tgt]]))
            assert torch.equal(item["source"], expected[0]) and torch.equal(item["target"], expected[1])
            assert item["pose"].shape == (4,) and item["rotation_deg"] == 90.0 * ((tgt - src) % 4)
