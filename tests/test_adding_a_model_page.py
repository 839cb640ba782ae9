"""The toy family of docs/adding-a-model.md works as printed, and copying it clashes with nothing
the package already has: not a file of src/novelview/models/ (the page says to add one there),
not a registered family, not the ``+mirror`` suffix of ``load_model``.

tests/test_docs.py runs only ``bash runnable`` blocks; this page's example is Python, run here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from novelview.models import mirror
from novelview.models.registry import MODELS, build_model

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "adding-a-model.md"
MODELS_DIR = ROOT / "src" / "novelview" / "models"


def section(title: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    return re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE).group(1)


def toy_family() -> tuple[str, str]:
    """(registered name, the Python block) of the page's model family example."""
    code = re.search(r"```python\n(.*?)```", section("A model family"), re.DOTALL).group(1)
    return re.search(r'@register\("([^"]+)"\)', code).group(1), code


@pytest.fixture
def registered_toy():
    name, code = toy_family()
    assert name not in MODELS, f"the page's toy family {name!r} is already a family of the package"
    exec(compile(code, str(PAGE), "exec"), {})  # noqa: S102 (the example printed in this repository's page)
    try:
        yield name
    finally:
        MODELS.pop(name, None)  # the other tests see the package's families only


def test_adding_a_model_toy_name_clashes_with_nothing_in_the_package():
    name, _ = toy_family()
    assert not (MODELS_DIR / f"{name}.py").exists(), f"models/{name}.py exists: copying the toy would replace it"
    assert f"+{name}" != mirror.SUFFIX
    config_and_commands = section("A model family").split("```python", 1)[1]
    assert f"name: {name}\n" in config_and_commands and f"configs/{name}.yaml" in config_and_commands


def test_adding_a_model_toy_family_builds_and_predicts(registered_toy):
    model = build_model(registered_toy, image_size=16)
    images = torch.rand(2, 3, 16, 16) * 2 - 1
    assert model.predict(images, torch.tensor([30.0, 90.0])).shape == (2, 3, 16, 16)
    outputs = model(images, model.pose.encode(torch.tensor([30.0, 90.0]), torch.zeros(2), torch.zeros(2)))
    assert set(model.losses(outputs, {})) == {"tint_l2"}
