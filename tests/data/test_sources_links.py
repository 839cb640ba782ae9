"""Model folders that are links to elsewhere: the data root is the folder the user named, so a
linked ShapeNetCore.v2 model keeps its ``../images/`` textures, a linked folder-source model keeps
its textures, meshes behind a linked sub-folder are found, and a path that climbs out of the
named root is still refused."""

from __future__ import annotations

import numpy as np
from PIL import Image

from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import list_models, load_model

from mesh_helpers import square_obj

VIEW = RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)  # colours as stored
TEAL = (0, 128, 128)


def _texture(path, colour=TEAL):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), colour).save(path)


def _centre_colour(surface) -> np.ndarray:
    view = Renderer(surface, VIEW).render_view(0.0)
    return view[14:18, 14:18, :3].reshape(-1, 3).mean(0)


def _v2_model(model, mtl_texture="../images/texture0.jpg"):
    """A ShapeNetCore.v2 model folder: models/model_normalized.{obj,mtl}, the texture in images/."""
    (model / "models").mkdir(parents=True)
    (model / "models" / "model_normalized.obj").write_text(square_obj("model_normalized.mtl", "skin", facing="-z"))
    (model / "models" / "model_normalized.mtl").write_text(f"newmtl skin\nKd 1 1 1\nmap_Kd {mtl_texture}\n")
    _texture(model / "images" / "texture0.jpg")


def test_linked_shapenet_v2_model_folders_keep_their_images(tmp_path):
    """The layout of a ShapeNet copy spread over disks: ROOT/<synset>/<model> links to the real folder."""
    _v2_model(tmp_path / "disk2" / "mug_a")
    synset = tmp_path / "ShapeNetCore.v2" / "03797390"
    synset.mkdir(parents=True)
    (synset / "mug_a").symlink_to(tmp_path / "disk2" / "mug_a", target_is_directory=True)
    (ref,) = list_models(f"shapenet:{tmp_path / 'ShapeNetCore.v2'}")
    loaded = load_model(ref)
    assert loaded.texturing == "textured" and loaded.notices == []
    np.testing.assert_allclose(_centre_colour(loaded.surface), TEAL, atol=4)


def test_a_linked_shapenet_root_and_synset_folder_work_too(tmp_path):
    _v2_model(tmp_path / "real" / "03797390" / "mug_a")
    (tmp_path / "named").symlink_to(tmp_path / "real", target_is_directory=True)
    for spec in (f"shapenet:{tmp_path / 'named'}", f"shapenet:{tmp_path / 'named' / '03797390'}"):
        (ref,) = list_models(spec)
        assert load_model(ref).texturing == "textured"


def test_a_texture_path_leaving_the_named_root_is_still_refused(tmp_path):
    """Links are followed, but a path that climbs out of the named root is refused all the same."""
    _v2_model(tmp_path / "disk2" / "deep" / "mug_a", mtl_texture="../../../../secret.jpg")
    _texture(tmp_path / "secret.jpg", (200, 0, 0))  # where the path leads, whether read by its text or by the link
    synset = tmp_path / "sn" / "03797390"
    synset.mkdir(parents=True)
    (synset / "mug_a").symlink_to(tmp_path / "disk2" / "deep" / "mug_a", target_is_directory=True)
    (ref,) = list_models(f"shapenet:{tmp_path / 'sn'}")
    loaded = load_model(ref)
    assert loaded.texturing == "fallback"
    assert loaded.notices[0][0] == "missing texture" and "outside the data root" in loaded.notices[0][1]


def test_linked_model_folders_of_a_folder_source_keep_their_textures(tmp_path):
    """folder:ROOT with a category folder of linked model folders and a linked model at the top."""
    for name in ("lamp", "chair", "desk"):
        _v2_model(tmp_path / "store" / name)
    root = tmp_path / "mine"
    (root / "furniture").mkdir(parents=True)
    for name in ("chair", "desk"):
        (root / "furniture" / name).symlink_to(tmp_path / "store" / name, target_is_directory=True)
    (root / "lamp").symlink_to(tmp_path / "store" / "lamp", target_is_directory=True)
    refs = list_models(f"folder:{root}")
    assert [ref.model_id for ref in refs] == ["furniture/chair", "furniture/desk", "lamp"]
    for ref in refs:
        loaded = load_model(ref)
        assert loaded.texturing == "textured", loaded.notices


def test_a_mesh_behind_a_linked_sub_folder_is_found_and_a_link_loop_ends(tmp_path):
    _v2_model(tmp_path / "store" / "lamp")
    model = tmp_path / "mine" / "lamp"
    model.mkdir(parents=True)
    (model / "models").symlink_to(tmp_path / "store" / "lamp" / "models", target_is_directory=True)
    (model / "images").symlink_to(tmp_path / "store" / "lamp" / "images", target_is_directory=True)
    (tmp_path / "store" / "lamp" / "images" / "again").symlink_to(model / "images", target_is_directory=True)  # a loop
    (ref,) = list_models(f"folder:{tmp_path / 'mine'}")
    assert ref.path.endswith("lamp/models/model_normalized.obj")
    assert load_model(ref).texturing == "textured"


def test_an_ac3d_model_in_a_linked_folder_keeps_its_shared_texture(tmp_path):
    """The AC3D reader looks textures up on its own: ``../textures/`` of a linked model folder is
    the named root's textures folder, as written, not a folder beside the link's target."""
    real = tmp_path / "store" / "plane"
    real.mkdir(parents=True)
    (real / "plane.ac").write_text(
        'AC3Db\nMATERIAL "white" rgb 1 1 1  amb 1 1 1  emis 0 0 0  spec 0 0 0  shi 0  trans 0\n'
        'OBJECT world\nkids 1\nOBJECT poly\nname "square"\ntexture "../textures/skin.png"\nnumvert 4\n'
        "-1 -1 0\n1 -1 0\n1 1 0\n-1 1 0\nnumsurf 1\nSURF 0x10\nmat 0\nrefs 4\n0 0 0\n1 1 0\n2 1 1\n3 0 1\nkids 0\n")
    _texture(tmp_path / "mine" / "textures" / "skin.png", (200, 100, 0))
    (tmp_path / "mine" / "plane").symlink_to(real, target_is_directory=True)
    (ref,) = list_models(f"folder:{tmp_path / 'mine'}")
    loaded = load_model(ref)
    assert loaded.texturing == "textured", loaded.notices
    np.testing.assert_allclose(_centre_colour(loaded.surface), [200, 100, 0], atol=1)


def test_linked_flightgear_and_torcs_folders_are_taken_with_their_textures(tmp_path):
    """The vehicle sources check that a model's files lie under the root as named, too."""
    from test_sources_vehicles import _aircraft, _car

    _aircraft(tmp_path / "store" / "Aircraft")
    planes = tmp_path / "Aircraft"
    planes.mkdir()
    (planes / "fallback_models.xml").write_bytes((tmp_path / "store" / "Aircraft" / "fallback_models.xml").read_bytes())
    (planes / "jet").symlink_to(tmp_path / "store" / "Aircraft" / "jet", target_is_directory=True)
    _car(tmp_path / "store" / "cars")
    (tmp_path / "cars").mkdir()
    (tmp_path / "cars" / "mycar").symlink_to(tmp_path / "store" / "cars" / "mycar", target_is_directory=True)
    for spec in (f"flightgear:{planes}", f"torcs:{tmp_path / 'cars'}"):
        (ref,) = list_models(spec)
        assert load_model(ref).texturing == "textured", spec
