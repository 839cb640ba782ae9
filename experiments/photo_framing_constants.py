"""The framing constants of novelview.photo.framing, measured on a rendered data set.

For the training models of a data set (up to --models), every elevation and every third azimuth:
the smallest enclosing circle's diameter and the bounding box's centre, as shares of the frame
(alpha > 0.5). Prints their medians, the circle's coefficient of variation and the RMS deviation
of the box centre from its median, in pixels of the frame: how far a fixed framing can be off.

    python experiments/photo_framing_constants.py data/library/sh3d data/library/procedural
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from novelview.photo.framing import enclosing_circle, object_box


def measure(folder: Path, models: int) -> dict:
    views = np.load(folder / "views.npy", mmap_mode="r")
    train = json.loads((folder / "split.json").read_text())["train"][:models]
    size = views.shape[-2]
    diameters, centres = [], []
    for i in train:
        for e in range(views.shape[1]):
            for a in range(0, views.shape[2], 3):
                alpha = views[i, e, a, :, :, 3].astype(np.float32) / 255.0
                if (alpha > 0.5).sum() < 4:
                    continue
                diameters.append(2 * enclosing_circle(alpha)[2] / size)
                x0, y0, x1, y1 = object_box(alpha)
                centres.append(((x0 + x1) / 2 / size, (y0 + y1) / 2 / size))
    d, c = np.array(diameters), np.array(centres)
    centre = np.median(c, axis=0)
    return {"data": str(folder), "views": len(d), "enclosing_diameter_median": round(float(np.median(d)), 3),
            "enclosing_diameter_cv": round(float(d.std() / d.mean()), 3),
            "box_centre_median": [round(float(v), 3) for v in centre],
            "box_centre_rms_px": [round(float(v), 2) for v in np.sqrt(((c - centre) ** 2).mean(axis=0)) * size]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", type=Path)
    parser.add_argument("--models", type=int, default=200)
    args = parser.parse_args()
    for folder in args.data:
        print(json.dumps(measure(folder, args.models)))


if __name__ == "__main__":
    main()
