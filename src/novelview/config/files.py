"""The configs shipped in the package, by name: ``--config flow_completion`` as well as a path.

The YAML files live in ``novelview/configs/`` (the repository's ``configs/`` links there), so a
pip-installed novelview can train without a checkout. A name is a path inside that folder without
``.yaml`` (``flow_completion``, ``shipped/default``, ``procedural/car/pose_encoder``); a path to an
existing file is taken as it is. Each config's opening comment says what it is for.
"""

from __future__ import annotations

import re
from pathlib import Path

from novelview.errors import NovelviewError

CONFIG_FOLDER = Path(__file__).resolve().parent.parent / "configs"


def config_names() -> list[str]:
    """Every shipped config's name, sorted: top-level ones first, then those in sub-folders."""
    files = sorted(CONFIG_FOLDER.rglob("*.yaml"), key=lambda p: (len(p.relative_to(CONFIG_FOLDER).parts), str(p)))
    return [str(p.relative_to(CONFIG_FOLDER).with_suffix("").as_posix()) for p in files]


def describe(name: str, width: int = 100) -> str:
    """The first sentence of a shipped config's opening comment (what it is for), cut to ``width``."""
    words = []
    for line in (CONFIG_FOLDER / f"{name}.yaml").read_text().splitlines():
        if not line.startswith("#"):
            break
        words.append(line.lstrip("#").strip())
    text = " ".join(words)
    end = re.search(r"\.\s+(?=[A-Z])", text)  # a full stop before a capital ends it ("et al. 2016" does not)
    sentence = text if end is None else text[: end.start() + 1]
    return sentence if len(sentence) <= width else sentence[: width - 3].rsplit(" ", 1)[0] + "..."


def resolve_config(spec: str | Path) -> Path:
    """A path to an existing file, or the shipped config of that name; one line when neither."""
    path = Path(spec)
    if path.is_file():
        return path
    name = str(spec).removesuffix(".yaml").removeprefix("configs/")
    shipped = CONFIG_FOLDER / f"{name}.yaml"
    if name and ".." not in Path(name).parts and shipped.is_file():
        return shipped
    top = [n for n in config_names() if "/" not in n]
    what = "config file" if path.suffix in (".yaml", ".yml") or len(path.parts) > 1 else "config"
    raise NovelviewError(f"{what} {spec} not found: give a YAML file or a shipped name ({', '.join(top)}, ...); "
                         "`novelview configs` lists them all")
