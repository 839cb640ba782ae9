"""What the training tests share: quick config overrides, a fit that hands back the module, the
logged metrics, optimiser step counts, validation pairs read straight from views.npy and the
console command for tests that run training in another process."""

from __future__ import annotations

import contextlib
import csv
import sys
from pathlib import Path

import numpy as np
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from novelview.config.load import load_config
from novelview.data.pairs import PairTable
from novelview.data.viewstore import ViewStore
from novelview.images import to_model_input
from novelview.train import build_trainer, prepare

torch.set_num_threads(1)


ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
QUICK = ["data.batch_size=8", "trainer.log_every_n_steps=1", "trainer.accelerator=cpu", "trainer.devices=1",
         "trainer.threads=1"]
# The flow families at a small width, on the 32x32 jittered set (validation at epoch ends only).
SMALL_FLOW = ["data.batch_size=4", "model.options.width=0.5", "trainer.val_check_interval=null"]


def config_for(name: str, *overrides: str) -> dict:
    return load_config(CONFIGS / f"{name}.yaml", [*QUICK, *overrides])


def metrics(run: Path) -> list[dict]:
    with open(run / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def column(rows: list[dict], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key) not in (None, "")]


@contextlib.contextmanager
def count_steps():
    """Counts optimizer.step() calls, by which parameters the optimiser holds ('D' or 'G')."""
    counts = {"D": 0, "G": 0}

    def hook(optimizer, args, kwargs):
        first = optimizer.param_groups[0]["params"][0]
        counts["D" if getattr(first, "_is_disc", False) else "G"] += 1

    handle = register_optimizer_step_post_hook(hook)
    try:
        yield counts
    finally:
        handle.remove()


def mark_discriminator(module) -> None:
    for p in module.model.discriminator.parameters():
        p._is_disc = True


def fit(config: dict, data_dir: Path, out: Path):
    """prepare + build_trainer + fit, as ``train`` does, but handing back the trained module."""
    data, module = prepare(config, data_dir)
    trainer = build_trainer(config, out, data.val_table is not None, monitor=module.objective.MONITOR)
    trainer.fit(module, datamodule=data)
    return data, module, trainer


def val_pairs(data_dir: Path, pairs: str, split: str = "val"):
    """The split's pairs and their source and target images, read straight from views.npy."""
    store = ViewStore(data_dir)
    chosen = PairTable(store, split, pairs).all()
    flat = np.asarray(store.views).reshape(-1, *store.views.shape[3:])
    return chosen, to_model_input(flat[chosen.source_view]), to_model_input(flat[chosen.target_view])


def val_l1(model, data_dir: Path, pairs: str) -> float:
    chosen, source, target = val_pairs(data_dir, pairs)
    prediction = model.predict(source, torch.from_numpy(chosen.rotation_deg))
    return float((prediction - target).abs().mean())


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def novelview_command() -> list[str]:
    script = Path(sys.executable).parent / "novelview"
    return [str(script)] if script.exists() else [sys.executable, "-m", "novelview.cli"]


def render_cars_without_depth(out: Path, models: int, val_share: float, test_share: float) -> Path:
    """procedural:car, 32x32, 8 azimuths, no depth.npy: a quick set for runs that need no visibility."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    job = RenderJob("procedural:car", out, RenderSettings(size=32, azimuths=8, supersample=1, depth=False),
                    models=models, seed=0, workers=1, val_share=val_share, test_share=test_share)
    render_dataset(job, progress=False)
    return out

