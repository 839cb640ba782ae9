"""The data commands of the ``novelview`` command line: render, merge, sheet, attribution, doctor.

Registered on the group in ``novelview.cli``; like it, they parse and call library functions.
"""

from __future__ import annotations

from pathlib import Path

import click

from novelview.errors import NovelviewError
from novelview.numbers import finite_option


def _parse_elevations(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise NovelviewError(f"bad --elevations {text!r}: use degrees separated by commas, e.g. 0,10,20") from None


@click.command()
@click.option("--source", required=True,
              help="procedural:CATEGORY[,CATEGORY|all], shapenet:PATH[:CATEGORY], folder:PATH, sh3d:[PATH][:SELECTION], "
                   "flightgear:[PATH] or torcs:[PATH]")
@click.option("--out", type=click.Path(path_type=Path), help="data set folder to write (with --check: the PNG)")
@click.option("--models", type=int, default=None, help="first N models (procedural: N per category; default 100)")
@click.option("--seed", type=int, default=0, show_default=True, help="seeds the procedural shapes and the split")
@click.option("--workers", type=int, default=0, help="processes (default: all cores)")
@click.option("--size", type=int, default=64, show_default=True)
@click.option("--azimuths", type=int, default=36, show_default=True)
@click.option("--elevations", default="0", show_default=True, help="degrees, comma-separated, e.g. 0,10,20,30")
@click.option("--azimuth-jitter", type=float, default=0.0, show_default=True,
              callback=finite_option("degrees, e.g. 10"),
              help="offset each view's azimuth by a seeded draw in [-DEG/2, DEG/2] (recorded per view)")
@click.option("--depth/--no-depth", default=True, show_default=True, help="also store per-pixel depth (depth.npy)")
@click.option("--supersample", type=int, default=3, show_default=True, help="rays per pixel side")
@click.option("--up-axis", default="y", show_default=True, help="the meshes' up axis: +x -x +y -y +z -z")
@click.option("--front", default=None, help="the meshes' front axis (default: the source's convention, +z for folders)")
@click.option("--orientation", "orientation_file", default=None, type=click.Path(dir_okay=False),
              help="JSON or CSV: model id -> up, front or a 3x3 rotation (overrides --up-axis/--front); an entry "
                   "with only up or only front takes the other as a model without an entry would (--up-axis; "
                   "--front, else the default front for that up), and --list, --check and render print what it took")
@click.option("--check", is_flag=True,
              help="write a contact sheet to --out (no data set): one row per model and elevation (--elevations), "
                   "azimuths 0/90/180/270; also says which models kept or lost their textures")
@click.option("--list", "list_only", is_flag=True,
              help="print the models the source would take (with --orientation: each named model's up and front), "
                   "then stop")
@click.option("--shard", default="0/1", show_default=True,
              help="render only shard K of N (merge with `novelview merge`); auto: this SLURM array task's shard")
@click.option("--val-share", type=float, default=0.05, show_default=True,
              callback=finite_option("a share from 0 to 1, e.g. 0.05"),
              help="share of the models for validation (seeded; best checkpoint and samples need some)")
@click.option("--test-share", type=float, default=0.2, show_default=True,
              callback=finite_option("a share from 0 to 1, e.g. 0.2"))
@click.option("--split-file", default=None, help="JSON {train: [model ids], val: [...], test: [...]}")
@click.option("--png", is_flag=True, help="also write every view as PNG")
@click.option("--overwrite", is_flag=True, help="replace a data set made with other settings")
def render(source, out, models, seed, workers, size, azimuths, elevations, azimuth_jitter, depth, supersample, up_axis,
           front, orientation_file, check, list_only, shard, val_share, test_share, split_file, png, overwrite) -> None:
    """Render meshes into a multi-view data set (views.npy, meta.json, split.json)."""
    from novelview.data import preview as look
    from novelview.data.render import RenderSettings
    from novelview.data.shards import parse_shard
    from novelview.data.store import RenderJob, render_dataset

    if list_only:
        click.echo("\n".join(look.listing(source, models, seed, up_axis, front, orientation_file)))
        return
    if out is None:
        raise NovelviewError("give --out: the data set folder (with --check: the PNG file to write)")

    if size < 8 or azimuths < 2 or supersample < 1:
        raise NovelviewError("--size must be >= 8, --azimuths >= 2 and --supersample >= 1")
    if not 0 <= azimuth_jitter < 360:
        raise NovelviewError(f"--azimuth-jitter must be in [0, 360) degrees, not {azimuth_jitter:g}")
    settings = RenderSettings(size=size, azimuths=azimuths, elevations=_parse_elevations(elevations),
                              supersample=supersample, azimuth_jitter=azimuth_jitter, depth=depth)
    job = RenderJob(source, out, settings, models, seed, up_axis, workers, parse_shard(shard), png,
                    overwrite, val_share, test_share, split_file, front=front, orientation_file=orientation_file)
    if check:
        if out.suffix.lower() != ".png":
            raise NovelviewError(f"with --check, --out names the PNG file to write, e.g. check.png (not {out})")
        refs = job.oriented_models()
        paths, texture_lines = look.check_sheet(refs, settings, out, workers)
        rows = "one row per model" + ("" if settings.elevations == (0.0,) else " and elevation (" + ", ".join(
            f"{e:g}" for e in settings.elevations) + ")")
        click.echo(f"wrote {', '.join(map(str, paths))}: {rows}, azimuths 0, 90, 180, 270")
        for line in [*look.left_out_lines(source), *look.orientation_lines(refs), *texture_lines]:
            click.echo(line)
        click.echo(look.HINT)
        return
    if orientation_file:  # said before hours of rendering, not only by --list and --check
        for line in look.orientation_lines(job.oriented_models()):
            click.echo(f"note: {line}")
    summary = render_dataset(job)
    for line in look.left_out_lines(source):  # libraries or pieces the listing could not take
        click.echo(f"note: {line}")
    _report_render(summary)


def _report_render(summary: dict) -> None:
    if summary.get("already_done"):
        rest = "" if summary.get("notes") else "; nothing to do"
        click.echo(f"{summary['out']} is already complete with these settings{rest}")
    for note in summary.get("notes", []):
        click.echo(f"note: {note}")
    for item in summary.get("skipped", []):
        click.echo(f"skipped {item['model_id']}: {item['reason']}")
    from novelview.data.render_notes import summary_lines

    for line in summary_lines(summary.get("render_notes", {})):
        click.echo(line)
    if "models" in summary:
        click.echo(f"{summary['out']}: {summary['models']} models, {summary['views']} views, "
                   f"split {summary['split']}, {len(summary['skipped'])} skipped")
    else:
        click.echo(f"shard {summary['shard']} done in {summary['out']}; merge the shards with `novelview merge`")


@click.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path))
def merge(shards, out) -> None:
    """Merge shard folders rendered with --shard K/N into one data set."""
    from novelview.data.store import merge_shards

    _report_render(merge_shards(list(shards), out))


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="a new folder")
def combine(folders, out) -> None:
    """Join finished data sets rendered with one camera into one (each model keeps its split), to
    train on several sources at once, e.g. procedural shapes and real meshes."""
    from novelview.data.combine import combine_datasets

    _report_render(combine_datasets(list(folders), out))


@click.command()
@click.option("--data", required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="PNG file to write")
@click.option("--per-category", type=int, default=None, help="models per category [default: 4; 16 with one category]")
@click.option("--azimuth-step", type=int, default=3, show_default=True, help="every Nth azimuth")
@click.option("--split", default="all", show_default=True)
def sheet(data, out, per_category, azimuth_step, split) -> None:
    """A contact sheet (PNG) of a data set: models by row, azimuths by column."""
    from novelview.data.preview import sheet_plan
    from novelview.generate import dataset_sheet

    per_category, shown = sheet_plan(data, per_category, split)
    click.echo(f"wrote {dataset_sheet(data, out, per_category, azimuth_step, split)}: {shown}")


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--repair", is_flag=True, help="repair what can be repaired without losing anything")
def doctor(folder, repair) -> None:
    """Check a data set, an unfinished render, a run folder or a model export folder: what is damaged,
    and how to repair it."""
    from novelview.doctor.examine import examine

    report = examine(folder, repair=repair)
    for line in report.lines():
        click.echo(line)
    left = len(report.problems)
    if left:
        # --repair is offered only where it can do something (never for a model's weights, say)
        repairable = any(f.repair for f in report.problems)
        hint = "" if repair or not repairable else "; `novelview doctor --repair` repairs what it safely can"
        raise NovelviewError(f"{folder}: {left} problem(s) found, each with its fix above{hint}")
    click.echo(f"{folder}: no problems found")


@click.command()
@click.option("--data", required=True, type=click.Path(path_type=Path), help="data set folder")
@click.option("--out", default=None, type=click.Path(path_type=Path), help="file to write [default: DATA/ATTRIBUTION.md]")
def attribution(data, out) -> None:
    """Write ATTRIBUTION.md: the creator and licence of every model of a data set (CC-BY needs it)."""
    from novelview.data.attribution import write_attribution

    path, counts = write_attribution(data, out)
    click.echo(f"wrote {path}: " + ", ".join(f"{n} models {licence}" for licence, n in sorted(counts.items())))


DATA_COMMANDS = (render, merge, combine, sheet, attribution, doctor)
