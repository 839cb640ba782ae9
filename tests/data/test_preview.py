"""Looking before rendering: `render --list`, `render --check`, and `sheet` saying what it leaves out."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from PIL import Image

from novelview.cli import cli
from novelview.data.preview import CHECK_AZIMUTHS, LABEL_WIDTH, sheet_plan

SMALL = ["--size", "16", "--supersample", "1", "--workers", "1"]


def test_render_check_writes_one_row_per_model_and_no_data_set(tmp_path):
    out = tmp_path / "check.png"
    result = CliRunner().invoke(cli, ["render", "--source", "procedural:car,mug", "--models", "2", *SMALL,
                                      "--check", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "--up-axis" in result.output and "--orientation" in result.output  # the hint
    sheet = np.asarray(Image.open(out).convert("L"))
    assert sheet.shape == (4 * 18 + 2, 2 + LABEL_WIDTH + len(CHECK_AZIMUTHS) * 18 + 6)
    views = sheet[2:-2, 2 + LABEL_WIDTH : 2 + LABEL_WIDTH + 4 * 18]
    assert (views < 200).mean() > 0.05  # the models are drawn, not only the background
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check.png"]


def test_render_list_prints_models_and_counts_without_out(tmp_path):
    result = CliRunner().invoke(cli, ["render", "--source", "procedural:car,mug", "--models", "3", "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "car_0_00000  [car]" and lines[-1] == "6 models in 2 categories: car 3, mug 3"


def test_render_without_out_says_what_to_give(tmp_path):
    result = CliRunner().invoke(cli, ["render", "--source", "procedural:car"])
    assert "give --out" in str(result.exception)


def test_sheet_shows_more_of_a_one_category_set_and_says_how_many_exist(tmp_path):
    data = tmp_path / "mugs"
    args = ["render", "--source", "procedural:mug", "--models", "20", *SMALL, "--azimuths", "4", "--out", str(data)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert sheet_plan(data, None) == (16, "shows 16 of 20 models (1 category, up to 16 each); show more with --per-category N")
    assert sheet_plan(data, 30)[1] == "shows 20 of 20 models (1 category, up to 30 each)"
    result = CliRunner().invoke(cli, ["sheet", "--data", str(data), "--out", str(tmp_path / "s.png"), "--azimuth-step", "1"])
    assert result.exit_code == 0 and "shows 16 of 20 models" in result.output
    assert Image.open(tmp_path / "s.png").size[1] > 16 * 16  # sixteen rows of 16-pixel views


def test_sheet_of_several_categories_keeps_four_each(tiny_dataset):
    assert sheet_plan(tiny_dataset, None)[0] == 4


def test_check_wants_a_png_file(tmp_path):
    result = CliRunner().invoke(cli, ["render", "--source", "procedural:car", "--check", "--out", str(tmp_path / "d")])
    assert "--out names the PNG file" in str(result.exception)


def test_plus_y_and_y_make_the_same_data_set_and_new_options_change_it_only_when_used(tmp_path):
    from novelview.data.store import RenderJob

    plain = RenderJob("procedural:car", tmp_path).identity()
    assert RenderJob("procedural:car", tmp_path, up_axis="+y").identity() == plain
    assert "front" not in plain and "orientation_sha256" not in plain  # older data sets keep their identity
    assert RenderJob("procedural:car", tmp_path, front="x").identity()["front"] == "+x"


def test_render_check_draws_every_model_at_every_elevation(tmp_path):
    out = tmp_path / "check.png"
    result = CliRunner().invoke(cli, ["render", "--source", "procedural:car", "--models", "2", *SMALL,
                                      "--elevations", "0,60", "--check", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "one row per model and elevation (0, 60)" in result.output
    sheet = np.asarray(Image.open(out).convert("L"))
    assert sheet.shape[0] == 4 * 18 + 2  # two models, two elevations each
    views = sheet[2:-2, 2 + LABEL_WIDTH : 2 + LABEL_WIDTH + 4 * 18].astype(int)
    level, high = views[0:16], views[18:34]  # the first model at 0 and at 60 degrees
    assert np.abs(level - high).mean() > 5  # seen from above it looks different


def _mugs(root):
    """Two ShapeNetCore.v2 mugs: mug_a textured, mug_b naming a texture that is not there."""
    from PIL import Image as PILImage

    from mesh_helpers import square_obj

    for name, texture in (("mug_a", "t.png"), ("mug_b", "lost.png")):
        model = root / "03797390" / name
        (model / "models").mkdir(parents=True)
        (model / "models" / "model_normalized.obj").write_text(square_obj("m.mtl", "skin", facing="-z"))
        (model / "models" / "m.mtl").write_text(f"newmtl skin\nKd 1 1 1\nmap_Kd ../images/{texture}\n")
        (model / "images").mkdir()
        PILImage.new("RGB", (4, 4), (0, 128, 128)).save(model / "images" / "t.png")
    return root


def test_render_check_names_the_models_that_kept_or_lost_their_textures(tmp_path):
    root = _mugs(tmp_path / "sn")
    result = CliRunner().invoke(cli, ["render", "--source", f"shapenet:{root}", *SMALL, "--check",
                                      "--out", str(tmp_path / "check.png")])
    assert result.exit_code == 0, result.output
    assert ("textures: 1 models textured (03797390/mug_a), 1 fell back to material colours (03797390/mug_b), "
            "0 without textures") in result.output


def _orientation_case(tmp_path, text: str, name: str = "o.json"):
    import trimesh

    (tmp_path / "m").mkdir()
    for model in "abc":
        trimesh.creation.box().export(tmp_path / "m" / f"{model}.obj")
    (tmp_path / name).write_text(text, encoding="utf-8")
    return ["--source", f"folder:{tmp_path / 'm'}", "--orientation", str(tmp_path / name)]


PARTIAL = '{"a": {"front": "-x"}, "b": {"up": "+z"}, "c": {"up": "+z", "front": "+x"}}'


def test_list_and_check_say_what_a_partial_orientation_entry_inherits(tmp_path):
    args = _orientation_case(tmp_path, PARTIAL)
    said = ["orientation: a: the orientation file gives only front -x; up +z is inherited from --up-axis",
            "orientation: b: the orientation file gives only up +z; front -y is inherited from the default front "
            "for up +z"]
    result = CliRunner().invoke(cli, ["render", *args, "--up-axis", "z", "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "a  [m]  up +z (--up-axis), front -x (the orientation file)"
    assert all(line in lines for line in said) and not any(line.startswith("orientation: c") for line in lines)
    result = CliRunner().invoke(cli, ["render", *args, "--up-axis", "z", *SMALL, "--check",
                                      "--out", str(tmp_path / "check.png")])
    assert result.exit_code == 0 and all(line in result.output.splitlines() for line in said), result.output
    # --front is inherited as well, by the entry that gives only up
    result = CliRunner().invoke(cli, ["render", *args, "--front", "+x", "--list"])
    assert "orientation: b: the orientation file gives only up +z; front +x is inherited from --front" in result.output


def test_an_inherited_axis_along_the_given_one_is_named_with_where_each_came_from(tmp_path):
    args = _orientation_case(tmp_path, '{"a": {"front": "+y"}}')
    result = CliRunner().invoke(cli, ["render", *args, "--list"])
    assert "model 'a': front +y (from the orientation file) lies along up +y (from --up-axis)" in str(result.exception)
