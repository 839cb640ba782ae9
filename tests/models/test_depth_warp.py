"""depth_warp: the geometric warp is right with true depth, and the family is usable from one image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from novelview.data.render import Renderer, RenderSettings
from novelview.data.surface import concatenate, solid
from novelview.errors import NovelviewError
from novelview.images import views_to_model
from novelview.models import build_model
from novelview.models.splat import warp_to_target

torch.set_num_threads(1)
SETTINGS = RenderSettings(size=64, supersample=2, elevations=(0.0, 20.0))


def _object():
    """A box with differently coloured faces and a cylinder beside it: parallax and occlusion."""
    box = trimesh.creation.box(extents=[1.0, 0.6, 0.8])
    colours = np.array([[0.9, 0.1, 0.1], [0.1, 0.8, 0.2], [0.1, 0.2, 0.9], [0.9, 0.8, 0.1], [0.6, 0.1, 0.7],
                        [0.1, 0.7, 0.8]])[np.arange(12) // 2]
    parts = [solid(box.vertices, box.faces[k:k + 1], tuple(colours[k])) for k in range(12)]
    pole = trimesh.creation.cylinder(radius=0.15, height=1.2)
    pole.apply_translation([0.75, 0.2, 0.3])
    return concatenate([*parts, solid(pole.vertices, pole.faces, (0.2, 0.2, 0.2))])


@pytest.fixture(scope="module")
def object_views():
    """The object at azimuths 0 and 30 (elevation 0) and azimuth 30 at elevation 20."""
    renderer = Renderer(_object(), SETTINGS)
    views = {key: renderer.render_view_and_depth(*key) for key in ((0.0, 0.0), (30.0, 0.0), (30.0, 20.0))}
    return {key: (*views_to_model(torch.from_numpy(view[None])), torch.from_numpy(depth[None].astype(np.float32)))
            for key, (view, depth) in views.items()}


def _warp(object_views, rotation: float, target_elevation: float):
    rgb, alpha, depth = object_views[(0.0, 0.0)]
    return warp_to_target(rgb, alpha, depth, torch.tensor([rotation]), torch.tensor([0.0]),
                          torch.tensor([target_elevation]), SETTINGS.camera_distance, SETTINGS.margin)


def test_no_turn_gives_the_source_back_where_it_lands(object_views):
    rgb, alpha, _ = object_views[(0.0, 0.0)]
    warped, coverage = _warp(object_views, 0.0, 0.0)
    solid = (alpha > 0.99) & (coverage > 0.99)
    assert solid.float().mean() > 0.1
    assert (warped - rgb).abs()[solid.expand_as(rgb)].max() < 0.02
    assert torch.allclose(coverage, alpha, atol=0.02)


@pytest.mark.parametrize("target", [(30.0, 0.0), (30.0, 20.0)])
def test_the_true_depth_moves_pixels_to_where_the_target_view_has_them(object_views, target):
    """On the target's object pixels that the warp covers, the warp is far closer than copying."""
    rgb_s = object_views[(0.0, 0.0)][0]
    rgb_t, alpha_t, _ = object_views[target]
    warped, coverage = _warp(object_views, *target)
    where = ((alpha_t > 0.99) & (coverage > 0.9)).expand_as(rgb_t)
    assert where.float().mean() > 0.05
    warp_error = (warped - rgb_t).abs()[where].mean()
    copy_error = (rgb_s - rgb_t).abs()[where].mean()
    assert warp_error < 0.5 * copy_error, (float(warp_error), float(copy_error))
    # What lands is inside the target's silhouette (the newly seen side is left to the completion).
    landed, truth = coverage > 0.5, alpha_t > 0.5
    assert (landed & truth).sum() / landed.sum() > 0.97
    assert (landed & truth).sum() / (landed | truth).sum() > 0.55


def test_gradients_reach_the_depth_through_the_splat(object_views):
    rgb, alpha, depth = object_views[(0.0, 0.0)]
    depth = depth.clone().requires_grad_(True)
    warped, _ = warp_to_target(rgb, alpha, depth, torch.tensor([30.0]), torch.tensor([0.0]), torch.tensor([0.0]),
                               SETTINGS.camera_distance, SETTINGS.margin)
    warped.sum().backward()
    assert depth.grad is not None and depth.grad.abs().sum() > 0


def test_the_model_predicts_from_an_image_alone_at_any_angle():
    model = build_model("depth_warp", width=0.5, completion_width=0.5, image_size=32, elevation_range=[0.0, 20.0])
    source = torch.rand(2, 3, 32, 32) * 2 - 1
    for azimuth, elevation in ((0.0, 0.0), (123.4, 10.0), (-40.0, 20.0)):
        out = model.predict(source, azimuth, elevation)
        assert out.shape == (2, 3, 32, 32) and torch.isfinite(out).all() and out.abs().max() <= 1


def test_options_it_cannot_use_are_refused_with_the_reason():
    with pytest.raises(NovelviewError, match="continuous"):
        build_model("depth_warp", pose="onehot")
    with pytest.raises(NovelviewError, match="camera_distance"):
        build_model("depth_warp", camera_distance=0.5)


def test_the_loss_asks_for_depth_when_the_batch_has_none():
    model = build_model("depth_warp", width=0.5, completion_width=0.5, image_size=32)
    source = torch.zeros(1, 3, 32, 32)
    outputs = model(source, model.encode_pose(torch.tensor([30.0]), torch.zeros(1), torch.zeros(1)))
    with pytest.raises(NovelviewError, match="rendered with depth"):
        model.losses(outputs, {"target": source, "target_alpha": torch.zeros(1, 1, 32, 32)})
