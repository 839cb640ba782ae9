"""An explicit registry of model classes: ``@register("name")``; an unknown name lists the valid ones."""

from __future__ import annotations

from novelview.errors import NovelviewError
from novelview.registries import registrar

MODELS: dict[str, type] = {}


register = registrar(MODELS, "model_name")


def build_model(name: str, **kwargs):
    """Instantiate a registered model; unknown names and options give a NovelviewError."""
    if name not in MODELS:
        raise NovelviewError(f"unknown model {name!r}: choose from {', '.join(sorted(MODELS))}")
    cls = MODELS[name]
    try:
        # A family's declared Options refuse unknown or mistyped keys (a NovelviewError); its
        # constructor refuses values it cannot use together (a ValueError).
        return cls(**kwargs)
    except (TypeError, ValueError, NovelviewError) as exc:
        raise NovelviewError(f"bad options for model {name!r}: {exc}") from None
