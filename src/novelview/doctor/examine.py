"""``novelview doctor DIR``: check a data set, an unfinished render, a run or export folder; repair it.

Each check yields a Finding: a file, what is wrong with it (or that it is fine), what the user can
run, and, where it is safe, a repair that ``--repair`` applies. Safe means nothing valid is lost:
leftover temporary files are removed, views.npy is assembled from complete parts, split.json is
rewritten from the render settings, a damaged part or checkpoint is removed or moved aside, never
anything that cannot be made again. Nothing from the folder is run: checkpoints are opened with
``torch.load(weights_only=True)``, which refuses pickled code.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from novelview.atomic import abandoned_replacements
from novelview.errors import NovelviewError


@dataclass
class Finding:
    """One checked thing: ``problem`` None means it is fine (``detail`` says what was seen)."""

    path: Path
    problem: str | None = None
    fix: str = ""
    repair: Callable[[], str] | None = None  # returns what it did
    detail: str = ""
    label: str = "DAMAGED"  # or UNFINISHED (work to resume), LEFTOVER (debris of an interrupted write),
    # UNREADABLE (permission denied: may be sound)


@dataclass
class Report:
    folder: Path
    kind: str
    findings: list[Finding]
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    def lines(self) -> list[str]:
        out = [f"{self.kind} {self.folder}"]
        for f in self.findings:
            name = _relative(f.path, self.folder)
            if f.problem:
                out.append(f"  {f.label:<10} {name}: {f.problem}")
                if f.fix:
                    out.append(f"  {'':<10} fix: {f.fix}")
            else:
                out.append(f"  {'ok':<10} {name}" + (f": {f.detail}" if f.detail else ""))
        out += [f"  {'REPAIRED':<10} {line}" for line in self.repaired]
        return out


def finding(path: Path, problem: str | None, fix: str = "", repair: Callable[[], str] | None = None,
            **more) -> Finding:
    """A Finding; for a file that cannot be read (permission denied) the fix is its permissions,
    with no repair: it may be sound, and rendering, rewriting or moving it would hide the real problem."""
    from novelview.data.files import NO_PERMISSION, PERMISSION_FIX

    if problem == NO_PERMISSION:
        return Finding(path, problem, PERMISSION_FIX, label="UNREADABLE", **more)
    return Finding(path, problem, fix, repair, **more)


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder)) or "."
    except ValueError:
        return str(path)


def folder_kind(folder: Path) -> str | None:
    """'run folder', 'export folder', 'data set folder' or None for anything else."""
    if (folder / "config.yaml").exists() or (folder / "checkpoints").is_dir():
        return "run folder"
    if (folder / "model.safetensors").exists():
        return "export folder"
    if any((folder / name).exists() for name in ("settings.json", "meta.json", "views.npy", "parts")):
        return "data set folder"
    if (folder / "config.json").exists():  # an export folder that lost its weights file
        return "export folder"
    return None


def examine(folder: str | Path, repair: bool = False) -> Report:
    """Check ``folder``; with ``repair``, apply the safe repairs, then check again."""
    folder = Path(folder)
    if not folder.exists():
        abandoned = abandoned_replacements(folder)
        left = f" (a killed writer left {abandoned[0].name} beside it: remove it, or run the command that writes " \
               f"{folder.name} again, which removes it)" if abandoned else ""
        raise NovelviewError(f"{folder} does not exist{left}: give a data set folder, a run folder or a model export "
                             "folder")
    if not folder.is_dir():
        raise NovelviewError(f"{folder} is a file: give the folder it is in (a data set folder or a run folder)")
    kind = folder_kind(folder)
    if kind is None:
        raise NovelviewError(f"{folder} is not a data set, render or run folder, nor a model export folder (no "
                             "settings.json, meta.json, views.npy, parts/, config.yaml, checkpoints/, config.json "
                             "or model.safetensors)")
    checker = _checker(kind)

    def check(folder: Path) -> list[Finding]:
        return checker(folder) + [_abandoned_finding(path) for path in abandoned_replacements(folder)]
    findings = check(folder)
    if not repair or not any(f.problem and f.repair for f in findings):
        return Report(folder, kind, findings)
    done = _apply_repairs(folder, kind, findings)
    return Report(folder, kind, check(folder), done)


def _abandoned_finding(path: Path) -> Finding:
    """A hidden sibling that a writer killed before its swap left (atomic.replace_folder)."""
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())

    def remove() -> str:
        shutil.rmtree(path)
        return f"removed {path.name}, {size / 2**20:.1f} MiB left by a killed writer"
    return Finding(path, f"an unfinished replacement of this folder ({size / 2**20:.1f} MiB) left by a killed writer",
                   "`novelview doctor --repair` removes it (the folder itself is whole)", remove, label="LEFTOVER")


def _checker(kind: str):
    if kind == "data set folder":
        from novelview.doctor.data_sets import check_dataset_folder

        return check_dataset_folder
    from novelview.doctor.runs import check_export_folder, check_run_folder

    return check_run_folder if kind == "run folder" else check_export_folder


def _apply_repairs(folder: Path, kind: str, findings: list[Finding]) -> list[str]:
    """Run each repair once (several findings may share one), under the render lock for data sets."""
    from contextlib import nullcontext

    from novelview.data.files import folder_lock

    done, seen = [], set()
    with folder_lock(folder) if kind == "data set folder" else nullcontext():
        for f in findings:
            if not f.problem or f.repair is None or id(f.repair) in seen:
                continue
            seen.add(id(f.repair))
            try:
                done.append(f.repair())
            except NovelviewError as exc:
                done.append(f"could not repair {_relative(f.path, folder)}: {exc}")
    return done
