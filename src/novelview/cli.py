"""The ``novelview`` command line: parses arguments and calls library functions, nothing else.

Every problem the user can fix surfaces as one line, ``error: ...``, and exit status 2.
"""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path

import click

from novelview.average import average_command
from novelview.cli_data import DATA_COMMANDS
from novelview.cli_evaluation import EVALUATION_COMMANDS
from novelview.errors import NovelviewError, ended_early_message
from novelview.numbers import finite_option


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="novelview")
def cli() -> None:
    """Single-image novel view synthesis of objects: render, train, evaluate, generate."""
    from novelview.plugins import load_plugins

    load_plugins()  # the user's own families, objectives, metrics and sources, before any command


@cli.command(context_settings={"ignore_unknown_options": False})
@click.option("--config", "config_path", required=True,
              help="a shipped config's name (`novelview configs` lists them, e.g. flow_completion) or a YAML file")
@click.option("--data", type=click.Path(path_type=Path), help="data set folder from `novelview render` (required to train)")
@click.option("--out", type=click.Path(path_type=Path), help="run folder (required to train)")
@click.option("--print-config", is_flag=True,
              help="print the resolved config (every default and option filled) as YAML and stop: nothing is trained or written")
@click.option("--max-steps", type=int, default=None, help="stop after N optimiser steps")
@click.option("--max-epochs", type=int, default=None)
@click.option("--devices", default=None, help="number of devices, or 'auto'")
@click.option("--accelerator", default=None, help="cpu, gpu, auto, ...")
@click.option("--strategy", default=None, help="auto, ddp, ddp_spawn, ...")
@click.option("--num-nodes", type=int, default=None)
@click.option("--precision", default=None, help="32-true, 16-mixed, bf16-mixed")
@click.option("--threads", type=int, default=None, help="torch threads per process (default: cores / devices)")
@click.option("--resume", is_flag=True, help="continue from the run folder's last checkpoint")
@click.option("--overwrite", is_flag=True, help="replace a trained run already in --out (its checkpoints and export)")
@click.argument("overrides", nargs=-1)
def train(config_path, data, out, print_config, max_steps, max_epochs, devices, accelerator, strategy, num_nodes,
          precision, threads, resume, overwrite, overrides) -> None:
    """Train a model; OVERRIDES are section.key=value (e.g. optim.lr=0.0005)."""
    import signal

    from novelview.config.load import load_config
    from novelview.train import TrainingInterrupted
    from novelview.train import train as run_training

    flags = {"max_steps": max_steps, "max_epochs": max_epochs, "devices": _int_or_text(devices),
             "accelerator": accelerator, "strategy": strategy, "num_nodes": num_nodes, "precision": precision,
             "threads": threads}
    extra = [f"trainer.{k}={v}" for k, v in flags.items() if v is not None]
    config = load_config(config_path, [*overrides, *extra])
    if print_config:
        import yaml

        from novelview.config.load import resolved

        click.echo("# the resolved config; model.options the data set decides (image_size, elevation_range,\n"
                   "# num_rotations, camera) are filled from --data when training")
        click.echo(yaml.safe_dump(resolved(config), sort_keys=False), nl=False)
        return
    missing = [flag for flag, value in (("--data", data), ("--out", out)) if value is None]
    if missing:
        raise NovelviewError(f"train needs {' and '.join(missing)}: give the data set folder and the run folder "
                             "(or --print-config to see the config only)")
    try:
        if resume and overwrite:
            raise NovelviewError("--resume continues the run in --out and --overwrite replaces it: give one of them")
        result = run_training(config, data, out, resume=resume, overwrite=overwrite,
                              notify=lambda line: click.echo(f"note: {line}", err=True))
    except TrainingInterrupted as stopped:
        click.echo(f"{stopped}", err=True)
        sys.exit(143 if stopped.signum == signal.SIGTERM else 130)
    if "export" in result:
        click.echo(json.dumps(result, indent=2))


def _int_or_text(value):
    if value is None:
        return None
    return int(value) if str(value).isdigit() else value


@cli.command()
@click.option("--checkpoint", required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path))
def export(checkpoint, out) -> None:
    """Export a training checkpoint to config.json + model.safetensors."""
    from novelview.train import export_checkpoint

    click.echo(f"exported to {export_checkpoint(checkpoint, out)}")


@cli.command()
@click.option("--image", required=True, type=click.Path(path_type=Path), help="PNG/JPEG/... of one object")
@click.option("--azimuth", type=float, default=None, callback=finite_option("a rotation in degrees, e.g. 30"),
              help="turn the object by this many degrees")
@click.option("--elevation", type=float, default=None, callback=finite_option("degrees, e.g. 20"),
              help="see it from this elevation (default: the input's)")
@click.option("--source-elevation", type=float, default=None, callback=finite_option("degrees, e.g. 0"),
              help="the elevation the input was seen from (default: the lowest the model was trained at)")
@click.option("--turntable", is_flag=True, help="a full turn as a GIF and a contact sheet")
@click.option("--frames", type=int, default=36, show_default=True, help="views in a turntable")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="folder to write")
@click.option("--model", "model_spec", default=None, help="shipped name or export folder (default: the default model); "
              "add +mirror to average with the mirrored input's view")
@click.option("--mask", type=click.Path(path_type=Path), default=None,
              help="image marking the object (white or opaque), instead of cutting out the background")
@click.option("--keep-background", is_flag=True, help="feed the picture as it is: no cut-out, no reframing")
@click.option("--no-reframe", is_flag=True, help="cut out the background but keep the picture's own framing")
def generate(image, azimuth, elevation, source_elevation, turntable, frames, out, model_spec, mask,
             keep_background, no_reframe) -> None:
    """Draw the object in IMAGE from another viewpoint, or a whole turn of it.

    The photo is prepared first: its background is cut out (or its own alpha or --mask is used),
    the object is scaled and centred as in the training renders and put on white; that input is
    saved beside the outputs as NAME_input.png."""
    from PIL import Image as PILImage

    from novelview import generate as gen
    from novelview.atomic import save_image
    from novelview.models.io import load_model

    if (azimuth is None) == (not turntable):
        raise NovelviewError("give exactly one of --azimuth DEG or --turntable")
    if out.exists() and not out.is_dir():
        raise NovelviewError(f"--out {out} is a file, not a folder; choose another --out")
    model = load_model(model_spec or gen.DEFAULT_MODEL)
    prepared = gen.prepare_input(image, gen.model_size(model), mask=mask, keep_background=keep_background,
                                 reframe=not no_reframe)
    rgb = prepared.image
    # Draw first: a view the model cannot draw is the one line on stderr, with nothing written.
    if turntable:
        views = gen.turntable(model, rgb, frames, elevation, source_elevation)
    else:
        view = gen.generate_views(model, rgb, [azimuth], elevation, source_elevation)[0]
    for notice in prepared.notices:
        click.echo(f"note: {notice}")
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(image).stem
    from novelview.photo import save_prepared

    click.echo(f"wrote {save_prepared(prepared, out, stem)} (the model's input)")
    suffix = "" if elevation is None else f"_el{elevation:g}"
    if turntable:
        files = gen.save_turntable(views, rgb, out, f"{stem}_turntable{suffix}")
        click.echo(f"wrote {files['gif']} and {files['sheet']}")
    else:
        path = out / f"{stem}_az{azimuth:g}{suffix}.png"
        save_image(PILImage.fromarray(view), path)
        click.echo(f"wrote {path}")
    for warning in prepared.warnings:  # after the outputs: an error above stays the one line on stderr
        click.echo(f"warning: {warning}", err=True)


@cli.command()
@click.option("--out", default="demo_out", show_default=True, type=click.Path(path_type=Path))
@click.option("--per-category", type=int, default=6, show_default=True, help="unseen test models per category")
@click.option("--max-pairs", type=int, default=500, show_default=True)
@click.option("--workers", type=int, default=0, help="render processes (default: all cores)")
def demo(out, per_category, max_pairs, workers) -> None:
    """Render unseen objects, run the shipped models, evaluate, and write a report."""
    from novelview.demo import run_demo

    result = run_demo(out, per_category=per_category, max_pairs=max_pairs, workers=workers)
    click.echo(f"report: {result['report_html']} (and {result['report_md']}), {result['seconds']:.0f} s")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to bind (0.0.0.0: every interface)")
@click.option("--port", type=int, default=7860, show_default=True)
@click.option("--model", "model_spec", default="default", show_default=True,
              help="model picked at start: shipped name, +mirror, or export folder")
def serve(host, port, model_spec) -> None:
    """A local web page: upload a photo, move sliders to see new views, make a turntable GIF.

    Needs the optional extra: pip install "novelview[serve]". No analytics, never shared."""
    from novelview.serve import serve as run_server

    click.echo(f"serving on http://{host}:{port} (Ctrl+C stops it)")
    run_server(host, port, model_spec)


@cli.command()
@click.option("--options", "show_options", is_flag=True,
              help="instead, every option of every model family, pose encoding and objective (Markdown)")
def configs(show_options) -> None:
    """List the configs shipped in the package: a name for --config and what it is for."""
    from novelview.config.files import config_names, describe

    if show_options:
        from novelview.config.options_table import markdown

        click.echo(markdown(), nl=False)
        return
    names = config_names()
    width = max(len(n) for n in names) + 2
    for name in names:
        click.echo(f"{name.ljust(width)}{describe(name)}")


for command in (*DATA_COMMANDS, *EVALUATION_COMMANDS, average_command):
    cli.add_command(command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except NovelviewError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, EOFError):  # click turns EOFError into Abort: it is no interruption
            _exit_ended_early(exc.__cause__)
        click.echo("interrupted: finished work is kept; run the same command again to resume "
                   "(`novelview train` needs --resume)", err=True)
        sys.exit(130)
    except EOFError as exc:
        _exit_ended_early(exc)
    except OSError as exc:  # disk full, permission denied, ...: the file and the reason, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "requested and" in str(exc):
            place = Path(exc.filename).parent if exc.filename else "the output folder"
            click.echo(f"error: the disk is full at {place}: free some space there and run the same command "
                       "again; finished work is kept", err=True)
        else:
            click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


def _exit_ended_early(exc: EOFError) -> None:
    click.echo(f"error: {ended_early_message(exc)}", err=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
