"""Reading a Sweet Home 3D furniture library (.sh3f): its catalogue and its licence.

A .sh3f is a zip. ``PluginFurnitureCatalog.properties`` (a Java properties file) describes piece
N with numbered keys: ``id#N``, ``name#N``, ``category#N``, ``tags#N``, ``model#N`` (the OBJ inside
the zip), ``width/depth/height#N`` in cm, ``creator#N`` and sometimes ``modelRotation#N`` (nine
numbers, a row-major 3x3 that turns the model upright and front-facing). ``LICENSE.TXT`` holds
the library's licence; the catalogue's header has a ``license=`` line with the copyright holder.

Sweet Home 3D's own jar (Debian's ``sweethome3d``) holds the application's catalogue with the same
keys, ``com/eteks/sweethome3d/io/DefaultFurnitureCatalog.properties``, and its models beside the
classes. It has no LICENSE.TXT: the application and its models are GPL-2.0-or-later, as Debian's
copyright file says.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

import numpy as np

from novelview.data.sources.assets import read_member

CATALOG = "PluginFurnitureCatalog.properties"
APPLICATION_CATALOG = "DefaultFurnitureCatalog.properties"  # in the jar, under com/eteks/sweethome3d/io/
APPLICATION_LICENCE = ("GPL-2.0-or-later", "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
                       "Sweet Home 3D, Copyright 2006-2022 Emmanuel Puybaret / eTeks, GNU GPL version 2 or later; "
                       "see /usr/share/doc/sweethome3d/copyright (Debian's package sweethome3d)")
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
ROTATION_TOLERANCE = 1e-3  # catalogues write 0.7071068 for cos 45: that much rounding is a rotation


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


def catalogue_member(members: dict[str, str]) -> str | None:
    """The zip member holding the catalogue: a library's plugin catalogue, or the application's
    default one (not a translation such as ``DefaultFurnitureCatalog_fr.properties``)."""
    if CATALOG in members:
        return members[CATALOG]
    defaults = sorted(name for name in members if name.rsplit("/", 1)[-1] == APPLICATION_CATALOG)
    return members[defaults[0]] if defaults else None


def read_library(path: str, archive: zipfile.ZipFile) -> Library:
    """The catalogue and licence of an open .sh3f or application jar; raises KeyError when there
    is no catalogue."""
    members = {name.lstrip("/"): name for name in archive.namelist()}
    member = catalogue_member(members)
    if member is None:
        raise KeyError(f"no {CATALOG} or {APPLICATION_CATALOG}")
    catalog = parse_properties(read_member(archive, member, path).decode("latin-1"))
    notice = catalog.get("license", "")
    if member.rsplit("/", 1)[-1] == APPLICATION_CATALOG:
        licence, url, notice = APPLICATION_LICENCE
    else:
        licence_text = (read_member(archive, members["LICENSE.TXT"], path).decode("utf-8", "replace")
                        if "LICENSE.TXT" in members else "")
        haystack = f"{licence_text}\n{notice}".lower()
        licence, url = next(((lid, link) for marker, lid, link in LICENCES if marker in haystack),
                            (notice or "unknown: see LICENSE.TXT in the library", ""))
    by_number: dict[int, dict] = {}
    for key, value in catalog.items():  # one pass: 'name#12' -> piece 12's 'name'
        stem, _, number = key.rpartition("#")
        if stem and number.isdigit():
            by_number.setdefault(int(number), {})[stem] = value
    pieces = [{**by_number[n], "number": n} for n in sorted(by_number) if "id" in by_number[n]]
    name = catalog.get("name") or path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Library(path, name, licence, url, notice, pieces)


def model_rotation(piece: dict) -> tuple[float, ...] | None:
    """The piece's modelRotation as 9 floats (row-major), None when absent; ValueError saying why
    when it is not a rotation: not 9 finite numbers, not orthonormal (it would stretch or shear the
    piece), or a reflection (determinant -1: it would mirror the piece, text and handles reversed)."""
    text = piece.get("modelRotation", "").strip()
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split())
    except ValueError:
        raise ValueError(f"modelRotation {text[:60]!r} is not 9 numbers") from None
    if len(values) != 9:
        raise ValueError(f"modelRotation needs 9 numbers, got {len(values)}")
    matrix = np.asarray(values).reshape(3, 3)
    if not np.isfinite(matrix).all():
        raise ValueError(f"modelRotation {text[:60]!r} holds a number that is not finite")
    if not np.allclose(matrix @ matrix.T, np.eye(3), atol=ROTATION_TOLERANCE):
        raise ValueError(f"modelRotation {text[:60]!r} is not a rotation (its rows are not unit length and at right "
                         "angles)")
    if np.linalg.det(matrix) < 0:
        raise ValueError(f"modelRotation {text[:60]!r} is a reflection (determinant -1): it would mirror the piece")
    return values


def piece_phrases(piece: dict) -> list[list[str]]:
    """Lower-case words of the piece's name and of each of its tags (for selections like ``armchair``)."""
    texts = [piece.get("name", ""), *piece.get("tags", "").split(",")]
    return [words for text in texts if (words := re.findall(r"[a-z0-9]+", text.lower()))]
