"""A compact contact sheet of the whole Sweet Home 3D library: a few models of every catalogue
category, each from the front (azimuth 0) and the side (azimuth 90), rendered as ``render`` would.

    python benchmarks/sh3d_objects_sheet.py --out docs/images/sh3d_objects_check.png
    python benchmarks/sh3d_objects_sheet.py --ids KatorLegaz/concept-sedan-02-sport,Scopia/aquarium --size 128 --out /tmp/glass.png

Models are drawn per category with a seeded choice (``--per-category``, ``--seed``); ``--ids``
shows the named models instead, one row. Writes one PNG; prints the models shown and any that failed.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import load_model, texture_side_limit
from novelview.data.store import RenderJob
from novelview.images import composite_on_white

AZIMUTHS = (0.0, 90.0)
LABEL = 104  # pixels left of each row for the category's name
PAD = 2


def chosen(refs, per_category: int, seed: int, ids: list[str] | None) -> dict[str, tuple[list, int]]:
    """Category -> (the refs to show: a seeded choice, in catalogue order; how many it has),
    or one row of ``ids``."""
    if ids:
        by_id = {ref.model_id: ref for ref in refs}
        return {"chosen": ([by_id[m] for m in ids if m in by_id], len(ids))}
    rng = np.random.default_rng(seed)
    by_category = defaultdict(list)
    for ref in refs:
        by_category[ref.info.get("catalog_category") or ref.category].append(ref)
    return {category: ([group[i] for i in sorted(rng.choice(len(group), min(per_category, len(group)), replace=False))],
                       len(group)) for category, group in sorted(by_category.items())}


def views(ref, settings: RenderSettings) -> np.ndarray | None:
    try:
        loaded = load_model(ref, texture_side=texture_side_limit(settings.size, settings.supersample))
        renderer = Renderer(loaded.surface, settings)
        return composite_on_white(np.stack([renderer.render_view(a) for a in AZIMUTHS]))
    except (ValueError, IndexError, MemoryError, RuntimeError) as exc:
        print(json.dumps({"failed": ref.model_id, "reason": str(exc)}))
        return None


def sheet(rows: dict[str, list], settings: RenderSettings) -> Image.Image:
    size = settings.size
    columns = max(len(refs) for refs, _ in rows.values())
    cell = len(AZIMUTHS) * (size + PAD) + 4 * PAD  # a model: front and side, then a gap
    image = Image.new("RGB", (LABEL + columns * cell, len(rows) * (size + PAD) + PAD), "white")
    draw = ImageDraw.Draw(image)
    for r, (category, (refs, total)) in enumerate(rows.items()):
        y = PAD + r * (size + PAD)
        draw.text((4, y + size // 2 - 12), category[:17], fill=(0, 0, 0))
        draw.text((4, y + size // 2 + 2), f"{len(refs)} of {total}", fill=(90, 90, 90))
        for c, ref in enumerate(refs):
            pair = views(ref, settings)
            if pair is None:
                continue
            for a, view in enumerate(pair):
                x = LABEL + c * cell + a * (size + PAD)
                image.paste(Image.fromarray(view), (x, y))
            draw.rectangle([LABEL + c * cell - 1, y - 1, LABEL + c * cell + 2 * (size + PAD) - PAD, y + size],
                           outline=(215, 215, 215))
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="sh3d::objects")
    parser.add_argument("--out", type=Path, default=Path("docs/images/sh3d_objects_check.png"))
    parser.add_argument("--per-category", type=int, default=6)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ids", default="", help="comma list of model ids to show instead")
    args = parser.parse_args()
    settings = RenderSettings(size=args.size, azimuths=4, elevations=(0.0,), depth=False, azimuth_jitter=0.0)
    refs = RenderJob(args.source, args.out, settings).oriented_models()
    rows = chosen(refs, args.per_category, args.seed, [m for m in args.ids.split(",") if m] or None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet(rows, settings).save(args.out)
    print(json.dumps({"wrote": str(args.out), "shown": {c: [r.model_id for r in refs] for c, (refs, _) in rows.items()}}))


if __name__ == "__main__":
    main()
