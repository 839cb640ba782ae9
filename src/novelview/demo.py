"""The demo: render unseen procedural objects, run the shipped models, evaluate, and write a report.

Everything here calls the same library functions as the individual commands; nothing is
special-cased for the demo.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from novelview.atomic import save_image
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, render_dataset
from novelview.data.viewstore import ViewStore
from novelview.generate import generate_views, model_size
from novelview.images import composite_on_white, make_grid
from novelview.models.io import load_model, shipped_names

DEMO_MODELS = ("default", "autoencoder", "pose_encoder", "pose_gan")
# Seed 1 draws shapes the shipped models never saw (they were trained on seed 0).
DEMO_SEED = 1


def run_demo(out: str | Path, per_category: int = 6, max_pairs: int = 500, workers: int = 0,
             progress: bool = True) -> dict:
    """Writes ``out``/report.html and report.md (plus data/, eval/, turntables/); returns paths."""
    from novelview.evaluation.evaluate import evaluate
    from novelview.evaluation.report import write_report

    out = Path(out)
    started = time.time()
    models = [m for m in DEMO_MODELS if m in shipped_names()]
    if not models:
        from novelview.errors import NovelviewError

        raise NovelviewError("no shipped weights are installed: reinstall novelview (pip install -e .)")
    size = model_size(load_model(models[0]))
    data_dir = out / "data"
    job = RenderJob("procedural:all", data_dir, RenderSettings(size=size), models=per_category,
                    seed=DEMO_SEED, workers=workers, test_share=1.0, overwrite=True)
    render_dataset(job, progress=progress)
    results = evaluate(data_dir, list(models), out / "eval", split="test", pairs="all",
                       max_pairs=max_pairs, progress=progress)
    turntables = write_turntables(data_dir, [m for m in models if _turns_fully(m)], out / "turntables")
    seconds = time.time() - started
    command = f"novelview demo --out {out} --per-category {per_category} --max-pairs {max_pairs}"
    paths = write_report(out, out / "eval", results, turntables, {
        "data": str(data_dir), "models": models, "per_category": per_category, "seed": DEMO_SEED,
        "max_pairs": max_pairs, "seconds": seconds, "command": command,
    })
    return {"report_html": str(paths[0]), "report_md": str(paths[1]), "seconds": seconds}


def _turns_fully(name: str) -> bool:
    grid = load_model(name).supported_rotations()
    return grid is None or len(grid) > 1


def write_turntables(data_dir: Path, models: list[str], out: Path, source_azimuth_index: int = 4) -> list[dict]:
    """For one test object per category: a GIF whose frames show, side by side, the input view,
    the true view at each rotation, and each model's prediction (all from the one input, at
    elevation 0)."""
    store = ViewStore(data_dir)
    loaded = {name: load_model(name) for name in models}
    out.mkdir(parents=True, exist_ok=True)
    view_azimuths = store.view_azimuths()  # (models, elevations, azimuths): each view's exact azimuth
    chosen: dict[str, int] = {}
    for m in store.indices("test"):
        chosen.setdefault(store.categories[m], m)
    written = []
    for category, m in sorted(chosen.items()):
        views = composite_on_white(np.asarray(store.views[m, 0]))  # (A, H, W, 3)
        num = len(views)
        source = views[source_azimuth_index]
        # Each frame's true rotation, so that views rendered with azimuth jitter line up with the truth.
        azimuths = view_azimuths[m, 0]
        rotations = [float(azimuths[(source_azimuth_index + k) % num] - azimuths[source_azimuth_index]) % 360.0
                     for k in range(num)]
        predictions = {name: generate_views(model, source, rotations) for name, model in loaded.items()}
        frames = []
        for k in range(num):
            truth = views[(source_azimuth_index + k) % num]
            strip = make_grid([[source, truth] + [predictions[name][k] for name in models]])
            frames.append(Image.fromarray(strip).resize((strip.shape[1] * 2, strip.shape[0] * 2), Image.NEAREST))
        path = out / f"{category}.gif"
        save_image(frames[0], path, save_all=True, append_images=frames[1:], duration=120, loop=0)
        written.append({"category": category, "model_id": store.model_ids[m], "gif": str(path),
                        "columns": ["input", "truth", *models]})
    return written
