"""Configs by name: the YAML files ship in the package, `--config NAME` finds them, and
`novelview configs` lists every one with what it is for."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from novelview.cli import cli
from novelview.config.load import load_config
from novelview.config.files import CONFIG_FOLDER, config_names, resolve_config
from novelview.errors import NovelviewError


def test_a_name_and_the_path_of_the_same_file_give_the_same_config():
    assert load_config("flow_completion") == load_config(CONFIG_FOLDER / "flow_completion.yaml")
    assert load_config("shipped/default")["model"]["name"] == "flow_completion"
    assert load_config("shipped/generalist")["model"] == {**load_config("shipped/default")["model"], "init": "default"}
    assert resolve_config("configs/flow.yaml").name == "flow.yaml"  # the docs' spelling, from anywhere


def test_an_unknown_name_is_one_line_with_names_to_choose_from():
    with pytest.raises(NovelviewError) as caught:
        load_config("flow_compleshun")
    message = str(caught.value)
    assert "\n" not in message and "flow_completion" in message and "novelview configs" in message
    with pytest.raises(NovelviewError):
        resolve_config("../../pyproject")  # a name never leaves the configs folder


def test_novelview_configs_lists_every_shipped_config_with_a_description():
    result = CliRunner().invoke(cli, ["configs"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == config_names()
    assert all(len(line.split()) > 1 for line in lines), "every config says what it is for"
    assert {"flow_completion", "finetune", "shipped/default", "procedural/car/pose_encoder"} <= set(config_names())
