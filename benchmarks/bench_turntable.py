"""Latency of a 36-view turntable from one image file, on this CPU.

    python benchmarks/bench_turntable.py [--repeats 20] [--threads 1]

Times, for each shipped pose model (and the default with ``+mirror``), the whole path a user
runs: load the image file (PNG, 64x64), predict all 36 rotations in one batch, and write the GIF
and contact sheet; and separately the prediction alone. Medians over ``--repeats`` runs after 3
untimed ones. Model loading is timed once on its own. Writes ``benchmarks/results/turntable.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the machine's 2 cores by default)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from PIL import Image

    from novelview.data.procedural import make_model
    from novelview.data.render import Renderer
    from novelview.generate import load_image, save_turntable, turntable
    from novelview.models.io import load_model, shipped_names

    torch.set_num_threads(args.threads)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        view = Renderer(make_model("car", 7, 0)).render_view(40.0)
        Image.fromarray(view).save(tmp / "car.png")
        installed = [n for n in ("default", "generalist", "pose_encoder", "pose_gan") if n in shipped_names()]
        # default+mirror: the same network run twice (the input and its mirror image), see models/mirror.py
        for name in installed + (["default+mirror"] if "default" in installed else []):
            t0 = time.perf_counter()
            model = load_model(name)
            load_s = time.perf_counter() - t0
            whole, predict_only = [], []
            for i in range(args.repeats + 3):
                t0 = time.perf_counter()
                rgb, _ = load_image(tmp / "car.png", 64)
                t1 = time.perf_counter()
                views = turntable(model, rgb)
                t2 = time.perf_counter()
                save_turntable(views, rgb, tmp / "out")
                t3 = time.perf_counter()
                if i >= 3:
                    whole.append(t3 - t0)
                    predict_only.append(t2 - t1)
            assert views.shape == (36, 64, 64, 3) and views.dtype == np.uint8
            results[name] = {
                "model_load_s": round(load_s, 4),
                "turntable_file_to_files_s_median": round(statistics.median(whole), 4),
                "predict_36_views_s_median": round(statistics.median(predict_only), 4),
                "repeats": args.repeats,
            }
    if not results:
        sys.exit("no shipped pose models are installed: nothing to time")
    out = {
        "benchmark": "turntable latency: image file -> 36 predicted views -> GIF + contact sheet",
        "command": f"python benchmarks/bench_turntable.py --repeats {args.repeats} --threads {args.threads}",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "torch": torch.__version__,
                    "torch_threads": args.threads, "loadavg": os.getloadavg()},
        "results": results,
    }
    path = ROOT / "benchmarks" / "results" / "turntable.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out["results"], indent=2))


if __name__ == "__main__":
    main()
