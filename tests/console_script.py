"""How tests run `novelview` as a command in another process, whatever PATH holds: the console
script installed beside this interpreter, else ``python -m novelview.cli`` (never a bare
"novelview", which a PATH without the environment's bin/ does not find)."""

from __future__ import annotations

import sys
from pathlib import Path


def novelview_command() -> list[str]:
    script = Path(sys.executable).parent / "novelview"
    return [str(script)] if script.exists() else [sys.executable, "-m", "novelview.cli"]
