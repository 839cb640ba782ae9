"""Pose encodings: how a model is told the view to draw, and which views it can draw.

Batches carry poses as geometry (source and target azimuth and elevation in degrees); each model
owns an encoding that turns them into the vector its network reads, and that says which poses
it accepts. A new encoding is a new class here with ``@register_pose``; its options (read from
the model's options by name) are declared once in its ``Options`` dataclass, and what the data
set decides for it in ``geometry_options``.

- ``onehot``: the original's one-hot of the relative azimuth on a grid of ``num_rotations``
  steps; source and target at one elevation, within the elevations the model saw. A model may
  restrict it to some rotations (the autoencoder: +30 degrees only).
- ``continuous``: sin and cos of the relative azimuth, plus the source and target elevations in
  radians; any azimuth, and elevations within the range the model saw.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from novelview.config.options import option
from novelview.errors import NovelviewError
from novelview.registries import registrar

POSE_ENCODINGS: dict[str, type] = {}
TOLERANCE_DEG = 1e-3  # angles are stored rounded to 1e-6; anything closer than this is "on" a value


register_pose = registrar(POSE_ENCODINGS, "name")


def _deg(values, n: int) -> torch.Tensor:
    t = torch.as_tensor(values, dtype=torch.float64).reshape(-1).cpu()
    return t.expand(n) if t.numel() == 1 else t


def as_pose_batch(rotation_deg, source_elevation, target_elevation, n: int):
    """Scalars or (n,) arrays -> three float64 (n,) tensors, the rotation in [0, 360)."""
    return _deg(rotation_deg, n) % 360.0, _deg(source_elevation, n), _deg(target_elevation, n)


class PoseEncoding:
    """Base: ``encode`` (N,) degrees -> (N, size) float; ``accepted`` marks the poses it can take
    and ``refusal`` says why the first other one is refused."""

    name = "base"
    size: int

    @dataclass(frozen=True)
    class Options:
        """The encoding's own options, taken by name from the model's options (none here)."""

    def __init__(self, elevation_range=(0.0, 0.0)):
        self.elevation_range = (float(elevation_range[0]), float(elevation_range[1]))

    @classmethod
    def option_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls.Options)]

    @classmethod
    def geometry_options(cls, model_name: str, geometry, options: dict) -> dict:
        """The model's ``options`` with what the data set decides for this encoding filled in
        (``novelview.models.base.derive_options``); nothing by default."""
        return options

    def encode(self, rotation_deg: torch.Tensor, source_elevation: torch.Tensor,
               target_elevation: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def accepted(self, rotation_deg, source_elevation, target_elevation) -> torch.Tensor:
        """(N,) bool: which poses (degrees, float64 (N,) each) this encoding can take."""
        return self.refusals(rotation_deg, source_elevation, target_elevation)[0]

    def refusals(self, rotation_deg, source_elevation, target_elevation) -> tuple[torch.Tensor, str | None]:
        """(accepted mask, sentence about the first refused pose or None)."""
        return self._elevation_refusals(source_elevation, target_elevation)

    def refusal(self, rotation_deg, source_elevation, target_elevation) -> str | None:
        return self.refusals(rotation_deg, source_elevation, target_elevation)[1]

    def _elevation_refusals(self, source_elevation, target_elevation) -> tuple[torch.Tensor, str | None]:
        lo, hi = self.elevation_range
        ok = torch.ones_like(source_elevation, dtype=torch.bool)
        why = None
        for name, values in (("source", source_elevation), ("target", target_elevation)):
            out = (values < lo - TOLERANCE_DEG) | (values > hi + TOLERANCE_DEG)
            if why is None and bool(out.any()):
                seen = f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}"
                why = (f"it was trained at elevation {seen} degrees only, not at the {name} elevation "
                       f"{float(values[out][0]):g}")
            ok &= ~out
        return ok, why

    def check(self, model_name: str, rotation_deg, source_elevation, target_elevation) -> None:
        """Raise a one-line NovelviewError for the first pose this encoding cannot take."""
        n = max(torch.as_tensor(v).numel() for v in (rotation_deg, source_elevation, target_elevation))
        why = self.refusal(*as_pose_batch(rotation_deg, source_elevation, target_elevation, n))
        if why:
            raise NovelviewError(f"{model_name} cannot draw that view: {why}")


@register_pose("onehot")
class OneHotAzimuth(PoseEncoding):
    """One-hot of the relative azimuth on the grid; an optional subset of ``rotations`` (indices)."""

    @dataclass(frozen=True)
    class Options:
        num_rotations: int = option(36, "azimuth steps in a full turn, for the one-hot pose", from_data=True,
                                    minimum=1)

    @classmethod
    def geometry_options(cls, model_name: str, geometry, options: dict) -> dict:
        from novelview.models.base import derive_options

        if geometry.jittered:
            raise NovelviewError(f"{model_name} with a one-hot pose takes rotations on an azimuth grid, but "
                                 "the data set was rendered with --azimuth-jitter: use pose: continuous")
        return derive_options(model_name, options, num_rotations=geometry.num_azimuths)

    def __init__(self, num_rotations: int = 36, rotations: list[int] | None = None, elevation_range=(0.0, 0.0)):
        super().__init__(elevation_range)
        self.num_rotations, self.size = num_rotations, num_rotations
        self.rotations = sorted(set(rotations)) if rotations is not None else list(range(num_rotations))
        self.step_deg = 360.0 / num_rotations

    def supported_rotations(self) -> list[float]:
        return [k * self.step_deg for k in self.rotations]

    def _index(self, rotation_deg: torch.Tensor) -> torch.Tensor:
        return torch.round(rotation_deg.double() / self.step_deg).long() % self.num_rotations

    def encode(self, rotation_deg, source_elevation, target_elevation) -> torch.Tensor:
        return torch.nn.functional.one_hot(self._index(rotation_deg % 360.0), self.num_rotations).float()

    def refusals(self, rotation_deg, source_elevation, target_elevation) -> tuple[torch.Tensor, str | None]:
        index = self._index(rotation_deg)
        off_grid = (rotation_deg - index * self.step_deg + 180.0) % 360.0 - 180.0
        allowed = torch.zeros(self.num_rotations, dtype=torch.bool)
        allowed[self.rotations] = True
        bad_rotation = (off_grid.abs() > TOLERANCE_DEG) | ~allowed[index.cpu()].to(index.device)
        changed = (source_elevation - target_elevation).abs() > TOLERANCE_DEG
        ok, why = self._elevation_refusals(source_elevation, target_elevation)
        if bool(changed.any()):
            why = (f"its one-hot pose cannot change the elevation (from {float(source_elevation[changed][0]):g} "
                   f"to {float(target_elevation[changed][0]):g} degrees)")
        if bool(bad_rotation.any()):
            choices = ", ".join(f"{r:g}" for r in self.supported_rotations()[:6])
            more = " ..." if len(self.rotations) > 6 else ""
            why = f"it rotates by {choices}{more} degrees only, not by {float(rotation_deg[bad_rotation][0]):g}"
        return ok & ~bad_rotation & ~changed, why


@register_pose("continuous")
class ContinuousPose(PoseEncoding):
    """(sin, cos) of the relative azimuth and both elevations in radians: 4 numbers."""

    size = 4

    def encode(self, rotation_deg, source_elevation, target_elevation) -> torch.Tensor:
        rot = torch.deg2rad(rotation_deg.float())
        scale = math.pi / 180.0
        return torch.stack([rot.sin(), rot.cos(), source_elevation.float() * scale,
                            target_elevation.float() * scale], dim=1)


def pose_names() -> list[str]:
    return sorted(POSE_ENCODINGS)


def pose_class(name: str) -> type:
    if name not in POSE_ENCODINGS:
        raise NovelviewError(f"unknown pose encoding {name!r}: choose from {', '.join(sorted(POSE_ENCODINGS))}")
    return POSE_ENCODINGS[name]


def build_pose(name: str, model_options: dict | None = None, **options) -> PoseEncoding:
    """The encoding ``name``; its declared options are taken from ``model_options`` by name
    (a model's options hold them flat, e.g. ``num_rotations``), then from ``options``."""
    cls = pose_class(name)
    taken = {k: model_options[k] for k in cls.option_names() if k in (model_options or {})}
    return cls(**taken, **options)
