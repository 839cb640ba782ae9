"""Look before a long render: what a source would take (``render --list``) and how each model
stands (``render --check``: one row per model and elevation at azimuths 0, 90, 180 and 270, its
id and elevation beside it).

Nothing here writes a data set. The check sheet shows at a glance a model that lies on its side,
stands upside down or shows its back at azimuth 0, which ``--up-axis``, ``--front`` or an
``--orientation`` file then fix; both say what a partial orientation entry inherits, and the
check names the models whose textures were used or lost.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from novelview.atomic import save_image
from novelview.data.render import RenderSettings, Renderer
from novelview.data.render_notes import FIRST_FEW, summary_lines, texturing_summary
from novelview.data.sources import ModelRef, list_models, load_model, orient_models, texture_side_limit
from novelview.data.sources.orientation import describe, inherited_lines
from novelview.plugins import load_plugins

CHECK_AZIMUTHS = (0.0, 90.0, 180.0, 270.0)
ROWS_PER_COLUMN = 30
COLUMNS_PER_SHEET = 4
LABEL_WIDTH = 190
HINT = ("look for models lying on their side, upside down, or not showing their front in the first column "
        "(azimuth 0); fix them with --up-axis / --front (+x -x +y -y +z -z) or --orientation FILE "
        "(model id -> up, front or rotation), check again, then render without --check")


def listing(spec: str, models: int | None = None, seed: int = 0, up_axis: str = "y", front: str | None = None,
            orientation_file: str | None = None) -> list[str]:
    """Lines describing what ``spec`` would take: one per model (with an orientation file, the
    up and front of the models it names, and what each partial entry inherits), the libraries
    left out and why, a table of models per category and licence (catalogue sources), then the
    count per category."""

    refs = orient_models(list_models(spec, models, seed), up_axis, front, orientation_file)
    lines = []
    for ref in refs:
        extra = ""
        if ref.info:
            about = ", ".join(ref.info[k] for k in ("catalog_category", "licence") if ref.info.get(k))
            extra = f"  {ref.info.get('name', '')} ({about})" if about else f"  {ref.info.get('name', '')}"
        if ref.orientation.get("entry"):  # named in the orientation file
            extra += f"  {describe(ref.orientation)}"
        if ref.info.get("model_rotation_problem"):
            extra += f"  (modelRotation not applied: {ref.info['model_rotation_problem']})"
        lines.append(f"{ref.model_id}  [{ref.category}]{extra}")
    lines += left_out_lines(spec)
    if any(ref.info.get("licence") for ref in refs):
        lines += _licence_table(refs)
    lines += orientation_lines(refs)
    counts = Counter(ref.category for ref in refs)
    lines.append(f"{len(refs)} models in {len(counts)} categories: "
                 + ", ".join(f"{name} {count}" for name, count in sorted(counts.items())))
    return lines


def left_out_lines(spec: str) -> list[str]:
    """What the source's last listing left out and why: libraries it could not read, pieces without
    a model (Sweet Home 3D); printed by --list, --check and render alike."""
    from novelview.data.sources.registry import SOURCES, parse_source

    source = SOURCES[parse_source(spec)[0]]
    left = {**getattr(source, "unreadable", {}), **getattr(source, "left_out", {})}
    return [f"left out {what}: {reason}" for what, reason in left.items()]


def orientation_lines(refs: list[ModelRef]) -> list[str]:
    """What each partial orientation entry (only up, or only front) inherits, one line each."""
    return [f"orientation: {line}" for line in inherited_lines(refs)]


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


def _check_rows(args) -> tuple[list[tuple[np.ndarray | None, str]], str | None, list]:
    """Worker: one row per elevation of one model (its four views composited on white, and a
    label, or the reason it failed), how it was textured (None when it failed) and its notices."""
    from novelview.images import composite_on_white

    ref, settings = args
    try:
        loaded = load_model(ref, texture_side=texture_side_limit(settings.size, settings.supersample))
        renderer = Renderer(loaded.surface, settings)
        views = [np.stack([renderer.render_view(azimuth, elevation) for azimuth in CHECK_AZIMUTHS])
                 for elevation in settings.elevations]
    except (ValueError, IndexError, MemoryError, RuntimeError) as exc:
        return [(None, f"{ref.model_id}: skipped, {exc}")], None, []
    lost = ", textures lost" if loaded.texturing == "fallback" else ""
    label = f"{ref.model_id} [{ref.category}]{lost}"
    if len(settings.elevations) == 1 and settings.elevations[0] == 0:
        return [(composite_on_white(views[0]), label)], loaded.texturing, loaded.notices
    # the elevation leads the label: a long id is cut at the end, and it must not take the elevation along
    return ([(composite_on_white(v), f"el {e:+g}  {label}") for e, v in zip(settings.elevations, views)],
            loaded.texturing, loaded.notices)



def check_sheet(refs: list[ModelRef], settings: RenderSettings, out: Path, workers: int = 0) -> tuple[list[Path], list[str]]:
    """Render the check rows of ``refs`` into PNG sheets (``out``, then ``out_2.png``, ...): one row
    per model and elevation of ``settings`` (--elevations). Returns the sheets and lines naming the
    models whose textures were used, lost or absent."""
    settings = dataclasses.replace(settings, azimuths=len(CHECK_AZIMUTHS), depth=False, azimuth_jitter=0.0)
    todo = [(ref, settings) for ref in refs]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(todo) <= 1:
        results = [_check_rows(args) for args in todo]
    else:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        with mp.get_context(method).Pool(workers, initializer=load_plugins) as pool:
            results = pool.map(_check_rows, todo, chunksize=1)
    rows = [row for model_rows, _, _ in results for row in model_rows]
    states = [(ref.model_id, state) for ref, (_, state, _) in zip(refs, results) if state is not None]
    # each kind of notice (a texture lost, and why) with the models it hit, as a render prints them
    by_kind: dict[str, list[str]] = {}
    for ref, (_, _, notices) in zip(refs, results):
        for kind in dict.fromkeys(kind for kind, _ in notices):
            by_kind.setdefault(kind, []).append(ref.model_id)
    notes = {kind: {"models": len(ids), "first": ids[:FIRST_FEW]} for kind, ids in sorted(by_kind.items())}
    first_messages = [f"  {ref.model_id}: {message}" for ref, (_, _, notices) in zip(refs, results)
                      for _, message in notices][:FIRST_FEW]
    per_sheet = ROWS_PER_COLUMN * COLUMNS_PER_SHEET
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, len(rows), per_sheet):
        path = out if start == 0 else out.with_name(f"{out.stem}_{start // per_sheet + 1}{out.suffix or '.png'}")
        save_image(_sheet_image(rows[start : start + per_sheet], settings.size), path)
        paths.append(path)
    return paths, [*summary_lines({**texturing_summary(states), "notices": notes}, in_meta=False), *first_messages]


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
    from novelview.data.viewstore import ViewStore

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
