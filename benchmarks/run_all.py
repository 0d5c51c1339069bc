"""Run all eight benchmarks, print one table and write it into benchmarks/README.md.

Each benchmark runs in its own fresh interpreter (`bench_*.py --json FILE`), so imports,
memory and CPU time of one never leak into another. The browser one runs last. A benchmark
that fails is reported as "not measured" and the others still run.

    make bench                      # or: .venv/bin/python benchmarks/run_all.py
    .venv/bin/python benchmarks/run_all.py --no-readme  # print only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BENCH_DIR, PYTHON, REPO, Row, format_table, load_note

BENCHMARKS = [
    ("bench_status_latency.py", "1. status latency"),
    ("bench_requests_per_job.py", "2. requests per job"),
    ("bench_concurrency.py", "3. concurrency"),
    ("bench_download.py", "4. download"),
    ("bench_import.py", "6. import time"),
    ("bench_render.py", "7. render speed"),
    ("bench_browser.py", "5. browser"),
    ("bench_sweep.py", "8. 300-cell sweep"),
]
TIMEOUT = 300  # seconds per benchmark, unless it has its own below
TIMEOUTS = {"bench_sweep.py": 1200}  # two 300-cell sweeps, today's approach's is slow
README = BENCH_DIR / "README.md"
START = "<!-- bench-results:start -->"
END = "<!-- bench-results:end -->"
COMMAND = "make bench   # = .venv/bin/python benchmarks/run_all.py"


def run_one(script: str, label: str) -> tuple[list[Row], float, str]:
    """Run one benchmark in a child interpreter: its rows, seconds taken, load note."""
    before = load_note()
    started = time.monotonic()
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        try:
            done = subprocess.run([PYTHON, str(BENCH_DIR / script), "--json", out.name],
                                  cwd=REPO, timeout=TIMEOUTS.get(script, TIMEOUT),
                                  check=False)
            rows = [Row(**r) for r in json.loads(Path(out.name).read_text() or "[]")]
            if done.returncode != 0 or not rows:
                rows = [Row(label, f"not measured: {script} exited {done.returncode}",
                            "–", "–", False)]
        except subprocess.TimeoutExpired:
            rows = [Row(label, f"not measured: timed out after "
                        f"{TIMEOUTS.get(script, TIMEOUT)} s", "–", "–", False)]
    return rows, time.monotonic() - started, before


def machine() -> str:
    return (f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()} "
            f"({sys.implementation.name}), {platform.system()} {platform.release()}")


def write_readme(block: str) -> None:
    text = README.read_text() if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = f"{text.rstrip()}\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{block}\n{END}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    parser.add_argument("--only", nargs="*", help="script names to run (default: all)")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b[0] in args.only]
    started = time.monotonic()
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    rows: list[Row] = []
    timings: list[str] = []
    for script, label in chosen:
        print(f"\n===== {label} ({script}) =====", flush=True)
        got, seconds, before = run_one(script, label)
        rows.extend(got)
        timings.append(f"{label} {seconds:.0f} s ({before.split(' on ')[0]})")
    total = time.monotonic() - started
    table = format_table(rows)
    met = sum(1 for r in rows if r.met is True)
    judged = sum(1 for r in rows if r.met is not None)
    block = "\n".join([
        f"Run {when} on {machine()}; total {total / 60:.1f} min; after: {load_note()}.",
        "",
        f"Reproduce: `{COMMAND}`",
        "",
        table,
        "",
        f"{met} of {judged} targets met. Per benchmark (time taken, load before it): "
        + "; ".join(timings) + ".",
    ])
    print(f"\n{block}")
    if not args.no_readme and not args.only:
        write_readme(block)
        print(f"\n(written to {README.relative_to(REPO)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
