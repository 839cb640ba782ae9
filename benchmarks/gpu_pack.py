"""Pack gpu_train.sh's exports for the trip back: at most 8 files of 16 MiB each.

default_l1.tar and default_gan.tar hold the candidates' exports in float32; compare_a/compare_b
the ordering runs (and default_l1 at COMPARE_STEPS as flow_completion) and twin.tar default_l1 at
the batch count default_gan reached, rounded to float16. Every tar also holds the run's
config.yaml and CSV log.
    python benchmarks/gpu_pack.py RUNS OUT COMPARE_STEPS
"""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from novelview.train import export_checkpoint


def export_step(run: Path, step: int) -> Path | None:
    checkpoint = run / "checkpoints" / f"step_{step}.ckpt"
    if not checkpoint.exists():
        return None
    return export_checkpoint(checkpoint, run / f"export_step_{step}")


def add(tar: tarfile.TarFile, run: Path, name: str, export: Path | None, half: bool) -> None:
    for path in (run / "config.yaml", run / "csv" / "metrics.csv"):
        if path.exists():
            tar.add(path, arcname=f"{name}/{path.relative_to(run)}")
    if export is None or not (export / "model.safetensors").exists():
        return
    tar.add(export / "config.json", arcname=f"{name}/export/config.json")
    weights = export / "model.safetensors"
    if half:
        state = {k: v.half() if v.dtype == torch.float32 else v for k, v in load_file(str(weights)).items()}
        weights = export / "model.fp16.safetensors"
        save_file(state, str(weights))
    tar.add(weights, arcname=f"{name}/export/model.safetensors")


def main() -> None:
    runs, out, compare_steps = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    l1 = runs / "default_l1"
    gan_config = runs / "default_gan" / "export" / "config.json"
    gan_batches = json.loads(gan_config.read_text())["trained"]["global_step"] // 2 if gan_config.exists() else 0
    saved = sorted(int(p.stem.split("_")[1]) for p in (l1 / "checkpoints").glob("step_*.ckpt"))
    twin_step = max([s for s in saved if s <= gan_batches], default=None)
    plan = {
        "default_l1": [("default_l1", l1, l1 / "export", False)],
        "default_gan": [("default_gan", runs / "default_gan", runs / "default_gan" / "export", False)],
        "compare_a": [(n, runs / n, runs / n / "export", True) for n in ("pose_encoder", "flow")],
        "compare_b": [("flow_visibility", runs / "flow_visibility", runs / "flow_visibility" / "export", True),
                      ("flow_completion", l1, export_step(l1, compare_steps), True)],
        "twin": [(f"twin_step_{twin_step}", l1, export_step(l1, twin_step) if twin_step else None, True)],
    }
    for tar_name, entries in plan.items():
        with tarfile.open(out / f"{tar_name}.tar", "w") as tar:
            for name, run, export, half in entries:
                add(tar, run, name, export, half)
        print(tar_name, (out / f"{tar_name}.tar").stat().st_size, "bytes; default_gan batches", gan_batches,
              "twin step", twin_step, "saved", saved)


if __name__ == "__main__":
    main()
