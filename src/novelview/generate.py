"""Generation from any image file: one new view, a turntable (GIF + contact sheet), data set sheets."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from novelview.errors import NovelviewError
from novelview.images import composite_on_white, make_grid, to_model_input, to_uint8

DEFAULT_MODEL = "default"
EXIF_ORIENTATION = 0x0112  # the EXIF tag; 1 is upright, 2..8 say how to turn the image


def load_image(path: str | Path, size: int) -> tuple[np.ndarray, list[str]]:
    """Any image file -> ((size, size, 3) uint8 RGB on white, notices for the user).

    Transparency is composited on white, grayscale and palette images become RGB, 16-bit images
    are scaled to 8 bits, the EXIF orientation of a photo is applied, an animated image gives
    its first frame (said in a notice), and a non-square image is padded with white to a square
    before it is resized. Images over Pillow's pixel limit are refused (decompression bombs).
    """
    path = Path(path)
    if path.is_dir():
        raise NovelviewError(f"{path} is a folder, not an image file: give the path of a PNG, JPEG, ... file")
    if not path.is_file():
        raise NovelviewError(f"image {path} not found")
    if path.stat().st_size == 0:
        raise NovelviewError(f"{path} is empty (0 bytes): give an image file that is not damaged")
    notices = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                if frames > 1:
                    notices.append(f"{path.name} has {frames} frames; using frame 1")
                if img.getexif().get(EXIF_ORIENTATION, 1) in range(2, 9):
                    notices.append(f"turned {path.name} upright by its EXIF orientation")
                rgba = _rgba_of(ImageOps.exif_transpose(img))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NovelviewError(f"{path} is too large to open safely ({exc}); give an image under "
                             f"{Image.MAX_IMAGE_PIXELS:,} pixels") from None
    except UnidentifiedImageError:
        raise NovelviewError(f"{path} is not an image Pillow can read (PNG, JPEG, ...)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise NovelviewError(f"{path} is damaged or truncated ({exc}): give an image file that opens in a viewer") from None
    rgb = composite_on_white(rgba)
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


def _rgba_of(img: Image.Image) -> np.ndarray:
    """(H, W, 4) uint8 RGBA; 16- and 32-bit grey is scaled to 8 bits, where Pillow's own
    conversion clips everything above 255 to white."""
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        grey = np.asarray(img).astype(np.float64)
        brightest = grey.max(initial=0)
        if img.mode.startswith("I;16") or (img.mode == "I" and img.format == "PNG"):
            top = 65535.0  # a 16-bit PNG, whatever its brightest pixel
        else:  # 32-bit integer or float data (TIFF, ...): take the smallest usual range that holds it
            ranges = (1.0, 255.0, 65535.0) if img.mode == "F" else (255.0, 65535.0)
            top = next((t for t in ranges if brightest <= t), brightest)
        grey8 = np.clip(np.rint(grey / top * 255.0), 0, 255).astype(np.uint8)
        return np.dstack([grey8, grey8, grey8, np.full_like(grey8, 255)])
    img.load()
    return np.asarray(img.convert("RGBA"))


def model_size(model) -> int:
    return int(model.config.get("image_size", 64))


def generate_views(model, image_rgb: np.ndarray, rotations_deg, elevation_deg: float | None = None,
                   source_elevation_deg: float | None = None) -> np.ndarray:
    """(H, W, 3) uint8 and K rotations (degrees) -> (K, H, W, 3) uint8 views, in one batch, seen at
    ``elevation_deg`` from an input seen at ``source_elevation_deg`` (defaults: see ``predict``)."""
    rotations = torch.as_tensor(list(rotations_deg), dtype=torch.float64)
    source = to_model_input(image_rgb[None]).expand(len(rotations), -1, -1, -1)
    with torch.no_grad():
        output = model.predict(source, rotations, elevation_deg, source_elevation_deg)
    return to_uint8(output)


def turntable(model, image_rgb: np.ndarray, frames: int = 36, elevation_deg: float | None = None,
              source_elevation_deg: float | None = None) -> np.ndarray:
    """``frames`` evenly spaced rotations 0..360 of one image: (frames, H, W, 3) uint8."""
    if frames < 1:
        raise NovelviewError(f"a turntable needs at least one frame, not {frames}")
    rotations = [k * 360.0 / frames for k in range(frames)]
    grid = model.supported_rotations()
    if grid is not None:
        refused = [r for r in rotations if not any(abs((r - g + 180) % 360 - 180) < 1e-6 for g in grid)]
        if refused:
            can = ", ".join(f"{r:g}" for r in grid[:6]) + (" ..." if len(grid) > 6 else "")
            raise NovelviewError(f"{model.model_name} cannot make a {frames}-frame turntable: it rotates by {can} "
                                 f"degrees only (not {refused[0]:g}); use --frames {len(grid)} or a model with "
                                 "the continuous pose (the default model)")
    return generate_views(model, image_rgb, rotations, elevation_deg, source_elevation_deg)


def save_turntable(views: np.ndarray, image_rgb: np.ndarray, out: Path, stem: str = "turntable",
                   scale: int = 2) -> dict:
    """Write ``stem``.gif (all views, looping) and ``stem``.png (the input, then the views in rows)."""
    out.mkdir(parents=True, exist_ok=True)
    frames = [Image.fromarray(v).resize((v.shape[1] * scale, v.shape[0] * scale), Image.NEAREST) for v in views]
    gif = out / f"{stem}.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=max(20, 3600 // len(frames)), loop=0)
    cols = 6 if len(views) <= 36 else 12
    rows = [[image_rgb] + [np.full_like(image_rgb, 255)] * (cols - 1)]
    rows += [list(views[i : i + cols]) for i in range(0, len(views), cols)]
    sheet = out / f"{stem}.png"
    Image.fromarray(make_grid(rows)).save(sheet)
    return {"gif": str(gif), "sheet": str(sheet)}


def dataset_sheet(data_dir: str | Path, out_file: str | Path, per_category: int = 4,
                  azimuth_step: int = 3, split: str = "all") -> Path:
    """A contact sheet of a data set: rows are models (``per_category`` of each category),
    columns are azimuths every ``azimuth_step`` steps, composited on white."""
    from novelview.data.store import ViewStore

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
    Image.fromarray(make_grid(rows)).save(out_file)
    return out_file
