"""What happened to each model's materials during a render, summed up once at the end.

A render worker writes ``parts/NNNNNN.notes.json`` beside the model's views: how it was textured
("textured", "fallback" to material colours, "untextured"), its notices (kind, message) and how
it was turned (its up and front, ``ModelRef.orientation``). ``summarise`` turns them into
meta.json's ``render_notes`` (which models are in each texturing state, in full); ``orientations``
into meta.json's ``orientations``; ``summary_lines`` into what the command line prints after the
progress bar (counts and the first few ids), instead of one warning per material through it.
The notes travel with the parts, so a merge or a repair by doctor keeps them.
"""

from __future__ import annotations

import json
from pathlib import Path

from novelview.data.files import write_json

FIRST_FEW = 5  # model ids shown per kind of notice


def notes_path(parts: Path, index: int) -> Path:
    return parts / f"{index:06d}.notes.json"


def write_notes(parts: Path, index: int, texturing: str, notices: list[tuple[str, str]],
                orientation: dict | None = None) -> None:
    """Written before the model's views (through a temporary file), so a finished part has its notes."""
    notes = {"texturing": texturing, "notices": [list(n) for n in notices]}
    if orientation:
        notes["orientation"] = orientation
    write_json(notes_path(parts, index), notes)


def _read(parts: Path, index: int) -> dict:
    path = notes_path(parts, index)  # absent in parts made before render notes
    return json.loads(path.read_text()) if path.exists() else {"texturing": "untextured", "notices": []}


def notes_problem(notes) -> str | None:
    """Why a notes file's content is not what ``write_notes`` writes (None when it is)."""
    if not isinstance(notes, dict) or not isinstance(notes.get("texturing"), str):
        return "no texturing"
    listed = notes.get("notices")
    if not isinstance(listed, list) or not all(isinstance(n, list) and len(n) == 2 and all(isinstance(v, str) for v in n)
                                               for n in listed):
        return "notices are not (kind, message) pairs"
    if not isinstance(notes.get("orientation", {}), dict):
        return "orientation is not a mapping"
    return None


def summarise(parts: Path, kept: list[tuple[int, str]]) -> dict:
    """{"texturing": {state: models}, "texturing_models": {state: [every id]}, "notices": {kind:
    {"models": n, "first": [ids]}}, "details": [[model id, kind, message], ...]} over the rendered
    models ``kept`` (index, model id)."""
    states, models_by_kind, details = [], {}, []
    for index, model_id in kept:
        notes = _read(parts, index)
        states.append((model_id, notes["texturing"]))
        for kind, message in notes["notices"]:
            models = models_by_kind.setdefault(kind, [])
            if model_id not in models:
                models.append(model_id)
            details.append([model_id, kind, message])
    notices = {kind: {"models": len(ids), "first": ids[:FIRST_FEW]} for kind, ids in sorted(models_by_kind.items())}
    return {**texturing_summary(states), "notices": notices, "details": details}


def texturing_summary(states: list[tuple[str, str]]) -> dict:
    """{"texturing": {state: count}, "texturing_models": {state: [model ids]}} of (model id, state) pairs."""
    models: dict[str, list[str]] = {}
    for model_id, state in states:
        models.setdefault(state, []).append(model_id)
    return {"texturing": {state: len(ids) for state, ids in sorted(models.items())},
            "texturing_models": dict(sorted(models.items()))}


def orientations(parts: Path, kept: list[tuple[int, object]]) -> list[dict | None]:
    """How each kept model (index, ModelRef) was turned: from its notes (which travel with the parts
    through a merge), else from the ref; None for parts made before orientations were noted."""
    return [_read(parts, index).get("orientation") or ref.orientation or None for index, ref in kept]


def summary_lines(render_notes: dict, in_meta: bool = True) -> list[str]:
    """A few lines for the end of a render: textures used or lost (counts and the first few ids),
    and each kind of problem; ``in_meta``: say that meta.json has every id (not so for --check)."""
    if not render_notes:
        return []
    counts = render_notes.get("texturing", {})
    ids = render_notes.get("texturing_models", {})  # absent in data sets made before it was kept
    lines = []
    if counts.get("textured") or counts.get("fallback"):
        said = [f"{counts.get(state, 0)} {words}{_first(ids.get(state, []))}" for state, words in
                (("textured", "models textured"), ("fallback", "fell back to material colours"),
                 ("untextured", "without textures"))]
        lines.append("textures: " + ", ".join(said))
        if in_meta and any(len(v) > FIRST_FEW for v in ids.values()):
            lines.append("every model id is in meta.json under render_notes.texturing_models")
    for kind, info in render_notes.get("notices", {}).items():
        more = ", ..." if info["models"] > len(info["first"]) else ""
        lines.append(f"{kind}: {info['models']} models ({', '.join(info['first'])}{more})")
    if render_notes.get("notices") and in_meta:  # --check writes no meta.json: it prints the first messages
        lines.append("every message is in meta.json under render_notes.details")
    return lines


def _first(ids: list[str]) -> str:
    """' (a, b, c, ...)': the first few model ids, for a console line (meta.json has them all)."""
    if not ids:
        return ""
    return f" ({', '.join(ids[:FIRST_FEW])}{', ...' if len(ids) > FIRST_FEW else ''})"
