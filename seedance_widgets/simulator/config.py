"""The simulator's knobs; mutable at run time (each job reads them when it needs them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .faults import Faults

__all__ = ["SimulatorConfig"]


@dataclass
class SimulatorConfig:
    """Timings, auth and storage of a simulator.

    `api_key=None` accepts any non-empty Bearer token; `data_dir=None` keeps results and
    repository files in a temporary directory removed when the app shuts down. `faults` is the
    fault-injection plan (none by default; see `faults.py`), changeable while the simulator
    runs. `fetch_timeout` bounds each fetch of an input media URL from elsewhere.
    """

    queue_seconds: float = 0.5
    process_seconds: float = 2.0
    keepalive_seconds: float = 15.0
    api_key: str | None = None
    data_dir: Path | None = None
    max_parallel_renders: int = 2
    fetch_timeout: float = 5.0
    faults: Faults = field(default_factory=Faults)
