"""The shape every registry here shares (models, objectives, pose encodings): a dict of classes by
name, filled by a decorator that also tells each class its own name."""

from __future__ import annotations


def registrar(table: dict[str, type], attribute: str):
    """A decorator factory: ``@register("name")`` puts the class in ``table`` and sets ``cls.<attribute>``."""

    def register(name: str):
        def wrap(cls):
            table[name] = cls
            setattr(cls, attribute, name)
            return cls

        return wrap

    return register
