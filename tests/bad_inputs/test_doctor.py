"""`novelview doctor DIR [--repair]`: finds what is damaged, says the fix, repairs what it safely can
(and nothing else), and never runs code from a checkpoint."""

from __future__ import annotations

import os
import pickle
import shlex
import shutil

import pytest
import torch
from bad_input_helpers import RENDER, assert_one_error, snapshot

from novelview.data import store

WEIGHTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "src" / "novelview" / "weights" / "pose_encoder"


def test_a_sound_data_set_has_no_problems(dataset, novelview):
    code, out, err = novelview("doctor", dataset)
    assert code == 0, err
    assert "ok         views.npy: (3, 1, 4, 16, 16, 4) uint8" in out and out.strip().endswith("no problems found")


def test_the_printed_fix_for_damaged_views_repairs_them(dataset, finished_set, novelview):
    (dataset / "views.npy").write_bytes(b"")
    code, out, err = novelview("doctor", dataset)
    assert_one_error(code, err, r"1 problem\(s\) found")
    assert "DAMAGED    views.npy: empty, 0 bytes" in out
    command = out.split("fix: run `", 1)[1].split("`", 1)[0]
    code, _, err = novelview(*shlex.split(command)[1:], "--workers", "1", "--test-share", "0.34")
    assert code == 0, err
    assert (dataset / "views.npy").read_bytes() == (finished_set / "views.npy").read_bytes()
    assert novelview("doctor", dataset)[0] == 0


def test_repair_rewrites_a_damaged_split_from_the_settings(dataset, finished_set, novelview):
    (dataset / "split.json").write_text('{"train": [0, 1, 2], "test": [-1]}')
    code, out, _ = novelview("doctor", dataset, "--repair")
    assert code == 0 and "REPAIRED   rewrote split.json from the render settings" in out
    assert (dataset / "split.json").read_bytes() == (finished_set / "split.json").read_bytes()


def test_repair_assembles_complete_parts_of_a_render_that_stopped_while_finishing(tmp_path, finished_set, novelview,
                                                                                   monkeypatch):
    def stop(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(store, "finish", stop)
    out = tmp_path / "data"
    code, _, _ = novelview("render", *RENDER, "--out", out)
    assert code == 130
    monkeypatch.undo()
    code, report, _ = novelview("doctor", out)
    assert code == 2 and "UNFINISHED parts: all 3 parts are rendered but the data set was not assembled" in report
    code, report, err = novelview("doctor", out, "--repair")
    assert code == 0, report + err
    assert snapshot(out) == snapshot(finished_set)


def test_repair_removes_leftovers_and_damaged_parts_only(tmp_path, novelview, monkeypatch):
    calls = []

    def stop_after_two(args):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(args[0])
        return real(args)
    real = store._render_one
    monkeypatch.setattr(store, "_render_one", stop_after_two)
    out = tmp_path / "data"
    assert novelview("render", *RENDER, "--out", out)[0] == 130
    monkeypatch.undo()
    (out / "parts" / "000001.npy").write_bytes(b"")
    (out / "parts" / "000002.tmp.npy").write_bytes(b"half")
    (out / "views.tmp.npy").write_bytes(b"half")
    sound = (out / "parts" / "000000.npy").read_bytes()
    code, report, _ = novelview("doctor", out, "--repair")
    assert code == 2
    assert "REPAIRED   removed 2 temporary file(s)" in report and "REPAIRED   removed 1 damaged part(s)" in report
    assert "UNFINISHED parts: unfinished render: 2 of 3 models not rendered yet" in report
    assert sorted(p.name for p in (out / "parts").iterdir()) == ["000000.depth", "000000.notes.json", "000000.npy"]
    assert (out / "parts" / "000000.npy").read_bytes() == sound
    assert novelview("render", *RENDER, "--out", out)[0] == 0


def test_repair_rebuilds_a_lost_settings_file_from_meta(dataset, novelview):
    (dataset / "settings.json").unlink()
    code, report, _ = novelview("doctor", dataset, "--repair")
    assert code == 0 and "REPAIRED   rebuilt settings.json from meta.json" in report
    assert "nothing to do" in novelview("render", *RENDER, "--out", dataset)[1]


def test_parts_left_over_from_a_finished_render_are_removed(dataset, novelview):
    (dataset / "parts").mkdir()
    code, report, _ = novelview("doctor", dataset, "--repair")
    assert code == 0 and "REPAIRED   removed parts/" in report and not (dataset / "parts").exists()


@pytest.mark.parametrize("make, message", [
    (lambda p: None, r"does not exist"),
    (lambda p: p.write_text("x"), r"is a file: give the folder it is in"),
    (lambda p: p.mkdir(), r"is not a data set, render or run folder"),
])
def test_what_is_no_folder_of_ours_is_one_line(make, message, tmp_path, novelview):
    make(tmp_path / "thing")
    code, _, err = novelview("doctor", tmp_path / "thing")
    assert_one_error(code, err, message)


@pytest.fixture
def run_folder(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("model:\n  name: pose_encoder\n")
    for name in ("last.ckpt", "best.ckpt"):
        torch.save({"state_dict": {"model.weight": torch.ones(3)}, "global_step": 5}, run / "checkpoints" / name)
    shutil.copytree(WEIGHTS, run / "export")
    return run


def test_a_sound_run_folder_has_no_problems(run_folder, novelview):
    code, out, err = novelview("doctor", run_folder)
    assert code == 0, err
    assert "ok         checkpoints/last.ckpt" in out and "ok         export/model.safetensors" in out


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "checkpoints" / "last.ckpt").write_bytes(b""), r"checkpoints/last.ckpt: damaged \(empty, 0 bytes\)"),
    (lambda run: (run / "checkpoints" / "last.ckpt").write_bytes((run / "checkpoints" / "best.ckpt").read_bytes()[:900]),
     r"checkpoints/last.ckpt: damaged \(truncated or not a checkpoint"),
])
def test_a_damaged_checkpoint_is_moved_aside_not_deleted(damage, message, run_folder, novelview):
    damage(run_folder)
    damaged_bytes = (run_folder / "checkpoints" / "last.ckpt").read_bytes()
    code, out, _ = novelview("doctor", run_folder)
    assert code == 2 and __import__("re").search(message, out), out
    assert "resume or export from best.ckpt" in out
    code, out, _ = novelview("doctor", run_folder, "--repair")
    assert code == 0 and "REPAIRED   moved last.ckpt aside to last.ckpt.damaged" in out
    assert (run_folder / "checkpoints" / "last.ckpt.damaged").read_bytes() == damaged_bytes


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("writer", ["pickle", "torch"])
def test_a_planted_payload_is_reported_and_never_runs(writer, run_folder, novelview, tmp_path):
    marker = tmp_path / "payload_ran"
    evil = run_folder / "checkpoints" / "best.ckpt"
    if writer == "pickle":
        evil.write_bytes(pickle.dumps({"state_dict": Payload(marker)}))
    else:
        torch.save({"state_dict": {}, "extra": Payload(marker)}, evil)
    code, out, _ = novelview("doctor", run_folder, "--repair")
    assert code == 2 and "best.ckpt: holds objects a safe load refuses" in out
    assert not marker.exists()
    assert evil.exists()  # not ours to delete: the user decides


@pytest.mark.parametrize("damage, message", [
    (lambda e: (e / "model.safetensors").write_bytes((e / "model.safetensors").read_bytes()[:5000]),
     r"export/model.safetensors: damaged \(SafetensorError"),
    (lambda e: (e / "config.json").write_text("{"), r"export/config.json: damaged \(not valid JSON"),
    (lambda e: (e / "config.json").unlink(), r"export/config.json: missing"),
])
def test_a_damaged_export_is_named_with_the_export_command(damage, message, run_folder, novelview):
    damage(run_folder / "export")
    code, out, _ = novelview("doctor", run_folder)
    assert code == 2 and __import__("re").search(message, out), out
    assert f"novelview export --checkpoint {run_folder / 'checkpoints' / 'best.ckpt'}" in out


def test_a_bad_config_yaml_is_named(run_folder, novelview):
    (run_folder / "config.yaml").write_text("model: [\n")
    code, out, _ = novelview("doctor", run_folder)
    assert code == 2 and "DAMAGED    config.yaml: damaged (not valid YAML" in out


def test_a_killed_writers_hidden_replacement_is_reported_and_removed(tmp_path, novelview):
    """A writer killed before its swap (an export, a combine) leaves .NAME.new-PID beside the folder:
    doctor names it, --repair removes it, and the folder itself is untouched."""
    export = shutil.copytree(WEIGHTS, tmp_path / "export")
    dead = 2**22 + 12345  # above the usual pid_max of 4,194,304: no process has it
    left = tmp_path / f".export.new-{dead}"
    left.mkdir()
    (left / "model.safetensors").write_bytes(b"\0" * 2**20)
    code, out, _ = novelview("doctor", export)
    assert code == 2 and "LEFTOVER" in out and left.name in out and "1.0 MiB" in out
    code, out, _ = novelview("doctor", export, "--repair")
    assert not left.exists() and (export / "model.safetensors").read_bytes() == (WEIGHTS / "model.safetensors").read_bytes()
    assert novelview("doctor", export)[0] == 0
    left.mkdir()
    code, _, err = novelview("doctor", tmp_path / "gone")
    assert code == 2 and "does not exist" in err and ".gone.new-" not in err
    gone_left = tmp_path / f".gone.new-{dead}"
    gone_left.mkdir()
    code, _, err = novelview("doctor", tmp_path / "gone")
    assert code == 2 and gone_left.name in err and "\n" not in err.strip()
