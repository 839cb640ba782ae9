"""Bad meshes: when every model is skipped the reasons are in the one error line, and a mesh that
is fixed afterwards is tried again by the same command (no --overwrite needed)."""

from __future__ import annotations

import json

import pytest
import trimesh
from bad_input_helpers import RENDER, assert_one_error

OPTIONS = RENDER[4:]  # size, azimuths, supersample, workers, split: everything but the source
BAD_MESHES = {
    "empty.obj": (b"", "empty mesh: no triangles"),
    "points.obj": (b"v 0 0 0\nv 1 0 0\n", "empty mesh: no triangles"),
    "collinear.obj": (b"v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\n", "degenerate mesh"),
    "garbage.ply": (bytes(range(256)) * 8, "unreadable mesh"),
    "nan.obj": (b"v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "degenerate mesh"),
    "bad_index.obj": (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", ""),
}


@pytest.mark.parametrize("name", sorted(BAD_MESHES))
def test_every_model_skipped_shows_the_reason(name, tmp_path, novelview):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    content, reason = BAD_MESHES[name]
    (meshes / name).write_bytes(content)
    code, _, err = novelview("render", "--source", f"folder:{meshes}", *OPTIONS, "--out", tmp_path / "data")
    stem = name.split(".")[0]
    line = assert_one_error(code, err, rf"every model was skipped \({stem}: {reason}")
    assert "tried again once its file changes" in line and "see the reasons above" not in line


def test_many_skipped_models_are_summed_up(tmp_path, novelview):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    for i in range(5):
        (meshes / f"m{i}.obj").write_bytes(b"")
    code, _, err = novelview("render", "--source", f"folder:{meshes}", *OPTIONS, "--out", tmp_path / "data")
    assert_one_error(code, err, r"\(m0: .*; m1: .*; m2: .*; and 2 more\)")


def test_a_fixed_mesh_is_tried_again_without_overwrite(tmp_path, novelview):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    (meshes / "box.obj").write_bytes(b"")
    args = ["render", "--source", f"folder:{meshes}", *OPTIONS, "--out", tmp_path / "data"]
    code, _, err = novelview(*args)
    assert_one_error(code, err, r"every model was skipped")
    trimesh.creation.box().export(meshes / "box.obj")
    code, out, err = novelview(*args)
    assert code == 0, err
    assert "trying 1 skipped model(s) again, as their mesh file changed: box" in out
    assert json.loads((tmp_path / "data" / "meta.json").read_text())["model_ids"] == ["box"]


def test_a_finished_set_says_when_a_skipped_mesh_changed(tmp_path, novelview):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    trimesh.creation.box().export(meshes / "a.obj")
    (meshes / "b.obj").write_bytes(b"")
    args = ["render", "--source", f"folder:{meshes}", *OPTIONS, "--out", tmp_path / "data"]
    code, out, err = novelview(*args)
    assert code == 0 and "skipped b: empty mesh" in out, out + err
    trimesh.creation.box().export(meshes / "b.obj")
    code, out, err = novelview(*args)
    assert code == 0 and "the mesh files of 1 skipped model(s) changed since (b): pass --overwrite" in out
    code, out, err = novelview(*args, "--overwrite")
    assert code == 0 and "2 models" in out, out + err
