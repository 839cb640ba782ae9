"""Where the photo-to-clean L1 gap of bench_photo.py comes from: the cut-out or the framing.

For unseen real objects (the Sweet Home 3D test split, as bench_photo.py picks them), one
photo-like picture each (plain backdrop, 1024x768, the object at 60% of the frame) is prepared
four ways and turned by a model (``--model``, the default by default), L1 against the clean
renders of the target views:

- clean: the clean 64 px render itself (the reference);
- cut-out: as ``generate`` does it;
- true mask: the rendered alpha instead of the cut-out, framed by the fixed constants;
- true frame: the true mask, scaled and centred with the clean render's own enclosing circle and
  box centre (what a photo cannot tell: the renderer frames the 3D bounding sphere).

    OMP_NUM_THREADS=2 python experiments/photo_framing_gap.py [--per-category 2] [--threads 2] [--model default]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import novelview.photo.framing as framing  # noqa: E402
from bench_photo import ROTATIONS, l1, views_of  # noqa: E402
from photo_scenes import photo_like  # noqa: E402

from novelview.generate import generate_views  # noqa: E402
from novelview.models.io import load_model  # noqa: E402
from novelview.photo import prepare_photo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-category", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="default", help="a shipped model's name or an export folder")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    fixed = (framing.ENCLOSING_DIAMETER, framing.CENTRE_X, framing.CENTRE_Y)
    scores: dict[str, list[float]] = {"clean": [], "cut-out": [], "true mask": [], "true frame": []}
    for case, (_, _, _, elevation, hi, clean, targets) in enumerate(
            views_of("sh3d", args.per_category, np.random.default_rng(23))):
        jpeg, alpha = photo_like(hi, "plain", 768, 1024, 0.6, seed=case)
        solid = (np.abs(clean.astype(int) - 255).sum(axis=2) > 30).astype(np.float32)
        _, _, radius = framing.enclosing_circle(solid)
        x0, y0, x1, y1 = framing.object_box(solid)
        inputs = {"clean": clean, "cut-out": prepare_photo(jpeg, 64).image,
                  "true mask": prepare_photo(jpeg, 64, mask=alpha).image}
        framing.ENCLOSING_DIAMETER, framing.CENTRE_X, framing.CENTRE_Y = 2 * radius / 64, (x0 + x1) / 128, (y0 + y1) / 128
        inputs["true frame"] = prepare_photo(jpeg, 64, mask=alpha).image
        framing.ENCLOSING_DIAMETER, framing.CENTRE_X, framing.CENTRE_Y = fixed
        for name, image in inputs.items():
            views = generate_views(model, image, ROTATIONS, elevation, elevation)
            scores[name].append(float(np.mean([l1(v, t) for v, t in zip(views, targets)])))
    clean = float(np.mean(scores["clean"]))
    print(json.dumps({"pictures": len(scores["clean"]), **{name: {"l1": round(float(np.mean(s)), 4),
                      "vs_clean": round(float(np.mean(s)) / clean, 3)} for name, s in scores.items()}}))


if __name__ == "__main__":
    main()
