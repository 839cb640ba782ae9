"""The mean of several exports of one run: each weight averaged over the checkpoints.

    python benchmarks/average_exports.py runs/a/export_step450 runs/a/export --out runs/a/mean

Checkpoints of one run at a low learning rate lie close together; the mean of their weights often
scores a little better than either (it did for the default's stage 4, chosen on validation). The
exports must hold the same family with the same options. Writes an export folder (the first
export's config, with the sources named under ``trained``) to ``--out``, which must not exist.
"""

from __future__ import annotations

import argparse
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

    import torch

    from novelview.errors import NovelviewError
    from novelview.models.io import load_model, save_model

    try:  # load_model checks each config against its weights and says what does not fit
        models = [load_model(folder) for folder in args.exports]
    except NovelviewError as exc:
        fail(str(exc))
    first = models[0]
    for folder, model in zip(args.exports[1:], models[1:]):
        if (model.model_name, model.config) != (first.model_name, first.config):
            fail(f"{folder} holds another model or options than {args.exports[0]}")
    states = [model.state_dict() for model in models]
    with torch.no_grad():
        for name, tensor in states[0].items():
            if tensor.is_floating_point():  # counters and indices, if a family has any, are not averaged
                tensor.copy_(sum(state[name].double() for state in states) / len(states))
    trained = {**first.info.get("trained", {}), "mean_of": [str(p) for p in args.exports]}
    save_model(first, args.out, extra={"trained": trained})
    print(f"wrote {args.out} (the mean of {len(models)} exports)")


if __name__ == "__main__":
    main()
