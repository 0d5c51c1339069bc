"""Loading a model's spec for the widget, which is built before any loop task can run."""

from __future__ import annotations

from .._contract.schema import ModelSpec, bundled_model
from .._wiring import Backend

__all__ = ["load_spec"]


def load_spec(model_id: str, backend: Backend) -> ModelSpec:
    """The bundled spec, or one fetched from `GET /ai/models/{id}` on a short-lived loop.

    A separate thread and client keep this away from the caller's (possibly running) loop.
    """
    bundled = bundled_model(model_id)
    if bundled is not None:
        return bundled

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from .._transport.client import AsyncOxenClient

    async def fetch() -> ModelSpec:
        async with AsyncOxenClient(settings=backend.settings) as client:
            return await client.model_spec(model_id)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, fetch()).result()
