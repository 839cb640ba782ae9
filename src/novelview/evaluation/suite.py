"""One command, every test set at hand: score models on procedural and real objects alike.

``run_suite(models, data_root, out)`` renders each test set it can find (once; later runs reuse
the folder), evaluates the models beside the baselines on the same pairs with two protocols (from
azimuth 0 at elevation 0; from azimuth 0 at any elevation to any elevation), writes each set's
evaluation folder, and a summary: per set and model, L1 as a ratio of copying the input's L1 on
the same pairs, beside the mean view, pose and identity accuracy. A set whose source is not
installed is skipped with the reason (e.g. the Debian package to install).

The real sets are copyleft test sets (FlightGear, TORCS): no shipped weight is trained on them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from novelview.data.files import write_text_atomic
from novelview.errors import NovelviewError

ELEVATIONS = (0.0, 10.0, 20.0, 30.0)  # the range the shipped models were trained on
PROTOCOLS = {"elevation 0": {"elevation_index": 0}, "any elevation": {"elevations": "any"}}


@dataclass(frozen=True)
class TestSet:
    """A test set: where its models come from, how to render them, which split is scored."""

    name: str
    source: str
    about: str
    render: dict = field(default_factory=dict)  # RenderJob options (models, seed, shares)


TEST_SETS = (
    TestSet("procedural", "procedural:all", "procedural cars, chairs and mugs of seed 1 (no shipped model saw them)",
            {"models": 40, "seed": 1, "val_share": 0.0, "test_share": 1.0}),
    TestSet("sh3d", "sh3d::objects", "the Sweet Home 3D library's test split (the split shipped in the package)",
            {"val_share": 0.05, "test_share": 0.2}),
    TestSet("flightgear", "flightgear:", "FlightGear AI aircraft (GPL; never trained on)",
            {"val_share": 0.0, "test_share": 1.0}),
    TestSet("torcs", "torcs:", "TORCS race cars (Free Art / GPL; never trained on)",
            {"val_share": 0.0, "test_share": 1.0}),
)
BASE_COLUMNS = ("set", "protocol", "model", "pairs", "l1", "copy_l1", "l1_vs_copy", "mean_view_l1", "beats_mean_view")


def metric_columns() -> list[str]:
    """Every summary metric of the registry, in its order, but full-image L1 (the ``l1`` column)."""
    from novelview.metrics import summary_names

    return [name for name in summary_names() if name != "l1_full"]


def summary_columns() -> list[str]:
    return [*BASE_COLUMNS, *metric_columns()]


def find_sets(names: list[str] | None) -> list[TestSet]:
    if not names:
        return list(TEST_SETS)
    known = {s.name: s for s in TEST_SETS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise NovelviewError(f"unknown test set {unknown[0]!r}: choose from {', '.join(known)}")
    return [known[n] for n in names]


def prepare_set(test_set: TestSet, folder: Path, workers: int, log) -> str | None:
    """Render ``test_set`` into ``folder`` unless it is complete; the reason when it cannot be had."""
    from novelview.data.render import RenderSettings
    from novelview.data.store import RenderJob, render_dataset

    settings = RenderSettings(size=64, elevations=ELEVATIONS)
    job = RenderJob(test_set.source, folder, settings, workers=workers, **test_set.render)
    try:
        summary = render_dataset(job, progress=False)
    except NovelviewError as exc:
        return str(exc)
    if not summary.get("already_done"):
        log(f"{test_set.name}: rendered {summary.get('models', '?')} models into {folder}")
    return None


def run_suite(models: list[str], data_root: Path, out: Path, sets: list[str] | None = None,
              data_overrides: dict[str, Path] | None = None, max_pairs: int | None = None,
              workers: int = 0, log=print, accuracy: bool = True) -> list[dict]:
    """Score ``models`` on every test set at hand; returns the summary rows (also written to
    ``out/summary.csv`` and ``out/summary.md``)."""
    from novelview.evaluation.evaluate import evaluate

    if not models:
        raise NovelviewError("give at least one --model")
    overrides = data_overrides or {}
    rows, skipped, notes = [], [], {}
    for test_set in find_sets(sets):
        folder = Path(overrides.get(test_set.name) or Path(data_root) / test_set.name)
        reason = None if test_set.name in overrides else prepare_set(test_set, folder, workers, log)
        if reason:
            skipped.append((test_set.name, reason))
            log(f"{test_set.name}: skipped, {reason}")
            continue
        for protocol, options in PROTOCOLS.items():
            target = Path(out) / test_set.name / protocol.replace(" ", "_")
            results = evaluate(folder, models, target, pairs="from_zero", max_pairs=max_pairs, progress=False,
                               accuracy=accuracy, **options)
            rows += summary_rows(test_set.name, protocol, results)
            note = results["baselines"].get("mean_view", {}).get("mean_of", {}).get("note")
            if note:  # a test-only set: its mean view is the mean of the very models scored
                notes[test_set.name] = f"mean_view is the mean view {note}"
    write_summary(Path(out), rows, skipped, notes)
    return rows


def summary_rows(set_name: str, protocol: str, results: dict) -> list[dict]:
    """One row per model: its figures beside copying the input's and the mean view's on its pairs."""
    rows = []
    for label, entry in results["models"].items():
        overall, base = entry["overall"], entry["baselines_on_these_pairs"]
        l1, copy_l1, mean_l1 = overall["l1_full"], base["copy_input"]["l1_full"], base["mean_view"]["l1_full"]
        rows.append({"set": set_name, "protocol": protocol, "model": label, "pairs": overall["n_pairs"],
                     "l1": l1, "copy_l1": copy_l1, "l1_vs_copy": l1 / copy_l1,
                     "mean_view_l1": mean_l1, "beats_mean_view": l1 < mean_l1,
                     **{name: overall.get(name) for name in metric_columns()}})
    return rows


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"
    return "" if value is None else str(value)


def write_summary(out: Path, rows: list[dict], skipped: list[tuple[str, str]], notes: dict | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    columns = summary_columns()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    write_text_atomic(out / "summary.csv", buffer.getvalue())
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    lines += ["", *(f"- {name}: {note}" for name, note in (notes or {}).items())]
    lines += [*(f"- {name}: skipped, {reason}" for name, reason in skipped)]
    write_text_atomic(out / "summary.md", "\n".join(lines) + "\n")
