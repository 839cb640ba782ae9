"""The render command `novelview doctor` prints for an unfinished render carries every setting that
decides the data set, so running it finishes the set the first command started: the same split
(the command line's default --val-share is not that of the render) and the same pixels."""

from __future__ import annotations

import shlex

from novelview.data import store

# Every option away from the command line's defaults, and a split with no training models.
SETTINGS = ["--source", "procedural:mug", "--models", "3", "--seed", "3", "--size", "16", "--azimuths", "4",
            "--supersample", "1", "--elevations", "-10,20", "--azimuth-jitter", "10", "--no-depth",
            "--up-axis=-z", "--val-share", "0", "--test-share", "1"]


def interrupted_render(novelview, monkeypatch, out, models_done: int) -> None:
    real, calls = store._render_one, []

    def stop(args):
        if len(calls) == models_done:
            raise KeyboardInterrupt
        calls.append(args)
        return real(args)
    monkeypatch.setattr(store, "_render_one", stop)
    assert novelview("render", *SETTINGS, "--workers", "1", "--out", out)[0] == 130
    monkeypatch.undo()


def test_the_printed_resume_command_finishes_the_set_the_render_began(tmp_path, novelview, monkeypatch):
    whole = tmp_path / "whole"
    code, _, err = novelview("render", *SETTINGS, "--workers", "1", "--out", whole)
    assert code == 0, err
    out = tmp_path / "data"
    interrupted_render(novelview, monkeypatch, out, models_done=1)
    code, report, _ = novelview("doctor", out)
    assert code == 2 and "UNFINISHED parts: unfinished render: 2 of 3 models" in report, report
    command = report.split("fix: run `", 1)[1].split("`", 1)[0]
    assert "--val-share 0 " in command and "--test-share 1" in command and "--no-depth" in command
    code, _, err = novelview(*shlex.split(command)[1:], "--workers", "1")
    assert code == 0, err
    assert (out / "split.json").read_text() == (whole / "split.json").read_text()
    assert (out / "views.npy").read_bytes() == (whole / "views.npy").read_bytes()
    assert novelview("doctor", out)[0] == 0
