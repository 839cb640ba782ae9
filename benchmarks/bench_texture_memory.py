"""Peak memory and time of one render worker for a model with a 4096x4096 texture.

Writes a textured OBJ (a 20k-triangle sphere, UV-mapped) with a 4096x4096 noise texture as JPEG
and as PNG, then, for each, runs what a render worker runs (``load_model`` with the texture
limit of the render settings, then all views of the default settings: 64x64, 36 azimuths,
supersample 3) in a fresh process and records its peak RSS (getrusage ru_maxrss) beside its RSS
after the imports; the same with the limit turned off shows what the shrinking saves.

    python benchmarks/bench_texture_memory.py [--side 4096] [--out benchmarks/results/texture_memory.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

WORKER = """
import json, sys, time
sys.path.insert(0, {bench_dir!r})
from machine import ru_maxrss_mb
from novelview.data.render import RenderSettings, Renderer
from novelview.data.sources import ModelRef, load_model, texture_side_limit
settings = RenderSettings()
after_imports = ru_maxrss_mb()
start = time.perf_counter()
limit = texture_side_limit(settings.size, settings.supersample) if {shrink} else None
loaded = load_model(ModelRef("ball", "test", {obj!r}), texture_side=limit)
loaded_s = time.perf_counter() - start
Renderer(loaded.surface, settings).render_all()
print(json.dumps({{"rss_after_imports_mb": round(after_imports, 1), "peak_rss_mb": round(ru_maxrss_mb(), 1),
                  "load_s": round(loaded_s, 2), "load_and_render_s": round(time.perf_counter() - start, 2),
                  "texture_shape": list(loaded.surface.textures[0].shape), "texturing": loaded.texturing}}))
"""


def write_model(folder: Path, side: int, suffix: str) -> Path:
    import numpy as np
    import trimesh
    from PIL import Image

    sphere = trimesh.creation.uv_sphere(count=[100, 100])
    uv = np.stack([np.arctan2(sphere.vertices[:, 0], sphere.vertices[:, 2]) / (2 * np.pi) + 0.5,
                   sphere.vertices[:, 1] / 2 + 0.5], axis=1)
    lines = ["mtllib ball.mtl"] + [f"v {x} {y} {z}" for x, y, z in sphere.vertices]
    lines += [f"vt {u} {v}" for u, v in uv] + ["usemtl skin"]
    lines += [f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}" for a, b, c in sphere.faces]
    (folder / "ball.obj").write_text("\n".join(lines) + "\n")
    (folder / "ball.mtl").write_text(f"newmtl skin\nKd 1 1 1\nmap_Kd texture{suffix}\n")
    noise = np.random.default_rng(0).integers(0, 256, (side // 16, side // 16, 3), dtype=np.uint8)
    Image.fromarray(noise).resize((side, side), Image.Resampling.BILINEAR).save(folder / f"texture{suffix}")
    return folder / "ball.obj"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=4096)
    parser.add_argument("--out", default="benchmarks/results/texture_memory.json")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from machine import cpu_name

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".jpg", ".png"):
            folder = Path(tmp) / suffix.strip(".")
            folder.mkdir()
            obj = write_model(folder, args.side, suffix)
            for shrink in (True, False):
                code = WORKER.format(bench_dir=str(Path(__file__).parent), shrink=shrink, obj=str(obj))
                run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                row = {"texture": f"{args.side}x{args.side}{suffix}", "shrink": shrink, **json.loads(run.stdout)}
                print(row)
                results.append(row)
    report = {"command": "python " + " ".join(shlex.quote(a) for a in sys.argv), "cpu": cpu_name(),
              "settings": "64x64, 36 azimuths, supersample 3 (RenderSettings defaults)", "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
