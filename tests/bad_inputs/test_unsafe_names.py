"""Names from a user's files become file names only after cleaning: nothing is written outside
the folder it belongs in, whatever the mesh files are called."""

from __future__ import annotations

import os

import pytest
import trimesh
from bad_input_helpers import RENDER

from novelview.data.files import safe_file_name


@pytest.mark.parametrize("name, safe", [("...", "___"), ("..", "__"), (".hidden", "_hidden"), ("a/b", "a_b"),
                                        ("a\\b", "a_b"), ("", "_"), ("ok-name_1.2", "ok-name_1.2"),
                                        ("über", "_ber"), ("x" * 300, "x" * 200)])
def test_safe_file_name(name, safe):
    assert safe_file_name(name) == safe


@pytest.mark.parametrize("stem", ["..", ".", "...", ".hidden", "-rf"])
def test_png_folders_stay_inside_png(stem, tmp_path, novelview):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    trimesh.creation.box().export(meshes / "box.obj")
    (meshes / f"{stem}.obj").write_text((meshes / "box.obj").read_text())
    out = tmp_path / "data"
    code, _, err = novelview("render", "--source", f"folder:{meshes}", *RENDER[4:], "--png", "--out", out)
    assert code == 0, err
    written = [p for p in out.rglob("*.png")]
    assert len(written) == 2 * 4
    assert all(p.parent.parent == out / "png" for p in written)
    assert all(not p.parent.name.startswith(".") for p in written)
    assert sorted(os.listdir(out)) == ["depth.npy", "meta.json", "png", "settings.json", "split.json", "views.npy"]
