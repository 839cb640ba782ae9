"""The types and ranges of every config value, checked before anything is built or written."""

from __future__ import annotations

import re

from novelview.errors import NovelviewError

PRECISIONS = ("32-true", "32", "16-mixed", "bf16-mixed", "bf16-true", "16-true", "64-true")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
STRATEGIES = ("auto", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook", "fsdp", "single_device")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(ok: bool, key: str, what: str, value) -> None:
    if not ok:
        raise NovelviewError(f"{key} must be {what}, not {value!r}")


def check_values(config: dict) -> None:
    from novelview.data.pairs import ELEVATION_MODES, MODES
    from novelview.models import MODELS
    from novelview.objectives import resolve_options

    _require(_whole(config["seed"]), "seed", "a whole number", config["seed"])
    model, objective = config["model"], config["objective"]
    if model.get("name") not in MODELS:
        raise NovelviewError(f"unknown model {model.get('name')!r} (model.name): choose from {', '.join(sorted(MODELS))}")
    _require(isinstance(model.get("options", {}), dict), "model.options", "a mapping of the model's options",
             model.get("options"))
    if MODELS[model["name"]].Options is not None:  # each key and value, against the family's declaration
        MODELS[model["name"]].parse_options(model.get("options"))
    _require(model.get("init") is None or isinstance(model.get("init"), str), "model.init",
             "null or an export folder / shipped model name", model.get("init"))
    resolve_options(objective.get("name"), objective.get("options"))

    d = config["data"]
    for key in ("pairs", "val_pairs"):
        if d[key] not in MODES and not (key == "val_pairs" and d[key] is None):
            raise NovelviewError(f"data.{key} is {d[key]!r}: choose from {', '.join(MODES)}")
    _require(d["elevations"] in ELEVATION_MODES, "data.elevations", " or ".join(ELEVATION_MODES), d["elevations"])
    _require(d["device"] in ("auto", "accelerator", "host"), "data.device", "auto, accelerator or host", d["device"])
    for key, low in (("batch_size", 1), ("fixed_step", 1), ("max_val_pairs", 1), ("num_workers", 0)):
        _require(_whole(d[key]) and d[key] >= low, f"data.{key}", f"a whole number of at least {low}", d[key])
    _require(d["elevation_index"] is None or (_whole(d["elevation_index"]) and d["elevation_index"] >= 0),
             "data.elevation_index", "null or a whole number of at least 0", d["elevation_index"])
    _require(_number(d["device_share"]) and 0 < d["device_share"] <= 1, "data.device_share",
             "a number in (0, 1]", d["device_share"])
    _require(_number(d["photo_framing"]) and 0 <= d["photo_framing"] <= 1, "data.photo_framing",
             "a number in [0, 1]", d["photo_framing"])

    o = config["optim"]
    _require(_number(o["lr"]) and o["lr"] > 0, "optim.lr", "a positive number", o["lr"])
    _require(isinstance(o["betas"], list) and len(o["betas"]) == 2 and all(_number(b) and 0 <= b < 1 for b in o["betas"]),
             "optim.betas", "two numbers in [0, 1)", o["betas"])
    _require(_number(o["decay_rate"]) and 0 < o["decay_rate"] <= 1, "optim.decay_rate", "a number in (0, 1]", o["decay_rate"])
    _require(_number(o["decay_steps"]) and o["decay_steps"] > 0, "optim.decay_steps", "a positive number", o["decay_steps"])
    _require(o["grad_clip"] is None or (_number(o["grad_clip"]) and o["grad_clip"] > 0), "optim.grad_clip",
             "null or a positive number", o["grad_clip"])

    t = config["trainer"]
    for key, low in (("max_epochs", -1), ("max_steps", -1), ("num_nodes", 1), ("log_every_n_steps", 1), ("steps_per_fetch", 1),
                     ("check_val_every_n_epoch", 1), ("sample_every_n_val", 1)):
        _require(_whole(t[key]) and t[key] >= low, f"trainer.{key}", f"a whole number of at least {low}", t[key])
    _require(t["max_time"] is None or (isinstance(t["max_time"], str) and re.fullmatch(r"\d+:\d\d:\d\d:\d\d", t["max_time"])),
             "trainer.max_time", "null or DD:HH:MM:SS", t["max_time"])
    _require(str(t["precision"]) in PRECISIONS, "trainer.precision", "one of " + ", ".join(PRECISIONS), t["precision"])
    _require(t["accelerator"] in ACCELERATORS, "trainer.accelerator", "one of " + ", ".join(ACCELERATORS), t["accelerator"])
    _require(t["strategy"] in STRATEGIES, "trainer.strategy", "one of " + ", ".join(STRATEGIES), t["strategy"])
    devices = t["devices"]
    _require(devices == "auto" or (_whole(devices) and devices >= 1) or devices == -1,
             "trainer.devices", "a whole number of at least 1, -1 or auto", devices)
    _require(isinstance(t["channels_last"], bool), "trainer.channels_last", "true or false", t["channels_last"])
    _require(t["save_every_n_steps"] is None or (_whole(t["save_every_n_steps"]) and t["save_every_n_steps"] >= 1),
             "trainer.save_every_n_steps", "null or a whole number of at least 1", t["save_every_n_steps"])
    _require(t["threads"] is None or (_whole(t["threads"]) and t["threads"] >= 1), "trainer.threads",
             "null or a whole number of at least 1", t["threads"])
    interval = t["val_check_interval"]
    _require(interval is None or (_number(interval) and interval > 0), "trainer.val_check_interval",
             "null or a positive number", interval)
