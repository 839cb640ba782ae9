"""Textures of real layouts: paths relative to the MTL, ShapeNetCore.v2's ../images/, absolute
paths of the author's machine, big images shrunk on load, and the notices a render sums up."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import list_models, load_model
from novelview.data.sources.assets import shrink_texture, texture_side_limit
from novelview.data.store import RenderJob, render_dataset

from mesh_helpers import square_obj

VIEW = RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)  # colours as stored
TEAL = (0, 128, 128)



def _texture(path, colour=TEAL, size=8):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), colour).save(path)


def _centre_colour(surface) -> np.ndarray:
    view = Renderer(surface, VIEW).render_view(0.0)
    return view[14:18, 14:18, :3].reshape(-1, 3).mean(0)


def _shapenet_v2(root):
    """ROOT/03797390/mug_a/models/model_normalized.{obj,mtl}, texture in mug_a/images/ (as v2 has it)."""
    model = root / "03797390" / "mug_a"
    (model / "models").mkdir(parents=True)
    (model / "models" / "model_normalized.obj").write_text(square_obj("model_normalized.mtl", "skin", facing="-z"))
    (model / "models" / "model_normalized.mtl").write_text("newmtl skin\nKd 1 1 1\nmap_Kd ../images/texture0.jpg\n")
    _texture(model / "images" / "texture0.jpg")
    return root


def test_shapenet_v2_textures_in_images_folder_are_used(tmp_path):
    root = _shapenet_v2(tmp_path / "ShapeNetCore.v2")
    for spec in (f"shapenet:{root}:mug", f"shapenet:{root / '03797390'}"):  # by category, and the synset folder
        (ref,) = list_models(spec)
        loaded = load_model(ref)
        assert loaded.texturing == "textured" and loaded.notices == []
        np.testing.assert_allclose(_centre_colour(loaded.surface), TEAL, atol=4)  # JPEG: a few levels off


def test_a_texture_outside_the_data_root_is_refused_with_the_reason(tmp_path):
    root = _shapenet_v2(tmp_path / "sn")
    mtl = root / "03797390" / "mug_a" / "models" / "model_normalized.mtl"
    mtl.write_text("newmtl skin\nKd 0.2 0.4 0.6\nmap_Kd ../../../../elsewhere/t.jpg\n")
    _texture(tmp_path / "elsewhere" / "t.jpg")
    (ref,) = list_models(f"shapenet:{root}")
    loaded = load_model(ref)
    assert loaded.texturing == "fallback"
    assert loaded.notices[0][0] == "missing texture" and "outside the data root" in loaded.notices[0][1]
    np.testing.assert_allclose(_centre_colour(loaded.surface), [51, 102, 153], atol=2)


def test_a_missing_texture_names_the_path_tried(tmp_path):
    root = _shapenet_v2(tmp_path / "sn")
    (root / "03797390" / "mug_a" / "images" / "texture0.jpg").unlink()
    (ref,) = list_models(f"shapenet:{root}")
    loaded = load_model(ref)
    assert loaded.texturing == "fallback"
    assert loaded.notices == [("missing texture", f"03797390/mug_a/models/model_normalized.obj: texture {root.resolve()}/03797390/"
                               "mug_a/images/texture0.jpg not found; using the material colour")]


def test_absolute_texture_paths_are_found_by_name_beside_the_mtl(tmp_path):
    folder = tmp_path / "things" / "lamp"
    folder.mkdir(parents=True)
    (folder / "lamp.obj").write_text(square_obj("lamp.mtl", "skin", facing="-z"))
    (folder / "lamp.mtl").write_text("newmtl skin\nKd 1 1 1\nmap_Kd C:\\Users\\someone\\Desktop\\wood.png\n")
    _texture(folder / "wood.png", (200, 100, 0))
    (ref,) = list_models(f"folder:{tmp_path / 'things'}")
    loaded = load_model(ref)
    assert loaded.texturing == "textured"
    np.testing.assert_allclose(_centre_colour(loaded.surface), [200, 100, 0], atol=1)


def test_a_missing_mtl_file_gets_a_notice(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "box.obj").write_text(square_obj("gone.mtl", "skin", facing="-z"))
    (ref,) = list_models(f"folder:{tmp_path / 'm'}")
    loaded = load_model(ref)
    assert [kind for kind, _ in loaded.notices] == ["missing material file"]
    assert "gone.mtl" in loaded.notices[0][1]


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_big_textures_are_shrunk_on_load(tmp_path, suffix):
    _texture(tmp_path / f"big{suffix}", TEAL, size=2048)
    limit = texture_side_limit(64, 3)
    assert limit == 768
    shrunk = shrink_texture(Image.open(tmp_path / f"big{suffix}"), limit)
    assert max(shrunk.size) <= limit and shrunk.mode == "RGB"
    np.testing.assert_allclose(np.asarray(shrunk).reshape(-1, 3).mean(0), TEAL, atol=3)
    kept = shrink_texture(Image.open(tmp_path / f"big{suffix}"), None)
    assert kept.size == (2048, 2048)


def test_a_model_with_a_big_texture_carries_it_at_the_limit(tmp_path):
    root = _shapenet_v2(tmp_path / "sn")
    _texture(root / "03797390" / "mug_a" / "images" / "texture0.jpg", TEAL, size=1024)
    (ref,) = list_models(f"shapenet:{root}")
    (texture,) = load_model(ref, texture_side=texture_side_limit(16, 2)).surface.textures
    assert texture.shape == (128, 128, 3)


def test_the_render_summary_counts_textures_and_notices(tmp_path):
    root = _shapenet_v2(tmp_path / "sn")
    second = root / "03797390" / "mug_b"
    (second / "models").mkdir(parents=True)
    (second / "models" / "model_normalized.obj").write_text(square_obj("model_normalized.mtl", "skin", facing="-z"))
    (second / "models" / "model_normalized.mtl").write_text("newmtl skin\nKd 1 0 0\nmap_Kd ../images/lost.png\n")
    job = RenderJob(f"shapenet:{root}", tmp_path / "out", RenderSettings(size=16, azimuths=2, supersample=1),
                    workers=1, test_share=0.0)
    summary = render_dataset(job, progress=False)
    notes = summary["render_notes"]
    assert notes["texturing"] == {"fallback": 1, "textured": 1}
    assert notes["notices"] == {"missing texture": {"models": 1, "first": ["03797390/mug_b"]}}
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["render_notes"]["details"][0][:2] == ["03797390/mug_b", "missing texture"]


def test_see_through_materials_are_drawn_pale_and_invisible_ones_left_out(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    # a half-transparent black quad in front (z=0.5) of a red one; a fully transparent quad in front of both
    quads = "".join(f"v -1 -1 {z}\nv 1 -1 {z}\nv 1 1 {z}\nv -1 1 {z}\n" for z in (0.0, 0.5, 0.9))
    faces = "".join(f"usemtl {name}\nf {4 * i + 1} {4 * i + 2} {4 * i + 3}\nf {4 * i + 1} {4 * i + 3} {4 * i + 4}\n"
                    for i, name in enumerate(("red", "smoked", "clear")))
    (folder / "glass.obj").write_text("mtllib glass.mtl\n" + quads + faces)
    (folder / "glass.mtl").write_text("newmtl red\nKd 1 0 0\nnewmtl smoked\nKd 0 0 0\nd 0.5\nnewmtl clear\nKd 0 0 1\nd 0\n")
    (ref,) = list_models(f"folder:{folder}")
    surface = load_model(ref).surface
    assert len(surface.faces) == 4  # the clear quad is gone
    np.testing.assert_allclose(_centre_colour(surface), [128, 128, 128], atol=1)  # black, half see-through
