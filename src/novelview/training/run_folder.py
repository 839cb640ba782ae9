"""What a run folder already holds, and which checkpoint a ``--resume`` continues from.

A run folder that holds a trained model (any checkpoint, or an export) is never written over by a
new run unless the user says ``--overwrite``: a damaged ``last.ckpt`` moved aside by ``doctor
--repair``, or deleted as an error message suggested, must not turn a sound ``best.ckpt`` and
``export/`` into the first casualties of the next command. ``--resume`` takes ``last.ckpt`` when it
is sound, and otherwise the best, then the newest step checkpoint, saying which.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from novelview.errors import NovelviewError
from novelview.training.safety import load_checkpoint_safely

RUN_PARTS = ("checkpoints", "export", "csv", "tensorboard", "samples", "config.yaml")


def trained_parts(out: Path) -> list[str]:
    """Names of what in ``out`` holds a trained model: checkpoints and the export."""
    found = sorted(p.relative_to(out).as_posix() for p in (out / "checkpoints").glob("*.ckpt*"))
    if (out / "export").exists():
        found.append("export/")
    return found


def check_new_run(out: Path, overwrite: bool) -> None:
    """Refuse to start a new run over a trained one, unless ``overwrite``."""
    held = trained_parts(out)
    if held and not overwrite:
        shown = ", ".join(held[:4]) + (", ..." if len(held) > 4 else "")
        raise NovelviewError(f"{out} already holds a trained run ({shown}): pass --resume to continue it, "
                             "--overwrite to replace it, or choose another --out")


def clear_old_run(out: Path) -> None:
    """Remove an old run's parts before a new run replaces it (only what novelview writes: other
    files of the user's stay)."""
    for name in RUN_PARTS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _step(path: Path) -> int:
    found = re.search(r"step_(\d+)", path.name)
    return int(found.group(1)) if found else -1


def resume_checkpoint(out: Path) -> tuple[Path, str | None]:
    """The checkpoint ``--resume`` continues from, and a line to tell the user when it is not
    ``last.ckpt``. A NovelviewError says what was found when nothing can be resumed."""
    folder = out / "checkpoints"
    last = folder / "last.ckpt"
    problems = []
    candidates = [last, folder / "best.ckpt", *sorted(folder.glob("step_*.ckpt"), key=_step, reverse=True)]
    for path in candidates:
        if not path.is_file():
            continue
        try:
            load_checkpoint_safely(path)
        except NovelviewError as exc:
            problems.append(str(exc))
            continue
        if path == last:
            return path, None
        why = "is damaged" if last.exists() else "is missing"
        return path, (f"{last} {why}: resuming from {path.name}, an earlier state of the run "
                      "(the steps after it are trained again)")
    if problems:
        raise NovelviewError(f"nothing to resume in {folder}: every checkpoint is damaged ({problems[0]}); "
                             "`novelview doctor` on the run folder says what can be kept")
    raise NovelviewError(f"nothing to resume: {last} does not exist (and no other checkpoint in {folder})")
