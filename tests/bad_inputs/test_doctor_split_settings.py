"""A lost settings.json is rebuilt with the split the set was made with (meta.json keeps it), and for
a set finished before meta.json kept it, doctor says which shares it assumes."""

from __future__ import annotations

import json

from bad_input_helpers import RENDER

from novelview.cli_data import DATA_COMMANDS
from novelview.doctor.data_sets import DEFAULT_SPLIT


def _render_option_default(name: str):
    render = next(c for c in DATA_COMMANDS if c.name == "render")
    return next(p.default for p in render.params if p.name == name)


def test_the_assumed_split_is_the_render_commands_default():
    assert DEFAULT_SPLIT["val_share"] == _render_option_default("val_share")
    assert DEFAULT_SPLIT["test_share"] == _render_option_default("test_share")


def test_a_lost_settings_file_is_rebuilt_with_the_shares_the_set_was_made_with(tmp_path, novelview):
    out = tmp_path / "data"
    code, _, err = novelview("render", *RENDER, "--out", out)  # --val-share 0 --test-share 0.34
    assert code == 0, err
    settings = json.loads((out / "settings.json").read_text())
    assert json.loads((out / "meta.json").read_text())["split_settings"] == settings["split"]
    (out / "settings.json").unlink()
    code, report, err = novelview("doctor", out, "--repair")
    assert code == 0, report + err
    assert json.loads((out / "settings.json").read_text())["split"] == settings["split"]
    assert "assumed" not in report
    # and the same render command is content with the folder: nothing is rendered or re-split again
    split = (out / "split.json").read_bytes()
    code, _, err = novelview("render", *RENDER, "--out", out)
    assert code == 0, err
    assert (out / "split.json").read_bytes() == split


def test_a_set_without_recorded_split_settings_says_what_it_assumes(dataset, novelview):
    meta = json.loads((dataset / "meta.json").read_text())
    meta.pop("split_settings", None)
    (dataset / "meta.json").write_text(json.dumps(meta))
    (dataset / "settings.json").unlink()
    code, report, err = novelview("doctor", dataset, "--repair")
    assert code == 0, report + err
    assert "defaults, val 0.05 and test 0.2, are assumed" in report
    assert json.loads((dataset / "settings.json").read_text())["split"] == DEFAULT_SPLIT
