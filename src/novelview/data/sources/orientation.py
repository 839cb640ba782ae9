"""Which way is up and which side is the front: signed axes, per-model overrides, the final turn.

Our frame: y up, the object's front faces +z (the azimuth-0 camera). A mesh file names its own
up and front as signed axes of its coordinates (``+x -x +y -y +z -z``; ``y`` and ``z`` mean
``+y`` and ``+z``). The turn to our frame is the rotation whose rows are (up x front, up, front),
so it maps ``up`` to +y and ``front`` to +z and is never a mirror.

Who decides, first wins: the per-model file (``--orientation``: up, front or a 3x3 rotation),
then ``--up-axis`` / ``--front``, then the source's convention (ShapeNet: +y up, front -z;
sh3d: +y up, front +z once the source has applied the catalogue's modelRotation). When only the up axis is
given, the front defaults to the one in ``DEFAULT_FRONT`` (z-up files: -y, as Blender's front view).

An entry of the file that gives only ``up`` or only ``front`` takes the other axis by the same
rules (``--up-axis``; ``--front``, else the default); ``render --list`` and ``--check`` print what
each such entry inherits (``inherited_lines``). Every ref leaves ``orient_models`` with
``ModelRef.orientation``: its up and front (or rotation) and what decided each, kept in meta.json.
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
        text = path.read_text(encoding="utf-8-sig")  # utf-8-sig: Excel and Notepad start the file with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise NovelviewError(f"cannot read orientation file {path}: {exc}") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames:  # 'model_id, up, front' as spreadsheets write it with spaces
            reader.fieldnames = [name.strip() for name in reader.fieldnames]
        rows = list(reader)
        if not rows or "model_id" not in rows[0]:
            raise NovelviewError(f"orientation file {path}: the first line must name the columns, e.g. model_id,up,front")
        extra = next((row for row in rows if None in row), None)  # csv keys surplus cells by None
        if extra is not None:
            raise NovelviewError(f"orientation file {path}, model {extra['model_id']!r}: more cells than the first "
                                 "line names columns; give model_id,up,front,rotation (9 numbers in one cell)")
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
    """Each ref with its final turn (``ModelRef.turn``), from the file, the options and the source,
    and the record of how (``ModelRef.orientation``)."""
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
            turn, record = entry["rotation"], {"rotation": list(entry["rotation"]), "from": FILE}
        else:
            up, side, record = _axes(ref, entry, user_up, user_front)
            if up[1] == side[1]:  # say where each axis came from: one may be inherited, not written
                whose = f"orientation file {orientation_file}, model {ref.model_id!r}: " if entry else ""
                raise NovelviewError(f"{whose}front {side} (from {record['from']['front']}) lies along up {up} "
                                     f"(from {record['from']['up']}): choose a front axis across the up axis")
            turn = tuple(turn_matrix(up, side).ravel().tolist())
        if ref.base_rotation is not None:  # sh3d: the catalogue's turn comes first
            record["catalogue_rotation"] = list(ref.base_rotation)
        if entry:
            record["entry"] = "partial" if len(entry) == 1 and "rotation" not in entry else "complete"
        oriented.append(dataclasses.replace(ref, turn=turn, orientation=record))
    return oriented


FILE = "the orientation file"


def _axes(ref: ModelRef, entry: dict, user_up: str, user_front: str | None) -> tuple[str, str, dict]:
    """(up, front, record) of one model: the file's entry first, then the options, then the defaults."""
    up, up_from = (entry["up"], FILE) if "up" in entry else (user_up, "--up-axis")
    if "front" in entry:
        side, front_from = entry["front"], FILE
    elif user_front:
        side, front_from = user_front, "--front"
    elif up == "+y":
        side, front_from = ref.front, "the source's convention"
    else:
        side, front_from = DEFAULT_FRONT[up], f"the default front for up {up}"
    return up, side, {"up": up, "front": side, "from": {"up": up_from, "front": front_from}}


def inherited_lines(refs: list[ModelRef]) -> list[str]:
    """One line per model whose orientation-file entry gives only up or only front: what it inherits."""
    lines = []
    for ref in refs:
        record = ref.orientation or {}
        if record.get("entry") != "partial":
            continue
        given, taken = ("up", "front") if record["from"]["up"] == FILE else ("front", "up")
        lines.append(f"{ref.model_id}: the orientation file gives only {given} {record[given]}; "
                     f"{taken} {record[taken]} is inherited from {record['from'][taken]}")
    return lines


def describe(record: dict) -> str:
    """'up +z (the orientation file), front -y (the default front for up +z)', or the rotation's source."""
    if not record:
        return ""
    if "rotation" in record:
        return f"rotation ({record['from']})"
    return f"up {record['up']} ({record['from']['up']}), front {record['front']} ({record['from']['front']})"


def orient_vertices(vertices: np.ndarray, ref: ModelRef, up_axis: str = "y") -> np.ndarray:
    """(V, 3) coordinates as the source gives them -> our frame, by the model's turn (``ref.turn``,
    or, for a ref not passed through orient_models, ``up_axis`` and the source's front)."""
    if ref.turn is not None:
        turn = np.asarray(ref.turn, float).reshape(3, 3)
    else:
        up = parse_axis(up_axis, "up axis")
        turn = turn_matrix(up, ref.front if up == "+y" else DEFAULT_FRONT[up])
    return vertices @ turn.T
