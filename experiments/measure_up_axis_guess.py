"""Would ``--up-axis auto`` be right often enough? A measurement, not a feature.

The candidate: the up axis is the signed axis along which the mesh's convex hull has the largest
flat base (hull faces whose outward normal points straight down, within about 11 degrees). A
variant weights that base by how low the surface's centroid sits above it. Each procedural model
(the first --models of each category, seed 7) is turned by one of the 24 axis-aligned rotations,
drawn at random, and the guess is right when it names the axis that was turned to +y.

    python experiments/measure_up_axis_guess.py [--models 100] [--out experiments/results/up_axis_guess.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import trimesh  # noqa: E402

from novelview.data import procedural  # noqa: E402
from novelview.data.sources.orientation import AXES  # noqa: E402

FLAT = 0.98  # cos of the angle within which a hull face counts as facing straight down


def axis_rotations() -> list[np.ndarray]:
    """The 24 rotations that map axes to axes."""
    found = []
    for order in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            matrix = np.zeros((3, 3))
            matrix[range(3), order] = signs
            if np.linalg.det(matrix) > 0:
                found.append(matrix)
    return found


def guess_up(vertices: np.ndarray, weight_by_low_centroid: bool) -> str:
    hull = trimesh.convex.convex_hull(vertices)
    centroid, low, high = vertices.mean(0), vertices.min(0), vertices.max(0)
    scores = {}
    for name, direction in AXES.items():
        up = np.asarray(direction, float)
        base = hull.area_faces[hull.face_normals @ -up > FLAT].sum()
        if weight_by_low_centroid:
            i = int(np.argmax(np.abs(up)))
            height = (centroid[i] - low[i]) if up[i] > 0 else (high[i] - centroid[i])
            base *= 1.0 - height / max(high[i] - low[i], 1e-9)
        scores[name] = base
    return max(scores, key=scores.get)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--out", default="experiments/results/up_axis_guess.json")
    args = parser.parse_args()
    rotations = axis_rotations()
    rng = np.random.default_rng(0)
    results = {}
    for variant in ("largest flat base", "largest flat base x low centroid"):
        right = {}
        for category in procedural.CATEGORIES:
            hits = 0
            for index in range(args.models):
                turn = rotations[rng.integers(len(rotations))]
                vertices = procedural.make_model(category, 7, index).vertices @ turn.T
                true_up = next(k for k, v in AXES.items() if np.allclose(turn @ [0, 1, 0], v))
                hits += guess_up(vertices, variant.endswith("centroid")) == true_up
            right[category] = hits / args.models
        right["all"] = float(np.mean(list(right.values())))
        results[variant] = right
        print(variant, right)
    report = {"command": "python " + " ".join(shlex.quote(a) for a in sys.argv), "models_per_category": args.models,
              "share_right": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
