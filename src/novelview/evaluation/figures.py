"""The evaluation's figures: error against rotation angle, and grids of input / target / outputs."""

from __future__ import annotations

from novelview.atomic import save_figure
from pathlib import Path

import numpy as np
import torch

from novelview.data.pairs import Pairs
from novelview.images import make_grid, to_uint8
from novelview.evaluation.report import baseline_name


def plot_error_by_angle(path: Path, results: dict, title: str) -> None:
    """Full-image L1 against rotation angle: one line per model, dashed lines for the baselines."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    rows = [(label, r, "-") for label, r in results["models"].items()]
    rows += [(baseline_name(label, r), r, "--") for label, r in results.get("baselines", {}).items()]
    for label, r, style in rows:
        keys = sorted(r["by_rotation"], key=float)
        xs = [float(k) for k in keys]
        ys = [r["by_rotation"][k]["l1_full"] for k in keys]
        if len(xs) == 1:
            ax.plot(xs, ys, "o", markersize=8, label=f"{label} (+{xs[0]:g} only)")
        else:
            ax.plot(xs, ys, style, marker="." if style == "-" else None, markersize=4, label=label,
                    color="0.5" if style == "--" and "copy" in label else ("0.75" if style == "--" else None))
    ax.set_xlim(0, 360)
    ax.set_xticks(range(0, 361, 30))
    ax.set_xlabel("rotation (degrees)")
    ax.set_ylabel("full-image L1 (on [-1, 1])")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def choose_grid_rows(pairs: Pairs, n: int, seed: int) -> Pairs:
    """``n`` pairs, seeded, one per object while there are objects left, then any others."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    chosen, seen = [], set()
    for i in order:  # first pass: distinct objects
        if len(chosen) < n and int(pairs.model[i]) not in seen:
            seen.add(int(pairs.model[i]))
            chosen.append(i)
    chosen += [i for i in order if i not in set(chosen)][: max(0, n - len(chosen))]
    return pairs.subset(np.asarray(chosen, np.int64))


@torch.no_grad()
def draw_grid(path: Path, scorer, pairs: Pairs, predictors: list, store, title: str) -> None:
    """Rows = pairs; columns = input, target, each model's output (grey "n/a" where a model cannot
    draw that pair)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    source, _ = scorer.images(pairs.source_view)
    target, _ = scorer.images(pairs.target_view)
    size = source.shape[-1]
    scale = max(1, 128 // size)
    columns = [to_uint8(source), to_uint8(target)]
    missing = []  # (row, col) with no prediction
    for c, predictor in enumerate(predictors):
        ok = predictor.supports(pairs)
        cells = np.full((len(pairs), size, size, 3), 200, np.uint8)
        if ok.any():
            cells[ok] = to_uint8(predictor.predict(source[torch.from_numpy(ok)], pairs.subset(ok)))
        missing += [(r, c + 2) for r in np.flatnonzero(~ok)]
        columns.append(cells)
    up = lambda img: np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)  # noqa: E731
    pad = 4
    sheet = make_grid([[up(col[r]) for col in columns] for r in range(len(pairs))], pad=pad)
    cell = size * scale
    top, left, dpi = 40, 110, 100
    h, w = sheet.shape[:2]
    fig = plt.figure(figsize=((w + left) / dpi, (h + top) / dpi), dpi=dpi)
    ax = fig.add_axes([left / (w + left), 0, w / (w + left), h / (h + top)])
    ax.imshow(sheet, interpolation="nearest")
    ax.set_axis_off()
    for c, name in enumerate(["input", "target", *[p.label for p in predictors]]):
        x = (left + pad + c * (cell + pad) + cell / 2) / (w + left)
        fig.text(x, 1 - 24 / (h + top), name, ha="center", va="center", fontsize=7)
    fig.text(0.5, 1 - 8 / (h + top), title, ha="center", va="center", fontsize=7, color="0.35")
    for r in range(len(pairs)):
        text = (f"{store.categories[int(pairs.model[r])]}\naz {pairs.source_azimuth[r]:g}° → {pairs.target_azimuth[r]:g}°"
                f"\nel {pairs.source_elevation[r]:g}° → {pairs.target_elevation[r]:g}°")
        y = 1 - (top + pad + r * (cell + pad) + cell / 2) / (h + top)
        fig.text(4 / (w + left), y, text, ha="left", va="center", fontsize=6)
    for r, c in missing:
        ax.text(pad + c * (cell + pad) + cell / 2, pad + r * (cell + pad) + cell / 2, "n/a",
                ha="center", va="center", fontsize=8, color="0.3")
    save_figure(fig, path, dpi=dpi)
    plt.close(fig)
