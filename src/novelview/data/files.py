"""Careful file handling for data set folders: checked reads, atomic writes, a full disk, a lock.

Every reader here turns a damaged file (empty, truncated, not JSON, the wrong shape) into one
NovelviewError that names the file and says what to do, instead of a traceback from numpy or
json, or a bus error from memory-mapping a file shorter than its header says. A file that only
cannot be read (permission denied) is no damage: it is said as such, with no re-render offered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from novelview import atomic
from novelview.atomic import write_bytes_atomic
from novelview.errors import NovelviewError

try:  # POSIX only: elsewhere concurrent renders into one folder are not detected
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

# Leave this much free beyond what a file needs: the file system needs room for its own books.
FREE_SPACE_MARGIN = 16 * 2**20
# The problem of a file whose bytes may be sound but that this user may not read: not "damaged",
# and rendering it again is no fix (the new file may end up just as unreadable, or another user's).
NO_PERMISSION = "cannot be read (permission denied)"
PERMISSION_FIX = "check the file's permissions (and those of its folders)"


def read_problem(exc: OSError) -> str:
    """What an OSError from opening or reading a file says about it."""
    return NO_PERMISSION if isinstance(exc, PermissionError) else f"unreadable: {exc.strerror or exc}"


def damaged(path: Path, problem: str, fix: str) -> NovelviewError:
    """The one message shape for a damaged file: which file, what is wrong, what to do (for a file
    that only cannot be read, the fix is its permissions, whatever ``fix`` says)."""
    if problem == NO_PERMISSION:
        return NovelviewError(f"{path} {NO_PERMISSION}: {PERMISSION_FIX}")
    return NovelviewError(f"{path} is damaged ({problem}): {fix}")


def refuse_unreadable(path: Path, problem: str | None) -> None:
    """Raise for a file that cannot be read: rendering over it would hide the real problem."""
    if problem == NO_PERMISSION:
        raise damaged(path, problem, "")


def load_json(path: Path, expect: type = dict):
    """(value, None) for a sound JSON file whose top level is ``expect``; else (None, the problem)."""
    try:
        text = Path(path).read_bytes()
    except FileNotFoundError:
        return None, "missing"
    except OSError as exc:
        return None, read_problem(exc)
    if not text:
        return None, "empty, 0 bytes"
    try:
        value = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        return None, f"not valid JSON: {exc}"
    if not isinstance(value, expect):
        return None, f"holds a JSON {type(value).__name__}, not a {expect.__name__}"
    return value, None


def read_json(path: Path, fix: str, expect: type = dict):
    """Parse a JSON file whose top level must be ``expect``; a damaged file names itself and ``fix``."""
    value, problem = load_json(path, expect)
    if problem == "missing":
        raise NovelviewError(f"{path} is missing: {fix}")
    if problem:
        raise damaged(Path(path), problem, fix)
    return value


def write_json(path: Path, obj) -> None:
    """Write JSON through a temporary file and a rename, so a kill leaves the old file or the new one."""
    write_text_atomic(path, json.dumps(obj, indent=2))


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file, flush it to the disk, then rename it over ``path``: a
    kill or a full disk leaves the old file whole (a full disk is a one-line error)."""
    write_bytes_atomic(path, text.encode("utf-8"))  # novelview.atomic: the one write path


def npy_problem(path: Path, shape: tuple | None = None, dtype=None) -> str | None:
    """Why ``path`` is not a complete .npy file of ``shape`` and ``dtype`` (None when it is).

    Reads only the header and the file size, so a truncated file is found before it is
    memory-mapped (reading past the end of a mapped file kills the process with SIGBUS).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "missing"
    except PermissionError:  # a folder above it that this user may not enter
        return NO_PERMISSION
    if size == 0:
        return "empty, 0 bytes"
    try:
        with open(path, "rb") as handle:
            version = npy_format.read_magic(handle)
            read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
            found_shape, fortran_order, found_dtype = read_header(handle)
            data_start = handle.tell()
    except PermissionError:
        return NO_PERMISSION
    except (ValueError, EOFError, OSError) as exc:
        if "EOF" in str(exc) or isinstance(exc, EOFError):
            return f"truncated: {size} bytes, shorter than its own header"
        return f"not a readable .npy file: {exc}"
    if found_dtype.hasobject or fortran_order:
        return "not a plain array as novelview writes it"
    expected = data_start + int(np.prod(found_shape, dtype=np.int64)) * found_dtype.itemsize
    if size < expected:
        return f"truncated: {size} of {expected} bytes"
    if size > expected:
        return f"{size - expected} bytes longer than its header says"
    if shape is not None and tuple(found_shape) != tuple(shape):
        return f"shape {tuple(found_shape)}, expected {tuple(shape)}"
    if dtype is not None and found_dtype != np.dtype(dtype):
        return f"type {found_dtype}, expected {np.dtype(dtype)}"
    return None


def load_npy(path: Path, shape: tuple | None, dtype, fix: str, mmap: bool = False) -> np.ndarray:
    """np.load after ``npy_problem`` found nothing wrong; memory-mapped read-only when ``mmap``."""
    problem = npy_problem(path, shape, dtype)
    if problem == "missing":
        raise NovelviewError(f"{path} is missing: {fix}")
    if problem:
        raise damaged(path, problem, fix)
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


def save_npy(path: Path, array: np.ndarray) -> None:
    """np.save through ``<name>.tmp.npy`` and a rename (merge never copies *.tmp.npy files)."""
    tmp = path.with_name((path.stem if path.suffix == ".npy" else path.name) + ".tmp.npy")
    with atomic.atomic_file(path, array.nbytes, temporary=tmp) as tmp, open(tmp, "wb") as handle:
        np.save(handle, array)


def write_stacked_npy(path: Path, shape: tuple, dtype, rows) -> None:
    """Write a .npy of ``shape`` row by row from the iterable ``rows`` with plain writes.

    No memory map: on a full disk a write fails with ENOSPC (reported, and the half-written file
    removed), where stores into a mapped sparse file would kill the process with SIGBUS. Callers
    write under a temporary name and rename.
    """
    header = {"descr": npy_format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": tuple(shape)}
    with disk_full_is_an_error(path.parent, cleanup=[path]):
        with open(path, "wb") as handle:
            npy_format.write_array_header_1_0(handle, header)
            for row in rows:
                handle.write(np.ascontiguousarray(row, dtype=dtype).tobytes())
            handle.flush()
            os.fsync(handle.fileno())


def disk_full_message(folder: Path, needed_bytes: int | None = None) -> str:
    return atomic.disk_full_message(folder, needed_bytes, kept="finished work is kept")


@contextmanager
def disk_full_is_an_error(folder: Path, cleanup: list[Path] = ()):
    """Turn a full disk (ENOSPC, EDQUOT, or numpy's 'N requested and M written') into one line,
    removing the half-written ``cleanup`` files so that the space they took is free again."""
    try:
        yield
    except OSError as exc:
        full = atomic.is_disk_full(exc)
        for leftover in cleanup:
            Path(leftover).unlink(missing_ok=True)
        if full:
            raise NovelviewError(disk_full_message(folder)) from None
        raise


def check_free_space(folder: Path, needed_bytes: int, what: str) -> None:
    """Refuse before writing ``needed_bytes`` into ``folder`` when the disk cannot hold them."""
    free = shutil.disk_usage(folder).free
    if free < needed_bytes + FREE_SPACE_MARGIN:
        # the margin is said: "needs 5 MiB, 6 MiB are free" alone reads as a wrong refusal
        raise NovelviewError(
            f"the disk is full at {folder}: {what} needs {needed_bytes / 2**20:.1f} MiB + a "
            f"{FREE_SPACE_MARGIN / 2**20:.0f} MiB margin kept free for the file system = "
            f"{(needed_bytes + FREE_SPACE_MARGIN) / 2**20:.1f} MiB, {free / 2**20:.1f} MiB are free; "
            "free some space there and run the same command again (finished work is kept)"
        )


@contextmanager
def folder_lock(folder: Path, what: str = "render"):
    """Hold an exclusive lock on ``folder`` while a render, merge, training or evaluation writes
    into it; ``what`` names the kind of job in the message to a second one."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise NovelviewError(
            f"another {what} is writing here ({folder}): wait for it to finish, or choose another --out"
        ) from None
    _HELD_LOCKS.add(fd)
    try:
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)  # closing the descriptor releases the lock


# A forked child (a data loader worker) shares the lock with its parent: after a kill -9 of the
# parent it would hold the folder a few more seconds, and a --resume at once would be refused.
# The children close their copies (closing, unlike LOCK_UN, leaves the parent's lock alone).
_HELD_LOCKS: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD_LOCKS):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


def stale_temporary_files(folder: Path) -> list[Path]:
    """Files a killed writer left behind (``*.tmp``, ``*.tmp.npy``) in ``folder`` and its parts/."""
    found = []
    for where in (folder, folder / "parts"):
        if where.is_dir():
            found += [p for p in where.iterdir() if p.is_file() and (p.name.endswith(".tmp") or p.name.endswith(".tmp.npy"))]
    return sorted(found)


def safe_file_name(name: str) -> str:
    """A model id made safe as one file or folder name: no separators, no leading dots ('..')."""
    cleaned = re.sub(r"[^A-Za-z0-9._+-]", "_", name)[:200]
    cleaned = re.sub(r"^\.+", lambda dots: "_" * len(dots.group()), cleaned)
    return cleaned or "_"
