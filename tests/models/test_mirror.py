"""Mirror averaging (``+mirror``): the second guess is the mirrored input turned the other way,
a model that already respects the mirror is left as it is, and the suffix works wherever a
model is named (Python, evaluate, generate)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from novelview.errors import NovelviewError
from novelview.models import build_model
from novelview.models.io import load_model, resolve, save_model
from novelview.models.mirror import MirrorAveraged, split_spec

torch.set_num_threads(1)


class Rolling:
    """A stand-in model: the view at azimuth a is the input rolled a/10 pixels to the right, plus
    ``bias * sign(a)``. With bias 0 it respects the mirror exactly; with bias 1 it does not."""

    model_name, info = "rolling", {"trained": "nowhere"}

    def __init__(self, bias: float = 0.0):
        self.bias, self.calls = bias, []

    def predict(self, source, azimuth_deg, elevation_deg=None, source_elevation_deg=None):
        a = float(torch.as_tensor(azimuth_deg).reshape(-1)[0])
        self.calls.append((source.clone(), a, elevation_deg, source_elevation_deg))
        return source.roll(int(round(a / 10)), dims=-1) + self.bias * float(np.sign(a))


def images(n: int = 2) -> torch.Tensor:
    return torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_the_second_guess_is_the_mirrored_input_turned_the_other_way():
    inner = Rolling()
    source = images()
    MirrorAveraged(inner).predict(source, 30.0, 20.0, 10.0)
    (first, a1, el1, sel1), (second, a2, el2, sel2) = inner.calls
    assert torch.equal(first, source) and a1 == 30.0
    assert torch.equal(second, source.flip(-1)) and a2 == -30.0
    assert (el1, sel1) == (el2, sel2) == (20.0, 10.0)  # a mirror keeps both elevations


def test_a_model_that_respects_the_mirror_is_unchanged_and_one_that_does_not_is_averaged():
    source = images()
    exact = MirrorAveraged(Rolling()).predict(source, 30.0)
    assert torch.allclose(exact, source.roll(3, dims=-1))
    biased = MirrorAveraged(Rolling(bias=1.0)).predict(source, 30.0)
    # Its two guesses carry +1 and -1: the average cancels the part that breaks the mirror.
    assert torch.allclose(biased, source.roll(3, dims=-1), atol=1e-6)


def test_the_wrapper_keeps_the_models_attributes_and_marks_its_info():
    wrapped = MirrorAveraged(Rolling())
    assert wrapped.model_name == "rolling"
    assert wrapped.info == {"trained": "nowhere", "mirror_average": True}


@pytest.mark.parametrize("spec,expected", [("default+mirror", ("default", True)), ("default", ("default", False)),
                                           ("+mirror", ("+mirror", False)), ("a/b+mirror", ("a/b", True))])
def test_split_spec(spec, expected):
    assert split_spec(spec) == expected


@pytest.fixture(scope="module")
def flow_dir(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model("flow", width=0.5)
    with torch.no_grad():
        model.head.weight.normal_(0, 0.05)
    return save_model(model, tmp_path_factory.mktemp("models") / "flow")


def test_load_model_with_the_suffix_averages_the_real_model(flow_dir):
    plain, wrapped = load_model(flow_dir), load_model(f"{flow_dir}+mirror")
    assert isinstance(wrapped, MirrorAveraged) and resolve(f"{flow_dir}+mirror") == flow_dir
    source = images(3).repeat_interleave(4, dim=-1).repeat_interleave(4, dim=-2)  # 64x64
    by_hand = (plain.predict(source, 40.0) + plain.predict(source.flip(-1), -40.0).flip(-1)) / 2
    got = wrapped.predict(source, 40.0)
    assert torch.allclose(got, by_hand, atol=1e-6)
    assert not torch.allclose(got, plain.predict(source, 40.0), atol=1e-3)  # the head is not mirror-exact


def test_an_export_folder_named_with_the_suffix_is_that_folder(flow_dir, tmp_path):
    named = save_model(load_model(flow_dir), tmp_path / "mine+mirror")
    assert split_spec(named) == (named, False)
    assert not isinstance(load_model(named), MirrorAveraged)


def test_an_unknown_model_with_the_suffix_names_the_model(tmp_path):
    with pytest.raises(NovelviewError, match="no model at 'nothing_here'"):
        load_model("nothing_here+mirror")


def test_evaluate_and_generate_take_the_suffix(tiny_dataset_64, flow_dir, tmp_path, novelview):
    code, _, err = novelview("evaluate", "--data", tiny_dataset_64, "--model", flow_dir, "--model",
                             f"{flow_dir}+mirror", "--out", tmp_path / "eval", "--no-accuracy", "--max-pairs", "12")
    assert code == 0, err
    models = json.loads((tmp_path / "eval" / "metrics.json").read_text())["models"]
    plain, mirrored = (models[k] for k in sorted(models))
    assert mirrored["info"]["mirror_average"] and "mirror_average" not in plain["info"]
    assert mirrored["n_pairs"] == plain["n_pairs"] == 12
    assert mirrored["overall"]["l1_full"] != plain["overall"]["l1_full"]
    Image.fromarray(np.full((64, 64, 3), 200, np.uint8)).save(tmp_path / "in.png")
    code, stdout, err = novelview("generate", "--image", tmp_path / "in.png", "--azimuth", "30", "--out",
                                  tmp_path / "gen", "--model", f"{flow_dir}+mirror")
    assert code == 0, err
    assert (tmp_path / "gen" / "in_az30.png").exists()
