"""Rendering into a finished folder again: what needs no rendering (split, PNGs) is applied and
said; other settings are refused; and a data set already there survives any failed re-render."""

from __future__ import annotations

import json

import pytest
from bad_input_helpers import RENDER, assert_one_error, snapshot

from novelview.data import store


def split_of(folder):
    return json.loads((folder / "split.json").read_text())


def test_new_split_shares_are_applied_without_rendering(dataset, novelview, monkeypatch):
    monkeypatch.setattr(store, "_render_one", lambda args: pytest.fail("rendered again"))
    views = (dataset / "views.npy").read_bytes()
    code, out, err = novelview("render", *RENDER[:-2], "--val-share", "0.34", "--test-share", "0.34", "--out", dataset)
    assert code == 0, err
    assert "split.json updated for the split asked for (train 1, val 1, test 1)" in out
    assert {k: len(v) for k, v in split_of(dataset).items()} == {"train": 1, "val": 1, "test": 1}
    assert (dataset / "views.npy").read_bytes() == views
    # and the same command again changes nothing
    code, out, _ = novelview("render", *RENDER[:-2], "--val-share", "0.34", "--test-share", "0.34", "--out", dataset)
    assert code == 0 and "nothing to do" in out


def test_a_new_split_file_is_applied(dataset, novelview, tmp_path):
    split_file = tmp_path / "mine.json"
    split_file.write_text(json.dumps({"train": ["mug_0_00002"], "test": ["mug_0_00000", "mug_0_00001"]}))
    code, out, err = novelview("render", *RENDER, "--split-file", split_file, "--out", dataset)
    assert code == 0 and "split.json updated" in out, out + err
    assert split_of(dataset) == {"train": [2], "val": [], "test": [0, 1]}
    split_file.write_text(json.dumps({"train": ["mug_0_00000"], "test": ["mug_0_00001"]}))  # edited in place
    code, out, _ = novelview("render", *RENDER, "--split-file", split_file, "--out", dataset)
    assert code == 0 and split_of(dataset) == {"train": [0], "val": [], "test": [1]}


def test_png_is_applied_to_a_finished_folder(dataset, novelview):
    code, out, err = novelview("render", *RENDER, "--png", "--out", dataset)
    assert code == 0 and "wrote the PNGs" in out, out + err
    assert len(list((dataset / "png").glob("*/*.png"))) == 3 * 4


def test_other_settings_are_refused_and_the_data_set_is_untouched(dataset, novelview):
    before = snapshot(dataset)
    code, _, err = novelview("render", *RENDER[:4], "--size", "24", *RENDER[6:], "--out", dataset)
    assert_one_error(code, err, r"holds a data set made with other settings; choose another --out or pass --overwrite")
    assert snapshot(dataset) == before


def test_a_failed_overwrite_keeps_the_data_set_that_was_there(dataset, novelview, tmp_path):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    (meshes / "empty.obj").write_bytes(b"")
    before = {name: (dataset / name).read_bytes() for name in ("views.npy", "depth.npy", "meta.json", "split.json")}
    code, _, err = novelview("render", "--source", f"folder:{meshes}", *RENDER[4:], "--out", dataset, "--overwrite")
    assert_one_error(code, err, r"every model was skipped \(empty: empty mesh: no triangles\)")
    assert {name: (dataset / name).read_bytes() for name in before} == before
    code, _, err = novelview("sheet", "--data", dataset, "--out", tmp_path / "still.png")
    assert code == 0, err


def test_an_interrupted_overwrite_keeps_the_data_set_that_was_there(dataset, novelview, monkeypatch, tmp_path):
    calls = []

    def interrupt(args):
        calls.append(args[0])
        raise KeyboardInterrupt
    monkeypatch.setattr(store, "_render_one", interrupt)
    before = {name: (dataset / name).read_bytes() for name in ("views.npy", "meta.json", "split.json")}
    code, _, err = novelview("render", *RENDER[:4], "--size", "24", *RENDER[6:], "--out", dataset, "--overwrite")
    assert code == 130 and "interrupted" in err and calls
    assert {name: (dataset / name).read_bytes() for name in before} == before
    monkeypatch.undo()
    code, _, err = novelview("render", *RENDER[:4], "--size", "24", *RENDER[6:], "--out", dataset, "--overwrite")
    assert code == 0, err
    assert json.loads((dataset / "meta.json").read_text())["shape"][3] == 24


def test_a_foreign_folder_is_not_touched(tmp_path, novelview):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "beach.jpg").write_bytes(b"...")
    code, _, err = novelview("render", *RENDER, "--out", out)
    assert_one_error(code, err, r"is not empty and is not a novelview data set")
    assert snapshot(out) == {"beach.jpg": b"..."}
