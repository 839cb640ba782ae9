"""The training data path on a CPU: pairs per second, and resident memory on a car-sized set.

Writes a views.npy as large as ShapeNet's car set (3512 models x 36 azimuths = 126,432 views,
1.9 GB uint8, tiled from a few real procedural renders, written with plain writes) with the
meta.json and split.json ``novelview render`` writes (every model in train). Then, in this one
process, with torch on one thread:

1. "data path": ``PairDataModule.train_dataloader()`` exactly as ``novelview train`` builds it on
   a CPU (``data.pairs=all``, ``data.device=host``: views read per batch with plain file reads,
   num_workers 0), at batch 256: loader items per second, each a whole batch of uint8 views.
   "with conversion" adds ``to_training_batch`` (compositing on white and scaling to [-1, 1],
   what the training step does first on the training device).
2. Memory: the process's peak RSS (getrusage) over the run against its RSS after the imports, and
   the anonymous / file-backed split sampled from /proc/self/status. Pages of views.npy read
   through a memory map would count as RssFile; the data path reads with preadv, so neither grows.
3. Memory of real training: a child process imports novelview, notes its RSS, runs
   ``novelview.train.train`` (pose encoder, all pairs, batch 36 as round 1 measured, CPU, ``--train-steps`` steps) on
   the same set, and reports its peak RSS (VmHWM) against that.

The temporary folder is deleted at the end.

    nice -n 10 python benchmarks/bench_data.py [--models 3512] [--batches 400] [--dir /tmp]
        [--out benchmarks/results/data.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_name, ru_maxrss_mb, status_mb  # benchmarks/machine.py, beside this script

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from novelview.data import procedural  # noqa: E402
from novelview.config.load import load_config  # noqa: E402
from novelview.data.batches import to_training_batch  # noqa: E402
from novelview.data.render import RenderSettings, Renderer  # noqa: E402
from novelview.training.datamodule import PairDataModule  # noqa: E402

MB = 1024 * 1024


def write_dataset(folder: Path, models: int, size: int, azimuths: int) -> int:
    """views.npy + meta.json + split.json; returns the views file's size in bytes."""
    settings = RenderSettings(size=size, azimuths=azimuths, supersample=1, depth=False)
    templates = [Renderer(procedural.make_model(c, 0, i), settings).render_all()[0]
                 for c in procedural.CATEGORIES for i in range(2)]  # (1, A, H, W, 4) each
    shape = (models, 1, azimuths, size, size, 4)
    with open(folder / "views.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": shape})
        for m in range(models):
            f.write(templates[m % len(templates)].tobytes())
    meta = {
        "format_version": 1, "source": "bench", "models": models, "seed": 0, "up_axis": "y",
        "render": settings.to_dict(), "shape": list(shape),
        "azimuth_degrees": settings.azimuth_degrees.tolist(), "elevation_degrees": [0.0],
        "model_ids": [f"bench_{m:05d}" for m in range(models)],
        "categories": [procedural.CATEGORIES[(m % 6) // 2] for m in range(models)],
        "source_paths": [""] * models, "skipped": [],
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "split.json").write_text(json.dumps({"train": list(range(models)), "val": [], "test": []}))
    return (folder / "views.npy").stat().st_size


def timed_pass(loader, batches: int, convert: bool) -> dict:
    """Pairs per second over ``batches`` loader items (after 5 untimed ones), and RSS samples."""
    iterator = iter(loader)
    for _ in range(5):
        next(iterator)
    peak_anon = peak_file = 0.0
    pairs, checksum = 0, 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(batches):
        item = next(iterator)
        if convert:
            batch = to_training_batch(item)
            checksum += float(batch["target"][:, :, 0, 0].sum())
            del batch  # as a training step drops its batch before the next one is made
        pairs += len(item["views"])
        if k % 50 == 0:
            s = status_mb()
            peak_anon, peak_file = max(peak_anon, s.get("RssAnon", 0)), max(peak_file, s.get("RssFile", 0))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"pairs": pairs, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "pairs_per_s": round(pairs / wall, 1),
            "pairs_per_cpu_s": round(pairs / cpu, 1), "peak_rss_anon_mb": peak_anon, "peak_rss_file_mb": peak_file,
            "checksum": checksum}


def train_child(folder: Path, steps: int) -> None:
    """In a fresh process: RSS after the imports, then peak RSS over ``steps`` training steps."""
    from novelview.train import train

    after = status_mb()
    config = load_config(None, ["data.batch_size=36", "data.pairs=all", "data.device=host", "trainer.max_epochs=-1",
                                f"trainer.max_steps={steps}", "trainer.accelerator=cpu", "trainer.threads=1"])
    with tempfile.TemporaryDirectory() as run:
        t0 = time.perf_counter()
        train(config, folder, Path(run) / "run")
        seconds = time.perf_counter() - t0
    end = status_mb()
    print(json.dumps({"steps": steps, "seconds": round(seconds, 1), "rss_after_imports": after.get("VmRSS"),
                      "peak": end.get("VmHWM"), "peak_minus_after_imports": end.get("VmHWM", 0) - after.get("VmRSS", 0),
                      "rss_anon_end": end.get("RssAnon"), "rss_file_end": end.get("RssFile")}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=3512)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--azimuths", type=int, default=36)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--batches", type=int, default=400, help="loader items timed per measurement")
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary data set goes")
    parser.add_argument("--train-steps", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "data.json")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return train_child(args.child, args.train_steps)
    torch.set_num_threads(1)

    after_imports = {"ru_maxrss_mb": ru_maxrss_mb(), **status_mb()}
    folder = Path(tempfile.mkdtemp(prefix="novelview_bench_", dir=args.dir))
    try:
        t0 = time.perf_counter()
        file_bytes = write_dataset(folder, args.models, args.size, args.azimuths)
        write_s = time.perf_counter() - t0
        print(f"wrote {file_bytes / 1e9:.2f} GB in {write_s:.0f} s; after imports {after_imports}", flush=True)
        config = load_config(None, [f"data.batch_size={args.batch_size}", "data.pairs=all", "data.device=host"])
        data = PairDataModule(folder, config)
        data.setup("fit")
        loader = data.train_dataloader()
        runs = {"data_path": [], "with_conversion": []}
        for _ in range(3):  # alternate, medians reported
            for name in runs:
                runs[name].append(timed_pass(loader, args.batches, name == "with_conversion"))
        end = {"ru_maxrss_mb": ru_maxrss_mb(), **status_mb()}
        child = subprocess.run([sys.executable, __file__, "--child", str(folder), "--train-steps", str(args.train_steps)],
                               capture_output=True, text=True, check=True)
        training = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    median = {name: statistics.median(r["pairs_per_s"] for r in rs) for name, rs in runs.items()}
    report = {
        "benchmark": "the CPU training data path (PairDataModule, data.device=host) at batch 256, and its memory",
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "machine": {
            "platform": platform.platform(), "cpu": cpu_name(), "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
            "memory_total_mb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MB,
            "loadavg_after": os.getloadavg(),
        },
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "views_file": {"shape": [args.models, 1, args.azimuths, args.size, args.size, 4], "bytes": file_bytes,
                       "write_s": write_s},
        "pairs_per_s_median": median,
        "training_rss_mb": training,
        "runs": runs,
        "rss_mb": {
            "after_imports": after_imports,
            "end": end,
            "peak_minus_after_imports": end["ru_maxrss_mb"] - after_imports["ru_maxrss_mb"],
            "rss_anon_growth": max(r["peak_rss_anon_mb"] for rs in runs.values() for r in rs) - after_imports.get("RssAnon", 0.0),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({"pairs_per_s_median": median, "rss_mb": report["rss_mb"], "training_rss_mb": training}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
