"""Numbers that would render nonsense are refused before any work, with the option named."""

from __future__ import annotations

import json

import pytest
from bad_input_helpers import RENDER, assert_one_error

BASE = ["render", "--source", "procedural:mug", "--size", "16", "--azimuths", "4", "--supersample", "1"]


@pytest.mark.parametrize("args, message", [
    (["--elevations", "nan"], r"bad --elevations 'nan': use finite degrees from -90 to 90"),
    (["--elevations", "inf"], r"bad --elevations 'inf'"),
    (["--elevations", "-inf"], r"bad --elevations '-inf'"),
    (["--elevations", "0,nan"], r"bad --elevations '0,nan'"),
    (["--elevations", "91"], r"bad --elevations '91'"),
    (["--elevations", "ten"], r"bad --elevations 'ten'"),
    (["--elevations", ""], r"bad --elevations ''"),
    (["--models", "-2"], r"--models must be 1 or more \(got -2\)"),
    (["--models", "0"], r"--models must be 1 or more \(got 0\)"),
    (["--workers", "-1"], r"--workers must be 0 \(all cores\) or more \(got -1\)"),
    (["--seed", "-1"], r"--seed must be 0 or more"),
    (["--azimuths", "100000"], r"--azimuths must be a whole number from 2 to 3600"),
    (["--supersample", "64"], r"--supersample must be a whole number from 1 to 16"),
    (["--shard", "3/2"], r"bad shard 3/2"),
    (["--val-share", "nan"], r"--val-share nan is not a finite number: give a share from 0 to 1"),
])
def test_bad_numbers_are_refused_before_anything_is_written(args, message, tmp_path, novelview):
    out = tmp_path / "data"
    code, _, err = novelview(*BASE, *args, "--out", out)
    assert_one_error(code, err, message)
    assert not out.exists()


def test_out_that_is_a_file_is_refused(tmp_path, novelview):
    (tmp_path / "data").write_text("my notes")
    code, _, err = novelview(*BASE, "--models", "1", "--out", tmp_path / "data")
    assert_one_error(code, err, r"--out .*data: .*data is a file, not a folder")
    code, _, err = novelview(*BASE, "--models", "1", "--out", tmp_path / "data" / "inside")
    assert_one_error(code, err, r"--out .*inside: .*data is a file, not a folder")
    assert (tmp_path / "data").read_text() == "my notes"


# the data set holds one category (mugs), so --per-category defaults to 16
@pytest.mark.parametrize("args, message", [
    (["--azimuth-step", "0"], r"--azimuth-step and --per-category must be 1 or more \(got 0, 16\)"),
    (["--azimuth-step", "-3"], r"must be 1 or more \(got -3, 16\)"),
    (["--per-category", "0"], r"must be 1 or more \(got 3, 0\)"),
])
def test_sheet_refuses_steps_below_one(args, message, dataset, novelview, tmp_path):
    code, _, err = novelview("sheet", "--data", dataset, "--out", tmp_path / "s.png", *args)
    assert_one_error(code, err, message)
    assert not (tmp_path / "s.png").exists()


def test_sheet_refuses_an_output_name_without_an_image_format(dataset, novelview, tmp_path):
    code, _, err = novelview("sheet", "--data", dataset, "--out", tmp_path / "sheet.nothing")
    assert_one_error(code, err, r"cannot tell the image format from 'sheet\.nothing'")


def test_a_split_file_with_indices_is_refused_before_rendering(tmp_path, novelview):
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": [0, 1], "test": [-1]}))
    code, _, err = novelview("render", *RENDER, "--split-file", split, "--out", tmp_path / "data")
    assert_one_error(code, err, r"split file .* must be JSON like .*model ids")
    assert not (tmp_path / "data").exists()
