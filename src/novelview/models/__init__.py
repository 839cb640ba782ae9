"""The networks. Every model answers ``predict(images, azimuth_deg, ...) -> images`` on [-1, 1].

A family is one file with ``@register("name")``, imported here.
"""

from novelview.models.registry import MODELS, build_model, register

# Importing the model files fills the registry.
from novelview.models import autoencoder, pose_encoder, pose_gan  # noqa: E402,F401
from novelview.models import depth_warp, flow, flow_completion, flow_visibility  # noqa: E402,F401

__all__ = ["MODELS", "build_model", "register"]
