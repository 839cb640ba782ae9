"""Background removal without weights: a smooth model of the border colour seeds OpenCV's GrabCut.

The models were trained on objects drawn on white, so a photo's backdrop has to go. Photos of an
object usually have a backdrop that is plain or varies slowly (a wall, a paper sweep, a gradient,
a vignette), so the border of the picture tells what the background looks like:

1. At most ``WORK_SIDE`` pixels a side, fit each colour channel over a border strip with a
   low-order polynomial in x and y (quadratic across, cubic down: gradients, vignettes and
   uneven light), robustly (pixels of an object that touches the edge are dropped and refitted).
2. How far each pixel is from that model, in units of the border's own scatter (sensor noise,
   JPEG), seeds GrabCut: the border strip is sure background, far pixels probable object, near
   ones probable background; a pixel darker than the model but of the same hue (a cast shadow)
   counts as probable background.
3. The mask is cleaned: its largest component plus what touches it, holes filled unless they
   look like the backdrop (the gap between a chair's legs stays open).

How plain the border is becomes a warning when it is too busy for this to work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

WORK_SIDE = 256  # GrabCut's cost grows with the pixel count; the mask is upsampled afterwards
BORDER_SHARE = 0.04  # the strip along each edge that models the background
GRABCUT_ITERATIONS = 4
# Median distance (0..255 RGB units) of border pixels from the smooth model above which the
# backdrop is too busy for a clean cut: sensor noise and JPEG q85 give 2-6, busy textures 20+.
PLAIN_BORDER_LIMIT = 12.0
# A shadow's darkening is smooth: the colour ratio's fine detail (what a 1-pixel blur removes)
# stays under this (or the backdrop's noise, when larger), as an RMS over SHADOW_WINDOW pixels.
SHADOW_WINDOW = 5
SHADOW_ROUGHNESS = 0.01
TINY_MASK_SHARE = 0.005
FULL_MASK_SHARE = 0.95


@dataclass
class Cutout:
    """(H, W) float32 alpha in [0, 1] at the picture's size, and what the user should know."""

    alpha: np.ndarray
    border_error: float  # median distance of border pixels from the smooth background model
    warnings: list[str] = field(default_factory=list)


def _design(h: int, w: int) -> np.ndarray:
    """Polynomial terms at each pixel: (h*w, 8); x, y in [-1, 1]."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x = x.ravel() / max(w - 1, 1) * 2 - 1
    y = y.ravel() / max(h - 1, 1) * 2 - 1
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y, y * y * y, x * x * y], axis=1)


def border_strip(h: int, w: int) -> np.ndarray:
    """(h, w) bool: the strip of width ``BORDER_SHARE`` of the shorter side (at least 2 px)."""
    band = max(2, int(round(BORDER_SHARE * min(h, w))))
    strip = np.zeros((h, w), bool)
    strip[:band], strip[-band:], strip[:, :band], strip[:, -band:] = True, True, True, True
    return strip


def background_model(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(h, w, 3) float32 image -> (h, w, 3) predicted smooth background, its polynomial
    coefficients (8, 3) and the median distance of the border pixels from it (how plain it is)."""
    h, w = rgb.shape[:2]
    terms = _design(h, w)
    strip = border_strip(h, w).ravel()
    colours = rgb.reshape(-1, 3)
    use = strip.copy()
    for _ in range(3):  # refit without the border pixels that an object touching the edge covers
        coef, *_ = np.linalg.lstsq(terms[use], colours[use], rcond=None)
        distance = np.linalg.norm(colours - terms @ coef, axis=1)
        scatter = float(np.median(distance[strip]))
        keep = strip & (distance <= max(3.0 * scatter, 6.0))
        if keep.sum() < 0.5 * strip.sum() or np.array_equal(keep, use):
            break
        use = keep
    return (terms @ coef).reshape(h, w, 3).astype(np.float32), coef, scatter


def _terms_at(xs: np.ndarray, ys: np.ndarray, h: int, w: int) -> np.ndarray:
    """The polynomial terms of ``_design`` at pixel coordinates of an (h, w) picture."""
    x = xs.astype(np.float32) / max(w - 1, 1) * 2 - 1
    y = ys.astype(np.float32) / max(h - 1, 1) * 2 - 1
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y, y * y * y, x * x * y], axis=1)


def _shadow_like(rgb: np.ndarray, background: np.ndarray, border_error: float) -> tuple[np.ndarray, np.ndarray]:
    """(pixels darker than the background model by 3-60% with its hue, those of them whose
    darkening varies smoothly). The first may be a cast shadow; the second most likely is. Hue
    alone is not enough: a grey or beige object on a lighter backdrop of its hue (a wooden board
    on cream) has the same ratio, but its grain, print and outline make the ratio vary from pixel
    to pixel, which a blurred shadow does not (except within a few pixels of the object)."""
    bg = np.maximum(background, 8.0)
    ratio = rgb / bg
    mean = ratio.mean(axis=2)
    spread = np.abs(ratio - mean[..., None]).max(axis=2)
    # Roughness: what is left after a slight blur (a shadow's soft edge is a slope and leaves
    # almost nothing), its energy over a small window.
    detail = mean - cv2.GaussianBlur(mean, (0, 0), 1.0)
    # The backdrop's own noise passes that filter too: in ratio units it is about border_error /
    # (2.7 x brightness) (a median RGB distance, averaged over channels); allow three times it.
    limit = max(SHADOW_ROUGHNESS, 1.1 * border_error / max(float(np.median(bg)), 8.0))
    smooth = cv2.blur(detail * detail, (SHADOW_WINDOW, SHADOW_WINDOW)) < limit**2
    hue_shadow = (mean > 0.4) & (mean < 0.97) & (spread < 0.06)
    return hue_shadow, hue_shadow & smooth


def grabcut_mask(small_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(h, w, 3) uint8 at most ``WORK_SIDE`` a side -> (h, w) bool object mask, the background
    model's coefficients, the border error and the (h, w) bool shadow-like pixels."""
    rgb = small_rgb.astype(np.float32)
    background, coef, border_error = background_model(rgb)
    maybe_shadow, shadow = _shadow_like(rgb, background, border_error)
    distance = np.linalg.norm(rgb - background, axis=2)
    noise = max(1.5 * border_error, 4.0)
    seeds = np.full(distance.shape, cv2.GC_PR_BGD, np.uint8)
    seeds[distance > 4.0 * noise] = cv2.GC_PR_FGD
    seeds[(distance > 10.0 * noise) & ~maybe_shadow] = cv2.GC_FGD  # rough shadow-hued: probable, GrabCut decides
    seeds[shadow & (seeds == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD
    seeds[border_strip(*distance.shape) & (distance < 3.0 * noise)] = cv2.GC_BGD
    # Within the backdrop's own scatter of its model: backdrop, wherever it is (GrabCut's smoothing
    # would otherwise close the gaps between a chair's slats and legs).
    seeds[distance < 1.5 * noise] = cv2.GC_BGD
    if not (seeds == cv2.GC_FGD).any() and not (seeds == cv2.GC_PR_FGD).any():
        return np.zeros(distance.shape, bool), coef, border_error, shadow  # nothing stands out from the backdrop
    if (seeds == cv2.GC_BGD).sum() + (seeds == cv2.GC_PR_BGD).sum() < 16:
        return seeds != cv2.GC_BGD, coef, border_error, shadow
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(small_rgb, seeds, None, bgd_model, fgd_model, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # too few samples of one class for its colour model: keep the seeds' answer
        pass
    mask = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
    return clean_mask(mask, distance > 2.0 * noise), coef, border_error, shadow


def clean_mask(mask: np.ndarray, unlike_background: np.ndarray | None = None, reach: int = 2) -> np.ndarray:
    """The largest component plus every component within ``reach`` pixels of it, with holes filled;
    a hole stays open where most of it looks like the backdrop (``unlike_background`` False)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros_like(mask, bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    near = cv2.dilate((labels == largest).astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8)) > 0
    kept = np.unique(labels[near & mask])
    cleaned = np.isin(labels, kept[kept > 0])
    # Holes: background components that do not touch the image border.
    holes_count, holes, hole_stats, _ = cv2.connectedComponentsWithStats((~cleaned).astype(np.uint8), connectivity=4)
    edge_labels = set(np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]])).tolist())
    for label in range(1, holes_count):
        if label in edge_labels:
            continue
        hole = holes == label
        if unlike_background is None or hole_stats[label, cv2.CC_STAT_AREA] <= 4 or unlike_background[hole].mean() > 0.5:
            cleaned |= hole
    return cleaned


def cut_out(rgb: np.ndarray) -> Cutout:
    """(H, W, 3) uint8 photo -> ``Cutout`` (alpha at full size) with one-line warnings."""
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = rgb if scale == 1.0 else cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                interpolation=cv2.INTER_AREA)
    mask, coef, border_error, shadow = grabcut_mask(np.ascontiguousarray(small))
    soft = mask.astype(np.float32)
    if soft.shape != (h, w):
        soft = cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR)
    if mask.any() and scale < 0.5:
        soft = refine_edges(rgb, soft, coef, shadow, reach=max(1, int(np.ceil(1.0 / scale))))
    warnings = []
    if border_error > PLAIN_BORDER_LIMIT:
        warnings.append(f"the background is not plain enough for a clean cut-out (its border varies by "
                        f"{border_error:.0f}/255 from a smooth backdrop; up to {PLAIN_BORDER_LIMIT:.0f} works): "
                        "use a plainer background, --mask FILE, or --keep-background")
    return Cutout(np.clip(soft, 0.0, 1.0), border_error, warnings + mask_warnings(soft))


def refine_edges(rgb: np.ndarray, soft: np.ndarray, coef: np.ndarray, shadow: np.ndarray, reach: int) -> np.ndarray:
    """Redraw the mask's edge at the picture's own resolution: within ``reach`` pixels of the
    upsampled edge, alpha follows each pixel's distance from the background model (thin legs
    lost at GrabCut's resolution come back; edges get anti-aliased). ``shadow``, at the working
    size, marks the cast shadow, which stays background."""
    h, w = soft.shape
    solid = (soft > 0.5).astype(np.uint8)
    kernel = np.ones((2 * reach + 1,) * 2, np.uint8)
    band = (cv2.dilate(solid, kernel) > 0) & ~(cv2.erode(solid, kernel) > 0)
    ys, xs = np.nonzero(band)
    colours = rgb[ys, xs].astype(np.float32)
    background = _terms_at(xs, ys, h, w) @ coef
    distance = np.linalg.norm(colours - background, axis=1)
    # The scatter at full resolution (noise is not averaged away as at GrabCut's size), from the border.
    strip_y, strip_x = np.nonzero(border_strip(h, w)[:: max(1, h // 256), :: max(1, w // 256)])
    strip_y, strip_x = strip_y * max(1, h // 256), strip_x * max(1, w // 256)
    border = np.linalg.norm(rgb[strip_y, strip_x].astype(np.float32) - _terms_at(strip_x, strip_y, h, w) @ coef, axis=1)
    noise = max(1.5 * float(np.median(border)), 4.0)
    alpha = np.clip((distance - 3.0 * noise) / (2.0 * noise), 0.0, 1.0)
    sh, sw = shadow.shape
    alpha[shadow[np.minimum(ys * sh // h, sh - 1), np.minimum(xs * sw // w, sw - 1)]] = 0.0
    refined = soft.copy()
    refined[ys, xs] = alpha
    return refined


def mask_warnings(alpha: np.ndarray) -> list[str]:
    """Warnings about a mask however it was made: it touches the image edge, is tiny or is everything."""
    solid = alpha > 0.5
    share = float(solid.mean())
    if share < TINY_MASK_SHARE:
        return [f"the object mask is tiny ({share:.1%} of the image): nothing stands out from the background; "
                "give a closer photo, --mask FILE, or --keep-background"]
    if share > FULL_MASK_SHARE:
        return [f"the object mask covers nearly everything ({share:.0%} of the image): the background could not "
                "be told apart; use a plainer background, --mask FILE, or --keep-background"]
    sides = [name for name, edge in (("top", solid[0]), ("bottom", solid[-1]), ("left", solid[:, 0]),
                                     ("right", solid[:, -1])) if edge.mean() > 0.01]
    if sides:
        return [f"the object touches the image edge ({', '.join(sides)}): it may be cut off; "
                "photograph it with a margin all round"]
    return []
