"""The hardening battery: every case of findings 1 to 10 of the hardening issue, each a small
command in a fresh process, classified by what a user would see. A script, not a test (pytest
collects test_*.py only): it takes a few minutes.

    OMP_NUM_THREADS=1 python tests/bad_inputs/battery.py [--keep DIR] [--only WORDS]

Outcomes:
- clean: exit 0 and correct (its check passes), or exit 2 with one ``error:`` line and no traceback;
- traceback: a Python traceback, or an exit status other than 0 and 2;
- silent wrong: exit 0 where it must refuse, or exit 0 with a wrong result (its check fails);
- data lost: a file that existed before the command (watched) changed or vanished;
- refused: exit 2 where the command must work;
- muddled: exit 2 with no single ``error:`` line, or a line missing the words the finding asked for.

Prints a table and the counts, and writes benchmarks/results/hardening_battery.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from battery_cases import CASES as FIRST_CASES  # noqa: E402
from battery_cases_more import CASES as MORE_CASES, WORDING  # noqa: E402
from battery_setup import ENV, NOVELVIEW, make_inputs  # noqa: E402

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "hardening_battery.json"
CASES = FIRST_CASES + MORE_CASES
OUTCOMES = ("clean", "traceback", "silent wrong", "data lost", "refused", "muddled")


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _error_lines(err: str) -> list[str]:
    # ours ("error: ...") and click's usage errors ("Error: Invalid value ...")
    return [line for line in err.splitlines() if line.startswith(("error: ", "Error: "))]


def classify(case, code: int, out: str, err: str, changed: list[str], problem: str | None) -> tuple[str, str]:
    """(outcome, one line saying why)."""
    if "Traceback (most recent call last)" in out + err or code not in (0, 2):
        last = next((line for line in reversed(err.splitlines()) if line.strip()), "")
        return "traceback", f"exit {code}: {last[:200]}"
    if changed:
        return "data lost", "changed: " + ", ".join(changed)
    errors = _error_lines(err)
    if code == 2:
        if case.expect == "ok":
            return "refused", (errors or [err.strip()[-200:]])[0][:300]
        if len(errors) != 1:
            return "muddled", f"{len(errors)} error lines"
        must, must_not = WORDING.get(case.name, (None, None))
        if (must and must not in errors[0]) or (must_not and must_not in errors[0]):
            return "muddled", f"wording: {errors[0][:250]}"
        return "clean", errors[0][:300]
    if case.expect == "refuse":
        return "silent wrong", "exit 0: " + (out.strip().splitlines() or [""])[-1][:200]
    if problem:
        return "silent wrong", problem
    return "clean", "exit 0" + (f": {out.strip().splitlines()[-1][:200]}" if out.strip() else "")


def run_case(case, root: Path) -> dict:
    undo = case.prepare(root) if case.prepare else None
    before = {name: _digest(root / name) for name in case.watch}
    command = [*NOVELVIEW, *map(str, case.args)]
    if case.unprivileged and os.geteuid() == 0:  # root reads any file: drop that power, as a user has none
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=root, env={**ENV, "HOME": str(root)}, capture_output=True, text=True,
                              timeout=case.timeout)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        code, out, err = -9, "", f"timed out after {case.timeout} s"
    finally:
        if callable(undo):
            undo()
    seconds = time.perf_counter() - started
    changed = [name for name, digest in before.items() if digest is not None and _digest(root / name) != digest]
    problem = case.check(root, out, err) if case.check and code == 0 else None
    outcome, why = classify(case, code, out, err, changed, problem)
    if case.expect == "either" and outcome == "refused":
        outcome = "clean"
    return {"finding": case.finding, "case": case.name, "command": "novelview " + " ".join(map(str, case.args)),
            "expect": case.expect, "exit": code, "outcome": outcome, "detail": why, "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--only", default="", help="run only the cases whose name holds these words")
    parser.add_argument("--src", type=Path, help="run the commands on another checkout's src/ (e.g. a commit "
                        "unpacked by git archive, for a before/after count); its JSON goes to --keep, not results/")
    args = parser.parse_args()
    if args.src:
        ENV["PYTHONPATH"] = str(args.src.resolve())  # the one environment every command of the battery runs in
    folder = args.keep or Path(tempfile.mkdtemp(prefix="novelview_battery_"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"making the inputs in {folder} ...", flush=True)
    make_inputs(folder)
    rows = []
    for case in CASES:
        if args.only and args.only not in case.name:
            continue
        row = run_case(case, folder)
        rows.append(row)
        print(f"{row['finding']:>2}  {row['outcome']:<12} {row['seconds']:>6.1f}s  {row['case']}: {row['detail']}",
              flush=True)
    counts = Counter(row["outcome"] for row in rows)
    summary = ", ".join(f"{counts.get(name, 0)} {name}" for name in OUTCOMES)
    print(f"\n{len(rows)} cases: {summary}")
    per_finding = {f: dict(Counter(r["outcome"] for r in rows if r["finding"] == f)) for f in sorted({r["finding"] for r in rows})}
    for finding, found in per_finding.items():
        print(f"  finding {finding}: " + ", ".join(f"{n} {k}" for k, n in sorted(found.items())))
    results = RESULTS if not args.src else folder / "hardening_battery.json"
    if not args.only:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps({
            "command": "OMP_NUM_THREADS=1 python tests/bad_inputs/battery.py", "cases": len(rows),
            "counts": {name: counts.get(name, 0) for name in OUTCOMES}, "by_finding": per_finding,
            "seconds": round(time.perf_counter() - started, 1),
            "src": str(args.src or "this checkout"), "commit": None if args.src else _commit(), "rows": rows}, indent=2) + "\n")
        print(f"wrote {results}")
    if not args.keep and not args.src:  # with --src the JSON stays in the folder
        shutil.rmtree(folder, ignore_errors=True)


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).parent)
    return (done.stdout.strip() or "unknown") + " plus the working tree's changes"


if __name__ == "__main__":
    main()
