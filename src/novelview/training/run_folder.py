"""What a run folder already holds, and which checkpoint a ``--resume`` continues from.

A run folder that holds a trained model (any checkpoint, or an export) is never written over by a
new run unless the user says ``--overwrite``: a damaged ``last.ckpt`` moved aside by ``doctor
--repair``, or deleted as an error message suggested, must not turn a sound ``best.ckpt`` and
``export/`` into the first casualties of the next command. ``--resume`` takes the most advanced sound
checkpoint: ``last.ckpt``, or a newer ``step_N.ckpt`` (a run killed after writing it), or, when
``last.ckpt`` is missing or damaged, the best or the newest step checkpoint, saying which.
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


def _sound(path: Path, problems: list[str]) -> dict | None:
    """The checkpoint at ``path`` when it loads, else None (its problem added to ``problems``)."""
    if not path.is_file():
        return None
    try:
        return load_checkpoint_safely(path)
    except NovelviewError as exc:
        problems.append(str(exc))
        return None


def resume_checkpoint(out: Path) -> tuple[Path, str | None]:
    """The checkpoint ``--resume`` continues from, and a line to tell the user when it is not
    ``last.ckpt``. A NovelviewError says what was found when nothing can be resumed.

    The most advanced sound checkpoint wins: a run killed (kill -9, a power cut) after a periodic
    ``step_N.ckpt`` holds a ``last.ckpt`` of an earlier validation or epoch end, and every
    checkpoint holds the whole state, so the newest one continues exactly with the least repeated."""
    folder = out / "checkpoints"
    last = folder / "last.ckpt"
    problems: list[str] = []
    state = _sound(last, problems)
    at = int(state["global_step"]) if state is not None else -1
    steps = sorted(folder.glob("step_*.ckpt"), key=_step, reverse=True)
    # The step is in the name: only the newer files are opened, newest first, until one is sound.
    newer = next((p for p in steps if _step(p) > at and _sound(p, problems) is not None), None)
    if state is not None and newer is None:
        return last, None
    if state is not None:
        return newer, (f"resuming from {newer.name}, newer than {last.name} (step {at}): the run stopped "
                       "without a checkpoint of its final step (killed?)")
    best = folder / "best.ckpt"
    best_state = _sound(best, problems)
    chosen = best if best_state is not None and (newer is None or int(best_state["global_step"]) >= _step(newer)) \
        else newer
    if chosen is not None:
        why = "is damaged" if last.exists() else "is missing"
        return chosen, (f"{last} {why}: resuming from {chosen.name}, an earlier state of the run "
                        "(the steps after it are trained again)")
    if problems:
        raise NovelviewError(f"nothing to resume in {folder}: every checkpoint is damaged ({problems[0]}); "
                             "`novelview doctor` on the run folder says what can be kept")
    raise NovelviewError(f"nothing to resume: {last} does not exist (and no other checkpoint in {folder})")
