"""Photo preparation, the one path from a user's picture to a model input (generate, serve, API).

read (any format, upright) -> object mask (its own alpha, a mask file, or a cut-out of the
backdrop) -> framing as in the training renders -> (size, size, 3) uint8 RGB on white, with the
warnings (one line each) that say what may have gone wrong and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from novelview.atomic import save_image
from novelview.errors import NovelviewError
from novelview.images import composite_on_white
from novelview.photo.cutout import cut_out, mask_warnings
from novelview.photo.framing import Framing, fit_whole, frame_object
from novelview.photo.read import Picture, read_mask, read_picture


@dataclass
class PreparedPhoto:
    """The model input and how it was made."""

    image: np.ndarray  # (size, size, 3) uint8 RGB on white
    alpha: np.ndarray  # (H, W) float32 object mask at the picture's own size
    mask_source: str  # "alpha", "mask file", "cut-out" or "none (--keep-background)"
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    framing: Framing | None = None

    def cutout_preview(self, max_side: int = 256) -> np.ndarray:
        """The picture at most ``max_side`` a side with the background faded to white, for showing."""
        return _preview(self._rgb, self.alpha, max_side)

    _rgb: np.ndarray | None = field(default=None, repr=False, compare=False)


def prepare_photo(source, size: int = 64, mask=None, keep_background: bool = False, reframe: bool = True,
                  name: str | None = None) -> PreparedPhoto:
    """A path, bytes, PIL image or array -> ``PreparedPhoto``.

    ``mask``: a mask file (or an (H, W) array in [0, 1]) that marks the object, instead of a
    cut-out; ``keep_background``: feed the picture as it is (padded with white to a square);
    ``reframe=False``: remove the background but keep the picture's own framing.
    """
    picture = source if isinstance(source, Picture) else read_picture(source, name)
    rgba = picture.rgba
    rgb = np.ascontiguousarray(rgba[..., :3])
    h, w = rgb.shape[:2]
    warnings: list[str] = []
    if keep_background and mask is None:
        alpha = np.ones((h, w), np.float32)
        mask_source = "none (--keep-background)"
        # The whole picture is the "object": nothing to cut or to frame.
        image = fit_whole(rgb, alpha, size)
        if (h, w) != (size, size):
            picture.notices.append(f"resized the {w}x{h} image to the model's {size}x{size}")
        prepared = PreparedPhoto(image, alpha, mask_source, warnings, list(picture.notices))
        prepared._rgb = rgb
        return prepared
    if mask is not None:
        alpha = _mask_array(mask, (h, w))
        mask_source = "mask file"
        warnings += mask_warnings(alpha)
    elif picture.has_meaningful_alpha:
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        mask_source = "alpha"
        warnings += mask_warnings(alpha)
    else:
        cut = cut_out(rgb)
        alpha, mask_source = cut.alpha, "cut-out"
        warnings += cut.warnings
    framing = None
    picture.notices.append(f"resized the {w}x{h} image to the model's {size}x{size}"
                           + (" with the object framed as in training" if reframe else ""))
    if reframe:
        image, framing = frame_object(rgb, alpha, size)
    else:
        image = fit_whole(rgb, alpha, size)
    prepared = PreparedPhoto(image, alpha, mask_source, warnings, list(picture.notices), framing)
    prepared._rgb = rgb
    return prepared


def _mask_array(mask, shape: tuple[int, int]) -> np.ndarray:
    if isinstance(mask, np.ndarray):
        if mask.shape[:2] != shape:
            raise NovelviewError(f"the mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
                                 f"{shape[1]}x{shape[0]}: give a mask of the same size")
        alpha = mask.astype(np.float32)
        return np.clip(alpha / 255.0 if alpha.max(initial=0) > 1.0 else alpha, 0.0, 1.0)
    return read_mask(Path(mask), shape)


def _preview(rgb: np.ndarray, alpha: np.ndarray, max_side: int) -> np.ndarray:
    h, w = alpha.shape
    scale = min(1.0, max_side / max(h, w))
    rgba = np.dstack([rgb, np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)])
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgba = np.asarray(Image.fromarray(rgba).resize(size, Image.BILINEAR))
    # Faded, not removed: what was cut away shows at 15% so a wrong cut is easy to see.
    faded = rgba.copy()
    faded[..., 3] = np.maximum(rgba[..., 3], 38)
    return composite_on_white(faded)


def save_prepared(prepared: PreparedPhoto, out: Path, stem: str) -> Path:
    """Write the model's input beside the outputs: ``stem``_input.png."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}_input.png"
    save_image(Image.fromarray(prepared.image), path)
    return path
