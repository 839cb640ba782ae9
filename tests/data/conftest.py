"""Fixtures of the data tests."""

from __future__ import annotations

import pytest

from novelview.data.store import render_dataset

from store_helpers import tiny_job


@pytest.fixture(scope="session")
def clean(tmp_path_factory):
    """An uninterrupted, unsharded render to compare with."""
    out = tmp_path_factory.mktemp("clean") / "data"
    render_dataset(tiny_job(out), progress=False)
    return out
