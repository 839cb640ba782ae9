"""Components from outside the package: model families, pose encodings, objectives, metrics, batch
extras and sources that register themselves when their module is imported.

A plugin is a module of the user's own, named in one of two ways:
- the entry point group ``novelview.plugins`` of an installed distribution (its pyproject says
  ``[project.entry-points."novelview.plugins"] mine = "my_package.my_family"``);
- ``NOVELVIEW_PLUGINS=module[,module...]``, modules importable from ``PYTHONPATH``.

Both are choices the user makes about their own installed code; nothing a data set, a config or a
model folder says is ever imported. The command line loads plugins before any command, and render
workers load them again when they are spawned rather than forked.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points

from novelview.errors import NovelviewError

ENTRY_POINT_GROUP = "novelview.plugins"
ENVIRONMENT_VARIABLE = "NOVELVIEW_PLUGINS"

_loaded: dict[str, object] = {}


def plugin_names() -> list[tuple[str, str]]:
    """(where it was named, module) for every plugin: entry points first, then the variable."""
    named = [(f"entry point {ep.name!r} of {ep.dist.name if ep.dist else 'an installed package'}", ep.value)
             for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for module in os.environ.get(ENVIRONMENT_VARIABLE, "").split(","):
        if module.strip():
            named.append((ENVIRONMENT_VARIABLE, module.strip()))
    return named


def load_plugins() -> list[str]:
    """Import every plugin once (a second call imports nothing again); the modules' names.

    A plugin that fails to import is one line naming it, where it was named and why, so that a
    typo in the variable or a broken plugin does not end in a traceback of the plugin's code."""
    for where, module in plugin_names():
        if module in _loaded:
            continue
        # An entry point may name "module:attribute"; importing the module is what registers.
        module_name = module.split(":", 1)[0]
        try:
            _loaded[module] = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise NovelviewError(f"plugin {module_name!r} ({where}) cannot be found: {exc}; put its folder on "
                                 f"PYTHONPATH or install it, or remove it from {ENVIRONMENT_VARIABLE}") from None
        except Exception as exc:  # noqa: BLE001  (the plugin's own error, whatever it is, in one line)
            raise NovelviewError(f"plugin {module_name!r} ({where}) failed to load: "
                                 f"{type(exc).__name__}: {exc}") from None
    return list(_loaded)
