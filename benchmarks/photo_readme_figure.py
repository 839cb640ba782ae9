"""The README's photo example: an unseen real object (a CC0 armchair of the Sweet Home 3D test
split) photographed, as ``photo_scenes`` makes photos, on a plain backdrop with a soft cast shadow,
640x480, JPEG q85; then ``novelview generate --turntable`` on it.

    python benchmarks/photo_readme_figure.py    # writes docs/images/photo/armchair_photo.jpg
    novelview generate --image docs/images/photo/armchair_photo.jpg --turntable --out docs/images/photo
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from photo_scenes import RENDER_SIZE, photo_like  # noqa: E402

from novelview.data.render import Renderer, RenderSettings  # noqa: E402
from novelview.data.sources import load_model  # noqa: E402
from novelview.data.split import shipped_split  # noqa: E402
from novelview.data.store import RenderJob  # noqa: E402

MODEL_ID = "BlendSwap-CC-0/armchair"  # CC0-1.0, in the shipped test split: no weight trained on it
OUT = Path("docs/images/photo/armchair_photo.jpg")


def main() -> None:
    assert shipped_split("sh3d:").get(MODEL_ID) == "test", f"{MODEL_ID} is not in the shipped test split"
    ref = next(r for r in RenderJob("sh3d::objects", OUT).oriented_models() if r.model_id == MODEL_ID)
    view = Renderer(load_model(ref).surface, RenderSettings(size=RENDER_SIZE, supersample=2)).render_view(30.0, 10.0)
    jpeg, _ = photo_like(view, "shadow", 480, 640, 0.6, seed=3)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(jpeg)
    print(f"wrote {OUT} ({ref.info.get('name')}, {ref.info.get('licence')}, azimuth 30, elevation 10)")


if __name__ == "__main__":
    main()
