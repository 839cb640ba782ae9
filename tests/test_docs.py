"""The docs cannot rot: their runnable shell blocks run, and their links and images resolve.

A fenced block whose info string is ``bash runnable`` (docs/README.md, "Docs that run") is run
here, block after block in page order, in one fresh temporary folder per page, with the
repository's ``configs/`` and ``docs/`` linked into it. Only cheap blocks carry the marker, so the
whole file stays under a minute on 2 cores. Every relative link and image of README.md and
docs/*.md must point at a file that exists, and every ``#anchor`` at a heading of its page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = ("bash", "runnable")
LINKED_INTO_RUN_FOLDER = ("configs", "docs")  # what runnable blocks may name by a relative path
BLOCK_TIMEOUT_S = 120

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"(`+).*?\1")


@dataclass
class Block:
    """One fenced code block: its info string split in words, its text, its first line (1-based)."""

    info: tuple[str, ...]
    text: str
    line: int


def split_fences(markdown: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """The fenced blocks of a page, and its other lines (number, text), after CommonMark's rules:
    a fence closes only with the same character, at least as many of them, and no info string."""
    blocks: list[Block] = []
    prose: list[tuple[int, str]] = []
    opened: tuple[str, tuple[str, ...], int] | None = None
    body: list[str] = []
    for number, line in enumerate(markdown.splitlines(), start=1):
        fence = FENCE.match(line)
        if opened is None:
            if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
                opened, body = (fence.group(1), tuple(fence.group(2).split()), number + 1), []
            else:
                prose.append((number, line))
        elif fence and fence.group(1)[0] == opened[0][0] and len(fence.group(1)) >= len(opened[0]) \
                and not fence.group(2).strip():
            blocks.append(Block(opened[1], "\n".join(body) + "\n", opened[2]))
            opened = None
        else:
            body.append(line)
    return blocks, prose


def runnable_blocks(page: Path) -> list[Block]:
    return [block for block in split_fences(page.read_text(encoding="utf-8"))[0] if block.info == RUNNABLE]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: code marks dropped, lower case, punctuation out, spaces -> '-'."""
    text = heading.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for _, line in split_fences(page.read_text(encoding="utf-8"))[1]:
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(1))
            name, repeat = base, 0
            while name in found:  # GitHub numbers repeated headings: name, name-1, name-2, ...
                repeat += 1
                name = f"{base}-{repeat}"
            found.add(name)
    return found


def broken_links(page: Path) -> list[str]:
    """Relative links and images of a page (outside code) whose file or #anchor does not exist."""
    problems = []
    for number, line in split_fences(page.read_text(encoding="utf-8"))[1]:
        for target in LINK.findall(CODE_SPAN.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # http:, https:, mailto: ... are not this test's business
            path_part, _, anchor = target.partition("#")
            linked = (page.parent / path_part).resolve() if path_part else page
            where = f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}:{number}: {target}"
            if not linked.exists():
                problems.append(f"{where} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                problems.append(f"{where} (no heading with that anchor in {linked.name})")
    return problems


def run_environment() -> dict[str, str]:
    """This interpreter's scripts (novelview, python) first on PATH; one thread; no display."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


PAGES_TO_RUN = [page for page in PAGES if runnable_blocks(page)]


@pytest.mark.parametrize("page", PAGES_TO_RUN, ids=[str(p.relative_to(ROOT)) for p in PAGES_TO_RUN])
def test_runnable_blocks_of_each_page_run_as_written(page, tmp_path):
    for name in LINKED_INTO_RUN_FOLDER:
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    for block in runnable_blocks(page):
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.text], cwd=tmp_path,
                              env=run_environment(), capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
        assert done.returncode == 0, (
            f"{page.relative_to(ROOT)}, block at line {block.line} exited {done.returncode}:\n{block.text}"
            f"--- output (tail) ---\n{(done.stdout + done.stderr)[-3000:]}")


def test_the_pages_a_user_starts_from_have_runnable_blocks():
    # Guards the marker itself: if the parser stopped seeing it, the test above would pass on nothing.
    assert {ROOT / "README.md", ROOT / "docs/training.md", ROOT / "docs/data.md"} <= set(PAGES_TO_RUN)


def test_every_relative_link_and_image_exists():
    problems = [problem for page in PAGES for problem in broken_links(page)]
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_the_link_check_finds_a_missing_file_and_a_missing_anchor(tmp_path):
    (tmp_path / "other.md").write_text("# A heading: with `code`\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#a-heading-with-code) ![gone](images/none.png)\n"
                    "[bad anchor](other.md#nowhere) `[in code](nothing.md)`\n"
                    "```\n[in a block](nothing.md)\n```\n", encoding="utf-8")
    problems = broken_links(page)
    assert len(problems) == 2
    assert "images/none.png (no such file)" in problems[0] and "#nowhere (no heading" in problems[1]


def test_readme_set_up_block_holds_the_two_commands_ci_runs():
    # .ci/run runs exactly these two lines of the README's set-up block; they must not drift.
    blocks, _ = split_fences((ROOT / "README.md").read_text(encoding="utf-8"))
    commands = [[line.split("#")[0].strip() for line in block.text.splitlines() if line.strip()]
                for block in blocks if block.info == ("bash",)]
    assert ['pip install -e ".[test]" && novelview demo', "python -m pytest"] in commands
