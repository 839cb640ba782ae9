"""Model sources: ShapeNet (v1 and v2 layouts) and folder discovery, source specs, categories and
ShapeNet's front."""

from __future__ import annotations

import pytest
import trimesh

from novelview.data.sources import list_models, load_surface, parse_source
from novelview.errors import NovelviewError

TRIANGLE = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"


def _shapenet(root, version):
    layout = {"02958343": ["car_b", "car_a"], "03001627": ["chair_a"]}
    for synset, models in layout.items():
        for model in models:
            folder = root / synset / model / ("models" if version == 2 else "")
            folder.mkdir(parents=True)
            (folder / ("model_normalized.obj" if version == 2 else "model.obj")).write_text(TRIANGLE)
    (root / "02958343" / "not_a_model").mkdir()  # no mesh: ignored
    (root / "taxonomy.json").write_text("[]")
    return root


@pytest.mark.parametrize("version", [1, 2])
def test_shapenet_discovery(tmp_path, version):
    root = _shapenet(tmp_path / f"ShapeNetCore.v{version}", version)
    every = list_models(f"shapenet:{root}")
    assert [r.model_id for r in every] == ["02958343/car_a", "02958343/car_b", "03001627/chair_a"]
    assert [r.category for r in every] == ["car", "car", "chair"]
    expected_file = "models/model_normalized.obj" if version == 2 else "model.obj"
    assert all(r.path.endswith(expected_file) for r in every)
    by_name = list_models(f"shapenet:{root}:car")
    by_synset = list_models(f"shapenet:{root}:02958343")
    assert by_name == by_synset == every[:2]
    assert list_models(f"shapenet:{root}:chair", models=5) == every[2:]
    assert list_models(f"shapenet:{root}", models=1) == every[:1]
    # the synset folder itself with its category
    assert list_models(f"shapenet:{root / '02958343'}:car") == every[:2]
    load_surface(every[0])


def test_shapenet_errors(tmp_path):
    root = _shapenet(tmp_path / "sn", 1)
    with pytest.raises(NovelviewError, match="unknown ShapeNet category 'spaceship'"):
        list_models(f"shapenet:{root}:spaceship")
    with pytest.raises(NovelviewError, match="no folder 02691156"):
        list_models(f"shapenet:{root}:airplane")
    with pytest.raises(NovelviewError, match="does not exist"):
        list_models(f"shapenet:{tmp_path / 'nowhere'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NovelviewError, match="no meshes found"):
        list_models(f"shapenet:{tmp_path / 'empty'}")


def test_folder_source_one_model_per_file_and_per_sub_folder(tmp_path):
    root = tmp_path / "things"
    root.mkdir()
    box = trimesh.creation.box()
    box.export(root / "a_box.obj")
    trimesh.creation.icosphere(1).export(root / "b_ball.ply")
    trimesh.creation.cylinder(0.5, 1.0).export(root / "c_can.stl")
    trimesh.creation.cone(0.5, 1.0).export(root / "d_cone.off")
    box.export(root / "e_box.glb")
    (root / "f_notes.txt").write_text("not a mesh")
    nested = root / "g_lamp" / "parts"
    nested.mkdir(parents=True)
    box.export(nested / "z.ply")
    box.export(nested / "a.obj")
    (root / "h_empty_dir").mkdir()
    refs = list_models(f"folder:{root}")
    assert [r.model_id for r in refs] == ["a_box", "b_ball", "c_can", "d_cone", "e_box", "g_lamp"]
    assert {r.category for r in refs} == {"things"}
    assert refs[-1].path.endswith("a.obj")  # the sub-folder's first mesh
    for ref in refs:
        surface = load_surface(ref)
        assert len(surface.faces) > 0
    assert len(list_models(f"folder:{root}", models=2)) == 2


@pytest.mark.parametrize("spec", ["", "procedural", "procedural:", "http://x", "blender:/tmp"])
def test_bad_source_specs(spec):
    with pytest.raises(NovelviewError, match="bad source"):
        parse_source(spec)


def test_parse_source_splits_a_shapenet_category(tmp_path):
    assert parse_source(f"shapenet:{tmp_path}:car") == ("shapenet", str(tmp_path), "car")
    assert parse_source(f"shapenet:{tmp_path}") == ("shapenet", str(tmp_path), "")
    assert parse_source("procedural:car,mug") == ("procedural", "car,mug", "")


def test_shapenet_front_minus_z_faces_the_azimuth_0_camera(tmp_path):
    """ShapeNetCore puts the front at -Z; azimuth 0 must look at it, as for every source."""
    folder = tmp_path / "sn" / "02958343" / "car_a" / "models"
    folder.mkdir(parents=True)
    body = trimesh.creation.box(extents=[1.0, 0.5, 2.0])
    nose = trimesh.creation.box(extents=[0.2, 0.2, 0.4], transform=trimesh.transformations.translation_matrix([0, 0, -1.2]))
    trimesh.util.concatenate([body, nose]).export(folder / "model_normalized.obj")
    (ref,) = list_models(f"shapenet:{tmp_path / 'sn'}:car")
    vertices = load_surface(ref).vertices
    assert vertices[:, 2].max() == pytest.approx(1.4) and vertices[:, 2].min() == pytest.approx(-1.0)


def test_nested_category_folders_become_categories(tmp_path):
    root = tmp_path / "mine"
    box = trimesh.creation.box()
    for path in ("cars/sedan.obj", "cars/truck/body.obj", "cars/truck/body.mtl", "mugs/tall.ply", "mugs/short.stl",
                 "lamp/parts/shade.obj", "loose.obj"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".mtl"):
            (root / path).write_text("newmtl a\nKd 1 0 0\n")
        else:
            box.export(root / path)
    refs = list_models(f"folder:{root}")
    assert [(r.model_id, r.category) for r in refs] == [
        ("cars/sedan", "cars"), ("cars/truck", "cars"),  # a category folder: two models inside
        ("lamp", "mine"),  # one model's folder (its parts below): a model of ROOT's category
        ("loose", "mine"),
        ("mugs/short", "mugs"), ("mugs/tall", "mugs"),
    ]
    assert refs[1].path.endswith("truck/body.obj")


def test_shapenet_accepts_the_synset_folder_itself(tmp_path):
    root = _shapenet(tmp_path / "sn", 2)
    refs = list_models(f"shapenet:{root / '03001627'}")
    assert [(r.model_id, r.category) for r in refs] == [("03001627/chair_a", "chair")]
    assert refs[0].front == "-z"
