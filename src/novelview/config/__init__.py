"""Run configs: YAML files, by name or path, checked before anything runs.

- ``load.py``: ``load_config`` (defaults, ``--set`` overrides, inheritance);
- ``check.py``: the values' types and ranges;
- ``files.py``: the configs shipped in the package, by name;
- ``options.py``: the typed options every component declares once (a dataclass), and their checks;
- ``options_table.py``: those declarations as ``docs/options.md``.
"""
