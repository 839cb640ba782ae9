"""Which way is up and which side is the front: signed axes, per-model overrides, the final turn.

Our frame: y up, the object's front faces +z (the azimuth-0 camera). A mesh file names its own
up and front as signed axes of its coordinates (``+x -x +y -y +z -z``; ``y`` and ``z`` mean
``+y`` and ``+z``). The turn to our frame is the rotation whose rows are (up x front, up, front),
so it maps ``up`` to +y and ``front`` to +z and is never a mirror.

Who decides, first wins: the per-model file (``--orientation``: up, front or a 3x3 rotation),
then ``--up-axis`` / ``--front``, then the source's convention (ShapeNet: +y up, front -z;
sh3d: +y up, front +z once the source has applied the catalogue's modelRotation). When only the up axis is
given, the front defaults to the one in ``DEFAULT_FRONT`` (z-up files: -y, as Blender's front view).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np

from novelview.data.sources.registry import ModelRef
from novelview.errors import NovelviewError

AXES = {"+x": (1, 0, 0), "-x": (-1, 0, 0), "+y": (0, 1, 0), "-y": (0, -1, 0), "+z": (0, 0, 1), "-z": (0, 0, -1)}
DEFAULT_FRONT = {"+y": "+z", "-y": "+z", "+x": "+z", "-x": "+z", "+z": "-y", "-z": "+y"}


def parse_axis(text: str, what: str = "axis") -> str:
    """'y', '+y', '-Z', ... -> a key of AXES. Raises NovelviewError naming the choices."""
    axis = str(text).strip().lower()
    axis = axis if axis[:1] in "+-" else "+" + axis
    if axis not in AXES:
        raise NovelviewError(f"unknown {what} {text!r}: use one of {' '.join(AXES)} (y and z mean +y and +z)")
    return axis


def stored_axis_name(text: str) -> str:
    """The name a data set records: 'y' and 'z' for +y and +z (as before signed axes existed), so
    that '+y' and 'y' make the same data set; the signed name for the other axes."""
    axis = parse_axis(text)
    return axis[1] if axis in ("+y", "+z") else axis


def turn_matrix(up: str, front: str) -> np.ndarray:
    """The rotation (3, 3) taking the file's ``up`` axis to +y and its ``front`` axis to +z."""
    up_vector, front_vector = np.asarray(AXES[up], float), np.asarray(AXES[front], float)
    if abs(up_vector @ front_vector) > 0:
        raise NovelviewError(f"front {front} lies along up {up}: choose a front axis across the up axis")
    return np.stack([np.cross(up_vector, front_vector), up_vector, front_vector])


def check_rotation(values, where: str) -> tuple[float, ...]:
    """Nine numbers (row-major) that must form a rotation; returned as a flat tuple."""
    try:
        matrix = np.asarray(values, float).reshape(3, 3)
    except (TypeError, ValueError):
        raise NovelviewError(f"{where}: a rotation needs 9 numbers (3 rows of 3)") from None
    if not np.allclose(matrix @ matrix.T, np.eye(3), atol=1e-3) or np.linalg.det(matrix) < 0:
        raise NovelviewError(f"{where}: not a rotation (rows must be unit length, at right angles, det +1)")
    return tuple(float(v) for v in matrix.ravel())


def read_orientation_file(path: str | Path) -> dict[str, dict]:
    """{model id: {"up": axis, "front": axis} or {"rotation": 9 numbers}} from JSON or CSV.

    JSON: ``{"chair_01": {"up": "+z", "front": "-y"}, "car_7": {"rotation": [[1,0,0],[0,-1,0],[0,0,-1]]}}``.
    CSV: a header naming ``model_id`` and any of ``up``, ``front``, ``rotation`` (9 numbers, spaces).
    """
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise NovelviewError(f"cannot read orientation file {path}: {exc}") from None
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if not rows or "model_id" not in rows[0]:
            raise NovelviewError(f"orientation file {path}: the first line must name the columns, e.g. model_id,up,front")
        raw = {row["model_id"].strip(): {k: (v or "").strip() for k, v in row.items() if k != "model_id"} for row in rows}
        for entry in raw.values():
            if entry.get("rotation"):
                entry["rotation"] = entry["rotation"].replace(",", " ").split()
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NovelviewError(f"orientation file {path} is not valid JSON ({exc}); or name it .csv") from None
        if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
            raise NovelviewError(f"orientation file {path} must map model ids to {{\"up\": ..., \"front\": ...}}")
    entries = {}
    for model_id, entry in raw.items():
        where = f"orientation file {path}, model {model_id!r}"
        unknown = {k for k, v in entry.items() if v} - {"up", "front", "rotation"}
        if unknown:
            raise NovelviewError(f"{where}: unknown key {sorted(unknown)[0]!r}; use up, front or rotation")
        clean = {k: parse_axis(entry[k], f"{k} axis in {where}") for k in ("up", "front") if entry.get(k)}
        if entry.get("rotation"):
            if clean:
                raise NovelviewError(f"{where}: give either a rotation or up/front, not both")
            clean["rotation"] = check_rotation(entry["rotation"], where)
        entries[model_id] = clean
    return entries


def orient_models(refs: list[ModelRef], up_axis: str = "y", front: str | None = None,
                  orientation_file: str | None = None) -> list[ModelRef]:
    """Each ref with its final turn (``ModelRef.turn``), from the file, the options and the source."""
    user_up = parse_axis(up_axis, "--up-axis")
    user_front = parse_axis(front, "--front") if front else None
    entries = read_orientation_file(orientation_file) if orientation_file else {}
    unknown = set(entries) - {ref.model_id for ref in refs}
    if unknown:
        raise NovelviewError(f"orientation file {orientation_file} names models not in the source "
                             f"(or beyond --models), e.g. {sorted(unknown)[0]!r}")
    oriented = []
    for ref in refs:
        entry = entries.get(ref.model_id, {})
        if "rotation" in entry:
            turn = entry["rotation"]
        else:
            up = entry.get("up", user_up)
            side = entry.get("front") or user_front or (ref.front if up == "+y" else DEFAULT_FRONT[up])
            turn = tuple(turn_matrix(up, side).ravel().tolist())
        oriented.append(dataclasses.replace(ref, turn=turn))
    return oriented


def orient_vertices(vertices: np.ndarray, ref: ModelRef, up_axis: str = "y") -> np.ndarray:
    """(V, 3) coordinates as the source gives them -> our frame, by the model's turn (``ref.turn``,
    or, for a ref not passed through orient_models, ``up_axis`` and the source's front)."""
    if ref.turn is not None:
        turn = np.asarray(ref.turn, float).reshape(3, 3)
    else:
        up = parse_axis(up_axis, "up axis")
        turn = turn_matrix(up, ref.front if up == "+y" else DEFAULT_FRONT[up])
    return vertices @ turn.T
