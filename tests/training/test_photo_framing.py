"""data.photo_framing: a share of training sources framed as `novelview.photo` frames a photo."""

from __future__ import annotations

import numpy as np
import torch

from novelview.data.viewstore import ViewStore
from novelview.images import views_to_model
from novelview.photo.framing import CENTRE_X, CENTRE_Y, ENCLOSING_DIAMETER, enclosing_circle, frame_object
from novelview.training import datamodule as datamodule_module
from novelview.training.photo_framing import photo_frame_theta, reframe, reframe_share_of_sources

from training_helpers import QUICK, SMALL_FLOW, config_for, fit


def _views(data_dir, count: int = 12) -> np.ndarray:
    views = ViewStore(data_dir).views
    return np.stack([views[m % views.shape[0], 0, (5 * m) % views.shape[2]] for m in range(count)])


def _on_white(images: torch.Tensor) -> np.ndarray:
    return ((images.permute(0, 2, 3, 1).numpy() + 1.0) * 127.5).astype(np.float32)


def test_a_reframed_render_is_what_the_photo_pipeline_makes_of_it(tiny_dataset_64):
    views = _views(tiny_dataset_64)
    rgb, alpha = views_to_model(torch.from_numpy(views))
    mine, original = _on_white(reframe(rgb, alpha)[0]), _on_white(rgb)
    photo = np.stack([frame_object(v[..., :3], v[..., 3] / 255.0, 64)[0] for v in views]).astype(np.float32)
    moved = np.abs(original - photo).mean(axis=(1, 2, 3))
    assert moved.max() > 2.0, "the photo framing should move some of these objects"
    # bilinear here, area averaging there: close, and much closer than the render's own framing
    assert np.abs(mine - photo).mean() < 0.35 * np.abs(original - photo).mean()


def test_a_disc_lands_where_and_as_large_as_the_photo_framing_puts_objects():
    size, radius = 64, 9.0
    ys, xs = np.mgrid[:size, :size] + 0.5
    disc = ((xs - 20.0) ** 2 + (ys - 40.0) ** 2 <= radius ** 2).astype(np.float32)  # small, low and left
    images = torch.from_numpy(np.where(disc > 0, -1.0, 1.0)).float().expand(1, 3, size, size)
    _, alpha = reframe(images, torch.from_numpy(disc)[None, None])
    alpha = alpha[0, 0].numpy()
    centre = ((alpha * xs).sum() / alpha.sum(), (alpha * ys).sum() / alpha.sum())
    assert abs(centre[0] - CENTRE_X * size) < 0.3 and abs(centre[1] - CENTRE_Y * size) < 0.3, centre
    _, _, radius_after = enclosing_circle(alpha)  # the measure the photo framing scales by
    assert abs(2 * radius_after / size - ENCLOSING_DIAMETER) < 0.02, 2 * radius_after / size


def test_an_empty_view_is_left_as_it_is():
    assert np.array_equal(photo_frame_theta(np.zeros((64, 64))), np.eye(2, 3, dtype=np.float32))


def test_the_share_and_the_seeded_choice(tiny_dataset_64):
    rgb, alpha = views_to_model(torch.from_numpy(_views(tiny_dataset_64, 32)))

    def run(share, seed=0, step=0):
        batch = {"source": rgb.clone(), "source_alpha": alpha}
        reframe_share_of_sources(batch, share, seed, step)
        return (batch["source"] != rgb).flatten(1).any(1)

    assert not run(0.0).any()
    assert run(1.0).sum() >= 28  # a view already framed as a photo would be may come back unchanged
    half = run(0.5, step=7)
    assert 6 <= half.sum() <= 26 and torch.equal(half, run(0.5, step=7))  # a resumed step re-frames the same pairs
    assert not torch.equal(half, run(0.5, step=8))


def test_training_reframes_sources_and_validation_does_not(tiny_jittered, tmp_path, monkeypatch):
    seen = []
    original = datamodule_module.reframe_share_of_sources

    def counting(batch, share, seed, step, rank):
        before = batch["source"].clone()
        original(batch, share, seed, step, rank)
        seen.append((share, step, rank, not torch.equal(before, batch["source"])))

    monkeypatch.setattr(datamodule_module, "reframe_share_of_sources", counting)
    config = config_for("flow", *QUICK, *SMALL_FLOW, "data.photo_framing=0.5", "trainer.max_steps=3",
                        "trainer.val_check_interval=1")
    _, _, trainer = fit(config, tiny_jittered, tmp_path / "run")
    assert trainer.global_step == 3 and "val/l1" in trainer.callback_metrics  # validation ran, and
    assert [entry[:3] for entry in seen] == [(0.5, 0, 0), (0.5, 1, 0), (0.5, 2, 0)]  # only the training batches
    assert any(changed for *_, changed in seen)
