"""`novelview render` and `novelview merge` from the command line."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from console_script import novelview_command

from novelview.cli import cli
from novelview.errors import NovelviewError


def test_render_prints_a_summary(tmp_path):
    out = tmp_path / "data"
    args = ["render", "--source", "procedural:mug", "--models", "2", "--size", "16", "--supersample", "1",
            "--azimuths", "6", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"{out}: 2 models, 12 views" in result.output and "0 skipped" in result.output
    assert np.load(out / "views.npy").shape == (2, 1, 6, 16, 16, 4)
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "already complete" in again.output


def test_render_with_default_azimuths_and_shards_then_merge(tmp_path):
    base = ["render", "--source", "procedural:mug", "--models", "2", "--size", "16", "--supersample", "1",
            "--workers", "1", "--val-share", "0.5", "--test-share", "0"]
    for k in range(2):
        result = CliRunner().invoke(cli, [*base, "--shard", f"{k}/2", "--out", str(tmp_path / f"s{k}")])
        assert result.exit_code == 0, result.output
        assert f"shard {k}/2 done" in result.output
    result = CliRunner().invoke(cli, ["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "2 models, 72 views" in result.output
    assert json.loads((tmp_path / "m" / "split.json").read_text())["val"] != []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--source", "nonsense:thing"], "bad source"),
        (["--source", "procedural:car", "--shard", "1-2"], "bad --shard"),
        (["--source", "procedural:car", "--size", "4"], "--size must be >= 8"),
    ],
)
def test_problems_are_novelview_errors(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["render", *args, "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, NovelviewError)
    assert message in str(result.exception)


def test_console_script_prints_one_error_line_and_exits_2(tmp_path):
    proc = subprocess.run([*novelview_command(), "render", "--source", "nonsense:thing", "--out", str(tmp_path / "x")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad source 'nonsense:thing'")
    assert not (tmp_path / "x").exists()
