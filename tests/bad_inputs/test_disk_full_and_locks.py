"""A full disk is said as such, with the folder, before or while writing, and leaves no partial
file; a second render into a folder that is being written is refused with the reason."""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from bad_input_helpers import RENDER, assert_one_error, run_subprocess, snapshot

from novelview.data import assemble, files
from novelview.errors import NovelviewError


class TinyDisk:
    free = 1000


def test_too_little_space_is_refused_before_rendering(tmp_path, novelview, monkeypatch):
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: TinyDisk)
    code, _, err = novelview("render", *RENDER, "--out", tmp_path / "data")
    assert_one_error(code, err, r"the disk is full at .*data: rendering .* needs .* MiB, 0\.0 MiB are free")
    assert not list((tmp_path / "data" / "parts").iterdir())


def test_a_full_disk_while_assembling_keeps_the_parts_and_leaves_no_partial_file(tmp_path, novelview, monkeypatch,
                                                                              finished_set):
    monkeypatch.setattr(assemble, "check_free_space", lambda *args: None)
    real_write = files.write_stacked_npy

    def full_disk(path, shape, dtype, rows):
        def failing_rows():
            yield next(iter(rows))
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(path, shape, dtype, failing_rows())
    monkeypatch.setattr(assemble, "write_stacked_npy", full_disk)
    out = tmp_path / "data"
    code, _, err = novelview("render", *RENDER, "--out", out)
    assert_one_error(code, err, r"the disk is full at .*data: free some space there .* run the same command again")
    assert sorted(p.name for p in out.iterdir()) == ["parts", "settings.json"]  # no views.tmp.npy left
    assert len(list((out / "parts").glob("*.npy"))) == 3
    monkeypatch.undo()
    code, _, err = novelview("render", *RENDER, "--out", out)
    assert code == 0, err
    assert (out / "views.npy").read_bytes() == (finished_set / "views.npy").read_bytes()


def test_numpys_short_write_is_reported_as_a_full_disk(tmp_path, novelview, monkeypatch):
    def short_write(handle, array):
        raise OSError("589824 requested and 450432 written")
    monkeypatch.setattr(files.np, "save", short_write)
    code, _, err = novelview("render", *RENDER, "--out", tmp_path / "data")
    line = assert_one_error(code, err, r"the disk is full at .*parts: free some space there")
    assert "requested" not in line
    assert not list((tmp_path / "data" / "parts").glob("*.tmp.npy"))


def test_a_real_full_device_is_named():
    """/dev/full fails every write with ENOSPC, as a full disk does."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with pytest.raises(NovelviewError) as info:
        with files.disk_full_is_an_error(Path("/dev")):
            with open("/dev/full", "wb") as handle:
                np.save(handle, np.zeros(100000, np.uint8))
    assert "the disk is full at /dev" in str(info.value)


def test_a_second_render_into_a_folder_being_written_is_refused(dataset, novelview):
    (dataset / "views.tmp.npy").write_bytes(b"the running render's")  # doctor --repair would remove it
    before = snapshot(dataset)
    fd = os.open(dataset, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a render in progress holds it
    try:
        code, _, err = novelview("render", *RENDER, "--out", dataset, "--overwrite")
        assert_one_error(code, err, r"another render is writing here \(.*data\): wait for it to finish")
        code, _, err = novelview("doctor", dataset, "--repair")
        assert_one_error(code, err, r"another render is writing here")
    finally:
        os.close(fd)
    assert snapshot(dataset) == before


def test_two_renders_racing_into_one_folder_give_one_error_and_one_data_set(tmp_path, finished_set):
    out = tmp_path / "data"
    args = ["render", *RENDER, "--out", out]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    import sys
    racers = [subprocess.Popen([sys.executable, "-m", "novelview.cli", *map(str, args)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(r.wait(timeout=300), r.stderr.read()) for r in racers]
    assert all(code in (0, 2) for code, _ in results), results
    for code, err in results:
        if code == 2:
            assert "another render is writing here" in err and "Traceback" not in err
    done = run_subprocess(*args)
    assert done.returncode == 0, done.stderr
    assert (out / "views.npy").read_bytes() == (finished_set / "views.npy").read_bytes()
