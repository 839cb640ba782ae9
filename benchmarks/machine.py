"""What every benchmark records about the machine it ran on, and this process's memory (Linux)."""

from __future__ import annotations

import os
import platform
import resource
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def status_mb() -> dict:
    """VmRSS / VmHWM / RssAnon / RssFile / RssShmem of this process in MiB."""
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def ru_maxrss_mb() -> float:
    """Peak RSS as getrusage reports it (KiB on Linux), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> list[float] | None:
    try:
        return list(os.getloadavg())
    except OSError:
        return None
