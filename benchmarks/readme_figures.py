"""Every figure of the shipped default model in the README and docs/results.md, measured again in one command.

    python benchmarks/readme_figures.py [--out runs/readme_figures] [--threads 2] [--images]

Runs the `novelview` commands the README quotes for `load_model("default")`, one after another:
validation (how a stage is chosen), the test split beside the round-1 pose encoder, off-grid
azimuths, changing elevation, the furniture test split, and the demo. A data set the README names
but this machine lacks is skipped and listed. Writes ``benchmarks/results/readme_figures.json``
(each figure with its command and seconds) and prints each step's L1 of the default.

``--images`` also refreshes the README's pictures of the default: the demo's plot, grid and
turntables (docs/images/demo), the any-view turntables at elevation 20 (docs/images/default) and
the real objects turned by `furniture` and `default` (docs/images/furniture).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import cpu_name  # noqa: E402

TEST = "data/procedural4"
# (name, data set it needs, the command's arguments after `novelview`; OUT is the folder for this step)
STEPS = [
    ("val", TEST, ["evaluate", "--data", TEST, "--split", "val", "--elevation-index", "0", "--no-accuracy",
                   "--model", "default", "--out", "OUT"]),
    ("test", TEST, ["evaluate", "--data", TEST, "--elevation-index", "0", "--pairs", "from_zero",
                    "--model", "default", "--model", "default+mirror", "--model", "pose_encoder", "--out", "OUT"]),
    ("offgrid", "data/offgrid72", ["evaluate", "--data", "data/offgrid72", "--model", "default",
                                   "--model", "pose_encoder", "--pairs", "offgrid", "--out", "OUT"]),
    ("any", TEST, ["evaluate", "--data", TEST, "--model", "default", "--elevations", "any",
                   "--max-pairs", "6000", "--out", "OUT"]),
    ("furniture", "data/furniture", ["evaluate", "--data", "data/furniture", "--model", "furniture",
                                     "--model", "furniture+mirror", "--model", "default", "--elevation-index",
                                     "0", "--out", "OUT"]),
    ("demo", None, ["demo", "--out", "OUT"]),
]
# The any-view pictures: the first test model of each category, seen from azimuth 40 at elevation 0.
SOURCE_AZIMUTH_INDEX = 4


def rounded(row: dict) -> dict:
    return {k: round(v, 4) for k, v in row.items() if isinstance(v, float)} | {"n_pairs": row["n_pairs"]}


def rows(result: dict) -> dict:
    return {"all": rounded(result["overall"]), **{c: rounded(r) for c, r in result["by_category"].items()}}


def summarise(name: str, metrics: dict) -> dict:
    """The figures of one step that the README quotes: every model and baseline, overall and by category."""
    models = metrics["models"]
    default = models["default"]
    out = {"models": {m: rows(r) for m, r in models.items()},
           "baselines": {b: rows(r) for b, r in metrics["baselines"].items()}}
    if "pose_encoder" in models:
        encoder = models["pose_encoder"]["by_category"]
        for label in ("default", "default+mirror"):
            if label in models:
                out[f"{label}_below_pose_encoder"] = {c: round(1 - r["l1_full"] / encoder[c]["l1_full"], 3)
                                                      for c, r in models[label]["by_category"].items()}
    if name == "offgrid":
        grid = default["offgrid"]
        out["offgrid"] = {"on_grid": rounded(grid["on_grid"]), "off_grid": rounded(grid["off_grid"]),
                          "off_over_neighbours": round(grid["off_over_neighbours"], 3)}
    if name == "any":
        copy = metrics["baselines"]["copy_input"]["elevation_change"]
        out["elevation_change"] = {k: rounded(r) for k, r in default["elevation_change"].items()}
        out["copy_elevation_change"] = {k: rounded(r) for k, r in copy.items()}
        out["by_elevation"] = {k: round(r["l1_full"], 4) for k, r in default["by_elevation"].items()}
    return out


def novelview(args: list[str], threads: int) -> float:
    """Run one `novelview` command; its seconds. A failure stops the script with its output."""
    exe = shutil.which("novelview") or sys.exit("novelview is not on PATH: pip install -e . first")
    t0 = time.perf_counter()
    run = subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    if run.returncode != 0:
        sys.exit(f"`novelview {' '.join(args)}` failed ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return time.perf_counter() - t0


def any_view_images(out: Path, threads: int) -> list[str]:
    """The README's elevation-20 turntables and one off-grid view, from test models at azimuth 40."""
    import numpy as np
    from PIL import Image

    from novelview.data.viewstore import ViewStore
    from novelview.images import composite_on_white

    store = ViewStore(ROOT / TEST)
    out.mkdir(parents=True, exist_ok=True)
    target = ROOT / "docs/images/default"
    written = []
    for category in ("car", "chair", "mug"):
        model = next(m for m in store.indices("test") if store.categories[m] == category)
        image = out / f"{category}.png"
        Image.fromarray(composite_on_white(np.asarray(store.views[model, 0, SOURCE_AZIMUTH_INDEX]))).save(image)
        novelview(["generate", "--image", str(image), "--turntable", "--frames", "72", "--elevation", "20",
                   "--out", str(out)], threads)
        shutil.copy(image, target / f"{category}_input.png")
        shutil.copy(out / f"{category}_turntable_el20.gif", target / f"{category}_turntable_el20.gif")
        written += [f"{category}_input.png", f"{category}_turntable_el20.gif"]
    novelview(["generate", "--image", str(out / "chair.png"), "--azimuth", "45", "--elevation", "20",
               "--out", str(out)], threads)
    shutil.copy(out / "chair_az45_el20.png", target / "chair_az45_el20.png")
    return written + ["chair_az45_el20.png"]


def furniture_turntables(out: Path) -> list[str]:
    """The README's real objects turned by `furniture` and `default` (first test model of three categories)."""
    from novelview.demo import write_turntables

    write_turntables(ROOT / "data/furniture", ["furniture", "default"], out)
    for category, name in (("Vehicles", "car"), ("chair", "chair"), ("sofa", "sofa")):
        shutil.copy(out / f"{category}.gif", ROOT / "docs/images/furniture" / f"{name}.gif")
    return ["furniture/car.gif", "furniture/chair.gif", "furniture/sofa.gif"]


RESULTS = ROOT / "benchmarks/results/readme_figures.json"


def write(results: dict) -> Path:
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    return RESULTS


def earlier_results() -> dict:
    try:
        results = json.loads(RESULTS.read_text())
        return results if isinstance(results, dict) else {}
    except (OSError, ValueError):
        return {}


def earlier_seconds() -> dict:
    """Each step's seconds as the last run recorded them, by command (what --keep-finished reuses)."""
    try:
        return {step["command"]: step["seconds"] for step in earlier_results()["steps"].values()}
    except (KeyError, TypeError, AttributeError):
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs/readme_figures")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--images", action="store_true", help="also refresh the default's README pictures")
    parser.add_argument("--only", nargs="*", help="run only these steps")
    parser.add_argument("--keep-finished", action="store_true",
                        help="a step whose metrics.json is already in --out is read, not run again "
                             "(to finish an interrupted run)")
    args = parser.parse_args()

    results = {"machine": cpu_name(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "command": " ".join(sys.argv), "steps": {}, "skipped": {}}
    if args.only:  # the other steps keep their figures (each step records its own date)
        results["steps"] = {k: v for k, v in earlier_results().get("steps", {}).items() if k not in args.only}
    measured_before = earlier_seconds()
    for name, needs, argv in STEPS:
        if args.only and name not in args.only:
            continue
        if needs and not (ROOT / needs / "views.npy").exists():
            results["skipped"][name] = f"{needs} is missing (the README gives the command that renders it)"
            continue
        folder = args.out / name  # evaluate rewrites its files; demo reuses a finished render of its own
        argv = [str(folder) if a == "OUT" else a for a in argv]
        metrics_file = folder / ("eval/metrics.json" if name == "demo" else "metrics.json")
        command = "novelview " + " ".join(argv)
        if args.keep_finished and metrics_file.exists():
            seconds = measured_before.get(command)
        else:
            seconds = round(novelview(argv, args.threads), 1)
        step = {"command": command, "seconds": seconds, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                **summarise(name, json.loads(metrics_file.read_text()))}
        results["steps"][name] = step
        write(results)  # after every step: an interruption keeps what was measured
        print(f"{name}: {seconds} s, default L1 {step['models']['default']['all']['l1_full']}", flush=True)
        if args.images and name == "demo":
            for picture in ("eval/error_by_angle.png", "eval/grid.png", "turntables/car.gif",
                            "turntables/chair.gif", "turntables/mug.gif"):
                shutil.copy(folder / picture, ROOT / "docs/images/demo" / Path(picture).name)
    if args.images:
        results["images"] = any_view_images(args.out / "images", args.threads)
        if "furniture" in results["steps"]:
            results["images"] += furniture_turntables(args.out / "furniture_turntables")
    print(f"wrote {write(results)}")


if __name__ == "__main__":
    main()
