"""What a finished data set says about each model: which models kept, lost or had no textures
(meta.json in full, the console the first few), and how each model was turned (its up and front,
and what decided them), through a plain render, a merge of shards, and the command line."""

from __future__ import annotations

import json

import trimesh
from click.testing import CliRunner
from PIL import Image

from novelview.cli import cli
from novelview.data.render_notes import FIRST_FEW, summary_lines
from novelview.data.store import merge_shards, render_dataset

from mesh_helpers import square_obj
from store_helpers import tiny_job

SMALL = ["--size", "16", "--azimuths", "2", "--supersample", "1", "--workers", "1", "--test-share", "0"]


def _mugs(root, textured: int, lost: int):
    """ShapeNetCore.v2 mugs: the first ``textured`` find their texture, the next ``lost`` do not."""
    for n in range(textured + lost):
        model = root / "03797390" / f"mug_{n}"
        (model / "models").mkdir(parents=True)
        (model / "models" / "model_normalized.obj").write_text(square_obj("m.mtl", "skin", facing="-z"))
        texture = "t.png" if n < textured else "lost.png"
        (model / "models" / "m.mtl").write_text(f"newmtl skin\nKd 1 0 0\nmap_Kd ../images/{texture}\n")
        (model / "images").mkdir()
        Image.new("RGB", (4, 4), (0, 128, 128)).save(model / "images" / "t.png")
    return root


def test_meta_json_names_every_model_by_texturing_and_the_console_the_first_few(tmp_path):
    root = _mugs(tmp_path / "sn", textured=FIRST_FEW + 2, lost=1)
    out = tmp_path / "data"
    result = CliRunner().invoke(cli, ["render", "--source", f"shapenet:{root}", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    notes = json.loads((out / "meta.json").read_text())["render_notes"]
    textured = [f"03797390/mug_{n}" for n in range(FIRST_FEW + 2)]
    assert notes["texturing_models"] == {"fallback": ["03797390/mug_7"], "textured": textured}
    assert notes["texturing"] == {"fallback": 1, "textured": FIRST_FEW + 2}
    shown = ", ".join(textured[:FIRST_FEW])
    assert (f"textures: {FIRST_FEW + 2} models textured ({shown}, ...), 1 fell back to material colours "
            "(03797390/mug_7), 0 without textures") in result.output
    assert "every model id is in meta.json under render_notes.texturing_models" in result.output


def test_summary_lines_of_an_older_data_set_without_the_id_lists_still_count():
    old = {"texturing": {"textured": 2, "fallback": 1}, "notices": {}}
    assert summary_lines(old) == ["textures: 2 models textured, 1 fell back to material colours, 0 without textures"]


def _turned_folder(tmp_path):
    src = tmp_path / "meshes"
    src.mkdir()
    for name in ("a", "b", "c"):
        trimesh.creation.box().export(src / f"{name}.obj")
    orientation = tmp_path / "orientation.json"
    orientation.write_text(json.dumps({"a": {"up": "+z"}, "b": {"rotation": [0, 0, 1, 0, 1, 0, -1, 0, 0]}}))
    return {"source": f"folder:{src}", "models": None, "front": "-x", "orientation_file": str(orientation)}


def test_meta_json_keeps_every_models_up_and_front_and_what_decided_them(tmp_path):
    options = _turned_folder(tmp_path)
    render_dataset(tiny_job(tmp_path / "whole", **options), progress=False)
    meta = json.loads((tmp_path / "whole" / "meta.json").read_text())
    assert meta["model_ids"] == ["a", "b", "c"]
    assert meta["orientations"] == [
        {"up": "+z", "front": "-x", "from": {"up": "the orientation file", "front": "--front"}, "entry": "partial"},
        {"rotation": [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 0.0], "from": "the orientation file",
         "entry": "complete"},
        {"up": "+y", "front": "-x", "from": {"up": "--up-axis", "front": "--front"}},
    ]
    # shards carry it in their parts: the merged set says the same
    shards = [tmp_path / f"shard{k}" for k in range(2)]
    for k, folder in enumerate(shards):
        render_dataset(tiny_job(folder, shard=(k, 2), **options), progress=False)
    merge_shards(shards, tmp_path / "merged", progress=False)
    assert json.loads((tmp_path / "merged" / "meta.json").read_text())["orientations"] == meta["orientations"]


def test_a_procedural_set_records_the_source_convention(tmp_path):
    render_dataset(tiny_job(tmp_path / "data", source="procedural:mug", models=1), progress=False)
    (turn,) = json.loads((tmp_path / "data" / "meta.json").read_text())["orientations"]
    assert turn == {"up": "+y", "front": "+z", "from": {"up": "--up-axis", "front": "the source's convention"}}


def test_render_notes_a_partial_orientation_entry_before_rendering(tmp_path):
    options = _turned_folder(tmp_path)
    result = CliRunner().invoke(cli, ["render", "--source", options["source"], "--orientation",
                                      options["orientation_file"], *SMALL, "--out", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("note: orientation: a: the orientation file gives only up +z; front -y is "
                                    "inherited from the default front for up +z\n")
