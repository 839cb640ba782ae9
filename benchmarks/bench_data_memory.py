"""Memory of a training epoch over a large data set: is views.npy really read lazily?

Writes a ~1.5 GB views.npy (uint8, (2600, 1, 36, 64, 64, 4) by default) with meta.json and
split.json as ``novelview render`` would (every model in train), then iterates one full epoch
of PairDataset(mode="fixed") through a torch DataLoader(batch_size=36, num_workers=0) and
records the process's peak RSS (getrusage ru_maxrss) against its RSS after the imports, with
the anonymous / file-backed split of RSS from /proc/self/status sampled during the epoch
(pages of views.npy read through the memory map would show up as RssFile: shared, clean,
reclaimable page cache; RssAnon is the memory the process really owns). PairDataset reads its
two views per item with plain file reads, so neither should grow with the file's size.
The temporary folder is deleted at the end.

The file is written with plain writes, never mapped by this process, so writing it does not
raise the figures; its content is tiled from a few real procedural renders.

    nice -n 10 python benchmarks/bench_data_memory.py [--models 2600] [--dir /tmp] [--out benchmarks/results/data_memory.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from machine import ru_maxrss_mb, status_mb  # benchmarks/machine.py, beside this script

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from novelview.data import procedural  # noqa: E402
from novelview.data.pairs import PairDataset  # noqa: E402
from novelview.data.render import RenderSettings, Renderer  # noqa: E402
from novelview.data.store import ViewStore  # noqa: E402

MB = 1024 * 1024


def write_dataset(folder: Path, models: int, size: int, azimuths: int) -> int:
    """views.npy + meta.json + split.json; returns the views file's size in bytes."""
    settings = RenderSettings(size=size, azimuths=azimuths, supersample=1)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2600)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--azimuths", type=int, default=36)
    parser.add_argument("--batch-size", type=int, default=36)
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary data set goes")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "data_memory.json")
    args = parser.parse_args()
    torch.set_num_threads(1)

    after_imports = {"ru_maxrss_mb": ru_maxrss_mb(), **status_mb()}
    folder = Path(tempfile.mkdtemp(prefix="novelview_bench_", dir=args.dir))
    try:
        t0 = time.perf_counter()
        file_bytes = write_dataset(folder, args.models, args.size, args.azimuths)
        write_s = time.perf_counter() - t0
        before_epoch = {"ru_maxrss_mb": ru_maxrss_mb(), **status_mb()}
        print(f"wrote {file_bytes / 1e9:.2f} GB in {write_s:.0f} s; after imports {after_imports}", flush=True)

        data = PairDataset(ViewStore(folder), "train", "fixed")
        loader = DataLoader(data, batch_size=args.batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(0))
        peak_anon = peak_file = 0.0
        batches = pairs = 0
        checksum = 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        for batch in loader:
            batches += 1
            pairs += len(batch["source"])
            checksum += float(batch["target"][:, :, 0, 0].sum())
            if batches % 50 == 0:
                s = status_mb()
                peak_anon, peak_file = max(peak_anon, s.get("RssAnon", 0)), max(peak_file, s.get("RssFile", 0))
        epoch_wall, epoch_cpu = time.perf_counter() - t0, time.process_time() - c0
        end = {"ru_maxrss_mb": ru_maxrss_mb(), **status_mb()}
        peak_anon, peak_file = max(peak_anon, end.get("RssAnon", 0)), max(peak_file, end.get("RssFile", 0))
        del loader, data
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    report = {
        "benchmark": "peak RSS over one epoch of PairDataset(mode='fixed') on a memory-mapped views.npy",
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "memory_total_mb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MB,
            "loadavg_after": os.getloadavg(),
        },
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "views_file": {"shape": [args.models, 1, args.azimuths, args.size, args.size, 4], "bytes": file_bytes,
                       "write_s": write_s},
        "epoch": {"pairs": pairs, "batches": batches, "batch_size": args.batch_size, "num_workers": 0,
                  "wall_s": epoch_wall, "cpu_s": epoch_cpu, "pairs_per_s": pairs / epoch_wall,
                  "checksum": checksum},
        "rss_mb": {
            "after_imports": after_imports,
            "before_epoch": before_epoch,
            "end_of_epoch": end,
            "peak_ru_maxrss": end["ru_maxrss_mb"],
            "peak_minus_after_imports": end["ru_maxrss_mb"] - after_imports["ru_maxrss_mb"],
            "peak_rss_anon_sampled": peak_anon,
            "peak_rss_file_sampled": peak_file,
            "rss_anon_growth": peak_anon - after_imports.get("RssAnon", 0.0),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report["rss_mb"], indent=2))
    print(json.dumps(report["epoch"], indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
