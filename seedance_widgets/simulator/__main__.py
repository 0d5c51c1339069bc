"""`python -m seedance_widgets.simulator`: serve the simulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from .config import SimulatorConfig
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
                        help="keep results here (default: a temporary directory)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = SimulatorConfig(
        queue_seconds=args.queue_seconds,
        process_seconds=args.process_seconds,
        keepalive_seconds=args.keepalive_seconds,
        api_key=args.api_key,
        data_dir=args.data_dir,
    )
    stopping = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        with SimulatorServer(config, host=args.host, port=args.port) as server:
            print(f"Oxen-compatible simulator (simulated results) at {server.base_url}",
                  flush=True)
            while not stopping.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
