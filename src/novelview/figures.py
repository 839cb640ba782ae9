"""The evaluation's figures: error against rotation angle, and grids of input / target / outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from novelview.images import make_grid, to_uint8


def plot_error_by_angle(path: Path, results: dict, title: str) -> None:
    """Full-image L1 against rotation angle, one line per model (one marker for a single rotation)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for label, r in results["models"].items():
        keys = sorted(r["by_rotation"], key=float)
        xs = [float(k) for k in keys]
        ys = [r["by_rotation"][k]["l1_full"] for k in keys]
        if len(xs) == 1:
            ax.plot(xs, ys, "o", markersize=8, label=f"{label} (+{xs[0]:g} only)")
        else:
            ax.plot(xs, ys, "-", marker=".", markersize=4, label=label)
    ax.set_xlim(0, 360)
    ax.set_xticks(range(0, 361, 30))
    ax.set_xlabel("rotation (degrees)")
    ax.set_ylabel("full-image L1 (on [-1, 1])")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def choose_grid_rows(table: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` pairs, seeded, one per object while there are objects left, then any others."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(table))
    chosen, seen = [], set()
    for i in order:  # first pass: distinct objects
        if len(chosen) == n:
            break
        if int(table[i, 0]) not in seen:
            seen.add(int(table[i, 0]))
            chosen.append(i)
    for i in order:  # then fill up
        if len(chosen) == n:
            break
        if i not in chosen:
            chosen.append(i)
    return table[np.asarray(chosen, np.int64)]


@torch.no_grad()
def draw_grid(path: Path, source: torch.Tensor, target: torch.Tensor, rot: np.ndarray, row_labels: list[str],
              loaded, labels: list[str], device, title: str) -> None:
    """Rows = pairs; columns = input, target, each model's output (grey "n/a" where a model cannot
    produce that rotation). ``source``/``target`` (N, 3, H, W) in [-1, 1]; ``rot`` (N,) degrees."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    size = source.shape[-1]
    scale = max(1, 128 // size)
    columns = [to_uint8(source), to_uint8(target)]
    missing = []  # (row, col) with no prediction
    for c, model in enumerate(loaded):
        ok = np.isin(np.round(rot, 6), np.round(model.supported_rotations(), 6))
        cells = np.full((len(row_labels), size, size, 3), 200, np.uint8)
        if ok.any():
            pred = model.predict(source[ok].to(device), torch.from_numpy(rot[ok]))
            cells[ok] = to_uint8(pred)
        missing += [(r, c + 2) for r in np.flatnonzero(~ok)]
        columns.append(cells)
    up = lambda img: np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)  # noqa: E731
    grid_rows = [[up(col[r]) for col in columns] for r in range(len(row_labels))]
    pad = 4
    sheet = make_grid(grid_rows, pad=pad)
    cell = size * scale
    top, left, dpi = 40, 96, 100
    h, w = sheet.shape[:2]
    fig = plt.figure(figsize=((w + left) / dpi, (h + top) / dpi), dpi=dpi)
    ax = fig.add_axes([left / (w + left), 0, w / (w + left), h / (h + top)])
    ax.imshow(sheet, interpolation="nearest")
    ax.set_axis_off()
    names = ["input", "target", *labels]
    for c, name in enumerate(names):
        x = (left + pad + c * (cell + pad) + cell / 2) / (w + left)
        fig.text(x, 1 - 24 / (h + top), name, ha="center", va="center", fontsize=7)
    fig.text(0.5, 1 - 8 / (h + top), title, ha="center", va="center", fontsize=7, color="0.35")
    for r, text in enumerate(row_labels):
        y = 1 - (top + pad + r * (cell + pad) + cell / 2) / (h + top)
        fig.text(4 / (w + left), y, text, ha="left", va="center", fontsize=7)
    for r, c in missing:
        ax.text(pad + c * (cell + pad) + cell / 2, pad + r * (cell + pad) + cell / 2, "n/a",
                ha="center", va="center", fontsize=8, color="0.3")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
