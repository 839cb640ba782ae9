"""What the data set folder tests share: tiny render settings, a render job, and a counter of the
models a render actually draws (so resume can be seen to skip what is done)."""

from __future__ import annotations

from pathlib import Path

from novelview.data import store
from novelview.data.render import RenderSettings
from novelview.data.store import RenderJob

TINY = RenderSettings(size=16, azimuths=4, supersample=1)


def tiny_job(out, source="procedural:all", models=2, **kwargs) -> RenderJob:
    return RenderJob(source, Path(out), kwargs.pop("settings", TINY), models=models, seed=0, workers=1, **kwargs)


def count_renders(monkeypatch, fail_after=None):
    """Wrap store._render_one: count calls; raise KeyboardInterrupt on call number ``fail_after`` + 1."""
    real, calls = store._render_one, []

    def counting(args):
        if fail_after is not None and len(calls) >= fail_after:
            raise KeyboardInterrupt
        calls.append(args[1].model_id)
        return real(args)

    monkeypatch.setattr(store, "_render_one", counting)
    return calls
