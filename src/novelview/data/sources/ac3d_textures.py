"""Textures of AC3D models: found beside the model or in the listed folders, decoded by Pillow
(PNG, SGI ``.rgb`` liveries, JPEG), shrunk to the render's limit, see-through parts laid over glass.

A texture that is missing or cannot be decoded is not an error: the surface keeps its material
colour and the reason comes back as a notice (``render_notes``).
"""

from __future__ import annotations

import posixpath
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from novelview.data.sources.assets import absolute, shrink_texture

IMAGE_SUFFIXES = (".png", ".rgb", ".rgba", ".jpg", ".jpeg", ".sgi", ".bmp", ".tga")
MAX_TEXTURE_PIXELS = 4096 * 4096  # formats PIL cannot decode at a reduced size must fit in memory
GLASS_TINT = np.array([0.82, 0.88, 0.93], np.float32)  # pale blue-grey: reads as glass on white

def shown_colour(rgb: np.ndarray, trans: float) -> np.ndarray:
    """The material colour as drawn opaque: glass is lightened towards a pale tint, never black."""
    if trans <= 0.05:
        return rgb
    see_through = max(trans, 0.5)
    return ((1 - see_through) * rgb + see_through * GLASS_TINT).astype(np.float32)


def load_textures(keys: list[tuple], materials: list, model: Path, texture_side: int | None, dirs: list[Path],
                   root: Path):
    """One image per (texture, material) key, glass lightened like its colour; None where lost."""
    images, notices, lost, decoded = [], [], False, {}
    for name, material in keys:
        if name not in decoded:
            decoded[name], notice = _decode(name, model, texture_side, dirs, root)
            if notice:
                notices.append(notice)
        image = decoded[name]
        lost |= image is None
        if image is not None and material >= 0:
            see_through = max(materials[material][1], 0.5)
            image = (1 - see_through) * image + see_through * GLASS_TINT
        images.append(image)
    return images, list(dict.fromkeys(notices)), lost


def _decode(name: str, model: Path, texture_side: int | None, dirs: list[Path], root: Path):
    found = find_texture(name, dirs, root)
    if found is None:
        return None, ("missing texture", f"{model.name}: texture {name} not found; using the material colour")
    try:
        with warnings.catch_warnings(), Image.open(found) as image:
            warnings.simplefilter("ignore")  # PIL's remarks on palettes; failures are reported below
            if image.width * image.height > MAX_TEXTURE_PIXELS and image.format != "JPEG":
                raise ValueError(f"{image.width}x{image.height} is too large")
            if "A" in image.getbands() or "transparency" in image.info:
                return over_colour(image, texture_side, GLASS_TINT), None
            return np.asarray(shrink_texture(image, texture_side), np.float32) / 255.0, None
    except Exception as exc:  # PIL raises many types for broken images
        return None, ("unreadable texture", f"{model.name}: texture {name} cannot be decoded "
                      f"({type(exc).__name__}: {exc}); using the material colour")


def over_colour(image: Image.Image, texture_side: int | None, under: np.ndarray) -> np.ndarray:
    """An image with alpha as (H, W, 3) sRGB in [0, 1], shrunk to ``texture_side``, its see-through
    parts laid over the colour ``under`` (propeller discs, windows and grilles over the pale glass
    tint): drawn opaque, they would show whatever colour they hide."""
    rgba = image.convert("RGBA")
    if texture_side is not None and max(rgba.size) > texture_side:
        rgba.thumbnail((texture_side, texture_side), Image.Resampling.BOX)
    texels = np.asarray(rgba, np.float32) / 255.0
    alpha = texels[..., 3:]
    return texels[..., :3] * alpha + under * (1.0 - alpha)


def find_texture(name: str, dirs: list[Path], root: Path) -> Path | None:
    """The first of ``dir/name`` and ``dir/basename`` over ``dirs`` that exists under ``root``;
    failing that, the same stem with another image suffix (a model naming a .jpg shipped as .png)."""
    found = _find_exact(name, dirs, root)
    stem, suffix = posixpath.splitext(name.replace("\\", "/"))
    for other in IMAGE_SUFFIXES:
        if found is not None:
            break
        if other != suffix.lower():
            found = _find_exact(stem + other, dirs, root)
    return found


def _find_exact(name: str, dirs: list[Path], root: Path) -> Path | None:
    clean = name.replace("\\", "/").strip()
    base = posixpath.basename(clean)
    root = absolute(root)  # as named, links not followed: a linked aircraft folder is inside the root
    for folder in dirs:
        for candidate in (clean, base) if clean and not clean.startswith("/") and ":" not in clean else (base,):
            if not candidate:
                continue
            path = absolute(folder / candidate)
            if path.is_file() and root in path.parents:
                return path
    return None
