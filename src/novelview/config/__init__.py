"""Run configs: YAML files, by name or path, checked before anything runs.

- ``load.py``: ``load_config`` (defaults, ``--set`` overrides, inheritance);
- ``check.py``: the values' types and ranges;
- ``files.py``: the configs shipped in the package, by name.
"""
