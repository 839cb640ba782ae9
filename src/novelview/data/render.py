"""Ray-cast rendering of a Surface from a ring of cameras (embree via embreex; no GL, no display).

Conventions (tested in tests/data/test_render.py):
- y is up; azimuth 0 looks at the object's front (+z side), and increasing azimuth moves the
  camera counter-clockwise seen from above: azimuth 90 looks from +x.
- The object is centred on its bounding-box centre and scaled to a unit bounding sphere, so it
  fills the frame the same way at every azimuth and elevation and is never cut off.
- Shading: ambient + Lambert from a light at the camera and a key light above-left of it (it
  moves with the camera, so a white object reads against white at every azimuth), two-sided,
  computed in linear light and stored as sRGB. Each pixel averages ``supersample``^2 rays;
  alpha is the exact share of rays that hit the object. Output is straight RGBA uint8.
- Depth: per pixel, the mean distance along the rays that hit (in bounding-sphere radii; 0 where
  nothing was hit), float16; ``novelview.data.visibility`` reprojects it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from novelview.data.camera import orbit_camera, pixel_rays
from novelview.data.surface import Surface

# Where the key light stands, in the camera's frame (right, up, towards the camera): above-left.
KEY_LIGHT_DIRECTION = np.array([-0.45, 0.75, 0.5]) / np.linalg.norm([-0.45, 0.75, 0.5])


@dataclass(frozen=True)
class RenderSettings:
    """Everything that decides the pixels; stored in the data set's metadata."""

    size: int = 64
    azimuths: int = 36  # evenly spaced, starting at 0
    elevations: tuple[float, ...] = (0.0,)
    supersample: int = 3
    ambient: float = 0.35
    camera_distance: float = 2.6  # in units of the bounding-sphere radius
    margin: float = 0.96  # the bounding sphere spans this share of the half-frame
    key_light: float = 0.4  # share of the direct light from the key light (0: camera light only)
    azimuth_jitter: float = 0.0  # degrees: each view's azimuth is offset by up to +-jitter/2
    depth: bool = True  # also store per-pixel depth (depth.npy)

    # Data sets written before a setting existed were made as if it had this value.
    LEGACY = {"key_light": 0.0, "azimuth_jitter": 0.0, "depth": False}

    @classmethod
    def from_dict(cls, values: dict) -> "RenderSettings":
        """Settings as stored in a data set's metadata (older sets lack the newer keys)."""
        known = {f.name for f in fields(cls)}
        merged = {**cls.LEGACY, **{k: v for k, v in values.items() if k in known}}
        merged["elevations"] = tuple(merged.get("elevations", (0.0,)))
        return cls(**merged)

    @property
    def azimuth_degrees(self) -> np.ndarray:
        return np.arange(self.azimuths) * (360.0 / self.azimuths)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["elevations"] = list(self.elevations)
        return d

    def number_problem(self) -> str | None:
        """Why these numbers would render nonsense (NaN, infinite, out of range), or None: comparisons
        with NaN are all False, so each check is written to fail on it."""
        if not self.elevations or not all(math.isfinite(e) and -90 <= e <= 90 for e in self.elevations):
            shown = ",".join(f"{e:g}" for e in self.elevations)
            return f"bad --elevations {shown!r}: use finite degrees from -90 to 90, e.g. 0,10,20"
        if not (math.isfinite(self.azimuth_jitter) and 0 <= self.azimuth_jitter < 360):
            return f"--azimuth-jitter must be in [0, 360) degrees, not {self.azimuth_jitter:g}"
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                return f"render setting {f.name} {value:g} is not a finite number: give one, e.g. {f.default:g}"
        return None


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)


def normalise(vertices: np.ndarray) -> np.ndarray:
    """Centre on the bounding-box centre and scale to a unit bounding sphere."""
    centre = (vertices.min(0) + vertices.max(0)) / 2.0
    centred = vertices - centre
    radius = float(np.linalg.norm(centred, axis=1).max())
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError("degenerate mesh: all vertices coincide")
    return centred / radius


def camera_rays(azimuth_deg: float, elevation_deg: float, settings: RenderSettings):
    """Origins and unit directions of all rays of one view: (size*s)^2 rays, row-major from the top."""
    camera = orbit_camera(azimuth_deg, elevation_deg, settings.camera_distance, settings.margin)
    return pixel_rays(camera, settings.size * settings.supersample)


def view_azimuths(settings: RenderSettings, seed: int, model_index: int) -> np.ndarray:
    """(elevations, azimuths) degrees of one model's views: the even grid, each view offset by a
    seeded uniform draw in [-jitter/2, jitter/2] when ``azimuth_jitter`` is set."""
    grid = np.broadcast_to(settings.azimuth_degrees, (len(settings.elevations), settings.azimuths))
    if settings.azimuth_jitter <= 0:
        return grid.copy()
    rng = np.random.default_rng([seed, model_index, 0x7177])
    half = settings.azimuth_jitter / 2.0
    return grid + rng.uniform(-half, half, size=grid.shape)


class Renderer:
    """Renders one Surface from many cameras; the BVH is built once per surface."""

    def __init__(self, surface: Surface, settings: RenderSettings = RenderSettings()):
        self.settings = settings
        self.surface = surface
        vertices = normalise(surface.vertices)
        triangles = vertices[surface.faces]
        normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
        norm = np.linalg.norm(normals, axis=1, keepdims=True)
        self.normals = np.divide(normals, norm, out=np.zeros_like(normals), where=norm > 0)
        self.flat = surface.is_flat
        self.flat_albedo = srgb_to_linear(surface.corner_colors[:, 0].astype(np.float64))
        self.corner_albedo = None if self.flat else srgb_to_linear(surface.corner_colors.astype(np.float64))
        self.textures_linear = [srgb_to_linear(t.astype(np.float64)) for t in surface.textures]
        # A model's own lighting (the varied procedural look) replaces the settings' light.
        light = surface.lighting
        self.ambient = settings.ambient if light is None else light.ambient
        self.key_light = settings.key_light if light is None else light.key_light
        self.key_direction = KEY_LIGHT_DIRECTION if light is None else (
            np.asarray(light.key_direction) / np.linalg.norm(light.key_direction))
        # embree is imported here, not with the module: readers of data sets (training, evaluation)
        # use RenderSettings from this module and should not load a ray tracer.
        from embreex import rtcore_scene
        from embreex.mesh_construction import TriangleMesh

        self.scene = rtcore_scene.EmbreeScene()
        TriangleMesh(self.scene, vertices.astype(np.float32), surface.faces.astype(np.int32))

    def _albedo(self, tri: np.ndarray, bary: np.ndarray) -> np.ndarray:
        """Linear albedo (n, 3) at hits on faces ``tri`` with barycentric weights ``bary`` (n, 3)."""
        if self.flat:
            return self.flat_albedo[tri]
        albedo = np.einsum("nk,nkc->nc", bary, self.corner_albedo[tri])
        surface = self.surface
        if surface.face_texture is not None:
            tex_ids = surface.face_texture[tri]
            for t, image in enumerate(self.textures_linear):
                sel = tex_ids == t
                if sel.any():
                    uv = np.einsum("nk,nkc->nc", bary[sel], surface.corner_uv[tri[sel]])
                    albedo[sel] = sample_bilinear(image, uv)
        return albedo

    def render_view(self, azimuth_deg: float, elevation_deg: float = 0.0) -> np.ndarray:
        """One (size, size, 4) uint8 straight-alpha sRGB view."""
        return self.render_view_and_depth(azimuth_deg, elevation_deg)[0]

    def render_view_and_depth(self, azimuth_deg: float, elevation_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """One view: (size, size, 4) uint8 straight-alpha sRGB, and (size, size) float16 depth."""
        st = self.settings
        s, size = st.supersample, st.size
        camera = orbit_camera(azimuth_deg, elevation_deg, st.camera_distance, st.margin)
        origins, dirs = pixel_rays(camera, size * s)
        hit = self.scene.run(origins.astype(np.float32), dirs.astype(np.float32), output=1)
        ray = np.flatnonzero(hit["primID"] >= 0)
        tri = hit["primID"][ray].astype(np.int64)
        u, v = hit["u"][ray].astype(np.float64), hit["v"][ray].astype(np.float64)
        bary = np.clip(np.stack([1.0 - u - v, u, v], axis=1), 0.0, 1.0)
        facing = np.einsum("nc,nc->n", self.normals[tri], dirs[ray])
        direct = np.abs(facing)  # the camera light, two-sided
        if self.key_light > 0:
            # Turn each normal towards the camera (two-sided), then light it from the key.
            key = self.key_direction @ np.stack([camera.right, camera.up, -camera.forward])
            towards_camera = -np.sign(facing)[:, None] * self.normals[tri]
            key_cos = np.clip(towards_camera @ key, 0.0, None)
            direct = (1.0 - self.key_light) * direct + self.key_light * key_cos
        lit = self._albedo(tri, bary) * (self.ambient + (1.0 - self.ambient) * direct)[:, None]
        n = size * s
        colour_sum = np.zeros((n * n, 3))
        colour_sum[ray] = lit
        hit_mask = np.zeros(n * n)
        hit_mask[ray] = 1.0
        distance = np.zeros(n * n)
        distance[ray] = hit["tfar"][ray]
        # Pool the s x s rays of each pixel.
        colour_sum = colour_sum.reshape(size, s, size, s, 3).sum((1, 3))
        hits = hit_mask.reshape(size, s, size, s).sum((1, 3))
        colour = colour_sum / np.maximum(hits, 1)[..., None]
        depth = distance.reshape(size, s, size, s).sum((1, 3)) / np.maximum(hits, 1)
        rgba = np.empty((size, size, 4), np.uint8)
        rgba[..., :3] = np.rint(linear_to_srgb(colour) * 255)
        rgba[..., 3] = np.rint(hits / (s * s) * 255)
        rgba[..., :3][hits == 0] = 0
        return rgba, depth.astype(np.float16)

    def render_all(self, azimuths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All views and depths: (elevations, azimuths, size, size, 4) uint8 and (E, A, size, size)
        float16. ``azimuths`` (E, A) degrees defaults to the settings' even grid at every elevation."""
        st = self.settings
        if azimuths is None:
            azimuths = np.broadcast_to(st.azimuth_degrees, (len(st.elevations), st.azimuths))
        out = [[self.render_view_and_depth(float(a), float(e)) for a in row]
               for e, row in zip(st.elevations, azimuths)]
        views = np.stack([np.stack([v for v, _ in row]) for row in out])
        depth = np.stack([np.stack([d for _, d in row]) for row in out])
        return views, depth


def sample_bilinear(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear lookup with wrap-around; uv (n, 2) in texture space, v = 0 at the image bottom."""
    h, w = image.shape[:2]
    x = (uv[:, 0] % 1.0) * w - 0.5
    y = (1.0 - uv[:, 1] % 1.0) * h - 0.5
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x0, x1 = x0 % w, (x0 + 1) % w
    y0, y1 = y0 % h, (y0 + 1) % h
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def render_surface(surface: Surface, settings: RenderSettings = RenderSettings()) -> np.ndarray:
    """Render all views of one surface: (elevations, azimuths, size, size, 4) uint8."""
    return Renderer(surface, settings).render_all()[0]
