"""The mean of several exports of one run: each weight averaged over the checkpoints.

    python benchmarks/average_exports.py runs/a/export_step450 runs/a/export --out runs/a/mean

Checkpoints of one run at a low learning rate lie close together; the mean of their weights often
scores a little better than either (it did for the default's stage 4, chosen on validation). The
exports must hold the same family with the same options. Writes ``config.json`` (the first
export's, with the sources named) and ``model.safetensors`` to ``--out``, which must not exist.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def fail(message: str) -> None:
    """Bad input: one line naming the problem, exit status 2."""
    print(f"average_exports: {message}", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", type=Path, help="export folders (config.json + model.safetensors)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if len(args.exports) < 2:
        fail("give two or more export folders")
    if args.out.exists():
        fail(f"{args.out} exists; choose a new --out (nothing is overwritten)")

    from safetensors.torch import load_file, save_file

    configs, weights = [], []
    for folder in args.exports:
        try:
            configs.append(json.loads((folder / "config.json").read_text()))
            weights.append(load_file(str(folder / "model.safetensors")))
        except (OSError, ValueError) as exc:
            fail(f"{folder} is not a readable export folder ({exc})")
    first = configs[0]
    for folder, config, tensors in zip(args.exports[1:], configs[1:], weights[1:]):
        if (config.get("model"), config.get("options")) != (first.get("model"), first.get("options")):
            fail(f"{folder} holds another model or options than {args.exports[0]}")
        if {k: v.shape for k, v in tensors.items()} != {k: v.shape for k, v in weights[0].items()}:
            fail(f"{folder} has other tensors than {args.exports[0]}")
    mean = {}
    for name, tensor in weights[0].items():
        if tensor.is_floating_point():
            mean[name] = (sum(w[name].double() for w in weights) / len(weights)).to(tensor.dtype)
        else:  # counters and indices are not averaged
            mean[name] = tensor
    args.out.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in mean.items()}, str(args.out / "model.safetensors"))
    trained = {**first.get("trained", {}), "mean_of": [str(p) for p in args.exports]}
    (args.out / "config.json").write_text(json.dumps({**first, "trained": trained}, indent=2) + "\n")
    print(f"wrote {args.out} (the mean of {len(weights)} exports)")


if __name__ == "__main__":
    main()
