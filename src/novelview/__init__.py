"""novelview: single-image novel view synthesis of objects.

Data flows mesh -> views on disk (``novelview.data``) -> training pairs -> model
(``novelview.models``) -> metrics and images (``novelview.evaluation.evaluate``, ``novelview.generate``).
"""

__version__ = "0.2.0"


def load_model(path_or_name: str):
    """Rebuild a trained model from an export folder or a shipped name (e.g. ``"pose_encoder"``)."""
    from novelview.models.io import load_model as _load

    return _load(path_or_name)


__all__ = ["load_model", "__version__"]
