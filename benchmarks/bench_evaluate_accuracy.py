"""The whole `novelview evaluate` a user runs, old code against new: wall time, peak memory, every figure.

    python benchmarks/bench_evaluate_accuracy.py --data /tmp/fg80 --models 80 [--threads 2] [--runs 1]

``--data`` is a data set whose ``test`` split holds ``--models`` objects; when the folder does not
exist it is rendered first (FlightGear AI aircraft, elevation 0, every model in the test split:
``novelview render --source flightgear: --models N --elevations 0 --val-share 0 --test-share 1``).
Each run is ``novelview evaluate --data DIR --model default --threads T --out ...`` in a subprocess
(the shipped default model beside the three baselines, from_zero pairs: models x 35 pairs), timed
from outside, with its peak resident memory (``os.wait4`` of that child). The old code is the
``src`` of ``--old`` (a commit; ``git archive OLD src``), run with PYTHONPATH pointing at it; the new code is
this working tree. Old and new alternate within one invocation, so both see the same machine.
Every number of each run's metrics.json (every row, every group, every metric) is compared with
the old code's: the largest absolute difference is recorded. Writes
``benchmarks/results/evaluate_accuracy.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_name, load_average  # benchmarks/machine.py, beside this script

ROOT = Path(__file__).resolve().parent.parent


def render_if_missing(data: Path, models: int) -> dict | None:
    if (data / "views.npy").exists():
        return None
    command = [sys.executable, "-m", "novelview.cli", "render", "--source", "flightgear:", "--models", str(models),
               "--elevations", "0", "--val-share", "0", "--test-share", "1", "--workers", "1", "--out", str(data)]
    t0 = time.perf_counter()
    subprocess.run(command, check=True)
    return {"command": " ".join(command[1:]), "seconds": round(time.perf_counter() - t0, 1)}


def run_evaluate(code: str, src: Path, data: Path, out: Path, threads: int) -> dict:
    """One `novelview evaluate` in a child process: wall seconds, the child's peak RSS, metrics.json."""
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": str(threads)}
    command = [sys.executable, "-m", "novelview.cli", "evaluate", "--data", str(data), "--model", "default",
               "--threads", str(threads), "--out", str(out)]
    log = out.parent / f"{out.name}.log"
    t0 = time.perf_counter()
    with open(log, "w") as sink:
        child = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS, not the largest child's so far
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{code} code failed:\n{log.read_text()[-2000:]}")
    peak = usage.ru_maxrss  # KiB on Linux
    results = json.loads((out / "metrics.json").read_text())
    seconds = {label: entry["seconds"] for label, entry in {**results["baselines"], **results["models"]}.items()}
    print(f"{code}: {wall:.1f} s, peak RSS {peak / 1024:.0f} MiB, rows {seconds}", flush=True)
    return {"wall_seconds": round(wall, 2), "peak_rss_mib": round(peak / 1024, 1),
            "row_seconds": seconds, "results": results}


def figures(results: dict) -> dict[str, float | None]:
    """Every metric number of metrics.json, by path: row / group / key / metric."""
    out = {}
    names = set(results["metrics"])
    rows = {**{f"baseline:{k}": v for k, v in results["baselines"].items()}, **results["models"]}
    for label, entry in rows.items():
        groups = {"overall": {"all": entry["overall"]}, "category": entry["by_category"],
                  "rotation": entry["by_rotation"], "elevation": entry["by_elevation"]}
        for group, items in groups.items():
            for key, values in items.items():
                out.update({f"{label}/{group}/{key}/{n}": values.get(n) for n in names if n in values})
    return out


def max_differences(old: dict, new: dict) -> dict:
    """Per metric, the largest |old - new| over every row and group; missing or null on one side only counts."""
    a, b = figures(old), figures(new)
    if set(a) != set(b):
        return {"different_entries": sorted(set(a) ^ set(b))[:20]}
    worst: dict[str, float] = {}
    for path, x in a.items():
        metric, y = path.rsplit("/", 1)[1], b[path]
        if (x is None) != (y is None):
            worst[metric] = float("inf")
        elif x is not None:
            worst[metric] = max(worst.get(metric, 0.0), abs(x - y))
    return worst


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="data set folder (rendered when missing)")
    parser.add_argument("--models", type=int, default=80, help="objects in its test split (and to render)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of each evaluation (2: the 2-core machine)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each code, alternating")
    # c5eb80d: the last commit before the evaluation gallery (metrics/gallery.py) came in
    parser.add_argument("--old", default="c5eb80d", help="the commit whose code is 'old'")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "evaluate_accuracy.json")
    args = parser.parse_args(argv)

    rendered = render_if_missing(args.data, args.models)
    split = json.loads((args.data / "split.json").read_text())
    if len(split.get("test", [])) != args.models:
        raise SystemExit(f"{args.data} has {len(split.get('test', []))} test models, not --models {args.models}")
    load_at_start = load_average()
    with tempfile.TemporaryDirectory(prefix="nv_bench_acc_") as tmp:
        tmp = Path(tmp)
        old_src = tmp / "old"
        old_src.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.old, "src"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(old_src)], input=archive.stdout, check=True)
        codes = {"old": old_src / "src", "new": ROOT / "src"}
        runs: dict[str, list] = {"old": [], "new": []}
        for i in range(args.runs):
            for code, src in codes.items():
                runs[code].append(run_evaluate(code, src, args.data, tmp / f"{code}{i}", args.threads))
    reference = runs["old"][0]["results"]
    summary = {code: {"median_wall_seconds": statistics.median(r["wall_seconds"] for r in rs),
                      "peak_rss_mib": [r["peak_rss_mib"] for r in rs],
                      "runs": [{k: v for k, v in r.items() if k != "results"} for r in rs]} for code, rs in runs.items()}
    differences = [max_differences(reference, r["results"]) for r in runs["new"]]
    worst = max((v for d in differences for v in d.values() if isinstance(v, float)), default=None)
    result = {
        "benchmark": "novelview evaluate --model default (+ 3 baselines), from_zero pairs, old code against new",
        "command": "cd /work/main && python benchmarks/bench_evaluate_accuracy.py "
                   + " ".join(sys.argv[1:] if argv is None else argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "data": str(args.data), "models": args.models, "rendered": rendered,
        "pairs": reference["models"]["default"]["n_pairs"] if "default" in reference["models"] else None,
        "torch_threads": args.threads,
        "old": summary["old"], "new": summary["new"],
        "speedup_median_wall": round(summary["old"]["median_wall_seconds"] / summary["new"]["median_wall_seconds"], 2),
        "max_abs_difference_by_metric": differences,
        "max_abs_difference": worst,
        "identical_to_4_decimals": worst is not None and worst < 5e-5,
        "machine": {"cpu": cpu_name(), "cpu_count": os.cpu_count(), "load_average_at_start": load_at_start,
                    "load_average_at_end": load_average()},
        "note": "the machine was shared with other processes: compare old and new of this run, not across runs",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("speedup_median_wall", "max_abs_difference", "identical_to_4_decimals")}))
    return result


if __name__ == "__main__":
    main()
