"""The base class every model family derives from: it gives each model ``predict``, and fills the
options the data set decides (``derive_options``)."""

from __future__ import annotations

import torch
from torch import nn

from novelview.errors import NovelviewError
from novelview.models.poses import PoseEncoding
from novelview.numbers import require_finite


def derive_options(model_name: str, options: dict, **from_data) -> dict:
    """Fill options the data set decides (image size, azimuth grid, elevations); an option set in
    the config to something else is a mismatch, reported with both sides."""
    options = dict(options)
    for key, value in from_data.items():
        given = options.get(key)
        if given is not None and _comparable(given) != _comparable(value):
            raise NovelviewError(f"model.options.{key} is {given!r} but the data set has {value!r}: "
                                 f"remove the option (the data set sets it) or use data made for it")
        options[key] = value
    return options


def _comparable(value):
    return [float(v) for v in value] if isinstance(value, (list, tuple)) else value


class ViewSynthesisModel(nn.Module):
    """Base of every model.

    Training: ``forward(source, pose_code) -> {"image": (N, 3, H, W) in [-1, 1], ...}`` (families
    add named outputs such as ``flow`` or ``visibility``), and ``losses(outputs, batch)`` returns
    the family's own loss terms beyond the image L1 (for example a mask's cross-entropy).
    Users: ``predict(images, azimuth_deg, elevation_deg=None, source_elevation_deg=None)``.

    Subclasses set ``self.config`` (the constructor's keyword arguments, JSON-able) and
    ``self.pose`` (a ``novelview.models.poses`` encoding), and may set ``needs`` (batch extras
    such as ``"depth"``) and override ``geometry_options``.
    """

    model_name = "base"
    config: dict
    pose: PoseEncoding
    needs: frozenset = frozenset()

    @classmethod
    def geometry_options(cls, geometry, options: dict) -> dict:
        """Options derived from the data set's geometry (``novelview.data.store.Geometry``): the
        image size, the elevations seen, and for a one-hot pose (``pose: onehot``) the azimuth grid."""
        options = derive_options(cls.model_name, options, image_size=geometry.image_size,
                                 elevation_range=list(geometry.elevation_range))
        if options.get("pose") == "onehot":
            if geometry.jittered:
                raise NovelviewError(f"{cls.model_name} with a one-hot pose takes rotations on an azimuth grid, but "
                                     "the data set was rendered with --azimuth-jitter: use pose: continuous")
            options = derive_options(cls.model_name, options, num_rotations=geometry.num_azimuths)
        return options

    @property
    def image_size(self) -> int:
        return int(self.config["image_size"])

    def supported_rotations(self) -> list[float] | None:
        """Rotations (degrees) a grid-bound model can produce; None when any rotation is accepted."""
        return self.pose.supported_rotations() if hasattr(self.pose, "supported_rotations") else None

    def encode_pose(self, rotation_deg: torch.Tensor, source_elevation: torch.Tensor,
                    target_elevation: torch.Tensor) -> torch.Tensor:
        return self.pose.encode(rotation_deg, source_elevation, target_elevation)

    def losses(self, outputs: dict, batch: dict) -> dict:
        """The family's own loss terms, {name: scalar tensor} (weights included); none by default."""
        return {}

    def forward(self, source: torch.Tensor, pose_code: torch.Tensor) -> dict:  # pragma: no cover
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, source_images: torch.Tensor, azimuth_deg, elevation_deg=None,
                source_elevation_deg=None) -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] seen at ``source_elevation_deg`` -> the same objects turned by
        ``azimuth_deg`` and seen at ``elevation_deg``: (N, 3, H, W) in [-1, 1].

        Angles are degrees, scalars or (N,). The source elevation defaults to the lowest the model
        was trained at, the target elevation to the source's. A pose the model cannot take raises
        a NovelviewError that says why. Runs in eval mode and restores every submodule's mode.
        """
        if source_images.ndim != 4 or source_images.shape[1] != 3:
            raise NovelviewError(f"expected images of shape (N, 3, H, W), got {tuple(source_images.shape)}")
        n = source_images.shape[0]
        if source_elevation_deg is None:
            source_elevation_deg = self.pose.elevation_range[0]
        if elevation_deg is None:
            elevation_deg = source_elevation_deg
        angles = [_as_batch(v, n) for v in (azimuth_deg, source_elevation_deg, elevation_deg)]
        # A NaN or infinite angle would pass the pose checks (every comparison with NaN is False)
        # and draw a NaN image, or a one-hot of an arbitrary rotation: refuse it by name.
        for name, values, example in (("azimuth_deg", angles[0], "a rotation in degrees, e.g. 30"),
                                      ("source_elevation_deg", angles[1], "degrees, e.g. 0"),
                                      ("elevation_deg", angles[2], "degrees, e.g. 20")):
            require_finite(name, values, example)
        rotation = angles[0] % 360.0
        self.pose.check(self.model_name, rotation, angles[1], angles[2])
        code = self.encode_pose(rotation, angles[1], angles[2]).to(source_images.device, source_images.dtype)
        # Every submodule's own flag, so a caller's partly frozen model (e.g. BN kept in eval) stays so.
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            return self(source_images, code)["image"]
        finally:
            for m, training in modes:
                m.training = training


def _as_batch(values, n: int) -> torch.Tensor:
    t = torch.as_tensor(values, dtype=torch.float64).reshape(-1).cpu()
    if t.numel() == 1:
        return t.expand(n)
    if t.numel() != n:
        raise NovelviewError(f"got {t.numel()} angles for {n} images")
    return t
