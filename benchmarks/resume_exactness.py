"""Does a resume after kill -9 give the uninterrupted run's weights? Measured for every periodic
checkpoint of a small run.

A run killed with SIGKILL leaves its periodic ``step_N.ckpt`` files and no checkpoint of its last
step; ``--resume`` then continues from the newest of them. Resuming a folder that holds only
``step_N.ckpt`` is that situation after a kill right after step N was written (the kill tests in
tests/training/test_kill_and_resume.py do it with real SIGKILLs). This script trains the
uninterrupted run once with a checkpoint every step, then, for each N asked, resumes a copy holding
only ``step_N.ckpt`` and prints the final step and the largest absolute weight difference.

    OMP_NUM_THREADS=1 python benchmarks/resume_exactness.py --bound epochs --steps 5,11 data.num_workers=1
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import warnings
from pathlib import Path

import torch

from novelview.config.load import load_config
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, render_dataset
from novelview.train import train

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
QUICK = ["data.batch_size=8", "trainer.log_every_n_steps=1", "trainer.accelerator=cpu", "trainer.devices=1",
         "trainer.threads=1", "trainer.save_every_n_steps=1"]
BOUNDS = {"steps": ["trainer.max_steps=20", "trainer.max_epochs=-1"], "epochs": ["trainer.max_epochs=3"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bound", choices=sorted(BOUNDS), default="steps")
    parser.add_argument("--steps", default="5,11", help="the periodic checkpoints to resume from, comma-separated")
    parser.add_argument("--config", default="pose_encoder")
    parser.add_argument("overrides", nargs="*", help="more config overrides, e.g. data.num_workers=1")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    root = Path(tempfile.mkdtemp(prefix="resume_exactness_"))
    data = root / "data"  # the training tests' 64x64 set: 8 batches of 8 a pass
    render_dataset(RenderJob("procedural:all", data, RenderSettings(size=64, supersample=1), models=2, seed=0,
                             workers=1, val_share=0.34, test_share=0.34), progress=False)

    def config():
        return load_config(CONFIGS / f"{args.config}.yaml", [*QUICK, *BOUNDS[args.bound], *args.overrides])

    straight = root / "straight"
    train(config(), data, straight)
    expected = torch.load(straight / "checkpoints" / "last.ckpt", weights_only=True)
    for n in (int(s) for s in args.steps.split(",")):
        run = root / f"from_{n}"
        (run / "checkpoints").mkdir(parents=True)
        shutil.copy(straight / "checkpoints" / f"step_{n}.ckpt", run / "checkpoints")
        train(config(), data, run, resume=True)
        got = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
        diff = max(float((v - got["state_dict"][k]).abs().max()) for k, v in expected["state_dict"].items())
        print(f"resumed from step_{n}: final step {got['global_step']} (uninterrupted {expected['global_step']}), "
              f"max abs weight difference {diff:.3g}", flush=True)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
