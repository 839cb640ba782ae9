"""Sweet Home 3D libraries: a tiny .sh3f made here (a catalogue, a licence, OBJ/MTL/texture, a
modelRotation, a missing and a broken member) read in place, selected, oriented and credited."""

from __future__ import annotations

import importlib.util
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from PIL import Image

from novelview.cli import cli
from novelview.data.attribution import write_attribution
from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import list_models, load_model, sh3d
from novelview.data.sources.sh3d_catalog import parse_properties
from novelview.data.store import RenderJob, render_dataset
from novelview.errors import NovelviewError

from mesh_helpers import square_obj

ORANGE = (230, 120, 20)
CATALOG = """# a comment
id=Test#Library
name=Test library
license=Creative Commons Attribution 3.0 Unported license \\u00a9 Someone

id#1=Test#deckChair
name#1=Deck chair
tags#1=Seat, Outdoor
category#1=Exterior
model#1=/test/deckChair/deckChair.obj
width#1=4.6
height#1=2.6
depth#1=3.6
creator#1=Jane D\\u00f6e
modelRotation#1=1 0 0 0 0 1 0 -1 0

id#2=Test#sign
name#2=Shop sign
tags#2=Decoration
category#2=Living room
model#2=/test/sign/sign.obj
width#2=2
height#2=2
depth#2=0
creator#2=Sam

id#3=Test#coffeeTable
name#3=Coffee \\
  table
tags#3=Table
category#3=Living room
model#3=/test/coffeeTable/coffeeTable.obj
creator#3=Sam

id#4=Test#brokenLamp
name#4=Lamp
tags#4=
category#4=Lights
model#4=/test/lamp/lamp.obj
creator#4=Sam
"""


def _marked_obj() -> str:
    """A z-up, front -y mesh (Blender's habit): a unit cube, a marker 2 up (+z), 3 ahead (-y), 4 right (+x)."""
    parts = [trimesh.creation.box(extents=[1, 1, 1])]
    for offset in ([0, 0, 2], [0, -3, 0], [4, 0, 0]):
        parts.append(trimesh.creation.box(extents=[0.2] * 3, transform=trimesh.transformations.translation_matrix(offset)))
    return trimesh.exchange.obj.export_obj(trimesh.util.concatenate(parts), include_normals=False)


def _png_bytes(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def library(tmp_path):
    path = tmp_path / "libs" / "Test.sh3f"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("PluginFurnitureCatalog.properties", CATALOG.encode("latin-1"))
        archive.writestr("LICENSE.TXT", "Creative Commons Attribution 3.0: http://creativecommons.org/licenses/by/3.0/")
        archive.writestr("test/deckChair/deckChair.obj", _marked_obj())
        archive.writestr("test/sign/sign.obj", square_obj("sign.mtl", "paint"))
        archive.writestr("test/sign/sign.mtl", "newmtl paint\nKd 0.1 0.1 0.1\nmap_Kd C:/work/paint.png\n")
        archive.writestr("test/sign/paint.png", _png_bytes(ORANGE))
        archive.writestr("test/lamp/lamp.obj", b"\x00\xff\x13garbage\n" * 20)
        # coffeeTable.obj is named by the catalogue but missing from the zip
    return path


def test_catalogue_properties_are_read_as_java_does():
    values = parse_properties("a=1\n# c\n! c\nb : two\\\n   words\nc\\=d=x\\u00e9\n")
    assert values == {"a": "1", "b": "twowords", "c=d": "x\u00e9"}


def test_discovery_lists_every_piece_with_its_catalogue_facts(library):
    refs = list_models(f"sh3d:{library}")
    assert [r.model_id for r in refs] == ["Test/deckChair", "Test/sign", "Test/coffeeTable", "Test/brokenLamp"]
    assert [r.category for r in refs] == ["Exterior", "Living room", "Living room", "Lights"]
    info = refs[0].info
    assert info["name"] == "Deck chair" and info["creator"] == "Jane D\u00f6e" and info["catalog_id"] == "Test#deckChair"
    assert info["library"] == "Test library" and info["licence"] == "CC-BY-3.0"
    assert info["licence_url"] == "https://creativecommons.org/licenses/by/3.0/"
    assert refs[2].info["name"] == "Coffee table"  # a continued line
    assert list_models(f"sh3d:{library.parent}") == refs  # a folder of libraries


@pytest.mark.parametrize(
    "selection, ids, categories",
    [
        ("chair", ["deckChair"], ["chair"]),
        ("living room", ["sign", "coffeeTable"], ["Living room", "Living room"]),
        ("coffee table,seat", ["deckChair", "coffeeTable"], ["seat", "coffee table"]),
        ("Table, outdoor", ["deckChair", "coffeeTable"], ["outdoor", "table"]),
    ],
)
def test_selection_by_category_or_words_of_name_and_tags(library, selection, ids, categories):
    refs = list_models(f"sh3d:{library}:{selection}")
    assert [r.model_id.split("/")[1] for r in refs] == ids
    assert [r.category for r in refs] == categories


def test_a_selection_that_takes_nothing_says_how_to_look(library):
    with pytest.raises(NovelviewError, match="--list"):
        list_models(f"sh3d:{library}:spaceship")


def test_model_rotation_makes_the_piece_upright_and_front_facing(library):
    (ref,) = list_models(f"sh3d:{library}:chair")
    vertices = load_model(ref).surface.vertices
    # up marker at +y (2), front marker at +z (3), right marker at +x (4)
    np.testing.assert_allclose(vertices.max(0), [4.1, 2.1, 3.1], atol=1e-6)
    np.testing.assert_allclose(vertices.min(0), [-0.5, -0.5, -0.5], atol=1e-6)


def test_texture_is_read_from_the_zip(library):
    (ref,) = list_models(f"sh3d:{library}:sign")
    loaded = load_model(ref)
    assert loaded.texturing == "textured"
    settings = RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)
    view = Renderer(loaded.surface, settings).render_view(0.0)
    np.testing.assert_allclose(view[14:18, 14:18, :3].reshape(-1, 3).mean(0), ORANGE, atol=1)


def test_render_skips_missing_and_broken_members_with_the_reason_and_records_credits(library, tmp_path):
    job = RenderJob(f"sh3d:{library}", tmp_path / "out", RenderSettings(size=16, azimuths=2, supersample=1),
                    workers=1, test_share=0.0)
    summary = render_dataset(job, progress=False)
    reasons = {item["model_id"]: item["reason"] for item in summary["skipped"]}
    assert "missing mesh file test/coffeeTable/coffeeTable.obj in Test.sh3f" in reasons["Test/coffeeTable"]
    assert reasons["Test/brokenLamp"].startswith("empty mesh")
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["model_ids"] == ["Test/deckChair", "Test/sign"]
    assert [info["creator"] for info in meta["model_info"]] == ["Jane D\u00f6e", "Sam"]
    path, counts = write_attribution(tmp_path / "out")
    text = path.read_text()
    assert counts == {"CC-BY-3.0": 2}
    assert "| Deck chair | Jane D\u00f6e | Test#deckChair | CC-BY-3.0 |" in text
    assert "https://creativecommons.org/licenses/by/3.0/" in text and "Changes:" in text


def test_cli_list_and_attribution(library, tmp_path):
    result = CliRunner().invoke(cli, ["render", "--source", f"sh3d:{library}", "--list"])
    assert result.exit_code == 0, result.output
    assert "Test/sign  [Living room]  Shop sign (Living room, CC-BY-3.0)" in result.output
    assert result.output.strip().splitlines()[-1] == "4 models in 3 categories: Exterior 1, Lights 1, Living room 2"
    result = CliRunner().invoke(cli, ["attribution", "--data", str(tmp_path / "nothing")])
    assert isinstance(result.exception, NovelviewError) and "no meta.json" in str(result.exception)


def test_missing_debian_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(sh3d, "DEBIAN_FOLDER", str(tmp_path / "nowhere"))
    with pytest.raises(NovelviewError, match="apt-get install sweethome3d-furniture"):
        list_models("sh3d:")


def test_a_file_that_is_not_a_library_is_named(tmp_path):
    (tmp_path / "fake.sh3f").write_bytes(b"not a zip")
    with pytest.raises(NovelviewError, match="fake.sh3f is not a Sweet Home 3D library"):
        list_models(f"sh3d:{tmp_path}")


def test_packed_subset_renders_the_kept_models_byte_identical_and_never_the_test_ones(library, tmp_path):
    """benchmarks/sh3d_subset.py packs the training models' files to re-render them elsewhere."""
    spec = importlib.util.spec_from_file_location(
        "sh3d_subset", Path(__file__).resolve().parents[2] / "benchmarks" / "sh3d_subset.py")
    sh3d_subset = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sh3d_subset)
    settings = RenderSettings(size=16, azimuths=2, supersample=1, azimuth_jitter=10.0)
    split_file = tmp_path / "split.json"
    split_file.write_text(json.dumps({"train": ["Test/deckChair"], "test": ["Test/sign"]}))
    render_dataset(RenderJob(f"sh3d:{library}", tmp_path / "full", settings, workers=1, split_file=str(split_file)),
                   progress=False)
    summary = sh3d_subset.pack(tmp_path / "full", tmp_path / "packed", ["train"], library.parent)
    assert summary["models"] == 1
    with zipfile.ZipFile(tmp_path / "packed" / "Test.sh3f") as packed:
        names = set(packed.namelist())
    assert "PluginFurnitureCatalog.properties" in names and "test/deckChair/deckChair.obj" in names
    assert not any(name.startswith("test/sign/") for name in names)  # the test model stays behind
    render_dataset(RenderJob(f"sh3d:{tmp_path / 'packed' / 'Test.sh3f'}", tmp_path / "again", settings, workers=1,
                             split_file=str(tmp_path / "packed" / "split.json")), progress=False)
    meta = json.loads((tmp_path / "again" / "meta.json").read_text())
    assert meta["model_ids"] == ["Test/deckChair"]
    assert "Test/sign" in {item["model_id"] for item in meta["skipped"]}
    views = np.load(tmp_path / "again" / "views.npy")
    expected = dict(line.split("\t") for line in (tmp_path / "packed" / "views.sha1").read_text().splitlines())
    assert sh3d_subset.view_digest(views[0]) == expected["Test/deckChair"]
    assert sh3d_subset.check(tmp_path / "packed", tmp_path / "again")["differ"] == []
    views[0, 0, 0, 8, 8, 0] ^= 1  # one changed value in one view is reported
    np.save(tmp_path / "again" / "views.npy", views)
    assert sh3d_subset.check(tmp_path / "packed", tmp_path / "again")["differ"] == ["Test/deckChair"]


def test_attribution_of_copyleft_models_says_what_is_made_from_them_takes_their_licence():
    from novelview.data.attribution import attribution_markdown

    gpl = {"licence": "GPL-2+", "library": "FlightGear AI aircraft", "name": "A320"}
    cc = {"licence": "CC-BY-3.0", "library": "Test library", "name": "Chair", "creator": "Sam"}
    text = attribution_markdown({"source": "flightgear:", "model_ids": ["a320", "chair"],
                                 "model_info": [gpl, cc]}, "mixed")
    gpl_part, cc_part = text.split("## Test library")[0], text.split("## Test library")[1]
    assert "## FlightGear AI aircraft: GPL-2+" in gpl_part and "same licence" in gpl_part
    assert "same licence" not in cc_part
