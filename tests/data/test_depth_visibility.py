"""Depth maps, per-view angles (azimuth jitter) and true visibility computed from depth."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import trimesh

from novelview.data.camera import orbit_camera
from novelview.data.render import RenderSettings, Renderer
from novelview.data.store import RenderJob, render_dataset
from novelview.data.viewstore import ViewStore
from novelview.data.surface import solid
from novelview.data.visibility import camera_frames, true_visibility

SETTINGS = RenderSettings(size=32, azimuths=4, supersample=1)


def _cube():
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    return solid(box.vertices, box.faces, (0.6, 0.6, 0.6))


def _depth(surface, azimuth, elevation=0.0, settings=SETTINGS):
    views, depth = Renderer(surface, settings).render_all(np.array([[azimuth]]) if elevation == 0 else None)
    return views[0, 0], depth[0, 0]


def test_depth_is_the_distance_to_the_surface_and_zero_on_background():
    view, depth = _depth(_cube(), 0.0)
    assert depth.dtype == np.float16
    assert ((depth > 0) == (view[..., 3] > 0)).all()
    # The cube spans the unit sphere's frame: its front face (z = 0.5/0.866 after normalising)
    # is at camera distance 2.6 - 0.577 on the axis.
    centre = float(depth[15:17, 15:17].mean())
    assert centre == pytest.approx(2.6 - 0.5 / np.sqrt(0.75), abs=0.01)


def test_torch_camera_frames_match_the_renderers_camera():
    for az, el in [(0.0, 0.0), (90.0, 0.0), (213.0, 20.0), (350.0, 30.0)]:
        cam = orbit_camera(az, el, 2.6, 0.96)
        eye, fwd, right, up = camera_frames(torch.tensor([az]), torch.tensor([el]), 2.6)
        for a, b in [(eye, cam.eye), (fwd, cam.forward), (right, cam.right), (up, cam.up)]:
            np.testing.assert_allclose(a[0].numpy(), b, atol=1e-9)


def _visibility(source_az, target_az, surface=None, el=(0.0, 0.0)):
    surface = surface or _cube()
    settings = RenderSettings(size=32, azimuths=1, elevations=(0.0,), supersample=1)
    r = Renderer(surface, settings)
    _, d_s = r.render_view_and_depth(source_az, el[0])
    _, d_t = r.render_view_and_depth(target_az, el[1])
    vis = true_visibility(torch.from_numpy(d_s[None].astype(np.float32)), torch.from_numpy(d_t[None].astype(np.float32)),
                          torch.tensor([source_az]), torch.tensor([el[0]]), torch.tensor([target_az]),
                          torch.tensor([el[1]]), settings.camera_distance, settings.margin)
    return vis[0, 0].numpy(), d_t


@pytest.mark.parametrize("az, el", [(0.0, 0.0), (137.0, 0.0), (40.0, 25.0)])
def test_identical_views_are_visible_everywhere(az, el):
    vis, _ = _visibility(az, az, el=(el, el))
    assert vis.min() == 1.0


def test_a_cube_turned_90_degrees_shows_only_hidden_faces():
    # At elevation 0 the azimuth-90 camera sees the +x face alone, which the azimuth-0 camera
    # (seeing the +z face alone) cannot see: every object pixel is hidden but a strip along the
    # shared edge (the left of the target image), as wide as the depth test's tolerance.
    vis, depth = _visibility(0.0, 90.0)
    object_pixels = depth > 0
    assert (vis[~object_pixels] == 1).all()
    columns = np.flatnonzero(object_pixels.any(0))
    visible_columns = [c for c in columns if vis[object_pixels[:, c], c].mean() > 0]
    assert visible_columns == list(columns[:3])
    assert 1 - vis[object_pixels].mean() > 0.85


def test_a_cube_turned_45_degrees_keeps_the_face_both_cameras_see():
    # From azimuth 45 the camera sees the +z face (left half of the image) and the +x face (right
    # half); the azimuth-0 camera sees the +z face: the left half is visible, the right hidden.
    vis, depth = _visibility(0.0, 45.0)
    object_pixels = depth > 0
    left = vis[:, 6:14][object_pixels[:, 6:14]].mean()
    right = vis[:, 19:26][object_pixels[:, 19:26]].mean()
    assert left == 1.0 and right == 0.0


def test_jittered_azimuths_are_recorded_per_view(tmp_path):
    settings = RenderSettings(size=16, azimuths=6, elevations=(0.0, 20.0), supersample=1, azimuth_jitter=10.0)
    job = RenderJob("procedural:mug", tmp_path / "d", settings, models=2, seed=3, workers=1)
    render_dataset(job, progress=False)
    store = ViewStore(tmp_path / "d")
    angles = store.view_azimuths()
    assert angles.shape == (2, 2, 6)
    offsets = angles - np.arange(6) * 60.0
    assert np.abs(offsets).max() <= 5.0 and np.abs(offsets).min() > 0
    assert len({round(v, 6) for v in offsets.ravel()}) == offsets.size  # every view has its own
    # The views are rendered at those angles: re-rendering one gives the same bytes.
    from novelview.data.sources import list_models, load_surface

    ref = list_models("procedural:mug", 2, 3)[1]
    again, _ = Renderer(load_surface(ref), settings).render_view_and_depth(angles[1, 1, 4], 20.0)
    np.testing.assert_array_equal(again, store.views[1, 1, 4])
    assert store.depth.shape == (2, 2, 6, 16, 16) and store.depth.dtype == np.float16
    meta = json.loads((tmp_path / "d" / "meta.json").read_text())
    assert meta["render"]["azimuth_jitter"] == 10.0


def test_without_jitter_the_grid_is_every_views_azimuth(tiny_dataset):
    store = ViewStore(tiny_dataset)
    np.testing.assert_array_equal(store.view_azimuths()[0, 0], np.arange(36) * 10.0)
