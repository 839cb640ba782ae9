"""Which Sweet Home 3D pieces a selection takes: terms (``chair,Kitchen``) or the named ``objects``.

``objects`` is every piece that is a thing one could photograph on its own: all but people, doors
and windows, and staircases. The catalogue category decides first (``Characters``, ``Doors and
windows``, ``Staircases``); where a category mixes (the application's ``Miscellaneous`` holds a
mannequin), the catalogue's own flags (``doorOrWindow``, a staircase cut-out) and the words of the
name and tags decide. A curtain or a blind stays: it is furniture, not an opening in a wall.
The same model file offered twice (the application's eight light sources share one OBJ; a library
may repeat the jar's model) is taken once, under the first piece that names it.
"""

from __future__ import annotations

import re
import zipfile

from novelview.data.sources.sh3d_catalog import piece_phrases

OBJECTS = "objects"
EXCLUDED_CATEGORIES = {"characters": "people", "doors and windows": "doors and windows", "staircases": "staircases"}
PEOPLE_WORDS = {"human", "people", "person", "mannequin"}  # tags of figures filed under other categories


def parse_selection(selection: str) -> list[list[str]]:
    """'chair, Living room' -> [['chair'], ['living', 'room']] (lower-case words of each term)."""
    terms = [re.findall(r"[a-z0-9]+", term.lower()) for term in selection.split(",")]
    return [term for term in terms if term]


def is_objects(selection: str) -> bool:
    """Whether ``selection`` is the named selection ``objects``."""
    return parse_selection(selection) == [[OBJECTS]]


def matching_term(piece: dict, terms: list[list[str]]) -> str | None:
    """The first term naming the piece's catalogue category or a phrase of its name or tags."""
    category = re.findall(r"[a-z0-9]+", piece.get("category", "").lower())
    phrases = piece_phrases(piece)
    for term in terms:
        if term == category:
            return piece.get("category", " ".join(term))
        if any(phrase[i : i + len(term)] == term for phrase in phrases for i in range(len(phrase))):
            return " ".join(term)
    return None


def not_an_object(piece: dict) -> str | None:
    """Why ``objects`` leaves the piece out ('people', 'doors and windows', 'staircases'), or None."""
    category = " ".join(re.findall(r"[a-z0-9]+", piece.get("category", "").lower()))
    if category in EXCLUDED_CATEGORIES:
        return EXCLUDED_CATEGORIES[category]
    if piece.get("doorOrWindow", "").strip().lower() == "true":
        return "doors and windows"
    if piece.get("staircaseCutOutShape", "").strip():
        return "staircases"
    if PEOPLE_WORDS & {word for phrase in piece_phrases(piece) for word in phrase}:
        return "people"
    return None


def model_key(archive: zipfile.ZipFile, member: str) -> tuple[int, int] | None:
    """(CRC-32, size) of a model file, to know the same model in two places; None when absent."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        return None
    return info.CRC, info.file_size
