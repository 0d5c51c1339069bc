"""#6 Import time: `seedance_widgets` (and its `Studio`) against `ipywidgets` alone.

Each import runs in a fresh interpreter, timed inside it (interpreter start-up excluded),
the three kinds interleaved, `RUNS` times each after one discarded warm-up round; figures
are medians. `-X importtime` then names the heaviest packages the Studio import adds on top
of what ipywidgets imports anyway.
"""

from __future__ import annotations

import re
import statistics
import subprocess
from collections import defaultdict

from _common import PYTHON, REPO, Row, at_most, bench_main, info

RUNS = 9
SUBJECTS = {
    "ipywidgets": "import ipywidgets",
    "seedance_widgets": "import seedance_widgets",
    "Studio": "from seedance_widgets import Studio",
}
TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def _time_import(stmt: str) -> float:
    out = subprocess.run([PYTHON, "-c", TIMER.format(stmt=stmt)], capture_output=True,
                         text=True, check=True, cwd=REPO)
    return float(out.stdout.strip().splitlines()[-1])


def _imported(stmt: str) -> dict[str, int]:
    """Every module `stmt` imports, with its own (self) import time in µs."""
    err = subprocess.run([PYTHON, "-X", "importtime", "-c", stmt], capture_output=True,
                         text=True, check=True, cwd=REPO).stderr
    return {m.group(4): int(m.group(1)) for m in _LINE.finditer(err)}


def heaviest_additions(count: int = 6) -> str:
    """Top-level packages the Studio import loads beyond ipywidgets', by summed self time."""
    theirs = _imported(SUBJECTS["ipywidgets"])
    extra: dict[str, int] = defaultdict(int)
    for module, us in _imported(SUBJECTS["Studio"]).items():
        if module not in theirs:
            extra[module.split(".")[0]] += us
    top = sorted(((us, name) for name, us in extra.items()), reverse=True)[:count]
    return ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in top)


def run() -> list[Row]:
    """Time the imports and return the rows for the table."""
    times: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    for round_ in range(RUNS + 1):
        for name, stmt in SUBJECTS.items():
            seconds = _time_import(stmt)
            if round_:  # round 0 warms the bytecode and file caches
                times[name].append(seconds)
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    for name, values in times.items():
        print(f"  {name:17} median {median[name]:7.1f} ms  "
              f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}, n={len(values)})")
    additions = heaviest_additions()
    print(f"  the Studio import adds (cumulative, -X importtime, one run): {additions}")
    base = median["ipywidgets"]
    return [
        info("6a. import time: ipywidgets / seedance_widgets / Studio",
             f"{base:.0f} / {median['seedance_widgets']:.0f} / {median['Studio']:.0f} ms"),
        at_most("6b. `import seedance_widgets` ÷ `import ipywidgets`",
                median["seedance_widgets"] / base, 1.5, "×", 2),
        at_most("6c. `from seedance_widgets import Studio` ÷ `import ipywidgets`",
                median["Studio"] / base, 1.5, "×", 2),
    ]


if __name__ == "__main__":
    bench_main(run, "#6 import time: seedance_widgets vs ipywidgets alone")
