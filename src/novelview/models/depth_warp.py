"""``depth_warp``: predict the source's depth, move its pixels with the known camera, repaint the rest.

Appearance flow learns the camera from examples, and only for shapes it saw. Here the camera is
geometry: the data sets are orbits at a recorded distance and field of view, so a source pixel
with a depth has one place in the target view, for any shape.

1. A U-Net (no pose input: depth is a property of the source view alone) predicts the source's
   depth along each pixel's ray, inside the object's unit sphere, and the source's silhouette.
2. ``novelview.models.splat`` lifts the pixels to 3D, turns them to the target camera and splats
   them forward with a soft depth test: the warped view and its coverage.
3. A pose-conditioned completion U-Net sees the warped view, its coverage and the source, and
   predicts the target silhouette, colours for what the source cannot show, and how much of the
   warp to keep (its logit starts at the coverage's, so an untrained network trusts the warp).

Losses beyond the objective's image terms: L1 between predicted and rendered depth on the
source's object pixels (depth is known exactly up to rendering, so no scale-tolerant loss is
needed), the two silhouettes' cross-entropy, and the warp's L1 on the target pixels it covers.
At inference only the image is needed: no depth goes in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from novelview.config.options import option
from novelview.errors import NovelviewError
from novelview.models.base import ViewSynthesisModel, derive_options
from novelview.models.poses import build_pose
from novelview.models.registry import register
from novelview.models.splat import warp_to_target
from novelview.models.unet import PoseUNet


@dataclass(frozen=True)
class DepthWarpOptions:
    width: float = option(2, "channel multiplier of the depth U-Net", minimum=0.0, exclusive=True)
    completion_width: float = option(2, "channel multiplier of the completion U-Net", minimum=0.0, exclusive=True)
    pose: str = option("continuous", "pose encoding (continuous only: it turns by any angle)",
                       choices=lambda: ("continuous",))
    image_size: int = option(64, "image side in pixels, a multiple of 16", from_data=True, minimum=16)
    elevation_range: tuple[float, float] = option((0.0, 0.0), "elevations trained at, degrees", from_data=True)
    num_rotations: int = option(36, "azimuth steps of the data set (unused by the continuous pose)", minimum=1)
    camera_distance: float = option(2.6, "orbit radius in object radii", from_data=True, minimum=1.0,
                                    exclusive=True)
    margin: float = option(0.96, "share of the frame the object's sphere fills", from_data=True,
                           minimum=0.0, exclusive=True)
    sharpness: float = option(10.0, "softness of the splat's depth test, per sphere radius", minimum=0.0,
                              exclusive=True)
    depth_weight: float = option(1.0, "weight of the depth's L1", minimum=0.0, training=True)
    mask_weight: float = option(0.1, "weight of the silhouettes' cross-entropy", minimum=0.0, training=True)
    warp_weight: float = option(1.0, "weight of the warp's L1 where it covers", minimum=0.0, training=True)


@register("depth_warp")
class DepthWarpModel(ViewSynthesisModel):
    """Options: ``width`` (depth U-Net), ``completion_width``, ``camera_distance`` and ``margin``
    (taken from the data set), ``sharpness`` (soft depth test, per sphere radius), loss weights
    ``depth_weight``, ``mask_weight`` and ``warp_weight``."""

    visuals = ("warped", "coverage")  # the sample grid's extra rows

    needs = frozenset({"depth"})

    Options = DepthWarpOptions

    def __init__(self, options: DepthWarpOptions | None = None, **kwargs):
        super().__init__()
        o = self.take_options(options, kwargs)
        width, completion_width, pose, image_size = o.width, o.completion_width, o.pose, o.image_size
        elevation_range, camera_distance, margin, sharpness = o.elevation_range, o.camera_distance, o.margin, o.sharpness
        if image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16, not {image_size}")
        if pose != "continuous":
            raise ValueError("depth_warp turns the camera by any angle: it takes pose 'continuous' only")
        if not camera_distance > 1:
            raise ValueError(f"camera_distance must exceed the object's radius 1, not {camera_distance}")
        self.pose = build_pose(pose, elevation_range=elevation_range)
        self.camera = (float(camera_distance), float(margin))
        self.sharpness = sharpness
        self.weights = {"depth": o.depth_weight, "mask": o.mask_weight, "warp": o.warp_weight}
        self.depth_net = PoseUNet(3, 32, 1, width)
        self.depth_head = nn.Conv2d(self.depth_net.out_features, 2, 3, 1, 1)  # depth, source silhouette
        self.completion = PoseUNet(7, 32, self.pose.size, completion_width)
        self.paint_head = nn.Conv2d(self.completion.out_features, 5, 3, 1, 1)  # pixels, mix, silhouette
        with torch.no_grad():  # start at mid-depth, all foreground, trusting the warp where it lands
            for head in (self.depth_head, self.paint_head):
                head.weight.mul_(0.1)
                head.bias.zero_()
            self.depth_head.bias[1] = 2.0

    @classmethod
    def geometry_options(cls, geometry, options: dict) -> dict:
        options = super().geometry_options(geometry, options)
        camera = getattr(geometry, "camera", None)
        if camera is None:
            return options
        return derive_options(cls.model_name, options, camera_distance=camera[0], margin=camera[1])

    def angles(self, pose_code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The continuous pose code -> rotation, source and target elevation, in degrees."""
        rotation = torch.rad2deg(torch.atan2(pose_code[:, 0], pose_code[:, 1]))
        return rotation, torch.rad2deg(pose_code[:, 2]), torch.rad2deg(pose_code[:, 3])

    def source_geometry(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 3, H, W) -> depth (N, H, W) in [distance - 1, distance + 1] and the silhouette logit."""
        features, _ = self.depth_net(source, source.new_zeros(source.shape[0], 1))
        depth_logit, silhouette_logit = self.depth_head(features).split([1, 1], dim=1)
        return self.camera[0] + torch.tanh(depth_logit[:, 0]), silhouette_logit

    def forward(self, source: torch.Tensor, pose_code: torch.Tensor, source_depth: torch.Tensor | None = None) -> dict:
        """``source_depth`` (N, H, W) replaces the predicted depth (a study of the warp alone)."""
        depth, silhouette_logit = self.source_geometry(source)
        used_depth = depth if source_depth is None else torch.where(source_depth > 0, source_depth, depth)
        rotation, source_elevation, target_elevation = self.angles(pose_code.float())
        warped, coverage = warp_to_target(source, torch.sigmoid(silhouette_logit), used_depth, rotation,
                                          source_elevation, target_elevation, *self.camera, self.sharpness)
        features, _ = self.completion(torch.cat([warped, coverage, source], dim=1), pose_code)
        pixel_logits, mix_fix, mask_logit = self.paint_head(features).split([3, 1, 1], dim=1)
        # Trust the warp as much as it covers the pixel, until the network learns better.
        mix = torch.sigmoid(torch.logit(coverage.clamp(0.02, 0.98)) + mix_fix)
        mask_logit = mask_logit + torch.logit(coverage.clamp(0.02, 0.98))
        content = mix * warped + (1 - mix) * torch.tanh(pixel_logits)
        mask = torch.sigmoid(mask_logit)
        return {"image": mask * content + (1 - mask), "warped": warped, "coverage": coverage, "mix": mix,
                "depth": depth, "source_mask_logit": silhouette_logit, "mask_logit": mask_logit}

    def losses(self, outputs: dict, batch: dict) -> dict:
        if "source_depth" not in batch:
            raise NovelviewError("depth_warp learns from rendered depth, but the batch has none: "
                                 "train it on a data set rendered with depth (the default)")
        true_depth = batch["source_depth"].float()
        on_object = (true_depth > 0).float()
        depth_error = ((outputs["depth"].float() - true_depth).abs() * on_object).sum() / (on_object.sum() + 1)
        source_mask = F.binary_cross_entropy_with_logits(outputs["source_mask_logit"].float(), on_object[:, None])
        target_mask = F.binary_cross_entropy_with_logits(outputs["mask_logit"].float(), batch["target_alpha"])
        where = (outputs["coverage"].detach() > 0.5).float() * (batch["target_alpha"] > 0).float()
        warp_error = ((outputs["warped"].float() - batch["target"]).abs() * where).sum() / (3 * where.sum() + 1)
        w = self.weights
        return {"depth_l1": w["depth"] * depth_error, "mask_bce": w["mask"] * (source_mask + target_mask),
                "warp_l1": w["warp"] * warp_error}

