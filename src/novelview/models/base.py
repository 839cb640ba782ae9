"""The base class every model family derives from: it gives each model ``predict``, reads its
declared ``Options`` (``take_options``), and fills the options the data set decides
(``derive_options``)."""

from __future__ import annotations

import torch
from torch import nn

from novelview.config.options import parse_options, to_dict
from novelview.errors import NovelviewError
from novelview.models.poses import PoseEncoding, pose_class
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

    Subclasses declare ``Options`` (a frozen dataclass of ``novelview.config.options.option``
    fields), take them with ``self.take_options(options, kwargs)`` in the constructor (which sets
    ``self.options``, ``self.config``: what rebuilds the model for inference, JSON-able, and
    ``self.training_config``: the loss weights), set ``self.pose`` (a
    ``novelview.models.poses`` encoding), and may set ``needs`` (batch extras
    such as ``"depth"``), ``visuals`` and override ``geometry_options``.

    ``visuals`` names the outputs of ``forward`` that the training sample grid draws as extra rows
    under source, target and output: a 3-channel output in [-1, 1] as a picture, a 1-channel one
    in [0, 1] (a mix, visibility or coverage) as a grey map (``images.visual_to_uint8``).
    """

    model_name = "base"
    Options = None  # the family's options dataclass
    fixed_pose = "continuous"  # the encoding of a family with no ``pose`` option
    config: dict
    training_config: dict = {}
    pose: PoseEncoding
    needs: frozenset = frozenset()
    visuals: tuple[str, ...] = ()

    @classmethod
    def parse_options(cls, given: dict | None, prefix: str = "model.options"):
        """A config's ``model.options`` -> the family's ``Options``, or one line naming the problem."""
        return parse_options(cls.Options, given, prefix, f"model {cls.model_name!r}")

    def take_options(self, options, given: dict):
        """The constructor's ``Options`` instance, or its keyword arguments (the form config.json
        holds) parsed into one; sets ``options``, ``config`` and ``training_config``."""
        if options is None:
            options = self.parse_options(given)
        elif given:
            raise TypeError("give the options either as an Options instance or as keywords, not both")
        self.options = options
        self.config = to_dict(options, training=False)
        self.training_config = to_dict(options, training=True)
        return options

    @classmethod
    def pose_name(cls, options: dict) -> str:
        """The pose encoding ``options`` choose: the ``pose`` option, or the family's fixed one."""
        fields = getattr(cls.Options, "__dataclass_fields__", {})
        if cls.Options is not None and "pose" not in fields:
            return cls.fixed_pose
        return options.get("pose", fields["pose"].default if "pose" in fields else cls.fixed_pose)

    @classmethod
    def geometry_options(cls, geometry, options: dict) -> dict:
        """Options derived from the data set's geometry (``novelview.data.store.Geometry``): the
        image size, the elevations seen, and what the pose encoding takes from it (the one-hot
        pose: the azimuth grid)."""
        options = derive_options(cls.model_name, options, image_size=geometry.image_size,
                                 elevation_range=list(geometry.elevation_range))
        return pose_class(cls.pose_name(options)).geometry_options(cls.model_name, geometry, options)

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
