"""Where models come from: ShapeNet, any folder of meshes, or the built-in procedural set.

A source spec is a string: ``procedural:CATEGORY[,CATEGORY...]`` (or ``procedural:all``),
``shapenet:PATH[:CATEGORY]`` or ``folder:PATH``. ``list_models`` turns it into ModelRefs (cheap,
picklable); ``load_surface`` turns one ModelRef into a Surface for the renderer.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from novelview.data import procedural
from novelview.data.render import linear_to_srgb, srgb_to_linear
from novelview.data.surface import Surface, concatenate
from novelview.errors import NovelviewError

log = logging.getLogger(__name__)

MESH_SUFFIXES = (".obj", ".glb", ".gltf", ".ply", ".stl", ".off")

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
_SYNSET_NAMES = {v: k for k, v in SHAPENET_SYNSETS.items()}


@dataclass(frozen=True)
class ModelRef:
    """One model of a source: enough to load it in another process."""

    model_id: str
    category: str
    path: str = ""  # mesh file (shapenet, folder)
    index: int = -1  # procedural index
    seed: int = 0  # procedural seed
    front: str = "+z"  # the side the source calls the front; turned to face the azimuth-0 camera


def parse_source(spec: str) -> tuple[str, str, str]:
    """'kind:rest' -> (kind, path_or_categories, category). Raises NovelviewError on a bad spec."""
    kind, _, rest = spec.partition(":")
    if kind not in ("procedural", "shapenet", "folder") or not rest:
        raise NovelviewError(
            f"bad source {spec!r}: use procedural:CATEGORY, shapenet:PATH[:CATEGORY] or folder:PATH"
        )
    category = ""
    if kind == "shapenet" and ":" in rest:
        head, _, tail = rest.rpartition(":")
        if head and not Path(rest).exists():
            rest, category = head, tail
    return kind, rest, category


def list_models(spec: str, models: int | None = None, seed: int = 0) -> list[ModelRef]:
    """The models of a source in a stable order; ``models`` keeps the first N (per category for procedural)."""
    kind, rest, category = parse_source(spec)
    if kind == "procedural":
        names = procedural.CATEGORIES if rest == "all" else tuple(rest.split(","))
        for name in names:
            if name not in procedural.CATEGORIES:
                raise NovelviewError(
                    f"unknown procedural category {name!r}: choose from {', '.join(procedural.CATEGORIES)} or all"
                )
        count = 100 if models is None else models
        return [ModelRef(f"{name}_{seed}_{i:05d}", name, index=i, seed=seed) for name in names for i in range(count)]
    root = Path(rest).expanduser()
    if not root.is_dir():
        raise NovelviewError(f"source folder {root} does not exist or is not a folder: check the path")
    refs = _list_shapenet(root, category) if kind == "shapenet" else _list_folder(root)
    if not refs:
        raise NovelviewError(f"no meshes found under {root} ({kind} layout): check the path and layout")
    return refs if models is None else refs[:models]


def _list_shapenet(root: Path, category: str) -> list[ModelRef]:
    """ShapeNetCore v1 (<synset>/<model>/model.obj) and v2 (<synset>/<model>/models/model_normalized.obj)."""
    if category:
        synset = SHAPENET_SYNSETS.get(category, category)
        if not (synset.isdigit() and len(synset) == 8):
            raise NovelviewError(
                f"unknown ShapeNet category {category!r}: use a synset id or one of {', '.join(sorted(SHAPENET_SYNSETS))}"
            )
        synset_dirs = [root / synset] if (root / synset).is_dir() else []
        if not synset_dirs and root.name == synset:
            synset_dirs = [root]
        if not synset_dirs:
            raise NovelviewError(f"no folder {synset} ({category}) under {root}: is this the ShapeNetCore root?")
    else:
        synset_dirs = sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit())
    refs = []
    for synset_dir in synset_dirs:
        name = _SYNSET_NAMES.get(synset_dir.name, synset_dir.name)
        for model_dir in sorted(p for p in synset_dir.iterdir() if p.is_dir()):
            for candidate in (model_dir / "models" / "model_normalized.obj", model_dir / "model.obj"):
                if candidate.is_file():
                    # ShapeNetCore aligns models with +Y up and the front towards -Z.
                    refs.append(ModelRef(f"{synset_dir.name}/{model_dir.name}", name, str(candidate), front="-z"))
                    break
    return refs


def _list_folder(root: Path) -> list[ModelRef]:
    """One model per mesh file directly in ``root``, or per sub-folder (its first mesh file)."""
    refs = []
    for entry in sorted(root.iterdir()):
        if entry.is_file() and entry.suffix.lower() in MESH_SUFFIXES:
            refs.append(ModelRef(entry.stem, root.name, str(entry)))
        elif entry.is_dir():
            meshes = sorted(p for p in entry.rglob("*") if p.suffix.lower() in MESH_SUFFIXES)
            if meshes:
                refs.append(ModelRef(entry.name, root.name, str(meshes[0])))
    return refs


def load_surface(ref: ModelRef, up_axis: str = "y") -> Surface:
    """Load one model; raises ValueError (with the reason) for unreadable, empty or degenerate meshes."""
    if ref.index >= 0:
        return procedural.make_model(ref.category, ref.seed, ref.index)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scene = trimesh.load(ref.path, force="scene", process=False)
    except Exception as exc:  # trimesh raises many types for bad files
        raise ValueError(f"unreadable mesh: {type(exc).__name__}: {exc}".strip()) from None
    try:
        unreadable = _drop_unreadable_textures(scene)
        meshes = [m for m in scene.dump() if isinstance(m, trimesh.Trimesh) and len(m.faces)]
        # trimesh drops an OBJ texture it cannot read without a trace: find the names in the MTL.
        textures = _obj_texture_materials(ref.path) if _lost_texture_possible(meshes, ref.path) else {}
        textures.update(unreadable)
        parts = [_mesh_to_surface(mesh, ref.path, textures) for mesh in meshes]
    except Exception as exc:  # broken indices, colours or materials inside a file that parsed
        raise ValueError(f"unreadable mesh: {type(exc).__name__}: {exc}".strip()) from None
    if not parts:
        raise ValueError("empty mesh: no triangles")
    surface = concatenate(parts)
    surface.vertices = _front_to_plus_z(_to_y_up(surface.vertices, up_axis), ref.front)
    if not np.isfinite(surface.vertices).all() or not _has_area(surface.vertices, surface.faces):
        raise ValueError("degenerate mesh: non-finite vertices or no area")
    return surface


def _has_area(vertices: np.ndarray, faces: np.ndarray) -> bool:
    """True when some triangle has an area that is not rounding noise (collinear meshes have none)."""
    extent = float(np.ptp(vertices, axis=0).max())
    if extent <= 0:
        return False
    tri = (vertices[faces] - vertices.min(0)) / extent
    area2 = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return bool(area2.max() > 1e-9)


def _drop_unreadable_textures(scene) -> dict[str, str]:
    """Forget texture images that PIL opened but cannot decode (truncated, corrupt); {material name: why}."""
    dropped = {}
    for geometry in scene.geometry.values():
        visual = getattr(geometry, "visual", None)
        material = getattr(visual, "material", None) if isinstance(visual, trimesh.visual.TextureVisuals) else None
        image = _material_image(material)
        if image is None:
            continue
        try:
            image.load()
        except Exception as exc:  # PIL decodes lazily: a broken file fails only here
            if _is_pbr(material):
                material.baseColorTexture = None
            else:
                material.image = None
            dropped[getattr(material, "name", None) or ""] = f"{type(exc).__name__}: {exc}"
    return dropped


def _lost_texture_possible(meshes: list, path: str) -> bool:
    if not str(path).lower().endswith(".obj"):
        return False
    for mesh in meshes:
        visual = mesh.visual
        if isinstance(visual, trimesh.visual.TextureVisuals) and visual.material is not None:
            if not _is_pbr(visual.material) and _material_image(visual.material) is None:
                return True
    return False


def _obj_texture_materials(path: str) -> dict[str, str]:
    """{material name: map_Kd file} from the MTL files an OBJ names (mtllib lines)."""
    obj = Path(path)
    found: dict[str, str] = {}
    try:
        with open(obj, "rb") as handle:
            libs = [line.decode("utf-8", "replace").split(None, 1)[1].strip()
                    for line in handle if line.lstrip().startswith(b"mtllib") and len(line.split()) > 1]
    except OSError:
        return found
    for lib in libs:
        try:
            text = (obj.parent / lib).read_text(errors="replace")
        except OSError:
            continue
        name = None
        for line in text.splitlines():
            split = line.strip().split()
            if len(split) < 2:
                continue
            key = split[0].lower()
            if key == "newmtl":
                name = " ".join(split[1:])
            elif key == "map_kd" and name is not None:
                found[name] = " ".join(split[1:])
    return found


def _front_to_plus_z(vertices: np.ndarray, front: str) -> np.ndarray:
    """Turn about the vertical axis so that the source's front faces +z (azimuth 0)."""
    x, y, z = vertices[:, 0], vertices[:, 1], vertices[:, 2]
    turned = {"+z": (x, y, z), "-z": (-x, y, -z), "+x": (-z, y, x), "-x": (z, y, -x)}
    if front not in turned:
        raise NovelviewError(f"unknown front axis {front!r}: use +z, -z, +x or -x")
    return np.stack(turned[front], axis=1)


def _to_y_up(vertices: np.ndarray, up_axis: str) -> np.ndarray:
    if up_axis == "y":
        return vertices
    if up_axis == "z":  # (x, y, z) z-up -> (x, z, -y) y-up, keeping the -y side as the front
        return np.stack([vertices[:, 0], vertices[:, 2], -vertices[:, 1]], axis=1)
    raise NovelviewError(f"unknown up axis {up_axis!r}: use y or z")


DEFAULT_GREY = (0.7, 0.7, 0.7)


def _mesh_to_surface(mesh: trimesh.Trimesh, path: str, texture_files: dict[str, str] | None = None) -> Surface:
    """Colours from a trimesh visual: texture through UVs, per-vertex or per-face colours, material colour."""
    faces = np.asarray(mesh.faces, np.int64)
    vertices = np.asarray(mesh.vertices, np.float64)
    n = len(faces)
    visual = mesh.visual
    if isinstance(visual, trimesh.visual.ColorVisuals):
        if visual.kind == "vertex":
            rgb = np.asarray(visual.vertex_colors)[:, :3] / 255.0
            return Surface(vertices, faces, rgb[faces].astype(np.float32))
        if visual.kind == "face":
            rgb = np.asarray(visual.face_colors)[:, :3] / 255.0
            return Surface(vertices, faces, np.repeat(rgb[:, None], 3, axis=1).astype(np.float32))
        return Surface(vertices, faces, np.full((n, 3, 3), DEFAULT_GREY, np.float32))
    if isinstance(visual, trimesh.visual.TextureVisuals):
        material = visual.material
        base = _material_colour(material)
        colors = np.full((n, 3, 3), base, np.float32)
        image = _material_image(material)
        uv = getattr(visual, "uv", None)
        texture = None if image is None else np.asarray(image.convert("RGB"), np.float32) / 255.0
        if texture is None and _material_names_texture(material, texture_files):
            log.warning("%s: texture file missing or unreadable; using the material colour", path)
        if texture is not None and uv is not None and len(uv) == len(vertices):
            if _is_pbr(material):  # glTF: the factor multiplies the texture in linear light
                factor = srgb_to_linear(np.asarray(base, np.float32))
                texture = linear_to_srgb(srgb_to_linear(texture) * factor).astype(np.float32)
            corner_uv = np.asarray(uv, np.float32)[faces]
            return Surface(vertices, faces, colors, corner_uv, np.zeros(n, np.int32), [texture])
        return Surface(vertices, faces, colors)
    return Surface(vertices, faces, np.full((n, 3, 3), DEFAULT_GREY, np.float32))


def _is_pbr(material) -> bool:
    return isinstance(material, trimesh.visual.material.PBRMaterial)


def _material_colour(material) -> tuple[float, float, float]:
    if material is None:
        return DEFAULT_GREY
    if _is_pbr(material):
        factor = material.baseColorFactor
        if factor is None:
            return (1.0, 1.0, 1.0) if material.baseColorTexture is not None else DEFAULT_GREY
        linear = np.asarray(factor, np.float64)[:3] / (255.0 if np.asarray(factor).dtype == np.uint8 else 1.0)
        return tuple(float(c) for c in linear_to_srgb(linear))  # glTF factors are linear, Surface is sRGB
    diffuse = getattr(material, "diffuse", None)
    if diffuse is None:
        return DEFAULT_GREY
    return tuple(np.asarray(diffuse, np.float64)[:3] / 255.0)


def _material_image(material):
    if material is None:
        return None
    return material.baseColorTexture if _is_pbr(material) else getattr(material, "image", None)


def _material_names_texture(material, texture_files: dict[str, str] | None = None) -> bool:
    """True when the material refers to a texture file (OBJ map_Kd) that did not load.

    trimesh keeps no trace of a map_Kd it failed to read (the material's kwargs hold Kd only),
    so the names come from the MTL files themselves (``texture_files``, see load_surface).
    """
    kwargs = getattr(material, "kwargs", None) or {}
    if any(str(k).lower() == "map_kd" for k in kwargs):
        return True
    return bool(texture_files) and (getattr(material, "name", None) or "") in texture_files
