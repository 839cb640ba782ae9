"""The built-in procedural set: a pure function of (category, seed, index), the same bytes every time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from novelview.data import procedural
from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import list_models
from novelview.data.store import RenderJob, render_dataset
from novelview.errors import NovelviewError

SMALL = RenderSettings(size=16, azimuths=6, supersample=2)


@pytest.mark.parametrize("category", procedural.CATEGORIES)
def test_same_seed_gives_byte_identical_views(category):
    first = Renderer(procedural.make_model(category, 7, 3), SMALL).render_all()[0]
    second = Renderer(procedural.make_model(category, 7, 3), SMALL).render_all()[0]
    assert first.tobytes() == second.tobytes()
    assert first[..., 3].any()


@pytest.mark.parametrize("category", procedural.CATEGORIES)
def test_other_seed_or_index_gives_another_model(category):
    base = Renderer(procedural.make_model(category, 0, 0), SMALL).render_all()[0]
    other_seed = Renderer(procedural.make_model(category, 1, 0), SMALL).render_all()[0]
    other_index = Renderer(procedural.make_model(category, 0, 1), SMALL).render_all()[0]
    assert base.tobytes() != other_seed.tobytes()
    assert base.tobytes() != other_index.tobytes()


def test_two_renders_of_a_data_set_are_byte_identical(tmp_path):
    settings = RenderSettings(size=16, azimuths=8, supersample=1)
    outs = []
    for name in ("a", "b"):
        job = RenderJob("procedural:all", tmp_path / name, settings, models=2, seed=3, workers=1)
        render_dataset(job, progress=False)
        outs.append(tmp_path / name)
    assert (outs[0] / "views.npy").read_bytes() == (outs[1] / "views.npy").read_bytes()
    assert (outs[0] / "split.json").read_text() == (outs[1] / "split.json").read_text()
    meta = [json.loads((o / "meta.json").read_text()) for o in outs]
    assert meta[0] == meta[1]
    other = RenderJob("procedural:all", tmp_path / "c", settings, models=2, seed=4, workers=1)
    render_dataset(other, progress=False)
    assert (tmp_path / "c" / "views.npy").read_bytes() != (outs[0] / "views.npy").read_bytes()


@pytest.mark.parametrize("category", procedural.CATEGORIES)
def test_models_are_well_formed(category):
    for index in range(5):
        s = procedural.make_model(category, 0, index)
        assert s.vertices.dtype == np.float64 and np.isfinite(s.vertices).all()
        assert s.faces.min() >= 0 and s.faces.max() < len(s.vertices)
        assert s.corner_colors.shape == (len(s.faces), 3, 3)
        assert s.corner_colors.min() >= 0 and s.corner_colors.max() <= 1
        assert s.is_flat  # flat colours: the fast shading path
        assert np.ptp(s.vertices, axis=0).min() > 0.1  # a solid, not a sheet


def test_car_front_faces_plus_z():
    # front lights are white-yellow, rear lights red: the documented frame puts the front at +z
    for index in range(4):
        s = procedural.make_model("car", 0, index)
        centroids = s.vertices[s.faces].mean(1)
        colours = s.corner_colors[:, 0]
        front = np.all(np.isclose(colours, [1.0, 0.95, 0.6]), axis=1)
        rear = np.all(np.isclose(colours, [0.85, 0.05, 0.05]), axis=1)
        assert front.any() and rear.any()
        assert centroids[front, 2].min() > centroids[:, 2].max() - 0.1
        assert centroids[rear, 2].max() < centroids[:, 2].min() + 0.1


def test_mug_handles_appear_on_both_sides():
    sides = set()
    for index in range(20):
        s = procedural.make_model("mug", 0, index)
        x = s.vertices[:, 0]
        if abs(x.max() + x.min()) > 0.1:  # a handle makes the mug lopsided along x
            sides.add(np.sign(x.max() + x.min()))
    assert sides == {-1.0, 1.0}


def test_list_models_names_and_counts():
    refs = list_models("procedural:car,mug", models=3, seed=5)
    assert [r.model_id for r in refs] == [f"{c}_5_{i:05d}" for c in ("car", "mug") for i in range(3)]
    assert len(list_models("procedural:all", models=2)) == 2 * len(procedural.CATEGORIES)
    assert len(list_models("procedural:chair")) == 100  # the default


def test_unknown_category_is_refused():
    with pytest.raises(NovelviewError, match="unknown procedural category 'plane'"):
        list_models("procedural:car,plane")
    with pytest.raises(ValueError):
        procedural.make_model("plane", 0, 0)
