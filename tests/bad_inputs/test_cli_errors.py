"""The command line's last line of defence: a file that ends early (EOFError) is named as damaged,
not as an interruption; Ctrl-C still is one; a full disk is said as such."""

from __future__ import annotations

import errno
import pickle

import numpy as np
import pytest
from bad_input_helpers import assert_one_error, run_subprocess

import novelview.data.preview
import novelview.generate


@pytest.fixture(autouse=True)
def sheet_reads_only_through_dataset_sheet(monkeypatch):
    """`novelview sheet` opens the data set for its plan before drawing; these tests make the
    drawing (generate.dataset_sheet) fail, so the plan must not read the folder first."""
    monkeypatch.setattr(novelview.data.preview, "sheet_plan", lambda data, per_category, split="all": (4, "planned"))


def _reads(path, reader):
    def read_it(*args, **kwargs):
        if reader == "pickle":
            with open(path, "rb") as handle:
                return pickle.load(handle)
        return np.load(path)
    return read_it


@pytest.mark.parametrize("reader", ["pickle", "numpy"])
def test_eof_error_names_the_file_as_damaged(reader, tmp_path, novelview, monkeypatch):
    damaged = tmp_path / "parts" / "000001.npy"
    damaged.parent.mkdir()
    damaged.write_bytes(b"")
    monkeypatch.setattr(novelview_generate(), "dataset_sheet", _reads(damaged, reader))
    code, _, err = novelview("sheet", "--data", tmp_path, "--out", tmp_path / "s.png")
    line = assert_one_error(code, err, rf"{damaged} is damaged \(empty or truncated")
    assert f"novelview doctor {tmp_path}`" in line and "interrupted" not in err


def test_eof_error_without_a_file_still_says_damaged(tmp_path, novelview, monkeypatch):
    def fail(*args):
        raise EOFError("Ran out of input")
    monkeypatch.setattr(novelview_generate(), "dataset_sheet", fail)
    code, _, err = novelview("sheet", "--data", tmp_path, "--out", tmp_path / "s.png")
    assert_one_error(code, err, r"a file ended early \(empty or truncated.*Ran out of input\); run `novelview doctor`")
    assert "interrupted" not in err


def test_ctrl_c_is_still_an_interruption(tmp_path, novelview, monkeypatch):
    def stop(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(novelview_generate(), "dataset_sheet", stop)
    code, _, err = novelview("sheet", "--data", tmp_path, "--out", tmp_path / "s.png")
    assert code == 130 and "interrupted: finished work is kept" in err


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device", "/big/disk/file.png"),
                                   OSError("589824 requested and 450432 written")])
def test_a_full_disk_anywhere_is_said_as_such(error, tmp_path, novelview, monkeypatch):
    def fail(*args):
        raise error
    monkeypatch.setattr(novelview_generate(), "dataset_sheet", fail)
    code, _, err = novelview("sheet", "--data", tmp_path, "--out", tmp_path / "s.png")
    line = assert_one_error(code, err, r"the disk is full at ")
    assert "requested" not in line
    if error.filename:
        assert "the disk is full at /big/disk:" in line


def test_the_console_entry_names_a_truncated_views_file(dataset, tmp_path):
    """Once 'mmap length is greater than file size' in a traceback, or a bus error."""
    views = dataset / "views.npy"
    views.write_bytes(views.read_bytes()[:1000])
    done = run_subprocess("sheet", "--data", dataset, "--out", tmp_path / "s.png")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {views} is damaged (truncated: 1000 of {128 + 3 * 4 * 16 * 16 * 4} bytes): "
        f"run `novelview doctor {dataset}` to see what is damaged and how to repair it"
    ]


def novelview_generate():
    return novelview.generate
