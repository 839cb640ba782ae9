"""Training objectives: losses, optimisers and update schedules, one file each with
``@register_objective("name")``, imported here."""

from novelview.objectives.registry import OBJECTIVES, build_objective, register_objective, resolve_options

from novelview.objectives import adversarial, l1, l1_ssim, original_gan  # noqa: E402,F401

__all__ = ["OBJECTIVES", "build_objective", "register_objective", "resolve_options"]
