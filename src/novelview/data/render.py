"""Ray-cast rendering of a Surface from a ring of cameras (embree via embreex; no GL, no display).

Conventions (tested in tests/data/test_render.py):
- y is up; azimuth 0 looks at the object's front (+z side), and increasing azimuth moves the
  camera counter-clockwise seen from above: azimuth 90 looks from +x.
- The object is centred on its bounding-box centre and scaled to a unit bounding sphere, so it
  fills the frame the same way at every azimuth and elevation and is never cut off.
- Shading: ambient + Lambert from a light at the camera, two-sided, computed in linear light
  and stored as sRGB. Each pixel averages ``supersample``^2 rays; alpha is the exact share of
  rays that hit the object. Output is straight (not premultiplied) RGBA uint8.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh

from novelview.data.surface import Surface


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

    @property
    def azimuth_degrees(self) -> np.ndarray:
        return np.arange(self.azimuths) * (360.0 / self.azimuths)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["elevations"] = list(self.elevations)
        return d


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
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    d = settings.camera_distance
    eye = d * np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])
    forward = -eye / np.linalg.norm(eye)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    if np.linalg.norm(right) < 1e-8:  # looking straight down or up
        right = np.array([math.cos(az), 0.0, -math.sin(az)])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    # The unit sphere's silhouette has half-angle asin(1/d); fit it into `margin` of the half-frame.
    half_extent = math.tan(math.asin(1.0 / d)) / settings.margin
    n = settings.size * settings.supersample
    ticks = ((np.arange(n) + 0.5) / n * 2.0 - 1.0) * half_extent
    xs, ys = np.meshgrid(ticks, -ticks)  # image rows go downwards
    dirs = forward + xs[..., None] * right + ys[..., None] * up
    dirs = dirs.reshape(-1, 3)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return np.broadcast_to(eye, dirs.shape).copy(), dirs


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
        s, size = self.settings.supersample, self.settings.size
        origins, dirs = camera_rays(azimuth_deg, elevation_deg, self.settings)
        hit = self.scene.run(origins.astype(np.float32), dirs.astype(np.float32), output=1)
        ray = np.flatnonzero(hit["primID"] >= 0)
        tri = hit["primID"][ray].astype(np.int64)
        u, v = hit["u"][ray].astype(np.float64), hit["v"][ray].astype(np.float64)
        bary = np.clip(np.stack([1.0 - u - v, u, v], axis=1), 0.0, 1.0)
        cos = np.abs(np.einsum("nc,nc->n", self.normals[tri], dirs[ray]))
        ambient = self.settings.ambient
        lit = self._albedo(tri, bary) * (ambient + (1.0 - ambient) * cos)[:, None]
        n = size * s
        colour_sum = np.zeros((n * n, 3))
        colour_sum[ray] = lit
        hit_mask = np.zeros(n * n)
        hit_mask[ray] = 1.0
        # Pool the s x s rays of each pixel.
        colour_sum = colour_sum.reshape(size, s, size, s, 3).sum((1, 3))
        hits = hit_mask.reshape(size, s, size, s).sum((1, 3))
        colour = colour_sum / np.maximum(hits, 1)[..., None]
        rgba = np.empty((size, size, 4), np.uint8)
        rgba[..., :3] = np.rint(linear_to_srgb(colour) * 255)
        rgba[..., 3] = np.rint(hits / (s * s) * 255)
        rgba[..., :3][hits == 0] = 0
        return rgba

    def render_all(self) -> np.ndarray:
        """All views: (elevations, azimuths, size, size, 4) uint8."""
        st = self.settings
        return np.stack(
            [np.stack([self.render_view(a, e) for a in st.azimuth_degrees]) for e in st.elevations]
        )


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
    return Renderer(surface, settings).render_all()
