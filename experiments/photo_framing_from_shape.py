"""Can a photo's silhouette tell how the renderer would have framed the object? A study, not a feature.

The photo-to-clean gap of ``bench_photo.py`` is the framing (``photo_framing_gap.py``): a render is
scaled by the object's 3D bounding sphere, which one photo does not show, so ``novelview.photo``
uses fixed constants. Here the silhouette itself predicts the render's enclosing-circle diameter
and circle centre (shares of the frame):

- features: the mask normalised by its smallest enclosing circle, on a 24x24 grid (a large photo
  mask is first shrunk by area to the renders' size, so that photos and renders look alike);
- learnt from the training renders of two rendered sets (every third azimuth, every elevation);
- two predictors: the median of the K nearest training silhouettes, and a small MLP;
- scored on the validation models of the first set (errors of the diameter and centre), then end
  to end as ``photo_framing_gap.py`` does: the default model's L1 from the photo (true mask) with
  the fixed constants and with each predictor, as a ratio of L1 from the clean render.

    OMP_NUM_THREADS=2 python experiments/photo_framing_from_shape.py data/library/sh3d data/library/procedural \
        [--per-category 4] [--out experiments/results/photo_framing_from_shape.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import novelview.photo.prepare as prepare  # noqa: E402
from bench_photo import ROTATIONS, l1, views_of  # noqa: E402
from photo_scenes import photo_like  # noqa: E402

from novelview.generate import generate_views  # noqa: E402
from novelview.models.io import load_model  # noqa: E402
from novelview.photo import framing, prepare_photo  # noqa: E402

GRID = 24
RENDER_RADIUS = framing.ENCLOSING_DIAMETER * 64 / 2  # an object's circle radius in a 64 px render


def silhouette_features(alpha: np.ndarray):
    """(GRID*GRID features, (cx, cy, r) of the enclosing circle in the mask's pixels), or None."""
    solid = (alpha > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(solid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    points = np.concatenate([c.reshape(-1, 2) for c in contours]).astype(np.float32)
    (cx, cy), r = cv2.minEnclosingCircle(points)
    cx, cy, r = cx + 0.5, cy + 0.5, max(r + 0.5, 0.5)
    mask, shrink = alpha.astype(np.float32), 1.0
    if r > 1.5 * RENDER_RADIUS:  # a photo's mask is far larger than a render's: shrink it alike first
        size = (max(1, round(mask.shape[1] * RENDER_RADIUS / r)), max(1, round(mask.shape[0] * RENDER_RADIUS / r)))
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
        shrink = mask.shape[1] / alpha.shape[1]
    zoom = GRID / (2 * r * shrink)
    matrix = np.float32([[zoom, 0, GRID / 2 - cx * shrink * zoom], [0, zoom, GRID / 2 - cy * shrink * zoom]])
    flags = cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(mask, matrix, (GRID, GRID), flags=flags).ravel(), (cx, cy, r)


def rendered_examples(folder: Path, part: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and (diameter, cx, cy) as shares of the frame, of every third azimuth of ``part``."""
    views = np.load(folder / "views.npy", mmap_mode="r")
    size = views.shape[3]
    features, frames = [], []
    for model in json.loads((folder / "split.json").read_text())[part]:
        alphas = np.asarray(views[model, :, ::3, :, :, 3]).astype(np.float32) / 255
        for alpha in alphas.reshape(-1, size, size):
            found = silhouette_features(alpha)
            if found:
                features.append(found[0])
                cx, cy, r = found[1]
                frames.append((2 * r / size, cx / size, cy / size))
    return torch.tensor(np.array(features)), torch.tensor(np.array(frames, np.float32))


def fit_mlp(x: torch.Tensor, frames: torch.Tensor, hidden: int = 64, epochs: int = 30) -> torch.nn.Module:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                              torch.nn.ReLU(), torch.nn.Linear(hidden, 3))
    optimiser = torch.optim.Adam(net.parameters(), 1e-3, weight_decay=1e-5)
    target = torch.stack([frames[:, 0].log(), frames[:, 1] - 0.5, frames[:, 2] - 0.5], 1)
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), 256):
            batch = order[i:i + 256]
            loss = (net(x[batch]) - target[batch]).abs().mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return net


def predictors(x: torch.Tensor, frames: torch.Tensor, k: int):
    net = fit_mlp(x, frames)

    def nearest(features: torch.Tensor) -> torch.Tensor:
        index = torch.cdist(features, x).topk(k, largest=False).indices
        return frames[index].median(dim=1).values

    @torch.no_grad()
    def mlp(features: torch.Tensor) -> torch.Tensor:
        out = net(features)
        return torch.stack([out[:, 0].exp(), out[:, 1] + 0.5, out[:, 2] + 0.5], 1)

    return {f"nearest {k}": nearest, "mlp": mlp}


def errors(predict, features: torch.Tensor, frames: torch.Tensor) -> dict:
    guess = predict(features)
    relative = ((guess[:, 0] - frames[:, 0]) / frames[:, 0]).abs()
    centre_px = ((guess[:, 1:] - frames[:, 1:]) * 64).norm(dim=1)
    return {"diameter_rel_error_median": round(float(relative.median()), 4),
            "diameter_rel_error_mean": round(float(relative.mean()), 4),
            "centre_error_px_median": round(float(centre_px.median()), 3)}


def framed_by(predict):
    """A replacement for framing.frame_object that frames by the predicted diameter and centre."""

    def frame(rgb, alpha, size):
        features, (cx, cy, r) = silhouette_features(alpha)
        diameter, fx, fy = predict(torch.tensor(features)[None])[0].tolist()
        side = size / (diameter * size / (2 * r))
        return framing._resample(rgb, alpha, cx - fx * side, cy - fy * side, side, size), None

    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, help="rendered sets; the first gives the validation models")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--per-category", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("experiments/results/photo_framing_from_shape.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    learnt = [rendered_examples(folder, "train") for folder in args.sets]
    x, frames = torch.cat([f for f, _ in learnt]), torch.cat([y for _, y in learnt])
    val_x, val_frames = rendered_examples(args.sets[0], "val")
    ways = {"fixed": lambda f: torch.tensor([[framing.ENCLOSING_DIAMETER, 0.5, 0.5]]).expand(len(f), 3),
            **predictors(x, frames, args.k)}
    result = {"training_silhouettes": len(x), "validation_silhouettes": len(val_x),
              "validation": {name: errors(p, val_x, val_frames) for name, p in ways.items() if name != "fixed"}}
    model = load_model("default")
    scores: dict[str, list[float]] = {"clean": [], "fixed": [], **{name: [] for name in ways if name != "fixed"}}
    standard = prepare.frame_object
    for case, (*_, elevation, high, clean, targets) in enumerate(
            views_of("sh3d", args.per_category, np.random.default_rng(23))):
        jpeg, alpha = photo_like(high, "plain", 768, 1024, 0.6, seed=case)
        inputs = {"clean": clean, "fixed": prepare_photo(jpeg, 64, mask=alpha).image}
        for name, predict in ways.items():
            if name != "fixed":
                prepare.frame_object = framed_by(predict)
                inputs[name] = prepare_photo(jpeg, 64, mask=alpha).image
                prepare.frame_object = standard
        for name, image in inputs.items():
            views = generate_views(model, image, ROTATIONS, elevation, elevation)
            scores[name].append(float(np.mean([l1(v, t) for v, t in zip(views, targets)])))
    clean = float(np.mean(scores["clean"]))
    result["end_to_end"] = {"pictures": len(scores["clean"]),
                            **{name: {"l1": round(float(np.mean(s)), 4), "vs_clean": round(float(np.mean(s)) / clean, 3)}
                               for name, s in scores.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
