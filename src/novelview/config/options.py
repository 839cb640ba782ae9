"""Typed options: each component (model family, pose encoding, objective, a data source that
takes ``?key=value``) declares its options once, as a frozen dataclass, and everything else comes
from that declaration.

    @dataclass(frozen=True)
    class Options:
        width: float = option(3, "channel multiplier of the U-Net", minimum=0.0, exclusive=True)

``parse_options`` turns a config's dict into the dataclass (unknown keys, wrong types and values
out of range end as one line that names the key, what it must be and the value given);
``to_dict`` turns it back into JSON/YAML-able values; ``rows`` feeds the docs table
(``novelview configs --options`` and ``docs/options.md``). An option marked ``training=True``
(a loss weight) is used only while training: exports leave it out of ``config.json``.
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import types
import typing

from novelview.errors import NovelviewError


def option(default, help: str, *, minimum=None, exclusive: bool = False, training: bool = False, choices=None,
           from_data: bool = False):
    """A dataclass field with its one-line help, an optional lower bound (``exclusive``: the bound
    itself is refused), whether only training reads it, for a name the function that lists the
    names allowed (a registry's, read when a config is checked, so plugins count), and whether
    the data set decides it when training (``geometry_options``)."""
    meta = {"help": help, "minimum": minimum, "exclusive": exclusive, "training": training, "choices": choices,
            "from_data": from_data}
    return dataclasses.field(default=default, metadata=meta)


def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _optional(kind):
    """``X | None`` -> (X, True); anything else -> (kind, False)."""
    args = typing.get_args(kind)
    if (typing.get_origin(kind) in (typing.Union, types.UnionType)) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return kind, False


def describe_type(kind) -> str:
    """The wording of a type in messages and in the docs table."""
    kind, optional = _optional(kind)
    if kind is bool:
        words = "true or false"
    elif kind is int:
        words = "a whole number"
    elif kind is float:
        words = "a number"
    elif kind is str:
        words = "a name"
    elif typing.get_origin(kind) is tuple:
        args = typing.get_args(kind)
        item = describe_type(args[0]).replace("a whole number", "whole numbers").replace("a number", "numbers")
        words = f"a list of {item}" if args[-1] is Ellipsis else f"a list of {len(args)} {item}"
    else:  # pragma: no cover - a declaration with a type this module does not know
        raise TypeError(f"option type {kind!r} is not supported")
    return f"null or {words}" if optional else words


def _convert(kind, value):
    """``value`` as ``kind`` (lists become tuples), or raise ValueError."""
    kind, optional = _optional(kind)
    if value is None:
        if optional:
            return None
        raise ValueError
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:  # 64.0 is refused: a whole-number option given a float is usually a typo
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)  # numpy's integers too (a data set's shape), as JSON-able ints
        ok = False
    elif kind is float:  # a whole number is a number; kept as given, so config.json keeps its look
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return value if isinstance(value, (int, float)) else float(value)
        ok = False
    elif kind is str:
        ok = isinstance(value, str)
    elif typing.get_origin(kind) is tuple:
        args = typing.get_args(kind)
        if not isinstance(value, (list, tuple)) or (args[-1] is not Ellipsis and len(value) != len(args)):
            raise ValueError
        items = args[:1] * len(value) if args[-1] is Ellipsis else args
        return tuple(_convert(k, v) for k, v in zip(items, value))
    else:  # pragma: no cover
        raise TypeError(f"option type {kind!r} is not supported")
    if not ok:
        raise ValueError
    return value


def wanted(field: dataclasses.Field, kind) -> str:
    """What a value of ``field`` must be, in words: its type, its bound, the names allowed."""
    words, meta = describe_type(kind), field.metadata
    if meta.get("minimum") is not None:
        words += f" above {meta['minimum']:g}" if meta.get("exclusive") else f" of at least {meta['minimum']:g}"
    if meta.get("choices") is not None:
        words += ": " + " or ".join(meta["choices"]())
    return words


def _below_minimum(value, minimum, exclusive: bool) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    return any(v is not None and (v <= minimum if exclusive else v < minimum) for v in values)


def parse_options(cls, given: dict | None, prefix: str, owner: str):
    """``given`` (a config's mapping) -> an instance of the dataclass ``cls``, defaults filled.

    ``prefix`` names the mapping in messages (``model.options``), ``owner`` the component
    (``model 'flow'``). Every problem is a one-line NovelviewError."""
    given = {} if given is None else given
    if not isinstance(given, dict):
        raise NovelviewError(f"{prefix} must be a mapping of the options of {owner}, not {given!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    values = {}
    for key, value in given.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(fields)) or "none"
            raise NovelviewError(f"unknown option {key!r} for {owner}{hint}: known are {known}")
        meta = fields[key].metadata
        try:
            values[key] = _convert(hints[key], value)
        except ValueError:
            raise NovelviewError(f"{prefix}.{key} must be {wanted(fields[key], hints[key])}, not {value!r}") from None
        if meta.get("minimum") is not None and _below_minimum(values[key], meta["minimum"], meta["exclusive"]):
            raise NovelviewError(f"{prefix}.{key} must be {wanted(fields[key], hints[key])}, not {value!r}")
        if meta.get("choices") is not None and value not in meta["choices"]():
            raise NovelviewError(f"{prefix}.{key} is {value!r}: choose from {', '.join(meta['choices']())}")
    return cls(**values)


def from_defaults(name: str, defaults: dict) -> type:
    """A dataclass for a component that gives only a dict of defaults (``OPTIONS = {"delta": 0.1}``,
    as plugins written before ``Options`` do): each option's type is its default's."""
    def kind(value):
        if isinstance(value, (list, tuple)):
            return tuple[tuple(kind(v) for v in value)] if value else tuple[float, ...]
        if value is None:
            return float | None
        return type(value)  # bool, int (whole numbers only), float, str

    return dataclasses.make_dataclass(f"{name}_options", [
        (key, kind(value), option(tuple(value) if isinstance(value, list) else value, ""))
        for key, value in defaults.items()], frozen=True)


def to_dict(options, training: bool | None = None) -> dict:
    """The dataclass as plain values (tuples as lists); ``training`` True/False keeps only the
    training-only / the other options, None keeps all."""
    out = {}
    for f in dataclasses.fields(options):
        if training is None or bool(f.metadata.get("training")) == training:
            value = getattr(options, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def from_data(cls) -> list[str]:
    """The options the data set decides when training."""
    return [f.name for f in dataclasses.fields(cls) if f.metadata.get("from_data")]


def rows(cls) -> list[tuple[str, str, str, str]]:
    """(name, type in words, default as YAML would write it, help) for each option, in order."""
    hints = _hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = f.default
        text = "null" if default is None else str(default).lower() if isinstance(default, bool) else (
            str(list(default)) if isinstance(default, tuple) else str(default))
        notes = [note for key, note in (("from_data", "the data set sets it"), ("training", "training only"))
                 if f.metadata.get(key)]
        help_text = f.metadata.get("help", "") + (f" ({'; '.join(notes)})" if notes else "")
        out.append((f.name, wanted(f, hints[f.name]), text, help_text))
    return out
