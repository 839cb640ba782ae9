"""Photo preparation and `novelview serve`, measured against the issue-23 targets.

    OMP_NUM_THREADS=2 python benchmarks/bench_photo.py [--objects sh3d|procedural] [--per-category 4] [--model default]
        [--out benchmarks/results/photo]

Photo-like pictures are made from renders of unseen real objects: a seeded choice of the Sweet Home
3D library's shipped test split (``--objects sh3d``, the default: models no shipped weight trained
on), or unseen procedural ones (``--objects procedural``: seed 1, indices 6..; no shipped model saw
seed 1), rendered at 512 px and resized into the picture (``photo_scenes.py``): backdrops plain, vertical gradient, plain with a soft cast shadow, busy
texture; sensor noise (sigma 3) and JPEG q85; the object's longer side 30-90% of the shorter
picture side, off-centre; 256x256 and 1024x768. Writes cases.csv and results.json.

- mask IoU against the rendered alpha (> 0.5), at the picture's resolution;
- busy texture: the share of cases that warn that the background is not plain enough;
- end to end: the model's (``--model``, a shipped name or an export folder) L1 ([-1, 1]) against the clean 64 px render of the target view,
  from the prepared photo and from the clean 64 px render of the same source view (rotations
  30..330 every 60 degrees, at the source's elevation);
- speed on 2 threads: preparing a 1024x768 JPEG (decode included), one slider move in the app
  (``serve.draw_view``), a 36-frame turntable with its GIF (``serve.make_turntable``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from photo_scenes import BACKDROPS, RENDER_SIZE, photo_like  # noqa: E402

from novelview.data.procedural import make_model  # noqa: E402
from novelview.data.render import Renderer, RenderSettings  # noqa: E402
from novelview.data.sources import load_model as load_surface_of  # noqa: E402
from novelview.data.split import shipped_split  # noqa: E402
from novelview.data.store import RenderJob  # noqa: E402
from novelview.generate import generate_views  # noqa: E402
from novelview.images import composite_on_white  # noqa: E402
from novelview.models.io import load_model  # noqa: E402
from novelview.photo import prepare_photo  # noqa: E402

SIZES = ((256, 256), (768, 1024))
ROTATIONS = (30.0, 90.0, 150.0, 210.0, 270.0, 330.0)
TARGETS = {"iou_plain": 0.92, "iou_gradient": 0.92, "iou_shadow": 0.85, "l1_ratio": 1.15,
           "prepare_1024x768_s": 0.5, "slider_move_s": 0.150, "turntable_36_s": 1.5}


def l1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 127.5)


def unseen_objects(kind: str, per_category: int, rng: np.random.Generator):
    """(category, name, Surface) of unseen objects: the sh3d shipped test split (a seeded choice of
    ``per_category`` models from each of three catalogue categories), or procedural seed 1."""
    if kind == "procedural":
        for category in ("car", "chair", "mug"):
            for index in range(6, 6 + per_category):
                yield category, str(index), make_model(category, 1, index)
        return
    test = {m for m, part in shipped_split("sh3d:").items() if part == "test"}
    refs = [ref for ref in RenderJob("sh3d::objects", Path("unused")).oriented_models() if ref.model_id in test]
    for category in ("Living room", "Kitchen", "Vehicles"):
        group = [ref for ref in refs if ref.info.get("catalog_category") == category]
        for i in sorted(rng.choice(len(group), min(per_category, len(group)), replace=False)):
            loaded = load_surface_of(group[i])
            yield category, group[i].model_id, loaded.surface


def views_of(kind: str, per_category: int, rng: np.random.Generator):
    """(category, name, azimuth, elevation, 512 px RGBA, clean 64 px source, clean 64 px targets)."""
    high, low = RenderSettings(size=RENDER_SIZE, supersample=2), RenderSettings()
    for category, index, surface in unseen_objects(kind, per_category, rng):
        hi, lo = Renderer(surface, high), Renderer(surface, low)
        for _ in range(2):
            azimuth, elevation = float(rng.integers(0, 36) * 10), float(rng.choice([0, 10, 20, 30]))
            targets = [composite_on_white(lo.render_view(azimuth + r, elevation)) for r in ROTATIONS]
            yield (category, index, azimuth, elevation, hi.render_view(azimuth, elevation),
                   composite_on_white(lo.render_view(azimuth, elevation)), np.stack(targets))


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", choices=("sh3d", "procedural"), default="sh3d")
    parser.add_argument("--per-category", type=int, default=4)
    parser.add_argument("--model", default="default", help="a shipped model's name or an export folder")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/photo"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    model = load_model(args.model)
    rng = np.random.default_rng(23)
    rows, speed_photo = [], None
    for case, (category, index, azimuth, elevation, hi, clean, targets) in enumerate(views_of(args.objects, args.per_category, rng)):
        clean_views = generate_views(model, clean, ROTATIONS, elevation, elevation)
        clean_l1 = float(np.mean([l1(v, t) for v, t in zip(clean_views, targets)]))
        for kind in BACKDROPS:
            for h, w in SIZES:
                fraction = float(rng.uniform(0.3, 0.9))
                jpeg, alpha = photo_like(hi, kind, h, w, fraction, seed=case * 100 + len(rows))
                if (h, w) == (768, 1024) and speed_photo is None:
                    speed_photo = jpeg
                prepared = prepare_photo(jpeg, 64)
                found, truth = prepared.alpha > 0.5, alpha > 0.5
                row = {"category": category, "index": index, "azimuth": azimuth, "elevation": elevation,
                       "backdrop": kind, "size": f"{w}x{h}", "fraction": round(fraction, 3),
                       "iou": round(float((found & truth).sum() / max((found | truth).sum(), 1)), 4),
                       "warned_not_plain": any("not plain enough" in x for x in prepared.warnings),
                       "warnings": " | ".join(prepared.warnings), "clean_l1": round(clean_l1, 5)}
                if kind != "busy":
                    views = generate_views(model, prepared.image, ROTATIONS, elevation, elevation)
                    row["photo_l1"] = round(float(np.mean([l1(v, t) for v, t in zip(views, targets)])), 5)
                rows.append(row)
        print(f"case {case}: {category} {index} az {azimuth:g} el {elevation:g} done", flush=True)
    results = summarise(rows)
    results["speed_s"] = speeds(speed_photo, args.model)
    results["targets"] = TARGETS
    results["objects"] = args.objects
    results["model"] = args.model
    results["command"] = (f"OMP_NUM_THREADS=2 python benchmarks/bench_photo.py --objects {args.objects} "
                          f"--per-category {args.per_category} --model {args.model} --out {args.out}")
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "cases.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()) + ["photo_l1"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def summarise(rows: list[dict]) -> dict:
    out: dict = {"cases": len(rows), "iou": {}, "busy_warned_share": None, "l1": {}}
    for kind in BACKDROPS:
        mine = [r for r in rows if r["backdrop"] == kind]
        ious = np.array([r["iou"] for r in mine])
        out["iou"][kind] = {"mean": round(float(ious.mean()), 4), "median": round(float(np.median(ious)), 4),
                            "min": round(float(ious.min()), 4), "cases": len(mine),
                            **{size: round(float(np.mean([r["iou"] for r in mine if r["size"] == size])), 4)
                               for size in ("256x256", "1024x768")}}
        if kind == "busy":
            out["busy_warned_share"] = float(np.mean([r["warned_not_plain"] for r in mine]))
        else:
            photo = float(np.mean([r["photo_l1"] for r in mine]))
            clean = float(np.mean([r["clean_l1"] for r in mine]))
            out["l1"][kind] = {"photo": round(photo, 5), "clean": round(clean, 5), "ratio": round(photo / clean, 4)}
    out["false_not_plain_warnings"] = int(sum(r["warned_not_plain"] for r in rows if r["backdrop"] != "busy"))
    return out


def speeds(photo_jpeg: bytes, model: str) -> dict:
    from novelview.serve import draw_view, make_turntable, prepare_upload  # noqa: F401 (the app's own functions)

    state = prepare_photo(photo_jpeg, 64).image
    draw_view(state, 10, 0, model)  # load the model into the app's cache
    azimuths = iter(range(1, 10_000))
    return {
        "prepare_1024x768": round(timed(lambda: prepare_photo(photo_jpeg, 64), 15), 4),
        "slider_move": round(timed(lambda: draw_view(state, next(azimuths), 15, model), 30), 4),
        "turntable_36_with_gif": round(timed(lambda: make_turntable(state, 15, model), 5), 4),
    }


if __name__ == "__main__":
    main()
