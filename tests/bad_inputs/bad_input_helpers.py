"""Helpers for the bad-input suite: run the command line as a user would, check its one error line.

Every test here gives novelview something broken and checks the promise of the command line:
exit status 2, one line ``error: ...`` that names the problem, no traceback, nothing lost.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
# A tiny render: 3 procedural mugs, 4 azimuths, 16x16; a split with one test model and no validation
# models (the settings of the ``finished_set`` fixture, whatever the command line's default shares).
RENDER = ["--source", "procedural:mug", "--models", "3", "--size", "16", "--azimuths", "4", "--supersample", "1",
          "--workers", "1", "--val-share", "0", "--test-share", "0.34"]


def run_subprocess(*args, cwd=None) -> subprocess.CompletedProcess:
    """``python -m novelview.cli ARGS`` in a fresh process, importing this checkout's code."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "novelview.cli", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def assert_one_error(code: int, err: str, pattern: str) -> str:
    """Exit status 2, exactly one ``error:`` line (progress bars aside) matching ``pattern``, no traceback."""
    assert code == 2, err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert re.search(pattern, errors[0]), errors[0]
    return errors[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes under ``folder``, to show that nothing was lost or changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def deny_reading(monkeypatch, *paths: Path) -> None:
    """Opening any of ``paths`` for reading fails with EACCES, as for a file of another user without
    read permission (the tests may run as root, who may read anything, so chmod alone shows nothing)."""
    import builtins
    import errno
    import io

    denied = {os.path.abspath(p) for p in paths}
    real_open = builtins.open

    def guarded(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and "r" in mode and os.path.abspath(file) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, mode, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(io, "open", guarded)  # pathlib opens through io.open
