"""Merging the folders of a sharded render (``render --shard K/N``) into one finished data set.

Every shard folder is checked before anything is copied: that it is a shard folder at all (not a
finished data set or some other folder), that all N shards are there, that each one is finished
and that none of its part files is damaged. The answer names what is missing and what to run.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

from tqdm import tqdm

from novelview.atomic import atomic_file
from novelview.data.assemble import PART_SUFFIXES, finish, part_problem, part_shapes, summary
from novelview.data.files import check_free_space, damaged, disk_full_is_an_error, folder_lock, read_json, write_json
from novelview.data.sources import list_models
from novelview.data.store import job_from_identity, prepare_folder, refuse_foreign
from novelview.errors import NovelviewError

SHARD_HELP = "merge takes the folders written by `novelview render --shard K/N`"
# merge has no --overwrite: its refusal of --out must not offer one (render's does)
MERGE_WAY_OUT = "choose another --out for the merge (a new folder, or one of the shard folders)"


def _read_shard(folder: Path) -> dict:
    """A shard folder's settings.json, after checking that the folder is one."""
    if not folder.is_dir():
        raise NovelviewError(f"{folder} {'is not a folder' if folder.exists() else 'does not exist'}: {SHARD_HELP}")
    finished = (folder / "views.npy").exists() or (folder / "meta.json").exists()
    if not (folder / "settings.json").exists():
        kind = "a finished data set" if finished else "not a render folder (no settings.json)"
        raise NovelviewError(f"{folder} is {kind}, not a shard folder: {SHARD_HELP}")
    fix = f"render that shard again with `novelview render ... --shard K/N --overwrite --out {folder}`"
    info = read_json(folder / "settings.json", fix)
    shard = info.get("shard")
    if not isinstance(info.get("identity"), dict) or not (
            isinstance(shard, list) and len(shard) == 2 and all(isinstance(v, int) for v in shard)):
        raise damaged(folder / "settings.json", "no identity or shard", fix)
    if not (folder / "parts").is_dir():
        kind = "a finished data set" if finished else "a render folder without parts/"
        raise NovelviewError(f"{folder} is {kind}, not an unmerged shard folder: {SHARD_HELP}")
    return info


def _check_shard(folder: Path, info: dict, refs: list, job) -> list[int]:
    """The model indices of one shard, after checking that every one has a sound part."""
    k, n = info["shard"]
    indices = [i for i in range(len(refs)) if i % n == k]
    problems = [(i, part_problem(folder / "parts", i, job.settings)) for i in indices]
    again = f"run that shard's render command again in {folder} (it renders damaged parts again), then merge"
    for i, found in problems:
        if found and found[1] != "missing":
            raise damaged(found[0], found[1], again)
    missing = [i for i, found in problems if found]
    if missing:
        raise NovelviewError(
            f"shard {k}/{n} in {folder} is unfinished: {len(missing)} of {len(indices)} models are not rendered yet "
            f"(e.g. model {missing[0]}, {refs[missing[0]].model_id}); run its render command again there, then merge"
        )
    return indices


def merge_shards(shard_dirs: list[Path], out: Path, progress: bool = True) -> dict:
    """Combine the parts of shard folders rendered with ``--shard K/N`` into one finished data set."""
    shard_dirs = [Path(d) for d in shard_dirs]
    infos = [_read_shard(d) for d in shard_dirs]
    identity = infos[0]["identity"]
    if any(info["identity"] != identity for info in infos):
        raise NovelviewError("the shard folders were rendered with different settings; they cannot be merged")
    counts = sorted({info["shard"][1] for info in infos})
    if len(counts) > 1:
        raise NovelviewError(f"the shard folders belong to renders of different shard counts ({' and '.join(map(str, counts))}); "
                             "give the folders of one sharded render")
    n = counts[0]
    given = sorted({info["shard"][0] for info in infos})
    absent = [f"{k}/{n}" for k in range(n) if k not in given]
    if absent:
        raise NovelviewError(f"shard {', '.join(absent)} missing: give the folders of all {n} shards "
                             f"(given: {', '.join(f'{k}/{n}' for k in given)})")
    out = Path(out)
    job = job_from_identity(identity, out, infos[0].get("split"))
    refs = list_models(job.source, job.models, job.seed)
    model_ids = [ref.model_id for ref in refs]
    if any(info.get("model_ids") not in (None, model_ids) for info in infos):
        raise NovelviewError(f"the models of {job.source} changed since the shards were rendered; render them again")
    shard_indices = [_check_shard(d, info, refs, job) for d, info in zip(shard_dirs, infos)]
    refuse_foreign(out, job)
    out.mkdir(parents=True, exist_ok=True)
    folders = {p.resolve(): p for p in [*shard_dirs, out]}  # one lock per folder, even if out is a shard
    with ExitStack() as locks:
        for folder in folders.values():
            locks.enter_context(folder_lock(folder))
        prepare_folder(job, model_ids, MERGE_WAY_OUT)
        copies = [part for d, indices in zip(shard_dirs, shard_indices) if d.resolve() != out.resolve()
                  for i in indices for suffix in PART_SUFFIXES
                  for part in [d / "parts" / f"{i:06d}{suffix}"] if part.exists()]
        views_shape, _ = part_shapes(job.settings)
        bytes_per_model = 1
        for size in views_shape:
            bytes_per_model *= size
        check_free_space(out, sum(p.stat().st_size for p in copies) + 2 * len(refs) * bytes_per_model,
                         "merging (the parts, then views.npy and depth.npy)")
        with tqdm(copies, desc="merge", unit="file", disable=not progress) as bar, disk_full_is_an_error(out):
            for part in bar:
                with atomic_file(out / "parts" / part.name) as tmp:  # a kill leaves no part half copied
                    shutil.copy2(part, tmp)
        write_json(out / "settings.json",
                   {"identity": identity, "shard": [0, 1], "split": job.split_settings(), "model_ids": model_ids})
        finish(out, refs, job)
    return {"out": str(out), **summary(out)}
