"""Doctor checks of a data set folder, finished or not: settings.json, parts/, the arrays, the JSON.

The repairs offered here only remove what is broken or left over, or rebuild a file from others
that are sound (views.npy from complete parts, split.json from the render settings, settings.json
from meta.json). Anything that needs rendering is left to ``novelview render``, whose exact
command is printed. A file this user may not read is UNREADABLE, not damaged: its fix is its
permissions, and no repair or re-render is offered for it.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import fields
from pathlib import Path

import numpy as np

from novelview.data.assemble import PART_SUFFIXES, finish, finished_problem, part_problem
from novelview.data.combine import COMBINED_SOURCE
from novelview.data.files import NO_PERMISSION, load_json, npy_problem, stale_temporary_files, write_json
from novelview.data.render import RenderSettings
from novelview.data.split import make_split, split_problem
from novelview.data.store import job_from_identity
from novelview.data.viewstore import depth_wanted, meta_problem
from novelview.doctor.examine import Finding, finding
from novelview.errors import NovelviewError

IDENTITY_KEYS = ("format_version", "source", "models", "seed", "up_axis", "render")
OPTIONAL_IDENTITY_KEYS = ("front", "orientation_sha256")  # in the identity only when used
# What `novelview render` splits by when not told otherwise (tests/bad_inputs/test_doctor_split_settings.py
# checks that the command line agrees): assumed for a set whose meta.json does not say.
DEFAULT_SPLIT = {"val_share": 0.05, "test_share": 0.2, "split_file": None}
COMBINE_AGAIN = "run `novelview combine` again into a new folder (the sets it joined are listed in meta.json)"


def _combined(meta: dict | None) -> bool:
    """Whether meta.json is that of a set made by `novelview combine` (it has no render settings)."""
    return meta is not None and str(meta.get("source", "")).startswith(COMBINED_SOURCE)


def _exact_number(value: float) -> str:
    """The short form (0.2, 30) when it reads back as the same number, else every digit: a share or
    an angle rounded on the way would give another split or other views."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def render_command(job, shard=(0, 1)) -> str:
    """The `novelview render` command line that makes (or resumes) ``job``.

    Every setting that decides the data set is written out, defaults included: the command line's
    defaults (``--val-share 0.05``, for one) are not those of a job, and may change between versions,
    so leaving one out would resume with another split or other pixels."""
    st, exact = job.settings, _exact_number
    args = ["novelview", "render", "--source", job.source, "--out", str(job.out)]
    args += ["--models", str(job.models)] if job.models is not None else []  # None: every model
    args += ["--seed", str(job.seed), "--size", str(st.size), "--azimuths", str(st.azimuths),
             "--supersample", str(st.supersample), "--elevations=" + ",".join(map(exact, st.elevations)),
             "--azimuth-jitter", exact(st.azimuth_jitter), "--depth" if st.depth else "--no-depth"]
    args += [f"--up-axis={job.up_axis}"]  # '=': the axis may start with '-'
    args += [f"--front={job.front}"] if job.front else []
    args += ["--orientation", job.orientation_file] if job.orientation_file else []
    args += ["--shard", f"{shard[0]}/{shard[1]}"] if shard[1] > 1 else []
    args += ["--val-share", exact(job.val_share), "--test-share", exact(job.test_share)]
    args += ["--split-file", job.split_file] if job.split_file else []
    command = f"`{shlex.join(args)}`"
    on_command_line = ("size", "azimuths", "supersample", "elevations", "azimuth_jitter", "depth")
    default = RenderSettings()
    hidden = [f.name for f in fields(st)
              if f.name not in on_command_line and getattr(st, f.name) != getattr(default, f.name)]
    if hidden:
        command += f" (it also needs render settings the command line does not set: {', '.join(hidden)})"
    if job.orientation_sha256 and not job.orientation_file:
        command += " (add --orientation with the orientation file it was rendered with, unchanged)"
    return command


def _attempt(read):
    try:
        return read(), None
    except NovelviewError as exc:
        return None, str(exc)


def _json(path: Path) -> tuple[dict | None, str | None]:
    """(content, None), or (None, 'missing' / NO_PERMISSION / 'damaged (what)')."""
    value, problem = load_json(path)
    return value, (None if problem is None else problem if problem in ("missing", NO_PERMISSION)
                   else f"damaged ({problem})")


def check_dataset_folder(folder: Path) -> list[Finding]:
    findings = []
    leftovers = stale_temporary_files(folder)
    if leftovers:
        def remove_leftovers():
            for path in leftovers:
                path.unlink(missing_ok=True)
            return f"removed {len(leftovers)} temporary file(s) left by an interrupted write"
        findings.append(Finding(leftovers[0], f"{len(leftovers)} temporary file(s) left by an interrupted write",
                                "`novelview doctor --repair` removes them", remove_leftovers, label="LEFTOVER"))
    meta, meta_error = _json(folder / "meta.json") if (folder / "meta.json").exists() else (None, None)
    if meta is not None and meta_problem(meta):
        meta, meta_error = None, f"damaged ({meta_problem(meta)})"
    info, job, shard = _settings(folder, meta, findings)
    assemblable = (folder / "parts").is_dir() and _check_parts(folder, info, job, shard, findings)
    if not assemblable and (meta is not None or meta_error or (folder / "views.npy").exists()):
        _check_finished(folder, meta, meta_error, job, findings)
    return findings


def _settings(folder: Path, meta: dict | None, findings: list) -> tuple[dict | None, object, tuple]:
    """settings.json as (info, job, shard); a finding when it is missing or damaged."""
    path = folder / "settings.json"
    info, error = _json(path)
    if error == NO_PERMISSION:  # not rebuilt from meta.json: it may well be sound
        findings.append(finding(path, error))
        return None, None, (0, 1)
    if info is not None and not isinstance(info.get("identity"), dict):
        info, error = None, "damaged (no identity)"
    if info is None and _combined(meta):
        parts = ", ".join(str(entry.get("folder")) for entry in meta.get("combined_from", []))
        findings.append(Finding(path, detail=f"none needed: combined from {parts}"))
        return None, None, (0, 1)
    if info is not None:
        shard = tuple(info.get("shard", (0, 1)))
        findings.append(Finding(path, detail=f"source {info['identity'].get('source')}"
                                + (f", shard {shard[0]}/{shard[1]}" if shard[1] > 1 else "")))
        return info, job_from_identity(info["identity"], folder, info.get("split")), shard
    if meta is not None:
        identity = {key: meta.get(key) for key in IDENTITY_KEYS}
        identity.update({key: meta[key] for key in OPTIONAL_IDENTITY_KEYS if key in meta})

        split = meta.get("split_settings")
        # A set finished before meta.json kept its split settings: say which shares the rebuild assumes.
        assumed = "" if isinstance(split, dict) else (
            f" (its split settings were not recorded: the defaults, val {DEFAULT_SPLIT['val_share']} and test "
            f"{DEFAULT_SPLIT['test_share']}, are assumed; render again with the shares it was made with if they differ)")
        split = split if isinstance(split, dict) else dict(DEFAULT_SPLIT)

        def rebuild():
            write_json(path, {"identity": identity, "shard": [0, 1], "split": split})
            return f"rebuilt {path.name} from meta.json" + assumed
        findings.append(Finding(path, error, "`novelview doctor --repair` rebuilds it from meta.json" + assumed, rebuild))
        return None, job_from_identity(identity, folder, split), (0, 1)
    fix = "its settings are lost: render this folder again with --overwrite (or choose another --out)"
    findings.append(Finding(path, error, fix))
    return None, None, (0, 1)


def _check_parts(folder: Path, info, job, shard, findings: list) -> bool:
    """Check parts/; True when they are complete and can make the finished data set (a repair)."""
    parts = folder / "parts"
    if job is None:
        findings.append(Finding(parts, "cannot be checked without settings.json", "see settings.json above"))
        return False
    model_ids = (info or {}).get("model_ids")
    if model_ids is None:
        from novelview.data.sources import list_models

        refs, error = _attempt(lambda: list_models(job.source, job.models, job.seed))
        if refs is None:
            findings.append(Finding(parts, f"cannot list the source's models: {error}", "make the source readable"))
            return False
        model_ids = [ref.model_id for ref in refs]
    k, n = shard
    finished, _ = _attempt(lambda: finished_problem(folder, job.identity()) is None)  # raises if unreadable
    if n == 1 and finished:
        def remove_parts():
            shutil.rmtree(parts)
            return "removed parts/, left over from a finished render"
        findings.append(Finding(parts, "left over from a finished render (the data set itself is sound)",
                                "`novelview doctor --repair` removes it", remove_parts, label="LEFTOVER"))
        return False
    indices = [i for i in range(len(model_ids)) if i % n == k]
    found = {i: part_problem(parts, i, job.settings) for i in indices}
    unreadable = [f for f in found.values() if f and f[1] == NO_PERMISSION]
    if unreadable:
        findings.append(finding(unreadable[0][0], NO_PERMISSION))
        return False  # what else is wrong is told once they can be read
    broken = [(i, f) for i, f in found.items() if f and f[1] != "missing"]
    missing = [i for i, f in found.items() if f and f[1] == "missing"]
    command = render_command(job, shard)
    if broken:
        def remove_broken():
            for i, _ in broken:
                for suffix in PART_SUFFIXES:
                    (parts / f"{i:06d}{suffix}").unlink(missing_ok=True)
            return f"removed {len(broken)} damaged part(s); render them again with {command}"
        example = broken[0][1]
        findings.append(Finding(example[0], f"{len(broken)} damaged part file(s), e.g. {example[0].name}: {example[1]}",
                                f"`novelview doctor --repair` removes them, then {command} renders them again",
                                remove_broken))
    if missing or broken:
        if missing:
            findings.append(Finding(parts, f"unfinished render: {len(missing)} of {len(indices)} models not rendered yet",
                                    f"run {command} to resume", label="UNFINISHED"))
        return False
    if n > 1:
        findings.append(Finding(parts, detail=f"shard {k}/{n}: all {len(indices)} models rendered; "
                                              "merge it with the other shards (`novelview merge`)"))
        return False

    def assemble():
        from novelview.data.sources import list_models

        finish(folder, list_models(job.source, job.models, job.seed), job)
        return "assembled views.npy, depth.npy, meta.json and split.json from the complete parts"
    findings.append(Finding(parts, f"all {len(indices)} parts are rendered but the data set was not assembled "
                                   "(the render stopped while finishing)",
                            f"`novelview doctor --repair` assembles it (so does {command})", assemble,
                            label="UNFINISHED"))
    return True


def _check_finished(folder: Path, meta, meta_error, job, findings: list) -> None:
    again = (f"run {render_command(job)}: it renders a damaged data set again" if job is not None
             else COMBINE_AGAIN if _combined(meta)
             else "render the data set again with --overwrite")
    if meta is None:
        findings.append(finding(folder / "meta.json", meta_error or "missing", again))
        return
    shape = tuple(meta["shape"])
    findings.append(Finding(folder / "meta.json", detail=f"{shape[0]} models, {shape[1]} elevation(s), "
                                                          f"{shape[2]} azimuths, {shape[3]}x{shape[4]}"))
    arrays = [("views.npy", shape, np.uint8)]
    if depth_wanted(meta) or (folder / "depth.npy").exists():
        arrays.append(("depth.npy", shape[:5], np.float16))
    for name, array_shape, dtype in arrays:
        problem = npy_problem(folder / name, array_shape, dtype)
        findings.append(finding(folder / name, problem, again if problem else "",
                                 detail=f"{array_shape} {np.dtype(dtype)}"))
    _check_split(folder, meta, job, findings)


def _check_split(folder: Path, meta: dict, job, findings: list) -> None:
    path = folder / "split.json"
    split, error = _json(path)
    problem = error or split_problem(split, meta["shape"][0])
    if problem is None:
        sizes = ", ".join(f"{k} {len(v)}" for k, v in split.items())
        findings.append(Finding(path, detail=sizes))
        return
    if job is None or problem == NO_PERMISSION:
        findings.append(finding(path, problem, COMBINE_AGAIN if _combined(meta) else "repair settings.json first"))
        return

    def rewrite():
        skipped = [s.get("model_id") for s in meta.get("skipped", [])]
        write_json(path, make_split(meta["model_ids"], job, meta["model_ids"] + skipped))
        return f"rewrote {path.name} from the render settings"
    findings.append(Finding(path, error or f"damaged ({problem})",
                            "`novelview doctor --repair` rewrites it from the render settings", rewrite))
