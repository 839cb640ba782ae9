"""Every file novelview writes goes through novelview.atomic: a full disk in the middle of a write
is one line naming the folder and the space needed, and the file that was there stays whole."""

from __future__ import annotations

import errno
import json
import os
import re

from pathlib import Path

import pytest
import torch

from novelview import atomic
from novelview.errors import NovelviewError
from novelview.models import build_model
from novelview.models.io import save_model


def full_disk_when_writing(monkeypatch, name: str) -> None:
    """The disk fills up half way through writing ``name`` (through its temporary file)."""
    real = atomic.write_all

    def write_all(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(f"/{name}.tmp"):
            real(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(atomic, "write_all", write_all)


def test_a_full_disk_while_evaluating_keeps_the_previous_metrics(novelview, tiny_dataset, tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = save_model(build_model("flow", width=0.5, image_size=32), tmp_path / "m")
    out = tmp_path / "e"
    command = ("evaluate", "--data", tiny_dataset, "--model", model, "--out", out, "--no-accuracy", "--max-pairs", "4")
    code, _, err = novelview(*command)
    assert code == 0, err
    before = (out / "metrics.json").read_bytes()
    full_disk_when_writing(monkeypatch, "metrics.json")
    code, _, err = novelview(*command)
    # The progress bars share stderr (and their last line) with the message: find it by its start.
    errors = re.findall(r"error: [^\n]*", err)
    assert code == 2 and len(errors) == 1 and "Traceback" not in err, err
    assert re.fullmatch(rf"error: the disk is full at {out}: free some space there \(the write needs \d+\.\d KiB, "
                        r"[\d.]+ MiB are free\) .* what was there before is kept", errors[0]), errors[0]
    assert (out / "metrics.json").read_bytes() == before
    json.loads(before)
    assert not list(out.glob("*.tmp"))


def test_a_full_disk_while_drawing_a_figure_keeps_the_old_figure(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(1, 1))
    path = tmp_path / "plot.png"
    atomic.save_figure(figure, path)
    before = path.read_bytes()
    full_disk_when_writing(monkeypatch, "plot.png")
    with pytest.raises(NovelviewError) as raised:
        atomic.save_figure(figure, path, dpi=50)
    plt.close(figure)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"the disk is full at {tmp_path}: free some space there (the write needs"), message
    assert path.read_bytes() == before and not (tmp_path / "plot.png.tmp").exists()


def _folder(path, **files):
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def test_a_folder_is_replaced_whole_with_or_without_an_atomic_swap(tmp_path, monkeypatch):
    for swap in (True, False):
        folder = _folder(tmp_path / f"swap_{swap}", **{"config.json": "old", "TRAINING.md": "card"})
        if not swap:  # a system without renameat2: two renames
            monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
        with atomic.replace_folder(folder, owned=frozenset({"config.json", "model.safetensors"})) as new:
            (new / "model.safetensors").write_text("new weights")
        assert {p.name: p.read_text() for p in folder.iterdir()} == {"model.safetensors": "new weights",
                                                                      "TRAINING.md": "card"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["swap_False", "swap_True"]


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    folder = _folder(tmp_path / "export", **{"config.json": "old"})
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def rename(source, target):
        if str(source).endswith(f"new-{os.getpid()}"):
            raise OSError(errno.EIO, "Input/output error")
        real_rename(source, target)

    monkeypatch.setattr(atomic.os, "rename", rename)
    with pytest.raises(OSError):
        with atomic.replace_folder(folder) as new:
            (new / "config.json").write_text("new")
    monkeypatch.undo()
    assert (folder / "config.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_a_folder_holding_folders_is_not_replaced(tmp_path):
    folder = _folder(tmp_path / "desktop", **{"notes.txt": "mine"})
    (folder / "photos").mkdir()
    with pytest.raises(NovelviewError, match=r"holds folders \(photos\): it is replaced as a whole"):
        with atomic.replace_folder(folder):
            pass
    assert (folder / "notes.txt").read_text() == "mine" and (folder / "photos").is_dir()


def test_a_device_or_folder_in_the_way_is_refused_not_replaced(tmp_path):
    from novelview.atomic import write_bytes_atomic

    (tmp_path / "a_folder").mkdir()
    with pytest.raises(NovelviewError, match="is not a regular file"):
        write_bytes_atomic(tmp_path / "a_folder", b"x")
    assert (tmp_path / "a_folder").is_dir()
    if Path("/dev/null").exists():
        with pytest.raises(NovelviewError, match="is not a regular file"):
            write_bytes_atomic("/dev/null", b"x")
        assert not Path("/dev/null").is_file()


def test_an_unwritable_place_is_named_as_the_user_gave_it(tmp_path):
    from novelview.atomic import write_bytes_atomic

    target = tmp_path / "no_such_folder" / "notes.md"
    with pytest.raises(OSError) as caught:
        write_bytes_atomic(target, b"x")
    assert caught.value.filename == str(target)
