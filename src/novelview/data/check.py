"""Look before a long render: what a source would take (``render --list``) and how each model
stands (``render --check``: one row per model at azimuths 0, 90, 180 and 270, its id beside it).

Nothing here writes a data set. The check sheet shows at a glance a model that lies on its side,
stands upside down or shows its back at azimuth 0, which ``--up-axis``, ``--front`` or an
``--orientation`` file then fix.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import ModelRef, list_models, load_model, texture_side_limit

CHECK_AZIMUTHS = (0.0, 90.0, 180.0, 270.0)
ROWS_PER_COLUMN = 30
COLUMNS_PER_SHEET = 4
LABEL_WIDTH = 190
HINT = ("look for models lying on their side, upside down, or not showing their front in the first column "
        "(azimuth 0); fix them with --up-axis / --front (+x -x +y -y +z -z) or --orientation FILE "
        "(model id -> up, front or rotation), check again, then render without --check")


def listing(spec: str, models: int | None = None, seed: int = 0) -> list[str]:
    """Lines describing what ``spec`` would take: one per model, the libraries left out and why,
    a table of models per category and licence (catalogue sources), then the count per category."""
    from novelview.data.sources.registry import SOURCES, parse_source

    refs = list_models(spec, models, seed)
    lines = []
    for ref in refs:
        extra = ""
        if ref.info:
            about = ", ".join(ref.info[k] for k in ("catalog_category", "licence") if ref.info.get(k))
            extra = f"  {ref.info.get('name', '')} ({about})" if about else f"  {ref.info.get('name', '')}"
        lines.append(f"{ref.model_id}  [{ref.category}]{extra}")
    unreadable = getattr(SOURCES[parse_source(spec)[0]], "unreadable", {})
    lines += [f"left out {path}: {reason}" for path, reason in unreadable.items()]
    if any(ref.info.get("licence") for ref in refs):
        lines += _licence_table(refs)
    counts = Counter(ref.category for ref in refs)
    lines.append(f"{len(refs)} models in {len(counts)} categories: "
                 + ", ".join(f"{name} {count}" for name, count in sorted(counts.items())))
    return lines


def _licence_table(refs: list[ModelRef]) -> list[str]:
    """Models per category (rows) and licence (columns), aligned, with totals."""
    licences = sorted({ref.info.get("licence", "") or "unknown" for ref in refs})
    table = Counter((ref.category, ref.info.get("licence", "") or "unknown") for ref in refs)
    categories = sorted({ref.category for ref in refs})
    width = max(len("category"), *(len(c) for c in categories)) + 2
    columns = [max(len(name), 5) + 2 for name in licences]
    lines = ["category".ljust(width) + "models".rjust(8) + "".join(n.rjust(w) for n, w in zip(licences, columns))]
    for category in [*categories, "all"]:
        cells = [sum(v for (c, lic), v in table.items() if lic == name and category in (c, "all")) for name in licences]
        lines.append(category.ljust(width) + str(sum(cells)).rjust(8) + "".join(str(v).rjust(w) for v, w in zip(cells, columns)))
    return lines


def _check_row(args) -> tuple[np.ndarray | None, str]:
    """Worker: the four views of one model composited on white, and a label (or the reason it failed)."""
    from novelview.images import composite_on_white

    ref, settings = args
    try:
        loaded = load_model(ref, texture_side=texture_side_limit(settings.size, settings.supersample))
        renderer = Renderer(loaded.surface, settings)
        views = np.stack([renderer.render_view(azimuth) for azimuth in CHECK_AZIMUTHS])
    except (ValueError, IndexError, MemoryError, RuntimeError) as exc:
        return None, f"{ref.model_id}: skipped, {exc}"
    lost = ", textures lost" if loaded.texturing == "fallback" else ""
    return composite_on_white(views), f"{ref.model_id} [{ref.category}]{lost}"


def check_sheet(refs: list[ModelRef], settings: RenderSettings, out: Path, workers: int = 0) -> list[Path]:
    """Render the check rows of ``refs`` into PNG sheets (``out``, then ``out_2.png``, ...)."""
    settings = dataclasses.replace(settings, azimuths=len(CHECK_AZIMUTHS), elevations=(0.0,), depth=False,
                                   azimuth_jitter=0.0)
    todo = [(ref, settings) for ref in refs]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(todo) <= 1:
        rows = [_check_row(args) for args in todo]
    else:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        with mp.get_context(method).Pool(workers) as pool:
            rows = pool.map(_check_row, todo, chunksize=1)
    per_sheet = ROWS_PER_COLUMN * COLUMNS_PER_SHEET
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, len(rows), per_sheet):
        path = out if start == 0 else out.with_name(f"{out.stem}_{start // per_sheet + 1}{out.suffix or '.png'}")
        _sheet_image(rows[start : start + per_sheet], settings.size).save(path)
        paths.append(path)
    return paths


def _sheet_image(rows: list[tuple[np.ndarray | None, str]], size: int) -> Image.Image:
    """Rows of [label | 4 views], in balanced columns of at most ROWS_PER_COLUMN rows."""
    pad = 2
    row_width = LABEL_WIDTH + len(CHECK_AZIMUTHS) * (size + pad)
    columns = (len(rows) + ROWS_PER_COLUMN - 1) // ROWS_PER_COLUMN
    per_column = (len(rows) + columns - 1) // columns  # balanced columns
    height = per_column * (size + pad) + pad
    sheet = Image.new("RGB", (columns * (row_width + 3 * pad) + pad, height), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (views, label) in enumerate(rows):
        x0 = pad + (n // per_column) * (row_width + 3 * pad)
        y0 = pad + (n % per_column) * (size + pad)
        draw.text((x0, y0 + size // 2 - 6), _fit(label, LABEL_WIDTH - 6), fill=(0, 0, 0) if views is not None else (200, 0, 0))
        if views is None:
            continue
        for a, view in enumerate(views):
            x = x0 + LABEL_WIDTH + a * (size + pad)
            sheet.paste(Image.fromarray(view), (x, y0))
            draw.rectangle([x - 1, y0 - 1, x + size, y0 + size], outline=(220, 220, 220))
    return sheet


def _fit(label: str, width_px: int) -> str:
    """Cut a label to about ``width_px`` pixels of PIL's default font (6 px a character)."""
    limit = max(4, width_px // 6)
    return label if len(label) <= limit else label[: limit - 1] + "~"


SINGLE_CATEGORY_ROWS = 16  # a one-category set shows this many models by default


def sheet_plan(data_dir: str | Path, per_category: int | None, split: str = "all") -> tuple[int, str]:
    """Models per category for ``novelview sheet`` (None: 4, or 16 when the set has one category)
    and a line saying how many models the sheet shows of how many there are."""
    from novelview.data.store import ViewStore

    store = ViewStore(data_dir)
    counts = Counter(store.categories[m] for m in store.indices(split))
    if per_category is None:
        per_category = SINGLE_CATEGORY_ROWS if len(counts) == 1 else 4
    shown, total = sum(min(c, per_category) for c in counts.values()), sum(counts.values())
    categories = f"{len(counts)} categor{'y' if len(counts) == 1 else 'ies'}"
    line = f"shows {shown} of {total} models ({categories}, up to {per_category} each)"
    if shown < total:
        line += "; show more with --per-category N"
    return per_category, line
