"""``shapenet:ROOT[:CATEGORY]`` or ``shapenet:ROOT/SYNSET``: ShapeNetCore v1 and v2.

v1 keeps ``<synset>/<model>/model.obj``, v2 ``<synset>/<model>/models/model_normalized.obj``
with textures in ``<model>/images/`` (named from the MTL as ``../images/...``, so the data root
is the ShapeNet root, not the model's folder). ShapeNetCore's convention: +y up, front -z.
"""

from __future__ import annotations

from pathlib import Path

from novelview.data.sources.folder import existing_folder, load_file
from novelview.data.sources.registry import LoadedModel, ModelRef, register
from novelview.errors import NovelviewError

# ShapeNetCore synset ids of the common categories (taxonomy names shortened).
SHAPENET_SYNSETS = {
    "airplane": "02691156", "bag": "02773838", "basket": "02801938", "bathtub": "02808440",
    "bed": "02818832", "bench": "02828884", "birdhouse": "02843684", "bookshelf": "02871439",
    "bottle": "02876657", "bowl": "02880940", "bus": "02924116", "cabinet": "02933112",
    "camera": "02942699", "can": "02946921", "cap": "02954340", "car": "02958343",
    "chair": "03001627", "clock": "03046257", "dishwasher": "03207941", "display": "03211117",
    "earphone": "03261776", "faucet": "03325088", "file": "03337140", "guitar": "03467517",
    "helmet": "03513137", "jar": "03593526", "knife": "03624134", "lamp": "03636649",
    "laptop": "03642806", "loudspeaker": "03691459", "mailbox": "03710193", "microphone": "03759954",
    "microwave": "03761084", "motorcycle": "03790512", "mug": "03797390", "piano": "03928116",
    "pillow": "03938244", "pistol": "03948459", "pot": "03991062", "printer": "04004475",
    "remote": "04074963", "rifle": "04090263", "rocket": "04099429", "skateboard": "04225987",
    "sofa": "04256520", "stove": "04330267", "table": "04379243", "telephone": "04401088",
    "tower": "04460130", "train": "04468005", "vessel": "04530566", "washer": "04554684",
}
SYNSET_NAMES = {v: k for k, v in SHAPENET_SYNSETS.items()}
MODEL_FILES = (Path("models") / "model_normalized.obj", Path("model.obj"))


def is_synset(name: str) -> bool:
    return name.isdigit() and len(name) == 8


@register("shapenet")
class ShapeNetSource:
    def list(self, location: str, category: str, models: int | None, seed: int) -> list[ModelRef]:
        root = existing_folder(location)
        synset_dirs = _synset_dirs(root, category)
        refs = []
        for synset_dir in synset_dirs:
            name = SYNSET_NAMES.get(synset_dir.name, synset_dir.name)
            for model_dir in sorted(p for p in synset_dir.iterdir() if p.is_dir()):
                mesh = next((model_dir / f for f in MODEL_FILES if (model_dir / f).is_file()), None)
                if mesh is not None:
                    refs.append(ModelRef(f"{synset_dir.name}/{model_dir.name}", name, str(mesh), front="-z",
                                         root=str(synset_dir.parent), source="shapenet"))
        if not refs:
            raise NovelviewError(f"no meshes found under {root} (shapenet layout): check the path and layout")
        return refs if models is None else refs[:models]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        return load_file(ref, texture_side)


def _synset_dirs(root: Path, category: str) -> list[Path]:
    """The synset folders to read: one category's, all under the root, or the root itself when
    it is a synset folder (``shapenet:ROOT/03001627``)."""
    if category:
        synset = SHAPENET_SYNSETS.get(category, category)
        if not is_synset(synset):
            raise NovelviewError(
                f"unknown ShapeNet category {category!r}: use a synset id or one of {', '.join(sorted(SHAPENET_SYNSETS))}"
            )
        if (root / synset).is_dir():
            return [root / synset]
        if root.name == synset:
            return [root]
        raise NovelviewError(f"no folder {synset} ({category}) under {root}: is this the ShapeNetCore root?")
    synset_dirs = sorted(p for p in root.iterdir() if p.is_dir() and is_synset(p.name))
    if not synset_dirs and is_synset(root.name):
        return [root]
    return synset_dirs
