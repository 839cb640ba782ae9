"""The renderer's promises: framing, exact alpha, the azimuth convention, colours in linear light."""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh

from novelview.data.render import RenderSettings, Renderer, camera_rays, normalise, render_surface, sample_bilinear
from novelview.data.surface import Surface, concatenate, solid


def _srgb_to_linear(c):
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c):
    c = np.clip(np.asarray(c, np.float64), 0, 1)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


def _box(extents, centre, rgb) -> Surface:
    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_translation(centre)
    return solid(mesh.vertices, mesh.faces, rgb)


def _quad(rgb, angle_deg=0.0) -> Surface:
    """A square in the xy plane facing +z (the azimuth-0 camera), turned by ``angle_deg`` about y."""
    v = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float64)
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    return solid(v @ rot.T, [[0, 1, 2], [0, 2, 3]], rgb)


def _sphere() -> Surface:
    mesh = trimesh.creation.icosphere(subdivisions=4)
    return solid(mesh.vertices, mesh.faces, (0.5, 0.5, 0.5))


# --- framing and alpha ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        RenderSettings(size=32, azimuths=2, supersample=2),
        RenderSettings(size=24, azimuths=2, supersample=2, margin=0.6, camera_distance=4.0),
    ],
)
def test_sphere_covers_the_analytic_share_of_the_frame(settings):
    # The unit bounding sphere's perspective silhouette is a disc of radius `margin` (in units of
    # the half-frame), so it covers pi * margin^2 / 4 of the image, at any size and distance.
    views = render_surface(_sphere(), settings)
    expected = math.pi * settings.margin**2 / 4
    for view in views[0]:
        share = view[..., 3].mean() / 255.0
        assert share == pytest.approx(expected, rel=0.02)


def test_object_is_normalised_to_the_same_framing_whatever_its_size_and_position():
    small = _sphere()
    big = Surface(small.vertices * 37.0 + [100.0, -5.0, 3.0], small.faces, small.corner_colors)
    settings = RenderSettings(size=16, azimuths=3, supersample=1)
    np.testing.assert_array_equal(render_surface(small, settings)[..., 3], render_surface(big, settings)[..., 3])
    assert np.linalg.norm(normalise(big.vertices), axis=1).max() == pytest.approx(1.0)


def test_alpha_is_the_exact_share_of_rays_that_hit():
    surface = _sphere()
    lo = Renderer(surface, RenderSettings(size=16, azimuths=1, supersample=2)).render_view(0.0)
    hi = Renderer(surface, RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)).render_view(0.0)
    # (16 px, 2x2 rays) casts exactly the rays of (32 px, 1 ray): alpha must be their hit count.
    hits = (hi[..., 3] > 0).reshape(16, 2, 16, 2).sum((1, 3))
    np.testing.assert_array_equal(lo[..., 3], np.rint(hits / 4 * 255).astype(np.uint8))
    alpha = lo[..., 3]
    assert set(np.unique(alpha).tolist()) <= {0, 64, 128, 191, 255}
    edge = (alpha > 0) & (alpha < 255)
    assert edge.sum() >= 8  # the rim of the disc is partly covered
    assert alpha[8, 8] == 255 and alpha[0, 0] == 0 and alpha[-1, -1] == 0
    # Straight alpha: a partly covered pixel keeps the object's colour, background RGB is 0.
    assert np.abs(lo[edge][:, :3].astype(int) - lo[8, 8, :3].astype(int)).max() <= 60
    assert (lo[alpha == 0][:, :3] == 0).all()


def test_rays_are_unit_length_and_start_at_the_camera():
    settings = RenderSettings(size=8, supersample=2)
    origins, dirs = camera_rays(30.0, 10.0, settings)
    assert origins.shape == dirs.shape == (256, 3)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(origins, axis=1), settings.camera_distance)


# --- conventions ------------------------------------------------------------------------------


def _marked_object() -> Surface:
    """A white cube with a small red box on its +x side and a small blue box on top (+y)."""
    return concatenate([
        _box([1.0, 1.0, 1.0], [0, 0, 0], (1.0, 1.0, 1.0)),
        _box([0.3, 0.3, 0.3], [0.6, 0, 0], (1.0, 0.0, 0.0)),
        _box([0.2, 0.3, 0.2], [0, 0.6, 0], (0.0, 0.0, 1.0)),
    ])


def _centroid(mask: np.ndarray):
    rows, cols = np.nonzero(mask)
    return (rows.mean(), cols.mean()) if len(rows) else None


def test_azimuth_convention_y_up_front_is_plus_z_counter_clockwise():
    size = 32
    settings = RenderSettings(size=size, azimuths=8, supersample=1)
    views = render_surface(_marked_object(), settings)[0]  # azimuths 0, 45, ..., 315
    rgb = views[..., :3].astype(int)
    red = (rgb[..., 0] > rgb[..., 1] + 60) & (views[..., 3] > 0)
    blue = (rgb[..., 2] > rgb[..., 0] + 60) & (views[..., 3] > 0)
    centre = (size - 1) / 2
    by_azimuth = {int(a): _centroid(red[i]) for i, a in enumerate(settings.azimuth_degrees)}
    # azimuth 0 looks at the +z side: +x is to the right; the camera then moves towards +x.
    assert by_azimuth[0][1] > centre + 4
    assert by_azimuth[45][1] > centre + 2
    assert abs(by_azimuth[90][1] - centre) < 1.5  # seen from +x: facing the camera, centred
    assert by_azimuth[135][1] < centre - 2
    assert by_azimuth[180][1] < centre - 4
    assert by_azimuth[270] is None  # behind the cube
    # the red box is facing the camera at 90 degrees: it is biggest there
    assert red[2].sum() > max(red[0].sum(), red[4].sum())
    # y is up: the box on top is in the upper half of every view
    for i in range(settings.azimuths):
        assert _centroid(blue[i])[0] < centre - 4


def test_elevation_looks_down_from_above():
    settings = RenderSettings(size=32, azimuths=1, elevations=(0.0, 60.0), supersample=1)
    views = render_surface(_marked_object(), settings)
    rgb = views[..., :3].astype(int)
    blue = (rgb[..., 2] > rgb[..., 0] + 60) & (views[..., 3] > 0)
    # from above, the box on top moves towards the image centre and shows more of its top
    row_level, row_above = _centroid(blue[0, 0])[0], _centroid(blue[1, 0])[0]
    assert row_above > row_level + 2
    # looking straight down works too (the camera's right axis is then chosen from the azimuth)
    straight = Renderer(_marked_object(), settings).render_view(0.0, 90.0)
    assert straight[..., 3].mean() > 50 and np.isfinite(straight).all()


# --- colours ----------------------------------------------------------------------------------

# The shading formulas below are those of the camera light alone; the key light has its own test.
CAMERA_LIGHT_ONLY = RenderSettings(size=16, azimuths=1, supersample=1, key_light=0.0)


def test_the_key_light_lights_faces_turned_up_more_than_faces_turned_down():
    # Two quads tilted 50 degrees about x, one facing up-front, one facing down-front: the camera
    # light alone shades them equally; the key light (above the camera) brightens the upper one.
    def tilted(up: bool):
        surface = _quad((0.8, 0.8, 0.8))
        a = math.radians(50.0 if up else -50.0)
        rot = np.array([[1, 0, 0], [0, math.cos(a), math.sin(a)], [0, -math.sin(a), math.cos(a)]])
        surface.vertices = surface.vertices @ rot.T
        return surface

    keyed = RenderSettings(size=16, azimuths=1, supersample=1, key_light=0.4)
    up_lit = Renderer(tilted(True), keyed).render_view(0.0)[8, 8, :3].astype(int)
    down_lit = Renderer(tilted(False), keyed).render_view(0.0)[8, 8, :3].astype(int)
    assert (up_lit - down_lit).min() > 20
    plain_up = Renderer(tilted(True), CAMERA_LIGHT_ONLY).render_view(0.0)[8, 8, :3].astype(int)
    plain_down = Renderer(tilted(False), CAMERA_LIGHT_ONLY).render_view(0.0)[8, 8, :3].astype(int)
    assert np.abs(plain_up - plain_down).max() <= 4  # pixel (8, 8) looks a little below the axis


@pytest.mark.parametrize("rgb", [(0.8, 0.3, 0.1), (0.2, 0.6, 0.9), (1.0, 1.0, 1.0)])
def test_face_towards_the_camera_shows_its_own_colour(rgb):
    view = Renderer(_quad(rgb), CAMERA_LIGHT_ONLY).render_view(0.0)
    np.testing.assert_allclose(view[8, 8, :3], np.rint(np.array(rgb) * 255), atol=1)
    assert view[8, 8, 3] == 255


@pytest.mark.parametrize("angle", [45.0, 60.0])
def test_tilted_face_is_shaded_in_linear_light(angle):
    rgb = np.array([0.8, 0.5, 0.2])
    settings = CAMERA_LIGHT_ONLY
    view = Renderer(_quad(tuple(rgb), angle), settings).render_view(0.0)
    a = math.radians(angle)
    ray = camera_rays(0.0, 0.0, settings)[1][8 * 16 + 8]  # the pixel's ray, a little off the axis
    cos = abs(float(np.dot(ray, [math.sin(a), 0.0, math.cos(a)])))
    assert cos == pytest.approx(math.cos(a), abs=0.03)
    shade = settings.ambient + (1 - settings.ambient) * cos
    expected = _linear_to_srgb(_srgb_to_linear(rgb) * shade) * 255
    np.testing.assert_allclose(view[8, 8, :3], expected, atol=1)
    assert np.abs(view[8, 8, :3] - rgb * shade * 255).max() > 10  # not shaded in sRGB
    # two-sided: the back of the face is lit the same way
    back = Renderer(_quad(tuple(rgb), angle), settings).render_view(180.0)
    np.testing.assert_allclose(back[8, 8, :3], expected, atol=1)


def test_ambient_one_gives_flat_colour():
    rgb = (0.3, 0.7, 0.4)
    settings = RenderSettings(size=16, azimuths=1, supersample=1, ambient=1.0, key_light=0.0)
    view = Renderer(_quad(rgb, 70.0), settings).render_view(0.0)
    np.testing.assert_allclose(view[8, 8, :3], np.rint(np.array(rgb) * 255), atol=1)


def test_vertex_colours_are_interpolated():
    v = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float64)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    per_vertex = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1], [1, 0, 0]], np.float32)  # left red, right blue
    surface = Surface(v, faces, per_vertex[faces])
    assert not surface.is_flat
    view = Renderer(surface, RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)).render_view(0.0)
    row = view[16, :, :3].astype(int)
    covered = np.nonzero(view[16, :, 3] == 255)[0]
    left, right = row[covered[0] + 1], row[covered[-1] - 1]
    assert left[0] > 200 and left[2] < 100
    assert right[2] > 200 and right[0] < 100
    # halfway the albedo is half red, half blue in linear light: sRGB 0.735 -> 188 each
    middle = (row[15] + row[16]) / 2
    assert 175 < middle[0] < 200 and 175 < middle[2] < 200 and middle[1] == 0


def test_texture_is_sampled_with_v_up():
    # 4x4 texture, 2x2 texels per quadrant: top-left red, top-right green, bottom-left blue, bottom-right yellow
    tex = np.zeros((4, 4, 3), np.float32)
    tex[:2, :2] = [1, 0, 0]
    tex[:2, 2:] = [0, 1, 0]
    tex[2:, :2] = [0, 0, 1]
    tex[2:, 2:] = [1, 1, 0]
    v = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float64)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    surface = Surface(v, faces, np.full((2, 3, 3), 0.5, np.float32), uv[faces], np.zeros(2, np.int32), [tex])
    assert not surface.is_flat
    view = Renderer(surface, RenderSettings(size=32, azimuths=1, supersample=1, key_light=0.0)).render_view(0.0)
    quarter = [(10, 10, (255, 0, 0)), (10, 21, (0, 255, 0)), (21, 10, (0, 0, 255)), (21, 21, (255, 255, 0))]
    for row, col, colour in quarter:
        np.testing.assert_allclose(view[row, col, :3], colour, atol=3)
    # bilinear lookup, v = 0 at the bottom row of the image
    np.testing.assert_allclose(sample_bilinear(tex, np.array([[0.25, 0.75], [0.75, 0.25]])), [[1, 0, 0], [1, 1, 0]])


def test_views_have_the_documented_shape_and_dtype():
    settings = RenderSettings(size=16, azimuths=4, elevations=(0.0, 20.0), supersample=1)
    views = render_surface(_sphere(), settings)
    assert views.shape == (2, 4, 16, 16, 4) and views.dtype == np.uint8
    np.testing.assert_array_equal(settings.azimuth_degrees, [0, 90, 180, 270])
