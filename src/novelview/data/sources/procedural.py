"""``procedural:car,chair,mug`` (or ``all``): the built-in shapes, a function of (category, seed, index)."""

from __future__ import annotations

from novelview.data import procedural
from novelview.data.sources.registry import LoadedModel, ModelRef, register
from novelview.errors import NovelviewError

DEFAULT_MODELS_PER_CATEGORY = 100


@register("procedural")
class ProceduralSource:
    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        names = procedural.CATEGORIES if location == "all" else tuple(location.split(","))
        for name in names:
            if name not in procedural.CATEGORIES:
                raise NovelviewError(
                    f"unknown procedural category {name!r}: choose from {', '.join(procedural.CATEGORIES)} or all"
                )
        count = DEFAULT_MODELS_PER_CATEGORY if models is None else models
        return [ModelRef(f"{name}_{seed}_{i:05d}", name, index=i, seed=seed, source="procedural") for name in names for i in range(count)]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        return LoadedModel(procedural.make_model(ref.category, ref.seed, ref.index))
