"""Doctor checks of a run folder (config.yaml, checkpoints/, export/) and of an export folder (its
files, then the model loaded from them as ``novelview.models.io.load_model`` loads it).

Checkpoints are opened with ``torch.load(weights_only=True)`` only: a file that needs more than
tensors and plain containers is reported, never unpickled, so a planted payload cannot run. A
damaged checkpoint is moved aside to ``NAME.damaged`` by ``--repair``, not deleted; one that
only cannot be read (permission denied) is left where it is, and its permissions named.
"""

from __future__ import annotations

import pickle
import re
import warnings
from pathlib import Path

from novelview.data.files import NO_PERMISSION, load_json, stale_temporary_files
from novelview.doctor.examine import Finding, finding


def _permission_problem(path: Path) -> str | None:
    """NO_PERMISSION when this user may not open ``path``; libraries that read it (torch,
    safetensors) would report it as a broken file."""
    try:
        with open(path, "rb"):
            return None
    except PermissionError:
        return NO_PERMISSION
    except OSError:
        return None  # missing or otherwise unreadable: the reader says what


def check_run_folder(folder: Path) -> list[Finding]:
    findings = [_check_config(folder / "config.yaml")]
    checkpoints = folder / "checkpoints"
    if checkpoints.is_dir():
        findings += _leftovers(checkpoints)
        files = sorted(checkpoints.glob("*.ckpt"))
        if not files:
            findings.append(Finding(checkpoints, detail="no checkpoints yet"))
        findings += [_check_checkpoint(path, folder) for path in files]
        findings += _resume_command(folder, findings)
    if (folder / "export").is_dir():
        findings += check_export_folder(folder / "export", folder)
    return findings


def _resume_command(folder: Path, findings: list[Finding]) -> list[Finding]:
    """How to continue a run that has a sound checkpoint and no export yet. config.yaml is the
    resolved config, every command-line option included, and names the data set: given back as
    --config it starts the run again as it was started."""
    import shlex

    import yaml

    sound = [f for f in findings if f.path.suffix == ".ckpt" and not f.problem]
    if not sound or (folder / "export").exists():
        return []
    try:
        data_dir = yaml.safe_load((folder / "config.yaml").read_text()).get("data_dir")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
        return []  # the config finding above says what is wrong with it
    if not data_dir:
        return []
    command = shlex.join(["novelview", "train", "--config", str(folder / "config.yaml"), "--data", str(data_dir),
                          "--out", str(folder), "--resume"])
    return [Finding(folder / "checkpoints", detail=f"the run has not finished (no export/): `{command}` continues it")]


def _check_config(path: Path) -> Finding:
    import yaml

    if not path.exists():
        return Finding(path, "missing", "train again into a new run folder, or copy the config you trained with here")
    try:
        config = yaml.safe_load(path.read_text())
    except PermissionError:
        config, problem = None, NO_PERMISSION
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        config, problem = None, f"damaged (not valid YAML: {str(exc).splitlines()[0]})"
    else:
        problem = None if isinstance(config, dict) else "damaged (empty, or not a mapping of sections)"
    return finding(path, problem, "copy the config you trained with (from configs/) over it" if problem else "",
                   detail=f"model {config.get('model', {}).get('name', '?')}" if isinstance(config, dict)
                   and isinstance(config.get("model"), dict) else "")


def _leftovers(folder: Path) -> list[Finding]:
    leftovers = [p for p in folder.iterdir() if p.is_file() and ".tmp" in p.name]
    leftovers += stale_temporary_files(folder)
    leftovers = sorted(set(leftovers))
    if not leftovers:
        return []

    def remove():
        for path in leftovers:
            path.unlink(missing_ok=True)
        return f"removed {len(leftovers)} temporary file(s) from {folder.name}/"
    return [Finding(leftovers[0], f"{len(leftovers)} temporary file(s) left by an interrupted write",
                    "make sure no training runs into this folder, then `novelview doctor --repair` removes them",
                    remove, label="LEFTOVER")]


def checkpoint_problem(path: Path) -> str | None:
    """Why ``path`` is not a loadable training checkpoint, read without running any pickled code."""
    import torch

    size = path.stat().st_size
    if size == 0:
        return "damaged (empty, 0 bytes)"
    if _permission_problem(path):
        return NO_PERMISSION
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note on the pickle protocol is not for the user
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        unsafe = re.search(r"GLOBAL ([\w.]+)", str(exc))
        if unsafe or "weights_only" in str(exc).lower():
            what = f"{unsafe.group(1)}, " if unsafe else ""
            return f"holds objects a safe load refuses ({what}not tensors or plain data); it was not loaded"
        return f"damaged (not a readable checkpoint: {str(exc)[:120]})"
    except (EOFError, RuntimeError, OSError, ValueError) as exc:
        return f"damaged (truncated or not a checkpoint: {type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("state_dict"), dict):
        return "not a training checkpoint (no state_dict)"
    # A diverged run checkpoints NaN weights as readily as sound ones; resuming or exporting them is no use.
    bad = [k for k, v in checkpoint["state_dict"].items()
           if torch.is_tensor(v) and v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        return (f"holds weights that are not finite numbers (NaN or infinite values in {len(bad)} tensor(s), "
                f"e.g. {bad[0]}: the run diverged)")
    return None


def _check_checkpoint(path: Path, run: Path) -> Finding:
    problem = checkpoint_problem(path)
    if problem is None:
        return Finding(path, detail=f"{path.stat().st_size / 2**20:.1f} MiB, loads with weights_only=True")
    if problem.startswith("holds objects"):
        return Finding(path, problem, "load it only if you trust where it came from; otherwise delete it")
    if problem == NO_PERMISSION:  # never moved aside: it may be sound
        return finding(path, problem)

    def move_aside():
        aside = path.with_name(path.name + ".damaged")
        path.replace(aside)
        return f"moved {path.name} aside to {aside.name}"
    other = "best.ckpt" if path.name == "last.ckpt" else "last.ckpt"
    fix = (f"`novelview doctor --repair` moves it aside to {path.name}.damaged; then resume or export from "
           f"{other} if it is sound, or train again")
    return Finding(path, problem, fix, move_aside)


def check_export_folder(folder: Path, run: Path | None = None) -> list[Finding]:
    """config.json sound and ours, model.safetensors complete to the last tensor, and the model
    loaded from both as ``load_model`` would: weights that fit the config, floating-point, finite."""
    best = run / "checkpoints" / "best.ckpt" if run is not None else None
    again = (f"export again: `novelview export --checkpoint {best if best.exists() else best.with_name('last.ckpt')} "
             f"--out {folder}`" if best is not None else "export the model again from a sound checkpoint "
             f"(`novelview export --checkpoint RUN/checkpoints/best.ckpt --out {folder}`), or train again")
    config_path, weights_path = folder / "config.json", folder / "model.safetensors"
    config, problem = _export_config(config_path)
    weights_problem, detail = safetensors_problem(weights_path), ""
    if problem is None and weights_problem is None:
        where, why, detail = _load_problem(folder)
        if where == weights_path:
            weights_problem = why
        else:
            problem = why
    findings = [finding(config_path, problem, again if problem else "",
                        detail=f"model {config.get('model', config.get('name', '?'))}" if config else "")]
    findings.append(finding(weights_path, weights_problem, again if weights_problem else "", detail=detail))
    return findings


def _export_config(path: Path) -> tuple[dict | None, str | None]:
    """(config, None) or (None, 'missing' / 'damaged (...)'); a giant file is not read."""
    from novelview.models.io import CONFIG_LIMIT

    if path.is_file() and path.stat().st_size > CONFIG_LIMIT:
        return None, (f"damaged (not a model config: {path.stat().st_size / 2**20:.1f} MiB, where a model's "
                      "config.json is under 2 KiB; it was not read)")
    config, problem = load_json(path)
    return config, (None if problem is None else problem if problem in ("missing", NO_PERMISSION)
                    else f"damaged ({problem})")


def _load_problem(folder: Path) -> tuple[Path | None, str | None, str]:
    """Load the model as generate and evaluate would: (file at fault, what is wrong, detail when sound)."""
    from novelview.errors import NovelviewError
    from novelview.models.io import ModelFileError, load_model

    try:
        model = load_model(folder)
    except ModelFileError as exc:  # worded to follow the path ("is ...", "holds ..."): here it follows "NAME: "
        return exc.path, exc.problem.removeprefix("is "), ""
    except NovelviewError as exc:  # options the model cannot take: the config's doing
        return folder / "config.json", f"cannot be loaded: {exc}", ""
    except Exception as exc:  # doctor reports, never a traceback
        return folder / "config.json", f"cannot be loaded ({type(exc).__name__}: {str(exc)[:160]})", ""
    count = sum(p.numel() for p in model.parameters())
    return None, None, f"loads as a {model.model_name} model, {count / 1e6:.2f} M parameters, all finite"


def safetensors_problem(path: Path) -> str | None:
    from safetensors import safe_open

    if not path.exists():
        return "missing"
    if path.stat().st_size == 0:
        return "damaged (empty, 0 bytes)"
    if _permission_problem(path):
        return NO_PERMISSION
    try:
        with safe_open(str(path), framework="pt") as weights:
            for key in weights.keys():
                weights.get_tensor(key)
    except Exception as exc:  # safetensors raises its own SafetensorError and others for bad files
        return f"damaged ({type(exc).__name__}: {str(exc)[:120]})"
    return None
