"""The simulator as a child process for the benchmarks: prints its base URL, serves until
SIGTERM. With `--template`, finished jobs get that file (hard-linked) instead of a render;
`--render-template` renders such a 480p 16:9 4 s clip here first (so the benchmark's own
process never imports the renderer).

Not a benchmark; `_common.simulator_process` starts it.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
from pathlib import Path

from _common import patch_render_with_copy, prerender

from seedance_widgets.simulator import SimulatorConfig, SimulatorServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue-seconds", type=float, default=0.5)
    parser.add_argument("--process-seconds", type=float, default=2.0)
    parser.add_argument("--keepalive-seconds", type=float, default=15.0)
    parser.add_argument("--max-parallel-renders", type=int, default=2)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--template", type=Path, default=None)
    parser.add_argument("--render-template", action="store_true")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="bench-simproc-")
    if args.render_template and args.template is None:
        args.template = prerender(Path(scratch.name) / "template.mp4")
    if args.template is not None:
        patch_render_with_copy(args.template)
    config = SimulatorConfig(queue_seconds=args.queue_seconds,
                             process_seconds=args.process_seconds,
                             keepalive_seconds=args.keepalive_seconds,
                             api_key=args.api_key,
                             max_parallel_renders=args.max_parallel_renders)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with SimulatorServer(config) as server:
        print(f"simulator at {server.base_url}", flush=True)
        while not stopping.wait(0.5):
            pass
    scratch.cleanup()


if __name__ == "__main__":
    main()
