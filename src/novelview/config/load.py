"""Experiment configs: YAML files with an optional ``extends:`` parent, plus key=value overrides.

The defaults below are the original's settings; a config file only says what differs.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from novelview.config.files import resolve_config
from novelview.errors import NovelviewError

DEFAULTS: dict = {
    "seed": 0,
    "model": {"name": "pose_encoder", "options": {}, "init": None},  # init: start from an export's weights
    "objective": {"name": "l1", "options": {}},
    "data": {
        "pairs": "from_zero",  # fixed | from_zero | all (novelview.data.pairs)
        "elevations": "same",  # same | any: may source and target differ in elevation
        "fixed_step": 3,
        "val_pairs": None,  # default: same as pairs
        "max_val_pairs": 1024,
        "batch_size": 36,
        "num_workers": 0,
        "elevation_index": None,  # one elevation of the set, or null for all of them
        "device": "auto",  # auto | accelerator | host: where the uint8 views live while training
        "device_share": 0.5,  # auto: put the views on the accelerator if they take at most this share
        "photo_framing": 0.0,  # share of training sources re-framed as photos are (training/photo_framing.py)
    },
    "optim": {
        "lr": 1.0e-3,
        "betas": [0.9, 0.999],
        "decay_rate": 0.96,  # exponential decay per decay_steps, as the original
        "decay_steps": 1000,
        "grad_clip": 5.0,  # global norm; null turns it off
    },
    "trainer": {
        "max_epochs": 20,
        "max_steps": -1,
        "max_time": None,  # "DD:HH:MM:SS", e.g. "00:00:02:30" for a run of two and a half minutes
        "accelerator": "auto",
        "devices": 1,
        "strategy": "auto",
        "num_nodes": 1,
        "precision": "32-true",
        "channels_last": False,
        "steps_per_fetch": 1,  # optimiser steps per loader item: k batches handed over at once
        "save_every_n_steps": None,  # also keep a checkpoint every N steps (checkpoints/step_N.ckpt)
        "threads": None,  # torch threads per process; null: all cores, shared among processes
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
        config = merge(config, _read_chain(resolve_config(path), depth=0))
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
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise NovelviewError(f"config {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except UnicodeDecodeError:  # a binary file (an image, a checkpoint) given as --config
        raise NovelviewError(f"config {path} is not a text file (not UTF-8): give a YAML config, e.g. "
                             "--config flow (novelview configs lists the shipped ones)") from None
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
    # Model and objective options are checked by their owners; nothing else is free.
    free = parts[:2] in (["model", "options"], ["objective", "options"]) and len(parts) > 2
    if parts[-1] not in node and not free:
        raise NovelviewError(f"unknown config key {dotted!r}: known keys here are {', '.join(sorted(node))}")
    node[parts[-1]] = value


def check(config: dict) -> None:
    """Reject configs with unknown sections or keys, and values of the wrong type or range, up
    front, so that a typo never fails late or is silently ignored."""
    from novelview.config.check import check_values

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
    check_values(config)


def resolved(config: dict) -> dict:
    """A checked config with every component's options filled from its declaration: what
    ``novelview train --print-config`` shows. Options the data set decides (image size, azimuth
    grid, elevations, camera) are left out unless the config sets them (training fills them from
    the data set), so the output can be given back as ``--config``."""
    from novelview.config.options import from_data, to_dict
    from novelview.models import MODELS
    from novelview.objectives import resolve_options

    out = copy.deepcopy(config)
    model_class = MODELS[config["model"]["name"]]
    if model_class.Options is not None:
        given = config["model"].get("options") or {}
        filled = to_dict(model_class.parse_options(given))
        out["model"]["options"] = {k: v for k, v in filled.items()
                                   if k in given or k not in from_data(model_class.Options)}
    out["objective"]["options"] = resolve_options(config["objective"]["name"], config["objective"].get("options"))
    return out


def dump(config: dict, path: Path) -> None:
    from novelview.data.files import write_text_atomic

    write_text_atomic(path, yaml.safe_dump(config, sort_keys=False))
