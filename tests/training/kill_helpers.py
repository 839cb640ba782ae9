"""Killing a training run the hard way (SIGKILL, no handler runs), for the resume tests.

``train_in_background`` starts ``novelview train`` in another process with the quick test settings
(the same config ``training_helpers.config_for`` builds in-process). Run as a script,
``python kill_helpers.py SAVE_NUMBER ARGS...`` runs ``novelview ARGS...`` but kills itself with
SIGKILL in the middle of its SAVE_NUMBER-th checkpoint write, after half the bytes reached the
disk: what a kill -9 or a power cut during a write leaves behind.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from training_helpers import CONFIGS, QUICK  # noqa: E402


def train_command(out: Path, data_dir: Path, *overrides: str) -> list[str]:
    return ["train", "--config", str(CONFIGS / "pose_encoder.yaml"), "--data", str(data_dir), "--out", str(out),
            *QUICK, *overrides]


def train_in_background(out: Path, data_dir: Path, *overrides: str, kill_on_save: int | None = None):
    """A running ``novelview train`` (stderr to ``out``.err); with ``kill_on_save`` it kills itself mid-write."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if kill_on_save is None:
        command = [sys.executable, "-m", "novelview.cli"]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), str(kill_on_save)]
    err = open(out.parent / f"{out.name}.err", "w")
    return subprocess.Popen([*command, *train_command(out, data_dir, *overrides)], env=env,
                            stdout=subprocess.DEVNULL, stderr=err)


def kill_once_written(process: subprocess.Popen, path: Path, timeout: float = 120) -> None:
    """SIGKILL ``process`` as soon as ``path`` exists (it was renamed into place, so it is whole)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"training ended before {path.name} was written"
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL


def _die_during_save(save_number: int) -> None:
    """Make the ``save_number``-th torch.save write half its bytes, sync them, and SIGKILL the process."""
    import torch

    real_save, calls = torch.save, [0]

    def save(obj, target, *args, **kwargs):
        calls[0] += 1
        if calls[0] < save_number or not hasattr(target, "write"):
            return real_save(obj, target, *args, **kwargs)
        buffer = io.BytesIO()
        real_save(obj, buffer, *args, **kwargs)
        target.write(buffer.getvalue()[: buffer.tell() // 2])
        target.flush()
        os.fsync(target.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    torch.save = save


if __name__ == "__main__":
    _die_during_save(int(sys.argv[1]))
    sys.argv = ["novelview", *sys.argv[2:]]
    from novelview.cli import main

    main()
