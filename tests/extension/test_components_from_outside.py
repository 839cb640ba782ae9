"""Adding a component is adding a file, even outside the package: a plugin module (toy_plugin.py,
found through NOVELVIEW_PLUGINS) brings a source, a model family, an objective and a metric, and
they run end to end through the command line: render, train, export, evaluate, generate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

HERE = Path(__file__).resolve().parent


def _novelview(*args, plugins: str = "toy_plugin", cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NOVELVIEW_PLUGINS=plugins, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "novelview.cli", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("outside")
    data, run = root / "boxes", root / "run"
    done = _novelview("render", "--source", "toy_boxes:3", "--size", 32, "--azimuths", 8, "--elevations", "0",
                      "--workers", 1, "--supersample", 1, "--val-share", 0.34, "--test-share", 0.34,
                      "--out", data, cwd=root)
    assert done.returncode == 0, done.stderr
    (root / "toy.yaml").write_text("model:\n  name: toy_tint\nobjective:\n  name: toy_huber\n  options:\n"
                                   "    delta: 0.05\ndata:\n  pairs: from_zero\n  batch_size: 4\n"
                                   "trainer:\n  max_steps: 3\n  accelerator: cpu\n  threads: 1\n")
    done = _novelview("train", "--config", root / "toy.yaml", "--data", data, "--out", run, cwd=root)
    assert done.returncode == 0, done.stderr
    return root, data, run


def test_the_source_renders_its_models(trained):
    _, data, _ = trained
    meta = json.loads((data / "meta.json").read_text())
    assert meta["model_ids"] == ["box_0", "box_1", "box_2"]
    views = np.load(data / "views.npy", mmap_mode="r")
    assert views.shape[:3] == (3, 1, 8) and views[..., 3].max() == 255  # something was drawn


def test_the_family_and_objective_train_export_and_draw_their_visuals(trained):
    _, _, run = trained
    config = json.loads((run / "export" / "config.json").read_text())
    assert config["model"] == "toy_tint" and config["trained"]["objective"] == "toy_huber"
    sample = sorted((run / "samples").glob("step_*.png"))[-1]
    rows = (Image.open(sample).height - 2) // (32 + 2)
    assert rows == 4  # source, target, output and the family's one visual, tint_map


def test_the_metric_is_in_metrics_json_and_in_the_printed_table(trained):
    root, data, run = trained
    done = _novelview("evaluate", "--data", data, "--model", run / "export", "--out", root / "eval", cwd=root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "eval" / "metrics.json").read_text())
    assert "toy_dark_share" in json.dumps(results)
    assert "dark share" in done.stdout


def test_the_trained_plugin_model_generates(trained):
    root, data, run = trained
    views = np.load(data / "views.npy", mmap_mode="r")
    Image.fromarray(np.ascontiguousarray(views[0, 0, 0])).save(root / "input.png")
    done = _novelview("generate", "--model", run / "export", "--image", root / "input.png", "--azimuth", 90,
                      "--out", root / "generated", cwd=root)
    assert done.returncode == 0, done.stderr
    assert list((root / "generated").glob("*.png"))


def test_a_plugin_that_cannot_be_found_is_one_line(tmp_path):
    done = _novelview("configs", plugins="no_such_plugin_here", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no_such_plugin_here" in done.stderr and "PYTHONPATH" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_plugin_that_fails_is_one_line_naming_it(tmp_path):
    (tmp_path / "broken_plugin.py").write_text("raise RuntimeError('half written')\n")
    env_path = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "novelview.cli", "configs"], capture_output=True, text=True,
                          env=dict(os.environ, NOVELVIEW_PLUGINS="broken_plugin", PYTHONPATH=env_path), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "broken_plugin" in done.stderr and "half written" in done.stderr


def test_an_installed_distributions_entry_point_is_loaded(tmp_path):
    """The packaging way: a distribution's entry point in the group novelview.plugins."""
    (tmp_path / "ep_plugin.py").write_text("from novelview.models.registry import MODELS\nMODELS['ep_marker'] = object\n")
    info = tmp_path / "ep_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[novelview.plugins]\nmarker = ep_plugin\n")
    code = ("from novelview.plugins import load_plugins; from novelview.models.registry import MODELS; "
            "print(load_plugins(), 'ep_marker' in MODELS)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(tmp_path), NOVELVIEW_PLUGINS=""))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ep_plugin'] True"
