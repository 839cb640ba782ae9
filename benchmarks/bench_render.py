"""Render throughput of novelview's ray caster, in views per second per core.

Meshes: a ~20k and a ~300k triangle sphere with seeded radial noise (trimesh icosphere,
subdivisions 5 and 7), and the procedural set (each category, the first N models of seed 0).
Settings: the defaults (64x64, 36 azimuths, supersample 3), one process.

"Per core" uses the process's CPU time (every thread counted), so other load on a shared
machine does not lower the figure much; wall-clock figures are reported beside it. BVH build
(Renderer construction) is timed apart from rendering. Each figure is the median of --repeats.

    python benchmarks/bench_render.py [--repeats 3] [--procedural-models 10] [--out benchmarks/results/render.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import trimesh  # noqa: E402

from novelview.data import procedural  # noqa: E402
from novelview.data.render import RenderSettings, Renderer  # noqa: E402
from novelview.data.surface import solid  # noqa: E402


def noisy_sphere(subdivisions: int, seed: int = 0):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions)
    rng = np.random.default_rng(seed)
    radius = 1.0 + 0.03 * rng.standard_normal(len(mesh.vertices))
    return solid(mesh.vertices * radius[:, None], mesh.faces, (0.8, 0.45, 0.2))


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def bench_surfaces(surfaces, settings: RenderSettings, repeats: int) -> dict:
    """Build + render every surface, ``repeats`` times; medians of the per-repeat totals."""
    views_per_repeat = len(surfaces) * settings.azimuths * len(settings.elevations)
    build_wall, build_cpu, render_wall, render_cpu = [], [], [], []
    for _ in range(repeats):
        bw = bc = rw = rc = 0.0
        for surface in surfaces:
            with Clock() as build:
                renderer = Renderer(surface, settings)
            with Clock() as render:
                renderer.render_all()
            bw, bc, rw, rc = bw + build.wall, bc + build.cpu, rw + render.wall, rc + render.cpu
        build_wall.append(bw)
        build_cpu.append(bc)
        render_wall.append(rw)
        render_cpu.append(rc)
    med = statistics.median
    return {
        "models": len(surfaces),
        "triangles_mean": float(np.mean([len(s.faces) for s in surfaces])),
        "views_per_repeat": views_per_repeat,
        "repeats": repeats,
        "bvh_build_s_per_model": {"cpu": med(build_cpu) / len(surfaces), "wall": med(build_wall) / len(surfaces)},
        "render_s_per_view": {"cpu": med(render_cpu) / views_per_repeat, "wall": med(render_wall) / views_per_repeat},
        "views_per_s_per_core": views_per_repeat / med(render_cpu),
        "views_per_s_per_core_with_bvh": views_per_repeat / med([b + r for b, r in zip(build_cpu, render_cpu)]),
        "views_per_s_wall": views_per_repeat / med(render_wall),
        "all_render_cpu_s": render_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--procedural-models", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "render.json")
    args = parser.parse_args()

    settings = RenderSettings()  # 64x64, 36 azimuths, supersample 3
    load_before = os.getloadavg()
    Renderer(noisy_sphere(2), settings).render_view(0.0)  # warm-up: imports, embree device
    results = {}
    for name, subdivisions in (("sphere_20k", 5), ("sphere_300k", 7)):
        surface = noisy_sphere(subdivisions)
        results[name] = bench_surfaces([surface], settings, args.repeats)
        print(f"{name}: {len(surface.faces)} triangles, {results[name]['views_per_s_per_core']:.1f} views/s/core, "
              f"BVH {results[name]['bvh_build_s_per_model']['cpu'] * 1e3:.1f} ms cpu", flush=True)
    for category in procedural.CATEGORIES:
        with Clock() as make:
            surfaces = [procedural.make_model(category, 0, i) for i in range(args.procedural_models)]
        r = bench_surfaces(surfaces, settings, args.repeats)
        r["make_model_s_per_model_cpu"] = make.cpu / len(surfaces)
        results[f"procedural_{category}"] = r
        print(f"procedural {category}: {r['triangles_mean']:.0f} triangles on average, "
              f"{r['views_per_s_per_core']:.1f} views/s/core", flush=True)

    report = {
        "benchmark": "render throughput, default settings, one process",
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "settings": settings.to_dict(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "trimesh": trimesh.__version__,
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "target": {"sphere_20k_views_per_s_per_core": 60},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
