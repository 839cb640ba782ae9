"""`novelview average`: the mean of several exports is exact, loads and draws; every refusal is one line."""

from __future__ import annotations

import builtins
import errno
import io
import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from novelview.generate import generate_views
from novelview.models import build_model
from novelview.models.io import load_model, save_model

torch.set_num_threads(1)

# A small pose encoder that keeps its batch norm: an integer counter among the float weights.
OPTIONS = {"encoder_channels": [8, 8, 8, 12], "decoder_channels": [8, 8, 8], "image_size": 32}


def export(folder, seed: int, **options):
    """An export folder of a pose encoder with weights drawn from ``seed`` (BN statistics moved too)."""
    torch.manual_seed(seed)
    model = build_model("pose_encoder", **{**OPTIONS, **options})
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.randn_like(tensor))
            else:
                tensor.fill_(seed)
    save_model(model, folder, {"trained": {"global_step": seed}})
    return folder


def weights(folder) -> dict:
    return load_file(str(folder / "model.safetensors"))


def one_error(code: int, err: str, *words: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_the_mean_of_two_exports_is_the_elementwise_mean_and_draws(tmp_path, novelview):
    a, b = export(tmp_path / "a", 1), export(tmp_path / "b", 2)
    code, out, err = novelview("average", a, b, "--out", tmp_path / "mean")
    assert code == 0, err
    assert "the mean of 2 exports" in out
    wa, wb, mean = weights(a), weights(b), weights(tmp_path / "mean")
    assert mean.keys() == wa.keys()
    floats = [k for k in wa if wa[k].is_floating_point()]
    assert len(floats) > 20
    for name in floats:  # exact: the float32 mean of two float32 values is (a + b) / 2 correctly rounded
        assert mean[name].dtype == torch.float32
        assert torch.equal(mean[name], (wa[name] + wb[name]) / 2), name
    counters = [k for k in wa if not wa[k].is_floating_point()]
    assert counters and all(torch.equal(mean[k], wa[k]) for k in counters)  # the first export's counters
    config = json.loads((tmp_path / "mean" / "config.json").read_text())
    assert config["trained"]["mean_of"] == [str(a), str(b)]
    model = load_model(tmp_path / "mean")
    views = generate_views(model, np.full((32, 32, 3), 200, np.uint8), [90, 180])
    assert views.shape == (2, 32, 32, 3) and views.dtype == np.uint8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "mean"]  # no temporary folder left


def test_exports_may_differ_in_how_they_were_trained(tmp_path, novelview):
    """Loss weights are training-only options: an older export lists them in config.json, a newer
    one in training.json; either way they do not stop the average, and the first's training.json
    goes with the result."""
    made = []
    for name, seed, mask_weight in (("new", 1, 0.1), ("old", 2, 0.5)):
        torch.manual_seed(seed)
        model = build_model("flow_completion", width=0.25, completion_width=0.25, image_size=32)
        made.append(save_model(model, tmp_path / name, {"trained": {"global_step": seed}}))
        (tmp_path / name / "training.json").write_text(json.dumps({"model_options": {"mask_weight": mask_weight}}))
    config = json.loads((tmp_path / "old" / "config.json").read_text())
    config["options"]["mask_weight"] = 0.5  # as exports written before training.json have it
    (tmp_path / "old" / "config.json").write_text(json.dumps(config))
    code, _, err = novelview("average", *made, "--out", tmp_path / "mean")
    assert code == 0, err
    assert (tmp_path / "mean" / "training.json").read_text() == (tmp_path / "new" / "training.json").read_text()
    assert load_model(tmp_path / "mean").model_name == "flow_completion"


def test_a_folder_averaged_with_itself_keeps_its_weights(tmp_path, novelview):
    a = export(tmp_path / "a", 3)
    code, _, err = novelview("average", a, a, a, "--out", tmp_path / "same")
    assert code == 0, err
    wa, same = weights(a), weights(tmp_path / "same")
    assert all(torch.equal(same[k], wa[k]) for k in wa)


def test_a_folder_given_twice_weighs_twice(tmp_path, novelview):
    a, b = export(tmp_path / "a", 1), export(tmp_path / "b", 2)
    code, _, err = novelview("average", a, a, b, "--out", tmp_path / "thirds")
    assert code == 0, err
    wa, wb, thirds = weights(a), weights(b), weights(tmp_path / "thirds")
    name = "encoder.0.0.weight"
    expected = ((2 * wa[name].double() + wb[name].double()) / 3).float()
    assert torch.equal(thirds[name], expected)


def test_overwrite_replaces_an_earlier_export_only(tmp_path, novelview):
    a, b = export(tmp_path / "a", 1), export(tmp_path / "b", 2)
    earlier = export(tmp_path / "earlier", 5)
    code, _, err = novelview("average", a, b, "--out", earlier, "--overwrite")
    assert code == 0, err
    assert torch.equal(weights(earlier)["decoder.0.0.bias"],
                       (weights(a)["decoder.0.0.bias"] + weights(b)["decoder.0.0.bias"]) / 2)
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    code, _, err = novelview("average", a, b, "--out", run, "--overwrite")
    one_error(code, err, "holds more than a model export", "checkpoints")
    assert (run / "checkpoints").is_dir()


def damage(case: str, tmp_path):
    """Two inputs and an --out for one refusal; ``b`` is damaged the way ``case`` says."""
    a, b = export(tmp_path / "a", 1), export(tmp_path / "b", 2)
    state = weights(b)
    if case == "other options":
        b = export(tmp_path / "b2", 2, decoder_channels=[8, 8, 4])
    elif case == "other shape":
        state["encoder.0.0.bias"] = torch.zeros(9)
    elif case == "integers":
        state["encoder.0.0.weight"] = state["encoder.0.0.weight"].to(torch.int32)
    elif case == "nan":
        state["decoder.0.0.weight"][0] = float("nan")
    if case in ("other shape", "integers", "nan"):
        save_file(state, str(b / "model.safetensors"))
    return a, b


@pytest.mark.parametrize("case, words", [
    ("other options", ["differs from", "options.decoder_channels"]),
    ("other shape", ["does not fit its config", "encoder.0.0.bias"]),
    ("integers", ["not floating-point", "encoder.0.0.weight"]),
    ("nan", ["not finite", "decoder.0.0.weight"]),
])
def test_exports_that_cannot_be_averaged_are_one_line(tmp_path, novelview, case, words):
    a, b = damage(case, tmp_path)
    code, _, err = novelview("average", a, b, "--out", tmp_path / "mean")
    one_error(code, err, *words)
    assert not (tmp_path / "mean").exists()


def test_bad_arguments_are_one_line_and_nothing_is_lost(tmp_path, novelview):
    a, b = export(tmp_path / "a", 1), export(tmp_path / "b", 2)
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    one_error(*novelview("average", a, "--out", tmp_path / "m")[::2], "two or more")
    one_error(*novelview("average", a, b, "--out", a, "--overwrite")[::2], "the input", "choose another --out")
    one_error(*novelview("average", a, b, "--out", tmp_path, "--overwrite")[::2], "the input")
    one_error(*novelview("average", a, b, "--out", b)[::2], "the input")
    one_error(*novelview("average", a, tmp_path / "nowhere", "--out", tmp_path / "m")[::2], "no model at")
    one_error(*novelview("average", "default+mirror", a, "--out", tmp_path / "m")[::2], "+mirror")
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    one_error(*novelview("average", a, b, "--out", full)[::2], "already holds notes.txt", "--overwrite")
    one_error(*novelview("average", a, b, "--out", full / "notes.txt")[::2], "is a file")
    assert (full / "notes.txt").read_text() == "mine"
    assert all(p.read_bytes() == data for p, data in before.items())
    assert not (tmp_path / "m").exists()


def test_unreadable_or_damaged_folders_are_one_line(tmp_path, novelview, monkeypatch):
    a, b = export(tmp_path / "a", 1), export(tmp_path / "b", 2)
    (b / "config.json").write_text("{not json")
    one_error(*novelview("average", a, b, "--out", tmp_path / "m")[::2], "config.json", "not valid JSON")
    export(b, 2)
    denied = os.path.abspath(b / "config.json")
    real_open = builtins.open

    def guarded(file, mode="r", *args, **kwargs):  # root reads anything: deny the one file by hand
        if isinstance(file, (str, os.PathLike)) and os.path.abspath(file) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(io, "open", guarded)
    one_error(*novelview("average", a, b, "--out", tmp_path / "m")[::2], "cannot read", "Permission denied")
    assert not (tmp_path / "m").exists()


def test_a_full_disk_leaves_no_half_written_export(tmp_path, novelview, monkeypatch):
    a, b = export(tmp_path / "a", 1), export(tmp_path / "b", 2)
    earlier = export(tmp_path / "earlier", 5)
    kept = weights(earlier)

    def full_disk(model, folder, extra=None):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.safetensors").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "model.safetensors"))

    monkeypatch.setattr("novelview.models.io.write_export_files", full_disk)
    one_error(*novelview("average", a, b, "--out", earlier, "--overwrite")[::2], "the disk is full")
    assert all(torch.equal(weights(earlier)[k], kept[k]) for k in kept)  # the earlier export is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "earlier"]
