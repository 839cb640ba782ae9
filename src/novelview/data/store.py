"""The data set on disk: render a source into a folder, resumably and in shards.

Folder layout:
    settings.json   what decides the pixels (source, seed, models, render settings); a render
                    into a folder with other settings is refused unless asked to overwrite
    parts/          one finished model per file while rendering (NNNNNN.npy, NNNNNN.depth and
                    NNNNNN.notes.json, or NNNNNN.skip.json with the reason); an interrupted
                    render resumes from these
    views.npy       uint8 (models, elevations, azimuths, H, W, 4), memory-mapped when read
    depth.npy       float16 (models, elevations, azimuths, H, W) ray distance, 0 = background
                    (when rendered with depth, the default)
    meta.json       angles, size, source, renderer settings, model ids and categories, skipped
                    models, render notes (which models kept or lost textures), each model's up and
                    front; with jitter, every view's azimuth; for catalogues, model_info (attribution)
    split.json      model indices (into views.npy) of train / val / test
    png/            optional: every view as a PNG, for looking at

Safety: one render (or merge) at a time holds a lock on the folder; a damaged part is rendered
again; a data set already in the folder stays whole until its replacement is complete; free space
is checked before rendering and before views.npy is assembled. Assembly lives in assemble.py.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from novelview.data import render_notes
from novelview.data.assemble import (  # noqa: F401  (finish and write_pngs are part of this module's API)
    check_parts, finish, finished_problem, mesh_stamp, summary, update_finished, write_pngs,
)
from novelview.data.files import (
    check_free_space, disk_full_is_an_error, folder_lock, read_json, save_npy, stale_temporary_files, write_json,
)
from novelview.data.render import RenderSettings, Renderer, view_azimuths
from novelview.data.sources import ModelRef, list_models, load_model, orient_models, texture_side_limit
from novelview.data.sources.orientation import parse_axis, stored_axis_name
from novelview.data.split import make_split, read_split_file  # noqa: F401  (re-exported)
from novelview.errors import NovelviewError
from novelview.plugins import load_plugins

# The render side. make_split, finish and write_pngs live in their own files and are re-exported here;
# readers of a finished data set use novelview.data.viewstore only.
__all__ = ["RenderJob", "check_job", "finish", "job_from_identity", "make_split", "merge_shards",
           "prepare_folder", "read_split_file", "refuse_foreign", "render_dataset", "write_pngs"]

FORMAT_VERSION = 1
LIMITS = {"size": (8, 4096), "azimuths": (2, 3600), "supersample": (1, 16)}


@dataclass
class RenderJob:
    """What to render and where."""

    source: str
    out: Path
    settings: RenderSettings = RenderSettings()
    models: int | None = None
    seed: int = 0
    up_axis: str = "y"
    workers: int = 0  # 0: all cores
    shard: tuple[int, int] = (0, 1)
    png: bool = False
    overwrite: bool = False
    val_share: float = 0.0
    test_share: float = 0.2
    split_file: str | None = None
    front: str | None = None  # the meshes' front axis (None: the source's convention)
    orientation_file: str | None = None  # per-model up / front / rotation (JSON or CSV)
    # the orientation file's digest as a settings.json recorded it, for a job rebuilt from there
    # (merge, doctor), where the file itself need not be at hand; the file, when given, decides
    orientation_sha256: str | None = None

    def identity(self) -> dict:
        """The settings that decide the data set's contents (not where or how fast)."""
        identity = {
            "format_version": FORMAT_VERSION,
            "source": self.source,
            "models": self.models,
            "seed": self.seed,
            "up_axis": stored_axis_name(self.up_axis),
            "render": self.settings.to_dict(),
        }
        # Only when used, so that data sets made before these options existed keep their identity.
        if self.front:
            identity["front"] = parse_axis(self.front)
        if self.orientation_file:
            try:
                digest = hashlib.sha256(Path(self.orientation_file).read_bytes()).hexdigest()
            except OSError as exc:
                raise NovelviewError(f"cannot read orientation file {self.orientation_file}: "
                                     f"{exc.strerror or exc}") from None
            identity["orientation_sha256"] = digest
        elif self.orientation_sha256:
            identity["orientation_sha256"] = self.orientation_sha256
        return identity

    def oriented_models(self) -> list[ModelRef]:
        """The source's models, each with its turn to our frame (the options and the orientation file)."""
        refs = list_models(self.source, self.models, self.seed)
        return orient_models(refs, self.up_axis, self.front, self.orientation_file)

    def split_settings(self) -> dict:
        split_file = str(Path(self.split_file).resolve()) if self.split_file else None
        return {"val_share": self.val_share, "test_share": self.test_share, "split_file": split_file}


def check_job(job: RenderJob) -> None:
    """Refuse numbers that would render nonsense (blank views, dropped models) before any work."""
    st = job.settings
    for name, (low, high) in LIMITS.items():
        value = getattr(st, name)
        if not (isinstance(value, int) and low <= value <= high):
            raise NovelviewError(f"--{name} must be a whole number from {low} to {high} (got {value})")
    if st.number_problem():  # elevations, jitter, and every other float of the settings
        raise NovelviewError(st.number_problem())
    if job.models is not None and job.models < 1:
        raise NovelviewError(f"--models must be 1 or more (got {job.models}); leave it out for every model")
    if job.workers < 0:
        raise NovelviewError(f"--workers must be 0 (all cores) or more (got {job.workers})")
    if job.seed < 0:
        raise NovelviewError(f"--seed must be 0 or more (got {job.seed})")
    k, n = job.shard
    if not (n >= 1 and 0 <= k < n):
        raise NovelviewError(f"bad shard {k}/{n}: use K/N with 0 <= K < N")
    shares = (job.val_share, job.test_share)
    if not (all(0 <= s <= 1 for s in shares) and sum(shares) <= 1):
        raise NovelviewError(f"bad split shares val {job.val_share}, test {job.test_share}: use 0..1, summing to <= 1")


def _render_one(args) -> tuple[int, str | None]:
    """Worker: render model ``i`` into parts/; returns (i, reason it was skipped or None).

    The views file is written last: its presence marks the model as finished, so a depth file
    without it is simply rendered again.
    """
    i, ref, settings, up_axis, parts_dir, seed = args
    azimuths = view_azimuths(settings, seed, i)
    try:
        loaded = load_model(ref, up_axis, texture_side_limit(settings.size, settings.supersample))
        views, depth = Renderer(loaded.surface, settings).render_all(azimuths)
    except (ValueError, IndexError, MemoryError, RuntimeError) as exc:
        reason = str(exc) or type(exc).__name__
        # the mesh file's stamp lets a later render retry this model once the file is fixed
        write_json(parts_dir / f"{i:06d}.skip.json", {"model_id": ref.model_id, "reason": reason,
                                                      "mesh": mesh_stamp(ref)})
        return i, reason
    render_notes.write_notes(parts_dir, i, loaded.texturing, loaded.notices, ref.orientation)
    if settings.depth:
        save_npy(parts_dir / f"{i:06d}.depth", depth)
    save_npy(parts_dir / f"{i:06d}.npy", views)
    return i, None


# how a refusal of --out ends; merge, which has no --overwrite, passes its own (merge.MERGE_WAY_OUT)
RENDER_WAY_OUT = "choose another --out or pass --overwrite"


def _previous_settings(job: RenderJob, way_out: str = RENDER_WAY_OUT) -> dict | None:
    """settings.json of ``job.out`` (None if there is none); damaged is an error unless overwriting."""
    path = job.out / "settings.json"
    if not path.exists():
        return None
    redo = "pass --overwrite to render this folder again from the start, or choose another --out"
    fix = redo if way_out == RENDER_WAY_OUT else way_out
    try:
        info = read_json(path, fix)
        if not isinstance(info.get("identity"), dict):
            raise NovelviewError(f"{path} is damaged (no identity): {fix}")
    except NovelviewError:
        if job.overwrite:
            return {"identity": None}
        raise
    return info


def prepare_folder(job: RenderJob, model_ids: list[str], way_out: str = RENDER_WAY_OUT) -> None:
    """Check and claim ``job.out`` (locked by the caller).

    Parts are numbered by position in the source, so a resume (or merge) with another list of
    models (files added to a folder source) is refused. With --overwrite only the old parts go:
    a finished data set stays until the new one replaces it. ``way_out`` ends a refusal.
    """
    out, identity = job.out, job.identity()
    previous = _previous_settings(job, way_out)
    if previous is not None:
        changed = previous.get("identity") != identity
        models_changed = previous.get("model_ids") not in (None, model_ids)
        if (changed or models_changed) and not job.overwrite:
            if changed:
                raise NovelviewError(f"{out} holds a data set made with other settings; {way_out}")
            again = "pass --overwrite to start again" if way_out == RENDER_WAY_OUT else way_out
            raise NovelviewError(f"the models of {job.source} changed since {out} was started; {again}")
        if changed or models_changed:
            shutil.rmtree(out / "parts", ignore_errors=True)
    (out / "parts").mkdir(parents=True, exist_ok=True)
    write_json(out / "settings.json", {"identity": identity, "shard": list(job.shard),
                                       "split": job.split_settings(), "model_ids": model_ids})


def refuse_file(out: Path) -> None:
    """Never write into a file (``out`` or a folder above it)."""
    blocking = next((p for p in [out, *out.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise NovelviewError(f"--out {out}: {blocking} is a file, not a folder; choose another --out")


def refuse_foreign(out: Path, job: RenderJob) -> None:
    """Never write into a file, or into a folder that holds something other than a data set.
    Called with the folder's lock held: a render just starting there has not written settings.json yet."""
    refuse_file(out)
    known = any((out / name).exists() for name in ("settings.json", "meta.json"))
    if out.is_dir() and not known and any(out.iterdir()) and not job.overwrite:
        raise NovelviewError(f"{out} is not empty and is not a novelview data set; choose another --out")


def render_dataset(job: RenderJob, progress: bool = True) -> dict:
    """Render (or resume rendering) a source into ``job.out``; returns a summary dict.

    With one shard the folder is finished (views.npy, meta.json, split.json) at the end; with
    several, each shard leaves its parts for ``merge_shards``. A finished folder with the same
    settings is not rendered again, but a new split or --png is applied to it.
    """
    check_job(job)
    refs = job.oriented_models()
    model_ids = [ref.model_id for ref in refs]
    if job.split_file:  # a typo in the split file should fail now, not after hours of rendering
        read_split_file(job.split_file, model_ids)
    out = job.out
    refuse_file(out)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out):
        refuse_foreign(out, job)
        for leftover in stale_temporary_files(out):  # a killed writer's; nobody else holds the lock
            leftover.unlink(missing_ok=True)
        problem = finished_problem(out, job.identity())
        if problem is None and not job.overwrite:
            return {"out": str(out), "rendered": 0, "already_done": True, "notes": update_finished(out, refs, job),
                    **summary(out)}
        if problem == "other settings" and not job.overwrite and not (out / "settings.json").exists():
            # a finished set without render settings (one made by `novelview combine`) cannot be rendered again
            raise NovelviewError(f"{out} holds a data set made otherwise (no settings.json); {RENDER_WAY_OUT}")
        damage = problem not in (None, "not finished", "other settings")
        notes = [f"{problem}: rendering it again"] if damage else []
        prepare_folder(job, model_ids)
        k, n = job.shard
        parts = out / "parts"
        notes += check_parts(parts, refs, job, [i for i in range(len(refs)) if i % n == k])
        todo = [(i, ref, job.settings, job.up_axis, parts, job.seed) for i, ref in enumerate(refs)
                if i % n == k and not (parts / f"{i:06d}.npy").exists() and not (parts / f"{i:06d}.skip.json").exists()]
        _check_room(out, job, len(todo), len(refs) if n == 1 else 0)
        _render_all(todo, job.workers, out, progress)
        if n > 1:
            return {"out": str(out), "rendered": len(todo), "shard": f"{k}/{n}", "finished": False, "notes": notes}
        finish(out, refs, job)
    return {"out": str(out), "rendered": len(todo), "already_done": False, "notes": notes, **summary(out)}


def _check_room(out: Path, job: RenderJob, todo: int, assembled_models: int) -> None:
    """Refuse up front when the parts still to render, then views.npy and depth.npy, cannot fit."""
    st = job.settings
    per_model = len(st.elevations) * st.azimuths * st.size * st.size * (4 + (2 if st.depth else 0))
    check_free_space(out, per_model * (todo + assembled_models), "rendering (parts, then views.npy and depth.npy)")


def _render_all(todo: list, workers: int, out: Path, progress: bool) -> None:
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(todo), desc="render", unit="model", disable=not progress)
    # closing the bar ends its line, so that an error message starts a line of its own
    with bar, disk_full_is_an_error(out):  # a worker's ENOSPC arrives here as an OSError
        if workers == 1 or len(todo) <= 1:
            for args in todo:
                _render_one(args)
                bar.update()
        else:
            # fork where the platform has it: no re-import of __main__ and a fast start.
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            with mp.get_context(method).Pool(workers, initializer=load_plugins) as pool:
                for _ in pool.imap_unordered(_render_one, todo, chunksize=1):
                    bar.update()


def merge_shards(shard_dirs: list[Path], out: Path, progress: bool = True) -> dict:
    """Combine the parts of shard folders rendered with ``--shard K/N`` into one finished data set."""
    from novelview.data.merge import merge_shards as merge  # merge.py builds on this module

    return merge(shard_dirs, out, progress)


def job_from_identity(identity: dict, out: Path, split: dict | None = None) -> RenderJob:
    """The RenderJob that a settings.json (identity and split settings) describes."""
    settings = RenderSettings.from_dict(identity["render"])
    split = split or {}
    return RenderJob(identity["source"], out, settings, identity["models"], identity["seed"], identity["up_axis"],
                     val_share=split.get("val_share", 0.0), test_share=split.get("test_share", 0.2),
                     split_file=split.get("split_file"), front=identity.get("front"),
                     orientation_sha256=identity.get("orientation_sha256"))
