"""Damaged data set folders: every reader names the damaged file and the way out, and the render
command repairs what rendering can repair (damaged views, parts or meta.json are rendered again)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from novelview.data import store
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, render_dataset
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError

from bad_input_helpers import RENDER, assert_one_error


def interrupted_render(out: Path, stop_after: int = 2) -> Path:
    """The folder a render leaves when stopped after ``stop_after`` of its 3 models."""
    real, done = store._render_one, []

    def stopping(args):
        if len(done) == stop_after:
            raise KeyboardInterrupt
        done.append(args[0])
        return real(args)

    store._render_one = stopping
    try:
        job = RenderJob("procedural:mug", out, RenderSettings(size=16, azimuths=4, supersample=1), models=3,
                        workers=1, test_share=0.34)
        with pytest.raises(KeyboardInterrupt):
            render_dataset(job, progress=False)
    finally:
        store._render_one = real
    return out


DAMAGE = {
    "truncated views": ("views.npy", lambda p: p.write_bytes(p.read_bytes()[:500]), r"views\.npy is damaged \(truncated: 500 of"),
    "empty views": ("views.npy", lambda p: p.write_bytes(b""), r"views\.npy is damaged \(empty, 0 bytes\)"),
    "views of another shape": ("views.npy", lambda p: np.save(p, np.zeros((3, 1, 4, 8, 8, 4), np.uint8)),
                               r"views\.npy is damaged \(shape \(3, 1, 4, 8, 8, 4\), expected"),
    "views not an npy file": ("views.npy", lambda p: p.write_bytes(b"hello, world" * 100), r"views\.npy is damaged \(not a readable"),
    "truncated depth": ("depth.npy", lambda p: p.write_bytes(p.read_bytes()[:300]), r"depth\.npy is damaged \(truncated"),
    "missing depth": ("depth.npy", lambda p: p.unlink(), r"depth\.npy is missing"),
    "meta not JSON": ("meta.json", lambda p: p.write_text("{oops"), r"meta\.json is damaged \(not valid JSON"),
    "empty meta": ("meta.json", lambda p: p.write_bytes(b""), r"meta\.json is damaged \(empty, 0 bytes\)"),
    "meta a list": ("meta.json", lambda p: p.write_text("[]"), r"meta\.json is damaged \(holds a JSON list"),
    "meta without shape": ("meta.json", lambda p: p.write_text('{"model_ids": []}'), r"meta\.json is damaged \(no valid shape"),
    "meta ids too short": ("meta.json", lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "model_ids": ["a"]})),
                           r"meta\.json is damaged \(model_ids is not a list of 3\)"),
    "split not JSON": ("split.json", lambda p: p.write_text("{"), r"split\.json is damaged \(not valid JSON.*doctor .* --repair"),
    "negative split index": ("split.json", lambda p: p.write_text('{"train": [0, 1], "test": [-1]}'),
                             r"split\.json is damaged \(test index -1 is out of range: the data set has 3 models"),
    "split index out of range": ("split.json", lambda p: p.write_text('{"train": [0, 7]}'), r"train index 7 is out of range"),
    "model in two parts": ("split.json", lambda p: p.write_text('{"train": [0, 1], "test": [1]}'), r"model 1 is in both train and test"),
    "split index not a number": ("split.json", lambda p: p.write_text('{"train": ["0"]}'), r"train holds '0', not a model index"),
    "split index true": ("split.json", lambda p: p.write_text('{"train": [true]}'), r"train holds True, not a model index"),
    "missing split": ("split.json", lambda p: p.unlink(), r"split\.json is missing"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_readers_name_the_damaged_file_and_exit_2(case, dataset, novelview, tmp_path):
    name, damage, message = DAMAGE[case]
    damage(dataset / name)
    code, out, err = novelview("sheet", "--data", dataset, "--out", tmp_path / "sheet.png")
    line = assert_one_error(code, err, message)
    assert "interrupted" not in line and "novelview doctor" in line
    with pytest.raises(NovelviewError):  # the library's readers (train, evaluate) refuse it too
        ViewStore(dataset)


@pytest.mark.parametrize("case", ["truncated views", "empty views", "truncated depth", "missing depth", "meta not JSON",
                                  "meta without shape"])
def test_the_same_render_command_renders_a_damaged_data_set_again(case, dataset, finished_set, novelview):
    name, damage, _ = DAMAGE[case]
    damage(dataset / name)
    code, out, err = novelview("render", *RENDER, "--out", dataset)
    assert code == 0, err
    assert f"note: {dataset / name} is" in out and "rendering it again" in out
    for name in ("views.npy", "depth.npy", "meta.json", "split.json"):
        assert (dataset / name).read_bytes() == (finished_set / name).read_bytes()


def test_a_damaged_split_is_rewritten_by_the_render_command(dataset, finished_set, novelview):
    (dataset / "split.json").write_text('{"train": [0, 1], "test": [-1]}')
    code, out, err = novelview("render", *RENDER, "--out", dataset)
    assert code == 0 and "split.json rewritten" in out, out + err
    assert (dataset / "split.json").read_bytes() == (finished_set / "split.json").read_bytes()


@pytest.mark.parametrize("part, damage, message", [
    ("000000.npy", lambda p: p.write_bytes(b""), "000000.npy: empty, 0 bytes"),
    ("000001.npy", lambda p: p.write_bytes(p.read_bytes()[:200]), "000001.npy: truncated"),
    ("000000.depth", lambda p: p.write_bytes(p.read_bytes()[:100]), "000000.depth: truncated"),
    ("000001.depth", lambda p: p.unlink(), "000001.depth: missing beside 000001.npy"),
    ("000001.npy", lambda p: np.save(p, np.zeros((1, 4, 16, 16, 3), np.uint8)), "000001.npy: shape"),
    ("000000.notes.json", lambda p: p.write_text("{not json"), "000000.notes.json: not valid JSON"),
    ("000001.notes.json", lambda p: p.write_text('{"texturing": 3}'), "000001.notes.json: no texturing"),
])
def test_damaged_parts_of_an_interrupted_render_are_rendered_again(part, damage, message, tmp_path, finished_set,
                                                                   novelview):
    out = interrupted_render(tmp_path / "data")
    damage(out / "parts" / part)
    code, stdout, err = novelview("render", *RENDER, "--out", out)
    assert code == 0, err
    assert "rendering 1 damaged part file(s) again" in stdout and message in stdout
    assert (out / "views.npy").read_bytes() == (finished_set / "views.npy").read_bytes()
    assert (out / "depth.npy").read_bytes() == (finished_set / "depth.npy").read_bytes()


def test_a_damaged_skip_record_is_tried_again(tmp_path, finished_set, novelview):
    out = interrupted_render(tmp_path / "data")
    (out / "parts" / "000002.skip.json").write_text("{not json")
    code, stdout, err = novelview("render", *RENDER, "--out", out)
    assert code == 0 and "000002.skip.json: not valid JSON" in stdout, stdout + err
    assert (out / "views.npy").read_bytes() == (finished_set / "views.npy").read_bytes()


@pytest.mark.parametrize("content", [b"", b"{garbage", b"[1, 2]", b'{"shard": [0, 1]}'])
def test_a_damaged_settings_file_is_named_and_overwrite_starts_again(content, tmp_path, finished_set, novelview):
    out = interrupted_render(tmp_path / "data")
    (out / "settings.json").write_bytes(content)
    code, _, err = novelview("render", *RENDER, "--out", out)
    assert_one_error(code, err, r"settings\.json is damaged \(.*\): pass --overwrite")
    code, _, err = novelview("render", *RENDER, "--out", out, "--overwrite")
    assert code == 0, err
    assert (out / "views.npy").read_bytes() == (finished_set / "views.npy").read_bytes()


def test_a_damaged_settings_file_beside_a_sound_data_set_is_rewritten(dataset, novelview):
    (dataset / "settings.json").write_bytes(b"")
    before = (dataset / "views.npy").read_bytes()
    code, out, err = novelview("render", *RENDER, "--out", dataset)
    assert code == 0 and "settings.json was missing or damaged: rewritten" in out, out + err
    assert json.loads((dataset / "settings.json").read_text())["identity"]["source"] == "procedural:mug"
    assert (dataset / "views.npy").read_bytes() == before
