"""The read side stays light: reading data sets, training and loading a model never import the
render side's ray tracer or mesh library (benchmarks/bench_import.py measures the time)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["novelview.data.pairs", "novelview.training.datamodule", "novelview.models.io"])
def test_the_read_side_imports_neither_trimesh_nor_embreex(module):
    probe = f"import sys, {module}; print('trimesh' in sys.modules, 'embreex' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"], f"importing {module} loaded trimesh/embreex: {out}"
