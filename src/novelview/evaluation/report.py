"""Tables of an evaluation's results, as text (CLI), Markdown and HTML (the demo's report), and CSV.

Every table lists the models and, below them, the trivial baselines scored on the same pairs; a
model that does not beat a baseline (full-image L1) is marked, so a blur is never mistaken for
a result. Columns come from the metric registry (``novelview.metrics``).
"""

from __future__ import annotations

import csv
import html
import io
import os
from pathlib import Path

from novelview import metrics as M
from novelview.data.files import write_text_atomic

MARK = "✗"


def columns(results: dict) -> list[str]:
    """The summary columns: registered metrics with ``summary=True``, in registration order, that were computed."""
    present = set().union(*[set(e["overall"]) for e in [*results["models"].values(), *results["baselines"].values()]])
    return [name for name in M.summary_names() if name in present]


def metric_rows(results: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows: models (marked where they lose to a baseline on their pairs), then baselines."""
    names = columns(results)
    header = ["model", "pairs", *[M.METRICS[n].label for n in names]]
    rows = []
    for label, entry in results["models"].items():
        lost = [b for b, won in entry.get("beats_baselines", {}).items() if not won]
        name = f"{label} {MARK} (loses to {', '.join(lost)})" if lost else label
        rows.append([name, pairs_cell(entry, results), *[M.METRICS[n].format(entry["overall"].get(n)) for n in names]])
    for label, entry in results["baselines"].items():
        rows.append([baseline_name(label, entry), pairs_cell(entry, results),
                     *[M.METRICS[n].format(entry["overall"].get(n)) for n in names]])
    return header, rows


def pairs_cell(entry: dict, results: dict) -> str:
    """The number of pairs, and how they were chosen when that is not simply the requested table."""
    used = entry.get("pairs")
    return f"{entry['n_pairs']}" + ("" if used in (None, results["settings"]["pairs"]) else f" ({used})")


def table_note(results: dict) -> str | None:
    """Why the rows of the table are not all scored on the same pairs (None when they are)."""
    note = results["settings"].get("table_note")
    return f"note: {note}" if note else None


def baseline_name(label: str, entry: dict) -> str:
    """'baseline: mean_view', with what was averaged when it is not a training split (see MeanView)."""
    note = entry.get("mean_of", {}).get("note")
    return f"baseline: {label}" + (f" ({note})" if note else "")


def category_rows(results: dict, metric: str = "l1_full") -> tuple[list[str], list[list[str]]]:
    entries = {**results["models"], **{baseline_name(k, v): v for k, v in results["baselines"].items()}}
    categories = sorted({c for e in entries.values() for c in e.get("by_category", {})})
    rows = [[name, *[M.METRICS[metric].format(e.get("by_category", {}).get(c, {}).get(metric)) for c in categories]]
            for name, e in entries.items()]
    return ["model", *categories], rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(" | ".join(r) for r in [header, *rows])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_csv(path: Path, results: dict) -> None:
    names = list(M.METRICS)
    entries = [(label, e) for label, e in results["models"].items()]
    entries += [(f"baseline:{label}", e) for label, e in results["baselines"].items()]
    buffer = io.StringIO()  # written whole, then atomically: a failed write keeps the previous file
    w = csv.writer(buffer)
    w.writerow(["model", "group", "key", "n_pairs", *names])
    for label, r in entries:
        groups = [("overall", {"all": r["overall"]}), ("category", r["by_category"]),
                  ("rotation", r["by_rotation"]), ("elevation", r["by_elevation"])]
        for group, items in groups:
            for key, vals in items.items():
                w.writerow([label, group, key, vals["n_pairs"],
                            *[f"{vals[n]:.6g}" if isinstance(vals.get(n), float) else "" for n in names]])
    write_text_atomic(path, buffer.getvalue())


def write_report(out: Path, eval_dir: Path, results: dict, turntables: list[dict], info: dict) -> tuple[Path, Path]:
    """Write report.md and report.html in ``out`` over the evaluation files in ``eval_dir`` (relative links)."""
    out = Path(out)

    def rel(path) -> str:
        return os.path.relpath(path, out)

    header, rows = metric_rows(results)
    cat_header, cat_rows = category_rows(results)
    files = {k: Path(eval_dir) / v for k, v in results.get("files", {}).items()}
    plot, grid = files.get("error_by_angle"), files.get("grid")
    setting = (f"{info['per_category']} unseen procedural models per category (seed {info['seed']}); test pairs "
               f"from any source view to any other (a seeded sample of at most {info['max_pairs']} per model); a model "
               f"restricted to some rotations is scored on those, with the baselines scored again on its pairs. "
               f"{MARK} marks a model that does not beat a trivial baseline. "
               f"Made by `{info['command']}` in {info['seconds']:.0f} s.")
    md = ["# novelview demo report", "", setting, "", "## Metrics", "", markdown_table(header, rows), "",
          "## Full-image L1 by category", "", markdown_table(cat_header, cat_rows), ""]
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>novelview demo report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{image-rendering:pixelated;max-width:100%}</style>",
             "</head><body><h1>novelview demo report</h1>", f"<p>{html.escape(setting)}</p>",
             "<h2>Metrics</h2>", html_table(header, rows),
             "<h2>Full-image L1 by category</h2>", html_table(cat_header, cat_rows)]
    if table_note(results):  # under the metrics table: which rows were scored on other pairs, and why
        md.insert(md.index("## Full-image L1 by category") - 1, "\n" + table_note(results))
        parts.insert(parts.index("<h2>Full-image L1 by category</h2>"), f"<p>{html.escape(table_note(results))}</p>")
    for heading, image in (("Error by rotation angle", plot), ("Test pairs: input, target, each model", grid)):
        if image:
            md += [f"## {heading}", "", f"![{heading}]({rel(image)})", ""]
            parts += [f"<h2>{html.escape(heading)}</h2>", f"<img alt='{html.escape(heading)}' src='{html.escape(rel(image))}'>"]
    if turntables:
        caption = "Each frame: input, true view, then " + ", ".join(turntables[0]["columns"][2:]) + "."
        md += ["## Turntables from one input view", "", caption, ""]
        md += [f"![{t['category']}]({rel(t['gif'])})" for t in turntables]
        parts += ["<h2>Turntables from one input view</h2>", f"<p>{html.escape(caption)}</p>"]
        parts += [f"<figure><img alt='{t['category']}' src='{html.escape(rel(t['gif']))}'>"
                  f"<figcaption>{html.escape(t['category'])} ({html.escape(t['model_id'])})</figcaption></figure>"
                  for t in turntables]
    parts.append("</body></html>")
    md_path, html_path = out / "report.md", out / "report.html"
    write_text_atomic(md_path, "\n".join(md) + "\n")
    write_text_atomic(html_path, "\n".join(parts))
    return html_path, md_path
