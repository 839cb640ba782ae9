"""An explicit registry of training objectives, beside the model registry.

An objective owns its losses, its optimisers and its update schedule (for example generator and
discriminator phases), and declares its options once in ``Options``, a dataclass
(``novelview.config.options``). A config names it separately from the model
(``objective: {name: ..., options: {...}}``).
"""

from __future__ import annotations

from novelview.config.options import from_defaults, parse_options, to_dict
from novelview.errors import NovelviewError
from novelview.registries import registrar

OBJECTIVES: dict[str, type] = {}


register_objective = registrar(OBJECTIVES, "objective_name")


def options_class(name: str) -> type:
    """The objective's options dataclass (made from ``OPTIONS`` defaults when it declares none)."""
    if name not in OBJECTIVES:
        raise NovelviewError(f"unknown objective {name!r} (objective.name): choose from {', '.join(sorted(OBJECTIVES))}")
    cls = OBJECTIVES[name]
    if cls.Options is None or ("OPTIONS" in vars(cls) and "Options" not in vars(cls)):
        cls.Options = from_defaults(name, cls.OPTIONS)
    return cls.Options


def resolve_options(name: str, given: dict | None) -> dict:
    """The objective's options as a dict: its defaults updated by ``given``, each key and value
    checked against the declaration (a one-line NovelviewError otherwise)."""
    return to_dict(parse_options(options_class(name), given, "objective.options", f"objective {name!r}"))


def build_objective(name: str, model, options: dict | None, optim: dict):
    """An objective (an nn.Module: it may own networks, such as a discriminator) for ``model``."""
    return OBJECTIVES[name](model, resolve_options(name, options), optim)
