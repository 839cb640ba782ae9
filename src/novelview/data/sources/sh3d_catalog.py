"""Reading a Sweet Home 3D furniture library (.sh3f): its catalogue and its licence.

A .sh3f is a zip. ``PluginFurnitureCatalog.properties`` (a Java properties file) describes piece
N with numbered keys: ``id#N``, ``name#N``, ``category#N``, ``tags#N``, ``model#N`` (the OBJ inside
the zip), ``width/depth/height#N`` in cm, ``creator#N`` and sometimes ``modelRotation#N`` (nine
numbers, a row-major 3x3 that turns the model upright and front-facing). ``LICENSE.TXT`` holds
the library's licence; the catalogue's header has a ``license=`` line with the copyright holder.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

CATALOG = "PluginFurnitureCatalog.properties"
LICENCES = (  # (marker in LICENSE.TXT or the catalogue, SPDX-like id, URL); the first match wins
    ("publicdomain/zero", "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("choose/zero", "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("creative commons zero", "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("licenses/by/3.0/us", "CC-BY-3.0-US", "https://creativecommons.org/licenses/by/3.0/us/"),
    ("attribution 3.0 united states", "CC-BY-3.0-US", "https://creativecommons.org/licenses/by/3.0/us/"),
    ("licenses/by/3.0", "CC-BY-3.0", "https://creativecommons.org/licenses/by/3.0/"),
    ("attribution 3.0", "CC-BY-3.0", "https://creativecommons.org/licenses/by/3.0/"),
)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


@dataclass
class Library:
    """One .sh3f: its name, licence and pieces (each a dict of the catalogue's keys for piece N)."""

    path: str
    name: str
    licence: str
    licence_url: str
    licence_notice: str
    pieces: list[dict] = field(default_factory=list)


def parse_properties(text: str) -> dict[str, str]:
    """A Java properties file -> {key: value} (comments, continuation lines and \\uXXXX escapes)."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        line = line.lstrip()
        if not line or line[0] in "#!":
            continue
        while _continues(line):
            line = line[:-1] + next(lines, "").lstrip()
        match = re.match(r"((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$", line)
        key, value = (match.group(1), match.group(2)) if match else (line, "")
        values[_unescape(key)] = _unescape(value)
    return values


def _continues(line: str) -> bool:
    backslashes = len(line) - len(line.rstrip("\\"))
    return backslashes % 2 == 1


def _unescape(text: str) -> str:
    def one(match: re.Match) -> str:
        code = match.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", one, text)


def read_library(path: str, archive: zipfile.ZipFile) -> Library:
    """The catalogue and licence of an open .sh3f; raises KeyError when there is no catalogue."""
    members = {name.lstrip("/"): name for name in archive.namelist()}
    catalog = parse_properties(archive.read(members[CATALOG]).decode("latin-1"))
    licence_text = archive.read(members["LICENSE.TXT"]).decode("utf-8", "replace") if "LICENSE.TXT" in members else ""
    notice = catalog.get("license", "")
    haystack = f"{licence_text}\n{notice}".lower()
    licence, url = next(((lid, link) for marker, lid, link in LICENCES if marker in haystack),
                        (notice or "unknown: see LICENSE.TXT in the library", ""))
    numbers = sorted({int(m.group(1)) for key in catalog if (m := re.fullmatch(r"id#(\d+)", key))})
    pieces = []
    for n in numbers:
        piece = {key[: -len(f"#{n}")]: value for key, value in catalog.items() if key.endswith(f"#{n}")}
        piece["number"] = n
        pieces.append(piece)
    name = catalog.get("name") or path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Library(path, name, licence, url, notice, pieces)


def model_rotation(piece: dict) -> tuple[float, ...] | None:
    """The piece's modelRotation as 9 floats (row-major), None when absent; ValueError when malformed."""
    text = piece.get("modelRotation", "").strip()
    if not text:
        return None
    values = tuple(float(v) for v in text.split())
    if len(values) != 9:
        raise ValueError(f"modelRotation needs 9 numbers, got {len(values)}")
    return values


def piece_phrases(piece: dict) -> list[list[str]]:
    """Lower-case words of the piece's name and of each of its tags (for selections like ``armchair``)."""
    texts = [piece.get("name", ""), *piece.get("tags", "").split(",")]
    return [words for text in texts if (words := re.findall(r"[a-z0-9]+", text.lower()))]
