"""``novelview average``: the mean of several exports' weights, written as one new export folder.

Checkpoints of one run at a low learning rate lie close together, and the mean of their weights
often scores a little better than either (the shipped default's stage 4 is such a mean). Giving a
folder twice weighs it twice: ``A A B`` is two thirds A, one third B (network interpolation).

Only exports of one model with the same options can be averaged: they may differ in how they were
trained (``config.json``'s ``trained`` notes, ``training.json``, options that only training reads
such as loss weights), nothing else. Each input is loaded with
``load_model``, which refuses weights that do not fit their config, integer values where the model
has floating-point weights, and NaN or infinite weights. Floating-point tensors are averaged in
float64 and stored in the model's own type, so the mean of two float32 exports is the correctly
rounded elementwise mean. Integer tensors (batch norm's step counters) are bookkeeping, not
weights: they are taken from the first export.

The result is written whole beside ``out`` and swapped in (``novelview.atomic.replace_folder``), so a
kill or a full disk leaves either no ``out`` (or the old one) or the whole new export.

``average_command`` is the click command that ``novelview.cli`` registers; torch and the model
code are imported only when it runs, so that the command line starts fast.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from novelview.errors import NovelviewError



def average_exports(exports: list[str | Path], out: str | Path, overwrite: bool = False) -> dict:
    """Write the mean of ``exports``' weights to ``out``; returns what was written, for the report."""
    from novelview.models.io import load_model

    out = Path(out)
    if len(exports) < 2:
        raise NovelviewError("give two or more export folders to average (a folder given twice counts twice)")
    folders = [_export_folder(spec) for spec in exports]
    _check_out(out, folders, overwrite)
    models = [_read(folder, load_model) for folder in folders]
    for folder, model in zip(folders[1:], models[1:]):
        _same_model(folders[0], models[0], folder, model)
    mean = mean_state([model.state_dict() for model in models], folders)
    first = models[0]
    first.load_state_dict(mean)  # copies the float64 means into the model's own (float32) tensors
    trained = {**first.info.get("trained", {}), "mean_of": [str(folder) for folder in folders]}
    _write_atomically(first, out, {"trained": trained}, folders[0] / "training.json")
    return {"out": str(out), "exports": len(folders), "tensors": len(mean)}


def mean_state(states: list[dict], folders: list[Path]) -> dict:
    """Each floating-point tensor's elementwise mean over ``states`` (computed in float64)."""
    mean = {}
    for name, tensor in states[0].items():
        for folder, state in zip(folders[1:], states[1:]):
            other = state.get(name)
            if other is None or other.shape != tensor.shape or other.dtype != tensor.dtype:
                found = "no such tensor" if other is None else f"{tuple(other.shape)} {other.dtype}"
                raise NovelviewError(f"{folder} does not match {folders[0]} at tensor {name} ({found}, against "
                                     f"{tuple(tensor.shape)} {tensor.dtype}): only exports of one model can be "
                                     "averaged")
        if tensor.is_floating_point():
            total = sum(state[name].double() for state in states)
            mean[name] = (total / len(states)).to(tensor.dtype)
        else:
            mean[name] = tensor.clone()
    return mean


def _export_folder(spec: str | Path) -> Path:
    """The export folder a command-line argument names (a path or a shipped name, not +mirror)."""
    from novelview.models.io import resolve
    from novelview.models.mirror import split_spec

    if split_spec(spec)[1]:
        raise NovelviewError(f"{spec}: +mirror averages two views of one model's output, not weights; "
                             "give the export folder without +mirror")
    return _read(Path(str(spec)), resolve)


def _read(folder: Path, reader):
    """``reader(folder)``, with a folder or file that cannot be read as one line naming it."""
    try:
        return reader(folder)
    except OSError as exc:
        where = exc.filename or folder
        raise NovelviewError(f"cannot read {where}: {exc.strerror or exc}; check its permissions, "
                             "or give another export folder") from None


def _same_model(first: Path, first_model, folder: Path, model) -> None:
    """Refuse exports that differ in anything but how they were trained, naming the first difference.

    The loaded models are compared, not the files: ``model.config`` holds the options that make the
    model what it is, whether an export lists its loss weights in config.json (older exports) or not."""
    ours = _flatten({"model": first_model.model_name, "options": first_model.config})
    theirs = _flatten({"model": model.model_name, "options": model.config})
    for key in sorted(ours.keys() | theirs.keys()):
        if ours.get(key, "(absent)") != theirs.get(key, "(absent)"):
            raise NovelviewError(f"{folder} differs from {first} in {key} ({theirs.get(key, '(absent)')!r} against "
                                 f"{ours.get(key, '(absent)')!r}): only exports of one model with the same options "
                                 "can be averaged")


def _flatten(value, prefix: str = "") -> dict:
    """{"options": {"width": 3}} -> {"options.width": 3}; lists compare whole."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, inner in value.items():
        flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _check_out(out: Path, folders: list[Path], overwrite: bool) -> None:
    """--out must be new or empty, or (with --overwrite) an earlier export that is not an input."""
    target = out.resolve()
    for folder in folders:
        source = folder.resolve()
        if source == target or source.is_relative_to(target):
            raise NovelviewError(f"--out {out} is (or holds) the input {folder}: writing there would replace an "
                                 "input; choose another --out")
    if not out.exists():
        return
    if not out.is_dir():
        raise NovelviewError(f"--out {out} is a file: choose a folder to write the export into")
    held = sorted(p.name for p in out.iterdir())
    if not held:
        return
    if not overwrite:
        raise NovelviewError(f"--out {out} already holds {', '.join(held[:4])}: choose another --out, or pass "
                             "--overwrite to replace an earlier export there")
    from novelview.models.io import EXPORT_FILES  # what an export holds: the only folder --overwrite replaces

    others = [name for name in held if name not in EXPORT_FILES]
    if others:
        raise NovelviewError(f"--out {out} holds more than a model export ({', '.join(others[:4])}): --overwrite "
                             "replaces only an export folder, so nothing else is lost; choose another --out")


def _write_atomically(model, out: Path, extra: dict, training: Path) -> None:
    """The export, with the first export's ``training.json`` as it was (when it has one), written
    whole beside ``out`` and swapped in (``novelview.atomic.replace_folder``, as ``save_model``)."""
    from novelview.atomic import replace_folder
    from novelview.models.io import EXPORT_FILES, state_bytes, write_export_files

    with replace_folder(out, state_bytes(model), owned=EXPORT_FILES) as new:
        write_export_files(model, new, extra)
        if training.is_file():
            shutil.copyfile(training, new / training.name)


@click.command("average")
@click.argument("exports", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="export folder to write (new or empty)")
@click.option("--overwrite", is_flag=True, help="replace an earlier export in --out (never an input)")
def average_command(exports, out, overwrite) -> None:
    """Average the weights of several exports of one model (EXPORT: folder or shipped name; a
    folder given twice counts twice, so A A B is two thirds A). The result is an export folder."""
    result = average_exports(list(exports), out, overwrite=overwrite)
    click.echo(f"wrote {result['out']}: the mean of {result['exports']} exports ({result['tensors']} tensors)")


__all__ = ["average_command", "average_exports", "mean_state"]
