"""Evaluation throughput (pairs per second) of the pose encoder, median of several runs.

    python benchmarks/bench_evaluate.py [--data DIR] [--max-pairs N] [--runs 3] [--threads 1]

Uses ``data/procedural`` (read only) when it exists, else renders procedural:all with 20 models per
category at 64x64 into a temporary folder. Uses the shipped ``pose_encoder`` weights when installed,
else an untrained model (the throughput does not depend on the weights). Each run is a full
``novelview.evaluation.evaluate.evaluate`` call (from_zero pairs of the test split); the figure is the
model's pairs / second over its scoring loop (reads, predictions, every metric including pose and
identity accuracy), and the whole call's wall time (the baselines too) is recorded beside it.
Writes ``benchmarks/results/evaluate.json``.
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

from machine import cpu_name  # benchmarks/machine.py, beside this script

ROOT = Path(__file__).resolve().parent.parent


def _machine() -> dict:
    import numpy
    import torch
    import torchmetrics

    cpu = cpu_name()
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torchmetrics": torchmetrics.__version__,
        "numpy": numpy.__version__,
        "cuda": torch.cuda.is_available(),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="a finished data set folder (default: "
                        "data/procedural if present, else a rendered temporary one)")
    parser.add_argument("--max-pairs", type=int, default=None, help="subsample the test pairs (seeded)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: shared machine)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "evaluate.json")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset
    from novelview.evaluation.evaluate import evaluate
    from novelview.models import build_model
    from novelview.models.io import save_model, shipped_names

    machine = _machine()
    with tempfile.TemporaryDirectory(prefix="nv_bench_eval_") as tmp:
        tmp = Path(tmp)
        data_dir = args.data
        rendered = None
        if data_dir is None:
            default = ROOT / "data" / "procedural"
            if (default / "views.npy").exists():
                data_dir = default
            else:
                data_dir = tmp / "data"
                t0 = time.perf_counter()
                render_dataset(RenderJob("procedural:all", data_dir, RenderSettings(size=64), models=20, seed=0,
                                         workers=1), progress=False)
                rendered = {"source": "procedural:all", "models_per_category": 20, "size": 64,
                            "seconds": round(time.perf_counter() - t0, 1)}
        if "pose_encoder" in shipped_names():
            spec, weights = "pose_encoder", "shipped pose_encoder weights"
        else:
            torch.manual_seed(0)
            spec = str(save_model(build_model("pose_encoder"), tmp / "pose_encoder"))
            weights = "untrained pose_encoder (no shipped weights installed; throughput does not depend on training)"

        runs = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            res = evaluate(data_dir, [spec], tmp / f"out{i}", split="test", pairs="from_zero",
                           batch_size=args.batch_size, max_pairs=args.max_pairs, seed=0, progress=False)
            wall = time.perf_counter() - t0
            entry = next(iter(res["models"].values()))
            rate = round(entry["n_pairs"] / entry["seconds"], 1)
            runs.append({"pairs": entry["n_pairs"], "loop_seconds": entry["seconds"],
                         "pairs_per_second": rate, "call_seconds": round(wall, 3)})
            print(f"run {i + 1}/{args.runs}: {entry['n_pairs']} pairs, {rate} pairs/s (whole call {wall:.1f} s)",
                  flush=True)

    result = {
        "benchmark": "evaluate throughput, pose_encoder, from_zero pairs of the test split",
        "command": "cd /work/main && nice -n 10 python benchmarks/bench_evaluate.py "
                   + " ".join(sys.argv[1:] if argv is None else argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "data": str(data_dir) if rendered is None else "temporary folder",
        "rendered": rendered,
        "weights": weights,
        "device": "cpu",
        "torch_threads": args.threads,
        "batch_size": args.batch_size,
        "max_pairs": args.max_pairs,
        "runs": runs,
        "median_pairs_per_second": statistics.median(r["pairs_per_second"] for r in runs),
        "median_call_seconds": statistics.median(r["call_seconds"] for r in runs),
        "machine": machine,
        "note": "the machine was shared with other processes (see load_average_at_start); run niced",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("median_pairs_per_second", "median_call_seconds")}, indent=2))
    return result


if __name__ == "__main__":
    main()
