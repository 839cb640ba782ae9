"""Model sources: every way a mesh file can carry colour, and broken files with a reason."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import trimesh
from PIL import Image

from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import ModelRef, load_surface
from novelview.errors import NovelviewError

from mesh_helpers import square_obj

VIEW = RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)  # colours as stored: camera light only

MTL = """newmtl textured
Kd 0.2 0.4 0.6
map_Kd tex.png

newmtl plain
Kd 0.8 0.1 0.1
"""
# quadrants of the texture (top-left, top-right, bottom-left, bottom-right) and where they land
QUADRANTS = [((10, 10), (255, 0, 0)), ((10, 21), (0, 255, 0)), ((21, 10), (0, 0, 255)), ((21, 21), (255, 255, 0))]


def _write_texture(path):
    tex = np.zeros((4, 4, 3), np.uint8)
    tex[:2, :2] = [255, 0, 0]
    tex[:2, 2:] = [0, 255, 0]
    tex[2:, :2] = [0, 0, 255]
    tex[2:, 2:] = [255, 255, 0]
    Image.fromarray(tex).save(path)


def _textured_quad(folder, material="textured"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "quad.obj").write_text(square_obj("quad.mtl", material))
    (folder / "quad.mtl").write_text(MTL)
    _write_texture(folder / "tex.png")
    return ModelRef("quad", "test", str(folder / "quad.obj"))


def _render(ref, **kwargs) -> np.ndarray:
    return Renderer(load_surface(ref, **kwargs), VIEW).render_view(0.0)


def _centre(view):
    return view[15:17, 15:17, :3].reshape(-1, 3).mean(0)


# --- colour ----------------------------------------------------------------------------------


def test_obj_texture_colours_appear(tmp_path, caplog):
    ref = _textured_quad(tmp_path)
    with caplog.at_level(logging.WARNING, logger="novelview"):
        view = _render(ref)
    for (row, col), colour in QUADRANTS:
        np.testing.assert_allclose(view[row, col, :3], colour, atol=3)
    assert not [r for r in caplog.records if "texture" in r.getMessage()]


def test_missing_texture_falls_back_to_kd_with_a_warning(tmp_path, caplog):
    ref = _textured_quad(tmp_path)
    (tmp_path / "tex.png").unlink()
    with caplog.at_level(logging.WARNING, logger="novelview"):
        surface = load_surface(ref)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "texture" in r.getMessage()]
    assert len(warnings) == 1 and "quad.obj" in warnings[0].getMessage()
    assert not surface.textures
    view = Renderer(surface, VIEW).render_view(0.0)
    np.testing.assert_allclose(_centre(view), [51, 102, 153], atol=2)  # Kd 0.2 0.4 0.6


def test_corrupt_texture_falls_back_to_kd_with_a_warning(tmp_path, caplog):
    ref = _textured_quad(tmp_path)
    png = (tmp_path / "tex.png").read_bytes()
    (tmp_path / "tex.png").write_bytes(png[: len(png) - 30])  # valid header, truncated pixels
    with caplog.at_level(logging.WARNING, logger="novelview"):
        view = _render(ref)
    assert any("texture" in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(_centre(view), [51, 102, 153], atol=2)


def test_mtl_diffuse_colour_without_texture(tmp_path, caplog):
    ref = _textured_quad(tmp_path, material="plain")
    with caplog.at_level(logging.WARNING, logger="novelview"):
        view = _render(ref)
    np.testing.assert_allclose(_centre(view), [204, 26, 26], atol=2)  # Kd 0.8 0.1 0.1
    assert not caplog.records


def test_faces_without_uvs_use_the_material_colour(tmp_path, caplog):
    _textured_quad(tmp_path)
    (tmp_path / "nouv.obj").write_text(
        "mtllib quad.mtl\nv -1 -1 0\nv 1 -1 0\nv 1 1 0\nv -1 1 0\nusemtl textured\nf 1 2 3\nf 1 3 4\n"
    )
    with caplog.at_level(logging.WARNING, logger="novelview"):
        view = _render(ModelRef("nouv", "test", str(tmp_path / "nouv.obj")))
    np.testing.assert_allclose(_centre(view), [51, 102, 153], atol=2)
    assert not caplog.records  # the texture itself is fine


def test_multi_material_obj_keeps_each_material(tmp_path):
    _textured_quad(tmp_path)
    # left half textured, a plain red square further back on the right
    (tmp_path / "two.obj").write_text(
        "mtllib quad.mtl\n"
        "v -1 -1 0\nv 0 -1 0\nv 0 1 0\nv -1 1 0\nvt 0 0\nvt 0.5 0\nvt 0.5 1\nvt 0 1\n"
        "usemtl textured\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n"
        "v 0 -1 -0.5\nv 1 -1 -0.5\nv 1 1 -0.5\nv 0 1 -0.5\n"
        "usemtl plain\nf 5 6 7\nf 5 7 8\n"
    )
    surface = load_surface(ModelRef("two", "test", str(tmp_path / "two.obj")))
    assert len(surface.faces) == 4 and len(surface.textures) == 1
    assert sorted(surface.face_texture.tolist()) == [-1, -1, 0, 0]
    view = Renderer(surface, VIEW).render_view(0.0)
    rgb = view[..., :3].astype(int)
    left, right = rgb[8:24, 5:14].reshape(-1, 3), rgb[8:24, 19:27].reshape(-1, 3)
    assert ((left[:, 0] > 200) & (left[:, 1] < 30)).any() and ((left[:, 2] > 200) & (left[:, 0] < 30)).any()
    np.testing.assert_allclose(np.median(right, axis=0), [204, 26, 26], atol=2)


def test_per_vertex_colours_from_ply(tmp_path):
    v = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], float)
    mesh = trimesh.Trimesh(v, [[0, 1, 2], [0, 2, 3]], process=False,
                           vertex_colors=[[255, 0, 0, 255], [0, 0, 255, 255], [0, 0, 255, 255], [255, 0, 0, 255]])
    mesh.export(tmp_path / "vc.ply")
    surface = load_surface(ModelRef("vc", "test", str(tmp_path / "vc.ply")))
    assert not surface.is_flat
    view = Renderer(surface, VIEW).render_view(0.0)
    covered = np.nonzero(view[16, :, 3] == 255)[0]
    left, right = view[16, covered[0] + 1, :3].astype(int), view[16, covered[-1] - 1, :3].astype(int)
    assert left[0] > 200 and left[2] < 100 and right[2] > 200 and right[0] < 100


def test_per_face_colours_from_ply(tmp_path):
    v = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], float)
    mesh = trimesh.Trimesh(v, [[0, 1, 2], [0, 2, 3]], process=False,
                           face_colors=[[255, 0, 0, 255], [0, 0, 255, 255]])
    mesh.export(tmp_path / "fc.ply")
    surface = load_surface(ModelRef("fc", "test", str(tmp_path / "fc.ply")))
    assert surface.is_flat
    view = Renderer(surface, VIEW).render_view(0.0)
    # face 0 is the lower-right triangle, face 1 the upper-left one
    np.testing.assert_allclose(view[22, 22, :3], [255, 0, 0], atol=2)
    np.testing.assert_allclose(view[9, 9, :3], [0, 0, 255], atol=2)


def test_mesh_without_colour_is_grey(tmp_path):
    trimesh.creation.box().export(tmp_path / "box.stl")
    surface = load_surface(ModelRef("box", "test", str(tmp_path / "box.stl")))
    np.testing.assert_allclose(surface.corner_colors, 0.7, atol=1e-6)


def test_gltf_base_colour_factor_is_linear(tmp_path):
    v = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], float)
    material = trimesh.visual.material.PBRMaterial(baseColorFactor=[0.2, 0.2, 0.2, 1.0])
    mesh = trimesh.Trimesh(v, [[0, 1, 2], [0, 2, 3]], process=False,
                           visual=trimesh.visual.TextureVisuals(material=material))
    mesh.export(tmp_path / "pbr.glb")
    view = _render(ModelRef("pbr", "test", str(tmp_path / "pbr.glb")))
    # glTF factors are linear: 0.2 linear is sRGB 0.484 -> 124 (not 51)
    np.testing.assert_allclose(_centre(view), [124, 124, 124], atol=2)


def test_gltf_texture(tmp_path):
    _write_texture(tmp_path / "tex.png")
    v = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], float)
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.open(tmp_path / "tex.png"),
                                                   baseColorFactor=[1.0, 1.0, 1.0, 1.0])
    mesh = trimesh.Trimesh(v, [[0, 1, 2], [0, 2, 3]], process=False,
                           visual=trimesh.visual.TextureVisuals(uv=uv, material=material))
    mesh.export(tmp_path / "tex.glb")
    view = _render(ModelRef("tex", "test", str(tmp_path / "tex.glb")))
    for (row, col), colour in QUADRANTS:
        np.testing.assert_allclose(view[row, col, :3], colour, atol=3)


def test_z_up_meshes_are_turned_y_up(tmp_path):
    # a tall thin box along z: with up_axis="z" it must stand upright (tall along y)
    trimesh.creation.box(extents=[0.2, 0.4, 2.0]).export(tmp_path / "post.obj")
    ref = ModelRef("post", "test", str(tmp_path / "post.obj"))
    extent = np.ptp(load_surface(ref, up_axis="z").vertices, axis=0)
    np.testing.assert_allclose(extent, [0.2, 2.0, 0.4])
    with pytest.raises(NovelviewError):
        load_surface(ref, up_axis="w")


# --- broken files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("garbage.ply", bytes(range(256)) * 4, "unreadable"),
        ("garbage.glb", bytes(range(256)) * 4, "unreadable"),
        ("garbage.obj", b"\x00\xff\x13garbage\n" * 20, "empty"),
        ("empty.obj", b"", "empty"),
        ("empty.off", b"", "unreadable"),
        ("collinear.obj", b"v 0 0 0\nv 1 1 1\nv 2 2 2\nv 3 3 3\nf 1 2 3\nf 2 3 4\n", "degenerate"),
        ("flat.obj", b"v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n", "degenerate"),
        ("point.obj", b"v 1 1 1\nv 1 1 1\nv 1 1 1\nf 1 2 3\n", "degenerate"),
        ("nan.obj", b"v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n", "degenerate"),
        ("badindex.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", "unreadable"),
    ],
)
def test_broken_meshes_raise_value_error_with_a_reason(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=reason):
        load_surface(ModelRef(name, "test", str(tmp_path / name)))
