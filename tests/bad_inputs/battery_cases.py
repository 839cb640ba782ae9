"""The cases of the hardening battery (battery.py): every finding of the hardening issue, 1 to 10,
as small commands on the inputs of battery_setup.

A case is a command line (arguments of ``novelview``, paths relative to the battery's folder),
what it must do (``ok``: exit 0; ``refuse``: exit 2 with one error line; ``either``: one of the
two, for the findings another helper is changing now), the files that must not change, an
optional check of a successful run (returns what is wrong, or None), and an optional preparation
(returns a function that undoes it, e.g. stops a training run started to hold a lock).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

from battery_setup import ENV, NOVELVIEW, SMALL, novelview

TINY = ["--size", "16", "--azimuths", "2", "--supersample", "1", "--workers", "1", "--test-share", "0",
        "--val-share", "0"]


@dataclass
class Case:
    finding: int
    name: str
    args: list
    expect: str = "refuse"
    watch: list = field(default_factory=list)
    check: Callable | None = None  # (root, stdout, stderr) -> problem or None
    prepare: Callable | None = None  # root -> undo function or None
    unprivileged: bool = False  # run without root's power to read any file (the permission cases)
    timeout: int = 600  # seconds; less where the old behaviour ran for minutes and gigabytes


def says(*texts: str) -> Callable:
    """A check that every text is in the output."""
    return lambda root, out, err: next((f"output lacks {t!r}" for t in texts if t not in out + err), None)


def meta_says(folder: str, *texts: str) -> Callable:
    def check(root, out, err):
        meta = (root / folder / "meta.json").read_text()
        return next((f"meta.json lacks {t!r}" for t in texts if t not in meta), None)
    return check


def same_pairs_in_every_row(root, out, err):
    metrics = json.loads((root / "eval_any" / "metrics.json").read_text())
    counts = {e["n_pairs"] for e in [*metrics["models"].values(), *metrics["baselines"].values()]}
    return None if len(counts) == 1 else f"rows scored on different numbers of pairs: {sorted(counts)}"


def note_under_table(root, out, err):
    metrics = json.loads((root / "eval_ae" / "metrics.json").read_text())
    if "table_note" not in metrics["settings"] or "note: rows differ in pairs" not in out:
        return "rows differ in pairs and nothing says so"
    return None


def _background_train(root: Path, out: str) -> subprocess.Popen:
    """A training run that holds ``out`` for a while (the lock is taken when config.yaml is written)."""
    process = subprocess.Popen([*NOVELVIEW, "train", "--config", str(root / "tiny.yaml"), "--data", str(root / "d32"),
                                "--out", str(root / out), "--max-steps", "100000", "--overwrite"], env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (root / out / "config.yaml").exists() and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(2)
    return process


def running_train(out: str) -> Callable:
    def prepare(root):
        if not (root / out).exists():
            shutil.copytree(root / "run", root / out)
        process = _background_train(root, out)
        return lambda: (process.kill(), process.wait())
    return prepare


def held_lock(folder: str) -> Callable:
    """Hold the folder's lock from this process, as a render or an evaluation writing there would."""
    def prepare(root):
        (root / folder).mkdir(parents=True, exist_ok=True)
        fd = os.open(root / folder, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return lambda: os.close(fd)
    return prepare


def killed_run(root):
    """A run killed with SIGKILL in the middle of training (finding 2)."""
    shutil.copytree(root / "run", root / "killed", dirs_exist_ok=True)
    process = _background_train(root, "killed")
    time.sleep(4)
    process.kill()
    process.wait()


def damaged_last_repaired(root):
    """Finding 1: a copy of the run whose last.ckpt is cut short, then doctor --repair (moves it aside)."""
    shutil.copytree(root / "run", root / "run1", dirs_exist_ok=True)
    last = root / "run1" / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:500])
    novelview("doctor", root / "run1", "--repair", check=False)


def copy_of(source: str, target: str) -> Callable:
    def prepare(root):
        shutil.copytree(root / source, root / target, dirs_exist_ok=True)
    return prepare


def unreadable_views(root):
    """Finding 10: a data set whose views.npy this user may not read (root runs the case without its
    power to read any file: Case.unprivileged)."""
    shutil.copytree(root / "d16", root / "d16_perm", dirs_exist_ok=True)
    os.chmod(root / "d16_perm" / "views.npy", 0)


def shards(root):
    for k in range(2):
        novelview("render", *SMALL, "--size", "24", "--azimuths", "4", "--shard", f"{k}/2", "--out", root / f"shard{k}")


RUN_FILES = ["run/checkpoints/best.ckpt", "run/export/model.safetensors", "run/export/config.json"]
RUN1_FILES = ["run1/checkpoints/best.ckpt", "run1/export/model.safetensors"]
D16 = ["d16/views.npy", "d16/meta.json", "d16/split.json"]
CASES = [
    # 1: a damaged last.ckpt repaired by doctor; train without --resume must not overwrite best.ckpt and export
    Case(1, "train into a trained run without --resume/--overwrite", ["train", "--config", "tiny.yaml", "--data",
         "d32", "--out", "run"], watch=RUN_FILES),
    Case(1, "train after doctor --repair moved a damaged last.ckpt aside", ["train", "--config", "tiny.yaml", "--data",
         "d32", "--out", "run1"], watch=RUN1_FILES, prepare=damaged_last_repaired),
    Case(1, "train --resume without last.ckpt resumes from best.ckpt", ["train", "--config", "tiny.yaml", "--data",
         "d32", "--out", "run1", "--resume", "--max-steps", "3"], expect="ok", check=says("best.ckpt")),
    Case(1, "export over an existing export folder", ["export", "--checkpoint", "run/checkpoints/best.ckpt",
         "--out", "run/export"], expect="either"),
    # 2: resume after kill -9 (being changed by another helper now)
    Case(2, "doctor on a run killed with SIGKILL", ["doctor", "killed"], expect="either", prepare=killed_run),
    Case(2, "train --resume of a run killed with SIGKILL", ["train", "--config", "tiny.yaml", "--data", "d32",
         "--out", "killed", "--resume", "--max-steps", "4"], expect="either"),
    # 3: atomic writes, full disk (being changed by another helper now)
    Case(3, "render again over a finished set with a stale views.tmp.npy", ["render", *SMALL, "--size", "16",
         "--azimuths", "4", "--test-share", "0.34", "--out", "d16c"], expect="ok", watch=["d16c/views.npy"],
         prepare=lambda root: (copy_of("d16", "d16c")(root), (root / "d16c" / "views.tmp.npy").write_bytes(b"x"))),
    # (not /dev/full: an atomic write renames its temporary file over the device node itself)
    Case(3, "attribution written where no file can be made (/proc)", ["attribution", "--data", "d16", "--out",
         "/proc/novelview_attribution.md"], watch=D16),
    # 4: doctor on model folders that cannot work
    *[Case(4, f"doctor on a model folder with {what}", ["doctor", f"models/{name}"],
           watch=[f"models/{name}/model.safetensors"])
      for name, what in (("other_shapes", "a config that does not fit its weights"), ("unknown_family", "an unknown family"),
                         ("nan_weights", "NaN weights"), ("int_weights", "integer weights"),
                         ("giant_config", "a 3 MiB config"))],
    Case(4, "doctor on a sound model folder", ["doctor", "models/sound"], expect="ok", check=says("all finite")),
    # 5: locks on train and evaluate folders
    Case(5, "a second train into a folder a train is writing", ["train", "--config", "tiny.yaml", "--data", "d32",
         "--out", "busy", "--overwrite"], prepare=running_train("busy")),
    Case(5, "train --resume of a run that is still training", ["train", "--config", "tiny.yaml", "--data", "d32",
         "--out", "busy2", "--resume"], prepare=running_train("busy2")),
    Case(5, "evaluate into a folder another evaluation holds", ["evaluate", "--data", "d64", "--model", "pose_encoder",
         "--out", "eval_busy", "--max-pairs", "4", "--no-accuracy"], prepare=held_lock("eval_busy")),
    Case(5, "render into a folder another render holds", ["render", *SMALL, "--size", "16", "--out", "render_busy"],
         prepare=held_lock("render_busy")),
    # 6: non-finite numbers
    Case(6, "generate --elevation nan", ["generate", "--image", "photo.png", "--azimuth", "30", "--elevation", "nan",
         "--out", "g_nan"]),
    Case(6, "generate --azimuth inf", ["generate", "--image", "photo.png", "--azimuth", "inf", "--out", "g_inf"]),
    Case(6, "generate with a model of NaN weights", ["generate", "--model", "models/nan_weights", "--image",
         "photo.png", "--azimuth", "30", "--out", "g_nanw"]),
    Case(6, "render --elevations nan", ["render", *SMALL, "--size", "16", "--elevations", "nan", "--out", "r_nan"]),
    # 7: every row of a table on the same pairs; offgrid without off-grid views
    Case(7, "evaluate --elevations any, model trained at elevation 0", ["evaluate", "--data", "d32el", "--model",
         "flow_el0", "--elevations", "any", "--out", "eval_any", "--no-accuracy"], expect="ok",
         check=same_pairs_in_every_row),
    Case(7, "evaluate --pairs offgrid on a 36-azimuth set", ["evaluate", "--data", "d64", "--model", "pose_encoder",
         "--pairs", "offgrid", "--out", "eval_off"]),
    Case(7, "evaluate pose_encoder beside the +30-only autoencoder", ["evaluate", "--data", "d64", "--model",
         "pose_encoder", "--model", "autoencoder", "--out", "eval_ae", "--no-accuracy", "--max-pairs", "40"],
         expect="ok", check=note_under_table),
]
