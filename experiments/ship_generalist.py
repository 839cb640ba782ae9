"""Copy the round-3 generalist's export into src/novelview/weights/generalist with its training record.

    python experiments/ship_generalist.py runs/generalist_photo/export_best

The export's config.json says only its last stage; the shipped one lists the three stages of
experiments/generalist_cpu.sh, as the default's weights list theirs. The weights themselves are
copied byte for byte.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parents[1] / "src/novelview/weights/generalist"
CPU = "2-core CPU"
REAL = "sh3d::objects, the CC0/CC-BY training models of the shipped split (559)"
MIXED = ("that set + procedural:every?appearance=varied --models 13 (78 train) + procedural:all --models 60 "
         "--seed 5 (171 train), joined by novelview combine (808 train models)")


def stages(last_step: int) -> list[dict]:
    common = {"batch_size": 32, "lr": 1e-4, "device": CPU}
    return [
        {**common, "global_step": 5500, "data": REAL, "init": "default", "config": "finetune",
         "weights": "best validation checkpoint (step 5,500)"},
        {**common, "global_step": 992, "data": MIXED, "init": "stage 1", "config": "shipped/generalist, photo_framing 0",
         "weights": "best validation checkpoint (step 992)"},
        {**common, "global_step": last_step, "data": "the same set", "init": "stage 2", "config": "shipped/generalist",
         "photo_framing": 0.5, "weights": f"best validation checkpoint (step {last_step})"},
    ]


def main(export: str) -> None:
    export = Path(export)
    config = json.loads((export / "config.json").read_text())
    last_step = int(config["trained"]["global_step"])
    config["trained"] = {"stages": stages(last_step), "pairs": "all", "elevations": "any", "objective": "l1",
                         "global_step": 5500 + 992 + last_step}
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "training.json"):
        shutil.copyfile(export / name, WEIGHTS / name)
    (WEIGHTS / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"shipped {export} as {WEIGHTS} (stage 3: {last_step} steps)")


if __name__ == "__main__":
    main(sys.argv[1])
