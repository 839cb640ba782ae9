"""The one exception type that the command line turns into a one-line message, and the message for
a file that ended early (an EOFError), which is damage to name, not an interruption."""

from __future__ import annotations

import io
import os
from pathlib import Path


class NovelviewError(Exception):
    """A problem the user can fix: the message names it and says what to do."""


def ended_early_message(exc: EOFError) -> str:
    """'PATH is damaged ...' for an EOFError, naming the file being read when the traceback shows it."""
    path = _file_being_read(exc)
    if path is None:
        return (f"a file ended early (empty or truncated, damaged by a crash or a full disk: {exc}); "
                "run `novelview doctor` on the data set or run folder to find it")
    # parts/, checkpoints/ and export/ sit inside the folder that doctor checks
    folder = path.parent.parent if path.parent.name in ("parts", "checkpoints", "export") else path.parent
    return (f"{path} is damaged (empty or truncated, e.g. by a crash or a full disk): run "
            f"`novelview doctor {folder}` to see how to repair it")


def _file_being_read(exc: BaseException) -> Path | None:
    """The innermost open file or existing path argument in the traceback's frames, or None."""
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for name in ("f", "fp", "fid", "file", "handle", "path", "filename"):
            value = frame.f_locals.get(name)
            if isinstance(value, io.IOBase) and isinstance(getattr(value, "name", None), str):
                return Path(value.name)
            if isinstance(value, (str, os.PathLike)) and os.path.isfile(value):
                return Path(value)
    return None
