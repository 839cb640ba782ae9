"""The whole Sweet Home 3D library: the application's jar read like a .sh3f (GPL), the ``objects``
selection, a corrupt library beside good ones, and the split shipped for the library."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner

from novelview.cli import cli
from novelview.data.preview import listing
from novelview.data.sources import list_models, load_model, sh3d
from novelview.data.sources.registry import SOURCES
from novelview.data.split import SHIPPED_SPLIT_FOLDER, SPLIT_NAMES, make_split
from novelview.data.store import RenderJob
from novelview.errors import NovelviewError

JAR_CATALOG = "com/eteks/sweethome3d/io/DefaultFurnitureCatalog.properties"


def _box_obj() -> str:
    """A box twice as wide as tall: scaled to a catalogue's 50 x 100 x 50 cm it stands tall."""
    return trimesh.exchange.obj.export_obj(trimesh.creation.box(extents=[2, 1, 1]), include_normals=False)


def _catalogue(pieces: list[tuple[str, str, str, str]], header: str = "") -> str:
    """Catalogue text for pieces (id, category, name and tags, model path), numbered from 1."""
    lines = [header]
    for n, (piece_id, category, words, model) in enumerate(pieces, 1):
        name, _, tags = words.partition("|")
        lines += [f"id#{n}={piece_id}", f"name#{n}={name}", f"tags#{n}={tags}", f"category#{n}={category}",
                  f"model#{n}={model}", f"width#{n}=50", f"height#{n}=100", f"depth#{n}=50", f"creator#{n}=eTeks"]
    return "\n".join(lines) + "\n"


def _write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# pieces of a made-up library: three objects and one of each kind that ``objects`` leaves out
MIXED = [
    ("Lib#lamp", "Lights", "Lamp|Light", "/lib/box.obj"),
    ("Lib#man", "Characters", "Man|People", "/lib/man.obj"),
    ("Lib#door", "Doors and windows", "Front door|", "/lib/door.obj"),
    ("Lib#stairs", "Staircases", "Stairs|", "/lib/stairs.obj"),
    ("Lib#mannequin", "Miscellaneous", "Mannequin|Figure, Human", "/lib/mannequin.obj"),
    ("Lib#garageDoor", "Exterior", "Garage door|", "/lib/garage.obj"),
    ("Lib#curtains", "Miscellaneous", "Curtains|Window", "/lib/curtains.obj"),
    ("Lib#bed", "Bedroom", "Bed|", "/lib/bed.obj"),
]


@pytest.fixture
def jar(tmp_path):
    """A tiny application jar: the default catalogue (with a translation beside it) and two models."""
    catalogue = _catalogue([("eTeks#chair", "Living room", "Chair|Seat", "/com/eteks/sweethome3d/io/resources/chair.obj"),
                            ("eTeks#light", "Lights", "Light source|", "/com/eteks/sweethome3d/io/resources/light.obj"),
                            ("eTeks#light2", "Lights", "Red light source|", "/com/eteks/sweethome3d/io/resources/light.obj")],
                           header="id=SweetHome3D#DefaultModels\nname=Default Models catalog\nlicense=GNU GPL")
    return _write_zip(tmp_path / "app" / "sweethome3d.jar", {
        "META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n",
        JAR_CATALOG: catalogue,
        "com/eteks/sweethome3d/io/DefaultFurnitureCatalog_fr.properties": "name#1=Chaise\n",
        "com/eteks/sweethome3d/io/resources/chair.obj": _box_obj(),
        "com/eteks/sweethome3d/io/resources/light.obj": _box_obj() + "# another model\n",
    })


def test_the_application_jar_is_read_listed_loaded_and_credited_as_gpl(jar):
    refs = list_models(f"sh3d:{jar}")
    assert [r.model_id for r in refs] == ["sweethome3d/chair", "sweethome3d/light", "sweethome3d/light2"]
    assert refs[0].path == "com/eteks/sweethome3d/io/resources/chair.obj"  # catalogue paths start with /
    assert refs[0].info["name"] == "Chair"  # the English catalogue, not the translation
    assert {r.info["licence"] for r in refs} == {"GPL-2.0-or-later"}
    assert "/usr/share/doc/sweethome3d/copyright" in refs[0].info["licence_notice"]
    vertices = load_model(refs[0]).surface.vertices
    extent = np.ptp(vertices, axis=0)
    assert extent[1] == pytest.approx(2 * extent[0])  # scaled to the catalogue: 100 cm tall, 50 wide
    assert any("GPL-2.0-or-later" in line for line in listing(f"sh3d:{jar}"))
    # objects takes the shared light model once
    assert [r.model_id for r in list_models(f"sh3d:{jar}:objects")] == ["sweethome3d/chair", "sweethome3d/light"]


def test_a_jar_without_a_catalogue_is_one_line_naming_it_and_what_is_missing(tmp_path):
    path = _write_zip(tmp_path / "other.jar", {"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n"})
    with pytest.raises(NovelviewError) as caught:
        list_models(f"sh3d:{path}")
    message = str(caught.value)
    assert "\n" not in message and "other.jar" in message and "DefaultFurnitureCatalog.properties" in message
    result = CliRunner().invoke(cli, ["render", "--source", f"sh3d:{path}", "--list"])
    assert isinstance(result.exception, NovelviewError)  # main() prints it as one line, exit 2


def test_objects_leaves_out_people_doors_windows_and_staircases(tmp_path):
    # the garage door (piece 6) is told apart by the catalogue's flag, not by its category
    members = {"PluginFurnitureCatalog.properties": _catalogue(MIXED) + "doorOrWindow#6=true\n",
               "LICENSE.TXT": "CC0 publicdomain/zero"}
    members.update({model.lstrip("/"): _box_obj() + f"# {piece_id}\n" for piece_id, _, _, model in MIXED})
    library = _write_zip(tmp_path / "Lib.sh3f", members)
    refs = list_models(f"sh3d:{library}:objects")
    assert [r.model_id for r in refs] == ["Lib/lamp", "Lib/curtains", "Lib/bed"]
    assert [r.category for r in refs] == ["Lights", "Miscellaneous", "Bedroom"]  # catalogue categories
    assert len(list_models(f"sh3d:{library}")) == len(MIXED)  # without a selection, every piece
    lines = listing(f"sh3d:{library}:objects")
    assert lines[-1] == "3 models in 3 categories: Bedroom 1, Lights 1, Miscellaneous 1"
    assert lines[-2].split() == ["all", "3", "3"]  # the table of categories by licence: all CC0


def test_a_corrupt_library_beside_a_good_one_is_left_out_with_its_reason(tmp_path):
    members = {"PluginFurnitureCatalog.properties": _catalogue(MIXED[:1]), "lib/box.obj": _box_obj()}
    _write_zip(tmp_path / "Good.sh3f", members)
    corrupt = _write_zip(tmp_path / "Bad.sh3f", members)
    data = bytearray(corrupt.read_bytes())
    start = data.index(b"PluginFurnitureCatalog.properties") + len("PluginFurnitureCatalog.properties")
    data[start : start + 40] = bytes(40)  # the compressed catalogue's first bytes: zlib cannot inflate it
    corrupt.write_bytes(bytes(data))
    refs = list_models(f"sh3d:{tmp_path}")
    assert [r.model_id for r in refs] == ["Good/lamp"]
    assert "Bad.sh3f" in next(iter(SOURCES["sh3d"].unreadable))
    lines = listing(f"sh3d:{tmp_path}")
    (left_out,) = [line for line in lines if line.startswith("left out")]
    assert "Bad.sh3f" in left_out and "is not a Sweet Home 3D library" in left_out
    with pytest.raises(NovelviewError, match="Bad.sh3f is not a Sweet Home 3D library"):
        list_models(f"sh3d:{corrupt}")  # given alone, it is an error


def test_objects_with_the_default_location_adds_the_installed_jar(tmp_path, monkeypatch, jar):
    folder = tmp_path / "furniture"
    _write_zip(folder / "Lib.sh3f", {"PluginFurnitureCatalog.properties": _catalogue(MIXED[:1]), "lib/box.obj": "o x\n"})
    monkeypatch.setattr(sh3d, "DEBIAN_FOLDER", str(folder))
    monkeypatch.setattr(sh3d, "DEBIAN_JAR", str(jar))
    assert [r.model_id for r in list_models("sh3d:")] == ["Lib/lamp"]  # a bare sh3d: is the furniture folder
    ids = [r.model_id for r in list_models("sh3d::objects")]
    assert ids == ["Lib/lamp", "sweethome3d/chair", "sweethome3d/light"]


def test_the_shipped_split_is_well_formed_disjoint_and_covers_the_installed_library():
    given = json.loads((SHIPPED_SPLIT_FOLDER / "sh3d_objects.json").read_text())
    assert set(given) == set(SPLIT_NAMES) and all(isinstance(m, str) for ids in given.values() for m in ids)
    every = [m for name in SPLIT_NAMES for m in given[name]]
    assert len(every) == len(set(every))  # disjoint, no model twice
    assert len(given["test"]) >= 0.18 * len(every) and given["val"]
    if not (Path(sh3d.DEBIAN_FOLDER).is_dir() and Path(sh3d.DEBIAN_JAR).is_file()):
        pytest.skip("Debian's sweethome3d-furniture and sweethome3d are not installed: cannot compare with the library")
    assert {r.model_id for r in list_models("sh3d::objects")} == set(every)
    # the furniture set's models keep the part its seeded split gave them (a non-sh3d source name: seeded)
    ids = [r.model_id for r in list_models("sh3d::chair,armchair,sofa,table,mug,cup,bottle,vase,Vehicles")]
    before = make_split(ids, RenderJob("folder:furniture", Path("x"), val_share=0.05, test_share=0.2))
    assert all(set(given[name]) >= {ids[i] for i in before[name]} for name in SPLIT_NAMES)


def test_a_selection_that_matches_nothing_lists_the_categories_there_are(jar):
    with pytest.raises(NovelviewError) as caught:
        list_models(f"sh3d:{jar}:zzzz")
    message = str(caught.value)
    assert "'zzzz'" in message and "Lights, Living room" in message and "\n" not in message
