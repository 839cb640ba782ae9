"""Mirror averaging: a trained model's view averaged with the mirror image of its view of the
mirrored input (test-time augmentation; ask for it with a ``+mirror`` suffix, as
``load_model("default+mirror")`` or ``--model default+mirror``).

Why it is sound: the orbit camera and the object-centred frame make a left-right mirror exact.
The mirror image of a view of an object at azimuth a is a view of the mirrored object at -a, so
``flip(model(flip(source), -a))`` is a second, independent guess at the same target, for any
object, symmetric or not. Averaging the two guesses lowers the error of the parts the model is
unsure of (the hidden side) and leaves alone what both agree on. What it costs: two predictions
instead of one, and a slightly softer image where the guesses disagree. The one thing that does
not mirror is the renderer's key light (above-left of the camera), so the second guess sees its
input lit from above-right; the measured effect is in docs/results.md.
"""

from __future__ import annotations

from pathlib import Path

import torch

SUFFIX = "+mirror"


def split_spec(spec: str | Path) -> tuple[str | Path, bool]:
    """``"default+mirror"`` -> ``("default", True)``; anything else -> ``(spec, False)``.

    An export folder whose own name ends in ``+mirror`` is that folder, not averaged.
    """
    text = str(spec)
    if text.endswith(SUFFIX) and len(text) > len(SUFFIX) and not (Path(text) / "config.json").exists():
        base = text[: -len(SUFFIX)]
        return (Path(base) if isinstance(spec, Path) else base), True
    return spec, False


class MirrorAveraged:
    """Wraps a loaded model: same ``predict`` signature, same attributes (pose, image_size, ...)."""

    def __init__(self, model):
        self.model = model
        self.info = {**getattr(model, "info", {}), "mirror_average": True}

    def __getattr__(self, name):  # everything but predict and info is the wrapped model's
        return getattr(self.__dict__["model"], name)

    @torch.no_grad()
    def predict(self, source_images: torch.Tensor, azimuth_deg, elevation_deg=None,
                source_elevation_deg=None) -> torch.Tensor:
        direct = self.model.predict(source_images, azimuth_deg, elevation_deg, source_elevation_deg)
        turned_back = -torch.as_tensor(azimuth_deg, dtype=torch.float64)
        mirrored = self.model.predict(source_images.flip(-1), turned_back, elevation_deg, source_elevation_deg)
        return (direct + mirrored.flip(-1)) / 2
