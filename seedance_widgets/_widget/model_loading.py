"""Loading a model's spec for the widget, which is built before any loop task can run."""

from __future__ import annotations

import contextlib
from pathlib import Path

from .._contract.schema import ModelSpec
from .._transport.model_cache import ModelCache
from .._wiring import Backend
from ..errors import ProtocolError

__all__ = ["load_spec"]


def load_spec(model_id: str, backend: Backend, folder: Path) -> ModelSpec:
    """The spec the client would use: the service's model object when it answers (kept in
    `folder` beside the ledger, so a fresh one needs no request at all), else a kept or
    the bundled one. A fetch runs on a short-lived loop in a separate thread with its own
    client, away from the caller's (possibly running) loop."""
    cache = ModelCache(folder, backend.settings.base_url)
    fresh = cache.fresh(model_id)
    if fresh is not None:
        with contextlib.suppress(ProtocolError):
            return ModelSpec.from_model_object(fresh)

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from .._transport.client import AsyncOxenClient

    async def fetch() -> ModelSpec:
        async with AsyncOxenClient(settings=backend.settings, model_cache=cache) as client:
            return await client.model_spec(model_id)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, fetch()).result()
