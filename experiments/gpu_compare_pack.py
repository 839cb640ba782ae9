"""Pack gpu_compare.sh's runs for the trip back (at most 8 files of 16 MiB each), in float16.

- order_a.tar (pose_encoder, flow), order_b.tar (both flow_visibility runs), order_c.tar
  (flow_completion): each run's checkpoint at the last step that every ordering run reached, so
  the families are compared at one budget;
- adv_twin.tar and adv_<weight>.tar: the L1 twin and each adversarial fine-tune at one batch count,
  the last that all of them saved (an adversarial run makes two optimiser steps per batch, one for
  G and one for D, and Lightning counts both: its step 2N is the twin's step N).
Every tar also holds each run's config.yaml and CSV log; the choices go to stdout.
    python experiments/gpu_compare_pack.py RUNS OUT
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from gpu_pack import add, export_step  # noqa: E402  (benchmarks/gpu_pack.py packs the same way)

ORDERING = {"order_a": ["order_pose_encoder", "order_flow"],
            "order_b": ["order_flow_visibility", "order_flow_visibility_v01"],
            "order_c": ["order_flow_completion"]}


def saved_steps(run: Path) -> list[int]:
    return sorted(int(p.stem.split("_")[1]) for p in (run / "checkpoints").glob("step_*.ckpt"))


def pack_ordering(runs: Path, out: Path) -> None:
    reached = {name: saved_steps(runs / name) for names in ORDERING.values() for name in names}
    common = min((steps[-1] if steps else 0) for steps in reached.values())
    print("ordering: last saved step per run", {n: s[-1] if s else None for n, s in reached.items()}, "-> compared at", common)
    for tar_name, names in ORDERING.items():
        with tarfile.open(out / f"{tar_name}.tar", "w") as tar:
            for name in names:
                run = runs / name
                add(tar, run, name, export_step(run, common) if common else None, half=True)


def pack_adversarial(runs: Path, out: Path) -> None:
    """All at one batch count: the last that the twin and every adversarial run saved."""
    twin = runs / "adv_twin"
    adversarial = [run for run in sorted(runs.glob("adv_*")) if run != twin]
    reached = {run.name: (saved_steps(run) or [0])[-1] // 2 for run in adversarial}
    batches = min([(saved_steps(twin) or [0])[-1], *reached.values()])
    print("adversarial: batches saved per run", reached, "twin", saved_steps(twin)[-1:], "-> compared at", batches)
    if not batches:
        return
    with tarfile.open(out / "adv_twin.tar", "w") as tar:
        add(tar, twin, "adv_twin", export_step(twin, batches), half=True)
    for run in adversarial:
        with tarfile.open(out / f"{run.name}.tar", "w") as tar:
            add(tar, run, run.name, export_step(run, 2 * batches), half=True)


def main() -> None:
    runs, out = Path(sys.argv[1]), Path(sys.argv[2])
    pack_ordering(runs, out)
    pack_adversarial(runs, out)
    for tar in sorted(out.glob("*.tar")):
        print(tar.name, tar.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
