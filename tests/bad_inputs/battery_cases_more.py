"""The battery's cases for findings 8 to 10 (tracebacks, real assets, misleading messages); the
Case type and findings 1 to 7 are in battery_cases.py."""

from __future__ import annotations

from battery_cases import SMALL, TINY, Case, meta_says, says, shards, unreadable_views

BOMB_SKIP = "inflates to 600 MiB, over the 512 MiB"
CASES = [
    # 8: tracebacks
    Case(8, "sh3d --list of a folder with one corrupt library", ["render", "--source", "sh3d:libs", "--list"],
         expect="ok", check=says("left out", "Bad.sh3f", "Good/p1")),
    Case(8, "sh3d render of a folder with one corrupt library", ["render", "--source", "sh3d:libs", "--out", "r_libs",
         *TINY], expect="ok", check=says("note: left out", "Bad.sh3f")),
    Case(8, "sh3d --check of a folder with one corrupt library", ["render", "--source", "sh3d:libs", "--check",
         "--out", "libs_check.png", *TINY[:6]], expect="ok", check=says("left out", "Bad.sh3f")),
    Case(8, "orientation CSV row with an extra field", ["render", *SMALL, "--orientation", "extra_field.csv",
         "--list"]),
    Case(8, "generate --turntable --frames 1000000", ["generate", "--image", "photo.png", "--turntable", "--frames",
         "1000000", "--out", "g_frames"]),
    *[Case(8, f"train with a config of {what}", ["train", "--config", f"{name}.yaml", "--data", "d32", "--out",
           f"r_{name}"]) for name, what in (("size_float", "image_size 64.0"), ("size_zero", "image_size 0"),
                                            ("rotations_zero", "num_rotations 0"), ("kernel_negative", "kernel -3"))],
    *[Case(8, f"generate with an export folder whose config.json has {what}", ["generate", "--model",
           f"models/{name}", "--image", "photo.png", "--azimuth", "30", "--out", f"g_{name}"])
      for name, what in (("size_float", "image_size 64.0"), ("size_zero", "image_size 0"),
                         ("rotations_zero", "num_rotations 0"), ("kernel_negative", "kernel -3"))],
    Case(8, "a binary file as --config", ["train", "--config", "binary.yaml", "--data", "d32", "--out", "r_bin"]),
    Case(8, "--accelerator gpu on a machine without one", ["train", "--config", "tiny.yaml", "--data", "d32",
         "--out", "r_gpu", "--accelerator", "gpu"]),
    Case(8, "render --models 1e8", ["render", *SMALL[:2], "--models", "1e8", "--list"]),
    Case(8, "render --models 100000000 (procedural)", ["render", "--source", "procedural:mug", "--models",
         "100000000", "--list"], timeout=60),  # before: 10 GB after 2 minutes, and growing
    # 9: real assets lose nothing silently
    Case(9, "a texture of garbage bytes", ["render", "--source", "sh3d:texture_garbage.sh3f", "--out", "r_tex", *TINY],
         expect="ok", check=meta_says("r_tex", "unreadable texture", "cannot be decoded")),
    Case(9, "a 15000x15000 PNG texture", ["render", "--source", "sh3d:texture_huge.sh3f", "--out", "r_huge", *TINY],
         expect="ok", check=meta_says("r_huge", "unreadable texture", "225,000,000 pixels")),
    Case(9, "a malformed modelRotation (--list)", ["render", "--source", "sh3d:rotation_bad.sh3f", "--list"],
         expect="ok", check=says("modelRotation not applied", "kept unrotated")),
    Case(9, "a reflecting modelRotation (render)", ["render", "--source", "sh3d:rotation_mirror.sh3f", "--out",
         "r_mirror", *TINY], expect="ok", check=meta_says("r_mirror", "modelRotation not applied", "reflection")),
    Case(9, "a piece without model#N (--list)", ["render", "--source", "sh3d:no_model.sh3f", "--list"],
         expect="ok", check=says("left out no_model.sh3f piece #2 (ghost)")),
    Case(9, "a zip member inflating to 600 MiB", ["render", "--source", "sh3d:bomb.sh3f", "--out", "r_bomb", *TINY],
         expect="ok", check=says("skipped bomb/p2", BOMB_SKIP)),
    # 10: messages that pointed the wrong way
    Case(10, "sheet of a set whose views.npy may not be read", ["sheet", "--data", "d16_perm", "--out", "perm.png"],
         prepare=unreadable_views, unprivileged=True),
    Case(10, "merge into a data set of other settings", ["merge", "shard0", "shard1", "--out", "d16"],
         prepare=shards, watch=["d16/views.npy", "d16/meta.json"]),
    Case(10, "autoencoder turntable", ["generate", "--model", "autoencoder", "--image", "photo.png", "--turntable",
         "--out", "g_ae"]),
    Case(10, "orientation CSV saved by Excel (BOM, CRLF)", ["render", *SMALL, "--orientation", "excel.csv", "--list"],
         expect="ok", check=says("mug_0_00000")),
]
# What a refusal's line must (not) say, where the finding was about the words.
WORDING = {
    "sheet of a set whose views.npy may not be read": ("cannot be read (permission denied)", "damaged"),
    "merge into a data set of other settings": ("choose another --out for the merge", "--overwrite"),
    "autoencoder turntable": ("--azimuth 30", "--frames 1"),
    "a second train into a folder a train is writing": ("another training run is writing here", None),
    "train --resume of a run that is still training": ("another training run is writing here", None),
}
