"""What happened to each model's materials during a render, summed up once at the end.

A render worker writes ``parts/NNNNNN.notes.json`` beside the model's views: how it was textured
("textured", "fallback" to material colours, "untextured") and its notices (kind, message).
``summarise`` turns them into meta.json's ``render_notes``; ``summary_lines`` into what the
command line prints after the progress bar, instead of one warning per material through it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from novelview.data.files import write_json

FIRST_FEW = 5  # model ids shown per kind of notice


def notes_path(parts: Path, index: int) -> Path:
    return parts / f"{index:06d}.notes.json"


def write_notes(parts: Path, index: int, texturing: str, notices: list[tuple[str, str]]) -> None:
    """Written before the model's views (through a temporary file), so a finished part has its notes."""
    write_json(notes_path(parts, index), {"texturing": texturing, "notices": [list(n) for n in notices]})


def notes_problem(notes) -> str | None:
    """Why a notes file's content is not what ``write_notes`` writes (None when it is)."""
    if not isinstance(notes, dict) or not isinstance(notes.get("texturing"), str):
        return "no texturing"
    listed = notes.get("notices")
    if not isinstance(listed, list) or not all(isinstance(n, list) and len(n) == 2 and all(isinstance(v, str) for v in n)
                                               for n in listed):
        return "notices are not (kind, message) pairs"
    return None


def summarise(parts: Path, kept: list[tuple[int, str]]) -> dict:
    """{"texturing": {state: models}, "notices": {kind: {"models": n, "first": [ids]}}, "details":
    [[model id, kind, message], ...]} over the rendered models ``kept`` (index, model id)."""
    texturing, models_by_kind, details = Counter(), {}, []
    for index, model_id in kept:
        path = notes_path(parts, index)
        notes = json.loads(path.read_text()) if path.exists() else {"texturing": "untextured", "notices": []}
        texturing[notes["texturing"]] += 1
        for kind, message in notes["notices"]:
            models = models_by_kind.setdefault(kind, [])
            if model_id not in models:
                models.append(model_id)
            details.append([model_id, kind, message])
    notices = {kind: {"models": len(ids), "first": ids[:FIRST_FEW]} for kind, ids in sorted(models_by_kind.items())}
    return {"texturing": dict(sorted(texturing.items())), "notices": notices, "details": details}


def summary_lines(render_notes: dict) -> list[str]:
    """A few lines for the end of a render: textures used or lost, and each kind of problem."""
    if not render_notes:
        return []
    counts = render_notes.get("texturing", {})
    lines = []
    if counts.get("textured") or counts.get("fallback"):
        lines.append(f"textures: {counts.get('textured', 0)} models textured, {counts.get('fallback', 0)} fell back "
                     f"to material colours, {counts.get('untextured', 0)} without textures")
    for kind, info in render_notes.get("notices", {}).items():
        more = ", ..." if info["models"] > len(info["first"]) else ""
        lines.append(f"{kind}: {info['models']} models ({', '.join(info['first'])}{more})")
    if render_notes.get("notices"):
        lines.append("every message is in meta.json under render_notes.details")
    return lines
