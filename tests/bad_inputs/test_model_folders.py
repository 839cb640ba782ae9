"""Export folders that cannot work (config.json + model.safetensors): refused on load with one line
naming the file and the fix, and reported by `novelview doctor`, which once said "no problems found"
for each of them. Each folder starts as the shipped pose encoder saved again, then is damaged."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from bad_input_helpers import assert_one_error
from PIL import Image
from safetensors.torch import load_file, save_file

import novelview
from novelview.errors import NovelviewError
from novelview.evaluation.evaluate import evaluate
from novelview.models.io import load_model, save_model


@pytest.fixture(scope="session")
def sound_export(tmp_path_factory):
    return save_model(novelview.load_model("pose_encoder"), tmp_path_factory.mktemp("sound") / "export")


@pytest.fixture
def export(sound_export, tmp_path):
    return shutil.copytree(sound_export, tmp_path / "export")


def _weights(folder, change):
    state = load_file(str(folder / "model.safetensors"))
    change(state)
    save_file(state, str(folder / "model.safetensors"))


def _config(folder, change):
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))


def with_nan(folder):
    _weights(folder, lambda s: s["encoder.0.0.weight"].view(-1).__setitem__(7, float("nan")))


def with_inf(folder):
    _weights(folder, lambda s: s["decoder.3.0.bias"].__setitem__(0, float("-inf")))


def with_nan_statistics(folder):  # a batch-norm running variance: a buffer, not a parameter
    _weights(folder, lambda s: s["encoder.0.1.running_var"].fill_(float("nan")))


def with_integers(folder):
    _weights(folder, lambda s: s.__setitem__("decoder.0.0.weight", s["decoder.0.0.weight"].round().to(torch.int32)))


def with_other_shapes(folder):  # a config that does not fit its weights
    _config(folder, lambda c: c["options"].__setitem__("encoder_channels", [16, 48, 64, 92]))


def with_missing_tensors(folder):
    _weights(folder, lambda s: s.pop("decoder.3.0.bias"))


def with_unknown_family(folder):
    _config(folder, lambda c: c.__setitem__("model", "pose_encoder_v9"))


def with_giant_config(folder):  # valid JSON, and ours but for 3 MiB of padding
    _config(folder, lambda c: c.__setitem__("notes", "x" * (3 << 20)))


def with_deeply_nested_config(folder):
    (folder / "config.json").write_text("[" * 200_000 + "]" * 200_000)


DAMAGE = {
    with_nan: ("model.safetensors", r"holds weights that are not finite numbers \(NaN or infinite values in 1 "
                                    r"tensor\(s\), e.g. encoder.0.0.weight"),
    with_inf: ("model.safetensors", r"not finite numbers .*e.g. decoder.3.0.bias"),
    with_nan_statistics: ("model.safetensors", r"not finite numbers .*e.g. encoder.0.1.running_var"),
    with_integers: ("model.safetensors", r"holds I32 \(not floating-point\) values in 1 tensor\(s\) where the model "
                                         r"has floating-point weights, e.g. decoder.0.0.weight"),
    with_other_shapes: ("model.safetensors", r"does not fit its config: 7 tensors have other shapes, e.g. "
                                             r"encoder.0.0.weight is \(32, 3, 3, 3\) in the file but \(16, 3, 3, 3\)"),
    with_missing_tensors: ("model.safetensors", r"does not fit its config \(1 missing, 0 unexpected tensors"),
    with_unknown_family: ("config.json", r"not a novelview model config \(format 'novelview-model-1', model "
                                         r"'pose_encoder_v9'\); known models: autoencoder, "),
    with_giant_config: ("config.json", r"3.0 MiB"),
    with_deeply_nested_config: ("config.json", r"not valid JSON: maximum recursion depth"),
}
NEEDS_A_NEW_EXPORT = {with_nan, with_inf, with_nan_statistics, with_integers, with_other_shapes, with_missing_tensors,
                      with_giant_config}


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_load_model_refuses_a_folder_that_cannot_work(damage, export):
    """Before: NaN and integer weights loaded (the model drew NaN, or cast integers silently), a giant
    config was read whole, a deeply nested one was a RecursionError traceback."""
    damage(export)
    name, message = DAMAGE[damage]
    with pytest.raises(NovelviewError, match=message) as info:
        load_model(export)
    line = str(info.value)
    assert str(export / name) in line and "\n" not in line
    if damage in NEEDS_A_NEW_EXPORT:
        assert f"re-export it from a sound checkpoint (`novelview export --checkpoint RUN/checkpoints/best.ckpt " \
               f"--out {export}`)" in line


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_doctor_reports_a_model_folder_that_cannot_work(damage, export, novelview):
    damage(export)
    name, message = DAMAGE[damage]
    code, out, err = novelview("doctor", export)
    assert_one_error(code, err, r"export: 1 problem\(s\) found, each with its fix above")
    lines = out.splitlines()
    problem = next(i for i, line in enumerate(lines) if line.startswith("  DAMAGED "))
    assert lines[problem].startswith(f"  DAMAGED    {name}: ")
    assert __import__("re").search(message, lines[problem]), lines[problem]
    assert "fix: export the model again from a sound checkpoint (`novelview export --checkpoint" in lines[problem + 1]
    assert "Traceback" not in out + err


def test_doctor_says_a_sound_model_folder_loads(export, novelview):
    code, out, err = novelview("doctor", export)
    assert code == 0, err
    assert "ok         model.safetensors: loads as a pose_encoder model, 0.19 M parameters, all finite" in out


def test_doctor_names_an_export_folder_without_its_weights(export, novelview):
    """Before: 'is not a data set, render or run folder', as if config.json meant nothing."""
    (export / "model.safetensors").unlink()
    code, out, _ = novelview("doctor", export)
    assert code == 2 and out.startswith("export folder ") and "DAMAGED    model.safetensors: missing" in out


def test_doctor_of_a_run_folder_checks_its_export_too(export, tmp_path, novelview):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("model:\n  name: pose_encoder\n")
    torch.save({"state_dict": {"model.weight": torch.ones(3)}}, run / "checkpoints" / "best.ckpt")
    shutil.move(export, run / "export")
    with_nan(run / "export")
    code, out, _ = novelview("doctor", run)
    assert code == 2 and "DAMAGED    export/model.safetensors: holds weights that are not finite numbers" in out
    assert f"fix: export again: `novelview export --checkpoint {run / 'checkpoints' / 'best.ckpt'}" in out


def test_generate_with_nan_weights_is_one_line_and_writes_nothing(export, tmp_path, novelview):
    """Before: exit 0 and an all-NaN (black) picture."""
    with_nan(export)
    Image.fromarray(np.full((64, 64, 3), 200, np.uint8)).save(tmp_path / "photo.png")
    code, _, err = novelview("generate", "--image", tmp_path / "photo.png", "--azimuth", "30", "--model", export,
                             "--keep-background", "--out", tmp_path / "out")
    assert_one_error(code, err, rf"{export}/model.safetensors holds weights that are not finite numbers.*re-export it")
    assert not (tmp_path / "out").exists()


def test_evaluate_refuses_integer_weights(export, dataset, tmp_path):
    with_integers(export)
    with pytest.raises(NovelviewError, match="holds I32 .*re-export it"):
        evaluate(dataset, [str(export)], tmp_path / "eval", progress=False)


def test_damaged_shipped_weights_say_reinstall(tmp_path, monkeypatch):
    from novelview.models import io

    shipped = shutil.copytree(io.SHIPPED, tmp_path / "weights", ignore=shutil.ignore_patterns("default", "generalist", "furniture"))
    monkeypatch.setattr(io, "SHIPPED", shipped)
    with_nan(shipped / "pose_encoder")
    with pytest.raises(NovelviewError, match="reinstall novelview the way it was installed: its shipped weights"):
        load_model("pose_encoder")


def test_doctor_reports_a_diverged_checkpoint_and_moves_it_aside(tmp_path, novelview):
    """Before: 'ok', so `--resume` and `novelview export` went on from NaN weights."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("model:\n  name: pose_encoder\n")
    torch.save({"state_dict": {"model.weight": torch.ones(3)}}, run / "checkpoints" / "best.ckpt")
    torch.save({"state_dict": {"model.weight": torch.tensor([1.0, float("nan")])}}, run / "checkpoints" / "last.ckpt")
    code, out, _ = novelview("doctor", run)
    assert code == 2 and "DAMAGED    checkpoints/last.ckpt: holds weights that are not finite numbers (NaN or " \
                          "infinite values in 1 tensor(s), e.g. model.weight: the run diverged)" in out
    assert "resume or export from best.ckpt if it is sound" in out and "ok         checkpoints/best.ckpt" in out
    code, out, _ = novelview("doctor", run, "--repair")
    assert code == 0 and "REPAIRED   moved last.ckpt aside to last.ckpt.damaged" in out
