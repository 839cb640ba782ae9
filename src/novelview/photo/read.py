"""Reading a user's picture: any file Pillow opens becomes straight-alpha RGBA uint8, upright.

The one place that turns a file (or bytes, or an array from the web app) into pixels: EXIF
rotation, grayscale, palette, CMYK, 16-bit and float images, RGBA. Bad files (missing, empty,
damaged, not an image, a decompression bomb) raise ``NovelviewError`` with one line.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from novelview.errors import NovelviewError

EXIF_ORIENTATION = 0x0112  # the EXIF tag; 1 is upright, 2..8 say how to turn the image
# An alpha channel counts as a cut-out only when it marks a real share of the image as
# see-through: a PNG saved with an all-opaque alpha (or one stray pixel) says nothing.
MEANINGFUL_ALPHA_SHARE = 0.005


@dataclass
class Picture:
    """An upright picture: (H, W, 4) uint8 straight-alpha RGBA, and what was done to read it."""

    rgba: np.ndarray
    name: str
    notices: list[str] = field(default_factory=list)

    @property
    def has_meaningful_alpha(self) -> bool:
        alpha = self.rgba[..., 3]
        see_through = float((alpha < 128).mean())
        return MEANINGFUL_ALPHA_SHARE <= see_through <= 1.0 - MEANINGFUL_ALPHA_SHARE


def read_picture(source, name: str | None = None) -> Picture:
    """A path, raw bytes, a PIL image or an (H, W[, 3 or 4]) uint8 array -> ``Picture``."""
    if isinstance(source, np.ndarray):
        return Picture(_array_to_rgba(source), name or "image")
    if isinstance(source, Image.Image):
        return _from_pil(source, name or "image")
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise NovelviewError(f"{name or 'the upload'} is empty (0 bytes): give an image file that is not damaged")
        return _open(io.BytesIO(source), name or "the upload")
    path = Path(source)
    if path.is_dir():
        raise NovelviewError(f"{path} is a folder, not an image file: give the path of a PNG, JPEG, ... file")
    if not path.is_file():
        raise NovelviewError(f"image {path} not found")
    if path.stat().st_size == 0:
        raise NovelviewError(f"{path} is empty (0 bytes): give an image file that is not damaged")
    return _open(path, name or path.name, shown=str(path))


def _open(file, name: str, shown: str | None = None) -> Picture:
    shown = shown or name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as img:
                return _from_pil(img, name)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NovelviewError(f"{shown} is too large to open safely ({exc}); give an image under "
                             f"{Image.MAX_IMAGE_PIXELS:,} pixels") from None
    except UnidentifiedImageError:
        raise NovelviewError(f"{shown} is not an image Pillow can read (PNG, JPEG, ...)") from None
    except PermissionError:  # the file may be a sound image: not "damaged"
        raise NovelviewError(f"{shown} cannot be read (permission denied): check the file's permissions") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise NovelviewError(f"{shown} is damaged or truncated ({exc}): give an image file that opens in a viewer") from None


def _from_pil(img: Image.Image, name: str) -> Picture:
    notices = []
    frames = getattr(img, "n_frames", 1)
    if frames > 1:
        notices.append(f"{name} has {frames} frames; using frame 1")
    if img.getexif().get(EXIF_ORIENTATION, 1) in range(2, 9):
        notices.append(f"turned {name} upright by its EXIF orientation")
    upright = ImageOps.exif_transpose(img)
    rgba = rgba_of(upright if upright is not None else img)
    if rgba.shape[0] == 0 or rgba.shape[1] == 0:
        raise NovelviewError(f"{name} has no pixels: give an image of the object")
    return Picture(rgba, name, notices)


def rgba_of(img: Image.Image) -> np.ndarray:
    """(H, W, 4) uint8 RGBA; 16- and 32-bit grey is scaled to 8 bits, where Pillow's own
    conversion clips everything above 255 to white. CMYK, palette and LA go through Pillow."""
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
    if img.mode == "CMYK":
        img = img.convert("RGB")  # Pillow's CMYK -> RGBA path goes through RGB anyway; say it once
    return np.asarray(img.convert("RGBA"))


def _array_to_rgba(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.size == 0:
        raise NovelviewError("the image has no pixels: give an image of the object")
    if array.dtype != np.uint8:
        top = 65535.0 if array.max(initial=0) > 255 else (1.0 if array.max(initial=0) <= 1.0 else 255.0)
        array = np.clip(np.rint(array.astype(np.float64) / top * 255.0), 0, 255).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise NovelviewError(f"an image array must be (H, W), (H, W, 3) or (H, W, 4), not {array.shape}")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.shape[2] == 3:
        array = np.dstack([array, np.full(array.shape[:2], 255, np.uint8)])
    return np.ascontiguousarray(array)


def read_mask(path: str | Path, shape: tuple[int, int]) -> np.ndarray:
    """A mask file -> (H, W) float32 alpha in [0, 1] at ``shape``: its alpha channel where that
    is meaningful, else its brightness (white: the object). Resized if its aspect ratio matches."""
    picture = read_picture(path)
    rgba = picture.rgba
    if picture.has_meaningful_alpha:
        alpha = rgba[..., 3].astype(np.float32) / 255.0
    else:
        alpha = rgba[..., :3].astype(np.float32).mean(axis=2) / 255.0
    h, w = shape
    mh, mw = alpha.shape
    if (mh, mw) != (h, w):
        if abs(mw / mh - w / h) > 0.02:
            raise NovelviewError(f"--mask {Path(path).name} is {mw}x{mh} but the image is {w}x{h}: give a mask "
                                 "of the same size (white or opaque where the object is)")
        alpha = np.asarray(Image.fromarray(alpha, mode="F").resize((w, h), Image.BILINEAR))
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)
