"""Import time of novelview's read side: what a training or evaluation process pays before work.

For each module, a fresh interpreter imports it (``--repeats`` times; median wall time) and says
whether the render side's heavy libraries (trimesh, embreex) came with it. ``--src`` points at
another checkout's ``src`` folder to measure an older version beside this one in the same run.

    python benchmarks/bench_import.py [--src OTHER/src] [--out benchmarks/results/import_time.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

MODULES = ("novelview", "novelview.data.pairs", "novelview.data.viewstore", "novelview.models.io",
           "novelview.training.datamodule")
PROBE = ("import sys, time; t = time.perf_counter(); import {m}; "
         "print(time.perf_counter() - t, 'trimesh' in sys.modules, 'embreex' in sys.modules)")


def measure(module: str, src: Path, repeats: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    times, heavy = [], None
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", PROBE.format(m=module)], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        times.append(float(out[0]))
        heavy = {"trimesh": out[1] == "True", "embreex": out[2] == "True"}
    return {"module": module, "median_s": round(statistics.median(times), 3), "loads": heavy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, action="append", default=[], help="another src folder to compare")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/import_time.json"))
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1] / "src"
    results = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "repeats": args.repeats, "runs": []}
    for src in [here, *args.src]:
        for module in MODULES:
            row = {"src": str(src), **measure(module, src.resolve(), args.repeats)}
            results["runs"].append(row)
            print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
