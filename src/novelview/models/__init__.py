"""The networks. Every model answers ``predict(source_images, rotation_deg) -> images`` on [-1, 1]."""

from novelview.models.registry import MODELS, build_model, register

# Importing the model files fills the registry.
from novelview.models import autoencoder, pose_encoder, pose_gan  # noqa: E402,F401

__all__ = ["MODELS", "build_model", "register"]
