"""Configs: defaults, extends and overrides; bad configs, CLI arguments and data that do not fit the
model fail with one clear line before anything is written; fine-tuning from an export."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import torch

from novelview.config.load import load_config
from novelview.errors import NovelviewError
from novelview.models import MODELS
from novelview.models.io import load_model
from novelview.train import prepare, train

from training_helpers import CONFIGS, SMALL_FLOW, config_for, novelview_command

# -- bad configs --

def test_config_defaults_extends_and_overrides(tmp_path):
    config = load_config(CONFIGS / "pose_gan.yaml", ["optim.lr=0.002", "model.options.disc_dropout=0.3",
                                                      "objective.options.beta=0.5"])
    assert config["model"]["name"] == "pose_gan" and config["optim"]["lr"] == 0.002
    assert config["model"]["options"] == {"disc_dropout": 0.3}
    assert config["objective"]["name"] == "original_gan" and config["objective"]["options"]["beta"] == 0.5
    assert config["objective"]["options"]["g_steps_per_d"] == 5  # from the file
    assert config["data"]["batch_size"] == 36  # from the defaults
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {CONFIGS / 'autoencoder.yaml'}\noptim:\n  lr: 0.01\n")
    config = load_config(child)
    assert config["model"]["name"] == "autoencoder" and config["optim"]["lr"] == 0.01
    assert config["data"]["pairs"] == "fixed" and config["objective"]["name"] == "l1"
    gan = load_config(CONFIGS / "flow_completion_gan.yaml")  # two levels of extends
    assert gan["model"]["name"] == "flow_completion" and gan["objective"]["name"] == "adversarial"
    assert gan["data"]["elevations"] == "any" and gan["model"]["options"]["completion_width"] == 1.5


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


BAD_CONFIGS = [
    # (file text or None for the pose encoder's, overrides, message)
    ("nonsense:\n  a: 1\n", [], "unknown config section 'nonsense'"),
    ("optim:\n  learning_rate: 0.1\n", [], "unknown key 'learning_rate' in section 'optim'"),
    (None, ["optim.learnig_rate=0.1"], "unknown config key 'optim.learnig_rate'"),
    (None, ["optimizer.lr=0.1"], "unknown config key 'optimizer.lr'"),
    (None, ["model.nme=unet"], "unknown config key 'model.nme'"),
    ("model:\n  name: unet\n", [], "unknown model 'unet'.*autoencoder, depth_warp, flow, .*pose_encoder, pose_gan"),
    (None, ["model.name=unet"], "unknown model 'unet'"),
    (None, ["model.options=3"], "model.options must be a mapping"),
    ("optim: [1, 2\n", [], "is not valid YAML"),
    ("- just\n- a list\n", [], "must be a mapping"),
    ("data: 5\n", [], "section 'data' must be a mapping"),
    (None, ["optim.lr"], "bad override 'optim.lr'"),
    (None, ["=3"], "bad override '=3'"),
    (None, ["optim.betas=[0.9,"], "bad override 'optim.betas=\\[0.9,': the value is not valid YAML"),
    (None, ["data.batch_size=0"], "data.batch_size must be"),
    (None, ["data.batch_size=many"], "data.batch_size must be"),
    (None, ["data.pairs=random"], "data.pairs is 'random'"),
    (None, ["data.elevations=above"], "data.elevations must be same or any, not 'above'"),
    (None, ["data.device=gpu"], "data.device must be auto, accelerator or host"),
    (None, ["optim.betas=[0.9]"], "optim.betas must be two numbers"),
    (None, ["trainer.channels_last=maybe"], "trainer.channels_last must be true or false, not 'maybe'"),
    (None, ["trainer.max_time=5min"], "trainer.max_time must be null or DD:HH:MM:SS"),
    (None, ["trainer.steps_per_fetch=0"], "trainer.steps_per_fetch must be a whole number of at least 1"),
    (None, ["trainer.precision=8-true"], "trainer.precision must be one of"),
    # The old `gan:` section is now the objective's options.
    (None, ["gan.skip_threshold=0"], "unknown config key 'gan.skip_threshold': no section 'gan'"),
    (None, ["objective.name=wgan"], "unknown objective 'wgan'.*adversarial, l1, l1_ssim, original_gan"),
    (None, ["objective.options.lr_g=1"], "unknown option 'lr_g' for objective 'l1': known are l1_weight"),
    ("model:\n  name: pose_gan\nobjective:\n  name: original_gan\n  options:\n    g_steps_per_d: 2.5\n", [],
     "objective.options.g_steps_per_d must be a whole number of at least 1, not 2.5"),
    ("model:\n  name: pose_gan\nobjective:\n  name: original_gan\n", ["objective.options.real_label_range=[0.8]"],
     "objective.options.real_label_range must be a list of 2 numbers"),
    ("model:\n  name: pose_gan\nobjective:\n  name: original_gan\n", ["objective.options.feature_matching=1"],
     "objective.options.feature_matching must be true or false"),
    # Model options are checked against the family's declaration when the config is loaded.
    ("model:\n  name: flow\n", ["model.options.widht=3"],
     r"unknown option 'widht' for model 'flow' \(did you mean 'width'\?\): known are elevation_range, image_size, "
     r"mask_weight, num_rotations, pose, width$"),
    (None, ["model.options.image_size=64.0"], "model.options.image_size must be a whole number of at least 1, not 64.0"),
    (None, ["model.options.num_rotations=0"], "model.options.num_rotations must be a whole number of at least 1, not 0"),
    (None, ["model.options.encoder_batch_norm=1"], "model.options.encoder_batch_norm must be true or false, not 1"),
    (None, ["model.options.encoder_channels=[32, 48.5]"], "model.options.encoder_channels must be a list of whole"),
    (None, ["model.options.pose=polar"], "model.options.pose is 'polar': choose from continuous, onehot"),
    ("model:\n  name: flow\n", ["model.options.width=0"], "model.options.width must be a number above 0, not 0"),
    ("model:\n  name: flow_completion\nobjective:\n  name: adversarial\n", ["objective.options.betas_d=[0.5, true]"],
     r"objective.options.betas_d must be a list of 2 numbers of at least 0, not \[0.5, True\]"),
]


@pytest.mark.parametrize("text,overrides,message", BAD_CONFIGS)
def test_bad_configs_raise_a_clear_error(text, overrides, message, tmp_path):
    path = CONFIGS / "pose_encoder.yaml" if text is None else write(tmp_path, text)
    with pytest.raises(NovelviewError, match=message) as info:
        load_config(path, overrides)
    assert "\n" not in str(info.value)


def test_configs_built_in_code_are_checked_too(tiny_dataset_64, tmp_path):
    config = config_for("pose_encoder")
    config["trainer"]["channels_last"] = "yes"
    with pytest.raises(NovelviewError, match="trainer.channels_last must be true or false"):
        train(config, tiny_dataset_64, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_missing_config_file_and_extends_cycle(tmp_path):
    with pytest.raises(NovelviewError, match="config file .*nope.yaml not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(NovelviewError, match="nests too deep"):
        load_config(tmp_path / "a.yaml")


CLI_CASES = [
    (["--config", "{missing}"], "config file .* not found"),
    (["--config", "{bad_yaml}"], "is not valid YAML"),
    (["--config", "{pose}", "nonsense.key=1"], "unknown config key 'nonsense.key'"),
    (["--config", "{pose}", "model.name=unet"], "unknown model 'unet'"),
    (["--config", "{pose}", "objective.name=wgan"], "unknown objective 'wgan'"),
    (["--config", "{pose}", "optim.lr"], "bad override"),
    (["--config", "{pose}", "--resume"], "nothing to resume"),
    (["--config", "{pose}", "--resume", "--overwrite"], "--resume continues .* --overwrite replaces it"),
]


@pytest.mark.parametrize("args,message", CLI_CASES)
def test_cli_prints_one_error_line_and_exits_2(args, message, novelview, tmp_path):
    bad_yaml = write(tmp_path, "data: {batch_size: 3\n")
    paths = {"missing": tmp_path / "missing.yaml", "bad_yaml": bad_yaml, "pose": CONFIGS / "pose_encoder.yaml"}
    args = [a.format(**paths) for a in args]
    code, out, err = novelview("train", *args, "--data", str(tmp_path / "nodata"),
                               "--out", str(tmp_path / "run"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "run").exists()


def test_cli_missing_data_set_is_one_line(novelview, tmp_path):
    code, _, err = novelview("train", "--config", str(CONFIGS / "pose_encoder.yaml"),
                             "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "run"))
    assert code == 2 and err.startswith("error: ") and "not a finished data set" in err
    assert len(err.strip().splitlines()) == 1


# -- data that does not fit the model: one line naming both sides, nothing written --

MISMATCHES = [
    # (config, data fixture, overrides, what the line must say: the model's side ... the data's side)
    ("pose_encoder", "tiny_dataset", ["model.options.image_size=64"],
     r"model.options.image_size is 64 but the data set has 32"),
    ("pose_encoder", "tiny_dataset", ["model.options.num_rotations=72"],
     r"model.options.num_rotations is 72 but the data set has 36"),
    ("flow", "tiny_jittered", ["model.options.pose=onehot", *SMALL_FLOW],
     r"flow with a one-hot pose takes rotations on an azimuth grid, but the data set was rendered with "
     r"--azimuth-jitter"),
    ("pose_encoder", "tiny_jittered", [], r"pose_encoder with a one-hot pose .*--azimuth-jitter"),
    ("autoencoder", "tiny_dataset", ["data.pairs=all"],
     r"the training pairs \(all pairs, .*; 32x32 images, 36 azimuths, elevation 0\) ask for poses the model "
     r"cannot take: autoencoder cannot draw that view: it rotates by 30 degrees only, not by 10"),
    ("autoencoder", "tiny_dataset", ["data.fixed_step=5"], r"fixed pairs.*autoencoder .*30 degrees only, not by 50"),
    ("pose_encoder", "tiny_jittered", ["model.options.pose=continuous", "data.elevations=any",
                                       "model.options.elevation_range=[0, 10]"],
     r"model.options.elevation_range is \[0, 10\] but the data set has \[0.0, 20.0\]"),
    ("pose_encoder", "tiny_dataset", ["objective.name=original_gan"],
     r"the original_gan objective trains a model that holds its discriminator \(pose_gan\), not pose_encoder"),
    ("pose_encoder", "tiny_dataset_64", ["data.batch_size=100"],
     r"offers 70 training pairs \(from_zero pairs.*\), fewer than one loader item \(data.batch_size=100"),
    ("depth_warp", "tiny_no_depth", SMALL_FLOW,
     r"the model needs depth \(depth\), but .* was rendered without depth.npy"),
    ("depth_warp", "tiny_jittered", [*SMALL_FLOW, "model.options.camera_distance=3.0"],
     r"model.options.camera_distance is 3.0 but the data set has 2.6"),
    ("depth_warp", "tiny_jittered", [*SMALL_FLOW, "data.photo_framing=0.5"],
     r"data.photo_framing=0.5 re-frames the source view, but this model lifts the source through the data set's camera"),
    ("pose_encoder", "tiny_dataset_64", ["trainer.steps_per_fetch=10"],
     r"offers 70 training pairs .* x trainer.steps_per_fetch=10\)"),
]


@pytest.mark.parametrize("name,data_fixture,overrides,message", MISMATCHES)
def test_data_that_does_not_fit_the_model_stops_before_anything_is_written(name, data_fixture, overrides, message,
                                                                           request, novelview, tmp_path):
    data_dir = request.getfixturevalue(data_fixture)
    code, out, err = novelview("train", "--config", str(CONFIGS / f"{name}.yaml"),
                               "--data", str(data_dir), "--out", str(tmp_path / "run"), "--threads", "1",
                               "--accelerator", "cpu", "--max-steps", "2", *overrides)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "run").exists(), "nothing may be written before the data is checked"


def test_console_script_exits_2_on_a_bad_config(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*novelview_command(), "train", "--config", str(CONFIGS / "pose_encoder.yaml"),
                           "--data", str(tmp_path), "--out", str(tmp_path / "run"), "optim.lrr=1"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: unknown config key 'optim.lrr': known keys here are betas, decay_rate, decay_steps, grad_clip, lr"
    ]


def test_shipped_configs_load():
    paths = sorted(CONFIGS.glob("**/*.yaml"))
    assert {"flow.yaml", "flow_visibility.yaml", "flow_completion.yaml", "flow_completion_gan.yaml"} <= {
        p.name for p in paths}
    for path in paths:
        config = load_config(path)
        assert config["model"]["name"] in MODELS, path


def test_model_init_starts_from_an_exports_weights(short_run, tiny_dataset_64, tmp_path):
    """Fine-tuning: ``model.init`` copies an export's weights before the first step; another family
    or other options are refused in one line."""
    export = short_run / "export"
    _, module = prepare(config_for("pose_encoder", f"model.init={export}"), tiny_dataset_64)
    trained = load_model(export).state_dict()
    assert all(torch.equal(value, trained[key]) for key, value in module.model.state_dict().items())
    _, fresh = prepare(config_for("pose_encoder"), tiny_dataset_64)
    assert not all(torch.equal(value, trained[key]) for key, value in fresh.model.state_dict().items())
    with pytest.raises(NovelviewError, match="holds a pose_encoder model, but model.name is autoencoder"):
        prepare(config_for("autoencoder", f"model.init={export}"), tiny_dataset_64)
    with pytest.raises(NovelviewError, match="does not fit model.options"):
        prepare(config_for("pose_encoder", f"model.init={export}", "model.options.encoder_channels=[8,8,8,8]",
                           "model.options.decoder_channels=[8,8,8]"), tiny_dataset_64)
