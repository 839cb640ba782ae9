"""AC3D files (.ac): nested objects placed by loc and rot, UVs, concave polygons, glass, lines,
damaged files and textures, and a folder of .ac files read like any other mesh folder."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import list_models, load_model
from novelview.data.sources.ac3d import load_ac

VIEW = RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)  # colours as stored
HEADER = 'AC3Db\nMATERIAL "white" rgb 1 1 1  amb 1 1 1  emis 0 0 0  spec 0 0 0  shi 0  trans 0\n'
# a 2x2 square facing +z (counter-clockwise seen from +z), UV (0,0) bottom-left to (1,1) top-right
SQUARE = ('OBJECT poly\nname "square"\n{texture}numvert 4\n-1 -1 0\n1 -1 0\n1 1 0\n-1 1 0\n'
          'numsurf 1\nSURF 0x10\nmat {mat}\nrefs 4\n0 0 0\n1 1 0\n2 1 1\n3 0 1\nkids 0\n')
RZ90 = "rot 0 -1 0  1 0 0  0 0 1"  # a quarter turn about z: x -> y (row-major)
RX90 = "rot 1 0 0  0 0 -1  0 1 0"  # a quarter turn about x: y -> z


def _square_file(path, texture: str | None = "skin.png", mat: int = 0, header: str = HEADER):
    body = SQUARE.format(texture=f'texture "{texture}"\n' if texture else "", mat=mat)
    path.write_text(header + "OBJECT world\nkids 1\n" + body)
    return path


def _two_tone(path, top=(200, 20, 20), bottom=(20, 20, 200)):
    image = Image.new("RGB", (8, 8), bottom)
    image.paste(Image.new("RGB", (8, 4), top), (0, 0))
    image.save(path)


def test_a_nested_child_is_placed_by_every_ancestors_rot_and_loc(tmp_path):
    text = (HEADER + "OBJECT world\nkids 1\n"
            f"OBJECT group\nname \"parent\"\n{RZ90}\nloc 10 0 0\nkids 1\n"
            f"OBJECT poly\nname \"child\"\n{RX90}\nloc 0 5 0\nnumvert 3\n1 0 0\n0 1 0\n0 0 1\n"
            "numsurf 1\nSURF 0x10\nmat 0\nrefs 3\n0 0 0\n1 1 0\n2 0 1\nkids 0\n")
    (tmp_path / "nested.ac").write_text(text)
    vertices = load_ac(tmp_path / "nested.ac").surface.vertices
    # child: Rx90 then +(0,5,0); parent: Rz90 then +(10,0,0)
    np.testing.assert_allclose(vertices, [[5, 1, 0], [5, 0, 1], [6, 0, 0]], atol=1e-9)


def test_uvs_follow_the_refs_and_texrep_texoff(tmp_path):
    _two_tone(tmp_path / "skin.png")
    path = _square_file(tmp_path / "square.ac")
    surface = load_ac(path).surface
    by_corner = {tuple(v): tuple(uv) for face, uvs in zip(surface.faces, surface.corner_uv)
                 for v, uv in zip(surface.vertices[face], uvs)}
    assert by_corner[(1.0, 1.0, 0.0)] == (1.0, 1.0) and by_corner[(-1.0, -1.0, 0.0)] == (0.0, 0.0)
    path.write_text(path.read_text().replace('name "square"\n', 'name "square"\ntexrep 2 3\ntexoff 0.5 0.25\n'))
    surface = load_ac(path).surface
    assert {tuple(uv) for uv in surface.corner_uv.reshape(-1, 2)} == {(0.5, 0.25), (2.5, 0.25), (2.5, 3.25), (0.5, 3.25)}


def test_a_textured_square_faces_the_front_camera_the_right_way_up(tmp_path):
    _two_tone(tmp_path / "skin.png")
    _square_file(tmp_path / "square.ac")
    (ref,) = list_models(f"folder:{tmp_path}")  # folder: takes .ac files like any other mesh
    loaded = load_model(ref)
    assert loaded.texturing == "textured" and loaded.notices == []
    view = Renderer(loaded.surface, VIEW).render_view(0.0)
    assert view[10, 16, 0] > 150 > view[10, 16, 2]  # the image's top half (red) is at the top
    assert view[22, 16, 2] > 150 > view[22, 16, 0]


def test_a_concave_polygon_is_not_filled_across_its_notch(tmp_path):
    outline = [(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)]  # an L: area 7, its hull 12.5
    rows = "".join(f"{x} {y} 0\n" for x, y in outline)
    refs = "".join(f"{i} 0 0\n" for i in (1, 2, 3, 4, 5, 0))  # from (4,0) a fan would cover the notch
    (tmp_path / "l.ac").write_text(HEADER + f"OBJECT world\nkids 1\nOBJECT poly\nnumvert 6\n{rows}numsurf 1\n"
                                   f"SURF 0x10\nmat 0\nrefs 6\n{refs}kids 0\n")
    surface = load_ac(tmp_path / "l.ac").surface
    tri = surface.vertices[surface.faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    assert len(surface.faces) == 4 and area.sum() == pytest.approx(7.0)


def test_line_surfaces_are_dropped_with_a_notice(tmp_path):
    path = _square_file(tmp_path / "lines.ac", texture=None)
    path.write_text(path.read_text().replace("numsurf 1\n", "numsurf 3\nSURF 0x12\nmat 0\nrefs 2\n0 0 0\n2 0 0\n"
                                             "SURF 0x11\nmat 0\nrefs 3\n0 0 0\n1 0 0\n2 0 0\n"))
    loaded = load_ac(path)
    assert len(loaded.surface.faces) == 2
    assert any("2 line surfaces left out" in message for _, message in loaded.notices)


def test_glass_is_light_and_fully_transparent_materials_are_left_out(tmp_path):
    header = HEADER + ('MATERIAL "glass" rgb 0 0 0  amb 0 0 0  emis 0 0 0  spec 0 0 0  shi 0  trans 0.7\n'
                       'MATERIAL "gone" rgb 0 0 0  amb 0 0 0  emis 0 0 0  spec 0 0 0  shi 0  trans 1\n')
    glass = load_ac(_square_file(tmp_path / "glass.ac", texture=None, mat=1, header=header)).surface
    assert glass.corner_colors.min() > 0.5  # black glass reads as pale glass, not a black panel
    with pytest.raises(ValueError, match="empty"):
        load_ac(_square_file(tmp_path / "gone.ac", texture=None, mat=2, header=header))


@pytest.mark.parametrize("damage, reason", [
    (lambda text: text[: text.index("1 1 0\n-1 1 0")], "damaged AC3D file square.ac: vertex list cut short"),
    (lambda text: text.replace("refs 4\n", "refs 4\n0 0 0\n1 1 0\n2 1 1\n9 0 1\n", 1), "vertex that does not exist"),
    (lambda text: text.replace("numvert 4", "numvert four"), "damaged AC3D file square.ac"),
    (lambda text: "OBJ\n" + text, "not an AC3D file"),
])
def test_a_damaged_file_is_a_value_error_with_the_reason(tmp_path, damage, reason):
    path = _square_file(tmp_path / "square.ac")
    path.write_text(damage(path.read_text()))
    with pytest.raises(ValueError, match=reason):
        load_ac(path)


def test_an_unreadable_texture_is_a_notice_and_the_model_still_loads(tmp_path):
    (tmp_path / "skin.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    loaded = load_ac(_square_file(tmp_path / "square.ac"))
    assert loaded.texturing == "fallback" and len(loaded.surface.faces) == 2
    assert [kind for kind, _ in loaded.notices] == ["unreadable texture"]
    missing = load_ac(_square_file(tmp_path / "other.ac", texture="nowhere.png"))
    assert missing.texturing == "fallback" and missing.notices[0][0] == "missing texture"


def test_textures_outside_the_allowed_root_are_not_read(tmp_path):
    (tmp_path / "model").mkdir()
    _two_tone(tmp_path / "secret.png")
    loaded = load_ac(_square_file(tmp_path / "model" / "square.ac", texture="../secret.png"))
    assert loaded.texturing == "fallback"
