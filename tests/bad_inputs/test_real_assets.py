"""Real assets lose nothing silently (hardening finding 9, and the corrupt library of finding 8).

Before: an undecodable or 15000x15000 texture was dropped without a word; a malformed
``modelRotation`` was ignored and a reflecting one mirrored the piece; a piece without
``model#N`` vanished from the list; a zip member inflating to gigabytes was read whole; one
corrupt library was left out of a render without a word. After: each is named with its reason
in the render notes (meta.json) and in the output of ``--list``, ``--check`` or ``render``.
"""

from __future__ import annotations

import copy
import json
import zipfile

import pytest

from novelview.data.sources import assets, list_models, load_model
from novelview.data.sources.assets import TooLarge, read_member

from sh3f_fakes import ASYMMETRIC_OBJ, corrupt_catalogue, library, piece, png_bytes, png_header_claiming, textured_mtl

TINY = ["--size", "16", "--azimuths", "2", "--supersample", "1", "--workers", "1", "--test-share", "0",
        "--val-share", "0"]


def _details(out) -> list[list[str]]:
    return json.loads((out / "meta.json").read_text())["render_notes"]["details"]


@pytest.mark.parametrize("texture, reason", [
    (b"\x89PNG this is not an image" * 4, "cannot be decoded"),
    (png_header_claiming(15000, 15000), "has 225,000,000 pixels, more pixels than Pillow opens safely"),
])
def test_a_texture_pillow_cannot_use_is_a_render_note(novelview, tmp_path, texture, reason):
    lib = library(tmp_path / "Fake.sh3f", [piece(1)], {"square/square.mtl": textured_mtl("t.png"),
                                                      "square/t.png": texture})
    code, out, err = novelview("render", "--source", f"sh3d:{lib}", "--out", tmp_path / "d", *TINY)
    assert code == 0, err
    (detail,) = _details(tmp_path / "d")
    assert detail[:2] == ["Fake/p1", "unreadable texture"]
    assert "Fake.sh3f/square/t.png" in detail[2] and reason in detail[2] and "using the material colour" in detail[2]
    assert "unreadable texture: 1 models (Fake/p1)" in out
    meta = json.loads((tmp_path / "d" / "meta.json").read_text())
    assert meta["render_notes"]["texturing_models"] == {"fallback": ["Fake/p1"]}  # before: "untextured"
    code, out, err = novelview("render", "--source", f"sh3d:{lib}", "--check", "--out", tmp_path / "c.png", *TINY[:6])
    assert code == 0, err
    assert "Fake/p1: texture Fake.sh3f/square/t.png" in out and reason in out


def test_a_sound_texture_is_used_without_notice(tmp_path):
    lib = library(tmp_path / "Fake.sh3f", [piece(1)], {"square/square.mtl": textured_mtl("t.png"),
                                                      "square/t.png": png_bytes()})
    loaded = load_model(list_models(f"sh3d:{lib}")[0])
    assert loaded.texturing == "textured" and loaded.notices == []


@pytest.mark.parametrize("rotation, why", [
    ("1 0 0 0 1 0 0 0 x", "is not 9 numbers"),
    ("1 0 0 0 1", "needs 9 numbers, got 5"),
    ("-1 0 0 0 1 0 0 0 1", "is a reflection (determinant -1)"),
    ("2 0 0 0 1 0 0 0 1", "is not a rotation"),
    ("nan 0 0 0 1 0 0 0 1", "not finite"),
])
def test_a_bad_model_rotation_is_not_applied_and_says_so(novelview, tmp_path, rotation, why):
    lib = library(tmp_path / "Fake.sh3f", [piece(1, model="/l/l.obj", rotation=rotation)], {"l/l.obj": ASYMMETRIC_OBJ})
    (ref,) = list_models(f"sh3d:{lib}")
    vertices = load_model(ref).surface.vertices
    # kept as its file has it (the catalogue's size aside): x from 0 to its largest, never mirrored
    assert vertices[:, 0].min() == pytest.approx(0) and vertices[:, 0].max() > 0
    code, out, err = novelview("render", "--source", f"sh3d:{lib}", "--list")
    assert code == 0, err
    assert "modelRotation not applied: " in out and why in out and "kept unrotated" in out
    code, out, err = novelview("render", "--source", f"sh3d:{lib}", "--out", tmp_path / "d", *TINY)
    assert code == 0, err
    (detail,) = _details(tmp_path / "d")
    assert detail[:2] == ["Fake/p1", "modelRotation not applied"] and why in detail[2]


def test_a_rounded_rotation_of_45_degrees_is_applied(tmp_path):
    c = "0.7071068"
    lib = library(tmp_path / "Fake.sh3f", [piece(1, rotation=f"{c} 0 {c} 0 1 0 -{c} 0 {c}")])
    (ref,) = list_models(f"sh3d:{lib}")
    assert ref.base_rotation is not None and "model_rotation_problem" not in ref.info


def test_a_piece_without_a_model_is_listed_as_left_out(novelview, tmp_path):
    lib = library(tmp_path / "Fake.sh3f", [piece(1), piece(2, name="ghost", model=None)])
    code, out, err = novelview("render", "--source", f"sh3d:{lib}", "--list")
    assert code == 0, err
    assert "left out Fake.sh3f piece #2 (ghost): the catalogue gives it no model#2" in out
    code, out, err = novelview("render", "--source", f"sh3d:{lib}", "--out", tmp_path / "d", *TINY)
    assert code == 0, err
    assert "note: left out Fake.sh3f piece #2 (ghost)" in out
    only_ghost = library(tmp_path / "Ghost.sh3f", [piece(1, name="ghost", model=None)])
    code, out, err = novelview("render", "--source", f"sh3d:{only_ghost}", "--list")
    assert code == 2 and "every piece selected was left out, e.g. Ghost.sh3f piece #1 (ghost)" in err


def test_a_corrupt_library_beside_sound_ones_is_named_by_every_command(novelview, tmp_path):
    folder = tmp_path / "libs"
    library(folder / "Good.sh3f", [piece(1)])
    corrupt_catalogue(library(folder / "Bad.sh3f", [piece(1)] * 3))
    for args in (["--list"], ["--check", "--out", tmp_path / "c.png", *TINY[:6]], ["--out", tmp_path / "d", *TINY]):
        code, out, err = novelview("render", "--source", f"sh3d:{folder}", *args)
        assert code == 0, err
        assert "Traceback" not in err
        assert f"left out {folder / 'Bad.sh3f'}: " in out and "is not a Sweet Home 3D library" in out, args
    assert json.loads((tmp_path / "d" / "meta.json").read_text())["model_ids"] == ["Good/p1"]


def test_archive_members_over_the_limit_are_refused_by_declared_size(novelview, tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "MAX_FILE_BYTES", 4096)
    big_mesh = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n" + "# padding\n" * 1000
    lib = library(tmp_path / "Fake.sh3f", [piece(1), piece(2, model="/big/big.obj")],
                  {"big/big.obj": big_mesh, "square/square.mtl": textured_mtl("t.png"),
                   "square/t.png": png_bytes(64) + b"\x00" * 8000})
    code, out, err = novelview("render", "--source", f"sh3d:{lib}", "--out", tmp_path / "d", *TINY)
    assert code == 0, err
    assert "skipped Fake/p2: Fake.sh3f/big/big.obj inflates to 0 MiB, over the 0 MiB" in out
    (detail,) = _details(tmp_path / "d")  # the oversized texture is left out, the piece kept
    assert detail[:2] == ["Fake/p1", "unreadable texture"] and "Fake.sh3f/square/t.png inflates to" in detail[2]


class _LyingArchive:
    """A zip whose header declares a small member that inflates to more: read_member stops at the limit."""

    def __init__(self, real: zipfile.ZipFile):
        self.real = real

    def getinfo(self, name):
        info = copy.copy(self.real.getinfo(name))  # the header's claim only: open() still inflates it all
        info.file_size = 10
        return info

    def open(self, name):
        return self.real.open(name)


def test_archive_reads_stop_at_the_limit_whatever_the_header_says(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(assets, "READ_CHUNK", 100)
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("small", b"x" * 900)
        archive.writestr("bomb", b"x" * 50_000)
    with zipfile.ZipFile(path) as archive:
        assert read_member(archive, "small", "a.zip") == b"x" * 900
        with pytest.raises(TooLarge, match="a.zip/bomb inflates to"):
            read_member(archive, "bomb", "a.zip")
        real_open = archive.open
        sizes = []

        def counting_open(name):
            stream = real_open(name)
            read = stream.read
            stream.read = lambda n=-1: sizes.append(n) or read(n)
            return stream

        archive.open = counting_open
        with pytest.raises(TooLarge):
            read_member(_LyingArchive(archive), "bomb", "a.zip")
        assert sizes and max(sizes) == 100 and len(sizes) <= 12  # chunked, and stopped near the limit
