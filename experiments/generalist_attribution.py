"""Write src/novelview/weights/generalist/ATTRIBUTION.md: the real models the shipped generalist saw.

    python experiments/generalist_attribution.py data/library/sh3d_cc

The generalist trained on the training models of the Sweet Home 3D library's CC0/CC-BY set (and chose
its checkpoints on the validation models), beside procedural shapes novelview makes itself. CC-BY
asks for credit in anything adapted from those models, weights included, so the file lists them,
as `novelview attribution` does for a data set.
"""

from __future__ import annotations

import sys
from pathlib import Path

from novelview.data.attribution import attribution_markdown
from novelview.data.files import write_text_atomic
from novelview.data.viewstore import ViewStore

OUT = Path(__file__).resolve().parents[1] / "src/novelview/weights/generalist/ATTRIBUTION.md"


def main(data_dir: str) -> None:
    store = ViewStore(data_dir)
    seen = sorted(store.indices("train") + store.indices("val"))
    meta = {**store.meta, "model_ids": [store.model_ids[i] for i in seen],
            "model_info": [store.meta["model_info"][i] for i in seen]}
    text = attribution_markdown(meta, Path(data_dir).name)
    intro = text.split("\n\n")[1]  # the data set's own first paragraph, replaced by the weights'
    text = text.replace(intro, (
        f"The shipped weights `generalist` were trained on views of the {len(seen)} Sweet Home 3D models below (the "
        f"{len(store.indices('train'))} training and {len(store.indices('val'))} validation models of the library's "
        f"CC0 and CC-BY set, source `{store.meta['source']}`), beside procedural shapes that novelview generates, so "
        "they and anything made with them derive from these models. Where a licence asks for credit (CC-BY), keep "
        "this file with what you share."), 1)
    write_text_atomic(OUT, text)
    print(f"wrote {OUT}: {len(seen)} models")


if __name__ == "__main__":
    main(sys.argv[1])
