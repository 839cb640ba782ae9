"""``procedural:CATEGORY[,CATEGORY...|all|every][?appearance=plain|varied]``: the built-in shapes,
a function of (category, seed, index).

``all`` means car, chair and mug (what the shipped weights were trained on, so it keeps that
meaning); ``every`` means every category (those three, then table, sofa, bottle, lamp, airplane).
``?appearance=varied`` gives the same shapes seeded textures, several materials and a per-model
light; the default ``plain`` is one flat colour per part (byte-identical to earlier releases).
"""

from __future__ import annotations

from dataclasses import dataclass

from novelview.config.options import option, parse_options, to_dict
from novelview.data import procedural
from novelview.data.sources.registry import LoadedModel, ModelRef, register
from novelview.errors import NovelviewError

DEFAULT_MODELS_PER_CATEGORY = 100
MAX_MODELS_PER_CATEGORY = 99_999  # ids are category_seed_NNNNN


@dataclass(frozen=True)
class ProceduralOptions:
    """The options after ``?`` in the spec (``?appearance=varied``); query values are names."""

    appearance: str = option("plain", "plain: one flat colour per part; varied: seeded textures, materials, light",
                             choices=lambda: procedural.APPEARANCES)


def parse_location(location: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """'car,chair?appearance=varied' -> (('car', 'chair'), {'appearance': 'varied'}); NovelviewError
    naming the known categories or options on anything else."""
    names_part, _, query = location.partition("?")
    given = dict(item.partition("=")[::2] for item in filter(None, query.split("&")))
    parsed = parse_options(ProceduralOptions, given, "procedural", "source 'procedural'")
    options = {k: v for k, v in to_dict(parsed).items() if k in given}
    groups = {"all": procedural.CATEGORIES, "every": procedural.EVERY_CATEGORY}
    names = groups.get(names_part) or tuple(names_part.split(","))
    for name in names:
        if name not in procedural.EVERY_CATEGORY:
            raise NovelviewError(
                f"unknown procedural category {name!r}: choose from {', '.join(procedural.EVERY_CATEGORY)}, "
                f"all ({', '.join(procedural.CATEGORIES)}) or every (all of them)"
            )
    return names, options


@register("procedural")
class ProceduralSource:
    Options = ProceduralOptions

    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        names, options = parse_location(location)
        look = options.get("appearance", "plain")
        # Plain refs carry nothing new, so plain data sets' metadata stays as it was.
        info = {} if look == "plain" else {"appearance": look}
        count = DEFAULT_MODELS_PER_CATEGORY if models is None else models
        if count > MAX_MODELS_PER_CATEGORY:  # listing 10^8 refs alone takes minutes and gigabytes
            raise NovelviewError(f"--models {count} is more procedural models per category than novelview makes: "
                                 f"give at most {MAX_MODELS_PER_CATEGORY} (model ids have five digits)")
        return [ModelRef(f"{name}_{seed}_{i:05d}", name, index=i, seed=seed, source="procedural", info=dict(info))
                for name in names for i in range(count)]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        look = ref.info.get("appearance", "plain")
        surface = procedural.make_model(ref.category, ref.seed, ref.index, look)
        return LoadedModel(surface, "textured" if look != "plain" else "untextured")
