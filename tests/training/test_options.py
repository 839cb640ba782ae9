"""Typed options: each family, pose encoding and objective declares its options once (a dataclass),
and the checks at load_config, ``train --print-config``, the docs table and the export's
config.json (no loss weights) all follow that declaration."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
import yaml
from training_helpers import CONFIGS, QUICK, ROOT, SMALL_FLOW, config_for

from novelview.config.load import load_config, resolved
from novelview.config.options import from_defaults, option, parse_options, to_dict
from novelview.config.options_table import markdown
from novelview.errors import NovelviewError
from novelview.models import MODELS, build_model
from novelview.models.io import load_model, save_model
from novelview.models.poses import build_pose
from novelview.objectives import OBJECTIVES
from novelview.objectives.registry import options_class
from novelview.train import train


@dataclasses.dataclass(frozen=True)
class Example:
    size: int = option(64, "an int", minimum=1)
    scale: float = option(1.0, "a float")
    flag: bool = option(False, "a bool")
    limit: float | None = option(None, "null or a float")
    pair: tuple[float, float] = option((0.0, 1.0), "two floats")


def parse(**given):
    return parse_options(Example, given, "x.options", "thing 'example'")


def test_each_type_takes_what_it_should_and_refuses_the_rest():
    assert parse(scale=2).scale == 2  # a whole number is a number
    assert parse(size=np.int64(32)).size == 32 and type(parse(size=np.int64(32)).size) is int
    assert parse(limit=None).limit is None and parse(limit=0.5).limit == 0.5
    assert parse(pair=[1, 2]).pair == (1, 2)
    for key, value, words in [("size", 64.0, "a whole number of at least 1"), ("size", True, "a whole number of at least 1"),
                              ("size", 0, "a whole number of at least 1"), ("scale", False, "a number"),
                              ("scale", "1", "a number"), ("flag", 1, "true or false"),
                              ("pair", [1.0], "a list of 2 numbers"), ("pair", [1.0, None], "a list of 2 numbers")]:
        with pytest.raises(NovelviewError) as info:
            parse(**{key: value})
        assert str(info.value) == f"x.options.{key} must be {words}, not {value!r}"


def test_an_unknown_key_lists_the_known_ones_and_suggests_a_close_one():
    with pytest.raises(NovelviewError) as info:
        parse(sise=3)
    assert str(info.value) == ("unknown option 'sise' for thing 'example' (did you mean 'size'?): "
                               "known are flag, limit, pair, scale, size")
    with pytest.raises(NovelviewError, match="'nothing_like_it' for thing 'example': known are"):
        parse(nothing_like_it=3)


def test_a_mistyped_model_option_is_refused_when_the_config_is_loaded():
    with pytest.raises(NovelviewError) as info:
        load_config(CONFIGS / "flow.yaml", ["model.options.widht=3"])
    assert str(info.value) == ("unknown option 'widht' for model 'flow' (did you mean 'width'?): known are "
                               "elevation_range, image_size, mask_weight, num_rotations, pose, width")


def test_an_objective_that_gives_only_a_dict_of_defaults_is_typed_from_them():
    options = from_defaults("toy", {"delta": 0.1, "steps": 2, "range": [0.5, 1.0], "cut": None})
    assert to_dict(parse_options(options, {"delta": 1}, "objective.options", "objective 'toy'")) == \
        {"delta": 1, "steps": 2, "range": [0.5, 1.0], "cut": None}
    with pytest.raises(NovelviewError, match="objective.options.steps must be a whole number, not 2.5"):
        parse_options(options, {"steps": 2.5}, "objective.options", "objective 'toy'")


def test_a_pose_encoding_takes_its_own_options_from_the_models_by_name():
    assert build_pose("onehot", {"num_rotations": 12, "width": 3}).size == 12
    assert build_pose("continuous", {"num_rotations": 12, "width": 3}).size == 4
    assert build_model("flow", pose="onehot", num_rotations=8, width=0.5).pose.size == 8


def test_the_options_page_is_generated_from_the_declarations():
    page = (ROOT / "docs" / "options.md").read_text()
    assert page == markdown(package_only=True), "docs/options.md is stale: python -m novelview.config.options_table > docs/options.md"
    # Every option of every family and objective is on it, in its own section, with its default.
    # (the package's own: other tests register toys of their own in this process)
    ours = {n for n in MODELS if MODELS[n].__module__.startswith("novelview.")}
    ours_objectives = {n for n in OBJECTIVES if OBJECTIVES[n].__module__.startswith("novelview.")}
    for classes in ({n: MODELS[n].Options for n in ours}, {n: options_class(n) for n in ours_objectives}):
        for name, options in classes.items():
            section = page.split(f": {name}\n", 1)[1].split("\n### ", 1)[0]
            for key, default in to_dict(options()).items():
                shown = default if isinstance(default, str) else json.dumps(default)  # as YAML writes it
                assert f"| `{key}` |" in section and f"| `{shown}` |" in section, (name, key)


def test_print_config_shows_every_default_and_touches_nothing(novelview, tmp_path):
    out = tmp_path / "run"
    code, text, err = novelview("train", "--config", "flow_completion_gan", "--print-config", "--out", out,
                                "model.options.width=2")
    assert code == 0, err
    assert not out.exists()
    printed = yaml.safe_load(text)
    assert printed["model"]["options"]["width"] == 2
    assert printed["model"]["options"]["coarse_weight"] == 0.5  # a default the file does not set
    assert printed["objective"]["options"]["feature_matching_weight"] == 0.1
    assert printed["objective"]["options"]["lr_d"] == 1.0e-4 and printed["trainer"]["max_steps"] == 10000
    assert "image_size" not in printed["model"]["options"]  # the data set decides it
    # The printed config is a config: given back, it resolves to the same thing.
    (tmp_path / "printed.yaml").write_text(text)
    assert resolved(load_config(tmp_path / "printed.yaml")) == printed


def test_train_without_data_says_what_is_missing(novelview, tmp_path):
    code, _, err = novelview("train", "--config", "flow", "--out", tmp_path / "run")
    assert code == 2 and err.strip().startswith("error: train needs --data:"), err
    assert not (tmp_path / "run").exists()


def test_an_export_holds_no_loss_weight_and_training_json_keeps_them(tiny_jittered, tmp_path):
    config = load_config(CONFIGS / "flow_visibility.yaml",
                         [*QUICK, *SMALL_FLOW, "trainer.max_steps=2", "model.options.mask_weight=0.3"])
    result = train(config, tiny_jittered, tmp_path / "run")
    export = tmp_path / "run" / "export"
    options = json.loads((export / "config.json").read_text())["options"]
    weights = {"mask_weight", "visibility_weight", "warp_weight"}
    assert not weights & set(options) and options["width"] == 0.5
    training = json.loads((export / "training.json").read_text())
    assert training["model_options"] == {"mask_weight": 0.3, "visibility_weight": 1.0, "warp_weight": 1.0}
    assert training["objective"]["name"] == "l1" and result["global_step"] == 2
    assert load_model(export).training_config["mask_weight"] == 0.1  # inference needs none of them


@pytest.mark.parametrize("name", ["default", "pose_gan", "autoencoder"])
def test_shipped_weights_with_loss_weights_in_config_json_still_load_and_save_without(name, tmp_path):
    model = load_model(name)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    again = load_model(save_model(model, tmp_path / name))
    saved = json.loads((tmp_path / name / "config.json").read_text())["options"]
    assert not set(model.training_config) & set(saved)
    assert torch.equal(again.predict(x, 30.0), model.predict(x, 30.0))


def test_configs_built_in_code_with_a_bad_option_stop_before_the_data_is_read(tmp_path):
    config = config_for("pose_encoder")
    config["model"]["options"] = {"num_rotations": 0}
    with pytest.raises(NovelviewError, match="model.options.num_rotations must be a whole number of at least 1"):
        train(config, tmp_path / "no_such_data", tmp_path / "run")
    assert not (tmp_path / "run").exists()
