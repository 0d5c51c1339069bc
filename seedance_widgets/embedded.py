"""Choosing the backend: the real service when a key or base URL is set, else the simulator.

The simulator is started in-process on a free loopback port, once per process, and every
result it gives is labelled simulated.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from typing import Any

from .transport.settings import ApiKey

__all__ = ["Backend", "resolve_backend"]

SIMULATOR_TOKEN = "simulator-token"

_lock = threading.Lock()
_server: Any = None


@dataclass(frozen=True)
class Backend:
    """Where requests go. `api_key` is None when it comes from the environment; it is an
    `ApiKey`, so the backend's repr (and any traceback holding it) never shows it."""

    base_url: str | None
    api_key: ApiKey | None
    simulated: bool

    @property
    def label(self) -> str:
        if self.simulated:
            return "Simulated (built-in simulator)"
        return f"Oxen.ai ({self.base_url or os.environ.get('OXEN_BASE_URL') or 'hub.oxen.ai'})"


def resolve_backend(api_key: str | ApiKey | None = None, base_url: str | None = None,
                    simulate: bool | None = None) -> Backend:
    """The backend to use. `simulate=None` means: simulate when no key and no base URL is set."""
    api_key = ApiKey.wrap(api_key)
    configured = bool(api_key and api_key.cleaned()) or bool(base_url) \
        or bool(os.environ.get("OXEN_API_KEY")) or bool(os.environ.get("OXEN_BASE_URL"))
    if simulate is None:
        simulate = not configured
    if not simulate:
        return Backend(base_url=base_url, api_key=api_key, simulated=False)
    return Backend(base_url=embedded_simulator_url(), api_key=ApiKey(SIMULATOR_TOKEN),
                   simulated=True)


def embedded_simulator_url() -> str:
    """Start (once) the in-process simulator and return its base URL."""
    global _server
    with _lock:
        if _server is None:
            from .simulator import SimulatorServer

            _server = SimulatorServer().start()
            atexit.register(_server.stop)
        return _server.base_url
