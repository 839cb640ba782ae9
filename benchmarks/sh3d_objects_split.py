"""Write the split shipped for the whole Sweet Home 3D library (src/novelview/data/splits/sh3d_objects.json).

Every model of ``sh3d::objects`` (Debian's sweethome3d-furniture and the application's jar) goes to
train, val or test, stratified by catalogue category (5% val, 20% test of each, rounded), seeded, so
that every release tests on the same unseen models. The furniture set's models (the README's
``sh3d::chair,...,Vehicles``, split by the seeded default with 5% val and 20% test) keep the part
they had, so the test figures measured on that set stay comparable.

    python benchmarks/sh3d_objects_split.py            # rewrite the shipped file
    python benchmarks/sh3d_objects_split.py --check    # say whether the shipped file is up to date
    python benchmarks/sh3d_objects_split.py --cc-train runs/sh3d_cc_split.json   # for --split-file

``--cc-train FILE`` writes the shipped split with the copyleft (GPL) models left out of train and
val, as the shipped weights train: their test part is the shipped one, whole.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from novelview.data.sources import list_models
from novelview.data.split import SHIPPED_SPLIT_FOLDER, make_split
from novelview.data.store import RenderJob

FURNITURE_SET = "sh3d::chair,armchair,sofa,table,mug,cup,bottle,vase,Vehicles"
VAL_SHARE, TEST_SHARE, SEED = 0.05, 0.2, 0
OUT = SHIPPED_SPLIT_FOLDER / "sh3d_objects.json"


def furniture_set_parts() -> dict[str, str]:
    """model id -> part, as the furniture set was split (the seeded default of its render)."""
    ids = [ref.model_id for ref in list_models(FURNITURE_SET)]
    # a non-sh3d source name: the seeded split as it was before the shipped split existed
    split = make_split(ids, RenderJob("folder:furniture", Path("unused"), seed=SEED, val_share=VAL_SHARE,
                                      test_share=TEST_SHARE))
    return {ids[i]: part for part, indices in split.items() for i in indices}


def stratified_split() -> dict[str, list[str]]:
    refs = list_models("sh3d::objects")
    fixed = furniture_set_parts()
    by_category: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        by_category[ref.info.get("catalog_category") or ref.category].append(ref.model_id)
    parts: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    rng = np.random.default_rng(SEED)
    for category in sorted(by_category):
        ids = by_category[category]
        held = Counter(fixed[m] for m in ids if m in fixed)
        free = [m for m in ids if m not in fixed]
        free = [free[i] for i in rng.permutation(len(free))]
        n_test = max(0, int(round(len(ids) * TEST_SHARE)) - held["test"])
        n_val = max(0, int(round(len(ids) * VAL_SHARE)) - held["val"])
        chosen = {"test": free[:n_test], "val": free[n_test : n_test + n_val], "train": free[n_test + n_val :]}
        for part in parts:
            parts[part] += chosen[part] + [m for m in ids if fixed.get(m) == part]
    return {part: sorted(ids) for part, ids in parts.items()}


def write_cc_train(out: Path) -> None:
    """The shipped split, train and val without the models whose licence is copyleft."""
    shipped = json.loads(OUT.read_text())
    copyleft = {ref.model_id for ref in list_models("sh3d::objects") if ref.info.get("licence", "").startswith("GPL")}
    split = {part: [m for m in ids if part == "test" or m not in copyleft] for part, ids in shipped.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(split, indent=1) + "\n")
    print(json.dumps({"wrote": str(out), **{part: len(ids) for part, ids in split.items()},
                      "copyleft_left_out": len(copyleft - set(split["test"]))}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing it")
    parser.add_argument("--cc-train", type=Path, help="write the split without GPL models in train and val here")
    args = parser.parse_args()
    if args.cc_train:
        write_cc_train(args.cc_train)
        return
    split = stratified_split()
    text = json.dumps(split, indent=1) + "\n"
    sizes = {part: len(ids) for part, ids in split.items()}
    if args.check:
        same = OUT.exists() and OUT.read_text() == text
        print(json.dumps({"up_to_date": same, **sizes}))
        raise SystemExit(0 if same else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(json.dumps({"wrote": str(OUT), **sizes}))


if __name__ == "__main__":
    main()
