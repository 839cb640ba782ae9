"""Orientation: signed up/front axes, the per-model file, and the order in which they win."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import trimesh

from novelview.data.sources import ModelRef, list_models, load_model, orient_models
from novelview.data.sources.orientation import AXES, DEFAULT_FRONT
from novelview.errors import NovelviewError

SIGNED = list(AXES)


def _marked_mesh(up: str, front: str) -> trimesh.Trimesh:
    """A unit cube with three small cubes: 2 along ``up``, 3 along ``front`` and 4 along up x front
    (the right-hand side), all in the file's coordinates."""
    up_v, front_v = np.asarray(AXES[up], float), np.asarray(AXES[front], float)
    parts = [trimesh.creation.box(extents=[1, 1, 1])]
    for distance, direction in ((2, up_v), (3, front_v), (4, np.cross(up_v, front_v))):
        transform = trimesh.transformations.translation_matrix(distance * direction)
        parts.append(trimesh.creation.box(extents=[0.2, 0.2, 0.2], transform=transform))
    return trimesh.util.concatenate(parts)


def _assert_upright_and_front_facing(vertices: np.ndarray) -> None:
    """Up marker at +y (2), front marker at +z (3), right marker at +x (4): y up, front +z, no mirror."""
    np.testing.assert_allclose(vertices.max(0), [4.1, 2.1, 3.1], atol=1e-9)
    np.testing.assert_allclose(vertices.min(0), [-0.5, -0.5, -0.5], atol=1e-9)


PAIRS = [(up, front) for up, front in itertools.product(SIGNED, SIGNED) if up[1] != front[1]]


@pytest.mark.parametrize("up, front", PAIRS)
def test_every_signed_up_and_front_turns_the_model_upright_and_front_facing(tmp_path, up, front):
    _marked_mesh(up, front).export(tmp_path / "m.obj")
    (ref,) = orient_models(list_models(f"folder:{tmp_path}"), up_axis=up, front=front)
    _assert_upright_and_front_facing(load_model(ref).surface.vertices)


@pytest.mark.parametrize("up", SIGNED)
def test_up_alone_takes_the_documented_default_front(tmp_path, up):
    _marked_mesh(up, DEFAULT_FRONT[up]).export(tmp_path / "m.obj")
    (ref,) = orient_models(list_models(f"folder:{tmp_path}"), up_axis=up)
    _assert_upright_and_front_facing(load_model(ref).surface.vertices)


def test_short_names_y_and_z_still_work(tmp_path):
    _marked_mesh("+z", "-y").export(tmp_path / "m.obj")
    (ref,) = orient_models(list_models(f"folder:{tmp_path}"), up_axis="z")
    _assert_upright_and_front_facing(load_model(ref).surface.vertices)


def test_shapenet_keeps_its_front_minus_z_unless_told_otherwise(tmp_path):
    folder = tmp_path / "sn" / "02958343" / "car_a" / "models"
    folder.mkdir(parents=True)
    _marked_mesh("+y", "-z").export(folder / "model_normalized.obj")
    (ref,) = orient_models(list_models(f"shapenet:{tmp_path / 'sn'}"))
    _assert_upright_and_front_facing(load_model(ref).surface.vertices)
    (told,) = orient_models(list_models(f"shapenet:{tmp_path / 'sn'}"), front="+z")
    assert load_model(told).surface.vertices[:, 2].min() == pytest.approx(-3.1)  # its front now faces away


def _mixed_folder(root):
    """Three models: a z-up one with front -x, one given by a rotation, one in our own frame."""
    root.mkdir()
    _marked_mesh("+z", "-x").export(root / "a_zup.obj")
    _marked_mesh("-y", "+x").export(root / "b_rotated.obj")
    _marked_mesh("+y", "+z").export(root / "c_plain.obj")
    # rows (up x front, up, front) for up -y, front +x: the turn taking b to our frame
    return [[0, 0, 1], [0, -1, 0], [1, 0, 0]]


def test_the_orientation_file_overrides_the_options_per_model(tmp_path):
    rotation = _mixed_folder(tmp_path / "m")
    spec = tmp_path / "orientation.json"
    spec.write_text(json.dumps({"a_zup": {"up": "+z", "front": "-x"}, "b_rotated": {"rotation": rotation}}))
    refs = orient_models(list_models(f"folder:{tmp_path / 'm'}"), orientation_file=str(spec))
    for ref in refs:
        _assert_upright_and_front_facing(load_model(ref).surface.vertices)
    # the options still decide the models the file does not name
    refs = orient_models(list_models(f"folder:{tmp_path / 'm'}"), up_axis="+x", orientation_file=str(spec))
    assert np.ptp(load_model(refs[2]).surface.vertices, axis=0)[1] == pytest.approx(4.6)  # turned by --up-axis


def test_the_orientation_file_may_be_csv(tmp_path):
    rotation = _mixed_folder(tmp_path / "m")
    spec = tmp_path / "orientation.csv"
    flat = " ".join(str(v) for row in rotation for v in row)
    spec.write_text(f"model_id,up,front,rotation\na_zup,+z,-x,\nb_rotated,,,{flat}\n")
    for ref in orient_models(list_models(f"folder:{tmp_path / 'm'}"), orientation_file=str(spec)):
        _assert_upright_and_front_facing(load_model(ref).surface.vertices)


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"nope": {"up": "+z"}}', "names models not in the source"),
        ('{"a_zup": {"up": "sideways"}}', "unknown up axis"),
        ('{"a_zup": {"up": "+z", "front": "-z"}}', "lies along up"),
        ('{"a_zup": {"rotation": [[1, 0, 0], [0, 1, 0], [0, 0, -1]]}}', "not a rotation"),
        ('{"a_zup": {"rotation": [1, 2]}}', "9 numbers"),
        ('{"a_zup": {"spin": 3}}', "unknown key"),
        ('{"a_zup": {"up": "+z", "rotation": [1, 0, 0, 0, 1, 0, 0, 0, 1]}}', "not both"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_orientation_files_name_the_problem(tmp_path, content, message):
    _mixed_folder(tmp_path / "m")
    spec = tmp_path / "orientation.json"
    spec.write_text(content)
    with pytest.raises(NovelviewError, match=message):
        orient_models(list_models(f"folder:{tmp_path / 'm'}"), orientation_file=str(spec))


def test_bad_axis_options_name_the_choices(tmp_path):
    refs = [ModelRef("x", "test", str(tmp_path / "x.obj"))]
    with pytest.raises(NovelviewError, match=r"unknown --up-axis 'w': use one of \+x -x"):
        orient_models(refs, up_axis="w")
    with pytest.raises(NovelviewError, match="lies along up"):
        orient_models(refs, up_axis="+x", front="-x")
