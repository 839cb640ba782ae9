"""Splits by model: the seeded default, a user's split file, and the errors of both."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from novelview.data import split as split_module
from novelview.data.store import RenderJob, make_split, render_dataset
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError

from store_helpers import count_renders, tiny_job

IDS = [f"m{i:02d}" for i in range(10)]


def test_default_split_is_80_20_by_model_seeded_disjoint_and_complete():
    split = make_split(IDS, RenderJob("procedural:all", Path("x")))
    assert {k: len(v) for k, v in split.items()} == {"train": 8, "val": 0, "test": 2}
    assert sorted(split["train"] + split["val"] + split["test"]) == list(range(10))
    assert split == make_split(IDS, RenderJob("procedural:all", Path("x")))
    others = [make_split(IDS, RenderJob("procedural:all", Path("x"), seed=s))["test"] for s in range(1, 6)]
    assert any(t != split["test"] for t in others)
    three = make_split(IDS * 10, RenderJob("procedural:all", Path("x"), val_share=0.1, test_share=0.2))
    assert {k: len(v) for k, v in three.items()} == {"train": 70, "val": 10, "test": 20}
    assert not set(three["train"]) & set(three["val"]) and not set(three["val"]) & set(three["test"])


def test_split_is_by_model_in_the_pairs_sense(clean):
    # every view of a model is in the same split: the split lists models, not views
    split = json.loads((clean / "split.json").read_text())
    assert all(isinstance(i, int) for ids in split.values() for i in ids)
    assert len(split["test"]) == round(6 * 0.2)


def test_user_split_file_is_honoured(tmp_path):
    path = tmp_path / "split.json"
    path.write_text(json.dumps({"train": ["m03", "m01"], "val": ["m00"], "test": ["m09", "m05"]}))
    split = make_split(IDS, RenderJob("procedural:all", Path("x"), split_file=str(path)))
    assert split == {"train": [1, 3], "val": [0], "test": [5, 9]}
    # through a render: procedural ids
    out = tmp_path / "data"
    path.write_text(json.dumps({"train": ["car_0_00000", "mug_0_00001"], "test": ["chair_0_00001"]}))
    render_dataset(tiny_job(out, split_file=str(path)), progress=False)
    meta = json.loads((out / "meta.json").read_text())
    split = json.loads((out / "split.json").read_text())
    assert [meta["model_ids"][i] for i in split["train"]] == ["car_0_00000", "mug_0_00001"]
    assert [meta["model_ids"][i] for i in split["test"]] == ["chair_0_00001"] and split["val"] == []


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read split file"),
        ("{not json", "cannot read split file"),
        ('["m01", "m02"]', "must be JSON like"),
        ('{"train": "m01"}', "must be JSON like"),
        ('{"training": ["m01"]}', "must be JSON like"),
        ('{"train": ["m01", "nope"]}', "not in the data set"),
        ('{"train": ["m01"], "test": ["m01"]}', "both train and test"),
    ],
)
def test_bad_split_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "split.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(NovelviewError, match=message):
        make_split(IDS, RenderJob("procedural:all", Path("x"), split_file=str(path)))


def test_bad_split_file_fails_before_rendering(tmp_path, monkeypatch):
    path = tmp_path / "split.json"
    path.write_text('{"train": ["car_0_00000"], "test": ["car_0_00077"]}')
    calls = count_renders(monkeypatch)
    with pytest.raises(NovelviewError, match="car_0_00077"):
        render_dataset(tiny_job(tmp_path / "data", split_file=str(path)), progress=False)
    assert calls == []


def test_view_store_refuses_an_unfinished_folder(tmp_path):
    with pytest.raises(NovelviewError, match="not a finished data set"):
        ViewStore(tmp_path)


def test_split_file_may_name_a_skipped_model(tmp_path):
    src = tmp_path / "meshes"
    src.mkdir()
    for name in ("a", "b", "c"):
        trimesh.creation.box().export(src / f"{name}.obj")
    (src / "d.obj").write_bytes(b"")  # skipped: no triangles
    path = tmp_path / "split.json"
    path.write_text(json.dumps({"train": ["a", "b"], "test": ["c", "d"]}))
    out = tmp_path / "data"
    summary = render_dataset(tiny_job(out, f"folder:{src}", models=None, split_file=str(path)), progress=False)
    assert summary["split"] == {"train": 2, "val": 0, "test": 1}
    assert [s["model_id"] for s in summary["skipped"]] == ["d"]
    assert render_dataset(tiny_job(out, f"folder:{src}", models=None, split_file=str(path)), progress=False)["already_done"]


def test_resume_refuses_a_source_whose_models_changed(tmp_path, monkeypatch):
    src = tmp_path / "meshes"
    src.mkdir()
    for name in ("b", "c", "d"):
        trimesh.creation.box().export(src / f"{name}.obj")
    out = tmp_path / "data"
    count_renders(monkeypatch, fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        render_dataset(tiny_job(out, f"folder:{src}", models=None), progress=False)
    monkeypatch.undo()
    trimesh.creation.icosphere(1).export(src / "a.obj")  # sorts first: every part index would shift
    with pytest.raises(NovelviewError, match="changed since"):
        render_dataset(tiny_job(out, f"folder:{src}", models=None), progress=False)
    summary = render_dataset(tiny_job(out, f"folder:{src}", models=None, overwrite=True), progress=False)
    assert summary["rendered"] == 4
    meta = json.loads((out / "meta.json").read_text())
    assert meta["model_ids"] == ["a", "b", "c", "d"]
    views = np.load(out / "views.npy")
    # the sphere (a) and a box (b) differ: views follow the models, not stale part numbers
    assert not np.array_equal(views[0], views[1]) and np.array_equal(views[1], views[2])


@pytest.mark.parametrize("val, test", [(-0.1, 0.2), (0.0, 1.5), (0.6, 0.6)])
def test_bad_split_shares_are_refused(tmp_path, val, test):
    with pytest.raises(NovelviewError, match="bad split shares"):
        render_dataset(tiny_job(tmp_path / "data", val_share=val, test_share=test), progress=False)


def test_the_shipped_split_decides_its_models_and_the_seeded_split_the_rest(tmp_path, monkeypatch):
    (tmp_path / "sh3d_objects.json").write_text(json.dumps({"train": ["L/a", "L/b"], "val": [], "test": ["L/c"]}))
    monkeypatch.setattr(split_module, "SHIPPED_SPLIT_FOLDER", tmp_path)
    ids = ["L/c", "L/a", "new/x", "L/b"] + [f"new/{i}" for i in range(9)]
    split = make_split(ids, RenderJob("sh3d::objects", Path("x"), test_share=0.0, seed=3))
    assert split["test"] == [0] and {1, 3} <= set(split["train"]) and len(split["train"]) == len(ids) - 1
    seeded = make_split(ids, RenderJob("sh3d::objects", Path("x"), test_share=0.5))
    assert seeded["test"][0] == 0 and len(seeded["test"]) == 1 + 5  # half of the ten new ones
    assert make_split(ids, RenderJob("folder:x", Path("x"), test_share=0.0))["test"] == []  # other sources: seeded
