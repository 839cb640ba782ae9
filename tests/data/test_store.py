"""The data set folder: resumable, shardable, refuses to mix settings, skips broken meshes, splits by model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from novelview.data import store
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, ViewStore, make_split, merge_shards, render_dataset
from novelview.errors import NovelviewError

TINY = RenderSettings(size=16, azimuths=4, supersample=1)


def _job(out, source="procedural:all", models=2, **kwargs) -> RenderJob:
    return RenderJob(source, Path(out), kwargs.pop("settings", TINY), models=models, seed=0, workers=1, **kwargs)


def _count_renders(monkeypatch, fail_after=None):
    """Wrap store._render_one: count calls; raise KeyboardInterrupt on call number ``fail_after`` + 1."""
    real, calls = store._render_one, []

    def counting(args):
        if fail_after is not None and len(calls) >= fail_after:
            raise KeyboardInterrupt
        calls.append(args[1].model_id)
        return real(args)

    monkeypatch.setattr(store, "_render_one", counting)
    return calls


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """An uninterrupted, unsharded render to compare with."""
    out = tmp_path_factory.mktemp("clean") / "data"
    render_dataset(_job(out), progress=False)
    return out


def test_finished_folder_layout(clean):
    meta = json.loads((clean / "meta.json").read_text())
    views = np.load(clean / "views.npy")
    assert views.shape == tuple(meta["shape"]) == (6, 1, 4, 16, 16, 4) and views.dtype == np.uint8
    assert meta["model_ids"] == [f"{c}_0_{i:05d}" for c in ("car", "chair", "mug") for i in range(2)]
    assert meta["azimuth_degrees"] == [0.0, 90.0, 180.0, 270.0] and meta["skipped"] == []
    assert not (clean / "parts").exists()
    vs = ViewStore(clean)
    assert vs.num_azimuths == 4 and vs.image_size == 16 and vs.categories[0] == "car"
    assert sorted(vs.indices("train") + vs.indices("test") + vs.indices("val")) == list(range(6))
    assert vs.indices("all") == list(range(6))
    with pytest.raises(NovelviewError, match="unknown split"):
        vs.indices("holdout")


def test_resume_after_interruption_renders_only_what_is_missing(tmp_path, monkeypatch, clean):
    out = tmp_path / "data"
    calls = _count_renders(monkeypatch, fail_after=4)
    with pytest.raises(KeyboardInterrupt):
        render_dataset(_job(out), progress=False)
    assert len(list((out / "parts").glob("*.npy"))) == 4 and not (out / "views.npy").exists()
    first = list(calls)
    monkeypatch.undo()
    calls = _count_renders(monkeypatch)  # counts the calls of the resumed render
    summary = render_dataset(_job(out), progress=False)
    assert summary["rendered"] == 2 and len(calls) == 2
    assert not set(calls) & set(first)
    assert (out / "views.npy").read_bytes() == (clean / "views.npy").read_bytes()
    assert (out / "split.json").read_text() == (clean / "split.json").read_text()
    # a finished folder is not rendered again
    calls.clear()
    again = render_dataset(_job(out), progress=False)
    assert again["already_done"] and calls == []


def test_corrupt_meshes_are_skipped_with_the_reason(tmp_path):
    src = tmp_path / "meshes"
    src.mkdir()
    trimesh.creation.box().export(src / "a_good.obj")
    (src / "b_garbage.ply").write_bytes(bytes(range(256)) * 8)
    (src / "c_empty.obj").write_bytes(b"")
    (src / "d_collinear.obj").write_text("v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\n")
    trimesh.creation.icosphere(1).export(src / "e_good.ply")
    summary = render_dataset(_job(tmp_path / "data", f"folder:{src}", models=None), progress=False)
    meta = json.loads((tmp_path / "data" / "meta.json").read_text())
    assert meta["model_ids"] == ["a_good", "e_good"]
    assert [s["model_id"] for s in meta["skipped"]] == ["b_garbage", "c_empty", "d_collinear"]
    reasons = {s["model_id"]: s["reason"] for s in meta["skipped"]}
    assert "unreadable" in reasons["b_garbage"]
    assert "empty" in reasons["c_empty"]
    assert "degenerate" in reasons["d_collinear"]
    assert summary["models"] == 2 and len(summary["skipped"]) == 3
    assert np.load(tmp_path / "data" / "views.npy").shape[0] == 2


def test_every_model_skipped_is_an_error(tmp_path):
    src = tmp_path / "meshes"
    src.mkdir()
    (src / "bad.obj").write_bytes(b"")
    with pytest.raises(NovelviewError, match="every model was skipped"):
        render_dataset(_job(tmp_path / "data", f"folder:{src}", models=None), progress=False)


def test_other_settings_are_refused_unless_overwrite(tmp_path, monkeypatch):
    out = tmp_path / "data"
    render_dataset(_job(out, models=1), progress=False)
    before = (out / "views.npy").read_bytes()
    bigger = RenderSettings(size=24, azimuths=4, supersample=1)
    with pytest.raises(NovelviewError, match="other settings"):
        render_dataset(_job(out, models=1, settings=bigger), progress=False)
    with pytest.raises(NovelviewError, match="other settings"):
        render_dataset(_job(out, models=2), progress=False)
    assert (out / "views.npy").read_bytes() == before  # untouched
    summary = render_dataset(_job(out, models=1, settings=bigger, overwrite=True), progress=False)
    assert summary["rendered"] == 3 and np.load(out / "views.npy").shape[3] == 24
    # an interrupted render with other settings is refused too (settings.json and parts/ only)
    calls = _count_renders(monkeypatch, fail_after=1)
    with pytest.raises(KeyboardInterrupt):
        render_dataset(_job(tmp_path / "partial", models=1), progress=False)
    assert len(calls) == 1
    with pytest.raises(NovelviewError, match="other settings"):
        render_dataset(_job(tmp_path / "partial", models=1, settings=bigger), progress=False)


def test_a_foreign_folder_is_refused(tmp_path):
    out = tmp_path / "holiday_photos"
    out.mkdir()
    (out / "beach.jpg").write_bytes(b"...")
    with pytest.raises(NovelviewError, match="not a novelview data set"):
        render_dataset(_job(out, models=1), progress=False)
    assert (out / "beach.jpg").exists()


def test_shards_merge_into_the_unsharded_data_set(tmp_path, clean):
    shard_dirs = []
    for k in range(2):
        d = tmp_path / f"shard{k}"
        summary = render_dataset(_job(d, shard=(k, 2)), progress=False)
        assert summary["finished"] is False and summary["rendered"] == 3
        assert not (d / "views.npy").exists()
        shard_dirs.append(d)
    merged = tmp_path / "merged"
    summary = merge_shards(shard_dirs, merged, progress=False)
    assert summary["models"] == 6
    assert (merged / "views.npy").read_bytes() == (clean / "views.npy").read_bytes()
    assert json.loads((merged / "meta.json").read_text()) == json.loads((clean / "meta.json").read_text())
    assert (merged / "split.json").read_text() == (clean / "split.json").read_text()


def test_merged_shards_keep_render_notes_orientation_and_front(tmp_path):
    """Each model's notes file travels with its parts, and the orientation file's digest and the
    front axis stay in the data set's identity, as in one unsharded render."""
    src = tmp_path / "meshes"
    src.mkdir()
    trimesh.creation.box().export(src / "a.obj")
    (src / "b.obj").write_text("mtllib gone.mtl\n" + (src / "a.obj").read_text())  # a notice: no material file
    trimesh.creation.icosphere(1).export(src / "c.obj")
    orientation = tmp_path / "orientation.json"
    orientation.write_text(json.dumps({"c": {"up": "+z", "front": "-y"}}))
    options = {"source": f"folder:{src}", "models": None, "front": "-x", "orientation_file": str(orientation)}
    whole = tmp_path / "whole"
    render_dataset(_job(whole, **options), progress=False)
    shard_dirs = [tmp_path / f"shard{k}" for k in range(2)]
    for k, d in enumerate(shard_dirs):
        render_dataset(_job(d, shard=(k, 2), **options), progress=False)
    merged = tmp_path / "merged"
    summary = merge_shards(shard_dirs, merged, progress=False)
    meta = json.loads((merged / "meta.json").read_text())
    assert meta == json.loads((whole / "meta.json").read_text())
    assert meta["front"] == "-x" and len(meta["orientation_sha256"]) == 64
    assert meta["render_notes"]["notices"] == {"missing material file": {"models": 1, "first": ["b"]}}
    assert summary["render_notes"] == meta["render_notes"]
    assert (merged / "views.npy").read_bytes() == (whole / "views.npy").read_bytes()
    # the merged folder is the finished data set of the same render command
    assert render_dataset(_job(merged, **options), progress=False)["already_done"]


def test_merge_keeps_the_split_settings_and_refuses_mixed_or_missing_shards(tmp_path):
    dirs = [tmp_path / "s0", tmp_path / "s1"]
    for k, d in enumerate(dirs):
        render_dataset(_job(d, shard=(k, 2), val_share=0.34, test_share=0.34), progress=False)
    merged = tmp_path / "merged"
    summary = merge_shards(dirs, merged, progress=False)
    assert summary["split"] == {"train": 2, "val": 2, "test": 2}
    with pytest.raises(NovelviewError, match="shard 1/2 missing"):
        merge_shards(dirs[:1], tmp_path / "half", progress=False)
    other = tmp_path / "other"
    render_dataset(_job(other, models=1, shard=(1, 2)), progress=False)
    with pytest.raises(NovelviewError, match="different settings"):
        merge_shards([dirs[0], other], tmp_path / "mixed", progress=False)
    with pytest.raises(NovelviewError, match="nothing does not exist"):
        merge_shards([dirs[0], tmp_path / "nothing"], tmp_path / "x", progress=False)
    with pytest.raises(NovelviewError, match="bad shard"):
        render_dataset(_job(tmp_path / "y", shard=(2, 2)), progress=False)


def test_worker_processes_give_the_same_bytes(tmp_path, clean):
    job = _job(tmp_path / "data")
    job.workers = 2
    render_dataset(job, progress=False)
    assert (tmp_path / "data" / "views.npy").read_bytes() == (clean / "views.npy").read_bytes()


def test_png_export(tmp_path):
    render_dataset(_job(tmp_path / "data", source="procedural:mug", models=1, png=True), progress=False)
    pngs = sorted((tmp_path / "data" / "png" / "mug_0_00000").glob("*.png"))
    assert [p.name for p in pngs] == [f"el+00_az{a:03d}.png" for a in (0, 90, 180, 270)]
    views = np.load(tmp_path / "data" / "views.npy")
    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(pngs[1])), views[0, 0, 1])


# --- split -----------------------------------------------------------------------------------

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
    render_dataset(_job(out, split_file=str(path)), progress=False)
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
    calls = _count_renders(monkeypatch)
    with pytest.raises(NovelviewError, match="car_0_00077"):
        render_dataset(_job(tmp_path / "data", split_file=str(path)), progress=False)
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
    summary = render_dataset(_job(out, f"folder:{src}", models=None, split_file=str(path)), progress=False)
    assert summary["split"] == {"train": 2, "val": 0, "test": 1}
    assert [s["model_id"] for s in summary["skipped"]] == ["d"]
    assert render_dataset(_job(out, f"folder:{src}", models=None, split_file=str(path)), progress=False)["already_done"]


def test_resume_refuses_a_source_whose_models_changed(tmp_path, monkeypatch):
    src = tmp_path / "meshes"
    src.mkdir()
    for name in ("b", "c", "d"):
        trimesh.creation.box().export(src / f"{name}.obj")
    out = tmp_path / "data"
    _count_renders(monkeypatch, fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        render_dataset(_job(out, f"folder:{src}", models=None), progress=False)
    monkeypatch.undo()
    trimesh.creation.icosphere(1).export(src / "a.obj")  # sorts first: every part index would shift
    with pytest.raises(NovelviewError, match="changed since"):
        render_dataset(_job(out, f"folder:{src}", models=None), progress=False)
    summary = render_dataset(_job(out, f"folder:{src}", models=None, overwrite=True), progress=False)
    assert summary["rendered"] == 4
    meta = json.loads((out / "meta.json").read_text())
    assert meta["model_ids"] == ["a", "b", "c", "d"]
    views = np.load(out / "views.npy")
    # the sphere (a) and a box (b) differ: views follow the models, not stale part numbers
    assert not np.array_equal(views[0], views[1]) and np.array_equal(views[1], views[2])


@pytest.mark.parametrize("val, test", [(-0.1, 0.2), (0.0, 1.5), (0.6, 0.6)])
def test_bad_split_shares_are_refused(tmp_path, val, test):
    with pytest.raises(NovelviewError, match="bad split shares"):
        render_dataset(_job(tmp_path / "data", val_share=val, test_share=test), progress=False)
