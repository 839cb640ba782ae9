"""The ``novelview`` command line: parses arguments and calls library functions, nothing else.

Every problem the user can fix surfaces as one line, ``error: ...``, and exit status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from novelview.errors import NovelviewError


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise NovelviewError(f"bad --shard {text!r}: use K/N, e.g. 0/4") from None
    return k, n


def _parse_elevations(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise NovelviewError(f"bad --elevations {text!r}: use degrees separated by commas, e.g. 0,10,20") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="novelview")
def cli() -> None:
    """Single-image novel view synthesis of objects: render, train, evaluate, generate."""


@cli.command()
@click.option("--source", required=True, help="procedural:CATEGORY[,CATEGORY|all], shapenet:PATH[:CATEGORY] or folder:PATH")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="data set folder to write")
@click.option("--models", type=int, default=None, help="first N models (procedural: N per category; default 100)")
@click.option("--seed", type=int, default=0, show_default=True, help="seeds the procedural shapes and the split")
@click.option("--workers", type=int, default=0, help="processes (default: all cores)")
@click.option("--size", type=int, default=64, show_default=True)
@click.option("--azimuths", type=int, default=36, show_default=True)
@click.option("--elevations", default="0", show_default=True, help="degrees, comma-separated")
@click.option("--supersample", type=int, default=3, show_default=True, help="rays per pixel side")
@click.option("--up-axis", type=click.Choice(["y", "z"]), default="y", show_default=True)
@click.option("--shard", default="0/1", show_default=True, help="render only shard K of N (merge with `novelview merge`)")
@click.option("--val-share", type=float, default=0.0, show_default=True)
@click.option("--test-share", type=float, default=0.2, show_default=True)
@click.option("--split-file", default=None, help="JSON {train: [model ids], val: [...], test: [...]}")
@click.option("--png", is_flag=True, help="also write every view as PNG")
@click.option("--overwrite", is_flag=True, help="replace a data set made with other settings")
def render(source, out, models, seed, workers, size, azimuths, elevations, supersample, up_axis, shard,
           val_share, test_share, split_file, png, overwrite) -> None:
    """Render meshes into a multi-view data set (views.npy, meta.json, split.json)."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    if size < 8 or azimuths < 2 or supersample < 1:
        raise NovelviewError("--size must be >= 8, --azimuths >= 2 and --supersample >= 1")
    settings = RenderSettings(size=size, azimuths=azimuths, elevations=_parse_elevations(elevations),
                              supersample=supersample)
    job = RenderJob(source, out, settings, models, seed, up_axis, workers, _parse_shard(shard), png,
                    overwrite, val_share, test_share, split_file)
    summary = render_dataset(job)
    _report_render(summary)


def _report_render(summary: dict) -> None:
    if summary.get("already_done"):
        click.echo(f"{summary['out']} is already complete with these settings; nothing to do")
    for item in summary.get("skipped", []):
        click.echo(f"skipped {item['model_id']}: {item['reason']}")
    if "models" in summary:
        click.echo(f"{summary['out']}: {summary['models']} models, {summary['views']} views, "
                   f"split {summary['split']}, {len(summary['skipped'])} skipped")
    else:
        click.echo(f"shard {summary['shard']} done in {summary['out']}; merge the shards with `novelview merge`")


@cli.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path))
def merge(shards, out) -> None:
    """Merge shard folders rendered with --shard K/N into one data set."""
    from novelview.data.store import merge_shards

    _report_render(merge_shards(list(shards), out))


@cli.command(context_settings={"ignore_unknown_options": False})
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path), help="YAML under configs/")
@click.option("--data", required=True, type=click.Path(path_type=Path), help="data set folder from `novelview render`")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="run folder")
@click.option("--max-steps", type=int, default=None, help="stop after N optimiser steps")
@click.option("--max-epochs", type=int, default=None)
@click.option("--devices", default=None, help="number of devices, or 'auto'")
@click.option("--accelerator", default=None, help="cpu, gpu, auto, ...")
@click.option("--strategy", default=None, help="auto, ddp, ddp_spawn, ...")
@click.option("--num-nodes", type=int, default=None)
@click.option("--precision", default=None, help="32-true, 16-mixed, bf16-mixed")
@click.option("--resume", is_flag=True, help="continue from the run folder's last checkpoint")
@click.argument("overrides", nargs=-1)
def train(config_path, data, out, max_steps, max_epochs, devices, accelerator, strategy, num_nodes, precision,
          resume, overrides) -> None:
    """Train a model; OVERRIDES are section.key=value (e.g. optim.lr=0.0005)."""
    from novelview.config import load_config
    from novelview.train import train as run_training

    flags = {"max_steps": max_steps, "max_epochs": max_epochs, "devices": _int_or_text(devices),
             "accelerator": accelerator, "strategy": strategy, "num_nodes": num_nodes, "precision": precision}
    extra = [f"trainer.{k}={v}" for k, v in flags.items() if v is not None]
    config = load_config(config_path, [*overrides, *extra])
    result = run_training(config, data, out, resume=resume)
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


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except NovelviewError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
