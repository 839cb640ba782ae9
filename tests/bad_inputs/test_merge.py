"""Merging shard folders: a missing, unfinished, damaged or non-shard folder is named, with what
to run, before anything is written."""

from __future__ import annotations

import pytest
from bad_input_helpers import RENDER, assert_one_error


@pytest.fixture
def shards(tmp_path, novelview):
    folders = []
    for k in range(2):
        folder = tmp_path / f"shard{k}"
        code, _, err = novelview("render", *RENDER, "--shard", f"{k}/2", "--out", folder)
        assert code == 0, err
        folders.append(folder)
    return folders


def test_a_missing_shard_is_named(shards, novelview, tmp_path):
    code, _, err = novelview("merge", shards[0], "--out", tmp_path / "m")
    assert_one_error(code, err, r"shard 1/2 missing: give the folders of all 2 shards \(given: 0/2\)")
    assert not (tmp_path / "m").exists()


def test_an_unfinished_shard_is_named_with_what_is_missing(shards, novelview, tmp_path):
    (shards[1] / "parts" / "000001.npy").unlink()
    code, _, err = novelview("merge", *shards, "--out", tmp_path / "m")
    assert_one_error(code, err, r"shard 1/2 in .*shard1 is unfinished: 1 of 1 models are not rendered yet "
                                r"\(e\.g\. model 1, mug_0_00001\); run its render command again there")


@pytest.mark.parametrize("part, message", [("000000.npy", r"000000\.npy is damaged \(empty, 0 bytes\)"),
                                           ("000002.depth", r"000002\.depth is damaged \(empty, 0 bytes\)")])
def test_a_damaged_part_is_named(part, message, shards, novelview, tmp_path):
    (shards[0] / "parts" / part).write_bytes(b"")
    code, _, err = novelview("merge", *shards, "--out", tmp_path / "m")
    assert_one_error(code, err, message + r": run that shard's render command again")


def test_a_finished_data_set_is_not_a_shard(shards, dataset, novelview, tmp_path):
    code, _, err = novelview("merge", shards[0], dataset, "--out", tmp_path / "m")
    assert_one_error(code, err, r"data is a finished data set, not an unmerged shard folder")


@pytest.mark.parametrize("make, message", [
    (lambda p: None, r"does not exist"),
    (lambda p: p.write_text("x"), r"is not a folder"),
    (lambda p: p.mkdir(), r"is not a render folder \(no settings.json\), not a shard folder"),
    (lambda p: (p.mkdir(), (p / "settings.json").write_text("{")), r"settings\.json is damaged \(not valid JSON"),
    (lambda p: (p.mkdir(), (p / "settings.json").write_text("{}")), r"settings\.json is damaged \(no identity or shard\)"),
])
def test_a_folder_that_is_no_shard_is_named(make, message, shards, novelview, tmp_path):
    make(tmp_path / "odd")
    code, _, err = novelview("merge", shards[0], tmp_path / "odd", "--out", tmp_path / "m")
    assert_one_error(code, err, message)


def test_shards_of_different_counts_are_refused(shards, novelview, tmp_path):
    code, _, err = novelview("render", *RENDER, "--shard", "1/3", "--out", tmp_path / "third")
    assert code == 0, err
    code, _, err = novelview("merge", shards[0], tmp_path / "third", "--out", tmp_path / "m")
    assert_one_error(code, err, r"renders of different shard counts \(2 and 3\)")


def test_sound_shards_merge_into_the_unsharded_data_set(shards, finished_set, novelview, tmp_path):
    code, _, err = novelview("merge", *shards, "--out", tmp_path / "m")
    assert code == 0, err
    for name in ("views.npy", "depth.npy", "meta.json", "split.json"):
        assert (tmp_path / "m" / name).read_bytes() == (finished_set / name).read_bytes()
