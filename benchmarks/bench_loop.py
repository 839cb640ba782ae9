"""`novelview train`'s loop against a bare PyTorch loop on the same net, data and device.

- "bare": the uint8 views of the training split resident on the device, pairs drawn there
  (random object, random source and target view), composited and scaled on the device by
  ``novelview.images.views_to_model``, the model's forward, L1, backward, global-norm clipping and
  the same Adam step and schedule. No data loader, no framework: the hardware's speed for this net.
- "novelview": ``novelview.train.prepare`` + ``build_trainer`` (the real data module, module,
  objective, loggers, checkpoint callbacks and progress bar of a run), timed by a callback between
  the end of the warm-up steps and the last step, with the device synchronised at both ends.

Each (batch size, precision) pair is measured for both loops, alternating, ``--rounds`` times; the
figure is the median of images/s (one image = one pair); ratio = novelview / bare.

    python benchmarks/bench_loop.py --data DIR [--device cuda] [--batches 256,2048]
        [--precisions 32-true,bf16-mixed] [--model pose_encoder] [--out benchmarks/results/gpu.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import cpu_name, load_average  # noqa: E402

from novelview.config.load import load_config  # noqa: E402
from novelview.data.batches import ResidentViews  # noqa: E402
from novelview.images import views_to_model  # noqa: E402
from novelview.train import build_trainer, prepare  # noqa: E402

import lightning as L  # noqa: E402


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def config_for(args, batch: int, precision: str) -> dict:
    overrides = [f"model.name={args.model}", f"data.batch_size={batch}", "data.pairs=all",
                 f"data.elevations={args.elevations}", f"trainer.precision={precision}",
                 f"trainer.accelerator={'gpu' if args.device.startswith('cuda') else 'cpu'}",
                 "trainer.max_epochs=-1", "data.device=accelerator", f"trainer.channels_last={str(args.channels_last).lower()}",
                 *args.override]
    return load_config(None, overrides)


def bare(args, config: dict, views: ResidentViews, angles: torch.Tensor, steps: int) -> float:
    """Images/s of the bare loop; ``angles`` (objects, elevations, azimuths) on the device."""
    device = args.device
    data, module = prepare(config, args.data)
    model = module.model.to(device)
    if config["trainer"]["channels_last"]:
        model.to(memory_format=torch.channels_last)
    optimizer, schedule = module.objective.configure_optimizers(model)
    optimizer, schedule = optimizer[0], schedule[0]
    objects, elevations, azimuths = angles.shape
    batch = config["data"]["batch_size"]
    elevation_deg = torch.tensor(data.store.elevation_degrees, device=device, dtype=torch.float32)
    dtype = torch.bfloat16 if config["trainer"]["precision"].startswith("bf16") else None

    def step():
        obj = torch.randint(objects, (batch,), device=device)
        view = torch.randint(elevations * azimuths, (2, batch), device=device)
        ids = obj * elevations * azimuths + view
        rgb, alpha = views_to_model(views.tensor.index_select(0, ids.reshape(-1)))
        source, target = rgb[:batch], rgb[batch:]
        el, az = view // azimuths, view % azimuths
        rotation = torch.remainder(angles[obj, el[1], az[1]] - angles[obj, el[0], az[0]], 360.0)
        code = model.encode_pose(rotation, elevation_deg[el[0]], elevation_deg[el[1]])
        if config["trainer"]["channels_last"]:
            source = source.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.split(":")[0], dtype=dtype, enabled=dtype is not None):
            image = model(source, code)["image"]
        loss = torch.nn.functional.l1_loss(image.float(), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config["optim"]["grad_clip"], foreach=True)
        optimizer.step()
        schedule.step()

    for _ in range(args.warmup):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return steps * batch / (time.perf_counter() - start)


class Clock(L.Callback):
    def __init__(self, warmup: int, device: str):
        self.warmup, self.device, self.start, self.end, self.steps = warmup, device, None, None, 0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if batch_idx + 1 == self.warmup:
            sync(self.device)
            self.start = time.perf_counter()
        elif self.start is not None:
            self.steps += 1

    def on_train_end(self, trainer, module):
        sync(self.device)
        self.end = time.perf_counter()


def lightning_loop(args, config: dict, views: ResidentViews, steps: int, per_fetch: int) -> float:
    """Images/s of `novelview train`'s loop; ``per_fetch`` optimiser steps per loader item."""
    config["trainer"]["steps_per_fetch"] = per_fetch
    warm_items, timed_items = -(-args.warmup // per_fetch), max(1, steps // per_fetch)
    config["trainer"]["max_steps"] = (warm_items + timed_items) * per_fetch
    data, module = prepare(config, args.data)
    data.views = views  # loaded once, shared by every measurement
    clock = Clock(warm_items, args.device)
    with tempfile.TemporaryDirectory() as run:
        trainer = build_trainer(config, Path(run), has_val=False)
        trainer.callbacks.append(clock)
        trainer.fit(module, datamodule=data)
    return clock.steps * per_fetch * config["data"]["batch_size"] / (clock.end - clock.start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--model", default="pose_encoder")
    parser.add_argument("--elevations", default="same")
    parser.add_argument("--batches", default="256,2048")
    parser.add_argument("--precisions", default="32-true,bf16-mixed")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--images", type=int, default=60000, help="images timed per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps-per-fetch", default="1,4", help="trainer.steps_per_fetch values to measure")
    parser.add_argument("--override", action="append", default=[], help="config key=value")
    parser.add_argument("--out", default="benchmarks/results/gpu.json")
    args = parser.parse_args()
    L.seed_everything(0, verbose=False)
    torch.backends.cudnn.benchmark = True  # as `novelview train` sets it
    first = config_for(args, 256, "32-true")
    data, _ = prepare(first, args.data)
    views = ResidentViews(data.store.views, data.table.models, args.device)
    angles = torch.from_numpy(data.store.view_azimuths()[data.table.models]).float().to(args.device)
    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        for precision in args.precisions.split(","):
            steps = max(20, args.images // batch)
            fetches = [int(k) for k in args.steps_per_fetch.split(",")]
            figures = {"bare": [], **{f"novelview_k{k}": [] for k in fetches}}
            for r in range(args.rounds):
                order = list(figures) if r % 2 == 0 else list(reversed(figures))
                for name in order:
                    config = config_for(args, batch, precision)
                    run = (bare(args, config, views, angles, steps) if name == "bare"
                           else lightning_loop(args, config, views, steps, int(name.split("_k")[1])))
                    figures[name].append(run)
            row = {"batch": batch, "precision": precision, "steps": steps,
                   **{f"{name}_img_s": round(statistics.median(v), 1) for name, v in figures.items()}, "runs": figures}
            for k in fetches:
                row[f"ratio_k{k}"] = round(row[f"novelview_k{k}_img_s"] / row["bare_img_s"], 3)
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "runs"}), flush=True)
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else cpu_name()
    result = {"device": device_name, "torch": torch.__version__, "model": args.model, "data": args.data,
              "objects": int(len(data.table.models)), "views_on_device_gib": round(views.tensor.numel() / 2**30, 2),
              "load_average": load_average(), "command": " ".join(sys.argv), "results": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
