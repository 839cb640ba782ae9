"""The data set on disk: render a source into a folder, resumably and in shards, and read it back.

Folder layout:
    settings.json   what decides the pixels (source, seed, models, render settings); a render
                    into a folder with other settings is refused unless asked to overwrite
    parts/          one finished model per file while rendering (NNNNNN.npy, or NNNNNN.skip.json
                    with the reason); an interrupted render resumes from these
    views.npy       uint8 (models, elevations, azimuths, H, W, 4), memory-mapped when read
    depth.npy       float16 (models, elevations, azimuths, H, W) ray distance, 0 = background
                    (when rendered with depth, the default)
    meta.json       angles, size, source, renderer settings, model ids and categories, skipped
                    models; with azimuth jitter, every view's exact azimuth
    split.json      model indices (into views.npy) of train / val / test
    png/            optional: every view as a PNG, for looking at
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.format import open_memmap
from tqdm import tqdm

from novelview.data import render_notes
from novelview.data.render import RenderSettings, Renderer, view_azimuths
from novelview.data.sources import ModelRef, list_models, load_model, orient_models, texture_side_limit
from novelview.data.sources.orientation import parse_axis, stored_axis_name
from novelview.errors import NovelviewError

FORMAT_VERSION = 1


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
            identity["orientation_sha256"] = hashlib.sha256(Path(self.orientation_file).read_bytes()).hexdigest()
        return identity

    def oriented_models(self) -> list[ModelRef]:
        """The source's models, each with its turn to our frame (the options and the orientation file)."""
        refs = list_models(self.source, self.models, self.seed)
        return orient_models(refs, self.up_axis, self.front, self.orientation_file)


def _write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2))
    os.replace(tmp, path)


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
        _write_json(parts_dir / f"{i:06d}.skip.json", {"model_id": ref.model_id, "reason": reason})
        return i, reason
    render_notes.write_notes(parts_dir, i, loaded.texturing, loaded.notices)
    if settings.depth:
        _save_atomic(parts_dir / f"{i:06d}.depth", depth)
    _save_atomic(parts_dir / f"{i:06d}.npy", views)
    return i, None


def _save_atomic(path: Path, array: np.ndarray) -> None:
    """np.save to ``path`` through a temporary file (named *.tmp.npy, which merge never copies)."""
    tmp = path.with_name(path.name.split(".")[0] + (".depth" if path.suffix == ".depth" else "") + ".tmp.npy")
    with open(tmp, "wb") as handle:
        np.save(handle, array)
    os.replace(tmp, path)


def _prepare_folder(job: RenderJob, model_ids: list[str] | None = None) -> None:
    """Check and claim ``job.out``. Parts are numbered by position in the source, so a resume
    (or merge) with another list of models (files added to a folder source) is refused."""
    out = job.out
    settings_path = out / "settings.json"
    identity = job.identity()
    if settings_path.exists():
        previous = json.loads(settings_path.read_text())
        changed = previous.get("identity") != identity
        models_changed = model_ids is not None and previous.get("model_ids") not in (None, model_ids)
        if (changed or models_changed) and not job.overwrite:
            if changed:
                raise NovelviewError(
                    f"{out} holds a data set made with other settings; choose another --out or pass --overwrite"
                )
            raise NovelviewError(
                f"the models of {job.source} changed since {out} was started; pass --overwrite to start again"
            )
        if changed or models_changed:
            for name in ("parts", "png"):
                shutil.rmtree(out / name, ignore_errors=True)
            for name in ("views.npy", "meta.json", "split.json"):
                (out / name).unlink(missing_ok=True)
    elif out.exists() and any(out.iterdir()) and not job.overwrite:
        raise NovelviewError(f"{out} is not empty and is not a novelview data set; choose another --out")
    (out / "parts").mkdir(parents=True, exist_ok=True)
    info = {"identity": identity, "shard": list(job.shard), "split": _split_settings(job)}
    if model_ids is not None:
        info["model_ids"] = model_ids
    _write_json(settings_path, info)


def _split_settings(job: RenderJob) -> dict:
    split_file = str(Path(job.split_file).resolve()) if job.split_file else None
    return {"val_share": job.val_share, "test_share": job.test_share, "split_file": split_file}


def render_dataset(job: RenderJob, progress: bool = True) -> dict:
    """Render (or resume rendering) a source into ``job.out``; returns a summary dict.

    With one shard the folder is finished (views.npy, meta.json, split.json) at the end; with
    several, each shard leaves its parts for ``merge_shards``.
    """
    refs = job.oriented_models()
    k, n = job.shard
    if not (n >= 1 and 0 <= k < n):
        raise NovelviewError(f"bad shard {k}/{n}: use K/N with 0 <= K < N")
    out = job.out
    if not (0 <= job.val_share <= 1 and 0 <= job.test_share <= 1 and job.val_share + job.test_share <= 1):
        raise NovelviewError(f"bad split shares val {job.val_share}, test {job.test_share}: use 0..1, summing to <= 1")
    model_ids = [ref.model_id for ref in refs]
    if job.split_file:  # a typo in the split file should fail now, not after hours of rendering
        _read_split_file(job.split_file, model_ids)
    finished = all((out / name).exists() for name in ("views.npy", "meta.json", "split.json", "settings.json"))
    if finished and not job.overwrite:
        if json.loads((out / "settings.json").read_text()).get("identity") == job.identity():
            return {"out": str(out), "rendered": 0, "already_done": True, **_summary(out)}
    _prepare_folder(job, model_ids)
    parts = out / "parts"
    todo = [
        (i, ref, job.settings, job.up_axis, parts, job.seed)
        for i, ref in enumerate(refs)
        if i % n == k and not (parts / f"{i:06d}.npy").exists() and not (parts / f"{i:06d}.skip.json").exists()
    ]
    workers = job.workers or os.cpu_count() or 1
    bar = tqdm(total=len(todo), desc="render", unit="model", disable=not progress)
    if workers == 1 or len(todo) <= 1:
        for args in todo:
            _render_one(args)
            bar.update()
    else:
        # fork where the platform has it: no re-import of __main__ and a fast start.
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        with mp.get_context(method).Pool(workers) as pool:
            for _ in pool.imap_unordered(_render_one, todo, chunksize=1):
                bar.update()
    bar.close()
    if n > 1:
        return {"out": str(out), "rendered": len(todo), "shard": f"{k}/{n}", "finished": False}
    finish(out, refs, job)
    return {"out": str(out), "rendered": len(todo), "already_done": False, **_summary(out)}


def finish(out: Path, refs: list[ModelRef], job: RenderJob) -> None:
    """Assemble parts/ into views.npy, meta.json and split.json, then remove parts/."""
    parts = out / "parts"
    kept, skipped = [], []
    for i, ref in enumerate(refs):
        if (parts / f"{i:06d}.npy").exists():
            kept.append((i, ref))
        elif (parts / f"{i:06d}.skip.json").exists():
            skipped.append({"model_id": ref.model_id, **json.loads((parts / f"{i:06d}.skip.json").read_text())})
        else:
            raise NovelviewError(f"model {i} ({ref.model_id}) was never rendered: render again to resume")
    if not kept:
        raise NovelviewError("every model was skipped; see the reasons above and check the source")
    split = make_split([ref.model_id for _, ref in kept], job, [ref.model_id for ref in refs])
    st = job.settings
    shape = (len(kept), len(st.elevations), st.azimuths, st.size, st.size, 4)
    tmp = out / "views.tmp.npy"
    views = open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
    for row, (i, _) in enumerate(kept):
        views[row] = np.load(parts / f"{i:06d}.npy")
    views.flush()
    del views
    if st.depth:
        depth_tmp = out / "depth.tmp.npy"
        depth = open_memmap(depth_tmp, mode="w+", dtype=np.float16, shape=shape[:5])
        for row, (i, _) in enumerate(kept):
            depth[row] = np.load(parts / f"{i:06d}.depth")
        depth.flush()
        del depth
        os.replace(depth_tmp, out / "depth.npy")
    os.replace(tmp, out / "views.npy")
    meta = {
        **job.identity(),
        "shape": list(shape),
        "azimuth_degrees": st.azimuth_degrees.tolist(),
        "elevation_degrees": list(st.elevations),
        "model_ids": [ref.model_id for _, ref in kept],
        "categories": [ref.category for _, ref in kept],
        "source_paths": [ref.path for _, ref in kept],
        "skipped": skipped,
        "render_notes": render_notes.summarise(parts, [(i, ref.model_id) for i, ref in kept]),
    }
    if any(ref.info for _, ref in kept):  # catalogue facts, for attribution (sh3d)
        meta["model_info"] = [ref.info for _, ref in kept]
    if st.azimuth_jitter > 0:
        meta["view_azimuth_degrees"] = [np.round(view_azimuths(st, job.seed, i), 6).tolist() for i, _ in kept]
    _write_json(out / "split.json", split)
    _write_json(out / "meta.json", meta)
    if job.png:
        write_pngs(out)
    shutil.rmtree(parts)


def _read_split_file(path: str, known_ids: list[str]) -> dict[str, list[str]]:
    """The user's split file as {train, val, test: [model ids]}, checked against the source's models."""
    try:
        given = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NovelviewError(f"cannot read split file {path}: {exc}") from None
    if not isinstance(given, dict) or not set(given) & {"train", "val", "test"} or not all(
        isinstance(given.get(name, []), list) and all(isinstance(m, str) for m in given.get(name, []))
        for name in ("train", "val", "test")
    ):
        raise NovelviewError(f"split file {path} must be JSON like {{\"train\": [model ids], \"val\": [...], \"test\": [...]}}")
    known = set(known_ids)
    seen: dict[str, str] = {}
    for name in ("train", "val", "test"):
        for m in given.get(name, []):
            if m not in known:
                raise NovelviewError(f"split file {path} names models not in the data set, e.g. {m!r}")
            if seen.setdefault(m, name) != name:
                raise NovelviewError(f"split file {path} puts model {m!r} in both {seen[m]} and {name}")
    return {name: list(given.get(name, [])) for name in ("train", "val", "test")}


def make_split(model_ids: list[str], job: RenderJob, source_ids: list[str] | None = None) -> dict:
    """Indices of train / val / test: a seeded shuffle by model, or the user's split file of model ids.

    ``source_ids`` (all models of the source, skipped ones included) may be named in the split
    file; the skipped ones are left out, as they have no views.
    """
    if job.split_file:
        given = _read_split_file(job.split_file, source_ids if source_ids is not None else model_ids)
        index = {m: i for i, m in enumerate(model_ids)}
        return {name: sorted(index[m] for m in ids if m in index) for name, ids in given.items()}
    order = np.random.default_rng(job.seed).permutation(len(model_ids))
    n_test = int(round(len(order) * job.test_share))
    n_val = int(round(len(order) * job.val_share))
    return {
        "train": sorted(order[n_test + n_val :].tolist()),
        "val": sorted(order[n_test : n_test + n_val].tolist()),
        "test": sorted(order[:n_test].tolist()),
    }


def write_pngs(out: Path) -> None:
    from PIL import Image

    store = ViewStore(out)
    png = out / "png"
    for m, model_id in enumerate(store.model_ids):
        folder = png / model_id.replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)
        for e, elevation in enumerate(store.elevation_degrees):
            for a, azimuth in enumerate(store.azimuth_degrees):
                Image.fromarray(store.views[m, e, a]).save(folder / f"el{elevation:+03.0f}_az{azimuth:03.0f}.png")


def merge_shards(shard_dirs: list[Path], out: Path, progress: bool = True) -> dict:
    """Combine the parts of shard folders rendered with ``--shard K/N`` into one finished data set."""
    identities, splits, listed = [], [], []
    for d in shard_dirs:
        path = Path(d) / "settings.json"
        if not path.exists():
            raise NovelviewError(f"{d} is not a render folder (no settings.json)")
        info = json.loads(path.read_text())
        identities.append(info["identity"])
        splits.append(info.get("split", {}))
        listed.append(info.get("model_ids"))
    if any(i != identities[0] for i in identities):
        raise NovelviewError("the shard folders were rendered with different settings; they cannot be merged")
    out = Path(out)
    job = _job_from_identity(identities[0], out, splits[0])
    refs = list_models(job.source, job.models, job.seed)
    model_ids = [ref.model_id for ref in refs]
    if any(ids is not None and ids != model_ids for ids in listed):
        raise NovelviewError(f"the models of {job.source} changed since the shards were rendered; render them again")
    _prepare_folder(job, model_ids)
    copies = [part for d in shard_dirs if Path(d).resolve() != out.resolve()
              for part in sorted((Path(d) / "parts").glob("*")) if not part.name.endswith(".tmp.npy")]
    for part in tqdm(copies, desc="merge", unit="file", disable=not progress):
        shutil.copy2(part, out / "parts" / part.name)
    _write_json(out / "settings.json",
                {"identity": identities[0], "shard": [0, 1], "split": _split_settings(job), "model_ids": model_ids})
    finish(out, refs, job)
    return {"out": str(out), **_summary(out)}


def _job_from_identity(identity: dict, out: Path, split: dict | None = None) -> RenderJob:
    settings = RenderSettings.from_dict(identity["render"])
    split = split or {}
    return RenderJob(identity["source"], out, settings, identity["models"], identity["seed"], identity["up_axis"],
                     val_share=split.get("val_share", 0.0), test_share=split.get("test_share", 0.2),
                     split_file=split.get("split_file"), front=identity.get("front"))


def _summary(out: Path) -> dict:
    meta = json.loads((out / "meta.json").read_text())
    split = json.loads((out / "split.json").read_text())
    return {
        "models": meta["shape"][0],
        "views": int(np.prod(meta["shape"][:3])),
        "skipped": meta["skipped"],
        "split": {k: len(v) for k, v in split.items()},
        "render_notes": meta.get("render_notes", {}),
    }


class ViewStore:
    """A finished data set folder, read-only; views (and depth) are memory-mapped, never loaded whole."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not (self.path / "views.npy").exists() or not (self.path / "meta.json").exists():
            raise NovelviewError(
                f"{self.path} is not a finished data set (no views.npy/meta.json): run `novelview render` first"
            )
        self.meta = json.loads((self.path / "meta.json").read_text())
        self.split = json.loads((self.path / "split.json").read_text())
        self.views = np.load(self.path / "views.npy", mmap_mode="r")
        depth_path = self.path / "depth.npy"
        self.depth = np.load(depth_path, mmap_mode="r") if depth_path.exists() else None

    @property
    def model_ids(self) -> list[str]:
        return self.meta["model_ids"]

    @property
    def categories(self) -> list[str]:
        return self.meta["categories"]

    @property
    def azimuth_degrees(self) -> list[float]:
        """The even azimuth grid (each view's exact azimuth: ``view_azimuths``)."""
        return self.meta["azimuth_degrees"]

    @property
    def elevation_degrees(self) -> list[float]:
        return self.meta["elevation_degrees"]

    @property
    def num_azimuths(self) -> int:
        return self.views.shape[2]

    @property
    def image_size(self) -> int:
        return self.views.shape[3]

    @property
    def settings(self) -> RenderSettings:
        return RenderSettings.from_dict(self.meta["render"])

    def view_azimuths(self) -> np.ndarray:
        """(models, elevations, azimuths) float64: the exact azimuth of every view, in degrees."""
        if "view_azimuth_degrees" in self.meta:
            return np.asarray(self.meta["view_azimuth_degrees"], np.float64)
        return np.broadcast_to(np.asarray(self.azimuth_degrees, np.float64), self.views.shape[:3]).copy()

    def indices(self, split: str) -> list[int]:
        """Model indices of a split ('train', 'val', 'test' or 'all')."""
        if split == "all":
            return list(range(self.views.shape[0]))
        if split not in self.split:
            raise NovelviewError(f"unknown split {split!r}: choose from train, val, test, all")
        return self.split[split]
