"""The demo's report: one Markdown summary and one HTML page over the evaluation's files."""

from __future__ import annotations

import html
import os
from pathlib import Path

COLUMNS = [  # (metric key in the evaluation's results, header, format)
    ("l1_full", "L1 [-1,1] (original)", "{:.4f}"),
    ("l1_masked", "masked L1 [0,1] (TVSN/AFN)", "{:.4f}"),
    ("ssim_luma_masked", "masked luma SSIM (TVSN/AFN)", "{:.3f}"),
    ("psnr", "PSNR dB", "{:.2f}"),
    ("ssim", "SSIM", "{:.3f}"),
]


def _fmt(value, pattern: str) -> str:
    try:
        return pattern.format(float(value))
    except (TypeError, ValueError):
        return "n/a"


def metric_rows(results: dict) -> list[list[str]]:
    """One row per model: name, pairs evaluated, then the overall metrics."""
    rows = []
    for name, entry in results["models"].items():
        overall = entry["overall"]
        rows.append([name, str(entry.get("n_pairs", overall.get("n_pairs", ""))),
                     *[_fmt(overall.get(key), fmt) for key, _, fmt in COLUMNS]])
    return rows


def category_rows(results: dict) -> tuple[list[str], list[list[str]]]:
    """Full-image L1 per category: header and one row per model."""
    categories = sorted({c for e in results["models"].values() for c in e.get("by_category", {})})
    rows = [[name, *[_fmt(e.get("by_category", {}).get(c, {}).get("l1_full"), "{:.4f}") for c in categories]]
            for name, e in results["models"].items()]
    return ["model", *categories], rows


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(out: Path, eval_dir: Path, results: dict, turntables: list[dict], info: dict) -> tuple[Path, Path]:
    """Write report.md and report.html in ``out`` over the evaluation files in ``eval_dir``.

    Image paths are relative, so the folder can be moved or published as it is.
    """
    out = Path(out)

    def rel(path) -> str:
        return os.path.relpath(path, out)

    header = ["model", "pairs", *[h for _, h, _ in COLUMNS]]
    rows = metric_rows(results)
    cat_header, cat_rows = category_rows(results)
    files = {k: Path(eval_dir) / v for k, v in results.get("files", {}).items()}
    plot, grid, grid_all = files.get("error_by_angle"), files.get("grid"), files.get("grid_requested_pairs")
    setting = (f"{info['per_category']} unseen procedural models per category (seed {info['seed']}); "
               f"test pairs from any source azimuth to any other (a seeded sample of at most "
               f"{info['max_pairs']} per model); the autoencoder is scored on its +30 degree pairs only. "
               f"Made by `{info['command']}` in {info['seconds']:.0f} s.")
    md = ["# novelview demo report", "", setting, "", "## Metrics", "", _markdown_table(header, rows), "",
          "## Full-image L1 by category", "", _markdown_table(cat_header, cat_rows), ""]
    if plot:
        md += ["## Error by rotation angle", "", f"![error by angle]({rel(plot)})", ""]
    if grid:
        md += ["## Test pairs: input, target, each model", "", f"![grid]({rel(grid)})", ""]
    if grid_all:
        md += ["Pose models on pairs of any rotation:", "", f"![grid, any rotation]({rel(grid_all)})", ""]
    if turntables:
        md += ["## Turntables from one input view", "",
               "Each frame: input, true view, then " + ", ".join(turntables[0]["columns"][2:]) + ".", ""]
        md += [f"![{t['category']}]({rel(t['gif'])})" for t in turntables]
    md_path = out / "report.md"
    md_path.write_text("\n".join(md) + "\n")

    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>novelview demo report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{image-rendering:pixelated;max-width:100%}</style>",
             "</head><body><h1>novelview demo report</h1>", f"<p>{html.escape(setting)}</p>",
             "<h2>Metrics</h2>", _html_table(header, rows),
             "<h2>Full-image L1 by category</h2>", _html_table(cat_header, cat_rows)]
    if plot:
        parts += ["<h2>Error by rotation angle</h2>", f"<img alt='error by angle' src='{html.escape(rel(plot))}'>"]
    if grid:
        parts += ["<h2>Test pairs: input, target, each model</h2>", f"<img alt='grid' src='{html.escape(rel(grid))}'>"]
    if grid_all:
        parts += ["<p>Pose models on pairs of any rotation:</p>",
                  f"<img alt='grid, any rotation' src='{html.escape(rel(grid_all))}'>"]
    if turntables:
        parts += ["<h2>Turntables from one input view</h2>",
                  "<p>Each frame: input, true view, then " + html.escape(", ".join(turntables[0]["columns"][2:])) + ".</p>"]
        parts += [f"<figure><img alt='{t['category']}' src='{html.escape(rel(t['gif']))}'>"
                  f"<figcaption>{html.escape(t['category'])} ({html.escape(t['model_id'])})</figcaption></figure>"
                  for t in turntables]
    parts.append("</body></html>")
    html_path = out / "report.html"
    html_path.write_text("\n".join(parts))
    return html_path, md_path
