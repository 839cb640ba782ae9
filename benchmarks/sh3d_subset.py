"""Pack the furniture a rendered sh3d data set used into smaller .sh3f files, to re-render it elsewhere.

The device machine takes at most 64 MiB of files, less than Debian's five libraries (120 MB). This
keeps, per library, the catalogue, the licence and the folders of the models in the chosen parts
of the split (the test models stay behind), and writes beside them:
- ``split.json``: those models' ids by part, for ``novelview render --split-file`` (the models left
  out are skipped there as missing members, so the test split never reaches training);
- ``views.sha1``: each kept model's views as rendered here, to check the new render is the same.

    python benchmarks/sh3d_subset.py pack data/furniture .carry/furniture --parts train,val
    python benchmarks/sh3d_subset.py check .carry/furniture data/furniture_tv   # after the new render
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from novelview.data.sources.sh3d import DEBIAN_FOLDER


def model_folder(source_path: str) -> str:
    return posixpath.dirname(source_path.lstrip("/")).lower()


def view_digest(views) -> str:
    """SHA-1 of one model's views (any array layout), the same on every machine for the same bytes."""
    return hashlib.sha1(np.ascontiguousarray(views).tobytes()).hexdigest()


def pack(data: Path, out: Path, parts: list[str], library_folder: Path) -> dict:
    meta = json.loads((data / "meta.json").read_text())
    split = json.loads((data / "split.json").read_text())
    views = np.load(data / "views.npy", mmap_mode="r")
    kept = sorted(i for part in parts for i in split.get(part, []))
    folders = defaultdict(set)
    for i in kept:
        folders[meta["model_info"][i]["library_file"]].add(model_folder(meta["source_paths"][i]))
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for library_file, wanted in sorted(folders.items()):
        target = out / library_file
        with zipfile.ZipFile(library_folder / library_file) as source, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as packed:
            for member in source.infolist():
                folder = posixpath.dirname(member.filename).lower()
                if folder == "" or folder in wanted:  # top level: the catalogues and LICENSE.TXT
                    packed.writestr(member, source.read(member))
        sizes[library_file] = target.stat().st_size
    ids = meta["model_ids"]
    (out / "split.json").write_text(json.dumps({p: [ids[i] for i in split.get(p, [])] for p in parts}, indent=1))
    (out / "views.sha1").write_text("".join(
        f"{ids[i]}\t{view_digest(views[i])}\n" for i in kept))
    return {"models": len(kept), "bytes": sizes}


def check(packed: Path, data: Path) -> dict:
    """Which models of ``data`` (rendered from the packed libraries) match the views.sha1 of the pack."""
    expected = dict(line.split("\t") for line in (packed / "views.sha1").read_text().splitlines())
    ids = json.loads((data / "meta.json").read_text())["model_ids"]
    views = np.load(data / "views.npy", mmap_mode="r")
    differ = [m for i, m in enumerate(ids)
              if view_digest(views[i]) != expected.get(m)]
    return {"expected": len(expected), "rendered": len(ids), "identical": len(ids) - len(differ), "differ": differ}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack", help="write the smaller libraries, split.json and views.sha1")
    packing.add_argument("data", type=Path, help="a data set rendered from sh3d")
    packing.add_argument("out", type=Path)
    packing.add_argument("--parts", default="train,val")
    packing.add_argument("--libraries", type=Path, default=Path(DEBIAN_FOLDER))
    checking = commands.add_parser("check", help="compare a render of the pack with the views it was made from")
    checking.add_argument("packed", type=Path)
    checking.add_argument("data", type=Path)
    args = parser.parse_args()
    if args.command == "pack":
        print(json.dumps(pack(args.data, args.out, args.parts.split(","), args.libraries), indent=1))
    else:
        print(json.dumps(check(args.packed, args.data)))


if __name__ == "__main__":
    main()
