"""The tiny inputs the hardening battery (battery.py) works on, made once in its temporary folder.

Everything is small enough that the battery runs in a few minutes on two cores: 16x16 and 32x32
procedural sets of three mugs, a 64x64 set for the shipped models, a two-step training run, model
folders damaged in one way each, and fake Sweet Home 3D libraries (sh3f_fakes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from sh3f_fakes import ASYMMETRIC_OBJ, corrupt_catalogue, library, piece, png_header_claiming, textured_mtl

SRC = Path(__file__).resolve().parents[2] / "src"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(SRC)}
NOVELVIEW = [sys.executable, "-m", "novelview.cli"]
SMALL = ["--source", "procedural:mug", "--models", "3", "--supersample", "1", "--workers", "1"]
TRAIN_CONFIG = """model:
  name: flow
  options:
    width: 0.5
objective:
  name: l1
data:
  pairs: all
  batch_size: 8
trainer:
  max_steps: 2
  val_check_interval: 1
"""


def novelview(*args, cwd=None, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([*NOVELVIEW, *map(str, args)], env=ENV, cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise RuntimeError(f"battery setup failed: novelview {' '.join(map(str, args))}\n{done.stderr[-2000:]}")
    return done


def make_inputs(root: Path) -> None:
    """Data sets, a run, model folders and libraries under ``root``."""
    novelview("render", *SMALL, "--size", "16", "--azimuths", "4", "--test-share", "0.34", "--out", root / "d16")
    novelview("render", *SMALL, "--size", "32", "--azimuths", "8", "--val-share", "0.34", "--test-share", "0.34",
              "--out", root / "d32")
    novelview("render", *SMALL, "--size", "32", "--azimuths", "8", "--elevations", "0,45", "--test-share", "0.34",
              "--out", root / "d32el")
    novelview("render", *SMALL, "--size", "64", "--azimuths", "36", "--test-share", "0.34", "--out", root / "d64")
    (root / "tiny.yaml").write_text(TRAIN_CONFIG)
    novelview("train", "--config", root / "tiny.yaml", "--data", root / "d32", "--out", root / "run")
    _model_folders(root)
    _libraries(root)
    _small_files(root)


def _model_folders(root: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    import novelview as nv
    from novelview.models import build_model
    from novelview.models.io import save_model

    torch.manual_seed(0)
    save_model(build_model("flow", width=0.5, image_size=32), root / "flow_el0")  # trained at elevation 0 only
    sound = save_model(nv.load_model("pose_encoder"), root / "models" / "sound")

    def damaged(name, config=None, weights=None, raw_config=None):
        folder = Path(shutil.copytree(sound, root / "models" / name))
        if config or raw_config:
            data = json.loads((folder / "config.json").read_text())
            if config:
                config(data)
            (folder / "config.json").write_text(raw_config or json.dumps(data))
        if weights:
            state = load_file(str(folder / "model.safetensors"))
            weights(state)
            save_file(state, str(folder / "model.safetensors"))

    damaged("other_shapes", config=lambda c: c["options"].__setitem__("encoder_channels", [16, 48, 64, 92]))
    damaged("unknown_family", config=lambda c: c.__setitem__("model", "pose_encoder_v9"))
    damaged("giant_config", config=lambda c: c.__setitem__("notes", "x" * (3 << 20)))
    damaged("nan_weights", weights=lambda s: s["encoder.0.0.weight"].view(-1).__setitem__(7, float("nan")))
    damaged("int_weights", weights=lambda s: s.__setitem__("decoder.0.0.weight",
                                                           s["decoder.0.0.weight"].round().to(torch.int32)))
    for name, key, value in (("size_float", "image_size", 64.0), ("size_zero", "image_size", 0),
                             ("rotations_zero", "num_rotations", 0), ("kernel_negative", "kernel", -3)):
        damaged(name, config=lambda c, k=key, v=value: c["options"].__setitem__(k, v))


def _libraries(root: Path) -> None:
    libs = root / "libs"
    library(libs / "Good.sh3f", [piece(1)])
    corrupt_catalogue(library(libs / "Bad.sh3f", [piece(1)] * 3))
    library(root / "texture_garbage.sh3f", [piece(1)], {"square/square.mtl": textured_mtl("t.png"),
                                                        "square/t.png": b"\x89PNG not an image" * 8})
    library(root / "texture_huge.sh3f", [piece(1)], {"square/square.mtl": textured_mtl("t.png"),
                                                     "square/t.png": png_header_claiming(15000, 15000)})
    library(root / "rotation_bad.sh3f", [piece(1, model="/l/l.obj", rotation="1 0 0 0 1 0 0 0 x")],
            {"l/l.obj": ASYMMETRIC_OBJ})
    library(root / "rotation_mirror.sh3f", [piece(1, model="/l/l.obj", rotation="-1 0 0 0 1 0 0 0 1")],
            {"l/l.obj": ASYMMETRIC_OBJ})
    library(root / "no_model.sh3f", [piece(1), piece(2, name="ghost", model=None)])
    # a mesh that inflates to 600 MiB of comment lines (0.6 MB zipped), streamed in: never in memory here
    bomb = library(root / "bomb.sh3f", [piece(1), piece(2, model="/big/big.obj")])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("big/big.obj", "w", force_zip64=True) as member:
            member.write(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
            block = b"#" * 1023 + b"\n"
            for _ in range(600 * 1024):
                member.write(block)


def _small_files(root: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64), (200, 40, 40)).save(root / "photo.png")
    (root / "binary.yaml").write_bytes(bytes(range(256)) * 8)
    (root / "extra_field.csv").write_text("model_id,up,front\nmug_0_00000,+y,+z,surplus\n")
    (root / "excel.csv").write_bytes("\ufeffmodel_id,up,front\r\nmug_0_00000,+y,+z\r\n".encode("utf-8"))
    for name, option in (("size_float", "image_size: 64.0"), ("size_zero", "image_size: 0"),
                         ("rotations_zero", "num_rotations: 0")):
        (root / f"{name}.yaml").write_text(TRAIN_CONFIG.replace("width: 0.5", f"width: 0.5\n    {option}"))
    (root / "kernel_negative.yaml").write_text(TRAIN_CONFIG.replace("name: flow", "name: autoencoder")
                                               .replace("width: 0.5", "kernel: -3").replace("pairs: all", "pairs: fixed"))
