"""`novelview combine`: finished data sets joined into one, each model's views and split kept."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from novelview.data.pairs import PairTable
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob, render_dataset
from novelview.data.viewstore import ViewStore


@pytest.fixture(scope="module")
def second_set(tmp_path_factory):
    """Other procedural models (seed 1) at tiny_dataset's settings."""
    out = tmp_path_factory.mktemp("second") / "data"
    job = RenderJob("procedural:all", out, RenderSettings(size=32, supersample=1), models=1, seed=1,
                    workers=1, val_share=0.0, test_share=0.34)
    render_dataset(job, progress=False)
    return out


def test_combined_set_holds_every_model_with_its_split(tiny_dataset, second_set, tmp_path, novelview):
    out = tmp_path / "both"
    code, printed, _ = novelview("combine", tiny_dataset, second_set, "--out", out)
    assert code == 0 and "models" in printed
    first, second, both = ViewStore(tiny_dataset), ViewStore(second_set), ViewStore(out)
    n = len(first.model_ids)
    assert both.model_ids == first.model_ids + second.model_ids
    assert np.array_equal(both.views[:n], first.views) and np.array_equal(both.views[n:], second.views)
    assert np.array_equal(both.depth[n:], second.depth)
    for part in ("train", "val", "test"):  # a test model of either set is a test model of the combination
        assert both.indices(part) == first.indices(part) + [n + i for i in second.indices(part)]
    assert both.categories == first.categories + second.categories
    assert len(PairTable(both, "train")) > len(PairTable(first, "train"))
    code, printed, _ = novelview("doctor", out)
    assert code == 0 and "combined from" in printed and "no problems found" in printed


def test_shared_model_ids_are_prefixed_by_folder(tiny_dataset, tmp_path, novelview):
    copy = tmp_path / "again"
    shutil.copytree(tiny_dataset, copy)
    code, _, _ = novelview("combine", tiny_dataset, copy, "--out", tmp_path / "twice")
    ids = ViewStore(tmp_path / "twice").model_ids
    assert code == 0 and len(set(ids)) == len(ids) and ids[0].startswith(f"{tiny_dataset.name}/")


def test_other_geometry_is_refused_naming_both_sets(tiny_dataset, tiny_dataset_64, tmp_path, novelview):
    code, _, err = novelview("combine", tiny_dataset, tiny_dataset_64, "--out", tmp_path / "mixed")
    assert code == 2 and "different size (32 and 64)" in err and str(tiny_dataset_64) in err
    assert "Traceback" not in err and not (tmp_path / "mixed").exists()


def test_nothing_is_overwritten(tiny_dataset, second_set, tmp_path, novelview):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    code, _, err = novelview("combine", tiny_dataset, second_set, "--out", taken)
    assert code == 2 and "not an empty folder" in err and (taken / "notes.txt").read_text() == "mine"
    before = json.loads((second_set / "meta.json").read_text())
    code, _, err = novelview("combine", tiny_dataset, second_set, "--out", second_set)
    assert code == 2 and "one of the data sets" in err
    assert json.loads((second_set / "meta.json").read_text()) == before
    code, _, err = novelview("combine", tiny_dataset, "--out", tmp_path / "one")
    assert code == 2 and "at least two" in err
    code, _, err = novelview("combine", tiny_dataset, tiny_dataset, "--out", tmp_path / "same")
    assert code == 2 and "at least two different" in err and not (tmp_path / "same").exists()


def test_a_combined_set_is_not_rendered_over(tiny_dataset, second_set, tmp_path, novelview):
    out = tmp_path / "both"
    assert novelview("combine", tiny_dataset, second_set, "--out", out)[0] == 0
    before = (out / "meta.json").read_text()
    code, _, err = novelview("render", "--source", "procedural:all", "--models", "1", "--size", "32",
                             "--supersample", "1", "--workers", "1", "--out", out)
    assert code == 2 and "no settings.json" in err and "--overwrite" in err
    assert (out / "meta.json").read_text() == before


def test_an_object_in_two_sets_must_sit_in_the_same_part(tiny_dataset, tmp_path, novelview):
    other = tmp_path / "resplit"
    shutil.copytree(tiny_dataset, other)
    split = json.loads((other / "split.json").read_text())
    split["train"], split["test"] = split["test"], split["train"]  # its test objects are the other's training ones
    (other / "split.json").write_text(json.dumps(split))
    code, _, err = novelview("combine", tiny_dataset, other, "--out", tmp_path / "leaky")
    assert code == 2 and "model " in err and "give both sets one split" in err
    assert not (tmp_path / "leaky").exists()


def test_generated_models_keep_their_credit_line(tiny_dataset, second_set, tmp_path, novelview):
    out = tmp_path / "both"
    assert novelview("combine", tiny_dataset, second_set, "--out", out)[0] == 0
    assert novelview("attribution", "--data", out)[0] == 0
    text = (out / "ATTRIBUTION.md").read_text()
    assert "models were generated by novelview itself" in text and "without a recorded licence" not in text
