"""The varied procedural appearance (seeded textures, materials, per-model light) and the promise
that the plain look of the original categories never changes."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from novelview.data import procedural
from novelview.data.render import KEY_LIGHT_DIRECTION, RenderSettings, Renderer
from novelview.data.sources import list_models, load_model
from novelview.data.store import RenderJob, render_dataset
from novelview.data.surface import Lighting
from novelview.errors import NovelviewError

HASHED = RenderSettings(size=24, azimuths=4, supersample=2, elevations=(0.0, 30.0))
SMALL = RenderSettings(size=16, azimuths=4, supersample=2)

# sha256 (first 16 hex digits) of (vertices, faces, corner colours) and of (views, depth) at HASHED,
# computed with the code before parts, appearances and new categories existed. Existing data sets
# and the shipped weights were made from these bytes: they must never change.
BEFORE = {
    ("car", 0, 0): ("429108adf60cb0bf", "fc8327381b56842a"),
    ("car", 7, 3): ("2565ba254e157ded", "148b259ea485f0d1"),
    ("car", 1, 11): ("195d16c83525406d", "7b7b92d8250a1121"),
    ("chair", 0, 0): ("1c841a9ff0c0a430", "d638154bb6f125e3"),
    ("chair", 7, 3): ("a488b22ec2d65cf5", "baefcc7dec8198d4"),
    ("chair", 1, 11): ("34105be405f144a2", "2b43a7b900df5692"),
    ("mug", 0, 0): ("f844fc36a82b1800", "f86d590e78eee35c"),
    ("mug", 7, 3): ("eb47f5edc1f33939", "3cb273f324200d88"),
    ("mug", 1, 11): ("5e87d9ef8d6891d9", "045e68c5d2fbc68e"),
}
# views.npy of `procedural:all`, 2 models per category, seed 3, 16 px, 4 azimuths, supersample 1.
BEFORE_DATA_SET = "229ab28edbb80a53"


def _digest(*arrays: np.ndarray) -> str:
    return hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()[:16]


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_plain_original_categories_are_byte_identical_to_before(key):
    surface = procedural.make_model(*key)
    views, depth = Renderer(surface, HASHED).render_all()
    assert (_digest(surface.vertices, surface.faces, surface.corner_colors), _digest(views, depth)) == BEFORE[key]
    assert surface.lighting is None and surface.corner_uv is None


def test_plain_all_data_set_is_byte_identical_to_before(tmp_path):
    job = RenderJob("procedural:all", tmp_path / "d", RenderSettings(size=16, azimuths=4, supersample=1),
                    models=2, seed=3, workers=1)
    render_dataset(job, progress=False)
    assert hashlib.sha256((tmp_path / "d" / "views.npy").read_bytes()).hexdigest()[:16] == BEFORE_DATA_SET
    meta = json.loads((tmp_path / "d" / "meta.json").read_text())
    assert "model_info" not in meta  # plain refs add nothing to the metadata


@pytest.mark.parametrize("category", procedural.EVERY_CATEGORY)
def test_varied_is_byte_identical_for_the_same_seed(category):
    first, second = (procedural.make_model(category, 5, 2, "varied") for _ in range(2))
    assert len(first.textures) == len(second.textures) >= 1
    assert all(a.tobytes() == b.tobytes() for a, b in zip(first.textures, second.textures))
    assert first.lighting == second.lighting
    assert Renderer(first, SMALL).render_all()[0].tobytes() == Renderer(second, SMALL).render_all()[0].tobytes()


@pytest.mark.parametrize("category", procedural.EVERY_CATEGORY)
def test_varied_keeps_the_shape_but_changes_the_look(category):
    plain = procedural.make_model(category, 0, 1)
    varied = procedural.make_model(category, 0, 1, "varied")
    assert varied.vertices.tobytes() == plain.vertices.tobytes()  # the same shape
    assert not varied.is_flat and (varied.face_texture >= 0).mean() > 0.3  # most faces textured
    assert all(len(procedural.make_model(category, 0, i, "varied").textures) >= 2 for i in range(6))  # materials
    for image in varied.textures:
        assert image.dtype == np.float32 and image.ndim == 3 and max(image.shape[:2]) <= 128
        assert 0 <= image.min() and image.max() <= 1 and image.std() > 0.005  # a pattern, not a flat fill
    assert not np.allclose(varied.corner_colors, plain.corner_colors)
    assert varied.lighting is not None
    assert Renderer(varied, SMALL).render_all()[0].tobytes() != Renderer(plain, SMALL).render_all()[0].tobytes()


def test_lighting_varies_between_models():
    lights = {procedural.make_model("chair", 0, i, "varied").lighting for i in range(6)}
    assert len(lights) == 6
    assert all(0.2 <= light.ambient <= 0.5 and 0.2 <= light.key_light <= 0.65 for light in lights)


def test_per_model_lighting_changes_pixels_only_when_set():
    surface = procedural.make_model("mug", 0, 0)
    settings = RenderSettings(size=16, azimuths=2, supersample=1, key_light=0.4)
    baseline = Renderer(surface, settings).render_all()[0]
    surface.lighting = Lighting(settings.ambient, settings.key_light, tuple(KEY_LIGHT_DIRECTION))
    assert Renderer(surface, settings).render_all()[0].tobytes() == baseline.tobytes()
    surface.lighting = Lighting(0.2, 0.7, (0.6, 0.3, 0.5))
    relit = Renderer(surface, settings).render_all()[0]
    assert relit.tobytes() != baseline.tobytes()
    assert (relit[..., 3] == baseline[..., 3]).all()  # the light changes colours, never the silhouette


def test_source_option_gives_the_varied_look_and_records_it():
    refs = list_models("procedural:car,lamp?appearance=varied", models=2, seed=1)
    assert [r.category for r in refs] == ["car", "car", "lamp", "lamp"]
    assert all(r.info == {"appearance": "varied"} for r in refs)
    loaded = load_model(refs[0])
    assert loaded.texturing == "textured" and loaded.surface.textures
    plain = list_models("procedural:car?appearance=plain", models=1, seed=1)[0]
    assert plain.info == {} and not load_model(plain).surface.textures


@pytest.mark.parametrize("spec, named", [
    ("procedural:car?appearance=bogus", "procedural.appearance is 'bogus': choose from plain, varied"),
    ("procedural:car?look=varied", "unknown option 'look' for source 'procedural': known are appearance"),
    ("procedural:car?apperance=varied",
     "unknown option 'apperance' for source 'procedural' (did you mean 'appearance'?): known are appearance"),
])
def test_bad_option_is_one_line_naming_the_known_ones(spec, named):
    with pytest.raises(NovelviewError) as caught:
        list_models(spec)
    assert str(caught.value) == named


def test_all_keeps_its_meaning_and_every_takes_every_category():
    assert [r.category for r in list_models("procedural:all", models=1)] == ["car", "chair", "mug"]
    every = [r.category for r in list_models("procedural:every?appearance=varied", models=1)]
    assert every == list(procedural.EVERY_CATEGORY)
    assert {"table", "sofa", "bottle", "lamp", "airplane"} <= set(every)
    with pytest.raises(NovelviewError, match="all .car, chair, mug. or every"):
        list_models("procedural:spaceship")
