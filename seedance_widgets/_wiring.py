"""The one place that wires a backend to its settings, client, ledger, controller and session,
for the Studio, the CLI and the blocking job runner alike.

The backend is the real service when a key or a base URL is given (or set in the
environment, read once by `Settings.resolve`), else the embedded simulator: started
in-process on a free loopback port, once per process, and labelled simulated. Results of
different backends are kept apart in the ledger by their namespace.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._transport.settings import SIMULATOR_TOKEN, ApiKey, Settings, assets_repo_setting

if TYPE_CHECKING:
    from ._jobs.controller import Controller
    from ._jobs.follower import FollowPolicy
    from ._jobs.inputs import AssetsRepo, MediaInputs
    from ._jobs.session import Session
    from ._transport.client import AsyncOxenClient
    from ._transport.retry import RetryPolicy

__all__ = ["SIMULATOR_NAMESPACE", "Backend", "Wiring", "choose_backend", "wire"]

SIMULATOR_NAMESPACE = "simulator"

_lock = threading.Lock()
_server: Any = None


@dataclass(frozen=True)
class Backend:
    """Where requests go and with which key; the key stays inside `settings` (masked)."""

    settings: Settings
    simulated: bool
    # Where local input files are uploaded; None: only URLs can be given.
    assets: AssetsRepo | None = None

    @property
    def label(self) -> str:
        if self.simulated:
            return "Simulated (built-in simulator)"
        return f"Oxen.ai ({self.settings.base_url})"

    @property
    def namespace(self) -> str:
        """What keeps this backend's results apart in the ledger (a simulated video is never
        served as a real one)."""
        return SIMULATOR_NAMESPACE if self.simulated else self.settings.base_url


def choose_backend(api_key: str | ApiKey | None = None, base_url: str | None = None,
                   simulate: bool | None = None, assets_repo: str | None = None) -> Backend:
    """The backend to use. `simulate=None` means: simulate when no key and no base URL is
    given or set. `assets_repo` (else OXEN_ASSETS_REPO; on the embedded simulator
    `simulator/seedance-assets`) is where local input files go; a malformed one is refused
    with `InvalidRequestError`."""
    from ._jobs.inputs import SIMULATOR_ASSETS, AssetsRepo

    settings = Settings.resolve(ApiKey.wrap(api_key), base_url)
    wanted = assets_repo_setting(assets_repo)
    assets = AssetsRepo.parse(wanted) if wanted is not None else None
    if simulate is None:
        simulate = not settings.configured
    if not simulate:
        return Backend(settings, simulated=False, assets=assets)
    return Backend(Settings(base_url=embedded_simulator_url(),
                            api_key=ApiKey(SIMULATOR_TOKEN)), simulated=True,
                   assets=assets or SIMULATOR_ASSETS)


def embedded_simulator_url() -> str:
    """Start (once per process) the in-process simulator and return its base URL."""
    global _server
    with _lock:
        if _server is None:
            from .simulator import SimulatorServer

            _server = SimulatorServer().start()
            atexit.register(_server.stop)
        return str(_server.base_url)


@dataclass(frozen=True)
class Wiring:
    """A backend with everything that talks to it."""

    backend: Backend
    client: AsyncOxenClient
    controller: Controller
    session: Session
    inputs: MediaInputs


def wire(backend: Backend, *, ledger: Path | str | None, output_dir: Path | str,
         policy: FollowPolicy | None = None, concurrency: int = 8,
         deadline: float | None = None, retry: RetryPolicy | None = None,
         budget: Decimal | None = None) -> Wiring:
    """Client, ledger (`None`: a temporary one), controller, session and media inputs for
    `backend`; model objects the service answers are kept beside the ledger; `budget` caps
    the spend of the ledger's namespace for this backend.

    The transport and the jobs layer are imported here, not at module import, so that
    importing a surface stays cheap (benchmarks/ #6).
    """
    from ._jobs.controller import Controller
    from ._jobs.inputs import MediaInputs
    from ._jobs.ledger import Ledger
    from ._jobs.session import Session
    from ._transport.client import AsyncOxenClient
    from ._transport.model_cache import ModelCache

    kept = Ledger(ledger) if ledger is not None else Ledger.temporary()
    client = AsyncOxenClient(settings=backend.settings, retry=retry,
                             model_cache=ModelCache(kept.folder, backend.settings.base_url))
    controller = Controller(client, output_dir=output_dir, policy=policy,
                            concurrency=concurrency, ledger=kept,
                            namespace=backend.namespace, deadline=deadline, budget=budget)
    return Wiring(backend, client, controller, Session(controller),
                  MediaInputs(backend.assets, backend.settings.base_url))
