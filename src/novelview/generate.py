"""Generation from any image file: one new view, a turntable (GIF + contact sheet), data set sheets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from novelview.atomic import save_image
from novelview.errors import NovelviewError
from novelview.images import composite_on_white, make_grid, to_model_input, to_uint8
from novelview.numbers import require_finite
from novelview.photo import PreparedPhoto, prepare_photo, read_picture

DEFAULT_MODEL = "default"


def load_image(path: str | Path, size: int) -> tuple[np.ndarray, list[str]]:
    """Any image file -> ((size, size, 3) uint8 RGB on white, notices for the user), as it is.

    Transparency is composited on white, grayscale and palette images become RGB, 16-bit images
    are scaled to 8 bits, the EXIF orientation of a photo is applied, an animated image gives
    its first frame (said in a notice), and a non-square image is padded with white to a square
    before it is resized. Images over Pillow's pixel limit are refused (decompression bombs).
    No cut-out and no reframing: ``prepare_input`` does those (``novelview.photo``).
    """
    picture = read_picture(path)
    rgb = composite_on_white(picture.rgba)
    notices = list(picture.notices)
    h, w = rgb.shape[:2]
    if h != w:
        side = max(h, w)
        square = np.full((side, side, 3), 255, np.uint8)
        top, left = (side - h) // 2, (side - w) // 2
        square[top : top + h, left : left + w] = rgb
        rgb = square
        notices.append(f"padded the {w}x{h} image with white to {side}x{side}")
    if rgb.shape[0] != size:
        notices.append(f"resized the {rgb.shape[1]}x{rgb.shape[0]} image to the model's {size}x{size}")
        rgb = np.asarray(Image.fromarray(rgb).resize((size, size), Image.LANCZOS))
    return rgb, notices


def prepare_input(path: str | Path, size: int, mask: str | Path | None = None, keep_background: bool = False,
                  reframe: bool = True) -> PreparedPhoto:
    """A photo -> the model's input: background cut out (or its alpha, or ``mask``), the object
    framed as in the training renders, on white; warnings and notices ride along."""
    return prepare_photo(path, size, mask=mask, keep_background=keep_background, reframe=reframe)


def model_size(model) -> int:
    return int(model.config.get("image_size", 64))


def generate_views(model, image_rgb: np.ndarray, rotations_deg, elevation_deg: float | None = None,
                   source_elevation_deg: float | None = None) -> np.ndarray:
    """(H, W, 3) uint8 and K rotations (degrees) -> (K, H, W, 3) uint8 views, in one batch, seen at
    ``elevation_deg`` from an input seen at ``source_elevation_deg`` (defaults: see ``predict``)."""
    rotations = torch.as_tensor(list(rotations_deg), dtype=torch.float64)
    # Named here by this function's own arguments; predict would name its own.
    require_finite("rotations_deg", rotations, "rotations in degrees, e.g. [30, 90]")
    require_finite("elevation_deg", elevation_deg, "degrees, e.g. 20")
    require_finite("source_elevation_deg", source_elevation_deg, "degrees, e.g. 0")
    source = to_model_input(image_rgb[None]).expand(len(rotations), -1, -1, -1)
    with torch.no_grad():
        output = model.predict(source, rotations, elevation_deg, source_elevation_deg)
    return to_uint8(output)


MAX_FRAMES = 360


def turntable_frames(model) -> int | None:
    """The most frames of a turntable the model can draw (every rotation k * 360 / n on its grid),
    or None when it can draw none (no 0 rotation: the autoencoder); 36 for a continuous pose."""
    grid = model.supported_rotations()
    if grid is None:
        return 36
    return next((n for n in range(len(grid), 0, -1) if all(_on_grid(k * 360.0 / n, grid) for k in range(n))), None)


def turntable(model, image_rgb: np.ndarray, frames: int = 36, elevation_deg: float | None = None,
              source_elevation_deg: float | None = None) -> np.ndarray:
    """``frames`` evenly spaced rotations 0..360 of one image: (frames, H, W, 3) uint8."""
    if frames < 1:
        raise NovelviewError(f"a turntable needs at least one frame, not {frames}")
    if frames > MAX_FRAMES:  # all frames are drawn at once: a million would ask for tens of GB
        raise NovelviewError(f"--frames {frames} is more than a turntable takes: give at most {MAX_FRAMES} "
                             "(one frame per degree)")
    rotations = [k * 360.0 / frames for k in range(frames)]
    grid = model.supported_rotations()
    if grid is not None:
        refused = [r for r in rotations if not _on_grid(r, grid)]
        if refused:
            can = ", ".join(f"{r:g}" for r in grid[:6]) + (" ..." if len(grid) > 6 else "")
            # advise only a frame count whose every rotation is on the grid: a turntable always
            # starts at 0, so a model without 0 (the autoencoder: +30 only) can make none at all
            fits = turntable_frames(model)
            advice = (f"use --frames {fits}" if fits else
                      f"it can make no turntable: draw its views one at a time with --azimuth {grid[0]:g}")
            raise NovelviewError(f"{model.model_name} cannot make a {frames}-frame turntable: it rotates by {can} "
                                 f"degrees only (not {refused[0]:g}); {advice}, or use a model with the continuous "
                                 "pose (the default model)")
    return generate_views(model, image_rgb, rotations, elevation_deg, source_elevation_deg)


def _on_grid(rotation: float, grid: list[float]) -> bool:
    return any(abs((rotation - g + 180) % 360 - 180) < 1e-6 for g in grid)


def save_turntable(views: np.ndarray, image_rgb: np.ndarray, out: Path, stem: str = "turntable",
                   scale: int = 2) -> dict:
    """Write ``stem``.gif (all views, looping) and ``stem``.png (the input, then the views in rows)."""
    out.mkdir(parents=True, exist_ok=True)
    frames = [Image.fromarray(v).resize((v.shape[1] * scale, v.shape[0] * scale), Image.NEAREST) for v in views]
    gif = out / f"{stem}.gif"
    save_image(frames[0], gif, save_all=True, append_images=frames[1:], duration=max(20, 3600 // len(frames)), loop=0)
    cols = 6 if len(views) <= 36 else 12
    rows = [[image_rgb] + [np.full_like(image_rgb, 255)] * (cols - 1)]
    rows += [list(views[i : i + cols]) for i in range(0, len(views), cols)]
    sheet = out / f"{stem}.png"
    save_image(Image.fromarray(make_grid(rows)), sheet)
    return {"gif": str(gif), "sheet": str(sheet)}


def dataset_sheet(data_dir: str | Path, out_file: str | Path, per_category: int = 4,
                  azimuth_step: int = 3, split: str = "all") -> Path:
    """A contact sheet of a data set: rows are models (``per_category`` of each category),
    columns are azimuths every ``azimuth_step`` steps, composited on white."""
    from novelview.data.viewstore import ViewStore

    if azimuth_step < 1 or per_category < 1:
        raise NovelviewError(f"--azimuth-step and --per-category must be 1 or more (got {azimuth_step}, {per_category})")
    out_file = Path(out_file)
    if out_file.suffix.lower() not in Image.registered_extensions():
        raise NovelviewError(f"cannot tell the image format from {out_file.name!r}: end --out with .png (or .jpg, ...)")
    store = ViewStore(data_dir)
    rows, seen = [], {}
    for m in store.indices(split):
        category = store.categories[m]
        if seen.get(category, 0) >= per_category:
            continue
        seen[category] = seen.get(category, 0) + 1
        views = np.asarray(store.views[m, 0, ::azimuth_step])
        rows.append(list(composite_on_white(views)))
    if not rows:
        raise NovelviewError(f"{data_dir} has no models in split {split!r}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    save_image(Image.fromarray(make_grid(rows)), out_file)
    return out_file
