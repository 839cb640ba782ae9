"""Messages that pointed the wrong way: a file this user may not read called "damaged" (and
rendered again, moved aside or rebuilt), merge offering an --overwrite it does not have, an Excel
CSV refused for its BOM, a free-space refusal that hid its margin, turntable advice that fails."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from bad_input_helpers import RENDER, assert_one_error, deny_reading, snapshot

from novelview.data import files
from novelview.errors import NovelviewError

NO_READ = r"cannot be read \(permission denied\): check the file's permissions"


# -- a file that cannot be read is not a damaged file -------------------------------------------------

def test_a_reader_says_permission_denied_not_damaged(dataset, novelview, monkeypatch, tmp_path):
    deny_reading(monkeypatch, dataset / "views.npy")
    code, _, err = novelview("sheet", "--data", dataset, "--out", tmp_path / "s.png")
    line = assert_one_error(code, err, r"data/views\.npy " + NO_READ)
    assert "damaged" not in line


def test_render_refuses_instead_of_rendering_over_an_unreadable_data_set(dataset, novelview, monkeypatch):
    before = snapshot(dataset)
    deny_reading(monkeypatch, dataset / "meta.json")
    code, _, err = novelview("render", *RENDER, "--out", dataset)
    assert_one_error(code, err, r"data/meta\.json " + NO_READ)
    monkeypatch.undo()
    assert snapshot(dataset) == before


def test_render_and_merge_refuse_an_unreadable_part_instead_of_calling_it_damaged(tmp_path, novelview, monkeypatch):
    shards = [tmp_path / f"shard{k}" for k in range(2)]
    for k, folder in enumerate(shards):
        assert novelview("render", *RENDER, "--shard", f"{k}/2", "--out", folder)[0] == 0
    before = snapshot(shards[0])
    deny_reading(monkeypatch, shards[0] / "parts" / "000000.npy")
    code, _, err = novelview("render", *RENDER, "--shard", "0/2", "--out", shards[0])
    assert_one_error(code, err, r"shard0/parts/000000\.npy " + NO_READ)
    code, _, err = novelview("merge", *shards, "--out", tmp_path / "m")
    assert_one_error(code, err, r"shard0/parts/000000\.npy " + NO_READ)
    monkeypatch.undo()
    assert snapshot(shards[0]) == before  # not removed to be rendered again


def test_doctor_names_the_permissions_and_repairs_nothing(dataset, novelview, monkeypatch):
    before = snapshot(dataset)
    deny_reading(monkeypatch, dataset / "views.npy", dataset / "split.json")
    code, report, _ = novelview("doctor", dataset, "--repair")
    assert code == 2
    assert "UNREADABLE views.npy: cannot be read (permission denied)" in report
    assert "UNREADABLE split.json: cannot be read (permission denied)" in report
    assert report.count("fix: check the file's permissions") == 2
    assert "damaged" not in report and "REPAIRED" not in report and "novelview render" not in report
    monkeypatch.undo()
    assert snapshot(dataset) == before


def test_doctor_neither_rebuilds_an_unreadable_settings_file_nor_removes_an_unreadable_part(tmp_path, novelview,
                                                                                           monkeypatch):
    out = tmp_path / "data"
    assert novelview("render", *RENDER, "--shard", "0/2", "--out", out)[0] == 0
    before = snapshot(out)
    deny_reading(monkeypatch, out / "parts" / "000002.npy")
    code, report, _ = novelview("doctor", out, "--repair")
    assert code == 2 and "UNREADABLE parts/000002.npy: cannot be read (permission denied)" in report
    assert "REPAIRED" not in report
    monkeypatch.undo()
    deny_reading(monkeypatch, out / "settings.json")
    code, report, _ = novelview("doctor", out, "--repair")
    assert code == 2 and "UNREADABLE settings.json: cannot be read (permission denied)" in report
    assert "REPAIRED" not in report
    monkeypatch.undo()
    assert snapshot(out) == before


def test_doctor_does_not_move_an_unreadable_checkpoint_aside(tmp_path, novelview, monkeypatch):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("model:\n  name: pose_encoder\n")
    torch.save({"state_dict": {"w": torch.ones(3)}}, run / "checkpoints" / "last.ckpt")
    deny_reading(monkeypatch, run / "checkpoints" / "last.ckpt", run / "config.yaml")
    code, report, _ = novelview("doctor", run, "--repair")
    assert code == 2
    assert "UNREADABLE checkpoints/last.ckpt: cannot be read (permission denied)" in report
    assert "UNREADABLE config.yaml: cannot be read (permission denied)" in report
    assert "damaged" not in report and (run / "checkpoints" / "last.ckpt").exists()


def test_an_unreadable_image_is_not_called_damaged(tmp_path, novelview, monkeypatch):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "in.png")
    deny_reading(monkeypatch, tmp_path / "in.png")
    code, _, err = novelview("generate", "--image", tmp_path / "in.png", "--azimuth", "30", "--out", tmp_path / "o")
    assert_one_error(code, err, r"in\.png " + NO_READ)


# -- merge has no --overwrite -------------------------------------------------------------------------

@pytest.fixture
def shards(tmp_path, novelview):
    folders = [tmp_path / f"shard{k}" for k in range(2)]
    for k, folder in enumerate(folders):
        assert novelview("render", *RENDER, "--shard", f"{k}/2", "--out", folder)[0] == 0
    return folders


def test_merge_into_another_data_set_offers_no_overwrite(shards, tmp_path, novelview):
    other = tmp_path / "other"
    assert novelview("render", *RENDER, "--size", "24", "--out", other)[0] == 0
    before = snapshot(other)
    code, _, err = novelview("merge", *shards, "--out", other)
    line = assert_one_error(code, err, r"holds a data set made with other settings; choose another --out for the merge")
    assert "--overwrite" not in line
    (other / "settings.json").write_text("{")
    code, _, err = novelview("merge", *shards, "--out", other)
    line = assert_one_error(code, err, r"settings\.json is damaged .*: choose another --out for the merge")
    assert "--overwrite" not in line
    (other / "settings.json").write_bytes(before["settings.json"])
    assert snapshot(other) == before
    code, _, err = novelview("merge", *shards, "--out", tmp_path / "fresh")  # the way out works
    assert code == 0, err


# -- files as spreadsheets and editors save them ------------------------------------------------------

@pytest.fixture
def box_folder(tmp_path):
    import trimesh

    (tmp_path / "m").mkdir()
    for name in ("a", "b"):
        trimesh.creation.box().export(tmp_path / "m" / f"{name}.obj")
    return tmp_path / "m"


@pytest.mark.parametrize("name, text", [
    ("o.csv", "model_id,up,front\r\na,+z,-y\r\n"),  # Excel's "CSV UTF-8": a BOM and CRLF
    ("o.csv", "model_id, up, front\na, +z, -y\n"),  # spaces after the commas
    ("o.json", '{"a": {"up": "+z", "front": "-y"}}'),  # Notepad's UTF-8 with BOM
])
def test_orientation_files_with_a_bom_are_read(name, text, box_folder, tmp_path, novelview):
    from novelview.data.sources.orientation import read_orientation_file

    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert read_orientation_file(tmp_path / name) == {"a": {"up": "+z", "front": "-y"}}
    code, out, err = novelview("render", "--source", f"folder:{box_folder}", "--orientation", tmp_path / name, "--list")
    assert code == 0, err
    assert "a  [m]  up +z (the orientation file), front -y (the orientation file)" in out.splitlines()


def test_an_orientation_csv_row_with_surplus_cells_is_one_line(box_folder, tmp_path, novelview):
    (tmp_path / "o.csv").write_text("model_id,up,front,rotation\nb,,,1,0,0,0,1,0,0,0,1\n")
    code, _, err = novelview("render", "--source", f"folder:{box_folder}", "--orientation", tmp_path / "o.csv", "--list")
    assert_one_error(code, err, r"model 'b': more cells than the first line names columns; .*9 numbers in one cell")


def test_a_split_file_with_a_bom_is_read(box_folder, tmp_path, novelview):
    (tmp_path / "split.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"train": ["a"], "test": ["b"]}).encode())
    code, _, err = novelview("render", "--source", f"folder:{box_folder}", "--size", "16", "--azimuths", "2",
                             "--supersample", "1", "--workers", "1", "--split-file", tmp_path / "split.json",
                             "--out", tmp_path / "data")
    assert code == 0, err
    assert json.loads((tmp_path / "data" / "split.json").read_text())["test"] == [1]


# -- the free-space margin is said --------------------------------------------------------------------

def test_a_free_space_refusal_names_its_margin(tmp_path, novelview, monkeypatch):
    class AlmostEnough:
        free = 10 * 2**20  # more than the render needs, less than that and the margin
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: AlmostEnough)
    code, _, err = novelview("render", *RENDER, "--out", tmp_path / "data")
    assert_one_error(code, err, r"needs 0\.\d MiB \+ a 16 MiB margin kept free for the file system = 16\.\d MiB, "
                                r"10\.0 MiB are free")


# -- turntable advice that works ----------------------------------------------------------------------

class GridModel:
    """What ``turntable`` asks of a model whose pose is a grid of rotations."""

    def __init__(self, name, grid):
        self.model_name, self.grid = name, grid

    def supported_rotations(self):
        return self.grid


@pytest.mark.parametrize("name, grid, frames, advice", [
    ("autoencoder", [30.0], 36, "it can make no turntable: draw its views one at a time with --azimuth 30"),
    ("pose_encoder", [10.0 * k for k in range(36)], 72, "use --frames 36"),
    ("pose_encoder", [0.0, 90.0, 180.0], 36, "use --frames 2"),  # a subset of the grid: 0 and 180 only
])
def test_the_turntable_advice_works_when_followed(name, grid, frames, advice, monkeypatch):
    from novelview import generate

    monkeypatch.setattr(generate, "generate_views", lambda model, image, rotations, *rest: np.asarray(rotations))
    image = np.full((8, 8, 3), 255, np.uint8)
    with pytest.raises(NovelviewError) as info:
        generate.turntable(GridModel(name, grid), image, frames)
    assert advice in str(info.value) and "--frames 1" not in str(info.value)
    if "--frames" in advice:
        follow = int(advice.split()[-1])
        assert len(generate.turntable(GridModel(name, grid), image, follow)) == follow
