"""Views per second and peak memory per worker of full-size renders, every source in one run.

Runs ``novelview render`` (2 workers by default, the 2-core machine's count) on each source in turn,
at elevations 0, 10, 20 and 30 with 36 azimuths: the procedural set with varied appearance (the
reference the issue compares with), TORCS cars, FlightGear aircraft and the whole Sweet Home 3D
library (``sh3d::objects``, about 117,000 views). While each render runs, every process of its tree
is sampled from /proc twice a second and its peak RSS (VmHWM, which the kernel keeps) recorded: the
render's own process coordinates, the others are the workers.

A render that is stopped resumes where it was (``render`` keeps finished models); the figures of a
resumed source cover only the part rendered in this run and say so (``resumed_from_models``). Writes JSON.

    python benchmarks/bench_library_render.py --data-root data/library --out benchmarks/results/library_render.json
    python benchmarks/bench_library_render.py --sources torcs: --procedural-models 2 --data-root /tmp/lr --out /tmp/lr.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from machine import cpu_name, load_average

ELEVATIONS = "0,10,20,30"
DEFAULT_SOURCES = ("torcs:", "flightgear:", "sh3d::objects")


def tree_of(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc/*/stat parent links."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while we read
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def finished_models(folder: Path) -> int:
    """Models already rendered into an unfinished data set folder (its parts)."""
    return len(list((folder / "parts").glob("*.npy"))) if (folder / "parts").is_dir() else 0


def views_in(folder: Path) -> tuple[int, int]:
    """(models, views per model) of a finished data set folder; (0, 0) when it has none."""
    if not (folder / "views.npy").is_file():
        return 0, 0
    shape = np.load(folder / "views.npy", mmap_mode="r").shape
    return shape[0], shape[1] * shape[2]


def render(source: str, out: Path, workers: int, models: int | None) -> dict:
    command = [shutil.which("novelview") or "novelview", "render", "--source", source, "--out", str(out),
               "--elevations", ELEVATIONS, "--workers", str(workers)]
    if models is not None:
        command += ["--models", str(models)]
    models_before = views_in(out)[0] or finished_models(out)  # a finished folder is not rendered again
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peaks: dict[int, float] = {}
    while process.poll() is None:
        for pid in tree_of(process.pid):
            peak = peak_rss_mb(pid)
            if peak is not None:
                peaks[pid] = max(peaks.get(pid, 0.0), peak)
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    output = process.stdout.read()
    models, per_model = views_in(out)
    views = (models - models_before) * per_model  # skipped models count as none: a slight underestimate
    workers_peak = [mb for pid, mb in peaks.items() if pid != process.pid]
    return {"source": source, "command": shlex.join(command), "exit": process.returncode, "seconds": round(seconds, 1),
            "models": models, "views": views,
            "views_per_s": round(views / seconds, 1), "resumed_from_models": models_before, "coordinator_peak_mb": round(peaks.get(process.pid, 0.0), 1),
            "worker_peak_mb": round(max(workers_peak), 1) if workers_peak else None,
            "output_tail": output.strip().splitlines()[-3:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=Path("data/library"))
    parser.add_argument("--sources", default=",".join(DEFAULT_SOURCES), help="comma list of source specs")
    parser.add_argument("--procedural-models", type=int, default=13, help="per category of procedural:every")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/library_render.json"))
    args = parser.parse_args()
    runs = [("procedural:every?appearance=varied", args.procedural_models)]
    runs += [(source, None) for source in args.sources.split(",") if source]
    results = {"benchmark": "render of every source at elevations 0,10,20,30, 36 azimuths, 64 px",
               "command": shlex.join([sys.executable, *sys.argv]), "cpu": cpu_name(),
               "load_before": load_average(), "runs": []}
    for source, models in runs:
        folder = args.data_root / source.split(":")[0]
        result = render(source, folder, args.workers, models)
        results["runs"].append(result)
        print(json.dumps({k: result[k] for k in ("source", "exit", "views", "views_per_s", "worker_peak_mb")}),
              flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")  # after each source: a stop keeps the others
    results["load_after"] = load_average()
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
