"""Training throughput through Lightning against a bare PyTorch loop, and peak memory on a car-sized set.

1. Throughput (images/s, one image = one (source, target) pair) of each model: autoencoder,
   pose_encoder, pose_gan, with torch on 1 thread and batch size 36, in one process:

   - "lightning": ``SynthesisModule`` fitted by a ``lightning.Trainer`` on CPU with the logger,
     checkpointing, progress bar and model summary switched off, no validation (limit_val_batches=0,
     no sanity check). What Lightning still does by default is counted as its cost: the fit loop and
     its progress bookkeeping, the data fetcher (it prefetches one batch), automatic optimisation
     through a closure (autoencoder, pose encoder), manual optimisation wrappers (GAN), gradient
     clipping through the precision plugin, LR scheduler stepping, the hooks and callbacks
     machinery, and the module's own ``self.log`` calls (the result collection; no logger writes).
   - "bare": the same network (``build_model`` with the config's options), same initial weights
     (same seed), same optimiser(s) and LR schedule, same gradient clipping, same losses (the GAN
     step is ``SynthesisModule._gan_step`` rewritten in plain PyTorch: D every g_steps_per_d batches
     with the skip rule, soft real labels, feature matching), same batch size, fed by the same
     DataLoader (``PairDataModule.train_dataloader()``: PairDataset over the same folder, shuffled,
     num_workers 0), so the uint8 -> float conversion per item is in both paths equally.

   The data set is real: procedural cars, chairs and mugs rendered at 64x64 into a temp folder (every
   model in train). Blocks alternate (lightning, bare, then bare, lightning, ...) for several rounds;
   each block builds a fresh model, runs ``--warmup`` batches untimed, then times ``--steps`` batches
   (Lightning: from the end of the last warm-up batch to the end of the last timed batch, by a
   callback). Both wall time and this process's CPU time are recorded; the machine may be shared,
   so CPU time (1 thread, num_workers 0: all the work is in this process) is the headline figure,
   wall time is reported beside it. framework cost = median(lightning) / median(bare) - 1.

2. Memory: a memory-mapped views.npy of (3512, 1, 36, 64, 64, 4) uint8 (126,432 views, ~1.9 GiB,
   the car category's size; tiled from the renders, written with plain writes) with the meta.json and
   split.json that ViewStore reads (first 80% of the models train, the rest test). A child process
   imports novelview, notes its RSS, trains the pose encoder for ``--memory-steps`` steps through
   ``novelview.train.train`` (pairs=from_zero, batch 36, CPU), and reports its peak RSS (VmHWM; also
   ru_maxrss, which on Linux starts at the parent's RSS at fork) against its RSS after imports,
   plus the anonymous / file-backed split of RSS (/proc/self/status, sampled every 50 ms). RssAnon
   is what the process owns; RssFile would hold touched pages of a memory map (clean, reclaimable
   page cache), but PairDataset reads its views with plain file reads, so it stays flat too. The original converted the whole set to float64 (~70 GB for cars).
   The temp folders are deleted afterwards.

    nice -n 10 python benchmarks/bench_train.py [--rounds 5] [--warmup 5] [--steps 30]
        [--memory-steps 200] [--models 8] [--dir /tmp] [--out benchmarks/results/train.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from machine import cpu_name, ru_maxrss_mb, status_mb  # benchmarks/machine.py, beside this script

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
MB = 1024 * 1024
MODELS = ("autoencoder", "pose_encoder", "pose_gan")
BATCH = 36
CAR_SHAPE = (3512, 1, 36, 64, 64, 4)


def quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)


def machine() -> dict:
    import lightning

    cpu = cpu_name()
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
        "memory_total_mb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MB,
    }


# -- data --

def render_dataset(folder: Path, per_category: int) -> Path:
    """Real renders: procedural:all at 64x64, every model in the train split."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset as render

    job = RenderJob("procedural:all", folder, RenderSettings(size=64, supersample=1), models=per_category, seed=0,
                    workers=1, val_share=0.0, test_share=0.0)
    render(job, progress=False)
    return folder


def write_car_sized(folder: Path, templates: np.ndarray, shape=CAR_SHAPE) -> dict:
    """views.npy of ``shape`` tiled from ``templates`` (M, 1, 36, 64, 64, 4), by plain writes (never mapped)."""
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(folder / "views.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": shape})
        written = 0
        while written < shape[0]:
            block = templates[: shape[0] - written]
            f.write(np.ascontiguousarray(block).tobytes())
            written += len(block)
    n = shape[0]
    n_train = int(n * 0.8)
    meta = {
        "format_version": 1, "source": "bench:tiled", "shape": list(shape),
        "azimuth_degrees": [10.0 * a for a in range(shape[2])], "elevation_degrees": [0.0],
        "model_ids": [f"bench_{i:05d}" for i in range(n)], "categories": ["car"] * n,
        "source_paths": [""] * n, "skipped": [],
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "split.json").write_text(json.dumps({"train": list(range(n_train)), "val": [],
                                                   "test": list(range(n_train, n))}))
    return {"shape": list(shape), "views": int(np.prod(shape[:3])), "bytes": (folder / "views.npy").stat().st_size,
            "write_s": time.perf_counter() - start, "train_models": n_train}


# -- throughput --

def bench_config(name: str) -> dict:
    from novelview.config import load_config

    return load_config(CONFIGS / f"{name}.yaml", [f"data.batch_size={BATCH}", "data.num_workers=0",
                                                  "trainer.accelerator=cpu", "trainer.devices=1"])


class Clock:
    """Wall and CPU time of this process."""

    @staticmethod
    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()


def lightning_block(name: str, data_dir: Path, warmup: int, steps: int) -> dict:
    import lightning as L

    from novelview.train import PairDataModule, SynthesisModule

    config = bench_config(name)

    class Timer(L.Callback):
        def __init__(self):
            self.batches, self.start, self.end = 0, None, None

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            self.batches += 1
            if self.batches == warmup:
                self.start = Clock.now()
            elif self.batches == warmup + steps:
                self.end = Clock.now()
                trainer.should_stop = True

    L.seed_everything(0, verbose=False)
    data = PairDataModule(data_dir, config)
    module = SynthesisModule(config)
    timer = Timer()
    trainer = L.Trainer(
        accelerator="cpu", devices=1, precision="32-true", max_epochs=-1, max_steps=-1,
        logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        limit_val_batches=0, num_sanity_val_steps=0, callbacks=[timer],
        gradient_clip_val=None if name == "pose_gan" else config["optim"]["grad_clip"],
    )
    trainer.fit(module, datamodule=data)
    assert timer.end is not None, "the Lightning block stopped early"
    return {"wall_s": timer.end[0] - timer.start[0], "cpu_s": timer.end[1] - timer.start[1]}


def bare_block(name: str, data_dir: Path, warmup: int, steps: int) -> dict:
    import lightning as L
    import torch.nn.functional as F

    from novelview.models import build_model
    from novelview.train import PairDataModule, _decay

    config = bench_config(name)
    L.seed_everything(0, verbose=False)
    data = PairDataModule(data_dir, config)
    model = build_model(config["model"]["name"], **config["model"].get("options", {})).train()
    o, clip = config["optim"], config["optim"]["grad_clip"]
    gan_cfg = config["gan"]
    if name == "pose_gan":
        G, D = model.generator, model.discriminator
        opt_g = torch.optim.Adam(G.parameters(), lr=o["lr"], betas=tuple(o["betas"]))
        opt_d = torch.optim.Adam(D.parameters(), lr=gan_cfg["lr_d"], betas=tuple(o["betas"]))
        sched_g = torch.optim.lr_scheduler.LambdaLR(opt_g, _decay(config))
        sched_d = torch.optim.lr_scheduler.LambdaLR(opt_d, _decay(config))
    else:
        opt = torch.optim.Adam(model.parameters(), lr=o["lr"], betas=tuple(o["betas"]))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, _decay(config))
    loader = data.train_dataloader()
    batches, gan_step, running = 0, 0, torch.zeros(())
    start = end = None
    while end is None:
        for batch in loader:
            source, target, pose = batch["source"], batch["target"], batch["pose"]
            if name != "pose_gan":
                loss = F.l1_loss(model(source, pose), target)
                opt.zero_grad()
                loss.backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                opt.step()
                sched.step()
                running += loss.detach()
            else:
                fake = G(source, pose)
                if gan_step % gan_cfg["g_steps_per_d"] == 0:
                    real_logits, _ = D(target)
                    fake_logits, _ = D(fake.detach())
                    lo, hi = gan_cfg["real_label_range"]
                    soft = torch.empty_like(real_logits).uniform_(lo, hi)
                    d_real = F.binary_cross_entropy_with_logits(real_logits, soft)
                    d_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
                    d_real_hard = F.binary_cross_entropy_with_logits(real_logits.detach(), torch.ones_like(real_logits))
                    skip = bool(d_real_hard < gan_cfg["skip_threshold"]) and bool(d_fake < gan_cfg["skip_threshold"])
                    if not skip:
                        opt_d.zero_grad()
                        (d_real + d_fake).backward()
                        opt_d.step()
                        sched_d.step()
                l1 = F.l1_loss(fake, target)
                _, fake_features = D(fake)
                with torch.no_grad():
                    _, real_features = D(target)
                adversarial = F.mse_loss(fake_features.mean(0), real_features.mean(0))
                loss = gan_cfg["alpha"] * l1 + gan_cfg["beta"] * adversarial
                opt_g.zero_grad()
                loss.backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(G.parameters(), clip)
                opt_g.step()
                sched_g.step()
                gan_step += 1
                running += l1.detach()
            batches += 1
            if batches == warmup:
                start = Clock.now()
            elif batches == warmup + steps:
                end = Clock.now()
                break
    return {"wall_s": end[0] - start[0], "cpu_s": end[1] - start[1]}


def throughput(data_dir: Path, rounds: int, warmup: int, steps: int, models=MODELS) -> dict:
    blocks = {m: {"lightning": [], "bare": []} for m in models}
    for r in range(rounds):
        for m in models:
            order = ("lightning", "bare") if r % 2 == 0 else ("bare", "lightning")
            for path in order:
                run = lightning_block if path == "lightning" else bare_block
                t = run(m, data_dir, warmup, steps)
                blocks[m][path].append(t)
                print(f"round {r} {m:12s} {path:9s} wall {t['wall_s']:.2f}s cpu {t['cpu_s']:.2f}s "
                      f"({BATCH * steps / t['cpu_s']:.0f} img/s cpu)", flush=True)
    results = {}
    for m in models:
        entry = {}
        for path in ("lightning", "bare"):
            wall = statistics.median(b["wall_s"] for b in blocks[m][path])
            cpu = statistics.median(b["cpu_s"] for b in blocks[m][path])
            entry[path] = {
                "images_per_s_cpu": BATCH * steps / cpu, "images_per_s_wall": BATCH * steps / wall,
                "ms_per_batch_cpu": 1000 * cpu / steps, "ms_per_batch_wall": 1000 * wall / steps,
                "blocks_cpu_s": [round(b["cpu_s"], 4) for b in blocks[m][path]],
                "blocks_wall_s": [round(b["wall_s"], 4) for b in blocks[m][path]],
            }
        entry["framework_cost_cpu"] = entry["lightning"]["ms_per_batch_cpu"] / entry["bare"]["ms_per_batch_cpu"] - 1
        entry["framework_cost_wall"] = entry["lightning"]["ms_per_batch_wall"] / entry["bare"]["ms_per_batch_wall"] - 1
        # Per round (blocks next to each other), less exposed to drifts in background load.
        pairs = zip(blocks[m]["lightning"], blocks[m]["bare"])
        entry["framework_cost_cpu_per_round"] = [round(a["cpu_s"] / b["cpu_s"] - 1, 4) for a, b in pairs]
        entry["framework_cost_cpu_median_of_rounds"] = statistics.median(entry["framework_cost_cpu_per_round"])
        results[m] = entry
    return results


# -- memory --

def memory_child(data_dir: Path, out_dir: Path, steps: int) -> None:
    """Runs in a fresh process: prints one JSON line with the RSS figures."""
    quiet()
    from novelview.config import load_config
    from novelview.train import train

    after_imports_status, after_imports_max = status_mb(), ru_maxrss_mb()
    peak = {"RssAnon": 0.0, "RssFile": 0.0, "VmRSS": 0.0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            s = status_mb()
            for k in peak:
                peak[k] = max(peak[k], s.get(k, 0.0))
            stop.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    config = load_config(CONFIGS / "pose_encoder.yaml", [
        "data.pairs=from_zero", f"data.batch_size={BATCH}", "data.num_workers=0", f"trainer.max_steps={steps}",
        "trainer.max_epochs=-1", "trainer.accelerator=cpu", "trainer.devices=1", "trainer.log_every_n_steps=50"])
    start = time.perf_counter()
    result = train(config, data_dir, out_dir)
    wall = time.perf_counter() - start
    stop.set()
    thread.join()
    end_status = status_mb()
    print(json.dumps({
        "global_step": result["global_step"], "train_wall_s": wall,
        "images_per_s_wall": BATCH * result["global_step"] / wall,
        "after_imports": {"ru_maxrss_mb": after_imports_max, **after_imports_status},
        "end": {"ru_maxrss_mb": ru_maxrss_mb(), **end_status},
        "peak_sampled": peak,
    }))


def memory(work: Path, templates_dir: Path, steps: int, models: int = CAR_SHAPE[0]) -> dict:
    from novelview.data.store import ViewStore

    templates = np.asarray(ViewStore(templates_dir).views)
    data_dir = work / "car_sized"
    written = write_car_sized(data_dir, templates, (models, *CAR_SHAPE[1:]))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(data_dir),
           "--memory-out", str(work / "memory_run"), "--memory-steps", str(steps)]
    parent_rss = status_mb().get("VmRSS")
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{done.stderr[-3000:]}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    base, end = child["after_imports"], child["end"]
    views = written["views"]
    return {
        "views_file": written,
        "run": {"model": "pose_encoder", "pairs": "from_zero", "batch_size": BATCH, "steps": child["global_step"],
                "train_wall_s": child["train_wall_s"], "images_per_s_wall": child["images_per_s_wall"],
                "path": "novelview.train.train (Lightning, CSV + TensorBoard loggers, checkpoints, export)"},
        "rss_mb": {
            "after_imports": base, "end": end,
            # VmHWM is the child's own peak RSS. ru_maxrss is the same figure except that Linux carries
            # the parent's RSS at fork into a child's ru_maxrss, so it is never below the parent's.
            "peak_vmhwm": end["VmHWM"],
            "peak_minus_after_imports": end["VmHWM"] - base["VmRSS"],
            "peak_ru_maxrss": end["ru_maxrss_mb"],
            "parent_rss_at_fork": parent_rss,
            "peak_rss_anon_sampled": child["peak_sampled"]["RssAnon"],
            "rss_anon_growth": child["peak_sampled"]["RssAnon"] - base.get("RssAnon", 0.0),
            "peak_rss_file_sampled": child["peak_sampled"]["RssFile"],
        },
        "for_scale_mb": {
            "views_uint8": written["bytes"] / MB,
            "whole_set_float32_rgb": views * 64 * 64 * 3 * 4 / MB,
            "whole_set_float64_rgba": views * 64 * 64 * 4 * 8 / MB,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--models", type=int, default=8, help="procedural models per category to render")
    parser.add_argument("--memory-steps", type=int, default=200)
    parser.add_argument("--memory-models", type=int, default=CAR_SHAPE[0], help="models in the big views.npy")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train.json"))
    parser.add_argument("--note", default="", help="free text stored in the JSON (e.g. what else ran)")
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--memory-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(Path(args.memory_child), Path(args.memory_out), args.memory_steps)
        return
    quiet()
    started = time.perf_counter()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="novelview_bench_train_", dir=args.dir))
    try:
        t = time.perf_counter()
        data_dir = render_dataset(work / "renders", args.models)
        render_s = time.perf_counter() - t
        from novelview.data.store import ViewStore

        store = ViewStore(data_dir)
        speed = throughput(data_dir, args.rounds, args.warmup, args.steps)
        mem = None if args.skip_memory else memory(work, data_dir, args.memory_steps, args.memory_models)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "benchmark": "training throughput, Lightning vs bare PyTorch, and peak memory on a car-sized set",
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
        "cwd": str(Path.cwd()),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {**machine(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "note": args.note,
        "how": {
            "throughput": "per model: alternating blocks (lightning, bare | bare, lightning ...) of "
                          f"{args.warmup} untimed + {args.steps} timed batches of {BATCH}, fresh model per block, "
                          f"{args.rounds} rounds; medians; images = pairs; CPU time of this process is the "
                          "headline (1 torch thread, num_workers 0), wall time beside it",
            "lightning_trainer": "L.Trainer(accelerator='cpu', devices=1, precision='32-true', logger=False, "
                                 "enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, "
                                 "limit_val_batches=0, num_sanity_val_steps=0, gradient_clip_val=config's "
                                 "(None for the GAN, which clips by hand)); the module's self.log calls still run",
            "bare_loop": "same build_model, seed, Adam(s), LambdaLR decay, clip_grad_norm_, losses and GAN rules; "
                         "the same PairDataModule.train_dataloader()",
            "data": {"source": "procedural:all rendered at 64x64", "models": len(store.model_ids),
                     "train_pairs_from_zero": len(store.model_ids) * 35, "train_pairs_fixed": len(store.model_ids) * 36,
                     "render_s": render_s},
            "framework_cost": "median lightning time per batch / median bare time per batch - 1",
        },
        "throughput": speed,
        "memory": mem,
        "total_wall_s": time.perf_counter() - started,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({m: {"lightning_img_s": round(v["lightning"]["images_per_s_cpu"], 1),
                          "bare_img_s": round(v["bare"]["images_per_s_cpu"], 1),
                          "cost_cpu": round(v["framework_cost_cpu"], 4),
                          "cost_wall": round(v["framework_cost_wall"], 4)} for m, v in speed.items()}, indent=2))
    if mem:
        print(json.dumps(mem["rss_mb"], indent=2))
    print(f"wrote {out} in {report['total_wall_s']:.0f} s")


if __name__ == "__main__":
    main()
