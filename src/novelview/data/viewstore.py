"""Reading a finished data set folder, with every file checked before it is used.

``ViewStore`` memory-maps views.npy (and depth.npy) only after their headers and sizes agree with
meta.json, and refuses a split.json whose indices are out of range, negative or shared between
parts. Each problem is one NovelviewError naming the file and pointing at ``novelview doctor``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from novelview.data.files import load_npy, read_json
from novelview.data.render import RenderSettings
from novelview.data.split import split_problem
from novelview.errors import NovelviewError


def doctor_hint(folder: Path) -> str:
    return f"run `novelview doctor {folder}` to see what is damaged and how to repair it"


def meta_problem(meta: dict) -> str | None:
    """Why meta.json's content is not that of a finished data set, or None."""
    shape = meta.get("shape")
    if not (isinstance(shape, list) and len(shape) == 6 and all(isinstance(n, int) and n > 0 for n in shape)
            and shape[5] == 4):
        return "no valid shape (models, elevations, azimuths, H, W, 4)"
    lengths = {"model_ids": shape[0], "categories": shape[0], "elevation_degrees": shape[1],
               "azimuth_degrees": shape[2]}
    for key, length in lengths.items():
        if not isinstance(meta.get(key), list) or len(meta[key]) != length:
            return f"{key} is not a list of {length}"
    if not isinstance(meta.get("render"), dict):
        return "no render settings"
    try:
        RenderSettings.from_dict(meta["render"])
    except (TypeError, ValueError) as exc:
        return f"render settings unreadable: {exc}"
    return None


def read_meta(folder: Path, fix: str | None = None) -> dict:
    """meta.json of a finished data set, checked for the keys and lengths every reader relies on."""
    fix = fix or doctor_hint(folder)
    meta = read_json(folder / "meta.json", fix)
    problem = meta_problem(meta)
    if problem:
        raise NovelviewError(f"{folder / 'meta.json'} is damaged ({problem}): {fix}")
    return meta


def read_split(folder: Path, num_models: int) -> dict:
    """split.json, checked against the number of models; a bad one can be rewritten by doctor --repair."""
    fix = f"run `novelview doctor {folder} --repair` to rewrite it from the render settings"
    split = read_json(folder / "split.json", fix)
    problem = split_problem(split, num_models)
    if problem:
        raise NovelviewError(f"{folder / 'split.json'} is damaged ({problem}): {fix}")
    return {name: list(split.get(name, [])) for name in ("train", "val", "test")}


def depth_wanted(meta: dict) -> bool:
    return bool(meta["render"].get("depth", False))


class ViewStore:
    """A finished data set folder, read-only; views (and depth) are memory-mapped, never loaded whole."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_file():
            raise NovelviewError(f"{self.path} is a file, not a data set folder: give the folder `novelview render` wrote")
        if not (self.path / "views.npy").exists() or not (self.path / "meta.json").exists():
            if (self.path / "parts").is_dir():
                raise NovelviewError(f"{self.path} is an unfinished render: run its render command again to "
                                     f"finish it (`novelview doctor {self.path}` shows how far it got)")
            raise NovelviewError(
                f"{self.path} is not a finished data set (no views.npy/meta.json): run `novelview render` first"
            )
        hint = doctor_hint(self.path)
        self.meta = read_meta(self.path)
        shape = tuple(self.meta["shape"])
        self.split = read_split(self.path, shape[0])
        self.views = load_npy(self.path / "views.npy", shape, np.uint8, hint, mmap=True)
        depth_path = self.path / "depth.npy"
        self.depth = None
        if depth_path.exists() or depth_wanted(self.meta):
            self.depth = load_npy(depth_path, shape[:5], np.float16, hint, mmap=True)
        self._opened = self._fingerprint()

    def _fingerprint(self) -> list:
        """Size and modification time of the mapped files: what tells a re-opened folder from the one opened."""
        names = ["views.npy"] + (["depth.npy"] if self.depth is not None else [])
        return [(name, (self.path / name).stat().st_size, (self.path / name).stat().st_mtime_ns) for name in names]

    # A memory map pickles its whole content, so a store sent to a spawned DataLoader worker (or a
    # ddp_spawn process) would carry a copy of the data set: it travels as its folder instead, and
    # is re-opened there read-only with the same checks.
    def __getstate__(self) -> dict:
        return {"path": str(self.path), "opened": self._opened}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])
        if [tuple(entry) for entry in self._opened] != [tuple(entry) for entry in state["opened"]]:
            raise NovelviewError(f"{self.path} changed after it was opened (views.npy or depth.npy was rewritten): "
                                 "run the command again once the data set is no longer being written")

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
