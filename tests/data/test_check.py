"""Looking before rendering: `render --list`, `render --check`, and `sheet` saying what it leaves out."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from PIL import Image

from novelview.cli import cli
from novelview.data.check import CHECK_AZIMUTHS, LABEL_WIDTH, sheet_plan

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
