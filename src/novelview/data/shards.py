"""Which shard of a render this process takes: ``--shard K/N``, or ``--shard auto`` inside a SLURM job array.

A job array (``sbatch --array=0-7``) starts one task per shard and tells each its number in
``SLURM_ARRAY_TASK_ID`` and the array's extent in ``SLURM_ARRAY_TASK_COUNT`` (or, in older SLURM
versions, only ``SLURM_ARRAY_TASK_MIN`` and ``SLURM_ARRAY_TASK_MAX``). Task ``ID`` renders shard
``ID - MIN`` of ``COUNT``. The array must be a plain range: a stepped or listed one
(``--array=0-14:2``, ``--array=1,4,9``) leaves gaps, and the shards the gaps stand for would
never be rendered, which ``novelview merge`` would only find at the end; such arrays are refused
at once, with the way out (``--shard K/N`` by hand).
"""

from __future__ import annotations

import os
import re

from novelview.errors import NovelviewError

TASK_ID, TASK_COUNT = "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"
TASK_MIN, TASK_MAX = "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX"
NEEDS = (f"--shard auto reads a SLURM job array's {TASK_ID} and {TASK_COUNT} (or {TASK_MIN} and {TASK_MAX}); "
         "run it as a task of `sbatch --array=0-N` or give --shard K/N")


def parse_shard(text: str, environ=None) -> tuple[int, int]:
    """``"K/N"`` -> (K, N); ``"auto"`` -> this SLURM array task's shard (``environ``: os.environ)."""
    if text.strip().lower() == "auto":
        return slurm_shard(os.environ if environ is None else environ)
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise NovelviewError(f"bad --shard {text!r}: use K/N, e.g. 0/4, or auto in a SLURM job array") from None
    return k, n


def slurm_shard(environ) -> tuple[int, int]:
    """(K, N) from a SLURM job array's variables, or one line saying what is missing or wrong."""
    values = {}
    for name in (TASK_ID, TASK_COUNT, TASK_MIN, TASK_MAX):
        text = environ.get(name)
        if text is None or text == "":
            continue
        if not re.fullmatch(r"[0-9]+", text.strip()):  # int() would take "1_2" as 12
            raise NovelviewError(f"{name}={text!r} is not a whole number: {NEEDS}")
        values[name] = int(text)
    if TASK_ID not in values:
        raise NovelviewError(f"{TASK_ID} is not set (not a job array task?): {NEEDS}")
    first = values.get(TASK_MIN, 0)
    if TASK_MAX in values:
        span = values[TASK_MAX] - first + 1
        count = values.get(TASK_COUNT, span)
        if count != span:
            raise NovelviewError(f"the job array has {count} tasks between {TASK_MIN}={first} and {TASK_MAX}="
                                 f"{values[TASK_MAX]}: --shard auto needs a plain range such as --array=0-7 "
                                 "(no steps or lists), or give --shard K/N for each task")
    elif TASK_COUNT in values:
        count = values[TASK_COUNT]
    else:
        raise NovelviewError(f"{TASK_ID} is set but neither {TASK_COUNT} nor {TASK_MAX}: {NEEDS}")
    shard = values[TASK_ID] - first
    if count < 1 or not 0 <= shard < count:
        raise NovelviewError(f"{TASK_ID}={values[TASK_ID]} is not one of the array's {count} tasks from {first}: "
                             f"{NEEDS}")
    return shard, count
