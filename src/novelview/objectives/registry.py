"""An explicit registry of training objectives, beside the model registry.

An objective owns its losses, its optimisers and its update schedule (for example generator and
discriminator phases), and declares its typed options with their defaults in ``OPTIONS``. A
config names it separately from the model (``objective: {name: ..., options: {...}}``).
"""

from __future__ import annotations

from novelview.errors import NovelviewError
from novelview.registries import registrar

OBJECTIVES: dict[str, type] = {}


register_objective = registrar(OBJECTIVES, "objective_name")


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} numbers"
    return "null or a number" if value is None else type(value).__name__


def _fits(default, value) -> bool:
    if default is None:
        return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return not isinstance(default, int) or isinstance(value, int) or float(value).is_integer()
    if isinstance(default, (list, tuple)):
        return (isinstance(value, (list, tuple)) and len(value) == len(default)
                and all(_fits(d, v) for d, v in zip(default, value)))
    return isinstance(value, type(default))


def resolve_options(name: str, given: dict | None) -> dict:
    """The objective's options: its defaults updated by ``given``, each checked against its type."""
    if name not in OBJECTIVES:
        raise NovelviewError(f"unknown objective {name!r} (objective.name): choose from {', '.join(sorted(OBJECTIVES))}")
    defaults = OBJECTIVES[name].OPTIONS
    given = given or {}
    if not isinstance(given, dict):
        raise NovelviewError("objective.options must be a mapping of the objective's options")
    for key, value in given.items():
        if key not in defaults:
            raise NovelviewError(f"unknown option {key!r} for objective {name!r}: known are {', '.join(sorted(defaults))}")
        if not _fits(defaults[key], value):
            raise NovelviewError(f"objective.options.{key} must be {_type_name(defaults[key])}, not {value!r}")
    return {**defaults, **given}


def build_objective(name: str, model, options: dict | None, optim: dict):
    """An objective (an nn.Module: it may own networks, such as a discriminator) for ``model``."""
    return OBJECTIVES[name](model, resolve_options(name, options), optim)
