"""`novelview export` over an existing export folder: the folder is replaced whole or not at all.
A full disk is one line naming the folder and the space needed; a kill -9 after the new weights
were written leaves the old export as it was (never new weights under the old config.json)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys

import torch

from novelview.models import build_model
from novelview.models.io import load_model, save_model


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def old_export(tmp_path):
    """An export folder of other weights than the run's, with a model card beside its files."""
    torch.manual_seed(1)
    folder = save_model(build_model("pose_encoder"), tmp_path / "export", {"trained": {"global_step": 999}})
    (folder / "TRAINING.md").write_text("how these weights were made\n")
    return folder, snapshot(folder)


def test_export_to_a_full_disk_is_one_line_and_keeps_the_old_export(short_run, novelview, tmp_path, monkeypatch):
    folder, before = old_export(tmp_path)
    import novelview.models.io as io

    def full_disk(state, path, *args, **kwargs):  # half the weights reach the disk, then it is full
        with open(path, "wb") as handle:
            handle.write(b"\0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(io, "save_file", full_disk)
    code, out, err = novelview("export", "--checkpoint", short_run / "checkpoints" / "last.ckpt", "--out", folder)
    assert code == 2 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: the disk is full at {tmp_path}: free some space there (the write needs "), err
    assert "MiB" in lines[0] and "what was there before is kept" in lines[0], err
    assert snapshot(folder) == before
    assert load_model(folder).info["trained"]["global_step"] == 999
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"], "no half-written folder is left beside it"


def test_a_killed_export_leaves_the_old_export_whole_and_the_next_replaces_it(short_run, novelview, tmp_path):
    folder, before = old_export(tmp_path)
    checkpoint = short_run / "checkpoints" / "last.ckpt"
    killer = ("import os, signal, sys\nimport novelview.models.io as io\nreal = io.save_file\n"
              "def save(*args, **kwargs):\n    real(*args, **kwargs)\n    os.kill(os.getpid(), signal.SIGKILL)\n"
              "io.save_file = save\nsys.argv = ['novelview', 'export', '--checkpoint', sys.argv[1], '--out', sys.argv[2]]\n"
              "from novelview.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", killer, str(checkpoint), str(folder)], capture_output=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert snapshot(folder) == before, "the killed export changed the old folder"
    assert len(list(tmp_path.glob(".export.new-*"))) == 1, "the killed export's half-written folder is beside it"
    assert load_model(folder).info["trained"]["global_step"] == 999

    code, _, err = novelview("export", "--checkpoint", checkpoint, "--out", folder)
    assert code == 0, err
    assert load_model(folder).info["trained"]["global_step"] == 3
    assert (folder / "TRAINING.md").read_text() == "how these weights were made\n", "the model card is kept"
    assert (folder / "model.safetensors").read_bytes() != before["model.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"], "the next export removes what the killed one left"
