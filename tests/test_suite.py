"""The evaluation suite: every set at hand, the same pairs for model and baselines, a summary of
L1 against copying the input, and sets that cannot be had skipped with the reason."""

from __future__ import annotations

import csv

import pytest

from novelview.evaluation import suite
from novelview.errors import NovelviewError


def test_the_suite_scores_each_protocol_beside_the_baselines_and_skips_what_is_missing(tiny_dataset_64, tmp_path,
                                                                                       monkeypatch):
    missing = suite.TestSet("nowhere", f"sh3d:{tmp_path / 'absent'}", "a library that is not there")
    monkeypatch.setattr(suite, "TEST_SETS", (*suite.TEST_SETS, missing))
    heard = []
    rows = suite.run_suite(["pose_encoder"], tmp_path / "data", tmp_path / "out", sets=["procedural", "nowhere"],
                           data_overrides={"procedural": tiny_dataset_64}, max_pairs=16, log=heard.append)
    assert [(r["set"], r["protocol"]) for r in rows] == [("procedural", "elevation 0"), ("procedural", "any elevation")]
    for row in rows:
        assert row["l1_vs_copy"] == pytest.approx(row["l1"] / row["copy_l1"])
        assert 0 < row["l1"] and 0 < row["copy_l1"] and row["pairs"] > 0
    assert any("nowhere: skipped" in line and "does not exist" in line for line in heard)
    with open(tmp_path / "out" / "summary.csv") as f:
        assert [r["set"] for r in csv.DictReader(f)] == ["procedural", "procedural"]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| procedural | elevation 0 | pose_encoder |" in summary and "nowhere: skipped" in summary
    assert (tmp_path / "out" / "procedural" / "any_elevation" / "metrics.json").exists()


def test_an_unknown_set_names_the_known_ones():
    with pytest.raises(NovelviewError, match="unknown test set 'mars': choose from procedural, sh3d, flightgear, torcs"):
        suite.find_sets(["mars"])


def test_the_command_line_scores_a_set_given_by_folder_and_refuses_a_bad_set_data(tiny_dataset_64, tmp_path):
    from click.testing import CliRunner

    from novelview.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["suite", "--model", "pose_encoder", "--set", "procedural", "--set-data",
                                      f"procedural={tiny_dataset_64}", "--max-pairs", "8", "--out", str(out),
                                      "--no-accuracy"])
    assert result.exit_code == 0, result.output
    assert "| procedural | elevation 0 | pose_encoder |" in (out / "summary.md").read_text()
    with open(out / "summary.csv") as f:
        assert all(row["pose_accuracy"] == "" and row["l1"] for row in csv.DictReader(f))
    for bad in ("procedural", "mars=somewhere"):
        result = CliRunner().invoke(cli, ["suite", "--model", "default", "--set-data", bad, "--out", str(out)])
        assert isinstance(result.exception, NovelviewError)
