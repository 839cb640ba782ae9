"""The evaluation commands of the ``novelview`` command line: ``evaluate`` (models beside the
baselines on one data set) and ``suite`` (every test set at hand). They parse and call
``novelview.evaluation``; cli.py adds them to the group."""

from __future__ import annotations

import json
from pathlib import Path

import click

from novelview.errors import NovelviewError
from novelview.numbers import finite_option


@click.command()
@click.option("--data", required=True, type=click.Path(path_type=Path), help="data set folder")
@click.option("--model", "model_specs", multiple=True, required=True,
              help="shipped name or export folder (+mirror: mirror-averaged); repeat to compare")
@click.option("--out", required=True, type=click.Path(path_type=Path))
@click.option("--split", default="test", show_default=True)
@click.option("--pairs", type=click.Choice(["from_zero", "all", "fixed", "offgrid"]), default="from_zero",
              show_default=True, help="from_zero: the original protocol (source azimuth 0); all: any source view; "
              "offgrid: from_zero on a finer grid, rotations off the --grid-step grid against those on it")
@click.option("--elevations", type=click.Choice(["same", "any"]), default="same", show_default=True,
              help="any: source and target may differ in elevation")
@click.option("--elevation-index", type=int, default=None, help="use one elevation of the set (0: the first)")
@click.option("--grid-step", type=float, default=10.0, show_default=True,
              callback=finite_option("degrees, e.g. 10"), help="the training grid (offgrid pairs)")
@click.option("--max-pairs", type=int, default=None, help="seeded sample of at most N pairs")
@click.option("--batch-size", type=int, default=256, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=int, default=None, help="torch threads (default: all cores)")
@click.option("--no-accuracy", is_flag=True, help="skip pose and identity accuracy (faster)")
def evaluate(data, model_specs, out, split, pairs, elevations, elevation_index, grid_step, max_pairs, batch_size, seed,
             threads, no_accuracy) -> None:
    """Models beside trivial baselines: metrics by category, rotation and elevation, a plot and a grid."""
    import torch

    from novelview.evaluation.evaluate import evaluate as run_evaluation
    from novelview.evaluation.report import metric_rows, table_note, text_table

    if threads is not None:
        if threads < 1:
            raise NovelviewError(f"--threads must be at least 1, not {threads}")
        torch.set_num_threads(threads)
    results = run_evaluation(data, list(model_specs), out, split=split, pairs=pairs, elevations=elevations,
                             batch_size=batch_size, max_pairs=max_pairs, seed=seed, accuracy=not no_accuracy,
                             grid_step=grid_step, elevation_index=elevation_index)
    click.echo(text_table(*metric_rows(results)))
    if table_note(results):  # rows scored on different pairs: say which and why, under the table
        click.echo(table_note(results))
    for label, entry in results["models"].items():
        for key in ("offgrid", "elevation_change"):
            if key in entry:
                click.echo(f"{label} {key}: {json.dumps(entry[key], default=str)[:400]}")
    click.echo(f"wrote {out}/metrics.json, metrics.csv, error_by_angle.png, grid.png")


@click.command()
@click.option("--model", "model_specs", multiple=True, required=True,
              help="shipped name, NAME+mirror, or export folder; repeat to compare")
@click.option("--data-root", type=click.Path(path_type=Path), default=Path("data/suite"), show_default=True,
              help="where each test set is rendered once (data-root/NAME), and found again")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/suite"), show_default=True)
@click.option("--set", "set_names", multiple=True, help="only these test sets (procedural, sh3d, flightgear, torcs)")
@click.option("--set-data", "set_data", multiple=True, metavar="NAME=DIR", help="score set NAME on data set DIR")
@click.option("--max-pairs", type=int, default=None, help="seeded sample of at most N pairs per set and protocol")
@click.option("--workers", type=int, default=0, help="render processes (default: all cores)")
@click.option("--no-accuracy", is_flag=True, help="skip pose and identity accuracy (much faster on large sets)")
def suite(model_specs, data_root, out, set_names, set_data, max_pairs, workers, no_accuracy) -> None:
    """Every test set at hand (procedural, Sweet Home 3D test split, FlightGear, TORCS), each
    rendered once, scored with two protocols beside the baselines; summary.md and summary.csv
    give L1 as a ratio of copying the input on the same pairs. Sets not installed are skipped."""
    from novelview.evaluation.suite import find_sets, run_suite

    overrides = {}
    for item in set_data:
        name, sep, folder = item.partition("=")
        if not sep or not name or not folder:
            raise NovelviewError(f"--set-data {item!r}: write NAME=DIR, e.g. sh3d=data/library/sh3d")
        overrides[name] = Path(folder)
    find_sets(list(overrides))  # an unknown NAME is one line listing the sets
    run_suite(list(model_specs), data_root, out, list(set_names) or None, overrides, max_pairs, workers,
              log=click.echo, accuracy=not no_accuracy)
    click.echo(f"wrote {out / 'summary.md'} and {out / 'summary.csv'}")


EVALUATION_COMMANDS = (evaluate, suite)
