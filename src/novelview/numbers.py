"""Refusing numbers that are not finite (NaN, +inf, -inf), on the command line and in the Python API.

Such a number does not fail by itself: a NaN angle draws a NaN image, a NaN share or jitter renders
nonsense. So it is refused where it comes in, with one line that names it and shows a good value:
``--elevation nan is not a finite number: give degrees, e.g. 20``.
"""

from __future__ import annotations

import math

from novelview.errors import NovelviewError


def require_finite(name: str, values, example: str) -> None:
    """Raise a NovelviewError naming ``name`` when ``values`` (a number, or an array or tensor of
    numbers) holds NaN or an infinity; ``example`` ends the line (e.g. "degrees, e.g. 20")."""
    bad = _first_not_finite(values)
    if bad is not None:
        raise NovelviewError(f"{name} {bad:g} is not a finite number: give {example}")


def _first_not_finite(values) -> float | None:
    if values is None or isinstance(values, bool):
        return None
    if isinstance(values, (int, float)):
        return None if math.isfinite(values) else float(values)
    if hasattr(values, "detach"):  # a torch tensor, perhaps on an accelerator: check it where it is
        import torch

        flat = values.detach().reshape(-1)
        if not flat.is_floating_point() or bool(torch.isfinite(flat).all()):
            return None
        return float(flat[~torch.isfinite(flat)][0])
    import numpy as np

    flat = np.asarray(values).reshape(-1)
    if flat.dtype.kind != "f":  # integers (and lists of them) are always finite
        return None
    bad = flat[~np.isfinite(flat)]
    return float(bad[0]) if bad.size else None


def finite_option(example: str):
    """A click callback for a FLOAT option: NaN and infinities are one error line naming the option."""

    def check(ctx, param, value):
        if value is not None:
            require_finite(max(param.opts, key=len), value, example)
        return value

    return check
