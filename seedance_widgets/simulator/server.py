"""Run the simulator app with uvicorn in a daemon thread, on a loopback port of its own."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import create_app
from .config import SimulatorConfig
from .faults import Faults
from .store import JobStore

__all__ = ["SimulatorServer"]

_START_TIMEOUT = 15.0


class SimulatorServer:
    """An Oxen-compatible simulator serving on `base_url` (e.g. `http://127.0.0.1:43121/api`).

    `port=0` picks a free port. Use as a context manager, or `start()` / `stop()`.
    """

    def __init__(self, config: SimulatorConfig | None = None, host: str = "127.0.0.1",
                 port: int = 0):
        self.config = config or SimulatorConfig()
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._app = create_app(self.config)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/api"

    def start(self) -> SimulatorServer:
        """Bind the port and serve; returns once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("a SimulatorServer can be started only once")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self._requested_port), family=family)
        self._port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(
            self._app, log_level="warning", access_log=False, lifespan="on",
            timeout_graceful_shutdown=1,
        ))
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(sock),),
                                        name=f"seedance-simulator-{self._port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the simulator did not start on {self.host}:{self._port}")
            time.sleep(0.01)
        return self

    async def _serve(self, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        assert self._server is not None
        await self._server.serve(sockets=[sock])

    def stop(self) -> None:
        """End open event streams, stop serving and wait for the thread."""
        if self._server is None or self._thread is None:
            return
        store: JobStore = self._app.state.store
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(store.events.close)
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT)

    @property
    def faults(self) -> Faults:
        """The fault plan, changeable while serving: `server.faults.set("429", rate=0.1)`."""
        return self.config.faults

    @property
    def store(self) -> JobStore:
        """Every generation this simulator accepted (for tests and fault reports)."""
        store: JobStore = self._app.state.store
        return store

    def stats(self) -> dict[str, int]:
        """Requests served so far, keyed `"METHOD /route/template"`."""
        counts: dict[str, int] = self._app.state.requests.snapshot()
        return counts

    def reset_stats(self) -> None:
        self._app.state.requests.reset()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
