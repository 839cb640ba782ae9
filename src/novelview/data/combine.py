"""Joining finished data sets rendered with one camera into a new one, so that a single training run
sees several sources: procedural shapes with varied appearance beside real meshes, say.

The sets must agree on everything that decides a view's geometry (image size, azimuth grid,
elevations, camera distance and margin, whether depth was stored); lighting may differ. Each
model keeps its split: a model that was a test model stays one, so a combined set never trains on
another set's test objects (an object in two sets must sit in the same part of both). The sets
are only read; the new folder must be new (or empty), and it is written as a hidden sibling that
takes its place in one step, so a kill or a full disk leaves nothing half made.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from novelview.atomic import replace_folder
from novelview.data.assemble import summary
from novelview.data.files import check_free_space, write_json, write_stacked_npy
from novelview.data.render_notes import FIRST_FEW
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError

# what moves a pixel: these must agree for the camera every family assumes to hold for all models
GEOMETRY_KEYS = ("size", "azimuths", "elevations", "camera_distance", "margin", "depth")
COMBINED_SOURCE = "combined:"


def _check_geometry(stores: list[ViewStore]) -> None:
    first = stores[0]
    for store in stores[1:]:
        for key in GEOMETRY_KEYS:  # read through RenderSettings: older sets get their legacy values
            mine, theirs = getattr(first.settings, key), getattr(store.settings, key)
            if mine != theirs:
                raise NovelviewError(
                    f"{first.path} and {store.path} were rendered with different {key} ({mine} and {theirs}): "
                    "render one of them again with the other's settings to combine them")


def _parts(store: ViewStore) -> dict[str, str]:
    """Each model id of a set -> the part of its split that holds it ('none' outside every part)."""
    part = {i: name for name in ("train", "val", "test") for i in store.split.get(name, [])}
    return {model_id: part.get(i, "none") for i, model_id in enumerate(store.model_ids)}


def _unique_ids(stores: list[ViewStore]) -> list[str]:
    """Every model's id; where two sets share an id, all are prefixed with their set's folder name.
    An object that two sets hold in different parts (test in one, train in the other) is refused:
    combined, the training would see a test object."""
    ids = [model_id for store in stores for model_id in store.model_ids]
    if len(set(ids)) == len(ids):
        return ids
    seen: dict[str, tuple[str, Path]] = {}
    for store in stores:
        for model_id, part in _parts(store).items():
            if model_id in seen and seen[model_id][0] != part:
                raise NovelviewError(
                    f"model {model_id} is a {seen[model_id][0]} model in {seen[model_id][1]} but a {part} model in "
                    f"{store.path}: give both sets one split (render one again with the other's --val-share and "
                    "--test-share, or the same --split-file)")
            seen.setdefault(model_id, (part, store.path))
    names = [store.path.name for store in stores]
    if len(set(names)) != len(names):
        raise NovelviewError("the data sets share model ids and folder names; give folders with different names")
    return [f"{store.path.name}/{model_id}" for store in stores for model_id in store.model_ids]


def _combined_meta(stores: list[ViewStore]) -> dict:
    metas = [store.meta for store in stores]
    first = metas[0]
    notes = {"texturing": {}, "notices": {}, "details": []}
    for meta in metas:
        found = meta.get("render_notes") or {}
        for state, count in (found.get("texturing") or {}).items():
            notes["texturing"][state] = notes["texturing"].get(state, 0) + count
        for kind, seen in (found.get("notices") or {}).items():
            kept = notes["notices"].setdefault(kind, {"models": 0, "first": []})
            kept["models"] += seen.get("models", 0)
            kept["first"] = (kept["first"] + list(seen.get("first", [])))[:FIRST_FEW]
        notes["details"] += found.get("details") or []
    meta = {
        "format_version": first["format_version"],
        "source": COMBINED_SOURCE + "+".join(m["source"] for m in metas),
        "combined_from": [{"folder": str(store.path.resolve()), "source": m["source"], "models": m["shape"][0]}
                          for store, m in zip(stores, metas)],
        "models": None, "seed": first.get("seed"), "up_axis": first.get("up_axis"),
        "render": first["render"],
        "shape": [sum(m["shape"][0] for m in metas), *first["shape"][1:]],
        "azimuth_degrees": first["azimuth_degrees"], "elevation_degrees": first["elevation_degrees"],
        "model_ids": _unique_ids(stores),
        "categories": [c for m in metas for c in m["categories"]],
        "source_paths": [p for m in metas for p in m.get("source_paths") or [""] * m["shape"][0]],
        "skipped": [item for m in metas for item in m.get("skipped", [])],
        "render_notes": notes,
        # each model's own source travels with it: attribution tells generated models from found ones by it
        "model_info": [{**info, "source": info.get("source", m["source"])}
                       for m in metas for info in m.get("model_info") or [{}] * m["shape"][0]],
    }
    if any("view_azimuth_degrees" in m or m["render"].get("azimuth_jitter") for m in metas):
        meta["view_azimuth_degrees"] = np.concatenate([store.view_azimuths() for store in stores]).tolist()
    return meta


def _combined_split(stores: list[ViewStore]) -> dict:
    split, offset = {"train": [], "val": [], "test": []}, 0
    for store in stores:
        for name in split:
            split[name] += [offset + i for i in store.split.get(name, [])]
        offset += store.views.shape[0]
    return split


def _rows(arrays: list[np.ndarray], bar: tqdm):
    """Model after model (memory stays at one model's views), counting them on the bar."""
    for array in arrays:
        for i in range(array.shape[0]):
            bar.update()
            yield array[i]


def _refuse_taken(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NovelviewError(f"{out} exists and is not an empty folder: choose a new --out (nothing is overwritten)")


def combine_datasets(folders: list[Path], out: Path, progress: bool = True) -> dict:
    """Write one data set at ``out`` holding every model of ``folders``, splits kept; returns its summary."""
    folders, out = [Path(f) for f in folders], Path(out)
    if len({folder.resolve() for folder in folders}) < 2:
        raise NovelviewError("give at least two different data set folders to combine")
    if any(folder.resolve() == out.resolve() for folder in folders):
        raise NovelviewError(f"--out {out} is one of the data sets to combine: choose a new folder")
    _refuse_taken(out)
    stores = [ViewStore(folder) for folder in folders]
    _check_geometry(stores)
    meta, split = _combined_meta(stores), _combined_split(stores)
    arrays = [("views.npy", [s.views for s in stores])]
    if all(store.depth is not None for store in stores):
        arrays.append(("depth.npy", [s.depth for s in stores]))
    needed = sum(a.nbytes for _, group in arrays for a in group)
    out.parent.mkdir(parents=True, exist_ok=True)
    check_free_space(out.parent, needed, "combining the data sets")
    models = meta["shape"][0]
    with tqdm(total=models * len(arrays), desc="combine", unit="model", disable=not progress) as bar, \
            replace_folder(out, needed) as new:
        for name, group in arrays:
            write_stacked_npy(new / name, (models, *group[0].shape[1:]), group[0].dtype, _rows(group, bar))
        write_json(new / "split.json", split)
        write_json(new / "meta.json", meta)
        _refuse_taken(out)  # again, last: another combine may have written there meanwhile
    return {"out": str(out), **summary(out)}
