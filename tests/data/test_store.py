"""The data set folder: resumable, shardable, refuses to mix settings, skips broken meshes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from novelview.data.render import RenderSettings
from novelview.data.store import merge_shards, render_dataset
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError

from store_helpers import count_renders, tiny_job


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
    calls = count_renders(monkeypatch, fail_after=4)
    with pytest.raises(KeyboardInterrupt):
        render_dataset(tiny_job(out), progress=False)
    assert len(list((out / "parts").glob("*.npy"))) == 4 and not (out / "views.npy").exists()
    first = list(calls)
    monkeypatch.undo()
    calls = count_renders(monkeypatch)  # counts the calls of the resumed render
    summary = render_dataset(tiny_job(out), progress=False)
    assert summary["rendered"] == 2 and len(calls) == 2
    assert not set(calls) & set(first)
    assert (out / "views.npy").read_bytes() == (clean / "views.npy").read_bytes()
    assert (out / "split.json").read_text() == (clean / "split.json").read_text()
    # a finished folder is not rendered again
    calls.clear()
    again = render_dataset(tiny_job(out), progress=False)
    assert again["already_done"] and calls == []


def test_corrupt_meshes_are_skipped_with_the_reason(tmp_path):
    src = tmp_path / "meshes"
    src.mkdir()
    trimesh.creation.box().export(src / "a_good.obj")
    (src / "b_garbage.ply").write_bytes(bytes(range(256)) * 8)
    (src / "c_empty.obj").write_bytes(b"")
    (src / "d_collinear.obj").write_text("v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\n")
    trimesh.creation.icosphere(1).export(src / "e_good.ply")
    summary = render_dataset(tiny_job(tmp_path / "data", f"folder:{src}", models=None), progress=False)
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
        render_dataset(tiny_job(tmp_path / "data", f"folder:{src}", models=None), progress=False)


def test_other_settings_are_refused_unless_overwrite(tmp_path, monkeypatch):
    out = tmp_path / "data"
    render_dataset(tiny_job(out, models=1), progress=False)
    before = (out / "views.npy").read_bytes()
    bigger = RenderSettings(size=24, azimuths=4, supersample=1)
    with pytest.raises(NovelviewError, match="other settings"):
        render_dataset(tiny_job(out, models=1, settings=bigger), progress=False)
    with pytest.raises(NovelviewError, match="other settings"):
        render_dataset(tiny_job(out, models=2), progress=False)
    assert (out / "views.npy").read_bytes() == before  # untouched
    summary = render_dataset(tiny_job(out, models=1, settings=bigger, overwrite=True), progress=False)
    assert summary["rendered"] == 3 and np.load(out / "views.npy").shape[3] == 24
    # an interrupted render with other settings is refused too (settings.json and parts/ only)
    calls = count_renders(monkeypatch, fail_after=1)
    with pytest.raises(KeyboardInterrupt):
        render_dataset(tiny_job(tmp_path / "partial", models=1), progress=False)
    assert len(calls) == 1
    with pytest.raises(NovelviewError, match="other settings"):
        render_dataset(tiny_job(tmp_path / "partial", models=1, settings=bigger), progress=False)


def test_a_foreign_folder_is_refused(tmp_path):
    out = tmp_path / "holiday_photos"
    out.mkdir()
    (out / "beach.jpg").write_bytes(b"...")
    with pytest.raises(NovelviewError, match="not a novelview data set"):
        render_dataset(tiny_job(out, models=1), progress=False)
    assert (out / "beach.jpg").exists()


def test_shards_merge_into_the_unsharded_data_set(tmp_path, clean):
    shard_dirs = []
    for k in range(2):
        d = tmp_path / f"shard{k}"
        summary = render_dataset(tiny_job(d, shard=(k, 2)), progress=False)
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
    render_dataset(tiny_job(whole, **options), progress=False)
    shard_dirs = [tmp_path / f"shard{k}" for k in range(2)]
    for k, d in enumerate(shard_dirs):
        render_dataset(tiny_job(d, shard=(k, 2), **options), progress=False)
    merged = tmp_path / "merged"
    summary = merge_shards(shard_dirs, merged, progress=False)
    meta = json.loads((merged / "meta.json").read_text())
    assert meta == json.loads((whole / "meta.json").read_text())
    assert meta["front"] == "-x" and len(meta["orientation_sha256"]) == 64
    assert meta["render_notes"]["notices"] == {"missing material file": {"models": 1, "first": ["b"]}}
    assert summary["render_notes"] == meta["render_notes"]
    assert (merged / "views.npy").read_bytes() == (whole / "views.npy").read_bytes()
    # the merged folder is the finished data set of the same render command
    assert render_dataset(tiny_job(merged, **options), progress=False)["already_done"]


def test_merge_keeps_the_split_settings_and_refuses_mixed_or_missing_shards(tmp_path):
    dirs = [tmp_path / "s0", tmp_path / "s1"]
    for k, d in enumerate(dirs):
        render_dataset(tiny_job(d, shard=(k, 2), val_share=0.34, test_share=0.34), progress=False)
    merged = tmp_path / "merged"
    summary = merge_shards(dirs, merged, progress=False)
    assert summary["split"] == {"train": 2, "val": 2, "test": 2}
    with pytest.raises(NovelviewError, match="shard 1/2 missing"):
        merge_shards(dirs[:1], tmp_path / "half", progress=False)
    other = tmp_path / "other"
    render_dataset(tiny_job(other, models=1, shard=(1, 2)), progress=False)
    with pytest.raises(NovelviewError, match="different settings"):
        merge_shards([dirs[0], other], tmp_path / "mixed", progress=False)
    with pytest.raises(NovelviewError, match="nothing does not exist"):
        merge_shards([dirs[0], tmp_path / "nothing"], tmp_path / "x", progress=False)
    with pytest.raises(NovelviewError, match="bad shard"):
        render_dataset(tiny_job(tmp_path / "y", shard=(2, 2)), progress=False)


def test_worker_processes_give_the_same_bytes(tmp_path, clean):
    job = tiny_job(tmp_path / "data")
    job.workers = 2
    render_dataset(job, progress=False)
    assert (tmp_path / "data" / "views.npy").read_bytes() == (clean / "views.npy").read_bytes()


def test_png_export(tmp_path):
    render_dataset(tiny_job(tmp_path / "data", source="procedural:mug", models=1, png=True), progress=False)
    pngs = sorted((tmp_path / "data" / "png" / "mug_0_00000").glob("*.png"))
    assert [p.name for p in pngs] == [f"el+00_az{a:03d}.png" for a in (0, 90, 180, 270)]
    views = np.load(tmp_path / "data" / "views.npy")
    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(pngs[1])), views[0, 0, 1])
