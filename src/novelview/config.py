"""Experiment configs: YAML files with an optional ``extends:`` parent, plus key=value overrides.

The defaults below are the original's settings; a config file only says what differs.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from novelview.errors import NovelviewError

DEFAULTS: dict = {
    "seed": 0,
    "model": {"name": "pose_encoder", "options": {}},
    "data": {
        "pairs": "from_zero",  # fixed | from_zero | all
        "fixed_step": 3,
        "val_pairs": None,  # default: same as pairs
        "max_val_pairs": 1024,
        "batch_size": 36,
        "num_workers": 0,
        "elevation_index": 0,
    },
    "optim": {
        "lr": 1.0e-3,
        "betas": [0.9, 0.999],
        "decay_rate": 0.96,  # exponential decay per decay_steps, as the original
        "decay_steps": 1000,
        "grad_clip": 5.0,  # global norm; null turns it off
    },
    "gan": {
        "alpha": 1.0,  # L1 weight
        "beta": 0.2,  # adversarial weight
        "lr_d": 5.0e-5,
        "g_steps_per_d": 5,
        "skip_threshold": 0.2,  # skip D while its real and fake losses are both below this
        "real_label_range": [0.8, 1.2],
        "feature_matching": True,
    },
    "trainer": {
        "max_epochs": 20,
        "max_steps": -1,
        "accelerator": "auto",
        "devices": 1,
        "strategy": "auto",
        "num_nodes": 1,
        "precision": "32-true",
        "log_every_n_steps": 50,
        "val_check_interval": None,
        "check_val_every_n_epoch": 1,
        "sample_every_n_val": 1,
    },
}


def merge(base: dict, update: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(path: str | Path | None, overrides: list[str] = ()) -> dict:
    """DEFAULTS <- the file (and its ``extends`` chain) <- ``a.b=value`` overrides (values parsed as YAML)."""
    config = copy.deepcopy(DEFAULTS)
    if path is not None:
        config = merge(config, _read_chain(Path(path), depth=0))
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise NovelviewError(f"bad override {item!r}: use section.key=value, e.g. optim.lr=0.0005")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise NovelviewError(f"bad override {item!r}: the value is not valid YAML "
                                 f"({str(exc).splitlines()[0]})") from None
        set_key(config, key, value)
    check(config)
    return config


def _read_chain(path: Path, depth: int) -> dict:
    if depth > 8:
        raise NovelviewError(f"config {path}: 'extends' nests too deep (a cycle?)")
    if not path.is_file():
        raise NovelviewError(f"config file {path} not found: see configs/ for the shipped ones")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise NovelviewError(f"config {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise NovelviewError(f"config {path} must be a mapping of sections")
    # A run folder's config.yaml records the data set it was trained on; it is informative only,
    # so that file can be given back as --config.
    data.pop("data_dir", None)
    parent = data.pop("extends", None)
    if parent:
        return merge(_read_chain((path.parent / parent).resolve(), depth + 1), data)
    return data


def set_key(config: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = config
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            raise NovelviewError(f"unknown config key {dotted!r}: no section {part!r}")
        node = node[part]
    # Model options are the model's constructor arguments (checked when it is built); nothing else is free.
    free = parts[:2] == ["model", "options"] and len(parts) > 2
    if parts[-1] not in node and not free:
        raise NovelviewError(f"unknown config key {dotted!r}: known keys here are {', '.join(sorted(node))}")
    node[parts[-1]] = value


def check(config: dict) -> None:
    """Reject configs with unknown sections or keys, so a typo is never silently ignored."""
    from novelview.data.pairs import MODES
    from novelview.models import MODELS

    for section, body in config.items():
        if section not in DEFAULTS:
            raise NovelviewError(f"unknown config section {section!r}: known are {', '.join(DEFAULTS)}")
        if isinstance(DEFAULTS[section], dict):
            if not isinstance(body, dict):
                raise NovelviewError(f"config section {section!r} must be a mapping of keys, not {body!r}")
            unknown = set(body) - set(DEFAULTS[section])
            if unknown:
                raise NovelviewError(f"unknown key {sorted(unknown)[0]!r} in section {section!r}: "
                                     f"known are {', '.join(sorted(DEFAULTS[section]))}")
    model, data = config["model"], config["data"]
    if model.get("name") not in MODELS:
        raise NovelviewError(f"unknown model {model.get('name')!r} (model.name): choose from {', '.join(sorted(MODELS))}")
    if not isinstance(model.get("options"), dict):
        raise NovelviewError("model.options must be a mapping of the model's options (or left out)")
    batch = data["batch_size"]
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise NovelviewError(f"data.batch_size must be a whole number of at least 1, not {batch!r}")
    for key in ("pairs", "val_pairs"):
        if data[key] not in MODES and not (key == "val_pairs" and data[key] is None):
            raise NovelviewError(f"data.{key} is {data[key]!r}: choose from {', '.join(MODES)}")
    if model["name"] == "autoencoder" and (data["pairs"] != "fixed" or data["val_pairs"] not in (None, "fixed")):
        raise NovelviewError("the autoencoder only learns +30 degree pairs: set data.pairs=fixed "
                             "(and leave data.val_pairs unset)")
    steps = config["gan"]["g_steps_per_d"]
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise NovelviewError(f"gan.g_steps_per_d must be a whole number of at least 1, not {steps!r}")


def dump(config: dict, path: Path) -> None:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
