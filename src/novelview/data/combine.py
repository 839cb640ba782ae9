"""Joining finished data sets rendered with one camera into a new one, so that a single training run
sees several sources: procedural shapes with varied appearance beside real meshes, say.

The sets must agree on everything that decides a view's geometry (image size, azimuth grid,
elevations, camera distance and margin, whether depth was stored); lighting may differ. Each
model keeps its split: a model that was a test model stays one, so a combined set never trains on
another set's test objects. The sets are only read; the new folder must be new (or empty), and its
arrays are written through temporary files, so a kill or a full disk leaves nothing half made.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from novelview.atomic import atomic_file
from novelview.data.assemble import summary
from novelview.data.files import check_free_space, disk_full_is_an_error, folder_lock, write_json
from novelview.data.render_notes import FIRST_FEW
from novelview.data.viewstore import ViewStore
from novelview.errors import NovelviewError

# what moves a pixel: these must agree for the camera every family assumes to hold for all models
GEOMETRY_KEYS = ("size", "azimuths", "elevations", "camera_distance", "margin", "depth")
COMBINED_SOURCE = "combined:"


def _check_geometry(stores: list[ViewStore]) -> None:
    first = stores[0]
    for store in stores[1:]:
        for key in GEOMETRY_KEYS:
            if first.meta["render"].get(key) != store.meta["render"].get(key):
                raise NovelviewError(
                    f"{first.path} and {store.path} were rendered with different {key} "
                    f"({first.meta['render'].get(key)} and {store.meta['render'].get(key)}): render one of them again "
                    "with the other's settings to combine them")


def _unique_ids(stores: list[ViewStore]) -> list[str]:
    """Every model's id; where two sets share an id, all are prefixed with their set's folder name."""
    ids = [model_id for store in stores for model_id in store.model_ids]
    if len(set(ids)) == len(ids):
        return ids
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
        "combined_from": [{"folder": str(store.path), "source": m["source"], "models": m["shape"][0]}
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
        "model_info": [info for m in metas for info in m.get("model_info") or [{}] * m["shape"][0]],
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


def _write_array(path: Path, arrays: list[np.ndarray], bar: tqdm) -> None:
    total = sum(a.shape[0] for a in arrays)
    with atomic_file(path) as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=arrays[0].dtype, shape=(total, *arrays[0].shape[1:]))
        at = 0
        for array in arrays:
            for i in range(array.shape[0]):  # one model at a time: memory stays at one model's views
                out[at + i] = array[i]
                bar.update()
            at += array.shape[0]
        out.flush()
        del out


def combine_datasets(folders: list[Path], out: Path, progress: bool = True) -> dict:
    """Write one data set at ``out`` holding every model of ``folders``, splits kept; returns its summary."""
    if len(folders) < 2:
        raise NovelviewError("give at least two data set folders to combine")
    out = Path(out)
    if any(Path(f).resolve() == out.resolve() for f in folders):
        raise NovelviewError(f"--out {out} is one of the data sets to combine: choose a new folder")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NovelviewError(f"{out} exists and is not an empty folder: choose a new --out (nothing is overwritten)")
    stores = [ViewStore(folder) for folder in folders]
    _check_geometry(stores)
    with_depth = all(store.depth is not None for store in stores)
    meta, split = _combined_meta(stores), _combined_split(stores)
    out.mkdir(parents=True, exist_ok=True)
    arrays = [("views.npy", [s.views for s in stores])] + ([("depth.npy", [s.depth for s in stores])] if with_depth else [])
    check_free_space(out, sum(a.nbytes for _, group in arrays for a in group), "combining the data sets")
    models = meta["shape"][0]
    with folder_lock(out, "combine"), disk_full_is_an_error(out), \
            tqdm(total=models * len(arrays), desc="combine", unit="model", disable=not progress) as bar:
        for name, group in arrays:
            _write_array(out / name, group, bar)
        write_json(out / "split.json", split)
        write_json(out / "meta.json", meta)  # last: a folder without meta.json is not taken for a finished set
    return {"out": str(out), **summary(out)}
