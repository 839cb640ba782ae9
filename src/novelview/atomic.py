"""The one way novelview writes a file or a folder, so that a kill or a full disk loses nothing.

A file is written to a temporary file beside it, flushed to the disk, then renamed over the old
one (``atomic_file``, ``write_bytes_atomic``, ``save_image``, ``save_figure``). A folder (a model
export) is written whole as a hidden sibling and swapped in (``replace_folder``). A kill at any
moment leaves the old file or folder or the new one, never a mix or a stub. A full disk is one
line naming the folder and the space the write needed; the old file or folder stays as it was.
"""

from __future__ import annotations

import ctypes
import errno
import io
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from novelview.errors import NovelviewError

# How a full disk shows: errno ENOSPC or EDQUOT, numpy's short write, or a Rust writer's text (safetensors).
_FULL_TEXTS = ("requested and", "No space left on device", "Disk quota exceeded", "os error 28", "os error 122")


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(text in str(exc) for text in _FULL_TEXTS)


def disk_full_message(folder: Path, needed_bytes: int | None = None, kept: str = "what was there before is kept",
                      at_least: bool = False) -> str:
    """One line: where the disk is full, what the write needed (``at_least``: what it had written
    when the disk filled up, for a writer whose size is not known beforehand) and what to do."""
    need = ""
    if needed_bytes:
        try:
            free = f", {shutil.disk_usage(folder).free / 2**20:.1f} MiB are free"
        except OSError:
            free = ""
        size = f"{needed_bytes / 2**20:.1f} MiB" if needed_bytes >= 2**20 else f"{needed_bytes / 2**10:.1f} KiB"
        need = f" (the write needs {'more than ' if at_least else ''}{size}{free})"
    return (f"the disk is full at {folder}: free some space there{need} (or choose another folder) and run "
            f"the same command again; {kept}")


def _sync(path: Path) -> None:
    """fsync a file, or a folder (its entries: a rename is durable once its folder is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a folder; the rename itself is still atomic
        if path.is_file() or exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_file(path: str | Path, needed_bytes: int | None = None, temporary: Path | None = None):
    """Yields the temporary path to write (``NAME.tmp`` beside ``path`` unless given); when the
    block ends it is synced and renamed over ``path``. Any error removes it and leaves ``path`` as it was."""
    path = Path(path)
    if path.exists() and not path.is_file():  # renaming over a device or a folder would replace it
        raise NovelviewError(f"{path} is not a regular file (a folder or a device): choose a file to write")
    tmp = temporary or path.with_name(path.name + ".tmp")
    try:
        yield tmp
        _sync(tmp)
        os.replace(tmp, path)
        _sync(path.parent)
    except BaseException as exc:
        written = tmp.stat().st_size if tmp.is_file() else 0
        tmp.unlink(missing_ok=True)
        if isinstance(exc, Exception) and not isinstance(exc, NovelviewError) and is_disk_full(exc):
            raise NovelviewError(disk_full_message(path.parent, needed_bytes or written,
                                                   at_least=not needed_bytes)) from None
        if isinstance(exc, OSError) and exc.filename == str(tmp):  # name the file the user asked for
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (a write may take only part)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_file(path, len(data)) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)


def save_image(image, path: str | Path, **options) -> None:
    """PIL ``image.save`` through ``write_bytes_atomic``; the format follows the file's extension."""
    from PIL import Image

    buffer = io.BytesIO()
    image.save(buffer, format=Image.registered_extensions()[Path(path).suffix.lower()], **options)
    write_bytes_atomic(path, buffer.getvalue())


def save_figure(figure, path: str | Path, **options) -> None:
    """matplotlib ``figure.savefig`` through ``write_bytes_atomic``."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lstrip(".").lower(), **options)
    write_bytes_atomic(path, buffer.getvalue())


def _alive(pid: str) -> bool:
    """Whether process ``pid`` (a string from a folder name) runs; this process counts as dead,
    since it is about to write afresh."""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def abandoned_replacements(folder: str | Path) -> list[Path]:
    """The hidden siblings (``.NAME.new-PID``) that writers of ``folder`` killed before their swap
    left behind; the next write of the folder removes them, and so does ``novelview doctor --repair``."""
    folder = Path(folder)
    if not folder.parent.is_dir():
        return []
    return sorted(p for p in folder.parent.glob(f".{folder.name}.new-*")
                  if p.is_dir() and not _alive(p.name.rsplit("-", 1)[-1]))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not offered."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_cwd, exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a))


@contextmanager
def replace_folder(folder: str | Path, needed_bytes: int | None = None, owned: frozenset[str] = frozenset()):
    """Yields an empty hidden sibling of ``folder`` to fill; when the block ends its files are synced
    and it takes ``folder``'s place in one step (the old folder is then removed). Plain files of the
    old folder that are not ``owned`` by the writer (a model card beside an export's own files) are
    kept, linked into the new one; an old folder holding folders is refused, since replacing it
    would lose them. Any error leaves ``folder`` as it was and removes the sibling."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NovelviewError(f"{folder} is a file, not a folder: choose a folder to write into")
    if folder.is_dir():
        inner = sorted(p.name for p in folder.iterdir() if p.is_dir())
        if inner:
            raise NovelviewError(f"{folder} holds folders ({', '.join(inner[:3])}): it is replaced as a whole when "
                                 "written, so choose an empty folder or a model export folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in abandoned_replacements(folder):
        shutil.rmtree(stale, ignore_errors=True)
    new = folder.with_name(f".{folder.name}.new-{os.getpid()}")
    new.mkdir()
    try:
        yield new
        if folder.is_dir():
            for old in folder.iterdir():
                if old.name not in owned and not (new / old.name).exists():
                    try:
                        os.link(old, new / old.name)
                    except OSError:
                        shutil.copy2(old, new / old.name)
        for written in new.iterdir():
            _sync(written)
        _sync(new)
        if folder.exists() and _exchange(new, folder):
            shutil.rmtree(new)  # now the old folder
        elif folder.exists():  # no atomic swap here: the old folder is set aside for the instant between
            aside = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.rename(folder, aside)
            try:
                os.rename(new, folder)
            except BaseException:
                os.rename(aside, folder)
                raise
            shutil.rmtree(aside)
        else:
            os.rename(new, folder)
        _sync(folder.parent)
    except BaseException as exc:
        shutil.rmtree(new, ignore_errors=True)
        if isinstance(exc, Exception) and not isinstance(exc, NovelviewError) and is_disk_full(exc):
            raise NovelviewError(disk_full_message(folder.parent, needed_bytes)) from None
        raise
