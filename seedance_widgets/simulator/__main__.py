"""`python -m seedance_widgets.simulator`: serve the simulator until Ctrl-C or SIGTERM.

Faults are injected with repeated `--fault NAME=TRIGGER[,max=N][,route=METHOD /template]`
(TRIGGER: a rate such as `0.1`, or `every:N`); see `faults.py` for the names. Example:
`python -m seedance_widgets.simulator --fault 429=0.1 --fault reset-before=0.05 --fault-seed 7`.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from .config import SimulatorConfig
from .faults import FAULTS, Faults
from .server import SimulatorServer

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m seedance_widgets.simulator",
        description="Serve an Oxen-compatible API on loopback that renders simulated videos.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--queue-seconds", type=float, default=defaults.queue_seconds)
    parser.add_argument("--process-seconds", type=float, default=defaults.process_seconds)
    parser.add_argument("--keepalive-seconds", type=float, default=defaults.keepalive_seconds)
    parser.add_argument("--api-key", default=None,
                        help="accept only this Bearer token (default: any non-empty one)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep results and repository files here (default: a temporary "
                        "directory)")
    parser.add_argument("--fetch-timeout", type=float, default=defaults.fetch_timeout,
                        metavar="SECONDS", help="timeout of each fetch of an input media URL "
                        "from another host")
    faults = parser.add_argument_group("fault injection (see seedance_widgets/simulator/faults.py)")
    faults.add_argument("--fault", action="append", default=[], metavar="NAME=TRIGGER",
                        help="inject a fault: NAME=RATE or NAME=every:N, then optional "
                        ",max=N and ,route=METHOD /template; repeatable. Names: "
                        + ", ".join(FAULTS))
    faults.add_argument("--fault-seed", type=int, default=0,
                        help="seed of the fault RNG (default 0)")
    faults.add_argument("--fault-retry-after", type=float, default=1.0, metavar="SECONDS",
                        help="Retry-After sent with injected 429/503 (default 1)")
    faults.add_argument("--fault-slow-seconds", type=float, default=35.0, metavar="SECONDS",
                        help="delay of the `slow` fault (default 35, beyond a 30 s timeout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        faults = Faults.from_specs(args.fault, seed=args.fault_seed,
                                   retry_after=args.fault_retry_after,
                                   slow_seconds=args.fault_slow_seconds)
    except ValueError as exc:
        parser.error(str(exc))
    config = SimulatorConfig(
        queue_seconds=args.queue_seconds,
        process_seconds=args.process_seconds,
        keepalive_seconds=args.keepalive_seconds,
        api_key=args.api_key,
        data_dir=args.data_dir,
        fetch_timeout=args.fetch_timeout,
        faults=faults,
    )
    stopping = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        with SimulatorServer(config, host=args.host, port=args.port) as server:
            print(f"Oxen-compatible simulator (simulated results) at {server.base_url}",
                  flush=True)
            if faults.active:
                print(f"injecting faults: {' '.join(faults.describe())}", flush=True)
            while not stopping.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
