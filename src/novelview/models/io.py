"""Export and load: a folder with ``config.json`` (rebuilds the model) and ``model.safetensors``.

``config.json`` holds only what inference needs (the family's options that are not marked
training-only); an export from training adds ``training.json`` beside it with the loss weights
and the objective. Exports written before that, whose config.json still holds loss weights, load
unchanged.

Nothing is unpickled on load. Shipped weights live in ``novelview/weights/<name>/`` and are
found by name: ``load_model("pose_encoder")``. A ``+mirror`` suffix (``load_model("default+mirror")``)
wraps the model in mirror averaging (``novelview.models.mirror``).

A folder that cannot work is refused on load, one line naming the file and the fix: a config.json
that is not ours (or too big to be), weights that do not fit it, integer tensors where the model
has floating-point ones, NaN or infinite weights (a diverged run). ``novelview doctor`` reports
the same problems through ``ModelFileError``'s parts.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from novelview.atomic import replace_folder
from novelview.errors import NovelviewError
from novelview.models.mirror import MirrorAveraged, split_spec
from novelview.models.registry import MODELS, build_model

SHIPPED = Path(__file__).resolve().parent.parent / "weights"
FORMAT = "novelview-model-1"
EXPORT_FILES = frozenset({"config.json", "model.safetensors", "training.json"})  # what save_model writes
CONFIG_LIMIT = 1 << 20  # bytes; a model's config.json is under 2 KiB: a bigger one is not ours, so not read


class ModelFileError(NovelviewError):
    """A problem with one file of an export folder: ``path``, what is wrong (``problem``, worded to
    follow the path: "is ...", "holds ...") and what to do (``fix``, may be empty)."""

    def __init__(self, path: Path, problem: str, fix: str = ""):
        super().__init__(f"{path} {problem}" + (f": {fix}" if fix else ""))
        self.path, self.problem, self.fix = Path(path), problem, fix


def remake_hint(folder: Path) -> str:
    """How to get sound files again: reinstall for shipped weights, export again for the user's own."""
    if folder.resolve().parent == SHIPPED.resolve():
        return "reinstall novelview the way it was installed: its shipped weights are damaged"
    return (f"re-export it from a sound checkpoint (`novelview export --checkpoint RUN/checkpoints/best.ckpt "
            f"--out {folder}`), or train again")


def save_model(model, folder: str | Path, extra: dict | None = None, training: dict | None = None) -> Path:
    """Write ``config.json`` and ``model.safetensors`` into ``folder`` (created if needed), and
    ``training.json`` when ``training`` (settings only training reads, such as loss weights) is given.
    The folder is written whole beside ``folder`` and swapped in (``novelview.atomic.replace_folder``):
    a kill or a full disk leaves an existing export as it was, never new weights under an old config."""
    folder = Path(folder)
    with replace_folder(folder, state_bytes(model), owned=EXPORT_FILES) as new:
        write_export_files(model, new, extra, training)
    return folder


def state_bytes(model) -> int:
    return sum(v.numel() * v.element_size() for v in model.state_dict().values())


def write_export_files(model, new: Path, extra: dict | None = None, training: dict | None = None) -> None:
    """The files of an export, into ``new``: the folder ``replace_folder`` then swaps in whole."""
    config = {"format": FORMAT, "model": model.model_name, "options": model.config, **(extra or {})}
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(new / "model.safetensors"))
    (new / "model.safetensors").chmod(0o644)  # safetensors writes 0600; shipped weights must be readable
    (new / "config.json").write_text(json.dumps(config, indent=2))
    if training is not None:
        (new / "training.json").write_text(json.dumps(training, indent=2))


def shipped_names() -> list[str]:
    return sorted(p.name for p in SHIPPED.glob("*") if (p / "config.json").exists())


def resolve(path_or_name: str | Path) -> Path:
    """A path to an export folder (or its config.json), or the name of shipped weights."""
    path_or_name, _ = split_spec(path_or_name)
    path = Path(path_or_name)
    if path.name == "config.json":
        path = path.parent
    if (path / "config.json").exists():
        return path
    if (SHIPPED / str(path_or_name) / "config.json").exists():
        return SHIPPED / str(path_or_name)
    if path.suffix == ".ckpt" and path.exists():
        raise NovelviewError(f"{path} is a training checkpoint: export it with `novelview export` and load the folder")
    shipped = ", ".join(shipped_names()) or "none installed"
    raise NovelviewError(f"no model at {path_or_name!r}: give an export folder (config.json + model.safetensors) "
                         f"or a shipped name ({shipped})")


def read_config(folder: Path) -> dict:
    path = folder / "config.json"
    size = path.stat().st_size
    if size > CONFIG_LIMIT:  # read whole, a giant file would stall or exhaust memory first
        raise ModelFileError(path, f"is {size / 2**20:.1f} MiB, too big for a model config (they are under "
                                   "2 KiB), so it was not read", remake_hint(folder))
    try:
        config = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise ModelFileError(path, f"is not valid JSON: {exc}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT or config.get("model") not in MODELS:
        found = (f"format {config.get('format')!r}, model {config.get('model')!r}" if isinstance(config, dict)
                 else f"a JSON {type(config).__name__}, not an object")
        raise ModelFileError(path, f"is not a novelview model config ({found}); "
                                   f"known models: {', '.join(sorted(MODELS))}")
    if not isinstance(config.get("options", {}), dict):
        raise ModelFileError(path, "holds 'options' that are not an object of model options")
    return config


def _file_header(weights: Path) -> dict[str, tuple[tuple, str]]:
    """Tensor names -> (shape, dtype such as 'F32') from the safetensors header alone (nothing is
    read or allocated)."""
    if not weights.exists():
        raise NovelviewError(f"{weights.parent} has config.json but no model.safetensors")
    try:
        with safe_open(str(weights), framework="pt") as handle:
            return {k: (tuple(handle.get_slice(k).get_shape()), handle.get_slice(k).get_dtype()) for k in handle.keys()}
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise NovelviewError(f"cannot read {weights}: {exc}") from None


def _not_finite(state: dict) -> list[str]:
    """Names of the floating-point tensors holding NaN or an infinity (what a diverged run exports)."""
    return [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]


def load_model(path_or_name: str | Path, expect: str | None = None, device: str = "cpu"):
    """Rebuild a model from an export folder or shipped name, in eval mode.

    The config is first built on torch's meta device (no memory) and its tensor shapes compared
    with the weights file's header, so a config.json that does not fit its weights (say, absurd
    channel counts) is refused before anything is allocated.
    """
    folder = resolve(path_or_name)  # resolve reads past a +mirror suffix; the wrapping is done below
    config = read_config(folder)
    if expect is not None and config["model"] != expect:
        raise NovelviewError(f"{folder} holds a {config['model']} model, not a {expect}")
    weights = folder / "model.safetensors"
    header = _file_header(weights)
    in_file = {k: shape for k, (shape, _) in header.items()}
    with torch.device("meta"):
        own_tensors = build_model(config["model"], **config.get("options", {})).state_dict()
    own = {k: tuple(v.shape) for k, v in own_tensors.items()}
    missing = [k for k in own if k not in in_file]
    unexpected = [k for k in in_file if k not in own]
    if missing or unexpected:
        raise ModelFileError(weights, f"does not fit its config ({len(missing)} missing, "
                                      f"{len(unexpected)} unexpected tensors, e.g. {(missing or unexpected)[0]})",
                             remake_hint(folder))
    wrong = [k for k in own if own[k] != in_file[k]]
    if wrong:
        k = wrong[0]
        raise ModelFileError(weights, f"does not fit its config: {len(wrong)} tensors have other shapes, e.g. "
                                      f"{k} is {in_file[k]} in the file but {own[k]} in a "
                                      f"{config['model']} built from config.json", remake_hint(folder))
    # load_state_dict would cast integers to floats silently: integer weights are damage, not a format.
    integer = [k for k, v in own_tensors.items() if v.is_floating_point() and not header[k][1].startswith(("F", "BF"))]
    if integer:
        k = integer[0]
        raise ModelFileError(weights, f"holds {header[k][1]} (not floating-point) values in {len(integer)} tensor(s) "
                                      f"where the model has floating-point weights, e.g. {k}", remake_hint(folder))
    model = build_model(config["model"], **config.get("options", {}))
    try:
        state = load_file(str(weights), device=device)
    except Exception as exc:
        raise NovelviewError(f"cannot read {weights}: {exc}") from None
    bad = _not_finite(state)
    if bad:
        raise ModelFileError(weights, f"holds weights that are not finite numbers (NaN or infinite values in "
                                      f"{len(bad)} tensor(s), e.g. {bad[0]}: a run that diverged, or damage)",
                             remake_hint(folder))
    model.load_state_dict(state)
    model.info = {k: v for k, v in config.items() if k not in ("format", "options")}
    model = model.to(device).eval()
    return MirrorAveraged(model) if split_spec(path_or_name)[1] else model
