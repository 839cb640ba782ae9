"""No dead constants in the package: every module-level UPPER_CASE name is used somewhere in
src/novelview besides its own definition (a second list of baselines beside the one evaluation
uses, say, goes stale without anyone noticing)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "novelview"


def module_constants(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()]
    return names


def test_every_module_constant_is_used_in_the_package():
    sources = {path: path.read_text() for path in sorted(PACKAGE.rglob("*.py"))}
    everything = "\n".join(sources.values())
    unused = [f"{path.relative_to(PACKAGE)}: {name}" for path, source in sources.items()
              for name in module_constants(source) if len(re.findall(rf"\b{name}\b", everything)) < 2]
    assert not unused, f"defined but never used: {unused}"
