"""`novelview render --shard auto`: a SLURM array task renders the shard its variables name."""

from __future__ import annotations

import pytest

from novelview.data.shards import parse_shard

RENDER = ["render", "--source", "procedural:mug", "--models", "3", "--size", "16", "--azimuths", "4",
          "--supersample", "1", "--workers", "1", "--val-share", "0", "--test-share", "0.34"]
SLURM = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX")


def files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def set_slurm(monkeypatch, **values) -> None:
    for name in SLURM:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(f"SLURM_ARRAY_TASK_{name.upper()}", str(value))


@pytest.mark.parametrize("variables, explicit", [
    ({"id": 1, "count": 2, "min": 0, "max": 1}, "1/2"),  # what sbatch --array=0-1 sets
    ({"id": 4, "min": 3, "max": 4}, "1/2"),  # --array=3-4, a SLURM without TASK_COUNT
])
def test_auto_renders_the_same_shard_as_k_of_n(tmp_path, novelview, monkeypatch, variables, explicit):
    set_slurm(monkeypatch)
    code, out, err = novelview(*RENDER, "--shard", explicit, "--out", tmp_path / "explicit")
    assert code == 0, err
    set_slurm(monkeypatch, **variables)
    code, out, err = novelview(*RENDER, "--shard", "auto", "--out", tmp_path / "auto")
    assert code == 0, err
    assert f"shard {explicit} done" in out
    made, expected = files(tmp_path / "auto"), files(tmp_path / "explicit")
    assert any(name.startswith("parts/") for name in expected)
    assert made == expected  # the same parts, views and settings, byte for byte


@pytest.mark.parametrize("variables, words", [
    ({}, ["SLURM_ARRAY_TASK_ID is not set", "SLURM_ARRAY_TASK_COUNT", "--shard K/N"]),
    ({"id": 3}, ["neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX"]),
    ({"id": 2, "count": 2, "min": 0, "max": 1}, ["SLURM_ARRAY_TASK_ID=2 is not one of the array's 2 tasks"]),
    ({"id": "1_2", "count": 2}, ["SLURM_ARRAY_TASK_ID='1_2' is not a whole number"]),
    ({"id": 2, "count": 3, "min": 0, "max": 4}, ["plain range", "--array=0-7", "--shard K/N"]),  # --array=0-4:2
])
def test_auto_outside_a_plain_job_array_is_one_line(tmp_path, novelview, monkeypatch, variables, words):
    set_slurm(monkeypatch, **variables)
    code, _, err = novelview(*RENDER, "--shard", "auto", "--out", tmp_path / "x")
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for word in words:
        assert word in lines[0], lines[0]
    assert not (tmp_path / "x").exists()


def test_parse_shard_reads_only_the_environment_it_is_given():
    assert parse_shard("2/8") == (2, 8)
    assert parse_shard("auto", {"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "8"}) == (7, 8)
    assert parse_shard("AUTO", {"SLURM_ARRAY_TASK_ID": "10", "SLURM_ARRAY_TASK_MIN": "10",
                                "SLURM_ARRAY_TASK_MAX": "13", "SLURM_ARRAY_TASK_COUNT": "4"}) == (0, 4)
