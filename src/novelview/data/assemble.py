"""From parts/ to a finished data set, and keeping a finished one in step with what was asked.

``check_parts`` finds damaged part files (they are rendered again) and skipped models whose mesh
file changed since (they are tried again). ``finish`` writes views.npy and depth.npy in full
under temporary names before anything of an older data set in the folder is replaced, and writes
meta.json last, so a folder without meta.json reads as unfinished and is finished by running the
same command again. ``update_finished`` applies a new split or --png to a finished folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from novelview.atomic import save_image
from novelview.data import render_notes
from novelview.data.files import (
    NO_PERMISSION, check_free_space, damaged, load_json, npy_problem, read_json, refuse_unreadable, safe_file_name,
    write_json, write_stacked_npy,
)
from novelview.data.render import RenderSettings, view_azimuths
from novelview.data.split import make_split, split_problem
from novelview.data.viewstore import ViewStore, depth_wanted, meta_problem
from novelview.errors import NovelviewError

AGAIN = "run the same render command again: damaged parts are rendered again"
PART_SUFFIXES = (".npy", ".depth", ".notes.json", ".skip.json")  # every file of one model in parts/


def mesh_stamp(ref) -> list[int] | None:
    """[size, mtime in ns] of a model's mesh file (sh3d: its library archive), to notice a fixed mesh;
    None for procedural models."""
    mesh = getattr(ref, "archive", "") or ref.path
    try:
        stat = Path(mesh).stat() if mesh else None
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns] if stat else None


def part_shapes(st: RenderSettings) -> tuple[tuple, tuple]:
    views = (len(st.elevations), st.azimuths, st.size, st.size, 4)
    return views, views[:4]


def part_problem(parts: Path, i: int, st: RenderSettings) -> tuple[Path, str] | None:
    """(file, problem) when model ``i`` has no usable part ('missing' when not rendered yet)."""
    views_file, skip_file = parts / f"{i:06d}.npy", parts / f"{i:06d}.skip.json"
    views_shape, depth_shape = part_shapes(st)
    if views_file.exists():
        problem = npy_problem(views_file, views_shape, np.uint8)
        if problem:
            return views_file, problem
        depth_file = parts / f"{i:06d}.depth"
        problem = npy_problem(depth_file, depth_shape, np.float16) if st.depth else None
        if problem == "missing":  # written before the views file, so it should be there
            problem = f"missing beside {views_file.name}"
        if problem:
            return depth_file, problem
        notes_file = render_notes.notes_path(parts, i)  # absent in parts made before render notes
        if notes_file.exists():
            notes, problem = load_json(notes_file)
            problem = problem or render_notes.notes_problem(notes)
            if problem:
                return notes_file, problem
        return None
    if skip_file.exists():
        try:
            reason = json.loads(skip_file.read_bytes() or b"null")
        except PermissionError:
            return skip_file, NO_PERMISSION
        except (UnicodeDecodeError, ValueError):
            return skip_file, "not valid JSON"
        return None if isinstance(reason, dict) else (skip_file, "not a skip record")
    return views_file, "missing"


def check_parts(parts: Path, refs: list, job, indices: list[int]) -> list[str]:
    """Remove damaged parts and stale skips among ``indices`` so that they are rendered again; notes.
    A part that cannot be read (permission denied) is refused, not rendered again."""
    broken, retried = [], []
    for i in indices:
        found = part_problem(parts, i, job.settings)
        if found:
            refuse_unreadable(*found)
        if found and found[1] != "missing":
            broken.append(f"{found[0].name}: {found[1]}")
            for suffix in PART_SUFFIXES:
                (parts / f"{i:06d}{suffix}").unlink(missing_ok=True)
        elif (parts / f"{i:06d}.skip.json").exists():
            recorded = read_json(parts / f"{i:06d}.skip.json", AGAIN).get("mesh")
            if recorded is not None and recorded != mesh_stamp(refs[i]):
                (parts / f"{i:06d}.skip.json").unlink()
                retried.append(refs[i].model_id)
    notes = []
    if broken:
        notes.append(f"rendering {len(broken)} damaged part file(s) again, e.g. parts/{broken[0]}")
    if retried:
        notes.append(f"trying {len(retried)} skipped model(s) again, as their mesh file changed: {', '.join(retried[:5])}")
    return notes


def finished_problem(out: Path, identity: dict) -> str | None:
    """None when ``out`` holds an intact data set made with ``identity``; else 'not finished',
    'other settings', or what is damaged (then rendering again is the repair). Raises for a file
    that cannot be read (permission denied): rendering again would hide that, and replace the set."""
    if not (out / "meta.json").exists() or not (out / "views.npy").exists():
        return "not finished"
    meta, problem = load_json(out / "meta.json")
    refuse_unreadable(out / "meta.json", problem)
    if problem:
        return f"{out / 'meta.json'} is damaged"
    if meta_problem(meta):
        return f"{out / 'meta.json'} is damaged ({meta_problem(meta)})"
    if {k: meta.get(k) for k in identity} != identity:
        return "other settings"
    shape = tuple(meta["shape"])
    problem = npy_problem(out / "views.npy", shape, np.uint8)
    refuse_unreadable(out / "views.npy", problem)
    if problem:
        return f"{out / 'views.npy'} is damaged ({problem})"
    if depth_wanted(meta):
        problem = npy_problem(out / "depth.npy", shape[:5], np.float16)
        refuse_unreadable(out / "depth.npy", problem)
        if problem:
            return f"{out / 'depth.npy'} is {'missing' if problem == 'missing' else f'damaged ({problem})'}"
    return None


def finish(out: Path, refs: list, job) -> None:
    """Assemble parts/ into views.npy, depth.npy, split.json and meta.json, then remove parts/."""
    parts, st = out / "parts", job.settings
    kept, skipped, missing = [], [], []
    for i, ref in enumerate(refs):
        found = part_problem(parts, i, st)
        if found is None and (parts / f"{i:06d}.npy").exists():
            kept.append((i, ref))
        elif found is None:
            info = read_json(parts / f"{i:06d}.skip.json", AGAIN)
            entry = {"model_id": ref.model_id, "reason": info.get("reason", "unknown")}
            skipped.append({**entry, "mesh": info["mesh"]} if info.get("mesh") else entry)
        elif found[1] == "missing":
            missing.append((i, ref))
        else:
            raise damaged(found[0], found[1], AGAIN)
    if missing:
        i, ref = missing[0]
        raise NovelviewError(f"{len(missing)} of {len(refs)} models were never rendered (e.g. model {i}, "
                             f"{ref.model_id}): run the render command again to resume")
    if not kept:
        reasons = "; ".join(f"{s['model_id']}: {s['reason']}" for s in skipped[:3])
        more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        raise NovelviewError(f"every model was skipped ({reasons}{more}): fix the mesh files and run the same "
                             "command again (a skipped model is tried again once its file changes)")
    split = make_split([ref.model_id for _, ref in kept], job, [ref.model_id for ref in refs])
    shape = (len(kept), *part_shapes(st)[0])
    rows = [i for i, _ in kept]
    needed = int(np.prod(shape)) * (1 + (2 / 4 if st.depth else 0))
    check_free_space(out, int(needed), "assembling views.npy and depth.npy")
    # Both arrays are complete under temporary names before an older data set is touched.
    write_stacked_npy(out / "views.tmp.npy", shape, np.uint8, _rows(parts, rows, ".npy"))
    if st.depth:
        write_stacked_npy(out / "depth.tmp.npy", shape[:5], np.float16, _rows(parts, rows, ".depth"))
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
        # so that a lost settings.json can be rebuilt with the split the set was made with
        "split_settings": job.split_settings(),
    }
    turns = render_notes.orientations(parts, kept)
    if any(turns):  # per model: its up and front (or rotation) and what decided each
        meta["orientations"] = turns
    if any(ref.info for _, ref in kept):  # catalogue facts, for attribution (sh3d)
        meta["model_info"] = [ref.info for _, ref in kept]
    if st.azimuth_jitter > 0:
        meta["view_azimuth_degrees"] = [np.round(view_azimuths(st, job.seed, i), 6).tolist() for i, _ in kept]
    (out / "meta.json").unlink(missing_ok=True)  # until it is back, the folder reads as unfinished
    (out / "views.tmp.npy").replace(out / "views.npy")
    if st.depth:
        (out / "depth.tmp.npy").replace(out / "depth.npy")
    else:
        (out / "depth.npy").unlink(missing_ok=True)
    write_json(out / "split.json", split)
    write_json(out / "meta.json", meta)
    had_png = (out / "png").is_dir()
    if had_png:  # PNGs of an older data set would no longer match
        shutil.rmtree(out / "png")
    if job.png or had_png:
        write_pngs(out)
    shutil.rmtree(parts)


def _rows(parts: Path, indices: list[int], suffix: str):
    for i in indices:
        yield np.load(parts / f"{i:06d}{suffix}", allow_pickle=False)


def update_finished(out: Path, refs: list, job) -> list[str]:
    """Apply to a finished data set what needs no rendering: a new split, --png; say what changed."""
    notes = []
    meta = read_json(out / "meta.json", "")
    settings_path = out / "settings.json"
    try:
        info = read_json(settings_path, "")
    except NovelviewError:
        info = {"identity": job.identity(), "shard": [0, 1]}
        notes.append(f"{settings_path} was missing or damaged: rewritten from meta.json")
    wanted = job.split_settings()
    try:
        current = read_json(out / "split.json", "")
        current = None if split_problem(current, meta["shape"][0]) else current
    except NovelviewError:
        current = None
    if info.get("split") != wanted or job.split_file or current is None:
        split = make_split(meta["model_ids"], job, [ref.model_id for ref in refs])
        if split != current:
            write_json(out / "split.json", split)
            sizes = ", ".join(f"{k} {len(v)}" for k, v in split.items())
            notes.append(f"split.json {'rewritten' if current is None else 'updated'} for the split asked for ({sizes})")
    if info.get("split") != wanted or notes:
        write_json(settings_path, {**info, "split": wanted})
    if meta.get("split_settings") != wanted:
        write_json(out / "meta.json", {**meta, "split_settings": wanted})
    if job.png and png_count(out) != int(np.prod(meta["shape"][:3])):
        shutil.rmtree(out / "png", ignore_errors=True)
        write_pngs(out)
        notes.append(f"wrote the PNGs into {out / 'png'}")
    stamps = {ref.model_id: mesh_stamp(ref) for ref in refs}
    changed = [s["model_id"] for s in meta.get("skipped", [])
               if s.get("mesh") is not None and s["mesh"] != stamps.get(s["model_id"])]
    if changed:
        notes.append(f"the mesh files of {len(changed)} skipped model(s) changed since ({', '.join(changed[:5])}): "
                     "pass --overwrite to render the data set again with them")
    return notes


def write_pngs(out: Path) -> None:
    """Every view as png/<model>/el+EE_azAAA.png; model ids are made safe as folder names."""
    from PIL import Image

    store = ViewStore(out)
    png, used = out / "png", set()
    for m, model_id in enumerate(store.model_ids):
        name = safe_file_name(model_id.replace("/", "_"))
        name = name if name not in used else f"{name}_{m}"  # two ids may clean to one name
        used.add(name)
        folder = png / name
        folder.mkdir(parents=True, exist_ok=True)
        for e, elevation in enumerate(store.elevation_degrees):
            for a, azimuth in enumerate(store.azimuth_degrees):
                save_image(Image.fromarray(store.views[m, e, a]), folder / f"el{elevation:+03.0f}_az{azimuth:03.0f}.png")


def png_count(out: Path) -> int:
    return sum(1 for _ in (out / "png").glob("*/*.png")) if (out / "png").is_dir() else 0


def summary(out: Path) -> dict:
    meta = read_json(out / "meta.json", "")
    split = read_json(out / "split.json", "")
    return {
        "models": meta["shape"][0],
        "views": int(np.prod(meta["shape"][:3])),
        "skipped": meta["skipped"],
        "split": {k: len(v) for k, v in split.items()},
        "render_notes": meta.get("render_notes", {}),
    }
